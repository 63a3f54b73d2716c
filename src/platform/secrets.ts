import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config, Secrets } from '../config.js';
import { decodeKey } from '../config.js';
import type { Logger } from './log.js';

interface StoredSecrets {
  identityPepper: string;
  piiKeys: { id: string; key: string }[];
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

/**
 * Secrets from the environment win. Outside production, whatever is missing is generated once
 * into DATA_DIR/secrets.json (mode 0600) so restarts and the CLI see the same keys.
 */
export function resolveSecrets(config: Config, log: Logger): ResolvedSecrets {
  const path = join(config.DATA_DIR, 'secrets.json');
  const given = config.givenSecrets;
  if (config.NODE_ENV === 'production' && given.identityPepper && given.piiKeys) {
    return {
      identityPepper: given.identityPepper,
      piiKeys: given.piiKeys,
      embeddedPgPassword: '',
    };
  }
  const stored = readStored(path);
  const generated: string[] = [];
  const next: StoredSecrets = {
    identityPepper: stored.identityPepper ?? randomBytes(32).toString('hex'),
    piiKeys: stored.piiKeys ?? [{ id: 'k1', key: randomBytes(32).toString('hex') }],
    embeddedPgPassword: stored.embeddedPgPassword ?? randomBytes(18).toString('base64url'),
  };
  if (!stored.identityPepper && !given.identityPepper) generated.push('IDENTITY_PEPPER');
  if (!stored.piiKeys && !given.piiKeys) generated.push('PII_KEYS');
  if (!stored.embeddedPgPassword && !config.DATABASE_URL)
    generated.push('embedded PostgreSQL password');
  if (generated.length > 0) {
    mkdirSync(config.DATA_DIR, { recursive: true });
    writeFileSync(path, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
    log.warn(
      { path, generated },
      'generated development secrets; set IDENTITY_PEPPER and PII_KEYS in production',
    );
  }
  return {
    identityPepper: given.identityPepper ?? decodeKey(next.identityPepper) ?? Buffer.alloc(0),
    piiKeys:
      given.piiKeys ??
      next.piiKeys.map((k) => ({ id: k.id, key: decodeKey(k.key) ?? Buffer.alloc(0) })),
    embeddedPgPassword: next.embeddedPgPassword,
  };
}
