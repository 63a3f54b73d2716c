import { sql } from 'kysely';
import type { DbOrTx, Tx } from '../platform/db/client.js';
import type { IndicatorType } from './normalise.js';

export type IndicatorRow = Awaited<ReturnType<typeof findIndicator>> & object;

export async function findIndicator(db: DbOrTx, { id }: { id: string }) {
  return db.selectFrom('watchlist_indicators').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The indicator of a value, locked for update, so concurrent listings of it merge in turn. */
export async function lockIndicatorByValue(
  tx: Tx,
  k: { type: IndicatorType; value: string; bankCode: string },
) {
  return tx
    .selectFrom('watchlist_indicators')
    .selectAll()
    .where('type', '=', k.type)
    .where('value', '=', k.value)
    .where('bank_code', '=', k.bankCode)
    .forUpdate()
    .executeTakeFirst();
}

export async function lockIndicator(tx: Tx, { id }: { id: string }) {
  return tx
    .selectFrom('watchlist_indicators')
    .selectAll()
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
}

export async function findWarninglisted(
  db: DbOrTx,
  k: { type: IndicatorType; value: string; bankCode: string },
) {
  return db
    .selectFrom('watchlist_warninglist')
    .select(['reason', 'description'])
    .where('type', '=', k.type)
    .where('value', '=', k.value)
    .where('bank_code', '=', k.bankCode)
    .executeTakeFirst();
}

export async function findLifetime(db: DbOrTx, { type }: { type: IndicatorType }) {
  const row = await db
    .selectFrom('watchlist_lifetimes')
    .select(['default_days', 'max_days'])
    .where('type', '=', type)
    .executeTakeFirst();
  if (!row) throw new Error(`no lifetime policy for indicator type ${type}`);
  return { defaultDays: row.default_days, maxDays: row.max_days };
}

/** Adds or updates one source's listing of an indicator (its confidence and words). */
export async function upsertSource(
  tx: Tx,
  s: {
    indicatorId: string;
    sourceOrg: string;
    isOwner: boolean;
    confidence: number;
    description: string;
    caseRef: string | null;
    at: Date;
  },
) {
  await tx
    .insertInto('watchlist_indicator_sources')
    .values({
      indicator_id: s.indicatorId,
      source_org: s.sourceOrg,
      is_owner: s.isOwner,
      confidence: s.confidence,
      description: s.description,
      case_ref: s.caseRef,
      created_at: s.at,
      updated_at: s.at,
    })
    .onConflict((oc) =>
      oc.columns(['indicator_id', 'source_org']).doUpdateSet({
        confidence: s.confidence,
        description: s.description,
        case_ref: s.caseRef,
        updated_at: s.at,
      }),
    )
    .execute();
}

export async function findOwner(db: DbOrTx, { indicatorId }: { indicatorId: string }) {
  const row = await db
    .selectFrom('watchlist_indicator_sources')
    .select('source_org')
    .where('indicator_id', '=', indicatorId)
    .where('is_owner', '=', true)
    .executeTakeFirst();
  return row?.source_org;
}

export async function listSources(db: DbOrTx, { indicatorId }: { indicatorId: string }) {
  return db
    .selectFrom('watchlist_indicator_sources')
    .selectAll()
    .where('indicator_id', '=', indicatorId)
    .orderBy('created_at')
    .execute();
}

export async function insertSighting(
  tx: Tx,
  s: { indicatorId: string; kind: string; note: string; byOrg: string; byActor: string; at: Date },
) {
  const row = await tx
    .insertInto('watchlist_sightings')
    .values({
      indicator_id: s.indicatorId,
      kind: s.kind,
      note: s.note,
      by_org: s.byOrg,
      by_actor: s.byActor,
      at: s.at,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Indicators that match `now`: active and not yet past their validity. */
export async function findMatching(
  db: DbOrTx,
  k: { type: IndicatorType; value: string; bankCode: string; now: Date },
) {
  return db
    .selectFrom('watchlist_indicators')
    .select(['id', 'category', 'confidence'])
    .where('type', '=', k.type)
    .where('value', '=', k.value)
    .where('bank_code', '=', k.bankCode)
    .where('status', '=', 'active')
    .where('valid_until', '>', k.now)
    .execute();
}

/** Indicators newest first by (created_at, id), after an optional keyset cursor. */
export async function listIndicatorRows(
  db: DbOrTx,
  f: {
    type?: IndicatorType;
    value?: string;
    bankCode?: string;
    status?: string;
    category?: string;
    before?: { createdAt: Date; id: string };
    limit: number;
  },
) {
  let q = db.selectFrom('watchlist_indicators').selectAll();
  if (f.type) q = q.where('type', '=', f.type);
  if (f.value !== undefined) q = q.where('value', '=', f.value);
  if (f.bankCode !== undefined) q = q.where('bank_code', '=', f.bankCode);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.category) q = q.where('category', '=', f.category);
  if (f.before) {
    const b = f.before;
    q = q.where(sql<boolean>`(created_at, id) < (${b.createdAt}, ${b.id})`);
  }
  return q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(f.limit + 1)
    .execute();
}

export async function upsertWarninglist(
  tx: Tx,
  w: {
    type: IndicatorType;
    value: string;
    bankCode: string;
    reason: string;
    description: string;
    source: string;
  },
) {
  await tx
    .insertInto('watchlist_warninglist')
    .values({
      type: w.type,
      value: w.value,
      bank_code: w.bankCode,
      reason: w.reason,
      description: w.description,
      source: w.source,
    })
    .onConflict((oc) =>
      oc.columns(['type', 'value', 'bank_code']).doUpdateSet({
        reason: w.reason,
        description: w.description,
        source: w.source,
      }),
    )
    .execute();
}

export async function listWarninglist(db: DbOrTx) {
  return db
    .selectFrom('watchlist_warninglist')
    .selectAll()
    .orderBy('type')
    .orderBy('value')
    .execute();
}

export async function listSightings(db: DbOrTx, { indicatorId }: { indicatorId: string }) {
  return db
    .selectFrom('watchlist_sightings')
    .selectAll()
    .where('indicator_id', '=', indicatorId)
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(200)
    .execute();
}

/** Every type's default and maximum validity (policy data), in type order. */
export async function listLifetimes(db: DbOrTx) {
  const rows = await db
    .selectFrom('watchlist_lifetimes')
    .select(['type', 'default_days', 'max_days'])
    .orderBy('type')
    .execute();
  return rows.map((r) => ({ type: r.type, defaultDays: r.default_days, maxDays: r.max_days }));
}
