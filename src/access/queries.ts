import type { DbOrTx } from '../platform/db/client.js';

export interface AuthenticatedOperator {
  id: string;
  name: string;
  country: string;
  mccMnc: string[];
  keyId: string;
  scopes: string[];
}

export async function findOperatorByKeyHash(
  db: DbOrTx,
  { keyHash }: { keyHash: string },
): Promise<AuthenticatedOperator | undefined> {
  const row = await db
    .selectFrom('api_keys as k')
    .innerJoin('operators as o', 'o.id', 'k.operator_id')
    .select(['o.id', 'o.name', 'o.country', 'o.mcc_mnc', 'k.id as key_id', 'k.scopes'])
    .where('k.key_hash', '=', keyHash)
    .where('k.revoked_at', 'is', null)
    .executeTakeFirst();
  return row
    ? {
        id: row.id,
        name: row.name,
        country: row.country,
        mccMnc: row.mcc_mnc,
        keyId: row.key_id,
        scopes: row.scopes,
      }
    : undefined;
}

export async function findOperator(db: DbOrTx, { operatorId }: { operatorId: string }) {
  return db.selectFrom('operators').selectAll().where('id', '=', operatorId).executeTakeFirst();
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
