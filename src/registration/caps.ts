import { audit } from '../platform/audit.js';
import { newId } from '../platform/crypto.js';
import type { Db } from '../platform/db/client.js';
import { type TxCtx, withTransaction } from '../platform/db/transaction.js';
import { InvalidError, NotFoundError } from '../platform/errors.js';
import { findAcquisitionLimit, findCaps } from './queries.js';

export interface CapsAdminCtx extends TxCtx {
  actor: string;
  now: Date;
}

const nonNegative = (path: string, v: number | null | undefined) =>
  v !== undefined && v !== null && (!Number.isInteger(v) || v < 0)
    ? [{ path, message: 'must be a whole number ≥ 0' }]
    : [];

/** Changes a country's caps; unspecified fields keep their value. `national: null` removes it. */
export async function setCaps({
  ctx,
  input,
}: {
  ctx: CapsAdminCtx;
  input: {
    country: string;
    perOperator?: number;
    national?: number | null;
    coolingOffHours?: number;
  };
}) {
  const country = input.country.toUpperCase();
  const issues = [
    ...nonNegative('perOperator', input.perOperator),
    ...nonNegative('national', input.national),
    ...nonNegative('coolingOffHours', input.coolingOffHours),
  ];
  if (issues.length > 0) throw new InvalidError('invalid caps', issues);
  return withTransaction(ctx, async (tx) => {
    const current = await findCaps(tx, { country });
    if (!current && input.perOperator === undefined) {
      throw new InvalidError('new country needs a per-operator cap', [
        { path: 'perOperator', message: `required: ${country} has no caps yet` },
      ]);
    }
    const next = {
      country,
      per_operator: input.perOperator ?? current?.per_operator ?? 0,
      national: input.national === undefined ? (current?.national ?? null) : input.national,
      cooling_off_hours: input.coolingOffHours ?? current?.cooling_off_hours ?? 0,
      conservative: false,
      source: `set by ${ctx.actor}`,
      updated_at: ctx.now,
    };
    await tx
      .insertInto('sim_caps')
      .values(next)
      .onConflict((oc) => oc.column('country').doUpdateSet(next))
      .execute();
    await audit(tx, ctx, {
      shard: 'admin:caps',
      action: 'caps.set',
      subjectType: 'country',
      subjectId: country,
      outcome: 'success',
      data: {
        before: current
          ? {
              perOperator: current.per_operator,
              national: current.national,
              coolingOffHours: current.cooling_off_hours,
            }
          : null,
        after: {
          perOperator: next.per_operator,
          national: next.national,
          coolingOffHours: next.cooling_off_hours,
        },
      },
    });
    return {
      country,
      perOperator: next.per_operator,
      national: next.national,
      coolingOffHours: next.cooling_off_hours,
    };
  });
}

export async function listCaps(db: Db) {
  const rows = await db.selectFrom('sim_caps').selectAll().orderBy('country').execute();
  return rows.map((r) => ({
    country: r.country,
    perOperator: r.per_operator,
    national: r.national,
    coolingOffHours: r.cooling_off_hours,
    conservative: r.conservative,
    source: r.source,
  }));
}

/**
 * Changes a country's acquisition limit (new SIMs per person in a rolling window, across
 * operators); unspecified fields keep their value.
 */
export async function setAcquisitionLimit({
  ctx,
  input,
}: {
  ctx: CapsAdminCtx;
  input: { country: string; maxNewSims?: number; windowDays?: number };
}) {
  const country = input.country.toUpperCase();
  const issues = [
    ...nonNegative('maxNewSims', input.maxNewSims),
    ...(input.windowDays === undefined ||
    (Number.isInteger(input.windowDays) && input.windowDays > 0)
      ? []
      : [{ path: 'windowDays', message: 'must be a whole number > 0' }]),
  ];
  if (issues.length > 0) throw new InvalidError('invalid acquisition limit', issues);
  return withTransaction(ctx, async (tx) => {
    const current = await findAcquisitionLimit(tx, { country });
    if (!current && (input.maxNewSims === undefined || input.windowDays === undefined)) {
      throw new InvalidError('new country needs a limit and a window', [
        ...(input.maxNewSims === undefined
          ? [{ path: 'maxNewSims', message: `required: ${country} has no acquisition limit yet` }]
          : []),
        ...(input.windowDays === undefined
          ? [{ path: 'windowDays', message: `required: ${country} has no acquisition limit yet` }]
          : []),
      ]);
    }
    const next = {
      country,
      max_new_sims: input.maxNewSims ?? current?.max_new_sims ?? 0,
      window_days: input.windowDays ?? current?.window_days ?? 1,
      conservative: false,
      source: `set by ${ctx.actor}`,
      updated_at: ctx.now,
    };
    await tx
      .insertInto('sim_acquisition_limits')
      .values(next)
      .onConflict((oc) => oc.column('country').doUpdateSet(next))
      .execute();
    await audit(tx, ctx, {
      shard: 'admin:caps',
      action: 'acquisition_limit.set',
      subjectType: 'country',
      subjectId: country,
      outcome: 'success',
      data: {
        before: current
          ? { maxNewSims: current.max_new_sims, windowDays: current.window_days }
          : null,
        after: { maxNewSims: next.max_new_sims, windowDays: next.window_days },
      },
    });
    return { country, maxNewSims: next.max_new_sims, windowDays: next.window_days };
  });
}

export async function listAcquisitionLimits(db: Db) {
  const rows = await db
    .selectFrom('sim_acquisition_limits')
    .selectAll()
    .orderBy('country')
    .execute();
  return rows.map((r) => ({
    country: r.country,
    maxNewSims: r.max_new_sims,
    windowDays: r.window_days,
    conservative: r.conservative,
    source: r.source,
  }));
}

/** Approves a corporate/IoT account whose SIMs count against its own limit. */
export async function addExemptAccount({
  ctx,
  input,
}: {
  ctx: CapsAdminCtx;
  input: { operatorId: string; accountRef: string; kind: string; simLimit: number };
}) {
  const issues = [
    ...(['corporate', 'iot'].includes(input.kind)
      ? []
      : [{ path: 'kind', message: 'must be corporate or iot' }]),
    ...(Number.isInteger(input.simLimit) && input.simLimit > 0
      ? []
      : [{ path: 'simLimit', message: 'must be a whole number > 0' }]),
    ...(input.accountRef.trim() ? [] : [{ path: 'accountRef', message: 'must not be empty' }]),
  ];
  if (issues.length > 0) throw new InvalidError('invalid exempt account', issues);
  return withTransaction(ctx, async (tx) => {
    const op = await tx
      .selectFrom('operators')
      .select('id')
      .where('id', '=', input.operatorId)
      .where('kind', '=', 'operator')
      .executeTakeFirst();
    if (!op) throw new NotFoundError(`operator ${input.operatorId}`);
    const id = newId('acct');
    await tx
      .insertInto('cap_exempt_accounts')
      .values({
        id,
        operator_id: input.operatorId,
        account_ref: input.accountRef.trim(),
        kind: input.kind,
        sim_limit: input.simLimit,
        approved_by: ctx.actor,
        created_at: ctx.now,
      })
      .execute();
    await audit(tx, ctx, {
      shard: `admin:${input.operatorId}`,
      action: 'exempt_account.approved',
      subjectType: 'exempt_account',
      subjectId: id,
      outcome: 'success',
      data: { accountRef: input.accountRef.trim(), kind: input.kind, simLimit: input.simLimit },
    });
    return { accountId: id, operatorId: input.operatorId, accountRef: input.accountRef.trim() };
  });
}

/** Approved corporate/IoT accounts, of one operator or all, with how many representatives each has. */
export async function listExemptAccounts(db: Db, { operatorId }: { operatorId?: string } = {}) {
  let q = db
    .selectFrom('cap_exempt_accounts as a')
    .select((eb) => [
      'a.id',
      'a.operator_id',
      'a.account_ref',
      'a.kind',
      'a.sim_limit',
      'a.approved_by',
      'a.created_at',
      eb
        .selectFrom('exempt_account_representatives as r')
        .whereRef('r.account_id', '=', 'a.id')
        .select(eb.fn.countAll<string>().as('n'))
        .as('representatives'),
    ])
    .orderBy('a.operator_id')
    .orderBy('a.account_ref');
  if (operatorId !== undefined) q = q.where('a.operator_id', '=', operatorId);
  const rows = await q.execute();
  return rows.map((r) => ({
    accountId: r.id,
    operatorId: r.operator_id,
    accountRef: r.account_ref,
    kind: r.kind,
    simLimit: r.sim_limit,
    representatives: Number(r.representatives ?? 0),
    approvedBy: r.approved_by,
    createdAt: r.created_at,
  }));
}
