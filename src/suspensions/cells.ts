import { CsvError, parse } from 'csv-parse/sync';
import type { AuthenticatedOperator } from '../access/queries.js';
import { audit, auditShard } from '../platform/audit.js';
import type { Db, DbOrTx } from '../platform/db/client.js';
import { InvalidError } from '../platform/errors.js';

export const RADIOS = ['gsm', 'umts', 'lte', 'nr'] as const;
export const MAX_CELLS_PER_UPLOAD = 100_000;
/** A full upload of cells (about 100 bytes each in JSON) or compliance lists, with room. */
export const MAX_OPERATOR_UPLOAD_BYTES = 16 * 1024 * 1024;
export const CELL_ID = /^[A-Za-z0-9._:-]{1,64}$/;
export const MAX_RANGE_M = 100_000;

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
/**
 * The cell export of OpenCellID (opencellid.org, "cell_towers.csv"), which operators' planning
 * tools and the OpenCellID downloads already write: `net` is the MNC, `area` the LAC or TAC,
 * `cell` the cell identity, `range` the coverage radius in metres.
 */
export const OPENCELLID_HEADER = [
  'radio',
  'mcc',
  'net',
  'area',
  'cell',
  'unit',
  'lon',
  'lat',
  'range',
  'samples',
  'changeable',
  'created',
  'updated',
  'averageSignal',
] as const;
const DIGITS = /^\d{1,10}$/;

/** A cell as the registry keeps it: radio in lower case, whatever case the client sent. */
export function normaliseCell(cell: CellInput): CellInput {
  return { ...cell, radio: cell.radio.toLowerCase() };
}

const num = (v: string) => (v === '' ? Number.NaN : Number(v));

/**
 * One OpenCellID row as a cell: its id is `mcc-mnc-area-cell` (the MNC in at least two digits,
 * `520-01-1234-5678`), the form CDRs name cells in.
 */
function openCellIdCell(f: string[]): CellInput | string {
  const [radio = '', mcc = '', net = '', area = '', cell = '', , lon = '', lat = '', range = ''] =
    f;
  for (const [name, v] of [
    ['mcc', mcc],
    ['net', net],
    ['area', area],
    ['cell', cell],
  ] as const)
    if (!DIGITS.test(v)) return `${name} must be digits`;
  return {
    cellId: `${mcc}-${net.padStart(2, '0')}-${area}-${cell}`,
    radio,
    lat: num(lat),
    lon: num(lon),
    rangeM: num(range),
  };
}

type Layout = { header: readonly string[]; cell: (f: string[]) => CellInput | string };
const LAYOUTS: Layout[] = [
  {
    header: CSV_HEADER,
    cell: ([cellId = '', radio = '', lat = '', lon = '', rangeM = '']) => ({
      cellId,
      radio,
      lat: num(lat),
      lon: num(lon),
      rangeM: num(rangeM),
    }),
  },
  { header: OPENCELLID_HEADER, cell: openCellIdCell },
];

/**
 * CSV (RFC 4180: quoted fields, CRLF or LF) in one of two layouts, told apart by the header line:
 * `cellId,radio,lat,lon,rangeM`, or OpenCellID's. Every error names its line.
 */
export function parseCellsCsv(text: string): CellInput[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    // With `info`, each record comes with the line it ends on (csv-parse's types omit this).
    records = parse(text, {
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    }) as unknown as typeof records;
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    throw new InvalidError('bad CSV', [{ path: `line ${err.lines}`, message: err.message }]);
  }
  const [head, ...rows] = records;
  const names = (head?.record ?? []).map((h) => h.toLowerCase()).join(',');
  const layout = LAYOUTS.find((l) => l.header.join(',').toLowerCase() === names);
  if (!layout)
    throw new InvalidError('bad CSV header', [
      {
        path: `line ${head?.info.lines ?? 1}`,
        message: `the header must be ${CSV_HEADER.join(',')} or OpenCellID's ${OPENCELLID_HEADER.join(',')}`,
      },
    ]);
  const issues: Issue[] = [];
  const cells: CellInput[] = [];
  const lines: number[] = [];
  for (const { record, info } of rows) {
    const at = `line ${info.lines}`;
    if (record.length !== layout.header.length) {
      issues.push({
        path: at,
        message: `expected ${layout.header.length} fields, found ${record.length}`,
      });
      continue;
    }
    const cell = layout.cell(record);
    if (typeof cell === 'string') issues.push({ path: at, message: cell });
    else {
      cells.push(normaliseCell(cell));
      lines.push(info.lines);
    }
  }
  if (issues.length > 0) throw new InvalidError('bad CSV', issues.slice(0, 100));
  // Field errors name the CSV line (and the field), not the index of the cell in the upload.
  const invalid = validateCells(cells).map(({ path, message }) => {
    const m = /^cells\.(\d+)\.(\w+)$/.exec(path);
    return m ? { path: `line ${lines[Number(m[1])]}: ${m[2]}`, message } : { path, message };
  });
  if (invalid.length > 0)
    throw new InvalidError(`${invalid.length} cell field(s) invalid`, invalid);
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
  const cells = input.cells.map(normaliseCell);
  const issues = validateCells(cells);
  if (issues.length > 0) throw new InvalidError(`${issues.length} cell field(s) invalid`, issues);
  const { operator, now } = ctx;
  await ctx.db.transaction().execute(async (tx) => {
    await tx.deleteFrom('cell_sites').where('operator_id', '=', operator.id).execute();
    for (let i = 0; i < cells.length; i += 2000) {
      await tx
        .insertInto('cell_sites')
        .values(
          cells.slice(i, i + 2000).map((c) => ({
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
    await audit(
      tx,
      { now, operator },
      {
        shard: auditShard('cells', operator.id),
        action: 'cells.replaced',
        subjectType: 'operator',
        subjectId: operator.id,
        outcome: 'success',
        data: { count: cells.length, keyId: operator.keyId },
      },
    );
  });
  return { operatorId: operator.id, count: cells.length, uploadedAt: now.toISOString() };
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
