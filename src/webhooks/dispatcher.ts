import type postgres from 'postgres';
import type { Keyring } from '../platform/crypto.js';
import type { Db } from '../platform/db/client.js';
import type { KafkaProducer } from '../platform/kafka/client.js';
import type { Logger } from '../platform/log.js';
import {
  type ClaimedDelivery,
  claimDueDeliveries,
  insertDeliveries,
  lockPendingEvents,
  lockUnpublishedEvents,
  markDispatched,
  markPublished,
  purgeHistory,
  recordAttempt,
} from './queries.js';
import { sendWebhook } from './send.js';
import { openSecret } from './service.js';

/** The channel the outbox triggers notify on commit. */
export const WEBHOOK_CHANNEL = 'webhook_events';
const EVENT_BATCH = 200;
/** How long past the attempt timeout a claimed delivery stays leased to its worker. */
const LEASE_MARGIN_MS = 5000;
const PURGE_EVERY_MS = 60 * 60 * 1000;

export interface DispatcherOptions {
  db: Db;
  /** The postgres.js client, for LISTEN. */
  sql: postgres.Sql;
  keyring: Keyring;
  log: Logger;
  timeoutMs: number;
  /** Waits after each failed attempt; past the last, the delivery is failed. */
  retryDelaysMs: readonly number[];
  concurrency: number;
  pollMs: number;
  /** Finished deliveries and dispatched events older than this are deleted, hourly. */
  retentionMs: number;
  allowInsecureUrls: boolean;
  /**
   * When set, every event also goes to `topic`, keyed by organisation (at least once), from the
   * same outbox but apart from the webhooks. `connect` makes a producer, again after a failure.
   */
  kafka?: { topic: string; connect: () => Promise<KafkaProducer> };
  clock?: () => Date;
}

/**
 * Drains the webhook outbox: turns each new event into deliveries for its organisation's
 * subscriptions, attempts due deliveries with retries and backoff, and publishes events to Kafka.
 * Any number of dispatchers may run against one database: events and deliveries are claimed with
 * `FOR UPDATE SKIP LOCKED`, and a claimed delivery is leased, so a dispatcher that dies mid-attempt
 * leaves it to another after the lease. Woken by NOTIFY on commit, and by a short poll.
 */
export class WebhookDispatcher {
  private readonly clock: () => Date;
  private timer: NodeJS.Timeout | undefined;
  private purgeTimer: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private pumping: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly inFlight = new Set<Promise<void>>();
  private producer: KafkaProducer | undefined;

  constructor(private readonly o: DispatcherOptions) {
    this.clock = o.clock ?? (() => new Date());
  }

  async start(): Promise<void> {
    const listening = await this.o.sql.listen(WEBHOOK_CHANNEL, () => this.kick());
    this.unlisten = listening.unlisten;
    this.timer = setInterval(() => this.kick(), this.o.pollMs);
    this.timer.unref();
    this.purgeTimer = setInterval(() => {
      this.purge().catch((err) => this.o.log.warn({ err }, 'webhook history purge failed'));
    }, PURGE_EVERY_MS);
    this.purgeTimer.unref();
    this.kick();
  }

  /** Deletes history past the retention; returns how many rows went. */
  purge(): Promise<number> {
    return purgeHistory(this.o.db, {
      before: new Date(this.clock().getTime() - this.o.retentionMs),
    });
  }

  /** Stops claiming work and waits for attempts in flight to be recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearInterval(this.purgeTimer);
    await this.unlisten?.().catch(() => {});
    await this.pumping;
    await Promise.all(this.inFlight);
    await this.producer?.disconnect();
    this.producer = undefined;
  }

  /** Runs a pass now, or right after the running one. */
  kick(): void {
    if (this.stopped) return;
    this.again = true;
    if (this.pumping) return;
    this.pumping = this.pump()
      .catch((err) => this.o.log.error({ err }, 'webhook dispatch failed; retrying on next poll'))
      .finally(() => {
        this.pumping = undefined;
      });
  }

  private async pump(): Promise<void> {
    while (this.again && !this.stopped) {
      this.again = false;
      while ((await this.dispatchEvents()) === EVENT_BATCH && !this.stopped);
      await this.startDue();
      if (this.o.kafka) await this.publishAll(this.o.kafka);
    }
  }

  /** Publishes what is waiting; a broker failure is logged and retried on the next pass. */
  private async publishAll(kafka: NonNullable<DispatcherOptions['kafka']>): Promise<void> {
    try {
      while ((await this.publishEvents(kafka)) === EVENT_BATCH && !this.stopped);
    } catch (err) {
      this.o.log.warn({ err }, 'webhook events not published to Kafka; retrying on next poll');
    }
  }

  /**
   * One batch of new events: deliveries inserted and events marked in one transaction (without
   * Kafka, also marked published: nothing to publish). Deliveries are unique per event and
   * subscription, so a batch dispatched again after a crash adds none twice.
   */
  private async dispatchEvents(): Promise<number> {
    return this.o.db.transaction().execute(async (tx) => {
      const events = await lockPendingEvents(tx, EVENT_BATCH);
      if (events.length === 0) return 0;
      const now = this.clock();
      await insertDeliveries(tx, events, now);
      await markDispatched(
        tx,
        events.map((e) => e.id),
        now,
        this.o.kafka === undefined,
      );
      return events.length;
    });
  }

  /**
   * One batch of events onto the topic, marked once the broker acknowledged them. A crash or a
   * failed flush before the commit publishes the batch again (at least once); after a failure
   * the producer is replaced, as a failed flush taints it.
   */
  private async publishEvents(kafka: NonNullable<DispatcherOptions['kafka']>): Promise<number> {
    return this.o.db.transaction().execute(async (tx) => {
      const events = await lockUnpublishedEvents(tx, EVENT_BATCH);
      if (events.length === 0) return 0;
      this.producer ??= await kafka.connect();
      const producer = this.producer;
      try {
        for (const e of events)
          producer.produce(
            kafka.topic,
            e.org_id,
            JSON.stringify({ id: e.id, organisationId: e.org_id, ...(e.payload as object) }),
            [{ 'webhook-id': e.id }],
          );
        await producer.flush();
      } catch (err) {
        this.producer = undefined;
        await producer.disconnect().catch(() => {});
        throw err;
      }
      await markPublished(
        tx,
        events.map((e) => e.id),
        this.clock(),
      );
      return events.length;
    });
  }

  /** Claims as many due deliveries as there are free slots and starts their attempts. */
  private async startDue(): Promise<void> {
    while (!this.stopped) {
      const free = this.o.concurrency - this.inFlight.size;
      if (free <= 0) return;
      const now = this.clock();
      const claimed = await claimDueDeliveries(this.o.db, {
        now,
        leaseUntil: new Date(now.getTime() + this.o.timeoutMs + LEASE_MARGIN_MS),
        limit: free,
      });
      for (const d of claimed) {
        const p: Promise<void> = this.attempt(d)
          .catch((err) => this.o.log.error({ err, deliveryId: d.id }, 'webhook attempt failed'))
          .finally(() => {
            this.inFlight.delete(p);
            this.kick();
          });
        this.inFlight.add(p);
      }
      if (claimed.length < free) return;
    }
  }

  private async attempt(d: ClaimedDelivery): Promise<void> {
    if (d.deleted) {
      await recordAttempt(this.o.db, {
        id: d.id,
        at: this.clock(),
        outcome: 'failed',
        status: null,
        error: 'the webhook was deleted',
      });
      return;
    }
    const now = this.clock();
    const sealed = [d.secret_sealed];
    if (d.previous_secret_sealed && d.previous_secret_until && d.previous_secret_until > now)
      sealed.push(d.previous_secret_sealed);
    const result = await sendWebhook({
      url: d.url,
      secrets: sealed.map((s) => openSecret(this.o.keyring, d.subscription_id, s)),
      msgId: d.event_id,
      body: JSON.stringify(d.payload),
      at: now,
      timeoutMs: this.o.timeoutMs,
      allowInsecure: this.o.allowInsecureUrls,
    });
    const at = this.clock();
    if (result.ok) {
      await recordAttempt(this.o.db, { id: d.id, at, outcome: 'delivered', ...result });
      return;
    }
    const delay = this.o.retryDelaysMs[d.attempts - 1];
    if (delay === undefined) {
      await recordAttempt(this.o.db, { id: d.id, at, outcome: 'failed', ...result });
      return;
    }
    await recordAttempt(this.o.db, {
      id: d.id,
      at,
      outcome: 'retry',
      retryAt: new Date(at.getTime() + delay),
      ...result,
    });
    if (delay < this.o.pollMs) setTimeout(() => this.kick(), delay).unref();
  }
}
