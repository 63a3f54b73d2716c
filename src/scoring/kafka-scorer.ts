import type { Worker } from 'node:worker_threads';
import type { Config } from '../config.js';
import type { Db } from '../platform/db/client.js';
import {
  ensureTopics,
  type KafkaMessage,
  KafkaProducer,
  type KafkaSettings,
  ManualConsumer,
  type ManualConsumerHooks,
} from '../platform/kafka/client.js';
import type { PartitionAssignment } from '../platform/kafka/messages.js';
import type { Logger } from '../platform/log.js';
import type { Metrics } from '../platform/metrics.js';
import { startTsWorker } from '../platform/threads.js';
import type { IndicatorChange, WatchlistMatcher } from '../watchlist/matching/matcher.js';
import { WatchlistSync } from '../watchlist/matching/sync.js';
import type { RuleSettings } from './engine.js';
import { loadScorerReference } from './pipeline.js';
import { lockUnpublishedAlerts, markAlertsPublished, type StoredAlert } from './queries.js';
import { ALERT_RULE_CODES } from './rules/index.js';
import { OUTCOMES, Stage, type StageIo, type StageKind, stageTopic } from './stage.js';
import {
  type FromWorker,
  pack,
  type StageWorkerData,
  type ToWorker,
  transferList,
} from './stage-protocol.js';

export interface ScorerStats {
  batches: number;
  records: number;
  deadLettered: number;
  alerts: number;
}

export function kafkaSettings(config: Config): KafkaSettings {
  return {
    brokers: config.KAFKA_BROKERS ?? '',
    securityProtocol: config.KAFKA_SECURITY_PROTOCOL,
    saslMechanism: config.KAFKA_SASL_MECHANISM,
    saslUsername: config.KAFKA_SASL_USERNAME,
    saslPassword: config.KAFKA_SASL_PASSWORD,
    sslCaLocation: config.KAFKA_SSL_CA_LOCATION,
  };
}

/** What the runners of both stages share from the scorer. */
interface Shared {
  db: Db;
  databaseUrl: string;
  log: Logger;
  producer: KafkaProducer;
  config: Config;
  networks: () => Map<string, string>;
  stats: ScorerStats;
  metrics: Metrics;
  onAlerts: (alerts: StoredAlert[]) => void;
  onFatal: (err: unknown) => void;
}

type Reported = 'counted' | 'lag' | 'committed' | 'alerts' | 'fatal';

/** Where a stage's figures, alerts and failures go, wherever the stage runs. */
function reports(kind: StageKind, s: Shared): Pick<StageIo, Reported> {
  return {
    counted: (counts) => {
      for (const [outcome, n] of Object.entries(counts))
        if (n > 0) s.metrics.scorerRecords.inc({ stage: kind, outcome }, n);
      if (counts.dead_lettered > 0) {
        s.stats.deadLettered += counts.dead_lettered;
        s.metrics.scorerDeadLettered.inc({ stage: kind }, counts.dead_lettered);
      }
    },
    lag: (partition, lag) => {
      const labels = { stage: kind, partition: String(partition) };
      if (lag === undefined) s.metrics.scorerLag.remove(labels);
      else s.metrics.scorerLag.set(labels, lag);
    },
    committed: (seconds) => {
      s.metrics.scorerCommitSeconds.observe({ stage: kind }, seconds);
      s.stats.batches++;
    },
    alerts: s.onAlerts,
    fatal: s.onFatal,
  };
}

function groupConsumer(kind: StageKind, s: Shared, hooks: ManualConsumerHooks): ManualConsumer {
  const c = s.config;
  const topic = stageTopic(kind, c);
  const group = kind === 'line' ? c.KAFKA_GROUP_ID : `${c.KAFKA_GROUP_ID}.${kind}`;
  return new ManualConsumer(kafkaSettings(c), group, [topic], hooks, s.onFatal);
}

interface StageRunner {
  setSettings(settings: RuleSettings, networks: Map<string, string>): void;
  /**
   * Watchlist rows changed in `matcher` (this thread's index): a stage thread reads its shared
   * tables and applies `changes` (what they do not hold) to its own.
   */
  watchlistChanged(matcher: WatchlistMatcher, changes: IndicatorChange[]): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A stage on this thread, fed by its own group consumer. */
class LocalStage implements StageRunner {
  private readonly stage: Stage;
  private readonly consumer: ManualConsumer;

  constructor(
    kind: StageKind,
    private readonly s: Shared,
  ) {
    this.stage = new Stage(kind, {
      ...reports(kind, s),
      db: s.db,
      log: s.log,
      config: s.config,
      networks: s.networks,
      produce: (topic, key, value, headers) => s.producer.produce(topic, key, value, headers),
      flush: () => s.producer.flush(),
      highWatermark: (topic, partition) => this.consumer.highWatermark(topic, partition),
    });
    this.consumer = groupConsumer(kind, s, {
      onAssign: (parts) => this.stage.assign(parts),
      onRevoke: (parts) => this.stage.revoke(parts),
    });
  }

  setSettings(settings: RuleSettings): void {
    this.stage.setSettings(settings);
  }

  watchlistChanged(matcher: WatchlistMatcher): void {
    this.stage.engine.setWatchlist(matcher);
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    this.consumer.start(this.s.config.KAFKA_BATCH_SIZE, (messages) => {
      this.s.stats.records += messages.length;
      return this.stage.handle(messages);
    });
  }

  async stop(): Promise<void> {
    await this.consumer.halt();
    await this.consumer.exclusive(() => this.stage.settle());
    await this.consumer.disconnect();
  }
}

/** How often the scorer looks for committed alerts still off the topic (after a crash, say). */
const OUTBOX_POLL_MS = 5_000;
/** Alerts published, and marked, per transaction. */
const OUTBOX_BATCH = 500;

/** An alert as `line.alerts` carries it. */
function alertMessage(a: StoredAlert): string {
  return JSON.stringify({
    id: String(a.id),
    msisdn: a.msisdn,
    operatorId: a.operatorId,
    rule: a.rule,
    score: a.score,
    windowStart: a.windowStart.toISOString(),
    windowEnd: a.windowEnd.toISOString(),
    evidence: a.evidence,
    createdAt: a.createdAt.toISOString(),
  });
}

/** Batches a thread may have waiting or in work before the consumer waits for it. */
const BATCHES_AHEAD = 2;

/** One worker thread running a stage (`stage-worker.ts`), and the requests it owes. */
class StageThread {
  private readonly worker: Worker;
  private requests = 0;
  private readonly waiting = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  private readonly batches: Promise<void>[] = [];
  /** The partitions this thread owns (their high watermarks go with each batch). */
  readonly partitions = new Set<number>();
  private closing = false;
  /** Why the thread stopped answering, once it did: requests then fail at once. */
  private failed: Error | undefined;
  private readonly onFatal: (err: unknown) => void;

  constructor(kind: StageKind, thread: number, s: Shared) {
    const workerData: StageWorkerData = {
      role: 'scorer-stage',
      kind,
      config: s.config,
      databaseUrl: s.databaseUrl,
      logLevel: s.log.level,
      thread,
    };
    this.worker = startTsWorker(new URL('./stage-worker.ts', import.meta.url), { workerData });
    this.onFatal = s.onFatal;
    const r = reports(kind, s);
    this.worker.on('message', (m: FromWorker) => {
      switch (m.t) {
        case 'reply': {
          const w = this.waiting.get(m.id);
          this.waiting.delete(m.id);
          if (m.error === undefined) w?.resolve(m.value);
          else w?.reject(new Error(m.error));
          return;
        }
        case 'produce':
          for (const [topic, key, value, headers] of m.items)
            s.producer.produce(topic, key, value, headers);
          return;
        case 'flush':
          s.producer.flush().then(
            () => this.post({ t: 'flushed', id: m.id }),
            (err: unknown) => this.post({ t: 'flushed', id: m.id, error: String(err) }),
          );
          return;
        case 'counted':
          return r.counted(m.counts);
        case 'lag':
          return r.lag(m.partition, m.lag);
        case 'committed':
          return r.committed(m.seconds);
        case 'alerts':
          return r.alerts(m.alerts);
        case 'fatal':
          return r.fatal(new Error(m.error));
      }
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`scorer ${kind} thread ${thread} exited (${code})`));
    });
  }

  /** The thread died: what waits for it fails, and so does the scorer (it exits and restarts). */
  private fail(err: Error): void {
    if (this.failed !== undefined) return;
    this.failed = err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
    this.onFatal(err);
  }

  post(m: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(m, transfer);
  }

  request<T>(
    m: DistributiveOmit<Exclude<ToWorker, { t: 'settings' | 'flushed' }>, 'id'>,
    transfer: ArrayBuffer[] = [],
  ): Promise<T> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    const id = ++this.requests;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.post({ ...m, id } as ToWorker, transfer);
    });
  }

  /** Hands a batch over; waits while the thread is BATCHES_AHEAD batches behind. */
  async handle(messages: readonly KafkaMessage[], topic: string, highs: number[]): Promise<void> {
    const b = pack(messages, topic, highs);
    // A batch the thread failed to take in is fatal, as on the main thread.
    const done = this.request<void>({ t: 'batch', ...b }, transferList(b)).catch(this.onFatal);
    this.batches.push(done);
    while (this.batches.length > BATCHES_AHEAD) await this.batches.shift();
  }

  /** Stores what the thread holds and ends it (a failed thread is just ended). */
  async close(): Promise<void> {
    try {
      if (this.failed === undefined) await this.request({ t: 'close' });
    } finally {
      this.closing = true;
      await this.worker.terminate();
    }
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * A stage in worker threads, fed by its group consumer on this thread: partition p belongs to
 * thread p mod the thread count, which decodes, scores and commits its partitions' state and
 * offsets itself. This thread reads, hands batches over and produces what the threads ask.
 */
class ThreadedStage implements StageRunner {
  private readonly threads: StageThread[];
  private readonly consumer: ManualConsumer;
  private readonly topic: string;

  constructor(
    kind: StageKind,
    count: number,
    private readonly s: Shared,
  ) {
    this.topic = stageTopic(kind, s.config);
    this.threads = Array.from({ length: count }, (_, i) => new StageThread(kind, i, s));
    this.consumer = groupConsumer(kind, s, {
      onAssign: async (parts) => {
        const offsets = new Map<string, number | null>();
        const replies = await this.each(parts, (t, mine) => {
          for (const p of mine) t.partitions.add(p.partition);
          return t.request<Map<string, number | null>>({ t: 'assign', parts: mine });
        });
        for (const r of replies) for (const [k, v] of r) offsets.set(k, v);
        return offsets;
      },
      onRevoke: async (parts) => {
        await this.each(parts, (t, mine) => {
          for (const p of mine) t.partitions.delete(p.partition);
          return t.request<void>({ t: 'revoke', parts: mine });
        });
      },
    });
  }

  private thread(partition: number): StageThread {
    return this.threads[partition % this.threads.length] as StageThread;
  }

  /** Calls `fn` for each thread owning some of `parts`, with those parts. */
  private each<T>(
    parts: readonly PartitionAssignment[],
    fn: (t: StageThread, mine: PartitionAssignment[]) => Promise<T>,
  ): Promise<T[]> {
    const byThread = new Map<StageThread, PartitionAssignment[]>();
    for (const p of parts) {
      const t = this.thread(p.partition);
      byThread.set(t, [...(byThread.get(t) ?? []), p]);
    }
    return Promise.all([...byThread].map(([t, mine]) => fn(t, mine)));
  }

  setSettings(settings: RuleSettings, networks: Map<string, string>): void {
    for (const t of this.threads) t.post({ t: 'settings', settings, networks });
  }

  watchlistChanged(matcher: WatchlistMatcher, changes: IndicatorChange[]): void {
    const tables = matcher.shared();
    for (const t of this.threads) t.post({ t: 'watchlist', changes, tables });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    this.consumer.start(this.s.config.KAFKA_BATCH_SIZE, (messages) => this.handle(messages));
  }

  /** Splits a batch by owning thread; an empty batch reaches every thread (commits on time). */
  private async handle(messages: KafkaMessage[]): Promise<void> {
    this.s.stats.records += messages.length;
    const parts = this.threads.map((): KafkaMessage[] => []);
    for (const m of messages) parts[m.partition % parts.length]?.push(m);
    await Promise.all(
      this.threads.map((t, i) => {
        const mine = parts[i] as KafkaMessage[];
        if (mine.length === 0 && messages.length > 0) return undefined;
        const highs: number[] = [];
        for (const p of t.partitions) {
          const high = this.consumer.highWatermark(this.topic, p);
          if (high !== undefined) highs.push(p, high);
        }
        return t.handle(mine, this.topic, highs);
      }),
    );
  }

  /** Stores what every thread holds, leaves the group and ends the threads, even a failed one. */
  async stop(): Promise<void> {
    await this.consumer.halt();
    const settled = await this.consumer.exclusive(() =>
      Promise.allSettled(this.threads.map((t) => t.request({ t: 'settle' }))),
    );
    await this.consumer.disconnect();
    const closed = await Promise.allSettled(this.threads.map((t) => t.close()));
    for (const r of [...settled, ...closed]) if (r.status === 'rejected') throw r.reason;
  }
}

/**
 * The scorer role: the line stage and the IMEI stage, a producer for the DLQ, the repartition
 * topic and `line.alerts`, and a periodic reload of thresholds, allowlist and operator networks.
 */
export class KafkaScorer {
  readonly stats: ScorerStats = { batches: 0, records: 0, deadLettered: 0, alerts: 0 };
  private stages: StageRunner[] = [];
  private producer: KafkaProducer | undefined;
  private reload: NodeJS.Timeout | undefined;
  private watchlistReload: NodeJS.Timeout | undefined;
  /** The listed indicators, read here and passed on to every stage (threads get the rows). */
  private readonly watchlist: WatchlistSync;
  private networks = new Map<string, string>();
  private outbox: NodeJS.Timeout | undefined;
  private publishing: Promise<void> | undefined;
  private publishAgain = false;

  constructor(
    private readonly db: Db,
    /** The database `db` is on, for the stage's own threads to connect to. */
    private readonly databaseUrl: string,
    private readonly config: Config,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly onFatal: (err: unknown) => void,
  ) {
    this.watchlist = new WatchlistSync(db, (changes) => {
      for (const s of this.stages) s.watchlistChanged(this.watchlist.matcher, changes);
    });
  }

  async start(): Promise<void> {
    const c = this.config;
    const settings = kafkaSettings(c);
    await ensureTopics(settings, [
      { topic: c.KAFKA_CDR_TOPIC, partitions: 4 },
      { topic: c.KAFKA_IMEI_TOPIC, partitions: 4 },
      { topic: c.KAFKA_GROUP_TOPIC, partitions: 4 },
      { topic: c.KAFKA_DLQ_TOPIC, partitions: 1 },
      { topic: c.KAFKA_ALERTS_TOPIC, partitions: 4 },
    ]);
    const producer = await KafkaProducer.connect(settings, 'simline-scorer');
    this.producer = producer;
    // Every series from the start, at 0, so rate() and alerts on absence work after a restart.
    for (const stage of ['line', 'imei', 'group'] as const) {
      for (const outcome of OUTCOMES) this.metrics.scorerRecords.inc({ stage, outcome }, 0);
      this.metrics.scorerDeadLettered.inc({ stage }, 0);
    }
    for (const rule of ALERT_RULE_CODES) this.metrics.scorerAlerts.inc({ rule }, 0);
    const shared: Shared = {
      db: this.db,
      databaseUrl: this.databaseUrl,
      log: this.log,
      producer,
      config: c,
      networks: () => this.networks,
      stats: this.stats,
      metrics: this.metrics,
      onAlerts: (alerts: StoredAlert[]) => this.raised(alerts),
      onFatal: this.onFatal,
    };
    // With threads, the IMEI stage (a small share of the records) gets one of its own, and so
    // does the group stage.
    const threads = c.SCORER_THREADS;
    const kinds: StageKind[] = c.SCORING_GROUPS ? ['line', 'imei', 'group'] : ['line', 'imei'];
    this.stages = kinds.map((kind) =>
      threads > 0
        ? new ThreadedStage(kind, kind === 'line' ? threads : 1, shared)
        : new LocalStage(kind, shared),
    );
    await this.refresh();
    for (const s of this.stages) s.watchlistChanged(this.watchlist.matcher, []);
    await this.watchlist.poll();
    this.watchlistReload = setInterval(
      () => this.watchlist.poll().catch((err) => this.log.warn({ err }, 'watchlist reload failed')),
      c.WATCHLIST_RELOAD_MS,
    );
    this.reload = setInterval(
      () => this.refresh().catch((err) => this.log.warn({ err }, 'scorer settings reload failed')),
      Math.max(1000, c.SCORING_RELOAD_MS),
    );
    for (const s of this.stages) await s.start();
    this.kick();
    this.outbox = setInterval(() => this.kick(), OUTBOX_POLL_MS);
    this.log.info(
      { topic: c.KAFKA_CDR_TOPIC, group: c.KAFKA_GROUP_ID, threads },
      'scorer consuming',
    );
  }

  private async refresh(): Promise<void> {
    const { settings, networks } = await loadScorerReference(this.db);
    this.networks = networks;
    for (const s of this.stages) s.setSettings(settings, networks);
  }

  /** Counts alerts a stage committed, and has them published. */
  private raised(alerts: StoredAlert[]): void {
    this.stats.alerts += alerts.length;
    for (const a of alerts) this.metrics.scorerAlerts.inc({ rule: a.rule });
    this.kick();
  }

  /** Publishes committed alerts soon: at once, or once more after the round under way. */
  private kick(): void {
    if (this.publishing) {
      this.publishAgain = true;
      return;
    }
    this.publishing = this.publishPending()
      .catch((err) => this.log.warn({ err }, 'publishing alerts failed; retried shortly'))
      .finally(() => {
        this.publishing = undefined;
        if (this.publishAgain) {
          this.publishAgain = false;
          this.kick();
        }
      });
  }

  /**
   * Sends committed alerts that are not on `line.alerts` yet, keyed by line, and marks them in
   * the transaction that locked them once the broker acknowledged them (the table is the
   * outbox). At least once: a crash after the acknowledgement sends them again, with the same
   * `id` for consumers to drop repeats; none is lost between a commit and the topic.
   */
  private async publishPending(): Promise<void> {
    const producer = this.producer;
    if (producer === undefined) return;
    const topic = this.config.KAFKA_ALERTS_TOPIC;
    for (;;) {
      const sent = await this.db.transaction().execute(async (tx) => {
        const alerts = await lockUnpublishedAlerts(tx, OUTBOX_BATCH);
        if (alerts.length === 0) return 0;
        for (const a of alerts) producer.produce(topic, a.msisdn, alertMessage(a));
        await producer.flush();
        await markAlertsPublished(
          tx,
          alerts.map((a) => a.id),
          new Date(),
        );
        return alerts.length;
      });
      if (sent < OUTBOX_BATCH) return;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.reload);
    clearInterval(this.watchlistReload);
    clearInterval(this.outbox);
    for (const s of this.stages) await s.stop();
    this.kick();
    while (this.publishing) await this.publishing;
    await this.producer?.flush().catch(() => undefined);
    await this.producer?.disconnect();
  }
}
