/**
 * Zone geometry for suspension orders: validation of regulator-drawn GeoJSON zones, point-in-zone,
 * distances, coverage matching against cell sites, area and SVG previews.
 *
 * Coordinates are WGS84 [lon, lat] in degrees. Edges are treated as straight lines in lon/lat
 * space (as GeoJSON renderers draw them); at zone scales (up to tens of km) the difference from
 * great-circle edges is negligible. Rings crossing the antimeridian are rejected by the parser.
 *
 * Turf (@turf/*, MIT) was measured against this file with `npx tsx load/geometry-bench.ts`
 * (10,000 cells, a 200-vertex zone, medians on a shared 2-core machine, so ratios vary between
 * runs; same answers throughout):
 * - area and bbox come from Turf (`@turf/area`, `@turf/bbox`): the same figures in 0.6-0.7x the
 *   time of the code they replaced.
 * - cells in a zone stay here: Turf's point-in-polygon takes 1-4x our time, and with coverage
 *   (`@turf/point-to-polygon-distance`, geodesic per edge, no index) 2,400-4,700x (11-19 s against
 *   2-8 ms); our latitude-band edge index visits only the edges near each site.
 * - validity stays here: `@turf/kinks` takes 4-11x our time on a 2,000-vertex ring, reports points
 *   rather than the edges that cross, and checks none of closure, ranges, duplicates, spikes,
 *   degenerate area or the antimeridian, which the zone errors name.
 * - distance stays here (haversine, ~4x faster than `@turf/distance`, the same metres).
 */
import turfArea from '@turf/area';
import turfBbox from '@turf/bbox';

export type Position = [number, number];

export type ZoneGeometry =
  | { type: 'Polygon'; coordinates: Position[][] }
  | { type: 'MultiPolygon'; coordinates: Position[][][] };

export type GeometryIssue = { path: string; message: string };

export type ParseZoneGeometryResult =
  | { ok: true; geometry: ZoneGeometry }
  | { ok: false; issues: GeometryIssue[] };

export interface BBox {
  minLon: number;
  minLat: number;
  maxLon: number;
  maxLat: number;
}

export interface CellSite {
  cellId: string;
  lat: number;
  lon: number;
  rangeM: number;
}

export const GEOMETRY_LIMITS = {
  /** Self-intersection checking is roughly quadratic in the worst case, so rings are capped. */
  maxRingVertices: 10_000,
  maxTotalVertices: 50_000,
  /** Parsing stops collecting after this many issues so hostile input cannot blow up the response. */
  maxIssues: 100,
  maxSelfIntersectionsReportedPerRing: 5,
} as const;

/** IUGG mean Earth radius. */
export const EARTH_RADIUS_M = 6_371_008.8;

const DEG = Math.PI / 180;
const METRES_PER_DEGREE_LAT = EARTH_RADIUS_M * DEG;
/** A point within this many degrees (~0.1 mm) of an edge counts as on the boundary. */
const BOUNDARY_EPS_DEG = 1e-9;
/** Rings with a planar area below this (~0.01 m²) are treated as degenerate. */
const MIN_RING_AREA_DEG2 = 1e-12;

class IssueCollector {
  readonly issues: GeometryIssue[] = [];
  private full = false;

  add(path: string, message: string): void {
    if (this.full) return;
    if (this.issues.length === GEOMETRY_LIMITS.maxIssues) {
      this.full = true;
      this.issues.push({
        path: '',
        message: `too many issues; stopped after ${GEOMETRY_LIMITS.maxIssues}`,
      });
      return;
    }
    this.issues.push({ path, message });
  }

  get isFull(): boolean {
    return this.full;
  }
}

/**
 * Validate untrusted JSON: returns the typed geometry or every issue found (up to
 * `GEOMETRY_LIMITS.maxIssues`). Winding order is not enforced (RFC 7946 §3.1.6). Not checked:
 * holes overlapping each other and MultiPolygon parts overlapping; queries treat the parts as a
 * union, so overlaps are harmless.
 */
export function parseZoneGeometry(input: unknown): ParseZoneGeometryResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return fail('', 'geometry must be a GeoJSON object with "type" and "coordinates"');
  }
  const { type, coordinates } = input as Record<string, unknown>;
  if (type !== 'Polygon' && type !== 'MultiPolygon') {
    const hint =
      type === 'Feature' || type === 'FeatureCollection'
        ? '; pass the feature geometry, not the feature'
        : '';
    return fail('type', `type must be "Polygon" or "MultiPolygon" (got ${describe(type)})${hint}`);
  }
  if (!Array.isArray(coordinates)) {
    return fail('coordinates', `coordinates must be an array (got ${describe(coordinates)})`);
  }
  const total = countPositions(type, coordinates);
  if (total > GEOMETRY_LIMITS.maxTotalVertices) {
    return fail(
      'coordinates',
      `geometry has ${total} positions; the maximum is ${GEOMETRY_LIMITS.maxTotalVertices}`,
    );
  }

  const issues = new IssueCollector();
  if (type === 'Polygon') {
    const polygon = parsePolygon(coordinates, 'coordinates', issues);
    if (polygon && issues.issues.length === 0) {
      return { ok: true, geometry: { type, coordinates: polygon } };
    }
    return { ok: false, issues: issues.issues };
  }

  if (coordinates.length === 0) {
    issues.add('coordinates', 'MultiPolygon must contain at least one polygon');
  }
  const polygons: Position[][][] = [];
  for (let i = 0; i < coordinates.length && !issues.isFull; i++) {
    const polygon = parsePolygon(coordinates[i], `coordinates[${i}]`, issues);
    if (polygon) polygons.push(polygon);
  }
  if (issues.issues.length > 0) return { ok: false, issues: issues.issues };
  return { ok: true, geometry: { type, coordinates: polygons } };
}

function fail(path: string, message: string): ParseZoneGeometryResult {
  return { ok: false, issues: [{ path, message }] };
}

function countPositions(type: 'Polygon' | 'MultiPolygon', coordinates: unknown[]): number {
  const polygons = type === 'Polygon' ? [coordinates] : coordinates;
  let n = 0;
  for (const polygon of polygons) {
    if (!Array.isArray(polygon)) continue;
    for (const ring of polygon) if (Array.isArray(ring)) n += ring.length;
  }
  return n;
}

function parsePolygon(raw: unknown, path: string, issues: IssueCollector): Position[][] | null {
  if (!Array.isArray(raw)) {
    issues.add(path, `polygon must be an array of rings (got ${describe(raw)})`);
    return null;
  }
  if (raw.length === 0) {
    issues.add(path, 'polygon must have at least one ring (the outer boundary)');
    return null;
  }
  const rings: (Position[] | null)[] = [];
  for (let r = 0; r < raw.length && !issues.isFull; r++) {
    const ringPath = `${path}[${r}]`;
    const ring = parseRing(raw[r], ringPath, issues);
    rings.push(ring && checkRingGeometry(ring, ringPath, issues) ? ring : null);
  }
  const [outer, ...holes] = rings;
  if (outer) {
    holes.forEach((hole, h) => {
      if (hole) checkHoleInsideOuter(outer, hole, `${path}[${h + 1}]`, issues);
    });
  }
  return rings.every((ring) => ring !== null) ? (rings as Position[][]) : null;
}

/** Structural checks: shape, numbers, ranges, closure, duplicates. Returns null if any failed. */
function parseRing(raw: unknown, path: string, issues: IssueCollector): Position[] | null {
  if (!Array.isArray(raw)) {
    issues.add(path, `ring must be an array of positions (got ${describe(raw)})`);
    return null;
  }
  if (raw.length > GEOMETRY_LIMITS.maxRingVertices) {
    issues.add(
      path,
      `ring has ${raw.length} positions; the maximum is ${GEOMETRY_LIMITS.maxRingVertices}`,
    );
    return null;
  }
  let ok = true;
  if (raw.length < 4) {
    issues.add(
      path,
      `ring must have at least 4 positions (a closed triangle repeats its first position); got ${raw.length}`,
    );
    ok = false;
  }
  const positions: Position[] = [];
  for (let i = 0; i < raw.length; i++) {
    const position = parsePosition(raw[i], `${path}[${i}]`, issues);
    if (position) positions.push(position);
    else ok = false;
  }
  if (!ok) return null;

  const first = positions[0];
  const last = positions[positions.length - 1];
  if (first && last && !samePosition(first, last)) {
    issues.add(
      path,
      `ring is not closed: the last position ${fmtPos(last)} must equal the first ${fmtPos(first)}`,
    );
    ok = false;
  }
  for (let i = 1; i < positions.length; i++) {
    const prev = positions[i - 1];
    const cur = positions[i];
    if (prev && cur && samePosition(prev, cur)) {
      issues.add(`${path}[${i}]`, `position ${fmtPos(cur)} duplicates the previous position`);
      ok = false;
    }
  }
  return ok ? positions : null;
}

function parsePosition(raw: unknown, path: string, issues: IssueCollector): Position | null {
  if (!Array.isArray(raw)) {
    issues.add(path, `position must be an array [lon, lat] (got ${describe(raw)})`);
    return null;
  }
  if (raw.length !== 2) {
    issues.add(
      path,
      `position must have exactly 2 elements [lon, lat] (got ${raw.length}); altitude is not supported`,
    );
    return null;
  }
  const [lon, lat] = raw as unknown[];
  let ok = true;
  if (typeof lon !== 'number' || !Number.isFinite(lon)) {
    issues.add(path, `longitude must be a finite number (got ${describe(lon)})`);
    ok = false;
  } else if (lon < -180 || lon > 180) {
    issues.add(path, `longitude ${lon} is outside [-180, 180]`);
    ok = false;
  }
  if (typeof lat !== 'number' || !Number.isFinite(lat)) {
    issues.add(path, `latitude must be a finite number (got ${describe(lat)})`);
    ok = false;
  } else if (lat < -90 || lat > 90) {
    issues.add(path, `latitude ${lat} is outside [-90, 90]`);
    ok = false;
  }
  return ok && typeof lon === 'number' && typeof lat === 'number' ? [lon, lat] : null;
}

/** Geometric checks on a structurally valid ring: antimeridian, area, self-intersection. */
function checkRingGeometry(ring: Position[], path: string, issues: IssueCollector): boolean {
  let ok = true;
  let minLon = Number.POSITIVE_INFINITY;
  let maxLon = Number.NEGATIVE_INFINITY;
  for (const [lon] of ring) {
    if (lon < minLon) minLon = lon;
    if (lon > maxLon) maxLon = lon;
  }
  if (maxLon - minLon > 180) {
    issues.add(
      path,
      `ring spans ${round(maxLon - minLon, 6)}° of longitude, which means it crosses the antimeridian (±180°); ` +
        'this is not supported, split the zone into a MultiPolygon at 180°',
    );
    ok = false;
  }
  if (Math.abs(planarRingArea(ring)) < MIN_RING_AREA_DEG2) {
    issues.add(path, 'ring has zero area (its positions are collinear or coincide)');
    ok = false;
  }
  const crossings = findSelfIntersections(
    ring,
    GEOMETRY_LIMITS.maxSelfIntersectionsReportedPerRing,
  );
  for (const [i, j] of crossings) {
    issues.add(
      path,
      `ring self-intersects: edge ${i}→${i + 1} ${fmtPos(at(ring, i))}–${fmtPos(at(ring, i + 1))} ` +
        `intersects edge ${j}→${j + 1} ${fmtPos(at(ring, j))}–${fmtPos(at(ring, j + 1))}`,
    );
    ok = false;
  }
  return ok;
}

function checkHoleInsideOuter(
  outer: Position[],
  hole: Position[],
  path: string,
  issues: IssueCollector,
): void {
  const outside = hole.findIndex(
    ([lon, lat]) => !onRingBoundary(outer, lon, lat) && !ringContains(outer, lon, lat),
  );
  if (outside >= 0) {
    issues.add(
      `${path}[${outside}]`,
      `hole must lie inside the outer ring, but position ${fmtPos(at(hole, outside))} is outside it`,
    );
    return;
  }
  const segments = [...ringSegments(outer, 0), ...ringSegments(hole, 1)];
  let crosses = false;
  forEachOverlappingPair(segments, (s, t) => {
    crosses = s.owner !== t.owner && segmentsCrossProperly(s, t);
    return !crosses;
  });
  if (crosses) issues.add(path, 'hole must lie inside the outer ring, but it crosses its boundary');
}

/** Pairs of edge indices [i, j] (i < j) that intersect, apart from adjacent edges meeting at their shared vertex. */
function findSelfIntersections(ring: Position[], limit: number): [number, number][] {
  const segments = ringSegments(ring, 0);
  const edgeCount = segments.length;
  const found: [number, number][] = [];
  forEachOverlappingPair(segments, (s, t) => {
    const [lo, hi] = s.edge < t.edge ? [s, t] : [t, s];
    const adjacent = hi.edge === lo.edge + 1 || (lo.edge === 0 && hi.edge === edgeCount - 1);
    const bad = adjacent ? adjacentEdgesOverlap(lo, hi) : segmentsIntersect(lo, hi);
    if (bad) found.push([lo.edge, hi.edge]);
    return found.length < limit;
  });
  return found.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

function describe(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  }
  if (value === null || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

function fmtPos([lon, lat]: Position): string {
  return `[${lon}, ${lat}]`;
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function samePosition(a: Position, b: Position): boolean {
  return a[0] === b[0] && a[1] === b[1];
}

/** Index into a ring whose bounds the caller has already established. */
function at(ring: Position[], i: number): Position {
  const p = ring[i];
  if (!p) throw new RangeError(`position ${i} out of range`);
  return p;
}

interface Segment {
  edge: number;
  owner: number;
  ax: number;
  ay: number;
  bx: number;
  by: number;
  minX: number;
  maxX: number;
  minY: number;
  maxY: number;
}

function ringSegments(ring: Position[], owner: number): Segment[] {
  const segments: Segment[] = [];
  for (let i = 1; i < ring.length; i++) {
    const a = ring[i - 1];
    const b = ring[i];
    if (!a || !b) continue;
    segments.push({
      edge: i - 1,
      owner,
      ax: a[0],
      ay: a[1],
      bx: b[0],
      by: b[1],
      minX: Math.min(a[0], b[0]),
      maxX: Math.max(a[0], b[0]),
      minY: Math.min(a[1], b[1]),
      maxY: Math.max(a[1], b[1]),
    });
  }
  return segments;
}

/**
 * Visits every pair of segments whose bounding boxes overlap, using a sweep along x so typical
 * rings cost far less than all n² pairs. Stops as soon as `visit` returns false.
 */
function forEachOverlappingPair(
  segments: Segment[],
  visit: (s: Segment, t: Segment) => boolean,
): void {
  const sorted = [...segments].sort((s, t) => s.minX - t.minX);
  for (let k = 0; k < sorted.length; k++) {
    const s = sorted[k];
    if (!s) continue;
    for (let l = k + 1; l < sorted.length; l++) {
      const t = sorted[l];
      if (!t || t.minX > s.maxX) break;
      if (t.minY > s.maxY || t.maxY < s.minY) continue;
      if (!visit(s, t)) return;
    }
  }
}

function orient(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number {
  return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

function inSegmentBox(s: Segment, x: number, y: number): boolean {
  return x >= s.minX && x <= s.maxX && y >= s.minY && y <= s.maxY;
}

function orientations(s: Segment, t: Segment): [number, number, number, number] {
  return [
    orient(t.ax, t.ay, t.bx, t.by, s.ax, s.ay),
    orient(t.ax, t.ay, t.bx, t.by, s.bx, s.by),
    orient(s.ax, s.ay, s.bx, s.by, t.ax, t.ay),
    orient(s.ax, s.ay, s.bx, s.by, t.bx, t.by),
  ];
}

function segmentsCrossProperly(s: Segment, t: Segment): boolean {
  const [d1, d2, d3, d4] = orientations(s, t);
  return d1 * d2 < 0 && d3 * d4 < 0;
}

/** Any contact, including touching endpoints and collinear overlap. */
function segmentsIntersect(s: Segment, t: Segment): boolean {
  const [d1, d2, d3, d4] = orientations(s, t);
  if (d1 * d2 < 0 && d3 * d4 < 0) return true;
  return (
    (d1 === 0 && inSegmentBox(t, s.ax, s.ay)) ||
    (d2 === 0 && inSegmentBox(t, s.bx, s.by)) ||
    (d3 === 0 && inSegmentBox(s, t.ax, t.ay)) ||
    (d4 === 0 && inSegmentBox(s, t.bx, t.by))
  );
}

/**
 * Adjacent edges always share a vertex; they are only invalid when they double back over each
 * other (a zero-width spike), i.e. are collinear with both far ends on the same side of the shared
 * vertex. `lo` precedes `hi` in the ring, or is edge 0 when `hi` is the closing edge.
 */
function adjacentEdgesOverlap(lo: Segment, hi: Segment): boolean {
  const consecutive = hi.edge === lo.edge + 1;
  const [sx, sy] = consecutive ? [lo.bx, lo.by] : [lo.ax, lo.ay];
  const [px, py] = consecutive ? [lo.ax, lo.ay] : [lo.bx, lo.by];
  const [qx, qy] = consecutive ? [hi.bx, hi.by] : [hi.ax, hi.ay];
  return orient(sx, sy, px, py, qx, qy) === 0 && (px - sx) * (qx - sx) + (py - sy) * (qy - sy) > 0;
}

/** Signed shoelace area in square degrees. */
function planarRingArea(ring: Position[]): number {
  let sum = 0;
  for (let i = 1; i < ring.length; i++) {
    const a = ring[i - 1];
    const b = ring[i];
    if (a && b) sum += a[0] * b[1] - b[0] * a[1];
  }
  return sum / 2;
}

function polygonsOf(g: ZoneGeometry): Position[][][] {
  return g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
}

export function bbox(g: ZoneGeometry): BBox {
  // recompute: Turf would otherwise trust a `bbox` member sent with the geometry.
  const [minLon, minLat, maxLon, maxLat] = turfBbox(g, { recompute: true });
  return { minLon, minLat, maxLon, maxLat };
}

/** Even-odd ray casting; the result for points exactly on an edge is unspecified. */
function ringContains(ring: Position[], lon: number, lat: number): boolean {
  let inside = false;
  for (let i = 1; i < ring.length; i++) {
    const a = ring[i - 1];
    const b = ring[i];
    if (!a || !b) continue;
    if (crossesRay(a[0], a[1], b[0], b[1], lon, lat)) inside = !inside;
  }
  return inside;
}

/** Does edge a–b cross the ray from (lon, lat) towards +lon? Half-open in lat so vertices count once. */
function crossesRay(ax: number, ay: number, bx: number, by: number, lon: number, lat: number) {
  return ay > lat !== by > lat && lon < ((bx - ax) * (lat - ay)) / (by - ay) + ax;
}

function onRingBoundary(ring: Position[], lon: number, lat: number): boolean {
  for (let i = 1; i < ring.length; i++) {
    const a = ring[i - 1];
    const b = ring[i];
    if (a && b && onEdge(a[0], a[1], b[0], b[1], lon, lat)) return true;
  }
  return false;
}

function onEdge(ax: number, ay: number, bx: number, by: number, lon: number, lat: number) {
  if (
    lon < Math.min(ax, bx) - BOUNDARY_EPS_DEG ||
    lon > Math.max(ax, bx) + BOUNDARY_EPS_DEG ||
    lat < Math.min(ay, by) - BOUNDARY_EPS_DEG ||
    lat > Math.max(ay, by) + BOUNDARY_EPS_DEG
  ) {
    return false;
  }
  return distSqToSegment(ax - lon, ay - lat, bx - lon, by - lat) <= BOUNDARY_EPS_DEG ** 2;
}

/** Squared distance from the origin to segment a–b in a planar frame. */
function distSqToSegment(ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.min(1, Math.max(0, -(ax * dx + ay * dy) / len2));
  const x = ax + t * dx;
  const y = ay + t * dy;
  return x * x + y * y;
}

/** Point-in-zone with even-odd ray casting per polygon (holes excluded); boundary counts as inside. */
export function containsPoint(g: ZoneGeometry, lon: number, lat: number): boolean {
  for (const polygon of polygonsOf(g)) {
    let inside = false;
    for (const ring of polygon) {
      if (onRingBoundary(ring, lon, lat)) return true;
      if (ringContains(ring, lon, lat)) inside = !inside;
    }
    if (inside) return true;
  }
  return false;
}

/** Great-circle distance in metres between two [lon, lat] positions (haversine, spherical Earth). */
export function haversineM(a: Position, b: Position): number {
  const dLat = (b[1] - a[1]) * DEG;
  const dLon = (b[0] - a[0]) * DEG;
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * DEG) * Math.cos(b[1] * DEG) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

function wrapLon(dLon: number): number {
  if (dLon > 180) return dLon - 360;
  if (dLon < -180) return dLon + 360;
  return dLon;
}

/**
 * Distance in metres from a point to the nearest edge of any ring (outer or hole), ignoring
 * containment. Each edge is projected into a local equirectangular frame centred on the point
 * (x = Δlon·cos(lat)·R, y = Δlat·R), where point-to-segment distance is plain Euclidean. Within
 * tens of km of the point this matches the geodesic distance to well under 1% (a few metres).
 */
function distanceToBoundaryM(g: ZoneGeometry, lon: number, lat: number): number {
  const kx = metresPerDegreeLon(lat);
  let best = Number.POSITIVE_INFINITY;
  for (const polygon of polygonsOf(g)) {
    for (const ring of polygon) {
      for (let i = 1; i < ring.length; i++) {
        const a = ring[i - 1];
        const b = ring[i];
        if (!a || !b) continue;
        const d2 = edgeDistSqM(a[0], a[1], b[0], b[1], lon, lat, kx);
        if (d2 < best) best = d2;
      }
    }
  }
  return Math.sqrt(best);
}

function metresPerDegreeLon(lat: number): number {
  return Math.cos(lat * DEG) * METRES_PER_DEGREE_LAT;
}

/** Squared distance in m² from (lon, lat) to edge a–b in the local frame described above. */
function edgeDistSqM(
  ax: number,
  ay: number,
  bx: number,
  by: number,
  lon: number,
  lat: number,
  kx: number,
): number {
  const x0 = wrapLon(ax - lon) * kx;
  const x1 = x0 + (bx - ax) * kx;
  return distSqToSegment(
    x0,
    (ay - lat) * METRES_PER_DEGREE_LAT,
    x1,
    (by - lat) * METRES_PER_DEGREE_LAT,
  );
}

/**
 * The zone's edges bucketed into latitude bands, so each query in `cellsInZone` only visits edges
 * near the site's latitude instead of every edge. Uses the same per-edge predicates as
 * `containsPoint` and `distanceToBoundaryM`, so answers are identical. Every edge crossing the
 * horizontal line through a point lies in that point's band, so ray casting needs one band. Long
 * north-south edges sit in many bands, so the band count is halved until the index holds at most
 * eight entries per edge.
 */
class EdgeIndex {
  private readonly ax: Float64Array;
  private readonly ay: Float64Array;
  private readonly bx: Float64Array;
  private readonly by: Float64Array;
  /** Polygon number of each edge, for even-odd counting per polygon. */
  private readonly polygonOf: Int32Array;
  private readonly parity: Uint8Array;
  private readonly minLat: number;
  private readonly bandHeight: number;
  private readonly bandCount: number;
  /** Band b holds edges `items[offsets[b]] .. items[offsets[b + 1] - 1]`. */
  private readonly offsets: Int32Array;
  private readonly items: Int32Array;

  constructor(g: ZoneGeometry, box: BBox) {
    const polygons = polygonsOf(g);
    let edgeCount = 0;
    for (const polygon of polygons)
      for (const ring of polygon) edgeCount += Math.max(0, ring.length - 1);
    this.ax = new Float64Array(edgeCount);
    this.ay = new Float64Array(edgeCount);
    this.bx = new Float64Array(edgeCount);
    this.by = new Float64Array(edgeCount);
    this.polygonOf = new Int32Array(edgeCount);
    this.parity = new Uint8Array(polygons.length);
    let e = 0;
    polygons.forEach((polygon, p) => {
      for (const ring of polygon) {
        for (let i = 1; i < ring.length; i++) {
          const a = ring[i - 1];
          const b = ring[i];
          if (!a || !b) continue;
          this.ax[e] = a[0];
          this.ay[e] = a[1];
          this.bx[e] = b[0];
          this.by[e] = b[1];
          this.polygonOf[e] = p;
          e++;
        }
      }
    });

    const span = box.maxLat - box.minLat;
    this.minLat = Number.isFinite(box.minLat) ? box.minLat : 0;
    let bands = span > 0 ? Math.min(1024, Math.max(1, Math.ceil(edgeCount / 4))) : 1;
    while (bands > 1 && this.countEntries(span / bands) > 8 * edgeCount) {
      bands = Math.ceil(bands / 2);
    }
    this.bandCount = bands;
    this.bandHeight = span > 0 ? span / bands : 1;

    this.offsets = new Int32Array(bands + 1);
    for (let i = 0; i < edgeCount; i++) {
      const [lo, hi] = this.edgeBands(i);
      for (let b = lo; b <= hi; b++) this.offsets[b + 1] = (this.offsets[b + 1] ?? 0) + 1;
    }
    for (let b = 0; b < bands; b++) {
      this.offsets[b + 1] = (this.offsets[b + 1] ?? 0) + (this.offsets[b] ?? 0);
    }
    this.items = new Int32Array(this.offsets[bands] ?? 0);
    const fill = this.offsets.slice(0, bands);
    for (let i = 0; i < edgeCount; i++) {
      const [lo, hi] = this.edgeBands(i);
      for (let b = lo; b <= hi; b++) {
        const slot = fill[b] ?? 0;
        this.items[slot] = i;
        fill[b] = slot + 1;
      }
    }
  }

  /** Same result as `containsPoint`. */
  contains(lon: number, lat: number): boolean {
    const { ax, ay, bx, by, items, offsets, parity, polygonOf } = this;
    const lastBand = this.band(lat + BOUNDARY_EPS_DEG);
    for (let b = this.band(lat - BOUNDARY_EPS_DEG); b <= lastBand; b++) {
      for (let k = offsets[b] ?? 0, end = offsets[b + 1] ?? 0; k < end; k++) {
        const i = items[k] ?? 0;
        if (onEdge(ax[i] ?? 0, ay[i] ?? 0, bx[i] ?? 0, by[i] ?? 0, lon, lat)) return true;
      }
    }
    const b = this.band(lat);
    const start = offsets[b] ?? 0;
    const end = offsets[b + 1] ?? 0;
    for (let k = start; k < end; k++) {
      const i = items[k] ?? 0;
      if (crossesRay(ax[i] ?? 0, ay[i] ?? 0, bx[i] ?? 0, by[i] ?? 0, lon, lat)) {
        const p = polygonOf[i] ?? 0;
        parity[p] = (parity[p] ?? 0) ^ 1;
      }
    }
    let inside = false;
    for (let k = start; k < end; k++) {
      const p = polygonOf[items[k] ?? 0] ?? 0;
      if (parity[p] === 1) inside = true;
      parity[p] = 0;
    }
    return inside;
  }

  /** Same result as `distanceToBoundaryM(g, lon, lat) <= reachM`. */
  boundaryWithin(lon: number, lat: number, reachM: number): boolean {
    const { ax, ay, bx, by, items, offsets } = this;
    const kx = metresPerDegreeLon(lat);
    const dLat = reachM / METRES_PER_DEGREE_LAT + BOUNDARY_EPS_DEG;
    const lastBand = this.band(lat + dLat);
    for (let b = this.band(lat - dLat); b <= lastBand; b++) {
      for (let k = offsets[b] ?? 0, end = offsets[b + 1] ?? 0; k < end; k++) {
        const i = items[k] ?? 0;
        const d2 = edgeDistSqM(ax[i] ?? 0, ay[i] ?? 0, bx[i] ?? 0, by[i] ?? 0, lon, lat, kx);
        if (Math.sqrt(d2) <= reachM) return true;
      }
    }
    return false;
  }

  private band(lat: number): number {
    const b = Math.floor((lat - this.minLat) / this.bandHeight);
    if (!(b > 0)) return 0;
    return b < this.bandCount ? b : this.bandCount - 1;
  }

  private edgeBands(i: number): [number, number] {
    const ay = this.ay[i] ?? 0;
    const by = this.by[i] ?? 0;
    return [this.band(Math.min(ay, by)), this.band(Math.max(ay, by))];
  }

  private countEntries(height: number): number {
    let n = 0;
    for (let i = 0; i < this.ay.length; i++) {
      const ay = this.ay[i] ?? 0;
      const by = this.by[i] ?? 0;
      n +=
        Math.floor((Math.max(ay, by) - this.minLat) / height) -
        Math.floor((Math.min(ay, by) - this.minLat) / height) +
        1;
    }
    return n;
  }
}

/**
 * Shortest distance in metres from a point to the zone's boundary (0 if inside). Uses a local
 * equirectangular projection around the point; see `distanceToBoundaryM`.
 */
export function distanceToZoneM(g: ZoneGeometry, lon: number, lat: number): number {
  if (containsPoint(g, lon, lat)) return 0;
  return distanceToBoundaryM(g, lon, lat);
}

/**
 * Cheap rejection before the exact tests: is the point within `reachM` of the bbox? Uses the same
 * local projection as `distanceToBoundaryM` (Δlon scaled by cos of the point's latitude), so it
 * never rejects a site the exact test would accept. Longitude is also tried ±360° for sites just
 * across the antimeridian from the zone.
 */
function nearBBox(box: BBox, lon: number, lat: number, reachM: number): boolean {
  const dLat = reachM / METRES_PER_DEGREE_LAT + BOUNDARY_EPS_DEG;
  if (lat < box.minLat - dLat || lat > box.maxLat + dLat) return false;
  const cosLat = Math.cos(lat * DEG);
  if (cosLat < 1e-9) return true;
  const dLon = reachM / (METRES_PER_DEGREE_LAT * cosLat) + BOUNDARY_EPS_DEG;
  const lo = box.minLon - dLon;
  const hi = box.maxLon + dLon;
  return (
    (lon >= lo && lon <= hi) ||
    (lon + 360 >= lo && lon + 360 <= hi) ||
    (lon - 360 >= lo && lon - 360 <= hi)
  );
}

/** Cells covered by the zone: sites inside, and, when includeCoverage is set, sites whose coverage circle (rangeM) reaches the zone. */
export function cellsInZone<C extends CellSite>(
  g: ZoneGeometry,
  cells: Iterable<C>,
  opts: { includeCoverage?: boolean } = {},
): C[] {
  const box = bbox(g);
  const index = new EdgeIndex(g, box);
  const coverage = opts.includeCoverage === true;
  const covered: C[] = [];
  for (const cell of cells) {
    const { lon, lat } = cell;
    if (!Number.isFinite(lon) || !Number.isFinite(lat)) continue;
    const reachM = coverage && cell.rangeM > 0 ? cell.rangeM : 0;
    if (!nearBBox(box, lon, lat, reachM)) continue;
    if (index.contains(lon, lat) || (reachM > 0 && index.boundaryWithin(lon, lat, reachM))) {
      covered.push(cell);
    }
  }
  return covered;
}

/** Spherical area (Turf: Chamberlain & Duquette 2007 on the mean Earth radius), holes excluded, in km². */
export function areaKm2(g: ZoneGeometry): number {
  return turfArea(g) / 1e6;
}

/**
 * SVG path data projecting the geometry into a width x height viewBox (equirectangular scaled by
 * cos(mean lat)), plus a projector for drawing cell points on the same map. One path per polygon,
 * holes as extra subpaths: render with `fill-rule="evenodd"`. The geometry and the `[lon, lat]`
 * positions of `alsoFit` (the points drawn on it) are centred and fitted inside `pad`.
 */
export function toSvg(
  g: ZoneGeometry,
  width: number,
  height: number,
  pad = 8,
  alsoFit: readonly (readonly [number, number])[] = [],
): { paths: string[]; project: (lon: number, lat: number) => [number, number] } {
  const innerW = width - 2 * pad;
  const innerH = height - 2 * pad;
  if (!(pad >= 0) || !(innerW > 0) || !(innerH > 0) || !Number.isFinite(width + height)) {
    throw new RangeError(`invalid SVG size ${width}x${height} with padding ${pad}`);
  }
  const box = bbox(g);
  if (!Number.isFinite(box.minLon)) throw new RangeError('geometry has no positions');
  for (const [lon, lat] of alsoFit) {
    box.minLon = Math.min(box.minLon, lon);
    box.maxLon = Math.max(box.maxLon, lon);
    box.minLat = Math.min(box.minLat, lat);
    box.maxLat = Math.max(box.maxLat, lat);
  }
  const kx = Math.cos(((box.minLat + box.maxLat) / 2) * DEG);
  const extentX = (box.maxLon - box.minLon) * kx;
  const extentY = box.maxLat - box.minLat;
  const scales = [
    extentX > 0 ? innerW / extentX : null,
    extentY > 0 ? innerH / extentY : null,
  ].filter((s): s is number => s !== null);
  const scale = scales.length > 0 ? Math.min(...scales) : 1;
  const offsetX = pad + (innerW - extentX * scale) / 2;
  const offsetY = pad + (innerH - extentY * scale) / 2;
  const project = (lon: number, lat: number): [number, number] => [
    offsetX + (lon - box.minLon) * kx * scale,
    offsetY + (box.maxLat - lat) * scale,
  ];
  const fmt = (n: number): string => String(round(n, 2));
  const paths = polygonsOf(g).map((polygon) =>
    polygon
      .map((ring) => {
        const points = ring.slice(0, -1).map(([lon, lat]) => {
          const [x, y] = project(lon, lat);
          return `${fmt(x)},${fmt(y)}`;
        });
        return `M${points.join('L')}Z`;
      })
      .join(' '),
  );
  return { paths, project };
}
