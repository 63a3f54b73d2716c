import { type Selectable, sql } from 'kysely';
import type { z } from 'zod';
import { audit, auditShard } from '../platform/audit.js';
import { newId } from '../platform/crypto.js';
import type { Db, DbOrTx } from '../platform/db/client.js';
import { InvalidError, NotFoundError, ServiceError } from '../platform/errors.js';
import { parseInput } from '../platform/parse.js';
import type { Database } from '../schema.js';
import { type CellRow, toCellRow } from './cells.js';
import { type Coverage, type RiskLevel, ZoneCreateSchema, type ZoneSchema } from './contract.js';
import { areaKm2, bbox, cellsInZone, parseZoneGeometry, type ZoneGeometry } from './geometry.js';
import type { Actor } from './lifecycle.js';

/** The largest `rangeM` accepted for a cell, so the SQL prefilter can widen the box by it. */
const MAX_REACH_M = 100_000;

export type ZoneView = z.infer<typeof ZoneSchema>;

export interface ZoneInput {
  name: string;
  riskLevel: string;
  geometry: unknown;
}

/** The zone through its contract schema, then its geometry through the GeoJSON checks. */
function checkZone(input: ZoneInput): {
  name: string;
  riskLevel: RiskLevel;
  geometry: ZoneGeometry;
} {
  const zone = parseInput(ZoneCreateSchema, input);
  const parsed = parseZoneGeometry(zone.geometry);
  if (!parsed.ok)
    throw new InvalidError(
      'invalid zone',
      parsed.issues.map((i) => ({
        path: i.path ? `geometry.${i.path}` : 'geometry',
        message: i.message,
      })),
    );
  return { name: zone.name, riskLevel: zone.riskLevel, geometry: parsed.geometry };
}

/** Roles that draw zones; auditors and analysts (whose work is the watchlist) only read them. */
export const ZONE_EDITORS: readonly string[] = ['officer', 'approver', 'admin'];

function assertCanEdit(actor: Actor) {
  if (!ZONE_EDITORS.includes(actor.role))
    throw new ServiceError('forbidden', `${actor.role}s have read-only access to zones`);
}

/** A new zone at version 1, or (with `zoneId`) the next version of an existing zone. */
export async function saveZone({
  ctx,
  input,
}: {
  ctx: { db: Db; now: Date; actor: Actor };
  input: ZoneInput & { zoneId?: string };
}): Promise<{ id: string; version: number }> {
  assertCanEdit(ctx.actor);
  const { name, riskLevel, geometry } = checkZone(input);
  return ctx.db.transaction().execute(async (tx) => {
    let id = input.zoneId;
    let version = 1;
    if (id) {
      const zone = await tx
        .updateTable('zones')
        .set((eb) => ({ current_version: eb('current_version', '+', 1) }))
        .where('id', '=', id)
        .returning('current_version')
        .executeTakeFirst();
      if (!zone) throw new NotFoundError(`zone ${id}`);
      version = zone.current_version;
    } else {
      id = newId('zone');
      await tx
        .insertInto('zones')
        .values({ id, current_version: 1, created_at: ctx.now })
        .execute();
    }
    await tx
      .insertInto('zone_versions')
      .values({
        zone_id: id,
        version,
        name,
        risk_level: riskLevel,
        // As JSON text cast in SQL: a string bound to a jsonb parameter is stored as a JSON
        // string, and readers (the transparency export) would hand out the geometry as one.
        geometry: sql<unknown>`${JSON.stringify(geometry)}::text::jsonb`,
        created_by: ctx.actor.userId,
        created_at: ctx.now,
      })
      .execute();
    await audit(tx, ctx, {
      shard: auditShard('zone', id),
      action: version === 1 ? 'zone.created' : 'zone.versioned',
      subjectType: 'zone',
      subjectId: id,
      outcome: 'success',
      data: { version, name, riskLevel },
    });
    return { id, version };
  });
}

/** A zone version as `zone_versions` stores it. */
type ZoneRow = Pick<
  Selectable<Database['zone_versions']>,
  'zone_id' | 'version' | 'name' | 'risk_level' | 'geometry' | 'created_by' | 'created_at'
>;

/** A stored zone geometry: a GeoJSON object, checked by parseZoneGeometry when it was drawn. */
export function storedGeometry(stored: unknown): ZoneGeometry {
  return stored as ZoneGeometry;
}

function toView(r: ZoneRow): ZoneView {
  const geometry = storedGeometry(r.geometry);
  return {
    id: r.zone_id,
    version: r.version,
    name: r.name,
    riskLevel: r.risk_level,
    geometry,
    areaKm2: Math.round(areaKm2(geometry) * 100) / 100,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
  };
}

/** The zone at `version`, or at its current version. */
export async function getZone(
  db: DbOrTx,
  { zoneId, version }: { zoneId: string; version?: number },
): Promise<ZoneView> {
  let q = db
    .selectFrom('zone_versions as v')
    .innerJoin('zones as z', 'z.id', 'v.zone_id')
    .selectAll('v')
    .where('v.zone_id', '=', zoneId);
  q =
    version === undefined
      ? q.whereRef('v.version', '=', 'z.current_version')
      : q.where('v.version', '=', version);
  const row = await q.executeTakeFirst();
  if (!row) throw new NotFoundError(`zone ${zoneId}`);
  return toView(row);
}

/**
 * Zones at their current versions; `riskLevel: 'high'` gives the zones whose traffic the scorer
 * may treat as evidence.
 */
export async function listZones(
  db: DbOrTx,
  { riskLevel }: { riskLevel?: string } = {},
): Promise<ZoneView[]> {
  let q = db
    .selectFrom('zone_versions as v')
    .innerJoin('zones as z', 'z.id', 'v.zone_id')
    .selectAll('v')
    .whereRef('v.version', '=', 'z.current_version');
  if (riskLevel) q = q.where('v.risk_level', '=', riskLevel);
  const rows = await q.orderBy('v.name').execute();
  return rows.map(toView);
}

/**
 * Cells the zone covers, from the cell registry: sites inside, and with `reach` also sites whose
 * coverage circle touches the zone. SQL narrows to the zone's box widened by the largest
 * possible range; geometry decides exactly.
 */
export async function cellsForZone(
  db: DbOrTx,
  {
    geometry,
    coverage,
    operatorIds,
  }: { geometry: ZoneGeometry; coverage: Coverage; operatorIds?: string[] },
): Promise<CellRow[]> {
  if (operatorIds && operatorIds.length === 0) return [];
  const box = bbox(geometry);
  const padLat = coverage === 'reach' ? MAX_REACH_M / 111_000 : 0;
  const maxAbsLat = Math.min(89, Math.max(Math.abs(box.minLat), Math.abs(box.maxLat)) + padLat);
  const padLon = coverage === 'reach' ? padLat / Math.cos((maxAbsLat * Math.PI) / 180) : 0;
  let q = db
    .selectFrom('cell_sites')
    .selectAll()
    .where('lat', '>=', box.minLat - padLat)
    .where('lat', '<=', box.maxLat + padLat)
    .where('lon', '>=', box.minLon - padLon)
    .where('lon', '<=', box.maxLon + padLon);
  if (operatorIds) q = q.where('operator_id', 'in', operatorIds);
  const rows = await q.orderBy('operator_id').orderBy('cell_id').execute();
  const cells: CellRow[] = rows.map(toCellRow);
  return cellsInZone(geometry, cells, { includeCoverage: coverage === 'reach' });
}
