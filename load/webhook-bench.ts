/**
 * Webhook push latency. Prints figures; exits 1 when a p99 reaches 5 s or an event is missing.
 *
 *   npx tsx load/webhook-bench.ts [--listings 500] [--records 500] [--concurrency 8]
 *
 * Starts a fresh embedded PostgreSQL (.tmp/webhook-bench, port 43110) and the API as its own
 * process (port 43111, the webhook dispatcher runs in its api role), and a webhook receiver on
 * 127.0.0.1:43112. A bank and an operator subscribe. Then `--listings` bank accounts at the
 * bank's code are listed over the API, and `--records` CDRs each contacting a listed number are
 * posted over `POST /v1/cdrs`. Latency runs to the signed webhook received and verified, from
 * the request sent (an upper bound: it includes the API's own work) and from its answer received
 * (the listing or the alert committed before the answer). The 5 s goal is held to the first.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { createBank, createOperator } from '../src/access/operators.js';
import { withAuditKeys } from '../src/platform/audit.js';
import { connect } from '../src/platform/db/client.js';
import { startEmbeddedPostgres } from '../src/platform/db/embedded.js';
import { runMigrations } from '../src/platform/db/migrate.js';
import { createLogger } from '../src/platform/log.js';
import { type ApiProcess, startApiProcess } from './lib/stack.js';

const { values } = parseArgs({
  options: {
    listings: { type: 'string', default: '500' },
    records: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '8' },
  },
});
const LISTINGS = Number(values.listings);
const RECORDS = Number(values.records);
const CONCURRENCY = Number(values.concurrency);
const PG_PORT = 43110;
const API_PORT = 43111;
const RECEIVER_PORT = 43112;
const P99_GOAL_MS = 5000;
const WATCHLIST_RELOAD_MS = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const log = createLogger({ level: 'warn', destination: 2, name: 'webhook-bench' });
const dataDir = resolve('.tmp/webhook-bench');
await rm(dataDir, { recursive: true, force: true });
const pg = await startEmbeddedPostgres({
  dataDir,
  port: PG_PORT,
  password: randomBytes(12).toString('hex'),
  log,
});
let api: ApiProcess | undefined;
let receiverClose = async () => {};
try {
  await runMigrations(pg.url);
  const auditKeys = [{ id: 'bench', key: randomBytes(32) }];
  const handle = connect(pg.url, { max: 1 });
  const ctx = { db: withAuditKeys(handle.db, auditKeys), actor: 'bench', now: new Date() };
  const bank = await createBank({
    ctx,
    input: { name: 'Bench Bank', country: 'TH', bankCode: 'BENCHTH1' },
  });
  const op = await createOperator({
    ctx,
    input: { name: 'Bench Operator', country: 'TH', mccMnc: ['520-03'] },
  });
  await handle.close();

  api = await startApiProcess({
    databaseUrl: pg.url,
    port: API_PORT,
    dataDir,
    auditKeys,
    env: {
      WEBHOOK_ALLOW_INSECURE_URLS: 'true',
      WATCHLIST_RELOAD_MS: String(WATCHLIST_RELOAD_MS),
      KAFKA_BROKERS: '',
    },
  });
  const base = api.baseUrl;

  /** Receipt times by correlation key (the indicator id, or the CDR's record id). */
  const received = new Map<string, number>();
  const secrets: Webhook[] = [];
  let badSignatures = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const body = Buffer.concat(chunks).toString();
      const headers = {
        'webhook-id': String(req.headers['webhook-id']),
        'webhook-timestamp': String(req.headers['webhook-timestamp']),
        'webhook-signature': String(req.headers['webhook-signature']),
      };
      let event: { type: string; data: { indicatorId?: string; recordId?: string } } | undefined;
      for (const wh of secrets) {
        try {
          event = wh.verify(body, headers) as typeof event;
          break;
        } catch {}
      }
      if (!event) badSignatures++;
      else {
        const key = event.type === 'watchlist.match' ? event.data.recordId : event.data.indicatorId;
        if (key && !received.has(key)) received.set(key, at);
      }
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(RECEIVER_PORT, '127.0.0.1', r));
  receiverClose = () => new Promise<void>((r) => server.close(() => r()));

  const call = async (key: string, method: string, path: string, body: string, type?: string) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': type ?? 'application/json' },
      body,
    });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  const subscribe = async (key: string, events: string[]) => {
    const sub = await call(
      key,
      'POST',
      '/v1/webhooks',
      JSON.stringify({ url: `http://127.0.0.1:${RECEIVER_PORT}/hook`, events }),
    );
    secrets.push(new Webhook(String(sub.secret)));
  };
  await subscribe(bank.apiKey, ['watchlist.account_listed']);
  await subscribe(op.apiKey, ['watchlist.match']);

  /**
   * Runs `count` jobs, `CONCURRENCY` at a time; each returns its key, when its request was sent
   * and when its answer came.
   */
  async function run(count: number, job: (i: number) => Promise<[string, number, number]>) {
    const started = new Map<string, [number, number]>();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < count) {
          const [key, sent, answered] = await job(next++);
          started.set(key, [sent, answered]);
        }
      }),
    );
    return started;
  }

  async function awaitAll(started: Map<string, [number, number]>) {
    const deadline = Date.now() + 30_000;
    while ([...started.keys()].some((k) => !received.has(k)) && Date.now() < deadline)
      await sleep(50);
    const fromSent: number[] = [];
    const fromAnswer: number[] = [];
    for (const [k, [sent, answered]] of started) {
      const at = received.get(k);
      if (at === undefined) continue;
      fromSent.push(at - sent);
      fromAnswer.push(at - answered);
    }
    return { fromSent, fromAnswer, missing: started.size - fromSent.length };
  }

  const t0 = performance.now();
  const listings = await run(LISTINGS, async (i) => {
    const start = performance.now();
    const out = await call(
      bank.apiKey,
      'POST',
      '/v1/watchlist/indicators',
      JSON.stringify({
        type: 'bank_account',
        value: `9${String(i).padStart(11, '0')}`,
        bankCode: 'BENCHTH1',
        category: 'mule_account',
        confidence: 90,
        tlp: 'amber',
        shareWith: ['*'],
        description: 'bench listing',
      }),
    );
    return [String(out.id), start, performance.now()];
  });
  const listingSeconds = (performance.now() - t0) / 1000;
  const listed = await awaitAll(listings);

  // Scam numbers to match, listed before the records; the scorer reads them within its reload.
  const scam = (i: number) => `+6689${String(i).padStart(7, '0')}`;
  await run(RECORDS, async (i) => {
    await call(
      op.apiKey,
      'POST',
      '/v1/watchlist/indicators',
      JSON.stringify({
        type: 'msisdn',
        value: scam(i),
        category: 'scam_caller',
        confidence: 90,
        tlp: 'amber',
        shareWith: ['*'],
        description: 'bench scam number',
      }),
    );
    return [String(i), 0, 0];
  });
  await sleep(WATCHLIST_RELOAD_MS * 3);
  const t1 = performance.now();
  const records = await run(RECORDS, async (i) => {
    const recordId = `bench-${i}-${randomBytes(3).toString('hex')}`;
    const record = {
      recordId,
      type: 'voice',
      direction: 'mo',
      msisdn: `+6681${String(i).padStart(7, '0')}`,
      otherParty: scam(i),
      imsi: `5200300${String(i).padStart(8, '0')}`,
      imei: '350000000000001',
      cellId: '520-03-1-1',
      startedAt: Date.now() - 60_000,
      durationSec: 30,
      answered: true,
      containsUrl: false,
      operator: '520-03',
    };
    const start = performance.now();
    await call(op.apiKey, 'POST', '/v1/cdrs', JSON.stringify(record), 'application/x-ndjson');
    return [recordId, start, performance.now()];
  });
  const recordSeconds = (performance.now() - t1) / 1000;
  const matched = await awaitAll(records);

  const pct = (sorted: number[], p: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const line = (l: number[]) => {
    const s = [...l].sort((a, b) => a - b);
    return `p50 ${ms(pct(s, 50))}, p95 ${ms(pct(s, 95))}, p99 ${ms(pct(s, 99))}, max ${ms(s.at(-1) ?? Number.NaN)}`;
  };
  const report = (
    name: string,
    r: { fromSent: number[]; fromAnswer: number[]; missing: number },
    seconds: number,
  ) => {
    const n = r.fromSent.length;
    console.log(
      `${name}: ${n} delivered, ${r.missing} missing, sent at ${Math.round(n / seconds)}/s`,
    );
    console.log(`  from request sent:     ${line(r.fromSent)}`);
    console.log(`  from answer received:  ${line(r.fromAnswer)}`);
    const sorted = [...r.fromSent].sort((a, b) => a - b);
    return r.missing === 0 && pct(sorted, 99) < P99_GOAL_MS;
  };
  console.log(`concurrency ${CONCURRENCY}; bad signatures: ${badSignatures}`);
  const listingsOk = report('listing -> bank webhook', listed, listingSeconds);
  const recordsOk = report('matching record -> operator webhook', matched, recordSeconds);
  if (!listingsOk || !recordsOk || badSignatures > 0) process.exitCode = 1;
} finally {
  await receiverClose();
  await api?.stop();
  await pg.stop();
}
