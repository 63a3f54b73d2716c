import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

/** Append-only (triggers refuse UPDATE/DELETE/TRUNCATE, see migrations); one hash chain per shard. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    shard: text('shard').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    actorType: text('actor_type').notNull(),
    actorId: text('actor_id').notNull(),
    action: text('action').notNull(),
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id').notNull(),
    outcome: text('outcome').notNull(),
    data: jsonb('data').notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
    /** The audit HMAC key that linked this row; null for rows linked before keys existed. */
    keyId: text('key_id'),
  },
  (t) => [
    uniqueIndex('audit_log_shard_seq_key').on(t.shard, t.seq),
    index('audit_log_subject_idx').on(t.subjectType, t.subjectId),
    /** Checkpoints record each shard's last unkeyed row; only old rows are unkeyed. */
    index('audit_log_unkeyed_idx').on(t.shard, t.seq).where(sql`key_id is null`),
  ],
);

/** The newest link of each chain; locking its row orders appends within one shard only. */
export const auditHeads = pgTable('audit_heads', {
  shard: text('shard').primaryKey(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  hash: text('hash').notNull(),
});

export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    operatorId: text('operator_id').notNull(),
    key: text('key').notNull(),
    fingerprint: text('fingerprint').notNull(),
    status: integer('status').notNull(),
    body: text('body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' })
      .notNull()
      .default(sql`now()`),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.operatorId, t.key] }),
    index('idempotency_keys_expires_idx').on(t.expiresAt),
  ],
);

/**
 * Rate limits shared by every API replica (platform/rate-limit.ts): one row per (limit, subject)
 * holding the tokens left at `refilled_at` and how many the last take granted. A per-process
 * bucket would let N replicas allow N times the limit.
 */
export const rateBuckets = pgTable(
  'rate_buckets',
  {
    scope: text('scope').notNull(),
    subject: text('subject').notNull(),
    tokens: doublePrecision('tokens').notNull(),
    refilledAt: timestamp('refilled_at', { withTimezone: true, mode: 'date' }).notNull(),
    granted: integer('granted').notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.subject] })],
);
