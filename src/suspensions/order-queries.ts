import type { Insertable, Selectable, Updateable } from 'kysely';
import type { z } from 'zod';
import { subjectTrail } from '../platform/audit.js';
import type { DbOrTx, Tx } from '../platform/db/client.js';
import { NotFoundError } from '../platform/errors.js';
import type { Database } from '../schema.js';
import type { CellRow } from './cells.js';
import type { Coverage, OrderSchema } from './contract.js';
import {
  type Actor,
  acknowledgementOverdue,
  allowedActions,
  diffCells,
  effectiveStatus,
  type OrderFacts,
  type OrderStatus,
  type StoredOrderState,
} from './lifecycle.js';
import { cellsForZone, getZone } from './zones.js';

/** The statements on suspension orders: rows, views, lists, progress, timelines and writes. */

/** A stored order version, as the `suspension_orders` table declares it. */
export type OrderRow = Selectable<Database['suspension_orders']>;

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

export type OperatorProgress = OrderView['operators'][number];

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

export type OrderView = z.infer<typeof OrderSchema>;

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

/** The review schedule of an approved order: due `reviewWithinMs` after approval. */
export function reviewOf(
  o: Pick<OrderRow, 'state' | 'decided_at' | 'reviewed_at' | 'reviewed_by' | 'review_note'>,
  reviewWithinMs: number,
  now: Date,
): OrderView['review'] {
  if (o.state !== 'approved' && !o.reviewed_at) return null;
  if (!o.decided_at) return null;
  const due = new Date(o.decided_at.getTime() + reviewWithinMs);
  return {
    dueAt: due.toISOString(),
    overdue: (o.reviewed_at ?? now).getTime() > due.getTime(),
    reviewedAt: o.reviewed_at?.toISOString() ?? null,
    reviewedBy: o.reviewed_by,
    note: o.review_note,
  };
}

/** Approved, not yet ended orders whose review is missing and due within `horizonMs`. */
export async function reviewsDue(
  db: DbOrTx,
  { now, reviewWithinMs, horizonMs }: { now: Date; reviewWithinMs: number; horizonMs: number },
) {
  const rows = await db
    .selectFrom('suspension_orders')
    .select(['id', 'reference', 'version', 'decided_at'])
    .where('state', '=', 'approved')
    .where('ends_at', '>', now)
    .where('reviewed_at', 'is', null)
    .where('decided_at', '<=', new Date(now.getTime() + horizonMs - reviewWithinMs))
    .orderBy('decided_at')
    .execute();
  return rows.map((r) => {
    const due = new Date((r.decided_at ?? now).getTime() + reviewWithinMs);
    return {
      orderId: r.id,
      reference: r.reference,
      version: r.version,
      dueAt: due.toISOString(),
      overdue: now.getTime() > due.getTime(),
    };
  });
}

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
    reviewWithinMs,
  }: { orderId: string; now: Date; actor: Actor; ackDeadlineMs: number; reviewWithinMs: number },
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
    review: reviewOf(o, reviewWithinMs, now),
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
  return subjectTrail(db, {
    subjectType: 'suspension_order',
    subjectIds: ids.map((i) => i.id),
  });
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

/** The zone's current version, or undefined for an unknown zone. */
export async function findZoneVersion(
  db: DbOrTx,
  { zoneId }: { zoneId: string },
): Promise<number | undefined> {
  const zone = await db
    .selectFrom('zones')
    .select('current_version')
    .where('id', '=', zoneId)
    .executeTakeFirst();
  return zone?.current_version;
}

/** Which of these operator ids exist. */
export async function findKnownOperatorIds(
  db: DbOrTx,
  { operatorIds }: { operatorIds: string[] },
): Promise<Set<string>> {
  const rows = await db
    .selectFrom('operators')
    .select('id')
    .where('id', 'in', operatorIds)
    .where('kind', '=', 'operator')
    .execute();
  return new Set(rows.map((r) => r.id));
}

/** Which of these cell ids one of these operators registered. */
export async function findRegisteredCellIds(
  db: DbOrTx,
  { operatorIds, cellIds }: { operatorIds: string[]; cellIds: string[] },
): Promise<Set<string>> {
  const rows = await db
    .selectFrom('cell_sites')
    .select('cell_id')
    .where('operator_id', 'in', operatorIds)
    .where('cell_id', 'in', cellIds)
    .execute();
  return new Set(rows.map((r) => r.cell_id));
}

export async function insertOrderRow(
  tx: Tx,
  row: Insertable<Database['suspension_orders']>,
): Promise<void> {
  await tx.insertInto('suspension_orders').values(row).execute();
}

/** An order version locked for update (its lifecycle changes one at a time). */
export async function lockOrderRow(tx: Tx, { orderId }: { orderId: string }) {
  return tx
    .selectFrom('suspension_orders')
    .selectAll()
    .where('id', '=', orderId)
    .forUpdate()
    .executeTakeFirst();
}

export async function updateOrderRow(
  tx: Tx,
  { orderId }: { orderId: string },
  set: Updateable<Database['suspension_orders']>,
): Promise<void> {
  await tx.updateTable('suspension_orders').set(set).where('id', '=', orderId).execute();
}

/** An approved order, issued to each of its operators at `at`, with its cells frozen. */
export async function insertIssue(
  tx: Tx,
  {
    orderId,
    operatorIds,
    cells,
    at,
  }: { orderId: string; operatorIds: string[]; cells: CellRow[]; at: Date },
): Promise<void> {
  await tx
    .insertInto('order_operators')
    .values(
      operatorIds.map((operatorId) => ({
        order_id: orderId,
        operator_id: operatorId,
        issued_at: at,
      })),
    )
    .execute();
  for (let i = 0; i < cells.length; i += 2000) {
    await tx
      .insertInto('order_cells')
      .values(
        cells.slice(i, i + 2000).map((c) => ({
          order_id: orderId,
          operator_id: c.operatorId,
          cell_id: c.cellId,
          radio: c.radio,
          lat: c.lat,
          lon: c.lon,
        })),
      )
      .execute();
  }
}

/** The amendment of this order still in draft or awaiting approval, if any. */
export async function findPendingAmendment(db: DbOrTx, { orderId }: { orderId: string }) {
  return db
    .selectFrom('suspension_orders')
    .select('id')
    .where('amends_id', '=', orderId)
    .where('state', 'in', ['draft', 'pending_approval'])
    .executeTakeFirst();
}

/** When the first version of an order (by its reference) was to start. */
export async function findSeriesStart(
  db: DbOrTx,
  { reference }: { reference: string },
): Promise<Date> {
  const first = await db
    .selectFrom('suspension_orders')
    .select('starts_at')
    .where('reference', '=', reference)
    .orderBy('version')
    .executeTakeFirstOrThrow();
  return first.starts_at;
}
