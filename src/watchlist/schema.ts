import { index, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { ts } from '../platform/db/columns.js';

/**
 * Listed indicators (numbers, devices, accounts, servers): local listings and partners' imports.
 * An indicator matches at time `now` when `status = 'active' and valid_until > now`.
 */
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
  },
  (t) => [
    uniqueIndex('watchlist_indicators_value_key').on(t.type, t.value, t.bankCode),
    uniqueIndex('watchlist_indicators_stix_key').on(t.stixId),
    index('watchlist_indicators_updated_idx').on(t.updatedAt),
  ],
);
