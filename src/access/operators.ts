import { sql } from 'kysely';
import { audit } from '../platform/audit.js';
import { newApiKey, newId } from '../platform/crypto.js';
import { dbOf, type TxCtx, withTransaction } from '../platform/db/transaction.js';
import { InvalidError, NotFoundError, ServiceError } from '../platform/errors.js';
import { isServedCountry, SERVED_COUNTRY_CODES } from '../registration/served-countries.js';
import { findOperator } from './queries.js';

export const API_KEY_SCOPES = [
  'registrations:write',
  'registrations:read',
  'cdrs:write',
  'alerts:read',
  'alerts:write',
  'suspensions:read',
  'suspensions:write',
  'watchlist:read',
  'watchlist:write',
  'webhooks:manage',
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export interface AdminCtx extends TxCtx {
  actor: string;
  now: Date;
}

/** A new API key of `operatorId` with `scopes`, audited; the key is returned once. */
export async function issueKey(ctx: AdminCtx, operatorId: string, scopes: readonly string[]) {
  const key = newApiKey();
  await withTransaction(ctx, async (tx) => {
    await tx
      .insertInto('api_keys')
      .values({ id: key.keyId, operator_id: operatorId, key_hash: key.hash, scopes: [...scopes] })
      .execute();
    await audit(tx, ctx, {
      shard: `admin:${operatorId}`,
      action: 'api_key.created',
      subjectType: 'api_key',
      subjectId: key.keyId,
      outcome: 'success',
      data: { operatorId, scopes: [...scopes] },
    });
  });
  return { keyId: key.keyId, apiKey: key.apiKey };
}

/** What every organisation needs: a name and one of the served countries. */
export function organisationIssues(
  name: string,
  country: string,
): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  if (!name.trim()) issues.push({ path: 'name', message: 'must not be empty' });
  if (!isServedCountry(country))
    issues.push({ path: 'country', message: `must be one of ${SERVED_COUNTRY_CODES.join(', ')}` });
  return issues;
}

export async function createOperator({
  ctx,
  input,
}: {
  ctx: AdminCtx;
  input: { name: string; country: string; mccMnc?: string[] };
}) {
  const country = input.country.toUpperCase();
  const issues = organisationIssues(input.name, country);
  for (const code of input.mccMnc ?? [])
    if (!/^\d{3}-\d{2,3}$/.test(code))
      issues.push({ path: 'mccMnc', message: `${code} is not an MCC-MNC like 520-01` });
  if (issues.length > 0) throw new InvalidError('invalid operator', issues);
  const mccMnc = [...new Set(input.mccMnc ?? [])];
  const operatorId = newId('op');
  await withTransaction(ctx, async (tx) => {
    // A network is one operator's: the scorer gives a record's line to the operator of the
    // network that wrote it. Creations are serialised so two cannot claim one code at once.
    await sql`lock table operators in share row exclusive mode`.execute(tx);
    const taken = await tx
      .selectFrom('operators')
      .select(['id', 'mcc_mnc'])
      .where(sql<boolean>`mcc_mnc && ${sql.val(mccMnc)}::text[]`)
      .executeTakeFirst();
    if (taken)
      throw new ServiceError(
        'network_taken',
        `${taken.mcc_mnc.filter((c) => mccMnc.includes(c)).join(', ')} already belongs to operator ${taken.id}`,
      );
    await tx
      .insertInto('operators')
      .values({ id: operatorId, name: input.name.trim(), country, mcc_mnc: mccMnc })
      .execute();
    await audit(tx, ctx, {
      shard: `admin:${operatorId}`,
      action: 'operator.created',
      subjectType: 'operator',
      subjectId: operatorId,
      outcome: 'success',
      data: { name: input.name.trim(), country, mccMnc },
    });
  });
  const key = await issueKey(ctx, operatorId, API_KEY_SCOPES);
  return { operatorId, keyId: key.keyId, apiKey: key.apiKey };
}

/** What a bank's key may do: contribute to the watchlist, look it up, and have its changes pushed. */
export const BANK_SCOPES = ['watchlist:read', 'watchlist:write', 'webhooks:manage'] as const;

/** What a partner's key may do: read this instance's TAXII collection and post sightings to it. */
export const PARTNER_SCOPES = ['taxii:read', 'taxii:write'] as const;

/** The scopes a key of an organisation of `kind` may carry. */
export function scopesFor(kind: string): readonly string[] {
  if (kind === 'bank') return BANK_SCOPES;
  if (kind === 'partner') return PARTNER_SCOPES;
  return API_KEY_SCOPES;
}

/**
 * A bank: an organisation with API keys as operators have (kind `bank`), reaching only the
 * watchlist. Its bank code is a BIC or the national bank code, upper case.
 */
export async function createBank({
  ctx,
  input,
}: {
  ctx: AdminCtx;
  input: { name: string; country: string; bankCode: string };
}) {
  const country = input.country.toUpperCase();
  const bankCode = input.bankCode.replace(/[\s-]/g, '').toUpperCase();
  const issues = organisationIssues(input.name, country);
  if (!/^[0-9A-Z]{2,11}$/.test(bankCode))
    issues.push({
      path: 'bankCode',
      message: 'must be a BIC or a national bank code (2-11 digits or letters)',
    });
  if (issues.length > 0) throw new InvalidError('invalid bank', issues);
  const bankId = newId('bank');
  await withTransaction(ctx, async (tx) => {
    await tx
      .insertInto('operators')
      .values({ id: bankId, name: input.name.trim(), country, kind: 'bank', bank_code: bankCode })
      .execute();
    await audit(tx, ctx, {
      shard: `admin:${bankId}`,
      action: 'bank.created',
      subjectType: 'bank',
      subjectId: bankId,
      outcome: 'success',
      data: { name: input.name.trim(), country, bankCode },
    });
  });
  const key = await issueKey(ctx, bankId, BANK_SCOPES);
  return { bankId, keyId: key.keyId, apiKey: key.apiKey };
}

export async function createApiKey({
  ctx,
  input,
}: {
  ctx: AdminCtx;
  input: { operatorId: string; scopes?: string[] };
}) {
  const org = await findOperator(dbOf(ctx), { operatorId: input.operatorId });
  if (!org) throw new NotFoundError(`operator ${input.operatorId}`);
  /** A bank's keys carry only the watchlist scopes, a partner's only the TAXII ones. */
  const allowed = scopesFor(org.kind);
  const scopes = input.scopes ?? [...allowed];
  const unknown = scopes.filter((s) => !allowed.includes(s));
  if (unknown.length > 0)
    throw new InvalidError('unknown scope', [
      { path: 'scopes', message: `not a scope for a ${org.kind}: ${unknown.join(', ')}` },
    ]);
  return { operatorId: input.operatorId, ...(await issueKey(ctx, input.operatorId, scopes)) };
}

export async function revokeApiKey({ ctx, input }: { ctx: AdminCtx; input: { keyId: string } }) {
  return withTransaction(ctx, async (tx) => {
    const row = await tx
      .updateTable('api_keys')
      .set({ revoked_at: ctx.now })
      .where('id', '=', input.keyId)
      .where('revoked_at', 'is', null)
      .returning(['id', 'operator_id'])
      .executeTakeFirst();
    if (!row) {
      const exists = await tx
        .selectFrom('api_keys')
        .select('id')
        .where('id', '=', input.keyId)
        .executeTakeFirst();
      if (!exists) throw new NotFoundError(`API key ${input.keyId}`);
      throw new ServiceError('conflict', `API key ${input.keyId} is already revoked`);
    }
    await audit(tx, ctx, {
      shard: `admin:${row.operator_id}`,
      action: 'api_key.revoked',
      subjectType: 'api_key',
      subjectId: row.id,
      outcome: 'success',
      data: { operatorId: row.operator_id },
    });
    return { keyId: row.id, revokedAt: ctx.now.toISOString() };
  });
}
