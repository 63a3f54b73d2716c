import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config, Secrets } from '../config.js';
import { decodeKey } from '../config.js';
import { ed25519PrivateKey } from './crypto.js';
import type { Logger } from './log.js';

interface StoredSecrets {
  identityPepper: string;
  piiKeys: { id: string; key: string }[];
  fingerprintKeys: { id: string; key: string }[];
  auditHmacKeys: { id: string; key: string }[];
  /** The Ed25519 seed, base64. */
  auditSigningKey: { id: string; key: string };
  embeddedPgPassword: string;
}

export interface ResolvedSecrets extends Secrets {
  embeddedPgPassword: string;
}

function readStored(path: string): Partial<StoredSecrets> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Partial<StoredSecrets>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
}

function storedSigningKey(path: string, stored: { id: string; key: string }) {
  const privateKey = ed25519PrivateKey(stored.key);
  if (!privateKey) throw new Error(`${path}: auditSigningKey is not an Ed25519 key`);
  return { id: stored.id, privateKey };
}

/**
 * Secrets from the environment win. Outside production, whatever is missing is generated once
 * into DATA_DIR/secrets.json (mode 0600) so restarts and the CLI see the same keys.
 */
export function resolveSecrets(config: Config, log: Logger): ResolvedSecrets {
  const path = join(config.DATA_DIR, 'secrets.json');
  const given = config.givenSecrets;
  if (
    config.NODE_ENV === 'production' &&
    given.identityPepper &&
    given.piiKeys &&
    given.fingerprintKeys &&
    given.auditHmacKeys &&
    given.auditSigningKey
  ) {
    return {
      identityPepper: given.identityPepper,
      piiKeys: given.piiKeys,
      fingerprintKeys: given.fingerprintKeys,
      auditHmacKeys: given.auditHmacKeys,
      auditSigningKey: given.auditSigningKey,
      embeddedPgPassword: '',
    };
  }
  const stored = readStored(path);
  const generated: string[] = [];
  const next: StoredSecrets = {
    identityPepper: stored.identityPepper ?? randomBytes(32).toString('hex'),
    piiKeys: stored.piiKeys ?? [{ id: 'k1', key: randomBytes(32).toString('hex') }],
    fingerprintKeys: stored.fingerprintKeys ?? [{ id: 'f1', key: randomBytes(32).toString('hex') }],
    auditHmacKeys: stored.auditHmacKeys ?? [{ id: 'a1', key: randomBytes(32).toString('hex') }],
    auditSigningKey: stored.auditSigningKey ?? {
      id: config.AUDIT_SIGNING_KEY_ID,
      key: randomBytes(32).toString('base64'),
    },
    embeddedPgPassword: stored.embeddedPgPassword ?? randomBytes(18).toString('base64url'),
  };
  if (!stored.identityPepper && !given.identityPepper) generated.push('IDENTITY_PEPPER');
  if (!stored.piiKeys && !given.piiKeys) generated.push('PII_KEYS');
  if (!stored.fingerprintKeys && !given.fingerprintKeys) generated.push('FINGERPRINT_KEYS');
  if (!stored.auditHmacKeys && !given.auditHmacKeys) generated.push('AUDIT_HMAC_KEY');
  if (!stored.auditSigningKey && !given.auditSigningKey) generated.push('AUDIT_SIGNING_KEY');
  if (!stored.embeddedPgPassword && !config.DATABASE_URL)
    generated.push('embedded PostgreSQL password');
  if (generated.length > 0) {
    mkdirSync(config.DATA_DIR, { recursive: true });
    writeFileSync(path, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
    log.warn(
      { path, generated },
      'generated development secrets; set IDENTITY_PEPPER, PII_KEYS, FINGERPRINT_KEYS, AUDIT_HMAC_KEY and AUDIT_SIGNING_KEY in production',
    );
  }
  const ring = (keys: { id: string; key: string }[]) =>
    keys.map((k) => ({ id: k.id, key: decodeKey(k.key) ?? Buffer.alloc(0) }));
  return {
    identityPepper: given.identityPepper ?? decodeKey(next.identityPepper) ?? Buffer.alloc(0),
    piiKeys: given.piiKeys ?? ring(next.piiKeys),
    fingerprintKeys: given.fingerprintKeys ?? ring(next.fingerprintKeys),
    auditHmacKeys: given.auditHmacKeys ?? ring(next.auditHmacKeys),
    auditSigningKey: given.auditSigningKey ?? storedSigningKey(path, next.auditSigningKey),
    embeddedPgPassword: next.embeddedPgPassword,
  };
}
