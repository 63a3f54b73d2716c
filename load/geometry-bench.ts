/**
 * Geometry benchmark: our `src/suspensions/geometry.ts` against Turf (@turf/*, MIT) on the same
 * inputs, in one run, with the answers compared. Prints figures; writes nothing.
 *
 *   npx tsx load/geometry-bench.ts [--cells 10000] [--vertices 200]
 *
 * `areaKm2` and `bbox` now wrap @turf/area and @turf/bbox, so their rows measure the wrapper;
 * the other rows compare our code with the Turf module that would replace it.
 *
 * Zone: a star-shaped polygon of `--vertices` vertices about 20 km across (a wiggly border, as
 * drawn zones are), cells scattered over a box twice its size with ranges of 0.2 to 5 km.
 */
import { parseArgs } from 'node:util';
import turfArea from '@turf/area';
import turfBbox from '@turf/bbox';
import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon';
import turfDistance from '@turf/distance';
import { point, polygon } from '@turf/helpers';
import turfKinks from '@turf/kinks';
import { pointToPolygonDistance } from '@turf/point-to-polygon-distance';
import {
  areaKm2,
  bbox,
  type CellSite,
  cellsInZone,
  haversineM,
  type Position,
  parseZoneGeometry,
  type ZoneGeometry,
} from '../src/suspensions/geometry.js';

const { values } = parseArgs({
  options: {
    cells: { type: 'string', default: '10000' },
    vertices: { type: 'string', default: '200' },
  },
});
const CELLS = Number(values.cells);
const VERTICES = Number(values.vertices);

/** A deterministic generator so every run measures the same inputs. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function starRing(n: number, lon0: number, lat0: number, radiusDeg: number): Position[] {
  const rand = rng(7);
  const ring: Position[] = [];
  for (let i = 0; i < n; i++) {
    const t = (2 * Math.PI * i) / n;
    const r = radiusDeg * (0.7 + 0.3 * rand());
    ring.push([lon0 + r * Math.cos(t), lat0 + r * Math.sin(t)]);
  }
  ring.push(ring[0] as Position);
  return ring;
}

const LON0 = 100.1;
const LAT0 = 20.3;
const ring = starRing(VERTICES, LON0, LAT0, 0.1);
const zone: ZoneGeometry = { type: 'Polygon', coordinates: [ring] };
const turfZone = polygon([ring]);

const rand = rng(42);
const cells: (CellSite & { id: number })[] = Array.from({ length: CELLS }, (_, id) => ({
  id,
  cellId: `c${id}`,
  lon: LON0 + (rand() - 0.5) * 0.4,
  lat: LAT0 + (rand() - 0.5) * 0.4,
  rangeM: 200 + rand() * 4800,
}));

/** Median milliseconds per call over `rounds` rounds, after a warm-up. */
function time(fn: () => unknown, rounds = 15): number {
  for (let i = 0; i < 3; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? Number.NaN;
}

function turfCellsInZone(includeCoverage: boolean) {
  const [minLon, minLat, maxLon, maxLat] = turfBbox(turfZone);
  const out: typeof cells = [];
  for (const cell of cells) {
    const pt = point([cell.lon, cell.lat]);
    if (
      cell.lon >= minLon &&
      cell.lon <= maxLon &&
      cell.lat >= minLat &&
      cell.lat <= maxLat &&
      booleanPointInPolygon(pt, turfZone)
    ) {
      out.push(cell);
    } else if (
      includeCoverage &&
      pointToPolygonDistance(pt, turfZone, { units: 'meters' }) <= cell.rangeM
    ) {
      out.push(cell);
    }
  }
  return out;
}

const rows: string[][] = [];
function row(name: string, ours: number, turf: number, answers: string) {
  rows.push([name, ours.toFixed(3), turf.toFixed(3), (turf / ours).toFixed(1), answers]);
}

function diff(a: { id: number }[], b: { id: number }[]) {
  const sa = new Set(a.map((c) => c.id));
  const sb = new Set(b.map((c) => c.id));
  const onlyOurs = [...sa].filter((id) => !sb.has(id)).length;
  const onlyTurf = [...sb].filter((id) => !sa.has(id)).length;
  return `ours ${sa.size}, turf ${sb.size}, differ ${onlyOurs + onlyTurf}`;
}

for (const coverage of [false, true]) {
  const ours = cellsInZone(zone, cells, { includeCoverage: coverage });
  const turf = turfCellsInZone(coverage);
  row(
    `cellsInZone ${CELLS} cells, ${VERTICES} vertices${coverage ? ', coverage' : ''}`,
    time(() => cellsInZone(zone, cells, { includeCoverage: coverage }), coverage ? 5 : 15),
    time(() => turfCellsInZone(coverage), coverage ? 3 : 15),
    diff(ours, turf),
  );
}

const oursArea = areaKm2(zone);
const turfAreaKm2 = turfArea(turfZone) / 1e6;
row(
  'area (10000 calls)',
  time(() => {
    for (let i = 0; i < 10_000; i++) areaKm2(zone);
  }),
  time(() => {
    for (let i = 0; i < 10_000; i++) turfArea(turfZone);
  }),
  `ours ${oursArea.toFixed(3)} km², turf ${turfAreaKm2.toFixed(3)} km² (${(((turfAreaKm2 - oursArea) / oursArea) * 100).toFixed(2)}%)`,
);

row(
  'bbox (10000 calls)',
  time(() => {
    for (let i = 0; i < 10_000; i++) bbox(zone);
  }),
  time(() => {
    for (let i = 0; i < 10_000; i++) turfBbox(turfZone);
  }),
  'same box',
);

const a: Position = [100.11, 20.36];
const b: Position = [100.2, 20.41];
row(
  'distance (10000 calls)',
  time(() => {
    let sum = 0;
    for (let i = 0; i < 10_000; i++) sum += haversineM(a, [b[0] + i * 1e-7, b[1]]);
    return sum;
  }),
  time(() => {
    let sum = 0;
    for (let i = 0; i < 10_000; i++)
      sum += turfDistance(a, [b[0] + i * 1e-7, b[1]], { units: 'meters' });
    return sum;
  }),
  `ours ${haversineM(a, b).toFixed(2)} m, turf ${turfDistance(a, b, { units: 'meters' }).toFixed(2)} m`,
);

const bigRing = starRing(2000, LON0, LAT0, 0.1);
const big = { type: 'Polygon', coordinates: [bigRing] };
const turfBig = polygon([bigRing]);
row(
  'validity, 2000-vertex ring (self-intersection)',
  time(() => parseZoneGeometry(big), 7),
  time(() => turfKinks(turfBig), 3),
  `ours ${parseZoneGeometry(big).ok ? 'valid' : 'invalid'}, turf kinks ${turfKinks(turfBig).features.length}`,
);

const header = ['operation', 'ours ms', 'turf ms', 'turf/ours', 'answers'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
for (const r of [header, ...rows]) {
  console.log(r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  '));
}
