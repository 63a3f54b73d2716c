/**
 * The watchlist at registration: a listed number cannot be registered, and a registration by an
 * identity whose other active lines are listed flags the identity and is allowed or refused by
 * the country's policy (`watchlist_registration_policies`; allow by default).
 */
import { sql } from 'kysely';
import type { DbOrTx, Tx } from '../../platform/db/client.js';
import { ServiceError } from '../../platform/errors.js';

/** The active, unexpired msisdn indicator listing `msisdn`, if any. */
export async function findListedMsisdn(
  db: DbOrTx,
  q: { msisdn: string; now: Date },
): Promise<{ id: string; category: string } | undefined> {
  return db
    .selectFrom('watchlist_indicators')
    .select(['id', 'category'])
    .where('type', '=', 'msisdn')
    .where('value', '=', q.msisdn)
    .where('bank_code', '=', '')
    .where('status', '=', 'active')
    .where('valid_until', '>', q.now)
    .executeTakeFirst();
}

/** The identity's active lines that are listed (matching at `now`), with their indicators. */
export async function findListedLinesOf(
  db: DbOrTx,
  q: { personKey: string; now: Date },
): Promise<{ msisdn: string; indicatorId: string }[]> {
  return db
    .selectFrom('registrations as r')
    .innerJoin('watchlist_indicators as i', (j) =>
      j
        .onRef('i.value', '=', 'r.msisdn')
        .on('i.type', '=', 'msisdn')
        .on('i.bank_code', '=', '')
        .on('i.status', '=', 'active')
        .on('i.valid_until', '>', q.now),
    )
    .select(['r.msisdn', 'i.id as indicatorId'])
    .where('r.person_key', '=', q.personKey)
    .where('r.status', '=', 'active')
    .orderBy('r.msisdn')
    .execute();
}

/** What the country's policy does with an identity whose lines are listed. */
export async function listedIdentityPolicy(
  db: DbOrTx,
  country: string,
): Promise<'allow' | 'refuse'> {
  const row = await db
    .selectFrom('watchlist_registration_policies')
    .select('listed_identity')
    .where('country', '=', country)
    .executeTakeFirst();
  return row?.listed_identity === 'refuse' ? 'refuse' : 'allow';
}

/** Flags the identity (kept from the first flag on) with the reason. */
export async function flagListedIdentity(
  tx: Tx,
  f: { personKey: string; lines: number; now: Date },
): Promise<void> {
  await tx
    .updateTable('persons')
    .set({
      flagged_at: sql`coalesce(flagged_at, ${f.now})`,
      flag_reason: `watchlist: ${f.lines} of the identity's active lines are listed`,
    })
    .where('person_key', '=', f.personKey)
    .execute();
}

/**
 * Checks a registration against the watchlist, in its transaction: throws `msisdn_watchlisted`
 * for a listed number; for an identity with listed lines flags it and, where the country's policy
 * refuses, throws `identity_watchlisted` (the refusal's audit flags it again after the rollback).
 */
export async function checkRegistrationWatchlist(
  tx: Tx,
  q: { msisdn: string; personKey: string; country: string; now: Date },
): Promise<void> {
  const [listed, lines, policy] = await Promise.all([
    findListedMsisdn(tx, q),
    findListedLinesOf(tx, q),
    listedIdentityPolicy(tx, q.country),
  ]);
  if (listed !== undefined)
    throw new ServiceError(
      'msisdn_watchlisted',
      'this MSISDN is on the watchlist and cannot be registered',
      {
        indicatorId: listed.id,
      },
    );
  if (lines.length === 0) return;
  if (policy === 'refuse')
    throw new ServiceError(
      'identity_watchlisted',
      `${lines.length} of this person's active lines are on the watchlist; ${q.country} refuses their new registrations`,
      { lines: lines.length },
    );
  await flagListedIdentity(tx, { personKey: q.personKey, lines: lines.length, now: q.now });
}
