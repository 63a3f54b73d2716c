import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/platform/db/embedded.js';
import { runMigrations } from '../../src/platform/db/migrate.js';
import { startLocalBroker } from '../../src/platform/kafka/local-broker.js';
import { createLogger } from '../../src/platform/log.js';

export const TEMPLATE_DB = 'simline_test_template';

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    templateDb: string;
    kafkaBrokers: string;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject()));
    });
  });
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/**
 * One real PostgreSQL for the run: DATABASE_URL (needs CREATEDB) or an embedded server in a
 * temp dir. A migrated template database is cloned by each test file (see world.ts).
 */
export default async function setup(project: TestProject) {
  const log = createLogger({ level: 'warn', destination: 2, name: 'test-db' });
  let adminUrl = process.env.DATABASE_URL;
  let cleanup = async () => {};
  if (!adminUrl) {
    const dir = await mkdtemp(join(tmpdir(), 'simline-test-'));
    const embedded = await startEmbeddedPostgres({
      dataDir: dir,
      port: await freePort(),
      password: 'test-only-password',
      log,
      database: 'postgres',
    });
    adminUrl = embedded.adminUrl;
    cleanup = async () => {
      await embedded.stop();
      await rm(dir, { recursive: true, force: true });
    };
  }
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${TEMPLATE_DB} with (force)`);
  await admin.unsafe(`create database ${TEMPLATE_DB}`);
  await admin.end();
  await runMigrations(withDatabase(adminUrl, TEMPLATE_DB));
  project.provide('adminUrl', adminUrl);
  project.provide('templateDb', TEMPLATE_DB);
  let kafkaBrokers = process.env.KAFKA_BROKERS;
  if (!kafkaBrokers) {
    const broker = await startLocalBroker({ heapMb: 768 });
    kafkaBrokers = broker.brokers;
    const stopDb = cleanup;
    cleanup = async () => {
      await broker.stop();
      await stopDb();
    };
  }
  project.provide('kafkaBrokers', kafkaBrokers);
  return cleanup;
}
