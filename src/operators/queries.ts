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

/** Every operator with its networks, oldest first. */
export async function listOperators(db: DbOrTx) {
  const rows = await db
    .selectFrom('operators')
    .select(['id', 'name', 'country', 'mcc_mnc', 'created_at'])
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    operatorId: r.id,
    name: r.name,
    country: r.country,
    mccMnc: r.mcc_mnc,
    createdAt: r.created_at,
  }));
}

/** An operator's API keys, without their hashes: id, scopes, and when issued and revoked. */
export async function listApiKeys(db: DbOrTx, { operatorId }: { operatorId: string }) {
  const rows = await db
    .selectFrom('api_keys')
    .select(['id', 'scopes', 'created_at', 'revoked_at'])
    .where('operator_id', '=', operatorId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    keyId: r.id,
    scopes: r.scopes,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  }));
}
