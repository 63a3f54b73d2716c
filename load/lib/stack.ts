import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import autocannon from 'autocannon';
import { createOperator } from '../../src/access/operators.js';
import { type AuditKey, withAuditKeys } from '../../src/platform/audit.js';
import { connect } from '../../src/platform/db/client.js';
import { startEmbeddedPostgres } from '../../src/platform/db/embedded.js';
import { runMigrations } from '../../src/platform/db/migrate.js';
import { createLogger } from '../../src/platform/log.js';
import { awaitReady, stopped } from './instance.js';

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? ok(addr.port) : fail()));
    });
  });
}

export interface LoadStack {
  baseUrl: string;
  databaseUrl: string;
  operatorId: string;
  apiKey: string;
  /** The API's audit key: a load tool writing to the database directly links rows with it. */
  auditKeys: AuditKey[];
  /**
   * Crashes the embedded PostgreSQL (SIGQUIT: immediate shutdown, crash recovery at the next
   * start) and starts it again on the same port. Undefined when DATABASE_URL was given.
   */
  crashDatabase?: () => Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A real stack for a load run: PostgreSQL (DATABASE_URL, or a fresh embedded server in
 * .tmp/load), migrated, one operator, and the API as its own process, the way it is deployed.
 * LOAD_PG_PORT and LOAD_API_PORT pick the ports; free ones otherwise.
 */
export async function startLoadStack(): Promise<LoadStack> {
  const log = createLogger({ level: 'warn', destination: 2, name: 'load' });
  let databaseUrl = process.env.DATABASE_URL;
  let stopDb = async () => {};
  let crashDatabase: (() => Promise<void>) | undefined;
  const dataDir = resolve('.tmp/load');
  if (!databaseUrl) {
    await rm(dataDir, { recursive: true, force: true });
    const embedded = {
      dataDir,
      port: Number(process.env.LOAD_PG_PORT) || (await freePort()),
      password: randomBytes(12).toString('hex'),
      log,
    };
    const pg = await startEmbeddedPostgres(embedded);
    databaseUrl = pg.url;
    stopDb = pg.stop;
    crashDatabase = async () => {
      const pidText = await readFile(resolve(dataDir, 'pg', 'postmaster.pid'), 'utf8');
      const pid = Number(pidText.split('\n')[0]);
      process.kill(pid, 'SIGQUIT');
      while (alive(pid)) await sleep(50);
      const again = await startEmbeddedPostgres(embedded);
      stopDb = again.stop;
    };
  }
  await runMigrations(databaseUrl);
  const auditKeys = [{ id: 'load', key: randomBytes(32) }];
  const handle = connect(databaseUrl, { max: 1 });
  const { operatorId, apiKey } = await createOperator({
    ctx: { db: withAuditKeys(handle.db, auditKeys), actor: 'load', now: new Date() },
    input: { name: `Load ${randomBytes(3).toString('hex')}`, country: 'TH', mccMnc: ['520-03'] },
  });
  await handle.close();

  const api = await startApiProcess({
    databaseUrl,
    port: Number(process.env.LOAD_API_PORT) || (await freePort()),
    dataDir,
    auditKeys,
    nodeArgs: process.env.LOAD_API_NODE_ARGS?.split(' ').filter(Boolean),
  });
  return {
    baseUrl: api.baseUrl,
    databaseUrl,
    operatorId,
    apiKey,
    auditKeys,
    crashDatabase,
    stop: async () => {
      await api.stop();
      await stopDb();
    },
  };
}

export interface ApiProcess {
  baseUrl: string;
  /** Stops the API with SIGTERM and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * The API (`src/main.ts`) as its own process on 127.0.0.1:`port`, with fresh secrets, the audit
 * keys given (so rows a load tool writes directly link with the API's), rate limits out of the
 * way and `env` on top; resolves once `/readyz` answers, or stops it and throws.
 */
export async function startApiProcess(o: {
  databaseUrl: string;
  port: number;
  dataDir: string;
  auditKeys: AuditKey[];
  nodeArgs?: string[];
  env?: Record<string, string>;
}): Promise<ApiProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [...(o.nodeArgs ?? []), '--import', 'tsx', 'src/main.ts'],
    {
      env: {
        ...process.env,
        DATABASE_URL: o.databaseUrl,
        PORT: String(o.port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        DATA_DIR: o.dataDir,
        IDENTITY_PEPPER: randomBytes(32).toString('hex'),
        PII_KEYS: `k1:${randomBytes(32).toString('hex')}`,
        AUDIT_HMAC_KEY: o.auditKeys.map((k) => `${k.id}:${k.key.toString('hex')}`).join(','),
        RATE_LIMIT_RPS: '1000000',
        RATE_LIMIT_BURST: '1000000',
        ...o.env,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const stop = () => stopped(child, 'SIGTERM');
  const baseUrl = `http://127.0.0.1:${o.port}`;
  try {
    await awaitReady(baseUrl, child, { what: 'the API', tries: 302 });
  } catch (err) {
    await stop();
    throw err;
  }
  return { baseUrl, stop };
}

export interface Figures {
  name: string;
  requests: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  /** Share of answers that were not the expected status, or transport errors. */
  errorRate: number;
}

export interface Thresholds {
  p95Ms: number;
  p99Ms: number;
  maxErrorRate: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export function summarise(name: string, latenciesMs: number[], seconds: number, errors: number) {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const total = sorted.length + errors;
  return {
    name,
    requests: sorted.length,
    perSecond: Math.round(sorted.length / seconds),
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    errorRate: total === 0 ? 0 : errors / total,
  } satisfies Figures;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/**
 * One autocannon run. `next` builds each request (so every registration is unique); latencies
 * come from every response, so p95 is exact rather than autocannon's fixed percentile set.
 */
export async function drive(opts: {
  name: string;
  baseUrl: string;
  apiKey: string;
  connections: number;
  seconds: number;
  /** Requests per second across all connections; unset runs flat out (saturation). */
  rate?: number;
  expectStatus: number;
  next: () => {
    method: 'GET' | 'POST';
    path: string;
    body?: string;
    headers?: Record<string, string>;
  };
}): Promise<Figures> {
  const latencies: number[] = [];
  let errors = 0;
  let finished: (r: autocannon.Result) => void = () => {};
  const done = new Promise<autocannon.Result>((r) => {
    finished = r;
  });
  const instance = autocannon(
    {
      url: opts.baseUrl,
      connections: opts.connections,
      duration: opts.seconds,
      ...(opts.rate ? { overallRate: opts.rate } : {}),
      headers: { authorization: `Bearer ${opts.apiKey}`, 'content-type': 'application/json' },
      requests: [
        {
          setupRequest: (req) => {
            const n = opts.next();
            return { ...req, ...n, headers: { ...req.headers, ...n.headers } };
          },
        },
      ],
    },
    (err, result) => (err ? finished({ ...result, errors: result.errors + 1 }) : finished(result)),
  );
  instance.on('response', (_client, status, _bytes, ms) => {
    if (status === opts.expectStatus) latencies.push(ms);
    else errors++;
  });
  const result = await done;
  errors += result.errors + result.timeouts;
  return summarise(opts.name, latencies, opts.seconds, errors);
}

export function failedThresholds(f: Figures, t: Thresholds): string[] {
  const out: string[] = [];
  if (f.p95 > t.p95Ms) out.push(`${f.name}: p95 ${f.p95} ms > ${t.p95Ms} ms`);
  if (f.p99 > t.p99Ms) out.push(`${f.name}: p99 ${f.p99} ms > ${t.p99Ms} ms`);
  if (f.errorRate > t.maxErrorRate)
    out.push(`${f.name}: error rate ${(f.errorRate * 100).toFixed(2)}% > ${t.maxErrorRate * 100}%`);
  return out;
}

export function printTable(rows: Figures[]): void {
  const head = ['scenario', 'requests', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors'];
  const lines = rows.map((r) => [
    r.name,
    String(r.requests),
    String(r.perSecond),
    String(r.p50),
    String(r.p95),
    String(r.p99),
    `${(r.errorRate * 100).toFixed(2)}%`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  process.stdout.write(`${fmt(head)}\n${lines.map(fmt).join('\n')}\n`);
}
