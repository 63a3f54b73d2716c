import { sql } from 'drizzle-orm';
import { boolean, index, integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { operators } from '../access/schema.js';
import { ts } from '../platform/db/columns.js';
import { watchlistIndicators } from '../watchlist/schema.js';

/**
 * A partner's TAXII collection this instance pulls: where (the URL given, and the API root and
 * collection found by discovery), with which key (sealed), how far (the server's `next` token,
 * or the last `X-TAXII-Date-Added-Last` once a pull ran dry), and how it went.
 */
export const federationPulls = pgTable('federation_pulls', {
  id: text('id').primaryKey(), // 'pull_' + newId
  partnerId: text('partner_id')
    .notNull()
    .unique()
    .references(() => operators.id),
  /** The partner's country: the only source country its objects may claim. */
  country: text('country').notNull(),
  /** As given: a discovery URL (`.../taxii2/`) or an API root. */
  taxiiUrl: text('taxii_url').notNull(),
  apiRoot: text('api_root'),
  collectionId: text('collection_id'),
  /** The partner's API key, sealed with PII_KEYS (AES-256-GCM bound to this row). */
  keySealed: text('key_sealed').notNull(),
  cursorNext: text('cursor_next'),
  addedAfter: ts('added_after'),
  imported: integer('imported').notNull().default(0),
  updated: integer('updated').notNull().default(0),
  revoked: integer('revoked').notNull().default(0),
  refused: integer('refused').notNull().default(0),
  /** Publish-to-usable lags of the latest changes imported, newest last (at most 200). */
  recentLagsMs: integer('recent_lags_ms').array().notNull().default(sql`'{}'::integer[]`),
  lastSuccessAt: ts('last_success_at'),
  lastErrorAt: ts('last_error_at'),
  lastError: text('last_error'),
  /** Failed attempts in a row: the back-off before the next one doubles with each. */
  failures: integer('failures').notNull().default(0),
  nextAttemptAt: ts('next_attempt_at'),
  createdAt: ts('created_at').notNull(),
});

/**
 * Which local indicator each imported STIX indicator became (its own row, or a local listing of
 * the same value it was added to as a source), and the `modified` of the version imported: an
 * older or equal version is ignored, so importing again changes nothing.
 */
export const federationImports = pgTable(
  'federation_imports',
  {
    stixId: text('stix_id').primaryKey(),
    pullId: text('pull_id')
      .notNull()
      .references(() => federationPulls.id),
    indicatorId: text('indicator_id')
      .notNull()
      .references(() => watchlistIndicators.id),
    sourceModified: ts('source_modified').notNull(),
    /** The source's latest version is revoked. */
    sourceRevoked: boolean('source_revoked').notNull().default(false),
    importedAt: ts('imported_at').notNull(),
  },
  (t) => [index('federation_imports_indicator_idx').on(t.indicatorId)],
);

/**
 * Sightings owed to the source partner of an imported indicator, aggregated per indicator, kind
 * and minute: filled by triggers on `scoring_alerts` (watchlist matches) and
 * `watchlist_sightings` (local sightings), emptied by the sender (`count - sent_count` is owed).
 */
export const federationSightingOutbox = pgTable(
  'federation_sighting_outbox',
  {
    pullId: text('pull_id')
      .notNull()
      .references(() => federationPulls.id),
    stixId: text('stix_id').notNull(),
    kind: text('kind').notNull(), // seen | false_positive
    minute: ts('minute').notNull(),
    count: integer('count').notNull(),
    sentCount: integer('sent_count').notNull().default(0),
    firstSeen: ts('first_seen').notNull(),
    lastSeen: ts('last_seen').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at'),
    lastError: text('last_error'),
    sentAt: ts('sent_at'),
  },
  (t) => [
    primaryKey({ columns: [t.pullId, t.stixId, t.kind, t.minute] }),
    index('federation_sighting_outbox_owed_idx')
      .on(t.pullId)
      .where(sql`${t.count} > ${t.sentCount}`),
  ],
);
