import type { AuthenticatedOperator } from '../access/queries.js';
import { audit, auditShard } from '../platform/audit.js';
import type { Db, DbOrTx, Tx } from '../platform/db/client.js';
import { InvalidError, NotFoundError, ServiceError } from '../platform/errors.js';
import { acknowledgementOverdue, effectiveStatus } from './lifecycle.js';
import { facts, ISSUED_STATES } from './order-queries.js';
import { storedGeometry } from './zones.js';

export interface OperatorCtx {
  db: Db;
  now: Date;
  operator: AuthenticatedOperator;
  ackDeadlineMs: number;
}

const CELL_STATUSES = ['pending', 'suspended', 'failed', 'restored'] as const;
type CellStatus = (typeof CELL_STATUSES)[number];

/** The issued order as this operator may see it; any other order is "not found". */
async function ownOrder(db: DbOrTx, operatorId: string, orderId: string, lock = false) {
  let q = db
    .selectFrom('order_operators as oo')
    .innerJoin('suspension_orders as s', 's.id', 'oo.order_id')
    .selectAll('s')
    .select(['oo.issued_at', 'oo.acknowledged_at'])
    .where('oo.order_id', '=', orderId)
    .where('oo.operator_id', '=', operatorId)
    .where('s.state', 'in', ISSUED_STATES);
  if (lock) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw new NotFoundError(`order ${orderId}`);
  return row;
}

export async function listOperatorOrders({ ctx }: { ctx: OperatorCtx }) {
  const { db, operator, now } = ctx;
  const rows = await db
    .selectFrom('order_operators as oo')
    .innerJoin('suspension_orders as s', 's.id', 'oo.order_id')
    .innerJoin('zone_versions as z', (j) =>
      j.onRef('z.zone_id', '=', 's.zone_id').onRef('z.version', '=', 's.zone_version'),
    )
    .selectAll('s')
    .select(['oo.issued_at', 'oo.acknowledged_at', 'z.name as zone_name', 'z.geometry'])
    .where('oo.operator_id', '=', operator.id)
    .where('s.state', 'in', ISSUED_STATES)
    .orderBy('s.starts_at', 'desc')
    .execute();
  const cells =
    rows.length === 0
      ? []
      : await db
          .selectFrom('order_cells')
          .select(['order_id', 'cell_id', 'radio', 'lat', 'lon', 'status', 'cause', 'reported_at'])
          .where('operator_id', '=', operator.id)
          .where(
            'order_id',
            'in',
            rows.map((r) => r.id),
          )
          .orderBy('cell_id')
          .execute();
  return {
    orders: rows.map((r) => ({
      id: r.id,
      reference: r.reference,
      version: r.version,
      amendsId: r.amends_id,
      status: effectiveStatus(facts(r), now),
      zone: {
        id: r.zone_id,
        version: r.zone_version,
        name: r.zone_name,
        geometry: storedGeometry(r.geometry),
      },
      measure: r.measure,
      services: r.services,
      startsAt: r.starts_at.toISOString(),
      endsAt: r.ends_at.toISOString(),
      liftedAt: r.lifted_at?.toISOString() ?? null,
      legalBasis: r.legal_basis,
      reasons: r.reasons,
      issuedAt: r.issued_at.toISOString(),
      acknowledgedAt: r.acknowledged_at?.toISOString() ?? null,
      acknowledgementDueAt: new Date(r.issued_at.getTime() + ctx.ackDeadlineMs).toISOString(),
      acknowledgementOverdue: acknowledgementOverdue(
        r.issued_at,
        r.acknowledged_at,
        ctx.ackDeadlineMs,
        now,
      ),
      cells: cells
        .filter((c) => c.order_id === r.id)
        .map((c) => ({
          cellId: c.cell_id,
          radio: c.radio,
          lat: c.lat,
          lon: c.lon,
          status: c.status,
          cause: c.cause,
          reportedAt: c.reported_at?.toISOString() ?? null,
        })),
    })),
  };
}

function auditOperatorAction(
  tx: Tx,
  ctx: OperatorCtx,
  order: { id: string; reference: string; version: number },
  action: string,
  data: Record<string, unknown>,
) {
  return audit(tx, ctx, {
    shard: auditShard('order', order.reference),
    action,
    subjectType: 'suspension_order',
    subjectId: order.id,
    outcome: 'success',
    data: {
      reference: order.reference,
      version: order.version,
      keyId: ctx.operator.keyId,
      ...data,
    },
  });
}

/** Idempotent: a second acknowledgement answers with the first one's time. */
export async function acknowledgeOrder({
  ctx,
  input,
}: {
  ctx: OperatorCtx;
  input: { orderId: string };
}) {
  return ctx.db.transaction().execute(async (tx) => {
    const o = await ownOrder(tx, ctx.operator.id, input.orderId, true);
    if (o.acknowledged_at)
      return {
        orderId: o.id,
        acknowledgedAt: o.acknowledged_at.toISOString(),
        late: acknowledgementOverdue(o.issued_at, o.acknowledged_at, ctx.ackDeadlineMs, ctx.now),
      };
    await tx
      .updateTable('order_operators')
      .set({ acknowledged_at: ctx.now, acknowledged_key_id: ctx.operator.keyId })
      .where('order_id', '=', o.id)
      .where('operator_id', '=', ctx.operator.id)
      .execute();
    const late = acknowledgementOverdue(o.issued_at, ctx.now, ctx.ackDeadlineMs, ctx.now);
    await auditOperatorAction(tx, ctx, o, 'order.acknowledged', { late });
    return { orderId: o.id, acknowledgedAt: ctx.now.toISOString(), late };
  });
}

export interface ComplianceInput {
  suspended: string[];
  failed: { cellId: string; cause: string }[];
  restored: string[];
}

/**
 * Per-cell outcome reports, osmo-cbc style: success list, failure list with causes, and cells
 * restored after the order ended or was lifted. Cells must be among the order's frozen cells for
 * this operator; the whole report is refused if one is not.
 */
export async function reportCompliance({
  ctx,
  input,
}: {
  ctx: OperatorCtx;
  input: ComplianceInput & { orderId: string };
}) {
  return ctx.db.transaction().execute(async (tx) => {
    const o = await ownOrder(tx, ctx.operator.id, input.orderId, true);
    const reported = new Map<string, { status: CellStatus; cause: string | null }>();
    const issues: { path: string; message: string }[] = [];
    const add = (path: string, cellId: string, status: CellStatus, cause: string | null) => {
      if (reported.has(cellId))
        issues.push({ path, message: `${cellId} is reported more than once` });
      reported.set(cellId, { status, cause });
    };
    input.suspended.forEach((c, i) => {
      add(`suspended.${i}`, c, 'suspended', null);
    });
    input.failed.forEach((f, i) => {
      add(`failed.${i}.cellId`, f.cellId, 'failed', f.cause.trim());
      if (f.cause.trim() === '') issues.push({ path: `failed.${i}.cause`, message: 'say why' });
    });
    input.restored.forEach((c, i) => {
      add(`restored.${i}`, c, 'restored', null);
    });
    if (reported.size === 0) issues.push({ path: '(body)', message: 'report at least one cell' });
    // Cells are suspended (or fail to be) while the order is in force, and restored once it
    // ended: lifted, expired, or superseded by a version that no longer names them.
    const status = effectiveStatus(facts(o), ctx.now);
    if (status === 'scheduled' && reported.size > 0)
      throw new ServiceError(
        'invalid_transition',
        `the order only starts at ${o.starts_at.toISOString()}`,
      );
    if (status !== 'active' && input.suspended.length + input.failed.length > 0)
      throw new ServiceError(
        'invalid_transition',
        `the order is ${status}: cells are reported suspended or failed only while it is active`,
      );
    if (status === 'active' && input.restored.length > 0)
      throw new ServiceError(
        'invalid_transition',
        'the order is active: cells are reported restored once it has ended',
      );
    const known = await tx
      .selectFrom('order_cells')
      .select('cell_id')
      .where('order_id', '=', o.id)
      .where('operator_id', '=', ctx.operator.id)
      .execute();
    const knownIds = new Set(known.map((k) => k.cell_id));
    for (const cellId of reported.keys())
      if (!knownIds.has(cellId))
        issues.push({ path: 'cells', message: `${cellId} is not a cell of this order for you` });
    if (issues.length > 0)
      throw new InvalidError('invalid compliance report', issues.slice(0, 100));
    for (const [cellId, r] of reported) {
      await tx
        .updateTable('order_cells')
        .set({ status: r.status, cause: r.cause, reported_at: ctx.now })
        .where('order_id', '=', o.id)
        .where('operator_id', '=', ctx.operator.id)
        .where('cell_id', '=', cellId)
        .execute();
    }
    const summary = {
      suspended: input.suspended.length,
      failed: input.failed.length,
      restored: input.restored.length,
    };
    await auditOperatorAction(tx, ctx, o, 'order.compliance_reported', summary);
    return { orderId: o.id, reportedAt: ctx.now.toISOString(), ...summary };
  });
}

/** The transparency export: issued orders and their grounds, never who drafted or decided. */
export async function publicOrders(db: DbOrTx, { now }: { now: Date }) {
  const rows = await db
    .selectFrom('suspension_orders as s')
    .innerJoin('zone_versions as z', (j) =>
      j.onRef('z.zone_id', '=', 's.zone_id').onRef('z.version', '=', 's.zone_version'),
    )
    .select([
      's.reference',
      's.version',
      's.state',
      's.starts_at',
      's.ends_at',
      's.lifted_at',
      's.superseded_at',
      's.drafted_by',
      's.submitted_by',
      's.measure',
      's.services',
      's.legal_basis',
      's.reasons',
      'z.name as zone_name',
      'z.geometry',
    ])
    .where('s.state', 'in', ISSUED_STATES)
    .orderBy('s.starts_at', 'desc')
    .orderBy('s.version', 'desc')
    .execute();
  return {
    orders: rows.map((r) => ({
      reference: r.reference,
      version: r.version,
      status: effectiveStatus(facts(r), now),
      zone: { name: r.zone_name, geometry: storedGeometry(r.geometry) },
      measure: r.measure,
      services: r.services,
      startsAt: r.starts_at.toISOString(),
      endsAt: r.ends_at.toISOString(),
      liftedAt: r.lifted_at?.toISOString() ?? null,
      supersededAt: r.superseded_at?.toISOString() ?? null,
      legalBasis: r.legal_basis,
      reasons: r.reasons,
    })),
  };
}
