/**
 * Fault run: point-of-sale clients register SIMs, and a CDR pipeline streams records through
 * Kafka to a scorer process, while PostgreSQL is crashed (SIGQUIT) and restarted twice and the
 * Kafka broker is killed (SIGKILL) and restarted once under them. Clients retry a failed
 * request with the same Idempotency-Key and body, as the API asks; the scorer exits when its
 * database goes away and is restarted, as an orchestrator would. Afterwards it checks that no
 * registration was lost or duplicated and that the scorer counted every record exactly once,
 * and prints every check.
 *
 *   npx tsx load/fault-run.ts [--seconds 20] [--clients 16] [--records 60000]
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { KafkaProducer } from '../src/platform/kafka/client.js';
import { startLocalBroker } from '../src/platform/kafka/local-broker.js';
import { hourStateTotals } from '../src/scoring/stored-state.js';
import { cdr } from '../test/support/cdrs.js';
import { registrationSource } from './lib/registrations.js';
import { spawnScorer } from './lib/scorer.js';
import { startLoadStack } from './lib/stack.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    clients: { type: 'string', default: '16' },
    records: { type: 'string', default: '60000' },
  },
});
const seconds = Number(values.seconds);
const clients = Number(values.clients);
const recordCount = Number(values.records);

const stack = await startLoadStack();
if (!stack.crashDatabase)
  throw new Error('the fault run needs the embedded database (unset DATABASE_URL)');
const next = registrationSource('fault');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const broker = await startLocalBroker();
const tag = randomBytes(3).toString('hex');
const topic = `fault.cdr.${tag}`;
let scorer: ChildProcess | undefined;
let scorerStarts = 0;
let stopping = false;
/** The scorer in its own process, restarted whenever it exits until the run ends. */
function startScorer(): void {
  scorerStarts++;
  const child = spawnScorer({
    databaseUrl: stack.databaseUrl,
    brokers: broker.brokers,
    topics: {
      cdr: topic,
      imei: `fault.imei.${tag}`,
      dlq: `fault.dlq.${tag}`,
      alerts: `fault.alerts.${tag}`,
      group: `fault-${tag}`,
    },
    logLevel: 'error',
    stdio: 'ignore',
  });
  child.once('exit', () => {
    if (!stopping) setTimeout(startScorer, 500);
  });
  scorer = child;
}
startScorer();

/** CDRs of 2,000 lines, produced steadily over the run by an idempotent producer. */
const producer = await KafkaProducer.connect({ brokers: broker.brokers }, 'fault-run');
const lines = Array.from({ length: 2000 }, (_, i) => `+6689${String(i).padStart(7, '0')}`);
const T0 = Date.parse('2026-11-25T00:00:00Z');
async function streamCdrs(until: number): Promise<void> {
  const chunk = Math.ceil(recordCount / ((seconds * 1000) / 100));
  for (let sent = 0; sent < recordCount; ) {
    for (let i = 0; i < chunk && sent < recordCount; i++, sent++) {
      const msisdn = lines[sent % lines.length] as string;
      const record = cdr({ recordId: `fault-${tag}-${sent}`, msisdn, startedAt: T0 + sent * 50 });
      producer.produce(topic, msisdn, JSON.stringify(record));
    }
    await sleep(Math.max(0, Math.min(100, until - Date.now())));
  }
  await producer.flush(120_000);
}

interface Outcome {
  msisdn: string;
  key: string;
  registrationId?: string;
  /** Every 201 body's registrationId seen for this key (replays must agree). */
  ids: Set<string>;
  attempts: number;
  refusal?: string;
}
const outcomes: Outcome[] = [];
let transientFailures = 0;

/** One request until it has a definite answer: 201, or a refusal that is not transient. */
async function register(): Promise<void> {
  const req = next();
  const key = req.headers['idempotency-key'];
  const o: Outcome = { msisdn: req.msisdn, key, ids: new Set(), attempts: 0 };
  outcomes.push(o);
  for (;;) {
    o.attempts++;
    try {
      const res = await fetch(`${stack.baseUrl}${req.path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${stack.apiKey}`,
          'content-type': 'application/json',
          'idempotency-key': key,
        },
        body: req.body,
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json()) as { registrationId?: string; code?: string };
      if (res.status === 201 && body.registrationId) {
        o.ids.add(body.registrationId);
        o.registrationId = body.registrationId;
        /** Ask once more with the same key: a replay must name the same registration. */
        if (o.ids.size === 1 && o.attempts === 1 && Math.random() < 0.1) continue;
        return;
      }
      if (res.status < 500 && body.code !== 'idempotency_in_flight') {
        o.refusal = body.code ?? String(res.status);
        return;
      }
    } catch {
      /** Connection refused or reset, or a timeout: the answer is unknown, so retry. */
    }
    transientFailures++;
    await sleep(Math.min(2000, 50 * 2 ** Math.min(o.attempts, 6)));
  }
}

async function client(until: number): Promise<void> {
  while (Date.now() < until) await register();
}

const started = Date.now();
const until = started + seconds * 1000;
const running = [...Array.from({ length: clients }, () => client(until)), streamCdrs(until)];
const crashes: string[] = [];
const faults: [number, string, () => Promise<void>][] = [
  [0.3, 'PostgreSQL crashed (SIGQUIT) and restarted', stack.crashDatabase],
  [0.5, 'Kafka broker killed (SIGKILL) and restarted', broker.crash],
  [0.65, 'PostgreSQL crashed (SIGQUIT) and restarted', stack.crashDatabase],
];
for (const [at, what, fault] of faults) {
  await sleep(Math.max(0, started + seconds * 1000 * at - Date.now()));
  const t0 = Date.now();
  process.stderr.write(`${what.split(' (')[0]}…\n`);
  await fault();
  crashes.push(`${what} in ${Date.now() - t0} ms`);
}
await Promise.all(running);

const sql = postgres(stack.databaseUrl, { max: 1, onnotice: () => {} });
/** Offsets stored with the scorer's state: how many records of the topic it has taken in. */
const consumed = async () =>
  (
    await sql<{ n: number }[]>`
      select coalesce(sum(next_offset), 0)::int as n from scoring_streams
      where stream like ${`${topic}:%`}`
  )[0]?.n ?? 0;
const drainDeadline = Date.now() + 180_000;
while ((await consumed()) < recordCount && Date.now() < drainDeadline) await sleep(500);
const offsets = await consumed();
const counted = (
  await sql<{ state: Buffer }[]>`
    select state from scoring_line_hours where stream like ${`${topic}:%`}`
)
  .map((r) => hourStateTotals(r.state))
  .reduce((n, x) => ({ ids: n.ids + x.records, outgoing: n.outgoing + x.outgoingCalls }), {
    ids: 0,
    outgoing: 0,
  });
stopping = true;
const exited = new Promise((r) => scorer?.once('exit', r));
scorer?.kill('SIGTERM');
await exited;
await producer.disconnect();
await broker.stop();
const rows = await sql<{ id: string; msisdn: string }[]>`
  select id, msisdn from registrations where operator_id = ${stack.operatorId}`;
const audited = await sql<{ n: number }[]>`
  select count(*)::int as n from audit_log
  where actor_id = ${stack.operatorId} and action = 'registration.created'`;
const stored = await sql<{ n: number }[]>`
  select count(*)::int as n from idempotency_keys
  where operator_id = ${stack.operatorId} and status = 201`;
await sql.end();
await stack.stop();

const created = outcomes.filter((o) => o.registrationId);
const byId = new Map(rows.map((r) => [r.id, r.msisdn]));
const checks: [string, boolean][] = [
  [`${outcomes.length} registrations answered, ${created.length} with 201`, created.length > 0],
  ['no request was refused (every one was new and valid)', outcomes.every((o) => !o.refusal)],
  [
    `every 201 is in the database (${created.length} answered, ${rows.length} stored): none lost`,
    created.every((o) => byId.get(o.registrationId ?? '') === o.msisdn),
  ],
  [
    'nothing stored that no client was told about: none duplicated',
    rows.length === created.length && new Set(rows.map((r) => r.msisdn)).size === rows.length,
  ],
  [
    'every retry and replay of one key named the same registration',
    outcomes.every((o) => o.ids.size <= 1),
  ],
  [`one audit row per registration (${audited[0]?.n})`, audited[0]?.n === rows.length],
  [`one stored response per registration (${stored[0]?.n})`, stored[0]?.n === rows.length],
  [
    `the scorer took in every record of the topic (${offsets} of ${recordCount} offsets stored)`,
    offsets === recordCount,
  ],
  [
    `the scorer counted each record once (${counted.ids} distinct ids, ${counted.outgoing} outgoing calls)`,
    counted.ids === recordCount && counted.outgoing === recordCount,
  ],
];
process.stdout.write(
  `${crashes.join('\n')}\n${transientFailures} transient registration failures retried; scorer started ${scorerStarts} times\n`,
);
for (const [what, ok] of checks) process.stdout.write(`${ok ? 'ok  ' : 'FAIL'}  ${what}\n`);
process.exit(checks.every(([, ok]) => ok) ? 0 : 1);
