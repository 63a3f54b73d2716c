import { index, integer, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { ts } from '../platform/db/columns.js';

/**
 * TAXII 2.1 status resources: the outcome of one `POST .../objects/` by a partner, readable by
 * that partner at `/taxii2/api/status/{id}/`. Sightings are recorded synchronously, so a status
 * is complete when it is written.
 */
export const federationStatuses = pgTable(
  'federation_statuses',
  {
    id: text('id').primaryKey(), // uuid
    partnerId: text('partner_id').notNull(),
    requestTimestamp: ts('request_timestamp').notNull(),
    totalCount: integer('total_count').notNull(),
    successCount: integer('success_count').notNull(),
    failureCount: integer('failure_count').notNull(),
    /** `[{ id, version, message? }]` per TAXII 2.1 status details. */
    successes: jsonb('successes').$type<StatusDetail[]>().notNull(),
    failures: jsonb('failures').$type<StatusDetail[]>().notNull(),
  },
  (t) => [index('federation_statuses_partner_idx').on(t.partnerId)],
);

export interface StatusDetail {
  id: string;
  version: string;
  message?: string;
}

/**
 * The STIX sightings each partner has had recorded, so a sighting posted again (a retry after a
 * lost answer) is acknowledged without being counted twice.
 */
export const federationReceivedSightings = pgTable(
  'federation_received_sightings',
  {
    partnerId: text('partner_id').notNull(),
    sightingId: text('sighting_id').notNull(), // sighting--<uuid>
    indicatorId: text('indicator_id').notNull(),
    receivedAt: ts('received_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.partnerId, t.sightingId] })],
);
