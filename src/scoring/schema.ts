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
  smallint,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { operators } from '../access/schema.js';
import { bytes, ts } from '../platform/db/columns.js';

/** One row per rule: the fields that differ from the defaults in rules.ts; read at runtime. */
export const scoringThresholds = pgTable('scoring_thresholds', {
  rule: text('rule').primaryKey(),
  params: jsonb('params').notNull(),
  updatedBy: text('updated_by').notNull(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
});

/** Operator-approved legitimate bulk callers (bank hotlines...): no volume rules for them. */
export const scoringAllowlist = pgTable('scoring_allowlist', {
  msisdn: text('msisdn').primaryKey(),
  operatorId: text('operator_id').references(() => operators.id),
  reason: text('reason').notNull(),
  addedBy: text('added_by').notNull(),
  createdAt: ts('created_at').notNull().default(sql`now()`),
});

/**
 * Alerts, raised once per subject (the line, or `imei:<imei>`), rule and window: the unique key
 * makes a replay after a crash insert nothing twice.
 */
export const scoringAlerts = pgTable(
  'scoring_alerts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    subject: text('subject').notNull(),
    msisdn: text('msisdn').notNull(),
    imei: text('imei'),
    operatorId: text('operator_id'),
    personKey: text('person_key'),
    rule: text('rule').notNull(),
    score: doublePrecision('score').notNull(),
    windowStart: ts('window_start').notNull(),
    windowEnd: ts('window_end').notNull(),
    evidence: jsonb('evidence').notNull(),
    status: text('status').notNull().default('open'),
    createdAt: ts('created_at').notNull(),
    closedAt: ts('closed_at'),
    closedBy: text('closed_by'),
    closeReason: text('close_reason'),
    /**
     * When the alert reached `line.alerts` (acknowledged by the broker); null until then. The
     * scorer publishes from this table (an outbox), so a crash between the commit and the
     * broker's acknowledgement delays an alert on the topic but never loses it.
     */
    publishedAt: ts('published_at'),
    /** For a member line's row of a group alert: the group's key (`scoring_group_alerts`). */
    groupKey: text('group_key'),
  },
  (t) => [
    uniqueIndex('scoring_alerts_subject_rule_window_key').on(t.subject, t.rule, t.windowEnd),
    /** The console's matches of one indicator: watchlist alerts by the indicator they name. */
    index('scoring_alerts_indicator_idx')
      .on(sql`(${t.evidence}->'indicator'->>'id')`)
      .where(sql`${t.rule} like 'watchlist_%'`),
    index('scoring_alerts_unpublished_idx').on(t.id).where(sql`${t.publishedAt} is null`),
    index('scoring_alerts_msisdn_idx').on(t.msisdn, t.status),
    index('scoring_alerts_operator_idx').on(t.operatorId, t.id),
    index('scoring_alerts_person_idx').on(t.personKey),
    index('scoring_alerts_group_idx').on(t.createdAt).where(sql`${t.groupKey} is not null`),
  ],
);

/**
 * Group alerts, once per rule, group key (`cell:<id>`, `sms-block:<prefix>`,
 * `call-block:<prefix>`) and UTC day, with every member line; each member line also has its own
 * row in `scoring_alerts` (with `group_key`), which its risk, the alerts list and the alerts topic
 * show. Members added later in the day grow `members` and the evidence.
 */
export const scoringGroupAlerts = pgTable(
  'scoring_group_alerts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    rule: text('rule').notNull(),
    groupKey: text('group_key').notNull(),
    windowStart: ts('window_start').notNull(),
    windowEnd: ts('window_end').notNull(),
    score: doublePrecision('score').notNull(),
    members: jsonb('members').notNull(),
    memberCount: integer('member_count').notNull(),
    evidence: jsonb('evidence').notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [uniqueIndex('scoring_group_alerts_key').on(t.rule, t.groupKey, t.windowEnd)],
);

/**
 * The group stage's state: per stream (a partition of the group repartition topic, or
 * `http.group`) and `<day>|<group key>`, one row per line seen there (`member`, its summary as
 * JSON) and one for the key's own facts (`member` ''), written with the stream's offset in one
 * transaction; a commit rewrites only the rows that changed.
 */
export const scoringGroupState = pgTable(
  'scoring_group_state',
  {
    stream: text('stream').notNull(),
    groupKey: text('group_key').notNull(),
    member: text('member').notNull().default(''),
    state: text('state').notNull(),
  },
  (t) => [primaryKey({ columns: [t.stream, t.groupKey, t.member] })],
);

/**
 * One row per input stream (Kafka topic-partition, `http:<operator>`, `http.imei`): its
 * event-time clock and the next offset to read, written in the same transaction as the state
 * that offset produced.
 */
export const scoringStreams = pgTable('scoring_streams', {
  stream: text('stream').primaryKey(),
  clock: jsonb('clock').notNull(),
  nextOffset: bigint('next_offset', { mode: 'number' }),
  /** Raised by each owner on assignment; a commit from an older owner is refused (fencing). */
  generation: bigint('generation', { mode: 'number' }).notNull().default(0),
  updatedAt: ts('updated_at').notNull(),
});

/** Each line's own window state, per stream, in the binary form of `writeLineMeta` (engine.ts). */
export const scoringLineState = pgTable(
  'scoring_line_state',
  {
    stream: text('stream').notNull(),
    msisdn: text('msisdn').notNull(),
    state: bytes('state').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.stream, t.msisdn] }),
    index('scoring_line_state_msisdn_idx').on(t.msisdn),
  ],
);

/**
 * A line's hour buckets, one row each (`writeBucket` in engine.ts): a commit writes only the
 * hours its records touched, each into its slot of the line's ring. Rows go with their line.
 */
export const scoringLineHours = pgTable(
  'scoring_line_hours',
  {
    stream: text('stream').notNull(),
    msisdn: text('msisdn').notNull(),
    /** `hour` mod HOUR_SLOTS (queries.ts): a new hour takes the row of one long out of window. */
    slot: smallint('slot').notNull(),
    /** Hours since the epoch (UTC); rows of hours before the stream's open window are stale. */
    hour: integer('hour').notNull(),
    state: bytes('state').notNull(),
  },
  (t) => [primaryKey({ columns: [t.stream, t.msisdn, t.slot] })],
);

/** Distinct IMSIs per IMEI and hour, per stream of the IMEI repartition topic (`writeImei`). */
export const scoringImeiState = pgTable(
  'scoring_imei_state',
  {
    stream: text('stream').notNull(),
    imei: text('imei').notNull(),
    state: bytes('state').notNull(),
  },
  (t) => [primaryKey({ columns: [t.stream, t.imei] })],
);
