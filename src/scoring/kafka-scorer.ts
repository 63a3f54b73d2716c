import type { Config } from '../config.js';
import type { Db } from '../platform/db/client.js';
import {
  ensureTopics,
  type KafkaMessage,
  KafkaProducer,
  type KafkaSettings,
  ManualConsumer,
  type PartitionAssignment,
  partitionKey,
} from '../platform/kafka/client.js';
import type { Logger } from '../platform/log.js';
import type { Metrics } from '../platform/metrics.js';
import { type DecodeResult, decodeCdr } from './cdr.js';
import { type ImeiSighting, ScoringEngine } from './engine.js';
import { loadScorerReference, prepareRegistrations, takeBatch, writeBatch } from './pipeline.js';
import { claimStream, loadStream, type StoredAlert } from './queries.js';

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

function decodeSighting(value: Buffer | null): ImeiSighting | string {
  try {
    const v = JSON.parse(value?.toString('utf8') ?? '') as Partial<ImeiSighting>;
    if (
      typeof v.imei === 'string' &&
      typeof v.imsi === 'string' &&
      typeof v.msisdn === 'string' &&
      typeof v.startedAt === 'number' &&
      (typeof v.operatorId === 'string' || v.operatorId === null)
    )
      return v as ImeiSighting;
    return 'value: not an IMEI sighting';
  } catch {
    return 'value: not valid JSON';
  }
}

/**
 * One stage of the scorer: a group consumer over one topic feeding its own engine. The line
 * stage reads `cdr.records` (keyed by line) and re-keys IMEI sightings into the repartition
 * topic; the IMEI stage reads that topic (keyed by IMEI). Each batch's state, offsets and alerts
 * commit in one transaction; DLQ and repartition messages are acknowledged before it commits.
 */
class Stage {
  readonly engine: ScoringEngine;
  private readonly consumer: ManualConsumer;
  private readonly offsets = new Map<string, number | null>();
  /** The next offset of each partition as stored in PostgreSQL (for the lag gauge). */
  private readonly stored = new Map<string, { partition: number; next: number | null }>();
  private readonly generations = new Map<string, number>();
  private inflight: Promise<void> = Promise.resolve();
  /** Whether a commit's write is still running. */
  private writing = false;
  /** Records taken in since the last commit, and when that commit was. */
  private pending = 0;
  private committedAt = performance.now();
  private readonly topic: string;
  private readonly keys: string[] = [];

  constructor(
    private readonly kind: 'line' | 'imei',
    private readonly s: {
      db: Db;
      log: Logger;
      producer: KafkaProducer;
      config: Config;
      networks: () => Map<string, string>;
      stats: ScorerStats;
      metrics: Metrics;
      onAlerts: (alerts: StoredAlert[]) => void;
      onFatal: (err: unknown) => void;
    },
  ) {
    const c = s.config;
    this.engine = new ScoringEngine(undefined, c.SCORING_LATENESS_MS);
    const topic = kind === 'line' ? c.KAFKA_CDR_TOPIC : c.KAFKA_IMEI_TOPIC;
    this.topic = topic;
    const group = kind === 'line' ? c.KAFKA_GROUP_ID : `${c.KAFKA_GROUP_ID}.imei`;
    this.consumer = new ManualConsumer(
      kafkaSettings(c),
      group,
      [topic],
      {
        onAssign: (parts) => this.assign(parts),
        onRevoke: async (parts) => {
          await this.settle();
          this.revoke(parts);
        },
      },
      (err) => s.onFatal(err),
    );
  }

  private async assign(parts: PartitionAssignment[]) {
    const next = new Map<string, number | null>();
    for (const p of parts) {
      const key = partitionKey(p.topic, p.partition);
      this.generations.set(key, await claimStream(this.s.db, key, new Date()));
      const stored = await loadStream(this.s.db, key);
      if (stored) this.engine.importStream(key, stored.data, this.kind);
      else this.engine.dropStream(key);
      next.set(key, stored?.nextOffset ?? null);
      this.offsets.set(key, stored?.nextOffset ?? null);
      this.stored.set(key, { partition: p.partition, next: stored?.nextOffset ?? null });
    }
    this.s.log.info({ stage: this.kind, partitions: [...next.entries()] }, 'partitions assigned');
    return next;
  }

  private revoke(parts: PartitionAssignment[]) {
    for (const p of parts) {
      const key = partitionKey(p.topic, p.partition);
      this.engine.dropStream(key);
      this.offsets.delete(key);
      this.generations.delete(key);
      this.stored.delete(key);
      this.s.metrics.scorerLag.remove({ stage: this.kind, partition: String(p.partition) });
    }
    this.s.log.info({ stage: this.kind, partitions: parts.length }, 'partitions revoked');
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    this.consumer.start(this.s.config.KAFKA_BATCH_SIZE, (messages) => this.handle(messages));
  }

  async stop(): Promise<void> {
    await this.consumer.halt();
    await this.consumer.exclusive(() => this.settle());
    await this.consumer.disconnect();
  }

  private deadLetter(m: KafkaMessage, error: string): void {
    this.s.producer.produce(
      this.s.config.KAFKA_DLQ_TOPIC,
      m.key?.toString() ?? null,
      m.value ?? '',
      [
        { 'x-source-topic': m.topic },
        { 'x-source-partition': String(m.partition) },
        { 'x-source-offset': String(m.offset) },
        { 'x-error': error },
      ],
    );
    this.s.stats.deadLettered++;
    this.s.metrics.scorerDeadLettered.inc({ stage: this.kind });
  }

  /** `topic:partition`, built once per partition (the consumer reads one topic). */
  private streamKey(partition: number): string {
    let key = this.keys[partition];
    if (key === undefined) {
      key = partitionKey(this.topic, partition);
      this.keys[partition] = key;
    }
    return key;
  }

  /** High watermark minus the next stored offset, per owned partition. */
  private updateLag(): void {
    const topic = this.topic;
    for (const { partition, next } of this.stored.values()) {
      const high = this.consumer.highWatermark(topic, partition);
      if (high === undefined) continue;
      this.s.metrics.scorerLag.set(
        { stage: this.kind, partition: String(partition) },
        Math.max(0, high - (next ?? 0)),
      );
    }
  }

  private async handle(messages: KafkaMessage[]): Promise<void> {
    const { engine } = this;
    const c = this.s.config;
    const counts = { accepted: 0, duplicate: 0, late: 0, dead_lettered: 0, replayed: 0 };
    if (this.kind === 'line') {
      const networks = this.s.networks();
      const decoded = await this.decodeRecords(messages);
      this.eachNew(messages, counts, (m, key, i) => {
        const r = decoded[i] as DecodeResult;
        if (!r.ok) {
          this.deadLetter(m, r.error);
          counts.dead_lettered++;
          return;
        }
        const cdr = r.cdr;
        const operatorId = networks.get(cdr.operator) ?? null;
        const outcome = engine.ingest(key, cdr, operatorId);
        counts[outcome]++;
        if (outcome !== 'accepted' || !engine.newSighting(key, cdr)) return;
        const sighting: ImeiSighting = {
          imei: cdr.imei,
          imsi: cdr.imsi,
          msisdn: cdr.msisdn,
          operatorId,
          startedAt: cdr.startedAt,
        };
        this.s.producer.produce(c.KAFKA_IMEI_TOPIC, cdr.imei, JSON.stringify(sighting));
      });
    } else {
      this.eachNew(messages, counts, (m, key) => {
        const s = decodeSighting(m.value);
        if (typeof s === 'string') {
          this.deadLetter(m, s);
          counts.dead_lettered++;
          return;
        }
        counts[engine.ingestImei(key, s)]++;
      });
    }
    for (const [outcome, n] of Object.entries(counts))
      if (n > 0) this.s.metrics.scorerRecords.inc({ stage: this.kind, outcome }, n);
    this.updateLag();
    this.pending += messages.length;
    this.s.stats.records += messages.length;
    // A commit is due every interval, or at once when alerts were raised, but waits while the
    // previous write runs (reading goes on, and a line touched again meanwhile is written once);
    // only the record bound makes the reader wait for the store.
    if (
      this.pending >= c.KAFKA_COMMIT_RECORDS ||
      (!this.writing &&
        (engine.hasAlerts() || performance.now() - this.committedAt >= c.KAFKA_COMMIT_INTERVAL_MS))
    )
      await this.commit();
  }

  /**
   * Decodes a batch of records and tells the engine, in one query, the registrations of the
   * lines it has not seen yet. A batch holds runs of a few partitions, so each stream's list is
   * looked up once per run.
   */
  private async decodeRecords(messages: KafkaMessage[]): Promise<DecodeResult[]> {
    const decoded: DecodeResult[] = new Array(messages.length);
    const byStream = new Map<string, string[]>();
    let partition = -1;
    let msisdns: string[] = [];
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i] as KafkaMessage;
      const r = decodeCdr(m.value ?? '');
      decoded[i] = r;
      if (!r.ok) continue;
      if (m.partition !== partition) {
        partition = m.partition;
        const key = this.streamKey(partition);
        msisdns = byStream.get(key) ?? [];
        byStream.set(key, msisdns);
      }
      msisdns.push(r.cdr.msisdn);
    }
    await prepareRegistrations(this.s.db, this.engine, byStream);
    return decoded;
  }

  /**
   * Calls `take` for each message past its partition's stored offset, in order, and advances
   * that offset; messages before it were already stored (a replay after a rebalance) and are
   * counted as replayed. The offset is read and written once per run of a partition.
   */
  private eachNew(
    messages: KafkaMessage[],
    counts: { replayed: number },
    take: (m: KafkaMessage, stream: string, index: number) => void,
  ): void {
    let partition = -1;
    let key = '';
    let next: number | null | undefined;
    let advanced = false;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i] as KafkaMessage;
      if (m.partition !== partition) {
        if (advanced) this.offsets.set(key, next ?? null);
        partition = m.partition;
        key = this.streamKey(partition);
        next = this.offsets.get(key);
        advanced = false;
      }
      if (next !== undefined && next !== null && m.offset < next) {
        counts.replayed++;
        continue;
      }
      next = m.offset + 1;
      advanced = true;
      take(m, key, i);
    }
    if (advanced) this.offsets.set(key, next ?? null);
  }

  /**
   * Stores what was taken in since the last commit: DLQ and repartition messages acknowledged
   * first, then state, offsets and alerts in one transaction, alerts published after it. The
   * batch is serialised at once and written while the next one is read (writes stay in order).
   */
  private async commit(): Promise<void> {
    const started = performance.now();
    this.committedAt = started;
    if (this.pending === 0) return;
    await this.s.producer.flush();
    await this.inflight;
    const batch = takeBatch(this.engine, this.offsets, this.generations);
    const storing = new Map(this.offsets);
    const records = this.pending;
    this.pending = 0;
    const taken = performance.now();
    this.writing = true;
    this.inflight = writeBatch(this.s.db, batch, new Date()).then(
      (alerts) => {
        this.s.log.debug(
          {
            stage: this.kind,
            records,
            takeMs: Math.round(taken - started),
            storeMs: Math.round(performance.now() - taken),
          },
          'committed',
        );
        this.writing = false;
        for (const [key, next] of storing) {
          const st = this.stored.get(key);
          if (st !== undefined) st.next = next;
        }
        this.s.metrics.scorerCommitSeconds.observe(
          { stage: this.kind },
          (performance.now() - taken) / 1000,
        );
        this.s.stats.batches++;
        if (alerts.length > 0) this.s.onAlerts(alerts);
      },
      (err) => this.s.onFatal(err),
    );
  }

  /** Commits what is pending and waits until every commit is stored. */
  private async settle(): Promise<void> {
    await this.commit();
    await this.inflight;
  }
}

/**
 * The scorer role: the line stage and the IMEI stage, a producer for the DLQ, the repartition
 * topic and `line.alerts`, and a periodic reload of thresholds, allowlist and operator networks.
 */
export class KafkaScorer {
  readonly stats: ScorerStats = { batches: 0, records: 0, deadLettered: 0, alerts: 0 };
  private stages: Stage[] = [];
  private producer: KafkaProducer | undefined;
  private reload: NodeJS.Timeout | undefined;
  private networks = new Map<string, string>();

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly onFatal: (err: unknown) => void,
  ) {}

  async start(): Promise<void> {
    const c = this.config;
    const settings = kafkaSettings(c);
    await ensureTopics(settings, [
      { topic: c.KAFKA_CDR_TOPIC, partitions: 4 },
      { topic: c.KAFKA_IMEI_TOPIC, partitions: 4 },
      { topic: c.KAFKA_DLQ_TOPIC, partitions: 1 },
      { topic: c.KAFKA_ALERTS_TOPIC, partitions: 4 },
    ]);
    const producer = await KafkaProducer.connect(settings, 'simline-scorer');
    this.producer = producer;
    const shared = {
      db: this.db,
      log: this.log,
      producer,
      config: c,
      networks: () => this.networks,
      stats: this.stats,
      metrics: this.metrics,
      onAlerts: (alerts: StoredAlert[]) => this.publish(alerts),
      onFatal: this.onFatal,
    };
    this.stages = [new Stage('line', shared), new Stage('imei', shared)];
    await this.refresh();
    this.reload = setInterval(
      () => this.refresh().catch((err) => this.log.warn({ err }, 'scorer settings reload failed')),
      Math.max(1000, c.SCORING_RELOAD_MS),
    );
    for (const s of this.stages) await s.start();
    this.log.info({ topic: c.KAFKA_CDR_TOPIC, group: c.KAFKA_GROUP_ID }, 'scorer consuming');
  }

  private async refresh(): Promise<void> {
    const { settings, networks } = await loadScorerReference(this.db);
    this.networks = networks;
    for (const s of this.stages) s.engine.setSettings(settings);
  }

  /** Alerts go to `line.alerts` keyed by line after their transaction committed. */
  private publish(alerts: StoredAlert[]): void {
    this.stats.alerts += alerts.length;
    for (const a of alerts) {
      this.metrics.scorerAlerts.inc({ rule: a.rule });
      this.producer?.produce(
        this.config.KAFKA_ALERTS_TOPIC,
        a.msisdn,
        JSON.stringify({
          id: String(a.id),
          msisdn: a.msisdn,
          operatorId: a.operatorId,
          rule: a.rule,
          score: a.score,
          windowStart: a.windowStart.toISOString(),
          windowEnd: a.windowEnd.toISOString(),
          evidence: a.evidence,
          createdAt: a.createdAt.toISOString(),
        }),
      );
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.reload);
    for (const s of this.stages) await s.stop();
    await this.producer?.flush().catch(() => undefined);
    await this.producer?.disconnect();
  }
}
