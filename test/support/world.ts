import { generateKeyPairSync, randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import { createOperator } from '../../src/access/operators.js';
import { buildApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import { withAuditKeys } from '../../src/platform/audit.js';
import { connect } from '../../src/platform/db/client.js';
import { expectedMigrationCount } from '../../src/platform/db/migrate.js';
import type { AppDeps } from '../../src/platform/http/context.js';
import { createLogger } from '../../src/platform/log.js';
import { createMetrics } from '../../src/platform/metrics.js';
import { RateLimiter } from '../../src/platform/rate-limit.js';

export function databaseUrl(db: string): string {
  const u = new URL(inject('adminUrl'));
  u.pathname = `/${db}`;
  return u.toString();
}

export interface World {
  deps: AppDeps;
  app: ReturnType<typeof buildApp>;
  dbName: string;
  url: string;
  /** The world's secrets as environment variables, for a CLI run against its database. */
  secretEnv(): Record<string, string>;
  /** Moves the world's clock; requests see it as `now`. */
  setNow(d: Date): void;
  now(): Date;
  close(): Promise<void>;
  operator(
    country?: string,
    name?: string,
  ): Promise<{ operatorId: string; apiKey: string; keyId: string }>;
  request(
    method: string,
    path: string,
    opts?: { key?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
}

/** Each test file gets its own database cloned from the migrated template, and its own app. */
export async function createWorld(overrides: Partial<Record<string, string>> = {}): Promise<World> {
  const dbName = `t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(inject('adminUrl'), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${dbName} template ${inject('templateDb')}`);
  await admin.end();
  const url = databaseUrl(dbName);
  const config: Config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: url,
    LOG_LEVEL: 'silent',
    RATE_LIMIT_RPS: '100000',
    RATE_LIMIT_BURST: '100000',
    ...overrides,
  });
  const handle = connect(url, { max: 20 });
  let now = new Date('2026-11-25T10:05:00Z');
  const secrets = {
    identityPepper: randomBytes(32),
    piiKeys: [{ id: 'k1', key: randomBytes(32) }],
    fingerprintKeys: [{ id: 'f1', key: randomBytes(32) }],
    auditHmacKeys: [{ id: 'a1', key: randomBytes(32) }],
    auditSigningKey: { id: 's1', privateKey: generateKeyPairSync('ed25519').privateKey },
    embeddedPgPassword: '',
  };
  const db = withAuditKeys(handle.db, secrets.auditHmacKeys);
  const deps: AppDeps = {
    config,
    secrets,
    db,
    sql: handle.sql,
    log: createLogger({ level: 'silent' }),
    metrics: createMetrics(),
    rateLimiter: new RateLimiter(db, 'api', {
      kind: 'bucket',
      ratePerSec: config.RATE_LIMIT_RPS,
      burst: config.RATE_LIMIT_BURST,
    }),
    clock: () => now,
    expectedMigrations: expectedMigrationCount(),
  };
  const app = buildApp(deps);
  return {
    deps,
    app,
    dbName,
    url,
    secretEnv: () => ({
      IDENTITY_PEPPER: secrets.identityPepper.toString('hex'),
      PII_KEYS: secrets.piiKeys.map((k) => `${k.id}:${k.key.toString('hex')}`).join(','),
      FINGERPRINT_KEYS: secrets.fingerprintKeys
        .map((k) => `${k.id}:${k.key.toString('hex')}`)
        .join(','),
      AUDIT_HMAC_KEY: secrets.auditHmacKeys
        .map((k) => `${k.id}:${k.key.toString('hex')}`)
        .join(','),
      AUDIT_SIGNING_KEY: secrets.auditSigningKey.privateKey
        .export({ format: 'pem', type: 'pkcs8' })
        .toString(),
      AUDIT_SIGNING_KEY_ID: secrets.auditSigningKey.id,
    }),
    setNow: (d) => {
      now = d;
    },
    now: () => now,
    close: async () => {
      await handle.close();
      const a = postgres(inject('adminUrl'), { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${dbName} with (force)`);
      await a.end();
    },
    operator: async (country = 'TH', name = `Operator ${randomBytes(3).toString('hex')}`) =>
      createOperator({ ctx: { db, actor: 'test', now }, input: { name, country } }),
    request: async (method, path, opts = {}) => {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.key) headers.authorization = `Bearer ${opts.key}`;
      if (opts.body !== undefined) headers['content-type'] ??= 'application/json';
      return app.request(path, {
        method,
        headers,
        body:
          opts.body === undefined
            ? undefined
            : typeof opts.body === 'string'
              ? opts.body
              : JSON.stringify(opts.body),
      });
    },
  };
}
