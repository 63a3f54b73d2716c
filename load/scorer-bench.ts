/**
 * Scorer benchmark. Prints figures; writes nothing outside a temp dir.
 *
 *   npx tsx load/scorer-bench.ts [--lines 50000] [--hours 26] [--commit-every 50000] [--kafka]
 *
 * 1. In-process: the same synthetic records (as Kafka would hand them, Buffers) through
 *    `JSON.parse` alone (the floor), through `decodeCdr`, and through decode + engine, measured
 *    in one run; then the engine's heap per active line.
 * 2. With --kafka: produces the records to a fresh topic (KAFKA_BROKERS, or a local broker it
 *    starts), drains it with `kcat -C` when installed and with the scorer's own consumer alone
 *    (nothing behind it, `load/lib/consume-alone.ts` in its own process), then starts the scorer
 *    as deployed (`src/main.ts --role scorer`, its own process: nothing of this benchmark's heap
 *    weighs on its GC) over the same topic and times its drain (Kafka in, Postgres state,
 *    offsets and alerts out) and its resident memory; then the alert latency: a burst produced
 *    live, until its alert is in Postgres.
 */

import { type ChildProcess, execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { connect } from '../src/platform/db/client.js';
import { startEmbeddedPostgres } from '../src/platform/db/embedded.js';
import { runMigrations } from '../src/platform/db/migrate.js';
import { ensureTopics, KafkaProducer } from '../src/platform/kafka/client.js';
import { startLocalBroker } from '../src/platform/kafka/local-broker.js';
import type { ConsumedMessage } from '../src/platform/kafka/messages.js';
import { createLogger } from '../src/platform/log.js';
import { startTsWorker } from '../src/platform/threads.js';
import { HOUR_MS } from '../src/platform/time.js';
import { decodeCdr, encodeCdr } from '../src/scoring/cdr.js';
import { ScoringEngine } from '../src/scoring/engine.js';
import { generateTraffic } from '../src/scoring/generator.js';
import { GroupEngine } from '../src/scoring/group/engine.js';
import { pack, transferList } from '../src/scoring/stage-protocol.js';
import { hash53 } from '../src/scoring/windows.js';
import { takeRecord, takeRecordWithGroups } from './lib/engine-step.js';
import { spawnScorer } from './lib/scorer.js';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '50000' },
    hours: { type: 'string', default: '26' },
    /** In-process engines: records between two advances and state exports (a commit). */
    'commit-every': { type: 'string', default: '50000' },
    kafka: { type: 'boolean', default: false },
  },
});
const lines = Number(values.lines);
const hours = Number(values.hours);
const commitEvery = Number(values['commit-every']);
const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
const fmt = (n: number) => n.toLocaleString('en-US');

const { records, labels } = generateTraffic({ lines, hours, seed: 42 });
const buffers = records.map((r) => Buffer.from(encodeCdr(r)));
const bytes = buffers.reduce((n, b) => n + b.length, 0);
console.log(
  `records: ${fmt(records.length)} (${lines} lines, ${hours} h, ${(bytes / 1e6).toFixed(1)} MB)`,
);

function timed(name: string, fn: () => number): number {
  const t = performance.now();
  const check = fn();
  const ms = performance.now() - t;
  console.log(
    `${name.padEnd(28)} ${fmt(rate(buffers.length, ms)).padStart(12)} records/s  (${check})`,
  );
  return rate(buffers.length, ms);
}

const parseRate = timed('JSON.parse (baseline)', () => {
  let n = 0;
  for (const b of buffers) if ((JSON.parse(b.toString('utf8')) as { msisdn?: string }).msisdn) n++;
  return n;
});
timed('decodeCdr', () => {
  let n = 0;
  for (const b of buffers) if (decodeCdr(b).ok) n++;
  return n;
});
/**
 * Decode + engine in this process, then the engine's heap per active line (then dropped); with
 * `groups`, each record's group sightings also encoded, decoded and taken by a group engine (the
 * group topic's round trip and the group stage, without Kafka), and its state exported as a
 * commit would: group rules off and on, measured in one run.
 */
function engineBench(groups: boolean): void {
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const engine = new ScoringEngine();
  const group = new GroupEngine(engine.thresholds);
  let alertCount = 0;
  const engineRate = timed(groups ? 'decode + engine + groups' : 'decode + engine', () => {
    let i = 0;
    for (const b of buffers) {
      if (++i % commitEvery === 0) {
        alertCount += engine.advance().alerts.length;
        engine.exportChanges('p0');
        engine.exportChanges('i0');
        if (groups) {
          alertCount += group.advance().length;
          group.exportChanges('g0');
        }
      }
      if (groups) takeRecordWithGroups(engine, group, 'p0', b);
      else takeRecord(engine, 'p0', b);
    }
    alertCount += engine.advance().alerts.length + group.advance().length;
    return alertCount;
  });
  console.log(`engine / JSON.parse: ${(engineRate / parseRate).toFixed(2)}`);
  global.gc?.();
  const heapAfter = process.memoryUsage().heapUsed;
  const size = group.size();
  console.log(
    `heap per active line: ${fmt(Math.round((heapAfter - heapBefore) / engine.activeLines()))} bytes (${fmt(engine.activeLines())} lines${groups ? `; group keys ${fmt(size.keys)}, members ${fmt(size.members)}` : ''}${global.gc ? '' : '; run with --expose-gc for a steadier figure'})`,
  );
}
engineBench(false);
engineBench(true);

/**
 * Decode + engine in stage threads fed by this thread the way the scorer's consuming thread
 * feeds them (batches of 2,000 packed into one transferred buffer, a line's records always to
 * the same thread), without Kafka or PostgreSQL: what the stages of one process can take.
 */
async function threadedEngineBench(count: number): Promise<void> {
  const threads = Array.from({ length: count }, () =>
    startTsWorker(new URL('./lib/engine-thread.ts', import.meta.url)),
  );
  await Promise.all(threads.map((t) => new Promise((r) => t.once('message', r))));
  const partitions = records.map((r) => hash53(r.msisdn) % 4);
  let waiting = 0;
  /** Records each thread's engine took in so far (accepted, duplicate or late). */
  const taken = threads.map(() => 0);
  const done = new Promise<void>((resolve) => {
    threads.forEach((t, i) => {
      t.on('message', (m: { taken: { accepted: number; duplicates: number; late: number } }) => {
        taken[i] = m.taken.accepted + m.taken.duplicates + m.taken.late;
        if (--waiting === 0) resolve();
      });
    });
  });
  const t0 = performance.now();
  for (let first = 0; first < buffers.length; first += 2000) {
    const parts = threads.map((): ConsumedMessage[] => []);
    for (let i = first; i < Math.min(buffers.length, first + 2000); i++) {
      const partition = partitions[i] as number;
      parts[partition % count]?.push({
        topic: 'bench',
        partition,
        offset: i,
        key: null,
        value: buffers[i] as Buffer,
      });
    }
    threads.forEach((t, i) => {
      const mine = parts[i] as ConsumedMessage[];
      if (mine.length === 0) return;
      const b = pack(mine, 'bench', []);
      waiting++;
      t.postMessage({ ...b, id: first }, transferList(b));
    });
  }
  await done;
  const ms = performance.now() - t0;
  console.log(
    `${`decode + engine, ${count} thread${count > 1 ? 's' : ''}`.padEnd(28)} ${fmt(rate(buffers.length, ms)).padStart(12)} records/s  (${taken.reduce((n, x) => n + x, 0)}; fed as the scorer's consuming thread feeds its stage threads, no Kafka, no PostgreSQL)`,
  );
  await Promise.all(threads.map((t) => t.terminate()));
}
await threadedEngineBench(1);
await threadedEngineBench(2);

if (values.kafka) await kafkaBench();

async function kafkaBench(): Promise<void> {
  const log = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', destination: 2 });
  let brokers = process.env.KAFKA_BROKERS;
  const cleanups: (() => Promise<void>)[] = [];
  if (!brokers) {
    const broker = await startLocalBroker({ heapMb: 1024 });
    brokers = broker.brokers;
    cleanups.push(broker.stop);
  }
  let dbUrl = process.env.DATABASE_URL;
  if (!dbUrl) {
    const dir = await mkdtemp(join(tmpdir(), 'simline-bench-'));
    const pg = await startEmbeddedPostgres({
      dataDir: dir,
      port: 54000 + Math.floor(Math.random() * 1000),
      password: 'bench-only',
      log,
    });
    dbUrl = pg.url;
    cleanups.push(async () => {
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    });
  }
  await runMigrations(dbUrl);
  const id = randomBytes(3).toString('hex');
  const topic = `bench-${id}.cdr`;
  await ensureTopics({ brokers }, [{ topic, partitions: 4 }]);
  const producer = await KafkaProducer.connect({ brokers }, 'bench');
  let t = performance.now();
  for (let i = 0; i < buffers.length; i++)
    producer.produce(topic, records[i]?.msisdn ?? null, buffers[i] as Buffer);
  await producer.flush(300_000);
  console.log(`produced in ${Math.round(performance.now() - t)} ms`);

  let kcatRate: number | undefined;
  if (spawnSync('kcat', ['-V']).status === 0) {
    t = performance.now();
    execFileSync('kcat', ['-C', '-b', brokers, '-t', topic, '-o', 'beginning', '-e', '-q'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      maxBuffer: 1 << 30,
    });
    kcatRate = rate(buffers.length, performance.now() - t);
    console.log(`kcat -C drain               ${fmt(kcatRate).padStart(12)} records/s`);
  } else console.log('kcat not installed: skipping its drain (apt-get install kcat)');

  // The scorer's own consumer with nothing behind it, in a fresh process: what one Node thread
  // can take in through node-rdkafka's consume(n) on this machine, the ceiling for the scorer.
  // With the broker's CPU over the same drain, it is the floor of any scorer on this stack: what
  // reading the records costs before anything decodes, scores or stores them.
  const aloneFrom = cpuTicks(process.pid);
  const alone = JSON.parse(
    execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'load/lib/consume-alone.ts',
        brokers,
        topic,
        String(buffers.length),
        process.env.KAFKA_BATCH_SIZE ?? '2000',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    ),
  ) as { rate: number; steady: number; cpuUs: number; rss: number };
  const aloneTo = cpuTicks(process.pid);
  console.log(
    `consume(n) alone           ${fmt(alone.rate).padStart(12)} records/s (the scorer's consumer, nothing behind it, own process; ${fmt(alone.steady)}/s from its first message)`,
  );
  const aloneUs = alone.cpuUs / buffers.length;
  const aloneBrokerUs = tickDelta(aloneFrom, aloneTo, 'Kafka broker', buffers.length);
  console.log(
    `CPU per record, consume(n) alone (µs): its process ${aloneUs.toFixed(1)}, the broker ${aloneBrokerUs.toFixed(1)}; at that floor this machine's ${availableParallelism()} cores allow ${fmt(Math.round((availableParallelism() * 1e6) / (aloneUs + aloneBrokerUs)))} records/s before anything is decoded, scored or stored`,
  );

  // The scorer as it is deployed: `src/main.ts --role scorer` in its own process, so nothing of
  // this benchmark's heap (records, buffers, the in-process engine) weighs on its GC.
  const scorer = await startScorer(dbUrl, brokers, id, topic);
  const cpuFrom = cpuTicks(scorer.child.pid as number);
  const handle = connect(dbUrl, { max: 2 });
  const offsets = async () => {
    const rows = await handle.db
      .selectFrom('scoring_streams')
      .select('next_offset')
      .where('stream', 'like', `${topic}:%`)
      .execute();
    return rows.reduce((n, r) => n + Number(r.next_offset ?? 0), 0);
  };
  while ((await offsets()) < buffers.length) await new Promise((r) => setTimeout(r, 100));
  const scorerEnd = performance.now();
  const cpuTo = cpuTicks(scorer.child.pid as number);
  const rssEnd = residentBytes(scorer.child.pid);
  const scorerRate = rate(buffers.length, scorerEnd - scorer.spawned);
  const fromReady = rate(buffers.length, scorerEnd - scorer.ready);
  console.log(
    `scorer end-to-end drain     ${fmt(scorerRate).padStart(12)} records/s (own process, to Postgres, incl. start-up and IMEI repartition; ${fmt(fromReady)}/s from its consumers' start)`,
  );
  if (kcatRate) console.log(`scorer / kcat: ${(fromReady / kcatRate).toFixed(2)}`);
  console.log(
    `scorer / consume(n) alone, from first message: ${(fromReady / alone.steady).toFixed(2)}`,
  );
  console.log(`scorer / the 200,000 records/s target: ${(fromReady / 200_000).toFixed(2)}`);
  printCpu(cpuFrom, cpuTo, buffers.length);
  const active = await handle.db
    .selectFrom('scoring_line_state')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('stream', 'like', `${topic}:%`)
    .executeTakeFirstOrThrow();
  const activeLines = Number(active.n);
  console.log(
    `scorer resident memory: ${fmt(Math.round(scorer.rssReady / 1e6))} MB at start, ${fmt(Math.round(rssEnd / 1e6))} MB drained (${fmt(activeLines)} active lines); the consumer alone ${fmt(Math.round(alone.rss / 1e6))} MB drained`,
  );
  console.log(
    `resident memory per active line: ${fmt(Math.round((rssEnd - scorer.rssReady) / activeLines))} bytes at most (growth from start over the active lines; includes librdkafka's read-ahead, which the consumer alone shows; run two --lines sizes for the slope)`,
  );

  // A line of its own per run: an earlier run's alert on the same database must not count.
  const line = `+66899${String(Number.parseInt(id, 16) % 1_000_000).padStart(6, '0')}`;
  const start = Date.parse(labels.start) + hours * HOUR_MS;
  const sent = performance.now();
  for (let i = 0; i < 101; i++)
    producer.produce(
      topic,
      line,
      encodeCdr({
        ...(records[0] as (typeof records)[number]),
        recordId: `lat-${i}`,
        msisdn: line,
        otherParty: `+6681${String(i).padStart(7, '0')}`,
        startedAt: start + i * 1000,
      }),
    );
  await producer.flush();
  for (;;) {
    const hit = await handle.db
      .selectFrom('scoring_alerts')
      .select('id')
      .where('msisdn', '=', line)
      .executeTakeFirst();
    if (hit) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  console.log(
    `alert latency (last event produced -> alert in Postgres): ${Math.round(performance.now() - sent)} ms`,
  );
  await new Promise<void>((r) => {
    scorer.child.once('exit', () => r());
    scorer.child.kill('SIGTERM');
  });
  await producer.disconnect();
  await handle.close();
  for (const c of cleanups.reverse()) await c();
}

/**
 * CPU time so far, in clock ticks, of the scorer's threads by kind (its main thread, its stage
 * threads, librdkafka's, the rest: V8's GC helpers and libuv's pool), of PostgreSQL's processes,
 * of the broker, and the machine's idle time.
 */
function cpuTicks(scorerPid: number): Map<string, number> {
  const out = new Map<string, number>();
  const add = (kind: string, n: number) => out.set(kind, (out.get(kind) ?? 0) + n);
  const busy = (stat: string) => {
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  };
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  };
  for (const tid of readdirSync(`/proc/${scorerPid}/task`)) {
    const comm = read(`/proc/${scorerPid}/task/${tid}/comm`)?.trim();
    const stat = read(`/proc/${scorerPid}/task/${tid}/stat`);
    if (comm === undefined || stat === undefined) continue;
    const kind =
      Number(tid) === scorerPid
        ? 'scorer main thread'
        : comm.startsWith('scorer-')
          ? 'scorer stage threads'
          : comm.startsWith('rdk:')
            ? 'scorer librdkafka threads'
            : 'scorer GC and libuv threads';
    add(kind, busy(stat));
  }
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = read(`/proc/${pid}/stat`);
    if (stat === undefined) continue;
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    if (comm === 'postgres') add('PostgreSQL', busy(stat));
    else if (comm === 'java') add('Kafka broker', busy(stat));
  }
  const cpu = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').split(/\s+/);
  add('idle', Number(cpu[4]) + Number(cpu[5]));
  return out;
}

/** CPU microseconds per record of one kind between two `cpuTicks`. */
function tickDelta(
  from: Map<string, number>,
  to: Map<string, number>,
  kind: string,
  records: number,
): number {
  /** Clock ticks a second of /proc's CPU times (USER_HZ, 100 on Linux). */
  const ticksPerSecond = 100;
  return (((to.get(kind) ?? 0) - (from.get(kind) ?? 0)) * 1e6) / ticksPerSecond / records;
}

/** CPU microseconds per record between two `cpuTicks`, and what they allow. */
function printCpu(from: Map<string, number>, to: Map<string, number>, records: number): void {
  const us = (kind: string) => tickDelta(from, to, kind, records);
  const kinds = [...to.keys()].filter((k) => k !== 'idle');
  const total = kinds.reduce((n, k) => n + us(k), 0);
  console.log(
    `CPU per record during the drain (µs): ${kinds.map((k) => `${k} ${us(k).toFixed(1)}`).join(', ')}; total ${total.toFixed(1)}, the machine idle ${us('idle').toFixed(1)}`,
  );
  const cores = availableParallelism();
  const main = us('scorer main thread');
  const scorer = kinds.filter((k) => k.startsWith('scorer ')).reduce((n, k) => n + us(k), 0);
  console.log(
    `at that cost: ${fmt(Math.round((cores * 1e6) / total))} records/s on this machine's ${cores} cores at full use; the scorer's main thread alone allows ${fmt(Math.round(1e6 / main))} records/s; the scorer's process (all its threads, ${scorer.toFixed(1)} µs a record) takes ${((scorer * 200_000) / 1e6).toFixed(1)} cores at 200,000 records/s`,
  );
}

/** Resident set size of a process, from /proc. */
function residentBytes(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kb ?? 0) * 1024;
}

/**
 * Starts the scorer role the way `npm start` runs it and resolves once it logs that its
 * consumers started, with the times of spawn and start and its resident memory then.
 */
function startScorer(dbUrl: string, brokers: string, id: string, topic: string) {
  const spawned = performance.now();
  const child = spawnScorer({
    databaseUrl: dbUrl,
    brokers,
    topics: {
      cdr: topic,
      imei: `bench-${id}.imei`,
      dlq: `bench-${id}.dlq`,
      alerts: `bench-${id}.alerts`,
      group: `bench-${id}`,
    },
    logLevel: 'info',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise<{ child: ChildProcess; spawned: number; ready: number; rssReady: number }>(
    (resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`scorer exited with ${code}`)));
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      lines.on('line', (line) => {
        if (!line.includes('"scorer consuming"')) return;
        resolve({
          child,
          spawned,
          ready: performance.now(),
          rssReady: residentBytes(child.pid),
        });
      });
    },
  );
}
