/**
 * Issue 15's evaluation: generated traffic of ordinary lines plus coordinated campaigns of each
 * shape and group hard negatives (`cdr generate --campaigns`), scored
 *   (a) over HTTP: `POST /v1/cdrs` as an operator through one API process, like `cdr push`;
 *   (b) over Kafka: two scorer processes in one consumer group sharing the partitions;
 * then the figures of `cdr evaluate` for each, and whether each goal holds (exit 1 if not).
 *
 *   npx tsx load/campaign-eval.ts [--lines 4000] [--hours 26] [--seed 1] [--only http|kafka]
 *                                 [--per-shape 2] [--members 20-150] [--json FILE]
 *
 * PostgreSQL is embedded (in .tmp/campaign-eval, one database per run); the broker is
 * KAFKA_BROKERS, or a local one started for the run, with fresh topics. Ports: CAMPAIGN_EVAL_PORT and the
 * four after it (default 43610).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { createOperator } from '../src/access/operators.js';
import { pushCdrs } from '../src/cli/cdr-push.js';
import { type AuditKey, withAuditKeys } from '../src/platform/audit.js';
import { connect } from '../src/platform/db/client.js';
import { startEmbeddedPostgres } from '../src/platform/db/embedded.js';
import { runMigrations } from '../src/platform/db/migrate.js';
import { ensureTopics, KafkaProducer } from '../src/platform/kafka/client.js';
import { startLocalBroker } from '../src/platform/kafka/local-broker.js';
import { createLogger } from '../src/platform/log.js';
import { type Cdr, encodeCdr } from '../src/scoring/cdr.js';
import { MAX_CDRS_PER_REQUEST } from '../src/scoring/contract.js';
import {
  type CampaignEvaluation,
  evaluateCampaigns,
  renderCampaignEvaluation,
} from '../src/scoring/evaluation.js';
import { generateTraffic } from '../src/scoring/generator.js';
import { listGroupAlertMembers } from '../src/scoring/group-queries.js';
import { listLineAlertSubjects } from '../src/scoring/queries.js';
import { HOUR_MS } from '../src/scoring/windows.js';
import { awaitReady, stopped } from './lib/instance.js';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '4000' },
    hours: { type: 'string', default: '26' },
    seed: { type: 'string', default: '1' },
    only: { type: 'string' },
    json: { type: 'string' },
    'per-shape': { type: 'string', default: '2' },
    members: { type: 'string', default: '20-150' },
  },
});
const lines = Number(values.lines);
const hours = Number(values.hours);
const seed = Number(values.seed);
const basePort = Number(process.env.CAMPAIGN_EVAL_PORT ?? 43610);
const PARTITIONS = 4;
const log = createLogger({ level: 'warn', destination: 2, name: 'campaign-eval' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dataDir = resolve('.tmp/campaign-eval');

const t0 = performance.now();
const [minMembers, maxMembers] = (values.members ?? '').split('-').map(Number);
const { records, labels } = generateTraffic({
  lines,
  hours,
  seed,
  campaigns: {
    perShape: Number(values['per-shape']),
    members: [minMembers ?? 20, maxMembers ?? minMembers ?? 150],
  },
});
const campaignLines = (labels.campaigns ?? []).reduce((n, c) => n + c.lines.length, 0);
const negativeLines = Object.values(labels.groupHardNegatives ?? {}).flat().length;
console.log(
  `generated ${records.length.toLocaleString('en-US')} records in ${Math.round(performance.now() - t0)} ms: ${lines} ordinary lines, ${labels.campaigns?.length} campaigns of ${campaignLines} lines, ${negativeLines} hard-negative lines, ${hours} hours, seed ${seed}`,
);
/** Event time past every window of the traffic: a record then closes them all. */
const closeAt = Date.parse(labels.start) + (hours + 2) * HOUR_MS;
const tick = (i: number): Cdr => ({
  ...(records[0] as Cdr),
  recordId: `close-${i}`,
  msisdn: `+6680000${String(i).padStart(4, '0')}`,
  imei: `3599999999${String(i).padStart(5, '0')}`,
  imsi: `52001999999${String(i).padStart(4, '0')}`,
  startedAt: closeAt,
});

await rm(dataDir, { recursive: true, force: true });
await mkdir(dataDir, { recursive: true });
const pg = await startEmbeddedPostgres({
  dataDir: resolve(dataDir, 'pg'),
  port: basePort,
  password: randomBytes(12).toString('hex'),
  log,
});
const children: ChildProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];
const auditKeys: AuditKey[] = [{ id: 'eval', key: randomBytes(32) }];
const secrets = {
  IDENTITY_PEPPER: randomBytes(32).toString('hex'),
  PII_KEYS: `k1:${randomBytes(32).toString('hex')}`,
  AUDIT_HMAC_KEY: auditKeys.map((k) => `${k.id}:${k.key.toString('hex')}`).join(','),
};

/** A fresh, migrated database on the embedded server. */
async function database(name: string): Promise<string> {
  const admin = postgres(pg.url.replace(/\/[^/]+$/, '/postgres'), { onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = pg.url.replace(/\/[^/]+$/, `/${name}`);
  await runMigrations(url);
  return url;
}

function start(
  env: Record<string, string>,
  args: string[] = [],
  stdout: 'ignore' | 'pipe' = 'ignore',
): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      LOG_LEVEL: stdout === 'pipe' ? 'info' : 'warn',
      ...secrets,
      RATE_LIMIT_RPS: '1000000',
      RATE_LIMIT_BURST: '1000000',
      ...env,
    },
    stdio: ['ignore', stdout, 'inherit'],
  });
  children.push(child);
  return child;
}

function stop(child: ChildProcess): Promise<void> {
  return stopped(child, 'SIGTERM');
}

function ready(port: number, child: ChildProcess): Promise<void> {
  return awaitReady(`http://127.0.0.1:${port}`, child, {
    what: `the process on port ${port}`,
    tries: 602,
  });
}

/** The alerts as `cdr evaluate` reads them, once their count has not moved for `quietMs`. */
async function settledEvaluation(url: string, quietMs: number): Promise<CampaignEvaluation> {
  const h = connect(url, { max: 1 });
  try {
    const since = new Date(labels.start);
    let last = -1;
    let stableSince = Date.now();
    for (;;) {
      const alerts = [
        ...(await listLineAlertSubjects(h.db, { since })),
        ...(await listGroupAlertMembers(h.db, { since })),
      ];
      if (alerts.length !== last) {
        last = alerts.length;
        stableSince = Date.now();
      } else if (Date.now() - stableSince >= quietMs) return evaluateCampaigns(labels, alerts);
      await sleep(500);
    }
  } finally {
    await h.close();
  }
}

async function operator(url: string): Promise<{ operatorId: string; apiKey: string }> {
  const h = connect(url, { max: 1 });
  try {
    return await createOperator({
      ctx: { db: withAuditKeys(h.db, auditKeys), actor: 'campaign-eval', now: new Date() },
      input: { name: 'Campaign evaluation', country: 'TH', mccMnc: ['520-01'] },
    });
  } finally {
    await h.close();
  }
}

/** (a) Every record posted to one API process in chunks, as `cdr push` does. */
async function overHttp(): Promise<CampaignEvaluation> {
  const url = await database('eval_http');
  const { apiKey } = await operator(url);
  const port = basePort + 1;
  const api = start({ DATABASE_URL: url, PORT: String(port), SIMLINE_ROLE: 'api' });
  await ready(port, api);
  const file = resolve(dataDir, 'cdrs.ndjson');
  await writeFile(file, `${[...records, tick(0)].map(encodeCdr).join('\n')}\n`);
  const t = performance.now();
  const pushed = await pushCdrs({
    file,
    url: `http://127.0.0.1:${port}`,
    apiKey,
    chunk: MAX_CDRS_PER_REQUEST,
  });
  const seconds = (performance.now() - t) / 1000;
  console.log(
    `http: ${pushed.accepted.toLocaleString('en-US')} accepted, ${pushed.duplicates} duplicates, ${pushed.rejected} rejected, ${pushed.late} late in ${seconds.toFixed(1)} s (${Math.round(pushed.records / seconds).toLocaleString('en-US')} records/s)`,
  );
  const e = await settledEvaluation(url, 2000);
  await stop(api);
  return e;
}

/** (b) Records produced to a topic that two scorer processes of one consumer group share. */
async function overKafka(): Promise<CampaignEvaluation> {
  let brokers = process.env.KAFKA_BROKERS;
  if (!brokers) {
    const broker = await startLocalBroker({ heapMb: 1024 });
    brokers = broker.brokers;
    cleanups.push(broker.stop);
  }
  const url = await database('eval_kafka');
  const id = randomBytes(3).toString('hex');
  const topics = {
    KAFKA_CDR_TOPIC: `g1-eval-${id}.cdr`,
    KAFKA_IMEI_TOPIC: `g1-eval-${id}.imei`,
    KAFKA_GROUP_TOPIC: `g1-eval-${id}.group`,
    KAFKA_DLQ_TOPIC: `g1-eval-${id}.dlq`,
    KAFKA_ALERTS_TOPIC: `g1-eval-${id}.alerts`,
    KAFKA_GROUP_ID: `g1-eval-${id}`,
  };
  await ensureTopics({ brokers }, [
    { topic: topics.KAFKA_CDR_TOPIC, partitions: PARTITIONS },
    { topic: topics.KAFKA_IMEI_TOPIC, partitions: PARTITIONS },
    { topic: topics.KAFKA_GROUP_TOPIC, partitions: PARTITIONS },
    { topic: topics.KAFKA_DLQ_TOPIC, partitions: 1 },
    { topic: topics.KAFKA_ALERTS_TOPIC, partitions: 1 },
  ]);
  const scorers = [0, 1].map((i) => {
    const port = basePort + 2 + i;
    const child = start(
      { DATABASE_URL: url, PORT: String(port), KAFKA_BROKERS: brokers, ...topics },
      ['--role', 'scorer'],
      'pipe',
    );
    const scorer = { port, child, lineAssignments: 0 };
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line.includes('"partitions assigned"') && line.includes('"stage":"line"'))
        scorer.lineAssignments++;
    });
    return scorer;
  });
  for (const s of scorers) await ready(s.port, s.child);
  const h = connect(url, { max: 1 });
  // Both instances hold partitions of the CDR topic before any record is produced.
  for (let i = 0; !scorers.every((s) => s.lineAssignments > 0); i++) {
    if (i > 600) throw new Error('the two scorers did not share the partitions');
    await sleep(200);
  }
  const t = performance.now();
  const producer = await KafkaProducer.connect({ brokers }, 'campaign-eval');
  for (const r of records) producer.produce(topics.KAFKA_CDR_TOPIC, r.msisdn, encodeCdr(r));
  // A record per partition past every window closes them on each partition.
  for (let p = 0; p < PARTITIONS; p++)
    producer.produce(topics.KAFKA_CDR_TOPIC, null, encodeCdr(tick(p + 1)), undefined, p);
  await producer.flush(300_000);
  await producer.disconnect();
  const total = records.length + PARTITIONS;
  for (;;) {
    const rows = await h.db
      .selectFrom('scoring_streams')
      .select(['next_offset'])
      .where('stream', 'like', `${topics.KAFKA_CDR_TOPIC}:%`)
      .execute();
    if (rows.reduce((n, r) => n + Number(r.next_offset ?? 0), 0) >= total) break;
    for (const s of scorers)
      if (s.child.exitCode !== null) throw new Error(`a scorer exited with ${s.child.exitCode}`);
    await sleep(500);
  }
  const seconds = (performance.now() - t) / 1000;
  console.log(
    `kafka: ${total.toLocaleString('en-US')} records drained by two scorers in ${seconds.toFixed(1)} s (${Math.round(total / seconds).toLocaleString('en-US')} records/s)`,
  );
  await h.close();
  // The repartition topics (IMEI, group) are drained after the records: wait for quiet alerts.
  const e = await settledEvaluation(url, 10_000);
  for (const s of scorers) await stop(s.child);
  return e;
}

function report(name: string, e: CampaignEvaluation): void {
  console.log(`\n== ${name} ==\n${renderCampaignEvaluation(e)}`);
  if (e.falsePositives.length > 0)
    console.log(
      `false positives: ${e.falsePositives.map((f) => `${f.msisdn} (${f.label}: ${f.rules.join(', ')})`).join('; ')}`,
    );
}

let ok = true;
const figures: Record<string, CampaignEvaluation> = {};
try {
  if (values.only !== 'kafka') {
    figures.http = await overHttp();
    report('over HTTP, one API process', figures.http);
    ok &&= figures.http.goals.all;
  }
  if (values.only !== 'http') {
    figures.kafka = await overKafka();
    report('over Kafka, two scorer instances', figures.kafka);
    ok &&= figures.kafka.goals.all;
  }
} finally {
  for (const c of children) await stop(c);
  await pg.stop();
  for (const c of cleanups) await c();
}
if (values.json !== undefined)
  await writeFile(
    resolve(values.json),
    `${JSON.stringify({ lines, hours, seed, records: records.length, ...figures }, null, 2)}\n`,
  );
console.log(`\nissue 15 goals: ${ok ? 'met' : 'NOT met'}`);
process.exit(ok ? 0 : 1);
