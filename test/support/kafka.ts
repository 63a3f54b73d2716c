import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import Kafka from 'node-rdkafka';
import { inject } from 'vitest';
import { stopped } from '../../load/lib/instance.js';
import { ensureTopics, KafkaProducer } from '../../src/platform/kafka/client.js';
import type { World } from './world.js';

export const brokers = () => inject('kafkaBrokers');

/** Fresh topic names for one test, so tests never read each other's records. */
export function topics(partitions = 4) {
  const id = randomBytes(4).toString('hex');
  return {
    partitions,
    cdr: `t${id}.cdr.records`,
    dlq: `t${id}.cdr.dlq`,
    alerts: `t${id}.line.alerts`,
    imei: `t${id}.imei-repartition`,
    groupSightings: `t${id}.group-repartition`,
    group: `t${id}.scorer`,
  };
}
export type Topics = ReturnType<typeof topics>;

export async function createTopics(t: Topics): Promise<void> {
  await ensureTopics({ brokers: brokers() }, [
    { topic: t.cdr, partitions: t.partitions },
    { topic: t.imei, partitions: t.partitions },
    { topic: t.groupSightings, partitions: t.partitions },
    { topic: t.dlq, partitions: 1 },
    { topic: t.alerts, partitions: 1 },
  ]);
}

export async function produce(
  topic: string,
  messages: { key: string | null; value: string; partition?: number }[],
): Promise<void> {
  const p = await KafkaProducer.connect({ brokers: brokers() }, 'simline-test');
  for (const m of messages) p.produce(topic, m.key, m.value, undefined, m.partition ?? null);
  await p.flush();
  await p.disconnect();
}

const outputs = new WeakMap<ChildProcess, string[]>();

/** The JSON log lines a spawned scorer wrote. */
export function logsOf(child: ChildProcess): Record<string, unknown>[] {
  return (outputs.get(child) ?? []).flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** The settings that point a scorer at the world's database, the broker and the given topics. */
export function scorerEnv(w: World, t: Topics): Record<string, string> {
  return {
    DATABASE_URL: w.url,
    KAFKA_BROKERS: brokers(),
    KAFKA_CDR_TOPIC: t.cdr,
    KAFKA_DLQ_TOPIC: t.dlq,
    KAFKA_ALERTS_TOPIC: t.alerts,
    KAFKA_IMEI_TOPIC: t.imei,
    KAFKA_GROUP_TOPIC: t.groupSightings,
    KAFKA_GROUP_ID: t.group,
  };
}

/** Starts `src/main.ts --role scorer` against the world's database and the given topics. */
export function spawnScorer(w: World, t: Topics, extra: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--role', 'scorer'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'test',
      /** Every role serves its probes: any free port, so instances never collide. */
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      IDENTITY_PEPPER: randomBytes(32).toString('hex'),
      PII_KEYS: `k1:${randomBytes(32).toString('hex')}`,
      ...scorerEnv(w, t),
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  outputs.set(child, lines);
  child.stdout?.on('data', (b: Buffer) => lines.push(...b.toString().split('\n')));
  child.stderr?.on('data', (b: Buffer) => process.stderr.write(`[scorer ${child.pid}] ${b}`));
  return child;
}

export { stopped };

/** Sum of the next offsets stored for a topic's partitions (= records consumed from offset 0). */
export async function consumedOffsets(w: World, topic: string): Promise<number> {
  const rows = await w.deps.db
    .selectFrom('scoring_streams')
    .select(['next_offset'])
    .where('stream', 'like', `${topic}:%`)
    .execute();
  return rows.reduce((n, r) => n + Number(r.next_offset ?? 0), 0);
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 90_000,
  everyMs = 200,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Reads `count` messages of a topic from its start, or fewer once one satisfies `until`. */
export async function readTopic(
  topic: string,
  count: number,
  until: (m: Kafka.Message) => boolean = () => false,
): Promise<Kafka.Message[]> {
  const c = new Kafka.KafkaConsumer(
    {
      'metadata.broker.list': brokers(),
      'group.id': `reader-${randomBytes(4).toString('hex')}`,
      'enable.auto.commit': false,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) => {
    c.once('ready', () => resolve());
    c.once('connection.failure', reject);
    c.connect();
  });
  c.subscribe([topic]);
  const out: Kafka.Message[] = [];
  const deadline = Date.now() + 30_000;
  while (out.length < count && Date.now() < deadline) {
    const batch = await new Promise<Kafka.Message[]>((resolve, reject) =>
      c.consume(1000, (err, m) => (err ? reject(err) : resolve(m))),
    );
    out.push(...batch);
    if (batch.some(until)) break;
  }
  await new Promise<void>((r) => c.disconnect(() => r()));
  return out;
}

/** The sum of a topic's high watermarks: how many records it holds (from offset 0). */
export async function topicSize(topic: string, partitions: number): Promise<number> {
  const c = new Kafka.KafkaConsumer(
    { 'metadata.broker.list': brokers(), 'group.id': `size-${randomBytes(4).toString('hex')}` },
    {},
  );
  await new Promise<void>((resolve, reject) => {
    c.once('ready', () => resolve());
    c.once('connection.failure', reject);
    c.connect();
  });
  let total = 0;
  for (let p = 0; p < partitions; p++)
    total += await new Promise<number>((resolve, reject) =>
      c.queryWatermarkOffsets(topic, p, 10_000, (err, o) =>
        err ? reject(err) : resolve(o.highOffset),
      ),
    );
  await new Promise<void>((r) => c.disconnect(() => r()));
  return total;
}

/**
 * One scorer alone on its topics (in `alone`'s database), and a pair of scorers (in `paired`'s),
 * one running its stages in two threads, on a second set of topics that reads the same CDR
 * topic: fed the same records, the pair must raise what the single one does. Resolves once both
 * of the pair were assigned partitions of `stage`.
 */
export async function startSingleAndPair(
  alone: World,
  paired: World,
  stage: 'line' | 'group',
  /** Settings of the pair's second (unthreaded) instance beyond the defaults. */
  secondEnv: Record<string, string> = {},
) {
  const one = topics();
  await createTopics(one);
  const two = { ...topics(), cdr: one.cdr, partitions: one.partitions };
  await createTopics(two);
  const single = spawnScorer(alone, one);
  const pair = ['2', '0'].map((threads) =>
    spawnScorer(paired, two, {
      LOG_LEVEL: 'info',
      SCORER_THREADS: threads,
      ...(threads === '0' ? secondEnv : {}),
    }),
  );
  /** The child's logged assignments of `stage` partitions. */
  const assignments = (child: ChildProcess) =>
    logsOf(child).filter((l) => l.msg === 'partitions assigned' && l.stage === stage);
  await waitFor(`both instances to share the ${stage} partitions`, async () =>
    pair.every((c) => assignments(c).length > 0),
  );
  return {
    one,
    two,
    pair,
    assignments,
    stop: () => Promise.all([single, ...pair].map((c) => stopped(c, 'SIGTERM'))),
  };
}
