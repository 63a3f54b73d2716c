import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { publicKeyFingerprint } from '../../src/platform/crypto.js';
import { createLogger } from '../../src/platform/log.js';
import { resolveSecrets } from '../../src/platform/secrets.js';

const log = createLogger({ level: 'silent' });

describe('secrets', () => {
  it('generates the audit and fingerprint keys once in development and reads them back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'simline-secrets-'));
    const config = loadConfig({ DATA_DIR: dir, DATABASE_URL: 'postgres://u@h/db' });
    const first = resolveSecrets(config, log);
    const again = resolveSecrets(config, log);
    expect(first.auditHmacKeys.map((k) => k.id)).toEqual(['a1']);
    expect(first.auditHmacKeys[0]?.key.length).toBe(32);
    expect(first.fingerprintKeys[0]?.key.length).toBe(32);
    expect(first.auditSigningKey.id).toBe('s1');
    expect(first.auditSigningKey.privateKey.asymmetricKeyType).toBe('ed25519');
    expect(again.auditHmacKeys).toEqual(first.auditHmacKeys);
    expect(again.fingerprintKeys).toEqual(first.fingerprintKeys);
    expect(publicKeyFingerprint(again.auditSigningKey.privateKey)).toBe(
      publicKeyFingerprint(first.auditSigningKey.privateKey),
    );
    const stored = JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8'));
    expect(Object.keys(stored)).toEqual(
      expect.arrayContaining(['auditHmacKeys', 'auditSigningKey', 'fingerprintKeys']),
    );
  });

  it('uses what production is given and generates nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'simline-secrets-'));
    const { privateKey } = generateKeyPairSync('ed25519');
    const key = 'b'.repeat(64);
    const config = loadConfig({
      NODE_ENV: 'production',
      DATA_DIR: dir,
      DATABASE_URL: 'postgres://u@h/db',
      IDENTITY_PEPPER: key,
      PII_KEYS: `k1:${key}`,
      FINGERPRINT_KEYS: `f2:${key},f1:${'c'.repeat(64)}`,
      AUDIT_HMAC_KEY: `a2:${key}`,
      AUDIT_SIGNING_KEY: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      AUDIT_SIGNING_KEY_ID: 'prod-2026',
    });
    const s = resolveSecrets(config, log);
    expect(s.fingerprintKeys.map((k) => k.id)).toEqual(['f2', 'f1']);
    expect(s.auditHmacKeys.map((k) => k.id)).toEqual(['a2']);
    expect(s.auditSigningKey.id).toBe('prod-2026');
    expect(
      createPublicKey(s.auditSigningKey.privateKey)
        .export({ format: 'der', type: 'spki' })
        .equals(createPublicKey(privateKey).export({ format: 'der', type: 'spki' })),
    ).toBe(true);
    expect(() => readFileSync(join(dir, 'secrets.json'))).toThrow();
  });
});
