/**
 * Fault run: point-of-sale clients register SIMs while PostgreSQL is crashed (SIGQUIT) and
 * restarted under them. Each client retries a failed request with the same Idempotency-Key and
 * body, as the API asks. Afterwards it checks that no registration was lost or duplicated and
 * prints every check.
 *
 *   npx tsx load/fault-run.ts [--seconds 20] [--clients 16]
 */
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { registrationSource } from './lib/registrations.js';
import { startLoadStack } from './lib/stack.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    clients: { type: 'string', default: '16' },
  },
});
const seconds = Number(values.seconds);
const clients = Number(values.clients);

const stack = await startLoadStack();
if (!stack.crashDatabase)
  throw new Error('the fault run needs the embedded database (unset DATABASE_URL)');
const next = registrationSource('fault');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

const until = Date.now() + seconds * 1000;
const running = Array.from({ length: clients }, () => client(until));
const crashes: string[] = [];
for (const at of [0.3, 0.65]) {
  await sleep(seconds * 1000 * at - (crashes.length > 0 ? seconds * 1000 * 0.3 : 0));
  const t0 = Date.now();
  process.stderr.write('crashing PostgreSQL\n');
  await stack.crashDatabase();
  crashes.push(`PostgreSQL crashed (SIGQUIT) and restarted in ${Date.now() - t0} ms`);
}
await Promise.all(running);

const sql = postgres(stack.databaseUrl, { max: 1, onnotice: () => {} });
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
];
process.stdout.write(`${crashes.join('\n')}\n${transientFailures} transient failures retried\n`);
for (const [what, ok] of checks) process.stdout.write(`${ok ? 'ok  ' : 'FAIL'}  ${what}\n`);
process.exit(checks.every(([, ok]) => ok) ? 0 : 1);
