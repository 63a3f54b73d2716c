import { sql } from 'kysely';
import type { DbOrTx } from '../platform/db/client.js';
import { DAY_MS } from '../platform/time.js';

/** Active registrations and those made in the last 24 h, per operator, for the dashboard. */
export async function registrationCounts(db: DbOrTx, { now }: { now: Date }) {
  const since = new Date(now.getTime() - DAY_MS);
  return db
    .selectFrom('operators as o')
    .leftJoin('registrations as r', 'r.operator_id', 'o.id')
    .select([
      'o.id',
      'o.name',
      'o.country',
      sql<number>`count(r.id) filter (where r.status = 'active')::int`.as('active'),
      sql<number>`count(r.id) filter (where r.created_at >= ${since})::int`.as('last24h'),
    ])
    .groupBy(['o.id', 'o.name', 'o.country'])
    .orderBy('o.name')
    .execute();
}

/** Operators by id, for names in forms and tables. */
export async function operatorDirectory(db: DbOrTx) {
  return db.selectFrom('operators').select(['id', 'name', 'country']).orderBy('name').execute();
}

/** Console usernames by id, for timelines. */
export async function usernames(db: DbOrTx): Promise<Map<string, string>> {
  const rows = await db.selectFrom('console_users').select(['id', 'username']).execute();
  return new Map(rows.map((r) => [r.id, r.username]));
}
