import { generateKeyPairSync } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const KEY = 'a'.repeat(64);

function issues(env: Record<string, string>) {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => i.field).sort();
    throw err;
  }
  return [];
}

describe('config', () => {
  it('has working defaults for the embedded development setup', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ PORT: 8080, DATA_DIR: './data', NODE_ENV: 'development' });
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.RATE_LIMIT_RPS).toBeGreaterThanOrEqual(100);
    expect(c.RATE_LIMIT_BURST).toBeGreaterThanOrEqual(1000);
    expect(c.QUARANTINE_DAYS).toBe(90);
  });

  it('gives the scorer stage threads by the cores it has, unless told', () => {
    const cores = availableParallelism();
    expect(loadConfig({}).SCORER_THREADS).toBe(cores < 4 ? 0 : Math.min(8, cores - 2));
    expect(loadConfig({ SCORER_THREADS: '0' }).SCORER_THREADS).toBe(0);
    expect(loadConfig({ SCORER_THREADS: '3' }).SCORER_THREADS).toBe(3);
    expect(issues({ SCORER_THREADS: '-1' })).toEqual(['SCORER_THREADS']);
    expect(issues({ SCORER_THREADS: 'many' })).toEqual(['SCORER_THREADS']);
  });

  it('names every bad field at once', () => {
    expect(
      issues({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        PII_KEYS: 'k1:short',
        LOG_LEVEL: 'loud',
      }),
    ).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PII_KEYS', 'PORT']);
  });

  it('refuses to start in production without secrets or a database', () => {
    expect(issues({ NODE_ENV: 'production' })).toEqual([
      'AUDIT_HMAC_KEY',
      'AUDIT_SIGNING_KEY',
      'DATABASE_URL',
      'FINGERPRINT_KEYS',
      'IDENTITY_PEPPER',
      'PII_KEYS',
    ]);
    expect(
      issues({
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://u:p@db/simline',
        IDENTITY_PEPPER: KEY,
        PII_KEYS: `k2:${KEY},k1:${Buffer.alloc(32, 1).toString('base64')}`,
        FINGERPRINT_KEYS: `f1:${KEY}`,
        AUDIT_HMAC_KEY: `a1:${KEY}`,
        AUDIT_SIGNING_KEY: Buffer.alloc(32, 3).toString('base64'),
      }),
    ).toEqual([]);
  });

  it('refuses webhooks to private addresses in production', () => {
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://u:p@db/simline',
      IDENTITY_PEPPER: KEY,
      PII_KEYS: `k1:${KEY}`,
      FINGERPRINT_KEYS: `f1:${KEY}`,
      AUDIT_HMAC_KEY: `a1:${KEY}`,
      AUDIT_SIGNING_KEY: Buffer.alloc(32, 3).toString('base64'),
    };
    expect(issues({ ...production, WEBHOOK_ALLOW_INSECURE_URLS: 'true' })).toEqual([
      'WEBHOOK_ALLOW_INSECURE_URLS',
    ]);
    expect(issues({ WEBHOOK_ALLOW_INSECURE_URLS: 'true' })).toEqual([]);
  });

  it('reads the audit signing key as PKCS8 PEM (also with \\n escapes) or a raw seed', () => {
    const pem = generateKeyPairSync('ed25519')
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    for (const text of [pem, pem.replace(/\n/g, '\\n'), Buffer.alloc(32, 3).toString('base64')]) {
      const c = loadConfig({ AUDIT_SIGNING_KEY: text, AUDIT_SIGNING_KEY_ID: 's2' });
      expect(c.givenSecrets.auditSigningKey?.id).toBe('s2');
      expect(c.givenSecrets.auditSigningKey?.privateKey.asymmetricKeyType).toBe('ed25519');
    }
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    expect(issues({ AUDIT_SIGNING_KEY: rsa })).toEqual(['AUDIT_SIGNING_KEY']);
    expect(issues({ AUDIT_SIGNING_KEY: 'short' })).toEqual(['AUDIT_SIGNING_KEY']);
    expect(issues({ AUDIT_HMAC_KEY: 'a1:short' })).toEqual(['AUDIT_HMAC_KEY']);
  });

  it('parses a key ring whose first key seals', () => {
    const c = loadConfig({ PII_KEYS: `k2:${KEY},k1:${Buffer.alloc(32, 1).toString('base64')}` });
    expect(c.givenSecrets.piiKeys?.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(c.givenSecrets.piiKeys?.[1]?.key.equals(Buffer.alloc(32, 1))).toBe(true);
  });

  it('fails fast from the command line with each field named', async () => {
    const { spawnSync } = await import('node:child_process');
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, PORT: 'x', NODE_ENV: 'production' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    for (const f of ['PORT', 'IDENTITY_PEPPER', 'PII_KEYS', 'DATABASE_URL'])
      expect(run.stderr).toContain(f);
  });
});
