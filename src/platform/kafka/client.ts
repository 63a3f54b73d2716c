import Kafka from 'node-rdkafka';
import { type MessageHeader, type PartitionAssignment, partitionKey } from './messages.js';

export type KafkaMessage = Kafka.Message;

export interface KafkaSettings {
  brokers: string;
  securityProtocol?: 'plaintext' | 'ssl' | 'sasl_plaintext' | 'sasl_ssl';
  saslMechanism?: string;
  saslUsername?: string;
  saslPassword?: string;
  sslCaLocation?: string;
}

/** librdkafka's connection settings, TLS/SASL passed through when given. */
export function connectionConfig(s: KafkaSettings): Kafka.GlobalConfig {
  const conf: Record<string, string> = { 'metadata.broker.list': s.brokers };
  if (s.securityProtocol) conf['security.protocol'] = s.securityProtocol;
  if (s.saslMechanism) conf['sasl.mechanisms'] = s.saslMechanism;
  if (s.saslUsername) conf['sasl.username'] = s.saslUsername;
  if (s.saslPassword) conf['sasl.password'] = s.saslPassword;
  if (s.sslCaLocation) conf['ssl.ca.location'] = s.sslCaLocation;
  return conf as Kafka.GlobalConfig;
}

/**
 * A producer whose `flush` resolves once every message produced so far is acknowledged, and
 * rejects when one could not be delivered (librdkafka reports only failures, so delivered
 * messages cost no callback). A failure is kept: which flush's message was lost is unknown, so
 * every flush after it rejects, and the caller starts over with a new producer.
 */
export class KafkaProducer {
  /** The first delivery failure, if any. */
  private failure: Error | undefined;

  private constructor(private readonly p: Kafka.Producer) {
    p.on('delivery-report', (err) => {
      if (err) this.failure ??= new Error(`delivery failed: ${err.message}`, { cause: err });
    });
  }

  static async connect(s: KafkaSettings, clientId = 'simline'): Promise<KafkaProducer> {
    const p = new Kafka.Producer({
      ...connectionConfig(s),
      'client.id': clientId,
      'enable.idempotence': true,
      'linger.ms': 5,
      'queue.buffering.max.messages': 1_000_000,
      'compression.codec': 'lz4',
      dr_cb: true,
      'delivery.report.only.error': true,
    });
    p.setPollInterval(50);
    await new Promise<void>((resolve, reject) => {
      p.once('ready', () => resolve());
      p.once('connection.failure', (err) => reject(err));
      p.connect({ timeout: 30_000 });
    });
    return new KafkaProducer(p);
  }

  /** Produces a message; a value may be any byte view (a worker thread's arrive as Uint8Array). */
  produce(
    topic: string,
    key: string | null,
    value: string | Uint8Array,
    headers: MessageHeader[] = [],
    partition: number | null = null,
  ): void {
    const buf =
      typeof value === 'string'
        ? Buffer.from(value)
        : Buffer.isBuffer(value)
          ? value
          : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    const hs = headers.length > 0 ? headers : undefined;
    for (;;) {
      try {
        this.p.produce(topic, partition, buf, key, Date.now(), undefined, hs);
        return;
      } catch (err) {
        if ((err as { code?: number }).code !== Kafka.CODES.ERRORS.ERR__QUEUE_FULL) throw err;
        this.p.poll();
      }
    }
  }

  flush(timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) =>
      this.p.flush(timeoutMs, (err) => {
        const failed = err ?? this.failure;
        if (failed) reject(failed);
        else resolve();
      }),
    );
  }

  disconnect(): Promise<void> {
    return new Promise((resolve) => this.p.disconnect(() => resolve()));
  }
}

/** Creates the topics that do not exist yet. */
export async function ensureTopics(
  s: KafkaSettings,
  topics: { topic: string; partitions: number }[],
): Promise<void> {
  const admin = Kafka.AdminClient.create({ ...connectionConfig(s), 'client.id': 'simline-admin' });
  try {
    for (const t of topics) {
      await new Promise<void>((resolve, reject) =>
        admin.createTopic(
          { topic: t.topic, num_partitions: t.partitions, replication_factor: 1 },
          30_000,
          (err) =>
            err && err.code !== Kafka.CODES.ERRORS.ERR_TOPIC_ALREADY_EXISTS
              ? reject(err)
              : resolve(),
        ),
      );
    }
  } finally {
    admin.disconnect();
  }
}

export interface ManualConsumerHooks {
  /** Resolves each partition's next offset (null: from the start) before it is read. */
  onAssign(partitions: PartitionAssignment[]): Promise<Map<string, number | null>>;
  /** Runs after the in-flight batch is settled, before the partitions go to another member. */
  onRevoke(partitions: PartitionAssignment[]): Promise<void>;
}

/**
 * A group consumer that never commits to Kafka: the application stores offsets with its state
 * and hands them back on assignment (`onAssign`), the "offsets outside Kafka" pattern. Batches
 * are pulled with `consume(n)`, one at a time, so a slow sink slows the reads (backpressure).
 * Rebalance work waits for the batch in flight, and messages of partitions not owned any more
 * are dropped.
 */
export class ManualConsumer {
  private readonly c: Kafka.KafkaConsumer;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly owned = new Set<string>();
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    s: KafkaSettings,
    groupId: string,
    private readonly topics: string[],
    private readonly hooks: ManualConsumerHooks,
    private readonly onError: (err: unknown) => void,
  ) {
    this.c = new Kafka.KafkaConsumer(
      {
        ...connectionConfig(s),
        'group.id': groupId,
        'enable.auto.commit': false,
        'enable.auto.offset.store': false,
        'partition.assignment.strategy': 'range',
        'session.timeout.ms': 6_000,
        'heartbeat.interval.ms': 1_000,
        // Large fetches and a deep local queue: librdkafka keeps reading while JavaScript works
        // on a batch, so `consume(n)` finds its messages waiting.
        'fetch.wait.max.ms': 10,
        'fetch.min.bytes': 1,
        'fetch.max.bytes': 52_428_800,
        'max.partition.fetch.bytes': 8_388_608,
        'queued.min.messages': 500_000,
        'queued.max.messages.kbytes': 262_144,
        rebalance_cb: (err: Kafka.LibrdKafkaError, assignment: Kafka.Assignment[]) =>
          this.rebalance(err, assignment),
      },
      { 'auto.offset.reset': 'earliest' },
    );
  }

  /** Runs `fn` after everything queued before it (batches and rebalance work never overlap). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private rebalance(err: Kafka.LibrdKafkaError, assignment: Kafka.Assignment[]): void {
    const parts = assignment.map((a) => ({ topic: a.topic, partition: a.partition }));
    if (err.code === Kafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
      this.serial(async () => {
        const offsets = await this.hooks.onAssign(parts);
        for (const p of parts) this.owned.add(partitionKey(p.topic, p.partition));
        this.c.assign(
          parts.map((p) => {
            const offset = offsets.get(partitionKey(p.topic, p.partition));
            return offset === null || offset === undefined ? p : { ...p, offset };
          }),
        );
      }).catch((e) => {
        // The rebalance must still end with an (empty) assignment, or leaving the group waits
        // for one forever; the partitions stay unread until the failure is dealt with.
        this.endRebalance();
        this.onError(e);
      });
    } else {
      this.serial(async () => {
        for (const p of parts) this.owned.delete(partitionKey(p.topic, p.partition));
        try {
          await this.hooks.onRevoke(parts);
        } finally {
          this.endRebalance();
        }
      }).catch((e) => this.onError(e));
    }
  }

  private endRebalance(): void {
    if (this.c.isConnected()) this.c.unassign();
  }

  async connect(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.c.once('ready', () => resolve());
      this.c.once('connection.failure', (err) => reject(err));
      this.c.connect({ timeout: 30_000 });
    });
    this.c.setDefaultConsumeTimeout(200);
    this.c.subscribe(this.topics);
  }

  /** One `consume(size)` call; failures are reported and read as an empty batch. */
  private pull(size: number): Promise<KafkaMessage[]> {
    return new Promise<KafkaMessage[]>((resolve, reject) =>
      this.c.consume(size, (err, msgs) => (err ? reject(err) : resolve(msgs))),
    ).catch((err) => {
      this.onError(err);
      return [];
    });
  }

  /**
   * Pulls batches of up to `size` messages and hands the owned ones to `handle`, in order; an
   * empty batch is handed too, so the handler can act on time (flush what it holds). The next
   * batch is requested before the current one is handled (one batch ahead, no more), so
   * librdkafka's thread fills it while JavaScript works. Messages of a partition read before a
   * rebalance and handed after it continue the log from the stored offset (the handler skips
   * offsets it has already stored), and those of partitions not owned any more are dropped.
   */
  start(size: number, handle: (messages: KafkaMessage[]) => Promise<void>): void {
    this.running = true;
    this.loop = (async () => {
      let next = this.pull(size);
      while (this.running) {
        const messages = await next;
        if (!this.running) break;
        next = this.pull(size);
        try {
          await this.serial(async () => {
            await handle(this.ownedOnly(messages));
          });
        } catch (err) {
          // The read position is past a batch whose effect was not stored: stop reading.
          this.running = false;
          this.onError(err);
        }
      }
      await next;
    })();
  }

  /** The messages of partitions this consumer owns (a batch holds runs of a few partitions). */
  private ownedOnly(messages: KafkaMessage[]): KafkaMessage[] {
    const out: KafkaMessage[] = [];
    let topic = '';
    let partition = -1;
    let owned = false;
    for (const m of messages) {
      if (m.partition !== partition || m.topic !== topic) {
        topic = m.topic;
        partition = m.partition;
        owned = this.owned.has(partitionKey(topic, partition));
      }
      if (owned) out.push(m);
    }
    return out;
  }

  /**
   * The partition's high watermark as librdkafka last saw it (no broker round trip), or
   * undefined before its first fetch.
   */
  highWatermark(topic: string, partition: number): number | undefined {
    try {
      const { highOffset } = this.c.getWatermarkOffsets(topic, partition);
      return highOffset >= 0 ? highOffset : undefined;
    } catch {
      return undefined;
    }
  }

  /** Stops reading; resolves once the batch in flight and queued rebalance work are done. */
  async halt(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.chain;
  }

  /** Runs `fn` in turn with batches and rebalance work. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.serial(fn);
  }

  async disconnect(): Promise<void> {
    await new Promise<void>((resolve) => this.c.disconnect(() => resolve()));
    await this.chain;
  }
}
