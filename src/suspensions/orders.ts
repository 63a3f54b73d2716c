import { randomBytes } from 'node:crypto';
import type { ConsoleRole } from '../access/roles.js';
import { audit, auditShard } from '../platform/audit.js';
import { newId } from '../platform/crypto.js';
import type { Db, DbOrTx, Tx } from '../platform/db/client.js';
import { type ErrorCode, InvalidError, NotFoundError, ServiceError } from '../platform/errors.js';
import { parseInput } from '../platform/parse.js';
import { MINUTE_MS } from '../platform/time.js';
import { type Coverage, type Measure, type OrderDraft, OrderDraftSchema } from './contract.js';
import {
  type Actor,
  type DecisionCode,
  decide,
  effectiveStatus,
  type OrderAction,
  type OrderPolicy,
  type StoredOrderState,
  validateDraft,
} from './lifecycle.js';
import { ORDER_ACTION_TABLE, type SimpleOrderAction } from './order-actions.js';
import {
  affectedCells,
  facts,
  findKnownOperatorIds,
  findPendingAmendment,
  findRegisteredCellIds,
  findSeriesStart,
  findZoneVersion,
  getOrder,
  insertIssue,
  insertOrderRow,
  lockOrderRow,
  type OrderRow,
  updateOrderRow,
} from './order-queries.js';

/** Writes to suspension orders: draft, the lifecycle actions, amendments. */

export interface OrdersCtx {
  db: Db;
  now: Date;
  actor: Actor;
  policy: OrderPolicy;
  ackDeadlineMs: number;
  reviewWithinMs: number;
}

export interface DraftOrderInput {
  zoneId: string;
  measure: string;
  services: string[];
  operatorIds: string[];
  startsAt: string;
  endsAt: string;
  legalBasis: string;
  reasons: string;
  exemptCells?: string[];
  coverage?: string;
}

const DECISION_ERRORS: Record<DecisionCode, ErrorCode> = {
  forbidden_role: 'forbidden',
  not_drafter: 'forbidden',
  four_eyes_violation: 'four_eyes_violation',
  invalid_transition: 'invalid_transition',
  note_required: 'note_required',
  order_window_passed: 'order_window_passed',
};

function auditOrder(
  tx: Tx,
  ctx: { now: Date; actor: Actor },
  order: { id: string; reference: string; version: number },
  action: string,
  data: Record<string, unknown>,
  outcome: 'success' | 'refused' = 'success',
) {
  return audit(tx, ctx, {
    shard: auditShard('order', order.reference),
    action,
    subjectType: 'suspension_order',
    subjectId: order.id,
    outcome,
    data: { reference: order.reference, version: order.version, ...data },
  });
}

function assertDrafter(actor: Actor) {
  if (actor.role !== 'officer' && actor.role !== 'admin')
    throw new ServiceError('forbidden', `${actor.role} cannot draft orders`);
}

interface CheckedDraft {
  zoneId: string;
  zoneVersion: number;
  measure: Measure;
  services: string[];
  operatorIds: string[];
  coverage: Coverage;
  exemptCells: string[];
  startsAt: Date;
  endsAt: Date;
  legalBasis: string;
  reasons: string;
}

/** Clock skew allowed between the drafter's "now" and ours before a start counts as backdated. */
const BACKDATE_TOLERANCE_MS = 5 * MINUTE_MS;

async function checkDraft(
  db: DbOrTx,
  ctx: { now: Date; policy: OrderPolicy },
  input: OrderDraft,
  amended?: { seriesStart: Date; startsAt: Date },
): Promise<CheckedDraft> {
  const startsAt = new Date(input.startsAt);
  const endsAt = new Date(input.endsAt);
  const operatorIds = [...new Set(input.operatorIds.map((o) => o.trim()))];
  const issues = validateDraft(
    {
      startsAt,
      endsAt,
      reasons: input.reasons,
      legalBasis: input.legalBasis,
      services: input.services,
      operatorIds,
    },
    ctx.policy,
    ctx.now,
  );
  /** Orders are not backdated; an amendment may keep the start it already had. */
  const keepsStart = amended && startsAt.getTime() === amended.startsAt.getTime();
  if (!keepsStart && startsAt.getTime() < ctx.now.getTime() - BACKDATE_TOLERANCE_MS)
    issues.push({ path: 'startsAt', message: 'must not be in the past' });
  /** An amendment may not stretch a suspension past the limit: that needs a new order. */
  const seriesStart = amended?.seriesStart;
  if (seriesStart && endsAt.getTime() - seriesStart.getTime() > ctx.policy.maxDurationMs)
    issues.push({
      path: 'endsAt',
      message: `the amended order would last more than the maximum from its first start (${seriesStart.toISOString()}); issue a new order`,
    });
  const zoneVersion = await findZoneVersion(db, { zoneId: input.zoneId });
  if (zoneVersion === undefined)
    issues.push({ path: 'zoneId', message: `zone ${input.zoneId} does not exist` });
  if (operatorIds.length > 0) {
    const knownIds = await findKnownOperatorIds(db, { operatorIds });
    for (const id of operatorIds)
      if (id && !knownIds.has(id))
        issues.push({ path: 'operatorIds', message: `operator ${id} does not exist` });
  }
  const exemptCells = [...new Set(input.exemptCells.map((c) => c.trim()).filter(Boolean))];
  if (exemptCells.length > 0 && operatorIds.length > 0) {
    // An exemption names a cell one of the order's operators registered: a typo would leave a
    // hospital's cell suspended while the order reads as if it were spared.
    const foundIds = await findRegisteredCellIds(db, { operatorIds, cellIds: exemptCells });
    for (const id of exemptCells)
      if (!foundIds.has(id))
        issues.push({
          path: 'exemptCells',
          message: `${id} is not a registered cell of the order's operators`,
        });
  }
  if (issues.length > 0 || zoneVersion === undefined)
    throw new InvalidError('the order breaks the policy', issues);
  return {
    zoneId: input.zoneId,
    zoneVersion,
    measure: input.measure,
    services: input.services,
    operatorIds,
    coverage: input.coverage,
    exemptCells,
    startsAt,
    endsAt,
    legalBasis: input.legalBasis.trim(),
    reasons: input.reasons.trim(),
  };
}

function reference(now: Date): string {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '');
  return `SO-${day}-${randomBytes(3).toString('hex').toUpperCase()}`;
}

export async function draftOrder({ ctx, input }: { ctx: OrdersCtx; input: DraftOrderInput }) {
  assertDrafter(ctx.actor);
  const d = await checkDraft(ctx.db, ctx, parseInput(OrderDraftSchema, input));
  const id = newId('ord');
  const ref = reference(ctx.now);
  await ctx.db.transaction().execute(async (tx) => {
    await insertOrder(
      tx,
      ctx,
      { id, reference: ref, version: 1, amendsId: null, state: 'draft' },
      d,
    );
    await auditOrder(tx, ctx, { id, reference: ref, version: 1 }, 'order.drafted', {
      zoneId: d.zoneId,
      zoneVersion: d.zoneVersion,
      measure: d.measure,
      operatorIds: d.operatorIds,
      startsAt: d.startsAt.toISOString(),
      endsAt: d.endsAt.toISOString(),
    });
  });
  return getOrder(ctx.db, { ...ctx, orderId: id });
}

async function insertOrder(
  tx: Tx,
  ctx: { now: Date; actor: Actor },
  head: {
    id: string;
    reference: string;
    version: number;
    amendsId: string | null;
    state: StoredOrderState;
  },
  d: CheckedDraft,
) {
  const submitted = head.state === 'pending_approval';
  await insertOrderRow(tx, {
    id: head.id,
    reference: head.reference,
    version: head.version,
    amends_id: head.amendsId,
    state: head.state,
    zone_id: d.zoneId,
    zone_version: d.zoneVersion,
    measure: d.measure,
    services: d.services,
    operator_ids: d.operatorIds,
    coverage: d.coverage,
    exempt_cells: d.exemptCells,
    starts_at: d.startsAt,
    ends_at: d.endsAt,
    legal_basis: d.legalBasis,
    reasons: d.reasons,
    drafted_by: ctx.actor.userId,
    created_at: ctx.now,
    submitted_by: submitted ? ctx.actor.userId : null,
    submitted_at: submitted ? ctx.now : null,
  });
}

async function lockOrder(tx: Tx, orderId: string): Promise<OrderRow> {
  const row = await lockOrderRow(tx, { orderId });
  if (!row) throw new NotFoundError(`order ${orderId}`);
  return row;
}

/** A decision the lifecycle refused; the refusal is audited after the transaction rolls back. */
class RefusedAction extends ServiceError {
  constructor(
    readonly order: { id: string; reference: string; version: number },
    readonly action: OrderAction,
    code: DecisionCode,
    detail: string,
  ) {
    super(DECISION_ERRORS[code], detail, { decision: code });
  }
}

function enforce(
  o: OrderRow,
  action: OrderAction,
  ctx: { actor: Actor; now: Date; policy: OrderPolicy },
  note?: string,
) {
  const d = decide(facts(o), { action, actor: ctx.actor, note, now: ctx.now }, ctx.policy);
  if (!d.ok) throw new RefusedAction(o, action, d.code, d.detail);
  return d;
}

/** Runs `work`; a refused decision is recorded (who tried what, and why not) and re-thrown. */
async function auditingRefusals<T>(ctx: OrdersCtx, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof RefusedAction) {
      await ctx.db
        .transaction()
        .execute((tx) =>
          auditOrder(
            tx,
            ctx,
            err.order,
            `order.${err.action}`,
            { decision: err.extra.decision, detail: err.detail },
            'refused',
          ),
        );
      err.audited = true;
    }
    throw err;
  }
}

/**
 * submit / approve / reject / withdraw / lift, checked by the lifecycle rules under a row lock.
 * Approval freezes the affected cells per operator and, for an amendment, supersedes the
 * version it amends (which must still be scheduled or active).
 */
export async function actOnOrder({
  ctx,
  input,
}: {
  ctx: OrdersCtx;
  input: { orderId: string; action: SimpleOrderAction; note?: string };
}) {
  const note = input.note?.trim() || undefined;
  await auditingRefusals(ctx, () =>
    ctx.db.transaction().execute(async (tx) => {
      const o = await lockOrder(tx, input.orderId);
      enforce(o, input.action, ctx, note);
      const { now, actor } = ctx;
      const data: Record<string, unknown> = note ? { note } : {};
      switch (input.action) {
        case 'submit':
          await updateOrderRow(
            tx,
            { orderId: o.id },
            { state: 'pending_approval', submitted_by: actor.userId, submitted_at: now },
          );
          break;
        case 'reject':
        case 'withdraw':
          await updateOrderRow(
            tx,
            { orderId: o.id },
            {
              state: input.action === 'reject' ? 'rejected' : 'withdrawn',
              decided_by: actor.userId,
              decided_at: now,
              decision_note: note ?? null,
            },
          );
          break;
        case 'lift':
          await updateOrderRow(
            tx,
            { orderId: o.id },
            { state: 'lifted', lifted_by: actor.userId, lifted_at: now, lift_note: note ?? null },
          );
          break;
        case 'approve': {
          // Orders are not backdated: approved after its start, a first version would take
          // effect before anyone signed it. An amendment keeps the start its order already had.
          if (!o.amends_id && now.getTime() > o.starts_at.getTime() + BACKDATE_TOLERANCE_MS)
            throw new ServiceError(
              'order_window_passed',
              `the order was to start at ${o.starts_at.toISOString()}; approving it now would backdate it: withdraw it and draft one with a new start`,
            );
          if (o.amends_id) {
            const old = await lockOrder(tx, o.amends_id);
            enforce(old, 'amend', ctx);
            await updateOrderRow(
              tx,
              { orderId: old.id },
              { state: 'superseded', superseded_at: now },
            );
            await auditOrder(tx, ctx, old, 'order.superseded', { by: o.id, byVersion: o.version });
          }
          const cells = await affectedCells(tx, o);
          await updateOrderRow(
            tx,
            { orderId: o.id },
            {
              state: 'approved',
              decided_by: actor.userId,
              decided_at: now,
              decision_note: note ?? null,
            },
          );
          await insertIssue(tx, { orderId: o.id, operatorIds: o.operator_ids, cells, at: now });
          data.cells = cells.length;
          break;
        }
      }
      await auditOrder(tx, ctx, o, ORDER_ACTION_TABLE[input.action].audit, data);
    }),
  );
  return getOrder(ctx.db, { ...ctx, orderId: input.orderId });
}

/**
 * Records the review of an issued order that is scheduled or in force, with a written note, by
 * an approver or admin other than the one who approved it. Once per order version.
 */
export async function reviewOrder({
  ctx,
  input,
}: {
  ctx: OrdersCtx;
  input: { orderId: string; note?: string };
}) {
  const note = input.note?.trim() ?? '';
  await ctx.db.transaction().execute(async (tx) => {
    const o = await lockOrder(tx, input.orderId);
    const { actor, now } = ctx;
    const review = ORDER_ACTION_TABLE.review;
    if (!(review.roles as readonly ConsoleRole[]).includes(actor.role))
      throw new ServiceError('forbidden', `${actor.role} cannot review orders`);
    const status = effectiveStatus(facts(o), now);
    if (!(status in review.from))
      throw new ServiceError('invalid_transition', `cannot review an order that is ${status}`);
    if (o.reviewed_at) throw new ServiceError('conflict', 'this order version is already reviewed');
    if (o.decided_by === actor.userId)
      throw new ServiceError('four_eyes_violation', 'the approver of an order cannot review it');
    if (note.length < ctx.policy.minNoteLength)
      throw new ServiceError(
        'note_required',
        `a review needs a written note of at least ${ctx.policy.minNoteLength} characters`,
      );
    await updateOrderRow(
      tx,
      { orderId: o.id },
      { reviewed_by: actor.userId, reviewed_at: now, review_note: note },
    );
    await auditOrder(tx, ctx, o, review.audit, { note });
  });
  return getOrder(ctx.db, { ...ctx, orderId: input.orderId });
}

/**
 * Changing a scheduled or active order: a new version with the same reference, pending the
 * approval of another user. The current version stays in force until that approval.
 */
export async function amendOrder({
  ctx,
  input,
}: {
  ctx: OrdersCtx;
  input: { orderId: string; changes: Partial<DraftOrderInput> };
}) {
  const id = newId('ord');
  await auditingRefusals(ctx, () =>
    ctx.db.transaction().execute(async (tx) => {
      const o = await lockOrder(tx, input.orderId);
      enforce(o, 'amend', ctx);
      const pending = await findPendingAmendment(tx, { orderId: o.id });
      if (pending)
        throw new ServiceError(
          'conflict',
          `amendment ${pending.id} of this order is already pending`,
        );
      const seriesStart = await findSeriesStart(tx, { reference: o.reference });
      const c = input.changes;
      const d = await checkDraft(
        tx,
        ctx,
        parseInput(OrderDraftSchema, {
          zoneId: c.zoneId ?? o.zone_id,
          measure: c.measure ?? o.measure,
          services: c.services ?? o.services,
          operatorIds: c.operatorIds ?? o.operator_ids,
          startsAt: c.startsAt ?? o.starts_at.toISOString(),
          endsAt: c.endsAt ?? o.ends_at.toISOString(),
          legalBasis: c.legalBasis ?? o.legal_basis,
          reasons: c.reasons ?? o.reasons,
          exemptCells: c.exemptCells ?? o.exempt_cells,
          coverage: c.coverage ?? o.coverage,
        }),
        { seriesStart, startsAt: o.starts_at },
      );
      const version = o.version + 1;
      await insertOrder(
        tx,
        ctx,
        { id, reference: o.reference, version, amendsId: o.id, state: 'pending_approval' },
        d,
      );
      await auditOrder(
        tx,
        ctx,
        { id, reference: o.reference, version },
        ORDER_ACTION_TABLE.amend.audit,
        {
          amends: o.id,
          changed: Object.keys(c).sort(),
        },
      );
    }),
  );
  return getOrder(ctx.db, { ...ctx, orderId: id });
}
