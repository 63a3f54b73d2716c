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
