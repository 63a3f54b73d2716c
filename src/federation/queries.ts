import { sql } from 'kysely';
import type { DbOrTx, Tx } from '../platform/db/client.js';
import type { StatusDetail } from './schema.js';

/** Who reads: a partner instance of `country`, from this instance of `ownCountry`. */
export interface Audience {
  country: string;
  ownCountry: string;
}

/** A position in the change order: the writing transaction's id, then the change's sequence. */
export interface ChangeKey {
  xid: number;
  seq: number;
}

/**
 * Whether a partner may receive an indicator: never `red`; in its distribution (`*` or its
 * country, and for `amber+strict` its country by name); and an indicator imported from another
 * country only when `clear` or `green` and never back to the country it came from.
 */
function visibleTo(a: Audience) {
  return sql<boolean>`(tlp <> 'red'
    and (${a.country} = any(share_with) or ('*' = any(share_with) and tlp <> 'amber+strict'))
    and (source_country = ${a.ownCountry}
      or (tlp in ('clear', 'green') and source_country <> ${a.country})))`;
}

/**
 * The changes a partner may read after `after`, in change order. Only changes of transactions
 * older than every transaction still running are served: one that commits later has a larger
 * transaction id than the horizon, so it sorts after every cursor handed out now and is never
 * skipped, however many changes share one timestamp.
 */
export async function listVisibleChanges(
  db: DbOrTx,
  f: {
    audience: Audience;
    after?: ChangeKey;
    addedAfter?: Date;
    stixIds?: string[];
    limit: number;
  },
) {
  let q = db
    .selectFrom('watchlist_indicators')
    .selectAll()
    .where(visibleTo(f.audience))
    .where(sql<boolean>`federation_xid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint`);
  if (f.after) {
    const a = f.after;
    q = q.where(sql<boolean>`(federation_xid, federation_seq) > (${a.xid}, ${a.seq})`);
  }
  if (f.addedAfter) q = q.where('updated_at', '>', f.addedAfter);
  if (f.stixIds) q = q.where('stix_id', 'in', f.stixIds);
  return q.orderBy('federation_xid').orderBy('federation_seq').limit(f.limit).execute();
}

/** One indicator by STIX id if the partner may read it; undefined whether unknown or invisible. */
export async function findVisible(
  db: DbOrTx,
  { audience, stixId }: { audience: Audience; stixId: string },
) {
  return db
    .selectFrom('watchlist_indicators')
    .selectAll()
    .where('stix_id', '=', stixId)
    .where(visibleTo(audience))
    .executeTakeFirst();
}

export async function insertStatus(
  tx: Tx,
  s: {
    id: string;
    partnerId: string;
    at: Date;
    successes: StatusDetail[];
    failures: StatusDetail[];
  },
) {
  return tx
    .insertInto('federation_statuses')
    .values({
      id: s.id,
      partner_id: s.partnerId,
      request_timestamp: s.at,
      total_count: s.successes.length + s.failures.length,
      success_count: s.successes.length,
      failure_count: s.failures.length,
      successes: sql<StatusDetail[]>`${JSON.stringify(s.successes)}::text::jsonb`,
      failures: sql<StatusDetail[]>`${JSON.stringify(s.failures)}::text::jsonb`,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findStatus(db: DbOrTx, { id, partnerId }: { id: string; partnerId: string }) {
  return db
    .selectFrom('federation_statuses')
    .selectAll()
    .where('id', '=', id)
    .where('partner_id', '=', partnerId)
    .executeTakeFirst();
}

/** Notes a partner's sighting as recorded; false when it already was (a repeated post). */
export async function markSightingReceived(
  tx: Tx,
  r: { partnerId: string; sightingId: string; indicatorId: string; at: Date },
): Promise<boolean> {
  const row = await tx
    .insertInto('federation_received_sightings')
    .values({
      partner_id: r.partnerId,
      sighting_id: r.sightingId,
      indicator_id: r.indicatorId,
      received_at: r.at,
    })
    .onConflict((oc) => oc.columns(['partner_id', 'sighting_id']).doNothing())
    .returning('sighting_id')
    .executeTakeFirst();
  return row !== undefined;
}
