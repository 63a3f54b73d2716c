import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/platform/seeded-random.js';
import type {
  CellSite,
  GeometryIssue,
  Position,
  ZoneGeometry,
} from '../../src/suspensions/geometry.js';
import {
  areaKm2,
  bbox,
  cellsInZone,
  containsPoint,
  distanceToZoneM,
  EARTH_RADIUS_M,
  GEOMETRY_LIMITS,
  haversineM,
  parseZoneGeometry,
  toSvg,
} from '../../src/suspensions/geometry.js';

const METRES_PER_DEG = (EARTH_RADIUS_M * Math.PI) / 180;

/** Counter-clockwise closed rectangle. */
function rect(minLon: number, minLat: number, maxLon: number, maxLat: number): Position[] {
  return [
    [minLon, minLat],
    [maxLon, minLat],
    [maxLon, maxLat],
    [minLon, maxLat],
    [minLon, minLat],
  ];
}

/** Closed ring of `n` vertices (n + 1 positions) on a circle. */
function circle(lon: number, lat: number, radiusDeg: number, n: number): Position[] {
  const ring: Position[] = [];
  for (let i = 0; i < n; i++) {
    const a = (2 * Math.PI * i) / n;
    ring.push([lon + radiusDeg * Math.cos(a), lat + radiusDeg * Math.sin(a)]);
  }
  ring.push([lon + radiusDeg, lat]);
  return ring;
}

/** Shape drawn on a 0.01° grid anchored south-west of Myawaddy. */
function grid(points: [number, number][]): Position[] {
  return points.map(([x, y]) => [98.4 + x / 100, 16.6 + y / 100]);
}

/** Myawaddy, Myanmar, with a notch on the east side (concave). */
const MYAWADDY_RING: Position[] = [
  [98.48, 16.665],
  [98.535, 16.655],
  [98.555, 16.695],
  [98.53, 16.695],
  [98.525, 16.725],
  [98.485, 16.715],
  [98.48, 16.665],
];
const MYAWADDY: ZoneGeometry = { type: 'Polygon', coordinates: [MYAWADDY_RING] };
const MYAWADDY_TOWN: Position = [98.51, 16.69];
const MAE_SOT_THAILAND: Position = [98.575, 16.713];

/** Golden Triangle SEZ, Laos, with a village excluded as a hole. */
const GOLDEN_TRIANGLE_OUTER = rect(100.07, 20.33, 100.14, 20.4);
const GOLDEN_TRIANGLE_HOLE = rect(100.1, 20.36, 100.12, 20.38);
const GOLDEN_TRIANGLE: ZoneGeometry = {
  type: 'Polygon',
  coordinates: [GOLDEN_TRIANGLE_OUTER, GOLDEN_TRIANGLE_HOLE],
};

const SHWE_KOKKO = rect(98.53, 16.82, 98.56, 16.85);
const KK_PARK = rect(98.58, 16.57, 98.61, 16.6);
const MOEI_RIVER_COMPOUNDS: ZoneGeometry = {
  type: 'MultiPolygon',
  coordinates: [[SHWE_KOKKO], [KK_PARK]],
};

function issuesOf(input: unknown): GeometryIssue[] {
  const result = parseZoneGeometry(input);
  if (result.ok) throw new Error('expected the geometry to be rejected');
  return result.issues;
}

function polygon(...rings: Position[][]): unknown {
  return { type: 'Polygon', coordinates: rings };
}

function cell(cellId: string, [lon, lat]: Position, rangeM = 0): CellSite {
  return { cellId, lon, lat, rangeM };
}

function ids(cells: CellSite[]): string[] {
  return cells.map((c) => c.cellId).sort();
}

describe('parseZoneGeometry: accepted zones', () => {
  it('accepts real zones and returns only type and coordinates', () => {
    for (const zone of [MYAWADDY, GOLDEN_TRIANGLE, MOEI_RIVER_COMPOUNDS]) {
      const result = parseZoneGeometry({ ...zone, bbox: [0, 0, 1, 1], properties: { x: 1 } });
      expect(result).toEqual({ ok: true, geometry: zone });
    }
  });

  it('accepts a 2,000-vertex ring', () => {
    const result = parseZoneGeometry(polygon(circle(100.11, 20.36, 0.05, 2_000)));
    expect(result.ok).toBe(true);
  });
});

describe('parseZoneGeometry: rejected input', () => {
  it('rejects values that are not geometry objects', () => {
    for (const input of [null, 'POLYGON((...))', [MYAWADDY_RING], 42]) {
      expect(issuesOf(input)).toEqual([{ path: '', message: expect.stringMatching(/GeoJSON/) }]);
    }
  });

  it('rejects other geometry types, hinting when a Feature is passed', () => {
    expect(issuesOf({ type: 'Point', coordinates: MYAWADDY_TOWN })).toEqual([
      { path: 'type', message: 'type must be "Polygon" or "MultiPolygon" (got "Point")' },
    ]);
    const [featureIssue] = issuesOf({ type: 'Feature', geometry: MYAWADDY });
    expect(featureIssue?.message).toMatch(/pass the feature geometry/);
  });

  it('rejects missing coordinates and empty polygons', () => {
    expect(issuesOf({ type: 'Polygon' })).toEqual([
      { path: 'coordinates', message: 'coordinates must be an array (got undefined)' },
    ]);
    expect(issuesOf(polygon())[0]?.message).toMatch(/at least one ring/);
    expect(issuesOf({ type: 'MultiPolygon', coordinates: [] })[0]?.message).toMatch(
      /at least one polygon/,
    );
  });

  it('rejects an open ring', () => {
    const open = MYAWADDY_RING.slice(0, -1);
    expect(issuesOf(polygon(open))).toEqual([
      {
        path: 'coordinates[0]',
        message:
          'ring is not closed: the last position [98.485, 16.715] must equal the first [98.48, 16.665]',
      },
    ]);
  });

  it('rejects a ring with too few positions', () => {
    const issues = issuesOf(polygon([MYAWADDY_TOWN, MAE_SOT_THAILAND, MYAWADDY_TOWN]));
    expect(issues).toEqual([
      { path: 'coordinates[0]', message: expect.stringMatching(/at least 4 positions.*got 3/) },
    ]);
  });

  it('rejects out-of-range coordinates with the offending position path', () => {
    const ring = rect(98.5, 16.6, 98.52, 16.62);
    ring[1] = [200, 16.6];
    ring[2] = [98.52, -95];
    expect(issuesOf(polygon(ring))).toEqual([
      { path: 'coordinates[0][1]', message: 'longitude 200 is outside [-180, 180]' },
      { path: 'coordinates[0][2]', message: 'latitude -95 is outside [-90, 90]' },
    ]);
  });

  it('rejects non-numeric and malformed positions', () => {
    const ring: unknown[] = rect(98.5, 16.6, 98.52, 16.62);
    ring[1] = ['98.52', 16.6];
    ring[2] = [98.52, null];
    ring[3] = [98.5, Number.NaN];
    ring.splice(4, 0, [98.5, 16.61, 12]);
    ring.splice(5, 0, { lon: 98.5, lat: 16.6 });
    expect(issuesOf(polygon(ring as Position[]))).toEqual([
      { path: 'coordinates[0][1]', message: 'longitude must be a finite number (got "98.52")' },
      { path: 'coordinates[0][2]', message: 'latitude must be a finite number (got null)' },
      { path: 'coordinates[0][3]', message: 'latitude must be a finite number (got NaN)' },
      {
        path: 'coordinates[0][4]',
        message:
          'position must have exactly 2 elements [lon, lat] (got 3); altitude is not supported',
      },
      {
        path: 'coordinates[0][5]',
        message: 'position must be an array [lon, lat] (got an object)',
      },
    ]);
  });

  it('rejects consecutive duplicate positions but not the closing one', () => {
    const ring = rect(98.5, 16.6, 98.52, 16.62);
    ring.splice(2, 0, [98.52, 16.6]);
    expect(issuesOf(polygon(ring))).toEqual([
      {
        path: 'coordinates[0][2]',
        message: 'position [98.52, 16.6] duplicates the previous position',
      },
    ]);
  });

  it('rejects a self-intersecting bow-tie', () => {
    const bowTie: Position[] = [
      [98.5, 16.6],
      [98.53, 16.62],
      [98.53, 16.6],
      [98.5, 16.63],
      [98.5, 16.6],
    ];
    const issues = issuesOf(polygon(bowTie));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('coordinates[0]');
    expect(issues[0]?.message).toMatch(/^ring self-intersects: edge 0→1 .* intersects edge 2→3 /);
  });

  it('rejects a ring touching itself at a vertex (figure eight)', () => {
    const figureEight = grid([
      [0, 0],
      [1, 1],
      [2, 0],
      [2, 2],
      [1, 1],
      [0, 2],
      [0, 0],
    ]);
    expect(issuesOf(polygon(figureEight)).map((i) => i.message)).toEqual([
      expect.stringMatching(/self-intersects: edge 0→1 .* intersects edge 3→4/),
      expect.stringMatching(/self-intersects: edge 0→1 .* intersects edge 4→5/),
      expect.stringMatching(/self-intersects: edge 1→2 .* intersects edge 3→4/),
      expect.stringMatching(/self-intersects: edge 1→2 .* intersects edge 4→5/),
    ]);
  });

  it('rejects an edge doubling back over the previous one (spike)', () => {
    const spike = grid([
      [0, 0],
      [1, 0],
      [1, 2],
      [1, 1],
      [0, 0],
    ]);
    expect(issuesOf(polygon(spike))).toContainEqual({
      path: 'coordinates[0]',
      message: expect.stringMatching(/edge 1→2 .* intersects edge 2→3/),
    });
  });

  it('rejects a zero-area ring', () => {
    const line = grid([
      [0, 0],
      [1, 0],
      [2, 0],
      [0, 0],
    ]);
    expect(issuesOf(polygon(line))).toContainEqual({
      path: 'coordinates[0]',
      message: 'ring has zero area (its positions are collinear or coincide)',
    });
  });

  it('rejects a ring crossing the antimeridian', () => {
    const fiji = rect(-179.5, -17, 179.5, -16);
    const issues = issuesOf(polygon(fiji));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('coordinates[0]');
    expect(issues[0]?.message).toMatch(/spans 359° of longitude.*antimeridian.*MultiPolygon/);
  });

  it('rejects a hole outside the outer ring', () => {
    const issues = issuesOf(polygon(GOLDEN_TRIANGLE_OUTER, rect(100.13, 20.36, 100.15, 20.38)));
    expect(issues).toEqual([
      {
        path: 'coordinates[1][1]',
        message: 'hole must lie inside the outer ring, but position [100.15, 20.36] is outside it',
      },
    ]);
  });

  it('rejects a hole whose vertices are inside a concave outer ring but whose edges leave it', () => {
    const u = grid([
      [0, 0],
      [3, 0],
      [3, 3],
      [2, 3],
      [2, 1],
      [1, 1],
      [1, 3],
      [0, 3],
      [0, 0],
    ]);
    const bridge = grid([
      [0.5, 2],
      [2.5, 2],
      [2.5, 2.5],
      [0.5, 2.5],
      [0.5, 2],
    ]);
    expect(issuesOf(polygon(u, bridge))).toEqual([
      {
        path: 'coordinates[1]',
        message: 'hole must lie inside the outer ring, but it crosses its boundary',
      },
    ]);
    const insideLeftArm = grid([
      [0.25, 2],
      [0.75, 2],
      [0.75, 2.5],
      [0.25, 2.5],
      [0.25, 2],
    ]);
    expect(parseZoneGeometry(polygon(u, insideLeftArm)).ok).toBe(true);
  });

  it('reports every issue across polygons and rings in one pass', () => {
    const badLon = rect(98.5, 16.6, 98.52, 16.62);
    badLon[2] = [-181, 16.62];
    const issues = issuesOf({
      type: 'MultiPolygon',
      coordinates: [[SHWE_KOKKO, badLon], [KK_PARK.slice(0, -1)], 'oops'],
    });
    expect(issues.map((i) => i.path)).toEqual([
      'coordinates[0][1][2]',
      'coordinates[1][0]',
      'coordinates[2]',
    ]);
  });

  it('caps the number of issues reported', () => {
    const garbage = Array.from({ length: 300 }, () => ['x', 'y']);
    const issues = issuesOf(polygon(garbage as unknown as Position[]));
    expect(issues).toHaveLength(GEOMETRY_LIMITS.maxIssues + 1);
    expect(issues.at(-1)?.message).toMatch(/too many issues/);
  });

  it('rejects rings over the per-ring vertex limit', () => {
    const huge = circle(100.11, 20.36, 0.05, GEOMETRY_LIMITS.maxRingVertices);
    expect(huge).toHaveLength(10_001);
    expect(issuesOf(polygon(huge))).toEqual([
      { path: 'coordinates[0]', message: 'ring has 10001 positions; the maximum is 10000' },
    ]);
  });

  it('rejects geometries over the total vertex limit', () => {
    const parts = Array.from({ length: 6 }, (_, i) => [circle(98 + i * 0.2, 17, 0.05, 9_000)]);
    expect(issuesOf({ type: 'MultiPolygon', coordinates: parts })).toEqual([
      { path: 'coordinates', message: 'geometry has 54006 positions; the maximum is 50000' },
    ]);
  });
});

describe('containsPoint', () => {
  it('finds Myawaddy town inside and Mae Sot across the border outside', () => {
    expect(containsPoint(MYAWADDY, ...MYAWADDY_TOWN)).toBe(true);
    expect(containsPoint(MYAWADDY, ...MAE_SOT_THAILAND)).toBe(false);
  });

  it('treats the concave notch as outside', () => {
    expect(containsPoint(MYAWADDY, 98.545, 16.71)).toBe(false);
    expect(containsPoint(MYAWADDY, 98.545, 16.685)).toBe(true);
  });

  it('excludes holes but counts the hole boundary as inside', () => {
    expect(containsPoint(GOLDEN_TRIANGLE, 100.08, 20.35)).toBe(true);
    expect(containsPoint(GOLDEN_TRIANGLE, 100.11, 20.37)).toBe(false);
    expect(containsPoint(GOLDEN_TRIANGLE, 100.11, 20.36)).toBe(true);
  });

  it('counts vertices and edge points as inside, and points just off the edge as outside', () => {
    expect(containsPoint(MYAWADDY, 98.48, 16.665)).toBe(true);
    const [a, b] = [MYAWADDY_RING[0], MYAWADDY_RING[1]] as [Position, Position];
    const mid: Position = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
    expect(containsPoint(MYAWADDY, ...mid)).toBe(true);
    expect(containsPoint(MYAWADDY, mid[0], mid[1] - 1e-6)).toBe(false);
    expect(containsPoint(GOLDEN_TRIANGLE, 100.14, 20.39)).toBe(true);
    expect(containsPoint(GOLDEN_TRIANGLE, 100.140001, 20.39)).toBe(false);
  });

  it('checks every polygon of a MultiPolygon', () => {
    expect(containsPoint(MOEI_RIVER_COMPOUNDS, 98.545, 16.835)).toBe(true);
    expect(containsPoint(MOEI_RIVER_COMPOUNDS, 98.595, 16.585)).toBe(true);
    expect(containsPoint(MOEI_RIVER_COMPOUNDS, ...MYAWADDY_TOWN)).toBe(false);
  });
});

describe('bbox', () => {
  it('spans all polygons', () => {
    expect(bbox(MOEI_RIVER_COMPOUNDS)).toEqual({
      minLon: 98.53,
      minLat: 16.57,
      maxLon: 98.61,
      maxLat: 16.85,
    });
    expect(bbox(MYAWADDY)).toEqual({
      minLon: 98.48,
      minLat: 16.655,
      maxLon: 98.555,
      maxLat: 16.725,
    });
  });
});

describe('distances', () => {
  it('computes haversine distances', () => {
    expect(haversineM([100.11, 20.36], [100.11, 21.36])).toBeCloseTo(METRES_PER_DEG, 3);
    expect(haversineM([0, 0], [90, 0])).toBeCloseTo((Math.PI / 2) * EARTH_RADIUS_M, 3);
  });

  it('is zero inside the zone', () => {
    expect(distanceToZoneM(MYAWADDY, ...MYAWADDY_TOWN)).toBe(0);
  });

  it('matches the haversine distance to the nearest point of a straight edge', () => {
    const north: Position = [100.1, 20.41];
    const expected = haversineM(north, [100.1, 20.4]);
    expect(expected).toBeGreaterThan(1_100);
    expect(Math.abs(distanceToZoneM(GOLDEN_TRIANGLE, ...north) - expected) / expected).toBeLessThan(
      0.01,
    );
  });

  it('matches brute-force haversine to a diagonal edge within 1%', () => {
    const [a, b] = [MYAWADDY_RING[0], MYAWADDY_RING[1]] as [Position, Position];
    const south: Position = [98.51, 16.64];
    let expected = Number.POSITIVE_INFINITY;
    for (let i = 0; i <= 20_000; i++) {
      const t = i / 20_000;
      const p: Position = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
      expected = Math.min(expected, haversineM(south, p));
    }
    const actual = distanceToZoneM(MYAWADDY, ...south);
    expect(expected).toBeGreaterThan(1_500);
    expect(Math.abs(actual - expected) / expected).toBeLessThan(0.01);
  });

  it('measures from inside a hole to the hole edge', () => {
    const centre: Position = [100.11, 20.37];
    const expected = haversineM(centre, [100.1, 20.37]);
    const actual = distanceToZoneM(GOLDEN_TRIANGLE, ...centre);
    expect(Math.abs(actual - expected) / expected).toBeLessThan(0.01);
  });
});

describe('cellsInZone', () => {
  const eastEdgeLat = 20.345;
  const lonOffset = (metres: number) =>
    metres / (METRES_PER_DEG * Math.cos((eastEdgeLat * Math.PI) / 180));
  const outside500m: Position = [100.14 + lonOffset(500), eastEdgeLat];

  it('returns cells inside, not those in holes or outside', () => {
    const cells = [
      cell('GT-001', [100.08, 20.35], 2_000),
      cell('GT-HOLE', [100.11, 20.37], 200),
      cell('MMR-MYW-01', MYAWADDY_TOWN, 5_000),
    ];
    expect(ids(cellsInZone(GOLDEN_TRIANGLE, cells))).toEqual(['GT-001']);
  });

  it('includes a site 500 m outside only when its coverage reaches the zone', () => {
    expect(distanceToZoneM(GOLDEN_TRIANGLE, ...outside500m)).toBeCloseTo(500, -1);
    const wide = cell('LAO-TONPHEUNG-1000', outside500m, 1_000);
    const narrow = cell('LAO-TONPHEUNG-300', outside500m, 300);
    expect(cellsInZone(GOLDEN_TRIANGLE, [wide, narrow])).toEqual([]);
    expect(cellsInZone(GOLDEN_TRIANGLE, [wide, narrow], { includeCoverage: true })).toEqual([wide]);
  });

  it('widens the longitude pre-filter by 1/cos(latitude)', () => {
    const site = cell('LAO-EAST-980', [100.14 + lonOffset(980), eastEdgeLat], 1_000);
    expect(site.lon - 100.14).toBeGreaterThan(1_000 / METRES_PER_DEG);
    expect(cellsInZone(GOLDEN_TRIANGLE, [site], { includeCoverage: true })).toEqual([site]);
  });

  it('accepts any iterable, keeps extra fields and skips sites without coordinates', () => {
    function* sites() {
      yield { ...cell('KKP-1', [98.595, 16.585]), operator: 'MPT' };
      yield { ...cell('BAD', [Number.NaN, 16.585]), operator: 'MPT' };
      yield { ...cell('SKK-1', [98.545, 16.835]), operator: 'Mytel' };
    }
    const found = cellsInZone(MOEI_RIVER_COMPOUNDS, sites());
    expect(found.map((c) => `${c.cellId}/${c.operator}`)).toEqual(['KKP-1/MPT', 'SKK-1/Mytel']);
  });

  it('agrees with brute force on 5,000 random cells', () => {
    const hole = rect(98.49, 16.7, 98.5, 16.71);
    const zone: ZoneGeometry = {
      type: 'MultiPolygon',
      coordinates: [[MYAWADDY_RING, hole], [SHWE_KOKKO]],
    };
    expect(parseZoneGeometry(zone).ok).toBe(true);
    const random = mulberry32(20_240_501);
    const box = bbox(zone);
    const cells = Array.from({ length: 5_000 }, (_, i) =>
      cell(
        `C${i}`,
        [
          box.minLon - 0.05 + random() * (box.maxLon - box.minLon + 0.1),
          box.minLat - 0.05 + random() * (box.maxLat - box.minLat + 0.1),
        ],
        random() * 5_000,
      ),
    );
    const inside = cells.filter((c) => containsPoint(zone, c.lon, c.lat));
    const reached = cells.filter(
      (c) => containsPoint(zone, c.lon, c.lat) || distanceToZoneM(zone, c.lon, c.lat) <= c.rangeM,
    );
    expect(inside.length).toBeGreaterThan(50);
    expect(reached.length).toBeGreaterThan(inside.length + 50);
    expect(reached.length).toBeLessThan(cells.length);
    expect(cellsInZone(zone, cells)).toEqual(inside);
    expect(cellsInZone(zone, cells, { includeCoverage: true })).toEqual(reached);
  });

  it('agrees with brute force on a 1,200-vertex traced boundary with an overlapping part', () => {
    const random = mulberry32(7);
    const traced: Position[] = [];
    for (let i = 0; i < 1_200; i++) {
      const a = (2 * Math.PI * i) / 1_200;
      const r = 0.08 * (1 + 0.35 * Math.sin(9 * a) + 0.1 * random());
      traced.push([100.11 + r * Math.cos(a), 20.36 + r * Math.sin(a)]);
    }
    traced.push(traced[0] ?? [0, 0]);
    const overlapping = rect(100.15, 20.3, 100.25, 20.42);
    const zone: ZoneGeometry = { type: 'MultiPolygon', coordinates: [[traced], [overlapping]] };
    expect(parseZoneGeometry(zone).ok).toBe(true);
    expect(containsPoint(zone, 100.17, 20.36)).toBe(true);
    const cells = Array.from({ length: 5_000 }, (_, i) =>
      cell(
        `GT${i}`,
        [99.98 + random() * 0.32, 20.24 + random() * 0.24],
        random() < 0.5 ? 0 : random() * 2_000,
      ),
    );
    const inside = cells.filter((c) => containsPoint(zone, c.lon, c.lat));
    const reached = cells.filter((c) => distanceToZoneM(zone, c.lon, c.lat) <= c.rangeM);
    expect(inside.length).toBeGreaterThan(500);
    expect(reached.length).toBeGreaterThan(inside.length + 50);
    expect(cellsInZone(zone, cells)).toEqual(inside);
    expect(cellsInZone(zone, cells, { includeCoverage: true })).toEqual(reached);
  });
});

describe('areaKm2', () => {
  it('gives ~123.6 km² for a 0.1° square at the equator', () => {
    const square: ZoneGeometry = { type: 'Polygon', coordinates: [rect(103.8, 0, 103.9, 0.1)] };
    expect(Math.abs(areaKm2(square) - 123.6) / 123.6).toBeLessThan(0.01);
  });

  it('shrinks with latitude and ignores winding order', () => {
    const ring = rect(100, 59.95, 100.1, 60.05);
    const ccw: ZoneGeometry = { type: 'Polygon', coordinates: [ring] };
    const cw: ZoneGeometry = { type: 'Polygon', coordinates: [[...ring].reverse()] };
    expect(Math.abs(areaKm2(ccw) - 123.6 / 2) / 61.8).toBeLessThan(0.01);
    expect(areaKm2(cw)).toBeCloseTo(areaKm2(ccw), 9);
  });

  it('subtracts holes and sums MultiPolygon parts', () => {
    const outer = areaKm2({ type: 'Polygon', coordinates: [GOLDEN_TRIANGLE_OUTER] });
    const hole = areaKm2({ type: 'Polygon', coordinates: [GOLDEN_TRIANGLE_HOLE] });
    expect(hole).toBeGreaterThan(4);
    expect(areaKm2(GOLDEN_TRIANGLE)).toBeCloseTo(outer - hole, 9);
    const parts = [SHWE_KOKKO, KK_PARK].map((r) => areaKm2({ type: 'Polygon', coordinates: [r] }));
    expect(areaKm2(MOEI_RIVER_COMPOUNDS)).toBeCloseTo((parts[0] ?? 0) + (parts[1] ?? 0), 9);
  });
});

describe('toSvg', () => {
  const points = (path: string): [number, number][] =>
    [...path.matchAll(/(-?[\d.]+),(-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);

  it('keeps every vertex inside the padded viewBox and fills one dimension', () => {
    const { paths } = toSvg(MYAWADDY, 400, 300, 10);
    expect(paths).toHaveLength(1);
    const xy = points(paths[0] ?? '');
    expect(xy).toHaveLength(MYAWADDY_RING.length - 1);
    for (const [x, y] of xy) {
      expect(x).toBeGreaterThanOrEqual(10);
      expect(x).toBeLessThanOrEqual(390);
      expect(y).toBeGreaterThanOrEqual(10);
      expect(y).toBeLessThanOrEqual(290);
    }
    const xs = xy.map(([x]) => x);
    const ys = xy.map(([, y]) => y);
    const spanX = Math.max(...xs) - Math.min(...xs);
    const spanY = Math.max(...ys) - Math.min(...ys);
    expect(Math.max(spanX / 380, spanY / 280)).toBeCloseTo(1, 2);
    const cosLat = Math.cos((16.69 * Math.PI) / 180);
    expect(spanX / spanY).toBeCloseTo((0.075 * cosLat) / 0.07, 2);
  });

  it('projects cell points consistently with the paths, north up', () => {
    const { paths, project } = toSvg(GOLDEN_TRIANGLE, 200, 200);
    expect(paths[0]?.match(/M/g)).toHaveLength(2);
    const [first] = points(paths[0] ?? '');
    const [x0, y0] = project(100.07, 20.33);
    expect(first?.[0]).toBeCloseTo(x0, 2);
    expect(first?.[1]).toBeCloseTo(y0, 2);
    const [, yNorth] = project(100.11, 20.4);
    const [, ySouth] = project(100.11, 20.33);
    expect(yNorth).toBeLessThan(ySouth);
    const [xc, yc] = project(100.105, 20.365);
    expect(xc).toBeCloseTo(100, 6);
    expect(yc).toBeCloseTo(100, 6);
  });

  it('fits the points drawn on the map too, so sites outside the zone stay in view', () => {
    const outside = [100.2, 20.5] as const;
    const bare = toSvg(GOLDEN_TRIANGLE, 200, 200, 10).project(...outside);
    expect(bare[0]).toBeGreaterThan(190);
    const { project } = toSvg(GOLDEN_TRIANGLE, 200, 200, 10, [outside]);
    for (const [lon, lat] of [outside, [100.07, 20.33] as const]) {
      const [x, y] = project(lon, lat);
      for (const v of [x, y]) {
        expect(v).toBeGreaterThanOrEqual(10 - 1e-9);
        expect(v).toBeLessThanOrEqual(190 + 1e-9);
      }
    }
  });

  it('draws one path per polygon and rejects a viewBox smaller than the padding', () => {
    expect(toSvg(MOEI_RIVER_COMPOUNDS, 300, 600).paths).toHaveLength(2);
    expect(() => toSvg(MYAWADDY, 20, 300, 10)).toThrow(RangeError);
  });
});
