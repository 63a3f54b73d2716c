import { sql } from 'kysely';
import { subjectTrail } from '../platform/audit.js';
import type { DbOrTx } from '../platform/db/client.js';

/**
 * The scorer's `watchlist_*` alerts whose evidence names an indicator, newest first: what the
 * listing caught in live traffic (served by the partial index `scoring_alerts_indicator_idx`).
 */
export async function indicatorMatches(
  db: DbOrTx,
  { indicatorId, limit = 100 }: { indicatorId: string; limit?: number },
) {
  const rows = await db
    .selectFrom('scoring_alerts')
    .select([
      'id',
      'msisdn',
      'operator_id',
      'rule',
      'status',
      'window_end',
      'created_at',
      'evidence',
    ])
    /** A literal, not a parameter: a generic plan must still see the partial index's predicate. */
    .where(sql<boolean>`rule like 'watchlist_%'`)
    .where(sql<string>`evidence->'indicator'->>'id'`, '=', indicatorId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    alertId: r.id,
    msisdn: r.msisdn,
    operatorId: r.operator_id,
    rule: r.rule,
    status: r.status,
    windowEnd: r.window_end.toISOString(),
    raisedAt: r.created_at.toISOString(),
    recordId: (r.evidence as { recordId?: string }).recordId ?? null,
  }));
}

/** The audit rows about an indicator, oldest first: who listed, sighted, reviewed, revoked it. */
export function indicatorHistory(db: DbOrTx, { indicatorId }: { indicatorId: string }) {
  return subjectTrail(db, {
    subjectType: 'watchlist_indicator',
    subjectIds: [indicatorId],
    limit: 500,
  });
}

/** Names of the organisations (operators, banks, partners) among `ids`, by id. */
export async function organisationNames(
  db: DbOrTx,
  ids: readonly string[],
): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('operators')
    .select(['id', 'name'])
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}
