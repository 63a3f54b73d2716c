import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { operators } from '../access/schema.js';
import { ts } from '../platform/db/columns.js';

/**
 * An organisation's webhook endpoint: where its events go and which. The signing secret is
 * sealed (AES-GCM under the PII keyring, bound to the row) and shown once, at creation or
 * rotation. A deleted subscription keeps its row so its deliveries stay readable.
 */
export const webhookSubscriptions = pgTable(
  'webhook_subscriptions',
  {
    id: text('id').primaryKey(), // 'wh_' + newId
    orgId: text('org_id')
      .notNull()
      .references(() => operators.id),
    url: text('url').notNull(),
    events: text('events').array().notNull(),
    secretSealed: text('secret_sealed').notNull(),
    /**
     * The secret before the last rotation, still signing beside the new one until
     * `previous_secret_until`, so receivers can switch without missing a delivery.
     */
    previousSecretSealed: text('previous_secret_sealed'),
    previousSecretUntil: ts('previous_secret_until'),
    createdAt: ts('created_at').notNull(),
    rotatedAt: ts('rotated_at'),
    deletedAt: ts('deleted_at'),
  },
  (t) => [index('webhook_subscriptions_org_idx').on(t.orgId)],
);

/**
 * The outbox: one row per event and receiving organisation, written in the transaction of the
 * change that caused it (by triggers on `watchlist_indicators` and `scoring_alerts`). A
 * dispatcher turns each into deliveries for the organisation's subscriptions (`dispatched_at`)
 * and, apart, into a Kafka message (`published_at`).
 */
export const webhookEvents = pgTable(
  'webhook_events',
  {
    /** The Standard Webhooks `webhook-id`: 'msg_' and 32 hex digits. */
    id: text('id').primaryKey(),
    seq: bigserial('seq', { mode: 'number' }).notNull(),
    orgId: text('org_id').notNull(),
    type: text('type').notNull(),
    /** The body sent: `{ type, timestamp, data }`. */
    payload: jsonb('payload').notNull(),
    createdAt: ts('created_at').notNull().default(sql`clock_timestamp()`),
    /** When its deliveries were created. */
    dispatchedAt: ts('dispatched_at'),
    /**
     * When the broker acknowledged it on the events topic; a dispatcher without Kafka stamps it
     * as it dispatches (nothing to publish), so the two outboxes drain apart: a Kafka outage
     * delays the topic, never the webhooks.
     */
    publishedAt: ts('published_at'),
  },
  (t) => [
    index('webhook_events_pending_idx').on(t.seq).where(sql`${t.dispatchedAt} is null`),
    index('webhook_events_unpublished_idx').on(t.seq).where(sql`${t.publishedAt} is null`),
  ],
);

/** One event to one subscription: its attempts, the last outcome, and when to try again. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    subscriptionId: text('subscription_id')
      .notNull()
      .references(() => webhookSubscriptions.id),
    eventId: text('event_id')
      .notNull()
      .references(() => webhookEvents.id),
    /** pending | delivered | failed */
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    /** When a pending delivery is due; while an attempt runs, when its lease ends. */
    nextAttemptAt: ts('next_attempt_at').notNull(),
    lastAttemptAt: ts('last_attempt_at'),
    lastStatus: integer('last_status'),
    lastError: text('last_error'),
    deliveredAt: ts('delivered_at'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_event_key').on(t.eventId, t.subscriptionId),
    index('webhook_deliveries_subscription_idx').on(t.subscriptionId, t.id),
    index('webhook_deliveries_due_idx').on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
  ],
);
