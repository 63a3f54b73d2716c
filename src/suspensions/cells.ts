import type { AuthenticatedOperator } from '../operators/queries.js';
import { appendAudit, auditShard } from '../platform/audit.js';
import type { Db, DbOrTx } from '../platform/db/client.js';
import { InvalidError } from '../platform/errors.js';

export const RADIOS = ['gsm', 'umts', 'lte', 'nr'] as const;
export const MAX_CELLS_PER_UPLOAD = 100_000;
/** A full upload of cells (about 100 bytes each in JSON) or compliance lists, with room. */
export const MAX_OPERATOR_UPLOAD_BYTES = 16 * 1024 * 1024;
const CELL_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const MAX_RANGE_M = 100_000;

export interface CellInput {
  cellId: string;
  radio: string;
  lat: number;
  lon: number;
  rangeM: number;
}

export interface CellRow extends CellInput {
  operatorId: string;
}

type Issue = { path: string; message: string };

export const CSV_HEADER = ['cellId', 'radio', 'lat', 'lon', 'rangeM'] as const;

/** CSV with the header `cellId,radio,lat,lon,rangeM`; plain fields, no quoting needed. */
export function parseCellsCsv(text: string): CellInput[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  if (header.join(',') !== CSV_HEADER.join(',')) {
    throw new InvalidError('bad CSV header', [
      { path: 'header', message: `the first line must be ${CSV_HEADER.join(',')}` },
    ]);
  }
  const issues: Issue[] = [];
  const cells: CellInput[] = [];
  lines.slice(1).forEach((line, i) => {
    const f = line.split(',').map((v) => v.trim());
    if (f.length !== CSV_HEADER.length) {
      issues.push({ path: `line ${i + 2}`, message: `expected ${CSV_HEADER.length} fields` });
      return;
    }
    const [cellId = '', radio = '', lat = '', lon = '', rangeM = ''] = f;
    const num = (v: string) => (v === '' ? Number.NaN : Number(v));
    cells.push({ cellId, radio, lat: num(lat), lon: num(lon), rangeM: num(rangeM) });
  });
  if (issues.length > 0) throw new InvalidError('bad CSV', issues.slice(0, 100));
  return cells;
}

export function validateCells(cells: CellInput[]): Issue[] {
  const issues: Issue[] = [];
  if (cells.length > MAX_CELLS_PER_UPLOAD)
    return [{ path: 'cells', message: `at most ${MAX_CELLS_PER_UPLOAD} cells per upload` }];
  const seen = new Set<string>();
  cells.forEach((c, i) => {
    const at = (field: string) => `cells.${i}.${field}`;
    if (!CELL_ID.test(c.cellId))
      issues.push({ path: at('cellId'), message: '1-64 of A-Z a-z 0-9 . _ : -' });
    else if (seen.has(c.cellId))
      issues.push({ path: at('cellId'), message: `duplicate ${c.cellId}` });
    seen.add(c.cellId);
    if (!(RADIOS as readonly string[]).includes(c.radio))
      issues.push({ path: at('radio'), message: `must be one of ${RADIOS.join(', ')}` });
    if (!(Number.isFinite(c.lat) && c.lat >= -90 && c.lat <= 90))
      issues.push({ path: at('lat'), message: 'must be a latitude in -90..90' });
    if (!(Number.isFinite(c.lon) && c.lon >= -180 && c.lon <= 180))
      issues.push({ path: at('lon'), message: 'must be a longitude in -180..180' });
    if (!(Number.isInteger(c.rangeM) && c.rangeM >= 0 && c.rangeM <= MAX_RANGE_M))
      issues.push({ path: at('rangeM'), message: `must be whole metres in 0..${MAX_RANGE_M}` });
  });
  return issues.slice(0, 100);
}

/** Replaces the operator's whole cell list in one transaction: readers see old or new, never half. */
export async function replaceCells({
  ctx,
  input,
}: {
  ctx: { db: Db; now: Date; operator: AuthenticatedOperator };
  input: { cells: CellInput[] };
}) {
  const issues = validateCells(input.cells);
  if (issues.length > 0) throw new InvalidError(`${issues.length} cell field(s) invalid`, issues);
  const { operator, now } = ctx;
  await ctx.db.transaction().execute(async (tx) => {
    await tx.deleteFrom('cell_sites').where('operator_id', '=', operator.id).execute();
    for (let i = 0; i < input.cells.length; i += 2000) {
      await tx
        .insertInto('cell_sites')
        .values(
          input.cells.slice(i, i + 2000).map((c) => ({
            operator_id: operator.id,
            cell_id: c.cellId,
            radio: c.radio,
            lat: c.lat,
            lon: c.lon,
            range_m: c.rangeM,
            uploaded_at: now,
          })),
        )
        .execute();
    }
    await appendAudit(tx, {
      shard: auditShard('cells', operator.id),
      at: now,
      actorType: 'operator',
      actorId: operator.id,
      action: 'cells.replaced',
      subjectType: 'operator',
      subjectId: operator.id,
      outcome: 'success',
      data: { count: input.cells.length, keyId: operator.keyId },
    });
  });
  return { operatorId: operator.id, count: input.cells.length, uploadedAt: now.toISOString() };
}

export async function listCells(
  db: DbOrTx,
  { operatorIds }: { operatorIds?: string[] } = {},
): Promise<CellRow[]> {
  let q = db.selectFrom('cell_sites').selectAll();
  if (operatorIds) {
    if (operatorIds.length === 0) return [];
    q = q.where('operator_id', 'in', operatorIds);
  }
  const rows = await q.orderBy('operator_id').orderBy('cell_id').execute();
  return rows.map(toCellRow);
}

/** A `cell_sites` row as the domain speaks of it. */
export function toCellRow(r: {
  operator_id: string;
  cell_id: string;
  radio: string;
  lat: number;
  lon: number;
  range_m: number;
}): CellRow {
  return {
    operatorId: r.operator_id,
    cellId: r.cell_id,
    radio: r.radio,
    lat: r.lat,
    lon: r.lon,
    rangeM: r.range_m,
  };
}
