import { sql } from 'drizzle-orm';
import {
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { consoleUsers, operators } from '../access/schema.js';
import { ts } from '../platform/db/columns.js';

/** Each operator's cell registry; `PUT /v1/operator/cells` replaces an operator's rows atomically. */
export const cellSites = pgTable(
  'cell_sites',
  {
    operatorId: text('operator_id')
      .notNull()
      .references(() => operators.id),
    cellId: text('cell_id').notNull(),
    radio: text('radio').notNull(),
    lat: doublePrecision('lat').notNull(),
    lon: doublePrecision('lon').notNull(),
    rangeM: integer('range_m').notNull(),
    uploadedAt: ts('uploaded_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.operatorId, t.cellId] }),
    index('cell_sites_lat_lon_idx').on(t.lat, t.lon),
  ],
);

export const zones = pgTable('zones', {
  id: text('id').primaryKey(),
  currentVersion: integer('current_version').notNull(),
  createdAt: ts('created_at').notNull(),
});

/** Zone versions are immutable: an order names the version it was drafted on. */
export const zoneVersions = pgTable(
  'zone_versions',
  {
    zoneId: text('zone_id')
      .notNull()
      .references(() => zones.id),
    version: integer('version').notNull(),
    name: text('name').notNull(),
    riskLevel: text('risk_level').notNull(),
    geometry: jsonb('geometry').notNull(),
    createdBy: text('created_by')
      .notNull()
      .references(() => consoleUsers.id),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.zoneId, t.version] })],
);

/**
 * One row per order version. Only decisions are stored (`state`); scheduled/active/expired are
 * derived from the window and the time of asking. An amendment is a new row with the same
 * `reference`, `version + 1` and `amends_id` pointing at the version it replaces.
 */
export const suspensionOrders = pgTable(
  'suspension_orders',
  {
    id: text('id').primaryKey(),
    reference: text('reference').notNull(),
    version: integer('version').notNull(),
    amendsId: text('amends_id'),
    state: text('state').notNull(),
    zoneId: text('zone_id')
      .notNull()
      .references(() => zones.id),
    zoneVersion: integer('zone_version').notNull(),
    measure: text('measure').notNull(),
    services: text('services').array().notNull(),
    operatorIds: text('operator_ids').array().notNull(),
    /** 'inside': sites in the zone; 'reach': also sites whose coverage circle reaches it. */
    coverage: text('coverage').notNull().default('inside'),
    exemptCells: text('exempt_cells').array().notNull().default(sql`'{}'::text[]`),
    startsAt: ts('starts_at').notNull(),
    endsAt: ts('ends_at').notNull(),
    legalBasis: text('legal_basis').notNull(),
    reasons: text('reasons').notNull(),
    draftedBy: text('drafted_by')
      .notNull()
      .references(() => consoleUsers.id),
    createdAt: ts('created_at').notNull(),
    submittedBy: text('submitted_by'),
    submittedAt: ts('submitted_at'),
    decidedBy: text('decided_by'),
    decidedAt: ts('decided_at'),
    decisionNote: text('decision_note'),
    liftedBy: text('lifted_by'),
    liftedAt: ts('lifted_at'),
    liftNote: text('lift_note'),
    supersededAt: ts('superseded_at'),
    /** The periodic review of an issued order (India's rules: a committee reviews each order). */
    reviewedBy: text('reviewed_by'),
    reviewedAt: ts('reviewed_at'),
    reviewNote: text('review_note'),
  },
  (t) => [
    uniqueIndex('suspension_orders_reference_version_key').on(t.reference, t.version),
    index('suspension_orders_state_idx').on(t.state, t.startsAt),
  ],
);

/**
 * The cells each operator must act on, frozen at approval, with that operator's latest report
 * per cell: pending → suspended | failed → restored.
 */
export const orderCells = pgTable(
  'order_cells',
  {
    orderId: text('order_id')
      .notNull()
      .references(() => suspensionOrders.id),
    operatorId: text('operator_id')
      .notNull()
      .references(() => operators.id),
    cellId: text('cell_id').notNull(),
    radio: text('radio').notNull(),
    lat: doublePrecision('lat').notNull(),
    lon: doublePrecision('lon').notNull(),
    status: text('status').notNull().default('pending'),
    cause: text('cause'),
    reportedAt: ts('reported_at'),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.operatorId, t.cellId] })],
);

/** One row per operator an issued order concerns; `acknowledged_at` null until it answers. */
export const orderOperators = pgTable(
  'order_operators',
  {
    orderId: text('order_id')
      .notNull()
      .references(() => suspensionOrders.id),
    operatorId: text('operator_id')
      .notNull()
      .references(() => operators.id),
    issuedAt: ts('issued_at').notNull(),
    acknowledgedAt: ts('acknowledged_at'),
    acknowledgedKeyId: text('acknowledged_key_id'),
  },
  (t) => [
    primaryKey({ columns: [t.orderId, t.operatorId] }),
    index('order_operators_operator_idx').on(t.operatorId),
  ],
);
