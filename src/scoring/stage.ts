import type { Config } from '../config.js';
import type { Db } from '../platform/db/client.js';
import {
  type ConsumedMessage,
  type MessageHeader,
  type PartitionAssignment,
  partitionKey,
} from '../platform/kafka/messages.js';
import type { Logger } from '../platform/log.js';
import { type DecodeResult, decodeCdr, futureRecordError, MAX_CDR_BYTES } from './cdr.js';
import type { ImeiSighting, RuleSettings } from './engine.js';
import { ScoringEngine } from './engine.js';
import { GroupEngine } from './group/engine.js';
import {
  decodeSighting as decodeGroupSighting,
  encodeSighting,
  encodeSightingJson,
  type GroupSighting,
  groupSightings,
} from './group/sighting.js';
import { loadGroupStream } from './group-queries.js';
import {
  logClockRepair,
  prepareRegistrations,
  takeBatch,
  takeGroupBatch,
  writeBatch,
} from './pipeline.js';
import { claimStream, loadStream, type StoredAlert } from './queries.js';

export type StageKind = 'line' | 'imei' | 'group';

/** The topic each stage reads. */
export function stageTopic(kind: StageKind, c: Config): string {
  return kind === 'line'
    ? c.KAFKA_CDR_TOPIC
    : kind === 'imei'
      ? c.KAFKA_IMEI_TOPIC
      : c.KAFKA_GROUP_TOPIC;
}

export const OUTCOMES = ['accepted', 'duplicate', 'late', 'dead_lettered', 'replayed'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * What a stage needs from where it runs: the database, the producer (DLQ, repartition topic),
 * the consumer's high watermarks, and where its figures, alerts and failures go. On the main
 * thread these are the scorer's own; in a worker thread they are messages to the main thread.
 */
export interface StageIo {
  db: Db;
  log: Logger;
  config: Config;
  networks(): ReadonlyMap<string, string>;
  produce(
    topic: string,
    key: string | null,
    value: string | Buffer,
    headers: MessageHeader[],
  ): void;
  /** Resolves once every message produced so far is acknowledged by the broker. */
  flush(): Promise<void>;
  highWatermark(topic: string, partition: number): number | undefined;
  counted(counts: Record<Outcome, number>): void;
  /** A partition's lag, or undefined when the stage gave the partition up. */
  lag(partition: number, lag: number | undefined): void;
  committed(seconds: number): void;
  alerts(alerts: StoredAlert[]): void;
  fatal(err: unknown): void;
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
 * One stage of the scorer over the partitions it is given, feeding its own engine. The line
 * stage reads `cdr.records` (keyed by line) and re-keys IMEI sightings into the repartition
 * topic; the IMEI stage reads that topic (keyed by IMEI). Each batch's state, offsets and alerts
 * commit in one transaction; DLQ and repartition messages are acknowledged before it commits.
 * A stage is driven by one caller at a time: batches, assignments and revocations in order.
 */
export class Stage {
  readonly engine: ScoringEngine;
  /** The group stage's engine (the other stages leave it empty). */
  readonly group: GroupEngine;
  private readonly sightings: GroupSighting[] = [];
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
  readonly topic: string;
  private readonly keys: string[] = [];

  constructor(
    readonly kind: StageKind,
    private readonly io: StageIo,
  ) {
    const c = io.config;
    this.engine = new ScoringEngine(undefined, c.SCORING_LATENESS_MS, c.SCORING_MAX_FUTURE_SKEW_MS);
    this.group = new GroupEngine(this.engine.thresholds);
    this.topic = stageTopic(kind, c);
  }

  /** New thresholds, allowlist: from the next evaluation on. */
  setSettings(settings: RuleSettings): void {
    this.engine.setSettings(settings);
    this.group.setThresholds(settings.thresholds);
  }

  /** Claims and loads each partition's stored state; resolves each one's next offset. */
  async assign(parts: readonly PartitionAssignment[]): Promise<Map<string, number | null>> {
    const next = new Map<string, number | null>();
    for (const p of parts) {
      const key = partitionKey(p.topic, p.partition);
      this.generations.set(key, await claimStream(this.io.db, key, new Date()));
      if (this.kind === 'group') {
        const stored = await loadGroupStream(this.io.db, key);
        if (stored) this.group.importStream(key, stored.data);
        else this.group.dropStream(key);
        next.set(key, stored?.nextOffset ?? null);
        this.offsets.set(key, stored?.nextOffset ?? null);
        this.stored.set(key, { partition: p.partition, next: stored?.nextOffset ?? null });
        continue;
      }
      const stored = await loadStream(this.io.db, key);
      if (stored) {
        const repair = this.engine.importStream(key, stored.data, this.kind, { now: Date.now() });
        if (repair) logClockRepair(this.io.log, repair);
      } else this.engine.dropStream(key);
      next.set(key, stored?.nextOffset ?? null);
      this.offsets.set(key, stored?.nextOffset ?? null);
      this.stored.set(key, { partition: p.partition, next: stored?.nextOffset ?? null });
    }
    this.io.log.info({ stage: this.kind, partitions: [...next.entries()] }, 'partitions assigned');
    return next;
  }

  /** Stores what is pending, then forgets the partitions (another member takes them over). */
  async revoke(parts: readonly PartitionAssignment[]): Promise<void> {
    await this.settle();
    for (const p of parts) {
      const key = partitionKey(p.topic, p.partition);
      this.engine.dropStream(key);
      this.group.dropStream(key);
      this.offsets.delete(key);
      this.generations.delete(key);
      this.stored.delete(key);
      this.io.lag(p.partition, undefined);
    }
    this.io.log.info({ stage: this.kind, partitions: parts.length }, 'partitions revoked');
  }

  /**
   * Copies a refused record to the DLQ with where it came from and why. A value (or key) larger
   * than a CDR can be is cut to `MAX_CDR_BYTES`, its size in a header: the broker refuses
   * messages past its limit, and a dead letter it refuses would stop the stage at that offset
   * at every restart.
   */
  private deadLetter(m: ConsumedMessage, error: string): void {
    const headers: MessageHeader[] = [
      { 'x-source-topic': m.topic },
      { 'x-source-partition': String(m.partition) },
      { 'x-source-offset': String(m.offset) },
      { 'x-error': error },
    ];
    const value = m.value ?? Buffer.alloc(0);
    if (value.length > MAX_CDR_BYTES) headers.push({ 'x-original-size': String(value.length) });
    let key = m.key?.toString() ?? null;
    const keyBytes = key === null ? 0 : Buffer.byteLength(key);
    if (key !== null && keyBytes > MAX_CDR_BYTES) {
      headers.push({ 'x-original-key-size': String(keyBytes) });
      key = Buffer.from(key).subarray(0, MAX_CDR_BYTES).toString();
    }
    this.io.produce(this.io.config.KAFKA_DLQ_TOPIC, key, value.subarray(0, MAX_CDR_BYTES), headers);
  }

  /** `topic:partition`, built once per partition (the stage reads one topic). */
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
    for (const { partition, next } of this.stored.values()) {
      const high = this.io.highWatermark(this.topic, partition);
      if (high !== undefined) this.io.lag(partition, Math.max(0, high - (next ?? 0)));
    }
  }

  /** Takes in a batch (messages of partitions this stage owns, in order; maybe none). */
  async handle(messages: readonly ConsumedMessage[]): Promise<void> {
    const { engine, io } = this;
    const c = io.config;
    const counts = { accepted: 0, duplicate: 0, late: 0, dead_lettered: 0, replayed: 0 };
    engine.setNow(Date.now());
    if (this.kind === 'line') {
      const networks = io.networks();
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
        if (outcome === 'future') {
          this.deadLetter(m, futureRecordError(cdr.startedAt, engine.maxFutureSkewMs));
          counts.dead_lettered++;
          return;
        }
        counts[outcome]++;
        if (outcome !== 'accepted' || cdr.type === 'data') return;
        if (c.SCORING_GROUPS) {
          const sightings = this.sightings;
          sightings.length = 0;
          const personKey = engine.personKeyOf(key, cdr.msisdn);
          groupSightings(cdr, operatorId, personKey, engine.thresholds, sightings);
          const encode = c.KAFKA_GROUP_ENCODING === 'json' ? encodeSightingJson : encodeSighting;
          for (const g of sightings) io.produce(c.KAFKA_GROUP_TOPIC, g.key, encode(g), []);
        }
        if (!engine.newSighting(key, cdr)) return;
        const sighting: ImeiSighting = {
          imei: cdr.imei,
          imsi: cdr.imsi,
          msisdn: cdr.msisdn,
          operatorId,
          startedAt: cdr.startedAt,
        };
        io.produce(c.KAFKA_IMEI_TOPIC, cdr.imei, JSON.stringify(sighting), []);
      });
    } else if (this.kind === 'group') {
      const group = this.group;
      this.eachNew(messages, counts, (m, key) => {
        const s = decodeGroupSighting(m.key?.toString(), m.value);
        if (typeof s === 'string') {
          this.deadLetter(m, s);
          counts.dead_lettered++;
          return;
        }
        counts[group.ingest(key, s)]++;
      });
    } else {
      this.eachNew(messages, counts, (m, key) => {
        const s = decodeSighting(m.value);
        if (typeof s === 'string') {
          this.deadLetter(m, s);
          counts.dead_lettered++;
          return;
        }
        const outcome = engine.ingestImei(key, s);
        if (outcome === 'future') {
          this.deadLetter(m, futureRecordError(s.startedAt, engine.maxFutureSkewMs));
          counts.dead_lettered++;
        } else counts[outcome]++;
      });
    }
    io.counted(counts);
    this.updateLag();
    this.pending += messages.length;
    // A commit is due every interval, or at once when alerts were raised, but waits while the
    // previous write runs (reading goes on, and a line touched again meanwhile is written once);
    // only the record bound makes the reader wait for the store.
    if (
      this.pending >= c.KAFKA_COMMIT_RECORDS ||
      (!this.writing &&
        (engine.hasAlerts() ||
          this.group.hasDirty() ||
          performance.now() - this.committedAt >= c.KAFKA_COMMIT_INTERVAL_MS))
    )
      await this.commit();
  }

  /**
   * Decodes a batch of records and tells the engine, in one query, the registrations of the
   * lines it has not seen yet. A batch holds runs of a few partitions, so each stream's list is
   * looked up once per run.
   */
  private async decodeRecords(messages: readonly ConsumedMessage[]): Promise<DecodeResult[]> {
    const decoded: DecodeResult[] = new Array(messages.length);
    const byStream = new Map<string, string[]>();
    let partition = -1;
    let msisdns: string[] = [];
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i] as ConsumedMessage;
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
    await prepareRegistrations(this.io.db, this.engine, byStream);
    return decoded;
  }

  /**
   * Calls `take` for each message past its partition's stored offset, in order, and advances
   * that offset; messages before it were already stored (a replay after a rebalance) and are
   * counted as replayed. The offset is read and written once per run of a partition.
   */
  private eachNew(
    messages: readonly ConsumedMessage[],
    counts: { replayed: number },
    take: (m: ConsumedMessage, stream: string, index: number) => void,
  ): void {
    let partition = -1;
    let key = '';
    let next: number | null | undefined;
    let advanced = false;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i] as ConsumedMessage;
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
    await this.io.flush();
    await this.inflight;
    const group = this.kind === 'group';
    const batch = group
      ? { alerts: [], streams: [] }
      : takeBatch(this.engine, this.offsets, this.generations);
    const groupBatch = group
      ? takeGroupBatch(this.group, this.offsets, this.generations)
      : undefined;
    const storing = new Map(this.offsets);
    const records = this.pending;
    this.pending = 0;
    const taken = performance.now();
    this.writing = true;
    this.inflight = writeBatch(this.io.db, batch, new Date(), groupBatch).then(
      (alerts) => {
        this.io.log.debug(
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
        this.io.committed((performance.now() - taken) / 1000);
        if (alerts.length > 0) this.io.alerts(alerts);
      },
      (err) => this.io.fatal(err),
    );
  }

  /** Commits what is pending and waits until every commit is stored. */
  async settle(): Promise<void> {
    await this.commit();
    await this.inflight;
  }
}
