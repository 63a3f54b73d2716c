/**
 * Registration load run: the API at a steady rate, then flat out at rising concurrency to find
 * saturation, then the operator read path; and the same transaction as raw SQL through pgbench
 * on the same database, so the API's overhead is a ratio measured in one run.
 *
 *   npx tsx load/registration.ts [--seconds 20] [--rate 200] [--connections 32]
 *
 * Exits non-zero when a scenario misses its thresholds (declared below).
 */
import { spawnSync } from 'node:child_process';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { registrationSource } from './lib/registrations.js';
import {
  drive,
  type Figures,
  failedThresholds,
  printTable,
  startLoadStack,
  summarise,
  type Thresholds,
} from './lib/stack.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    rate: { type: 'string', default: '200' },
    connections: { type: 'string', default: '32' },
  },
});
const seconds = Number(values.seconds);
const rate = Number(values.rate);
const connections = Number(values.connections);

/** Point-of-sale budget: a registration answers within 250 ms at p95 while the API keeps up. */
const THRESHOLDS: Record<string, Thresholds> = {
  steady: { p95Ms: 250, p99Ms: 500, maxErrorRate: 0.001 },
  saturation: { p95Ms: 2000, p99Ms: 4000, maxErrorRate: 0.001 },
  read: { p95Ms: 100, p99Ms: 250, maxErrorRate: 0.001 },
};

const nextRegistration = registrationSource('load');

/** pgbench with the registration transaction; latencies from its per-transaction log. */
async function pgbench(databaseUrl: string, operatorId: string, clients: number) {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  await sql`create sequence if not exists bench_registration_seq`;
  await sql.end();
  const logDir = resolve('.tmp/pgbench');
  await rm(logDir, { recursive: true, force: true });
  spawnSync('mkdir', ['-p', logDir]);
  const run = spawnSync(
    'pgbench',
    [
      '-n',
      '-f',
      'load/registration-tx.sql',
      '-c',
      String(clients),
      '-j',
      '2',
      '-T',
      String(seconds),
      '-D',
      `operator='${operatorId}'`,
      '-l',
      `--log-prefix=${join(logDir, 'tx')}`,
      databaseUrl,
    ],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`pgbench failed: ${run.stderr}`);
  const latencies: number[] = [];
  for (const f of await readdir(logDir)) {
    for (const line of (await readFile(join(logDir, f), 'utf8')).split('\n')) {
      const us = Number(line.split(' ')[2]);
      if (Number.isFinite(us) && line) latencies.push(us / 1000);
    }
  }
  const failed = /number of failed transactions: (\d+)/.exec(run.stdout);
  return summarise(`pgbench (${clients} clients)`, latencies, seconds, Number(failed?.[1] ?? 0));
}

const stack = await startLoadStack();
const rows: Figures[] = [];
const failures: string[] = [];
try {
  const common = { baseUrl: stack.baseUrl, apiKey: stack.apiKey, seconds, expectStatus: 201 };
  /** Warm-up, not reported: JIT, the pool's connections, prepared statements. */
  await drive({ ...common, seconds: 3, name: 'warm-up', connections: 8, next: nextRegistration });
  const steady = await drive({
    ...common,
    name: `steady ${rate}/s`,
    connections,
    rate,
    next: nextRegistration,
  });
  rows.push(steady);
  failures.push(...failedThresholds(steady, THRESHOLDS.steady as Thresholds));

  let best: Figures | undefined;
  for (const c of [4, 16, connections]) {
    const f = await drive({
      ...common,
      name: `saturation c=${c}`,
      connections: c,
      next: nextRegistration,
    });
    rows.push(f);
    failures.push(...failedThresholds(f, THRESHOLDS.saturation as Thresholds));
    if (!best || f.perSecond > best.perSecond) best = f;
  }

  /** Only numbers whose registration committed: the last requests of a run are cut off. */
  const sql = postgres(stack.databaseUrl, { max: 1, onnotice: () => {} });
  const registered = (
    await sql<{ msisdn: string }[]>`
      select msisdn from registrations where operator_id = ${stack.operatorId}`
  ).map((r) => r.msisdn);
  await sql.end();
  const read = await drive({
    ...common,
    name: 'read own registration',
    connections,
    expectStatus: 200,
    next: () => ({
      method: 'GET',
      path: `/v1/registrations/${encodeURIComponent(registered[Math.floor(Math.random() * registered.length)] ?? '')}`,
    }),
  });
  rows.push(read);
  failures.push(...failedThresholds(read, THRESHOLDS.read as Thresholds));

  const raw = await pgbench(stack.databaseUrl, stack.operatorId, connections);
  rows.push(raw);
  printTable(rows);
  const api = rows.find((r) => r.name === `saturation c=${connections}`);
  if (api && raw.perSecond > 0) {
    process.stdout.write(
      `\nAPI at c=${connections}: ${api.perSecond} registrations/s; pgbench, same transaction, ${connections} clients: ${raw.perSecond}/s; ratio ${(api.perSecond / raw.perSecond).toFixed(2)}\n`,
    );
  }
  if (best) process.stdout.write(`saturation: ${best.perSecond} registrations/s at ${best.name}\n`);
} finally {
  await stack.stop();
}
if (failures.length > 0) {
  process.stdout.write(`\nthresholds missed:\n  ${failures.join('\n  ')}\n`);
  process.exit(1);
}
process.stdout.write('\nall thresholds met\n');
