import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { ts } from '../platform/db/columns.js';

export const watchlistIndicators = pgTable(
  'watchlist_indicators',
  {
    id: text('id').primaryKey(), // 'ind_' + newId
    stixId: text('stix_id').notNull(), // 'indicator--<uuid v4>'
    type: text('type').notNull(), // msisdn | imei | bank_account | ip | domain | url
    value: text('value').notNull(), // canonical form (see normalise.ts)
    bankCode: text('bank_code').notNull().default(''), // bank_account only, else ''
    category: text('category').notNull(), // scam_caller | mule_account | scam_server | phishing | sim_farm_device | other
    confidence: integer('confidence').notNull(), // 0-100 (max of the sources')
    tlp: text('tlp').notNull(), // clear | green | amber | amber+strict | red
    shareWith: text('share_with').array().notNull(), // country codes or ['*']
    status: text('status').notNull(), // active | suspended | revoked
    validUntil: ts('valid_until').notNull(),
    description: text('description').notNull(),
    caseRef: text('case_ref'),
    sourceCountry: text('source_country').notNull(), // the instance's country for local listings
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    revokedAt: ts('revoked_at'),
    revokeReason: text('revoke_reason'),
    /**
     * Federation change order, set by a trigger on every insert and update: the writing
     * transaction's id and a strictly increasing sequence number (see src/federation/queries.ts).
     */
    federationXid: bigint('federation_xid', { mode: 'number' }).notNull().default(0),
    federationSeq: bigint('federation_seq', { mode: 'number' }).notNull().default(0),
  },
  (t) => [
    uniqueIndex('watchlist_indicators_value_key').on(t.type, t.value, t.bankCode),
    uniqueIndex('watchlist_indicators_stix_key').on(t.stixId),
    index('watchlist_indicators_updated_idx').on(t.updatedAt),
    index('watchlist_indicators_federation_idx').on(t.federationXid, t.federationSeq),
  ],
);

/**
 * Who listed an indicator: one row per source organisation (an operator or bank id, or
 * `regulator` for console users), with that source's own confidence and words. The first
 * source owns the indicator and reviews false positives.
 */
export const watchlistIndicatorSources = pgTable(
  'watchlist_indicator_sources',
  {
    indicatorId: text('indicator_id')
      .notNull()
      .references(() => watchlistIndicators.id),
    sourceOrg: text('source_org').notNull(),
    isOwner: boolean('is_owner').notNull(),
    confidence: integer('confidence').notNull(),
    description: text('description').notNull(),
    caseRef: text('case_ref'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.indicatorId, t.sourceOrg] })],
);

/** Sightings per MISP: `seen` (extends validity) or `false_positive`. */
export const watchlistSightings = pgTable(
  'watchlist_sightings',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    indicatorId: text('indicator_id')
      .notNull()
      .references(() => watchlistIndicators.id),
    kind: text('kind').notNull(),
    note: text('note').notNull(),
    /** The organisation (operator or bank id, or `regulator`) and the actor within it. */
    byOrg: text('by_org').notNull(),
    byActor: text('by_actor').notNull(),
    at: ts('at').notNull(),
  },
  (t) => [index('watchlist_sightings_indicator_idx').on(t.indicatorId, t.at)],
);

/**
 * Values that must never be listed: verified bank, government and operator hotlines, and
 * operator-approved bulk callers. Stored in canonical form.
 */
export const watchlistWarninglist = pgTable(
  'watchlist_warninglist',
  {
    type: text('type').notNull(),
    value: text('value').notNull(),
    bankCode: text('bank_code').notNull().default(''),
    /** verified_bank | government_hotline | operator_hotline | approved_bulk_caller */
    reason: text('reason').notNull(),
    description: text('description').notNull(),
    /** Where the entry was verified (a URL or a document), so it can be re-checked. */
    source: text('source').notNull(),
    createdAt: ts('created_at').notNull().default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.type, t.value, t.bankCode] })],
);

/** Policy: how long a listing of each type matches unless seen again, and the longest allowed. */
export const watchlistLifetimes = pgTable('watchlist_lifetimes', {
  type: text('type').primaryKey(),
  defaultDays: integer('default_days').notNull(),
  maxDays: integer('max_days').notNull(),
  source: text('source').notNull(),
});
