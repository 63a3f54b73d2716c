import { randomBytes } from 'node:crypto';
import { appendAudit, auditShard } from '../platform/audit.js';
import { newId } from '../platform/crypto.js';
import type { Db, DbOrTx, Tx } from '../platform/db/client.js';
import { type ErrorCode, InvalidError, NotFoundError, ServiceError } from '../platform/errors.js';
import type { CellRow } from './cells.js';
import {
  type Actor,
  acknowledgementOverdue,
  allowedActions,
  type DecisionCode,
  decide,
  diffCells,
  effectiveStatus,
  type OrderAction,
  type OrderFacts,
  type OrderPolicy,
  type OrderStatus,
  type StoredOrderState,
  validateDraft,
} from './lifecycle.js';
import { COVERAGE_MODES, type Coverage, cellsForZone, getZone } from './zones.js';

export const MEASURES = ['full_suspension', 'power_reduction', 'cell_radius_limit'] as const;
export type Measure = (typeof MEASURES)[number];

export interface OrdersCtx {
  db: Db;
  now: Date;
  actor: Actor;
  policy: OrderPolicy;
  ackDeadlineMs: number;
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

export type OrderRow = {
  id: string;
  reference: string;
  version: number;
  amends_id: string | null;
  state: string;
  zone_id: string;
  zone_version: number;
  measure: string;
  services: string[];
  operator_ids: string[];
  coverage: string;
  exempt_cells: string[];
  starts_at: Date;
  ends_at: Date;
  legal_basis: string;
  reasons: string;
  drafted_by: string;
  created_at: Date;
  submitted_by: string | null;
  submitted_at: Date | null;
  decided_by: string | null;
  decided_at: Date | null;
  decision_note: string | null;
  lifted_by: string | null;
  lifted_at: Date | null;
  lift_note: string | null;
  superseded_at: Date | null;
};

const DECISION_ERRORS: Record<DecisionCode, ErrorCode> = {
  forbidden_role: 'forbidden',
  not_drafter: 'forbidden',
  four_eyes_violation: 'four_eyes_violation',
  invalid_transition: 'invalid_transition',
  note_required: 'note_required',
  order_window_passed: 'order_window_passed',
};

export function facts(
  o: Pick<
    OrderRow,
    'state' | 'starts_at' | 'ends_at' | 'drafted_by' | 'submitted_by' | 'lifted_at'
  >,
): OrderFacts {
  return {
    state: o.state as StoredOrderState,
    startsAt: o.starts_at,
    endsAt: o.ends_at,
    draftedBy: o.drafted_by,
    submittedBy: o.submitted_by,
    liftedAt: o.lifted_at,
  };
}

/** Issued orders: approved at some point, whatever has happened since. */
export const ISSUED_STATES: StoredOrderState[] = ['approved', 'lifted', 'superseded'];

function auditOrder(
  tx: Tx,
  ctx: { now: Date; actor: Actor },
  order: { id: string; reference: string; version: number },
  action: string,
  data: Record<string, unknown>,
  outcome: 'success' | 'refused' = 'success',
) {
  return appendAudit(tx, {
    shard: auditShard('order', order.reference),
    at: ctx.now,
    actorType: 'user',
    actorId: ctx.actor.userId,
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
const BACKDATE_TOLERANCE_MS = 5 * 60_000;

async function checkDraft(
  db: DbOrTx,
  ctx: { now: Date; policy: OrderPolicy },
  input: DraftOrderInput,
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
  if (!(MEASURES as readonly string[]).includes(input.measure))
    issues.push({ path: 'measure', message: `must be one of ${MEASURES.join(', ')}` });
  const coverage = input.coverage ?? 'inside';
  if (!(COVERAGE_MODES as readonly string[]).includes(coverage))
    issues.push({ path: 'coverage', message: `must be one of ${COVERAGE_MODES.join(', ')}` });
  if (input.legalBasis.length > 2000 || input.reasons.length > 10_000)
    issues.push({ path: 'reasons', message: 'legal basis ≤ 2000, reasons ≤ 10000 characters' });
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
  const zone = await db
    .selectFrom('zones')
    .select('current_version')
    .where('id', '=', input.zoneId)
    .executeTakeFirst();
  if (!zone) issues.push({ path: 'zoneId', message: `zone ${input.zoneId} does not exist` });
  if (operatorIds.length > 0) {
    const known = await db
      .selectFrom('operators')
      .select('id')
      .where('id', 'in', operatorIds)
      .execute();
    const knownIds = new Set(known.map((k) => k.id));
    for (const id of operatorIds)
      if (id && !knownIds.has(id))
        issues.push({ path: 'operatorIds', message: `operator ${id} does not exist` });
  }
  const exemptCells = [...new Set((input.exemptCells ?? []).map((c) => c.trim()).filter(Boolean))];
  if (issues.length > 0 || !zone) throw new InvalidError('the order breaks the policy', issues);
  return {
    zoneId: input.zoneId,
    zoneVersion: zone.current_version,
    measure: input.measure as Measure,
    services: input.services,
    operatorIds,
    coverage: coverage as Coverage,
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
  const d = await checkDraft(ctx.db, ctx, input);
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
  return getOrder(ctx.db, {
    orderId: id,
    now: ctx.now,
    actor: ctx.actor,
    ackDeadlineMs: ctx.ackDeadlineMs,
  });
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
  await tx
    .insertInto('suspension_orders')
    .values({
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
    })
    .execute();
}

async function lockOrder(tx: Tx, orderId: string): Promise<OrderRow> {
  const row = await tx
    .selectFrom('suspension_orders')
    .selectAll()
    .where('id', '=', orderId)
    .forUpdate()
    .executeTakeFirst();
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
    }
    throw err;
  }
}

/** The cells of the order's zone version for its operators, minus exempt cells. */
export async function affectedCells(
  db: DbOrTx,
  o: {
    zone_id: string;
    zone_version: number;
    coverage: string;
    operator_ids: string[];
    exempt_cells: string[];
  },
): Promise<CellRow[]> {
  const zone = await getZone(db, { zoneId: o.zone_id, version: o.zone_version });
  const cells = await cellsForZone(db, {
    geometry: zone.geometry,
    coverage: o.coverage as Coverage,
    operatorIds: o.operator_ids,
  });
  const exempt = new Set(o.exempt_cells);
  return cells.filter((c) => !exempt.has(c.cellId));
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
  input: { orderId: string; action: Exclude<OrderAction, 'amend'>; note?: string };
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
          await tx
            .updateTable('suspension_orders')
            .set({ state: 'pending_approval', submitted_by: actor.userId, submitted_at: now })
            .where('id', '=', o.id)
            .execute();
          break;
        case 'reject':
        case 'withdraw':
          await tx
            .updateTable('suspension_orders')
            .set({
              state: input.action === 'reject' ? 'rejected' : 'withdrawn',
              decided_by: actor.userId,
              decided_at: now,
              decision_note: note ?? null,
            })
            .where('id', '=', o.id)
            .execute();
          break;
        case 'lift':
          await tx
            .updateTable('suspension_orders')
            .set({
              state: 'lifted',
              lifted_by: actor.userId,
              lifted_at: now,
              lift_note: note ?? null,
            })
            .where('id', '=', o.id)
            .execute();
          break;
        case 'approve': {
          if (o.amends_id) {
            const old = await lockOrder(tx, o.amends_id);
            enforce(old, 'amend', ctx);
            await tx
              .updateTable('suspension_orders')
              .set({ state: 'superseded', superseded_at: now })
              .where('id', '=', old.id)
              .execute();
            await auditOrder(tx, ctx, old, 'order.superseded', { by: o.id, byVersion: o.version });
          }
          const cells = await affectedCells(tx, o);
          await tx
            .updateTable('suspension_orders')
            .set({
              state: 'approved',
              decided_by: actor.userId,
              decided_at: now,
              decision_note: note ?? null,
            })
            .where('id', '=', o.id)
            .execute();
          await tx
            .insertInto('order_operators')
            .values(
              o.operator_ids.map((operatorId) => ({
                order_id: o.id,
                operator_id: operatorId,
                issued_at: now,
              })),
            )
            .execute();
          for (let i = 0; i < cells.length; i += 2000) {
            await tx
              .insertInto('order_cells')
              .values(
                cells.slice(i, i + 2000).map((c) => ({
                  order_id: o.id,
                  operator_id: c.operatorId,
                  cell_id: c.cellId,
                  radio: c.radio,
                  lat: c.lat,
                  lon: c.lon,
                })),
              )
              .execute();
          }
          data.cells = cells.length;
          break;
        }
      }
      await auditOrder(tx, ctx, o, `order.${actionPast(input.action)}`, data);
    }),
  );
  return getOrder(ctx.db, {
    orderId: input.orderId,
    now: ctx.now,
    actor: ctx.actor,
    ackDeadlineMs: ctx.ackDeadlineMs,
  });
}

function actionPast(a: Exclude<OrderAction, 'amend'>): string {
  return {
    submit: 'submitted',
    approve: 'approved',
    reject: 'rejected',
    withdraw: 'withdrawn',
    lift: 'lifted',
  }[a];
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
      const pending = await tx
        .selectFrom('suspension_orders')
        .select('id')
        .where('amends_id', '=', o.id)
        .where('state', 'in', ['draft', 'pending_approval'])
        .executeTakeFirst();
      if (pending)
        throw new ServiceError(
          'conflict',
          `amendment ${pending.id} of this order is already pending`,
        );
      const first = await tx
        .selectFrom('suspension_orders')
        .select('starts_at')
        .where('reference', '=', o.reference)
        .orderBy('version')
        .executeTakeFirstOrThrow();
      const c = input.changes;
      const d = await checkDraft(
        tx,
        ctx,
        {
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
        },
        { seriesStart: first.starts_at, startsAt: o.starts_at },
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
        'order.amendment_drafted',
        {
          amends: o.id,
          changed: Object.keys(c).sort(),
        },
      );
    }),
  );
  return getOrder(ctx.db, {
    orderId: id,
    now: ctx.now,
    actor: ctx.actor,
    ackDeadlineMs: ctx.ackDeadlineMs,
  });
}

export interface OperatorProgress {
  operatorId: string;
  operatorName: string;
  issuedAt: string;
  acknowledgedAt: string | null;
  overdue: boolean;
  cells: { total: number; pending: number; suspended: number; failed: number; restored: number };
}

export async function operatorProgress(
  db: DbOrTx,
  { orderId, now, ackDeadlineMs }: { orderId: string; now: Date; ackDeadlineMs: number },
): Promise<OperatorProgress[]> {
  const ops = await db
    .selectFrom('order_operators as oo')
    .innerJoin('operators as o', 'o.id', 'oo.operator_id')
    .select(['oo.operator_id', 'o.name', 'oo.issued_at', 'oo.acknowledged_at'])
    .where('oo.order_id', '=', orderId)
    .orderBy('o.name')
    .execute();
  const counts = await db
    .selectFrom('order_cells')
    .select(['operator_id', 'status', (eb) => eb.fn.countAll<string>().as('n')])
    .where('order_id', '=', orderId)
    .groupBy(['operator_id', 'status'])
    .execute();
  return ops.map((op) => {
    const cells = { total: 0, pending: 0, suspended: 0, failed: 0, restored: 0 };
    for (const c of counts)
      if (c.operator_id === op.operator_id) {
        const n = Number(c.n);
        cells.total += n;
        if (c.status in cells) cells[c.status as keyof typeof cells] += n;
      }
    return {
      operatorId: op.operator_id,
      operatorName: op.name,
      issuedAt: op.issued_at.toISOString(),
      acknowledgedAt: op.acknowledged_at?.toISOString() ?? null,
      overdue: acknowledgementOverdue(op.issued_at, op.acknowledged_at, ackDeadlineMs, now),
      cells,
    };
  });
}

export interface OrderView {
  id: string;
  reference: string;
  version: number;
  amendsId: string | null;
  status: OrderStatus;
  zone: { id: string; version: number; name: string; riskLevel: string };
  measure: string;
  services: string[];
  operatorIds: string[];
  coverage: string;
  exemptCells: string[];
  startsAt: string;
  endsAt: string;
  legalBasis: string;
  reasons: string;
  draftedBy: string;
  createdAt: string;
  submittedBy: string | null;
  submittedAt: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionNote: string | null;
  liftedBy: string | null;
  liftedAt: string | null;
  liftNote: string | null;
  allowedActions: OrderAction[];
  /** Before approval: computed from today's registry; after: the frozen cells. */
  impact: { frozen: boolean; cells: number; byOperator: Record<string, number> };
  /** For an amendment: cells added and removed against the version it amends. */
  cellChanges: { added: string[]; removed: string[] } | null;
  operators: OperatorProgress[];
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

async function cellKeysOf(db: DbOrTx, o: OrderRow): Promise<{ frozen: boolean; cells: CellRow[] }> {
  if (ISSUED_STATES.includes(o.state as StoredOrderState)) {
    const rows = await db
      .selectFrom('order_cells')
      .selectAll()
      .where('order_id', '=', o.id)
      .orderBy('operator_id')
      .orderBy('cell_id')
      .execute();
    return {
      frozen: true,
      cells: rows.map((r) => ({
        operatorId: r.operator_id,
        cellId: r.cell_id,
        radio: r.radio,
        lat: r.lat,
        lon: r.lon,
        rangeM: 0,
      })),
    };
  }
  return { frozen: false, cells: await affectedCells(db, o) };
}

const cellKey = (c: CellRow) => `${c.operatorId}/${c.cellId}`;

export async function getOrderRow(db: DbOrTx, orderId: string): Promise<OrderRow> {
  const o = await db
    .selectFrom('suspension_orders')
    .selectAll()
    .where('id', '=', orderId)
    .executeTakeFirst();
  if (!o) throw new NotFoundError(`order ${orderId}`);
  return o;
}

export async function getOrder(
  db: DbOrTx,
  {
    orderId,
    now,
    actor,
    ackDeadlineMs,
  }: { orderId: string; now: Date; actor: Actor; ackDeadlineMs: number },
): Promise<OrderView> {
  const o = await getOrderRow(db, orderId);
  const zone = await getZone(db, { zoneId: o.zone_id, version: o.zone_version });
  const impact = await cellKeysOf(db, o);
  const byOperator: Record<string, number> = {};
  for (const c of impact.cells) byOperator[c.operatorId] = (byOperator[c.operatorId] ?? 0) + 1;
  let cellChanges: OrderView['cellChanges'] = null;
  if (o.amends_id) {
    const previous = await cellKeysOf(db, await getOrderRow(db, o.amends_id));
    cellChanges = diffCells(previous.cells.map(cellKey), impact.cells.map(cellKey));
  }
  return {
    id: o.id,
    reference: o.reference,
    version: o.version,
    amendsId: o.amends_id,
    status: effectiveStatus(facts(o), now),
    zone: { id: zone.id, version: zone.version, name: zone.name, riskLevel: zone.riskLevel },
    measure: o.measure,
    services: o.services,
    operatorIds: o.operator_ids,
    coverage: o.coverage,
    exemptCells: o.exempt_cells,
    startsAt: o.starts_at.toISOString(),
    endsAt: o.ends_at.toISOString(),
    legalBasis: o.legal_basis,
    reasons: o.reasons,
    draftedBy: o.drafted_by,
    createdAt: o.created_at.toISOString(),
    submittedBy: o.submitted_by,
    submittedAt: iso(o.submitted_at),
    decidedBy: o.decided_by,
    decidedAt: iso(o.decided_at),
    decisionNote: o.decision_note,
    liftedBy: o.lifted_by,
    liftedAt: iso(o.lifted_at),
    liftNote: o.lift_note,
    allowedActions: allowedActions(facts(o), actor, now),
    impact: { frozen: impact.frozen, cells: impact.cells.length, byOperator },
    cellChanges,
    operators: await operatorProgress(db, { orderId: o.id, now, ackDeadlineMs }),
  };
}

export interface OrderSummary {
  id: string;
  reference: string;
  version: number;
  status: OrderStatus;
  zoneId: string;
  zoneName: string;
  measure: string;
  startsAt: string;
  endsAt: string;
  operatorIds: string[];
}

/** Every order version, newest first; `status` filters on the status at `now`. */
export async function listOrders(
  db: DbOrTx,
  { now, status }: { now: Date; status?: OrderStatus[] },
): Promise<OrderSummary[]> {
  if (status && status.length === 0) return [];
  let q = db
    .selectFrom('suspension_orders as o')
    .innerJoin('zone_versions as z', (j) =>
      j.onRef('z.zone_id', '=', 'o.zone_id').onRef('z.version', '=', 'o.zone_version'),
    )
    .selectAll('o')
    .select('z.name as zone_name');
  if (status) {
    /** The derived statuses as conditions on the stored facts, so the filter runs before the limit. */
    q = q.where((eb) =>
      eb.or(
        status.map((s) => {
          const approved = eb('o.state', '=', 'approved');
          if (s === 'scheduled') return eb.and([approved, eb('o.starts_at', '>', now)]);
          if (s === 'active')
            return eb.and([approved, eb('o.starts_at', '<=', now), eb('o.ends_at', '>', now)]);
          if (s === 'expired') return eb.and([approved, eb('o.ends_at', '<=', now)]);
          return eb('o.state', '=', s);
        }),
      ),
    );
  }
  const rows = await q.orderBy('o.created_at', 'desc').orderBy('o.id').limit(1000).execute();
  return rows.map((o) => ({
    id: o.id,
    reference: o.reference,
    version: o.version,
    status: effectiveStatus(facts(o), now),
    zoneId: o.zone_id,
    zoneName: o.zone_name,
    measure: o.measure,
    startsAt: o.starts_at.toISOString(),
    endsAt: o.ends_at.toISOString(),
    operatorIds: o.operator_ids,
  }));
}

/** Operators that have not acknowledged an issued, still relevant order within the deadline. */
export async function overdueAcknowledgements(
  db: DbOrTx,
  { now, ackDeadlineMs }: { now: Date; ackDeadlineMs: number },
) {
  const rows = await db
    .selectFrom('order_operators as oo')
    .innerJoin('suspension_orders as s', 's.id', 'oo.order_id')
    .innerJoin('operators as op', 'op.id', 'oo.operator_id')
    .select([
      'oo.order_id',
      's.reference',
      's.version',
      'oo.operator_id',
      'op.name',
      'oo.issued_at',
      'oo.acknowledged_at',
    ])
    .where('s.state', '=', 'approved')
    .where('s.ends_at', '>', now)
    .where('oo.acknowledged_at', 'is', null)
    .orderBy('oo.issued_at')
    .execute();
  return rows
    .filter((r) => acknowledgementOverdue(r.issued_at, r.acknowledged_at, ackDeadlineMs, now))
    .map((r) => ({
      orderId: r.order_id,
      reference: r.reference,
      version: r.version,
      operatorId: r.operator_id,
      operatorName: r.name,
      issuedAt: r.issued_at.toISOString(),
      dueAt: new Date(r.issued_at.getTime() + ackDeadlineMs).toISOString(),
    }));
}

/** The audit rows of every version of the order, oldest first: the order's timeline. */
export async function orderTimeline(db: DbOrTx, { reference }: { reference: string }) {
  const ids = await db
    .selectFrom('suspension_orders')
    .select('id')
    .where('reference', '=', reference)
    .execute();
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('audit_log')
    .select(['at', 'actor_type', 'actor_id', 'action', 'subject_id', 'data'])
    .where('subject_type', '=', 'suspension_order')
    .where(
      'subject_id',
      'in',
      ids.map((i) => i.id),
    )
    .orderBy('at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    at: r.at.toISOString(),
    actorType: r.actor_type,
    actorId: r.actor_id,
    action: r.action,
    orderId: r.subject_id,
    data: r.data as Record<string, unknown>,
  }));
}

/** The frozen cells of an issued order with each operator's latest report. */
export async function frozenCells(db: DbOrTx, { orderId }: { orderId: string }) {
  const rows = await db
    .selectFrom('order_cells')
    .selectAll()
    .where('order_id', '=', orderId)
    .orderBy('operator_id')
    .orderBy('cell_id')
    .execute();
  return rows.map((r) => ({
    operatorId: r.operator_id,
    cellId: r.cell_id,
    radio: r.radio,
    lat: r.lat,
    lon: r.lon,
    status: r.status,
    cause: r.cause,
    reportedAt: r.reported_at?.toISOString() ?? null,
  }));
}
