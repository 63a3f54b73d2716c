import { sql } from 'drizzle-orm';
import { check, pgTable, text } from 'drizzle-orm/pg-core';
import { ts } from '../../platform/db/columns.js';

/**
 * Per country, what a registration by an identity whose other lines are listed gets: `allow`
 * (registered and the identity flagged) or `refuse` (`409 identity_watchlisted`, the identity
 * flagged all the same). A country without a row allows and flags.
 */
export const watchlistRegistrationPolicies = pgTable(
  'watchlist_registration_policies',
  {
    country: text('country').primaryKey(),
    listedIdentity: text('listed_identity').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    check(
      'watchlist_registration_policies_listed_identity_check',
      sql`${t.listedIdentity} in ('allow', 'refuse')`,
    ),
  ],
);
