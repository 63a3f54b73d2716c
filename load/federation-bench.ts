/**
 * Federation lag benchmark: two instances (TH and LA, two databases of one embedded PostgreSQL,
 * two `npm start` processes on 127.0.0.1:43350-43351), LA pulling TH's TAXII collection every
 * FEDERATION_PULL_MS. Lists N indicators in TH over its API, then revokes some, and prints the
 * publish-to-usable lag in LA: from the change's time in TH (the STIX `modified`) to LA's import
 * transaction, p50/p95/max, for listings and for revocations. Goal: p95 under 60 s.
 *
 *   npx tsx load/federation-bench.ts [--n 2000] [--revoke 200] [--pull-ms 5000] [--concurrency 8]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { percentile } from '../src/federation/pulls.js';
import { startEmbeddedPostgres } from '../src/platform/db/embedded.js';
import { runMigrations } from '../src/platform/db/migrate.js';
import { createLogger } from '../src/platform/log.js';
import { msisdn } from '../test/support/subjects.js';
import { cli, type Instance, instanceEnv, partnerToPull, startInstance } from './lib/instance.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '2000' },
    revoke: { type: 'string', default: '200' },
    'pull-ms': { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '8' },
  },
});
const N = Number(values.n);
const REVOKE = Math.min(N, Number(values.revoke));
const PULL_MS = values['pull-ms'] ?? '5000';
const CONCURRENCY = Number(values.concurrency);
const WAIT_LIMIT_MS = 10 * 60_000;

async function inParallel<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

async function post(base: string, path: string, key: string, body: unknown) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; stixId: string };
}

/** Waits until `done` holds, polling every 200 ms. */
async function waitFor(what: string, done: () => Promise<boolean>): Promise<void> {
  const start = Date.now();
  while (!(await done())) {
    if (Date.now() - start > WAIT_LIMIT_MS) throw new Error(`${what}: not done in 10 minutes`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function report(label: string, lags: number[]) {
  const s = (v: number | null) => (v === null ? '-' : `${(v / 1000).toFixed(2)} s`);
  console.log(
    `${label.padEnd(12)} n=${String(lags.length).padEnd(6)} p50 ${s(percentile(lags, 0.5))}  p95 ${s(percentile(lags, 0.95))}  max ${s(lags.length ? Math.max(...lags) : null)}  (goal p95 < 60 s)`,
  );
}

const cleanups: (() => Promise<void>)[] = [];
try {
  const dir = await mkdtemp(join(tmpdir(), 'simline-fed-bench-'));
  const pg = await startEmbeddedPostgres({
    dataDir: dir,
    port: 43360,
    password: 'bench-only',
    log: createLogger({ level: 'warn', destination: 2 }),
    database: 'postgres',
  });
  cleanups.push(async () => {
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const admin = postgres(pg.adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe('create database bench_th');
  await admin.unsafe('create database bench_la');
  await admin.end();
  const urlOf = (db: string) => pg.adminUrl.replace(/\/postgres$/, `/${db}`);
  await runMigrations(urlOf('bench_th'));
  await runMigrations(urlOf('bench_la'));
  const extra = { FEDERATION_PULL_MS: PULL_MS, LOG_LEVEL: 'error' };
  const thEnv = instanceEnv({ databaseUrl: urlOf('bench_th'), country: 'TH', port: 43350, extra });
  const laEnv = instanceEnv({ databaseUrl: urlOf('bench_la'), country: 'LA', port: 43351, extra });
  await partnerToPull({ publisher: thEnv, publisherName: 'TH', puller: laEnv, pullerName: 'LA' });
  const op = await cli<{ apiKey: string }>(
    thEnv,
    'operators',
    'create',
    '--name',
    'AIS',
    '--country',
    'TH',
  );
  const instances: Instance[] = await Promise.all([startInstance(thEnv), startInstance(laEnv)]);
  cleanups.unshift(async () => {
    await Promise.all(instances.map((i) => i.stop()));
  });
  const [th] = instances as [Instance, Instance];
  const thSql = postgres(thEnv.DATABASE_URL as string, { max: 2, onnotice: () => {} });
  const laSql = postgres(laEnv.DATABASE_URL as string, { max: 2, onnotice: () => {} });
  cleanups.unshift(async () => {
    await thSql.end();
    await laSql.end();
  });

  console.log(
    `listing ${N} indicators in TH (amber, shared with LA), LA pulling every ${PULL_MS} ms`,
  );
  const listed: { id: string; stixId: string }[] = [];
  const values_ = Array.from({ length: N }, () => msisdn());
  let t = Date.now();
  await inParallel(values_, async (value) => {
    listed.push(
      await post(th.url, '/v1/watchlist/indicators', op.apiKey, {
        type: 'msisdn',
        value,
        category: 'scam_caller',
        confidence: 80,
        tlp: 'amber',
        shareWith: ['LA'],
        description: 'benchmark listing',
      }),
    );
  });
  console.log(`listed in ${Date.now() - t} ms`);
  const lagOf = async (stixIds: string[], column: 'updated_at') => {
    const source = await thSql<{ stix_id: string; at: Date }[]>`
      select stix_id, ${thSql(column)} as at from watchlist_indicators where stix_id in ${thSql(stixIds)}`;
    const here = await laSql<{ stix_id: string; at: Date }[]>`
      select stix_id, imported_at as at from federation_imports where stix_id in ${laSql(stixIds)}`;
    const at = new Map(here.map((r) => [r.stix_id, r.at.getTime()]));
    return source.map((r) => (at.get(r.stix_id) ?? Number.NaN) - r.at.getTime());
  };
  const ids = listed.map((l) => l.stixId);
  await waitFor('the listings in LA', async () => {
    const [{ n }] = (await laSql`select count(*)::int as n from federation_imports`) as unknown as [
      { n: number },
    ];
    return n >= N;
  });
  const listingLags = await lagOf(ids, 'updated_at');

  console.log(`revoking ${REVOKE} of them in TH`);
  const revoked = listed.slice(0, REVOKE);
  t = Date.now();
  await inParallel(revoked, async (l) => {
    await post(th.url, `/v1/watchlist/indicators/${l.id}/revoke`, op.apiKey, {
      reason: 'benchmark revocation',
    });
  });
  console.log(`revoked in ${Date.now() - t} ms`);
  const revokedIds = revoked.map((l) => l.stixId);
  await waitFor('the revocations in LA', async () => {
    const [{ n }] = (await laSql`
      select count(*)::int as n from federation_imports
      where source_revoked and stix_id in ${laSql(revokedIds)}`) as unknown as [{ n: number }];
    return n >= REVOKE;
  });
  const revocationLags = await lagOf(revokedIds, 'updated_at');
  console.log('\npublish-to-usable lag in LA (TH change time to LA import transaction)');
  report('listings', listingLags);
  report('revocations', revocationLags);
} finally {
  for (const c of cleanups) await c().catch((err) => console.error(err));
}
