import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';
import { SqlParams } from '../../platform/db/sql-params.ts';
import {
  GeoQuerySyntaxError,
  MAX_COORDINATES_LENGTH,
  geoPropertySql,
  geoQuerySql,
  nearEnvelope,
  parseGeoQuery,
  validateGeoJsonGeometry,
  type GeoQuery,
} from './geo.ts';

const POINT = '[-7.6,33.57]';
const SQUARE = [
  [
    [-7.65, 33.55],
    [-7.55, 33.55],
    [-7.55, 33.6],
    [-7.65, 33.6],
    [-7.65, 33.55],
  ],
];

/** Outcome is either a GeoQuery or a GeoQuerySyntaxError — never another exception. */
function outcome(input: Parameters<typeof parseGeoQuery>[0]): GeoQuery | GeoQuerySyntaxError {
  try {
    return parseGeoQuery(input);
  } catch (e) {
    if (e instanceof GeoQuerySyntaxError) return e;
    throw e;
  }
}

function rejects(input: Parameters<typeof parseGeoQuery>[0], msg?: RegExp) {
  const r = outcome(input);
  expect(r).toBeInstanceOf(GeoQuerySyntaxError);
  if (msg) expect((r as Error).message).toMatch(msg);
}

describe('parseGeoQuery', () => {
  it('parses near with maxDistance / minDistance', () => {
    expect(parseGeoQuery({ georel: 'near;maxDistance==2000', geometry: 'Point', coordinates: POINT })).toEqual({
      georel: { relation: 'near', maxDistance: 2000 },
      geometry: { type: 'Point', coordinates: [-7.6, 33.57] },
      geoproperty: 'location',
    });
    expect(
      parseGeoQuery({ georel: 'near;minDistance==10.5', geometry: 'Point', coordinates: POINT }).georel,
    ).toEqual({ relation: 'near', minDistance: 10.5 });
    expect(
      parseGeoQuery({ georel: 'near;minDistance==10;maxDistance==20', geometry: 'Point', coordinates: POINT })
        .georel,
    ).toEqual({ relation: 'near', minDistance: 10, maxDistance: 20 });
  });

  it('accepts every relation and geometry type; near with non-Point geometry', () => {
    for (const rel of ['within', 'contains', 'intersects', 'equals', 'disjoint', 'overlaps']) {
      expect(parseGeoQuery({ georel: rel, geometry: 'Polygon', coordinates: JSON.stringify(SQUARE) }).georel).toEqual({
        relation: rel,
      });
    }
    const ok: [string, unknown][] = [
      ['Point', [1, 2]],
      ['Point', [1, 2, 3]],
      ['MultiPoint', [[1, 2], [3, 4]]],
      ['LineString', [[1, 2], [3, 4]]],
      ['MultiLineString', [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]],
      ['Polygon', SQUARE],
      ['MultiPolygon', [SQUARE, SQUARE]],
    ];
    for (const [geometry, coordinates] of ok) {
      expect(parseGeoQuery({ georel: 'intersects', geometry, coordinates }).geometry).toEqual({
        type: geometry,
        coordinates,
      });
      expect(
        parseGeoQuery({ georel: 'near;maxDistance==5', geometry, coordinates: JSON.stringify(coordinates) }).geometry
          .type,
      ).toBe(geometry);
    }
  });

  it('keeps geoproperty, defaults to location', () => {
    expect(
      parseGeoQuery({ georel: 'within', geometry: 'Polygon', coordinates: SQUARE, geoproperty: 'entrance' }).geoproperty,
    ).toBe('entrance');
    expect(parseGeoQuery({ georel: 'within', geometry: 'Polygon', coordinates: SQUARE, geoproperty: '' }).geoproperty).toBe(
      'location',
    );
    rejects({ georel: 'within', geometry: 'Polygon', coordinates: SQUARE, geoproperty: 'a b' });
    rejects({ georel: 'within', geometry: 'Polygon', coordinates: SQUARE, geoproperty: 'x'.repeat(5000) });
  });

  it('requires georel, geometry and coordinates together', () => {
    rejects({}, /together/);
    rejects({ georel: 'within' }, /together/);
    rejects({ georel: 'within', geometry: 'Point' }, /together/);
    rejects({ geometry: 'Point', coordinates: POINT }, /together/);
    rejects({ georel: 'near;maxDistance==1', coordinates: POINT }, /together/);
    rejects({ georel: '', geometry: 'Point', coordinates: POINT }, /together/);
  });

  it('rejects bad georel', () => {
    for (const georel of [
      'nearby',
      'near',
      'near;',
      'near;maxDistance=10',
      'near;maxDistance==',
      'near;maxDistance==-1',
      'near;maxDistance==1e3',
      'near;maxDistance==Infinity',
      'near;maxDistance==NaN',
      'near;maxDistance==10;maxDistance==20',
      'near;minDistance==30;maxDistance==20',
      'near;foo==1',
      'within;maxDistance==1',
      'WITHIN',
      "within'); DROP TABLE x;--",
      'x'.repeat(100_000),
    ]) {
      rejects({ georel, geometry: 'Point', coordinates: POINT });
    }
  });

  it('rejects bad geometry names and non-string inputs', () => {
    for (const geometry of ['point', 'GeometryCollection', 'Feature', 'Circle', "Point'--"]) {
      rejects({ georel: 'within', geometry, coordinates: POINT }, /unknown geometry/);
    }
    rejects({ georel: 5 as unknown as string, geometry: 'Point', coordinates: POINT });
    rejects({ georel: 'within', geometry: ['Point'] as unknown as string, coordinates: POINT });
  });

  it('rejects malformed coordinates', () => {
    const bad: [string, unknown][] = [
      ['Point', '[1,2'],
      ['Point', 'not json'],
      ['Point', '{"a":1}'],
      ['Point', '1'],
      ['Point', '[]'],
      ['Point', '[1]'],
      ['Point', '[1,2,3,4]'],
      ['Point', '["1",2]'],
      ['Point', '[null,2]'],
      ['Point', '[1e400,2]'],
      ['Point', [Number.NaN, 2]],
      ['Point', [Number.POSITIVE_INFINITY, 2]],
      ['Point', '[181,0]'],
      ['Point', '[-180.0001,0]'],
      ['Point', '[0,90.5]'],
      ['Point', '[0,-91]'],
      ['Point', '[[1,2]]'],
      ['MultiPoint', '[]'],
      ['MultiPoint', '[1,2]'],
      ['LineString', '[[1,2]]'],
      ['LineString', '[1,2]'],
      ['LineString', '[[1,2],[3]]'],
      ['MultiLineString', '[[[1,2]]]'],
      ['MultiLineString', '[]'],
      ['Polygon', '[]'],
      ['Polygon', '[[[0,0],[1,0],[1,1]]]'],
      ['Polygon', '[[[0,0],[1,0],[1,1],[0,1]]]'],
      ['Polygon', '[[0,0],[1,0],[1,1],[0,0]]'],
      ['Polygon', '[[[0,0],[1,0],[1,1],[0,0,5]]]'],
      ['MultiPolygon', JSON.stringify(SQUARE)],
      ['MultiPolygon', '[]'],
    ];
    for (const [geometry, coordinates] of bad) {
      rejects({ georel: 'intersects', geometry, coordinates });
    }
  });

  it('rejects huge and deeply nested coordinates without crashing', () => {
    rejects(
      { georel: 'within', geometry: 'Point', coordinates: '[' + ' '.repeat(MAX_COORDINATES_LENGTH) + '1,2]' },
      /exceed/,
    );
    const deep = '['.repeat(50_000) + ']'.repeat(50_000);
    for (const geometry of ['Point', 'MultiPolygon']) {
      rejects({ georel: 'within', geometry, coordinates: deep });
    }
    let nested: unknown = [1, 2];
    for (let i = 0; i < 100_000; i++) nested = [nested];
    rejects({ georel: 'within', geometry: 'MultiPolygon', coordinates: nested });
    const selfRef: unknown[] = [];
    selfRef.push(selfRef, selfRef);
    rejects({ georel: 'within', geometry: 'MultiPolygon', coordinates: selfRef });
    // A large but valid polygon under the size cap is fine.
    const ring: number[][] = [];
    for (let i = 0; i < 2000; i++) ring.push([Math.cos(i / 318) * 0.1 - 7.6, Math.sin(i / 318) * 0.1 + 33.57]);
    ring.push(ring[0]);
    expect(parseGeoQuery({ georel: 'within', geometry: 'Polygon', coordinates: JSON.stringify([ring]) }).geometry.type).toBe(
      'Polygon',
    );
  });

  it('fuzz: random inputs yield a GeoQuery or GeoQuerySyntaxError only', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const alphabet = ['[', ']', ',', '-', '.', '1', '9', '0', 'e', '"', ' ', 'null', '181', '33.5', '-7.6'];
    const georels = ['near;maxDistance==1', 'near;minDistance==0', 'within', 'intersects', 'near', 'x;y', ''];
    const geoms = ['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon', 'Foo'];
    for (let i = 0; i < 3000; i++) {
      let c = '';
      const len = Math.floor(rnd() * 40);
      for (let j = 0; j < len; j++) c += alphabet[Math.floor(rnd() * alphabet.length)];
      const r = outcome({
        georel: georels[Math.floor(rnd() * georels.length)],
        geometry: geoms[Math.floor(rnd() * geoms.length)],
        coordinates: c,
      });
      expect(r instanceof GeoQuerySyntaxError || typeof r === 'object').toBe(true);
    }
  });
});

describe('validateGeoJsonGeometry', () => {
  it('accepts valid geometries', () => {
    expect(validateGeoJsonGeometry({ type: 'Point', coordinates: [-7.6, 33.58] })).toBeNull();
    expect(validateGeoJsonGeometry({ type: 'Polygon', coordinates: SQUARE, bbox: [0, 0, 1, 1] })).toBeNull();
    expect(validateGeoJsonGeometry({ type: 'MultiPolygon', coordinates: [SQUARE] })).toBeNull();
  });
  it('rejects invalid ones with a message', () => {
    for (const g of [
      null,
      undefined,
      'Point',
      [],
      {},
      { type: 'Point' },
      { type: 'Point', coordinates: [200, 0] },
      { type: 'GeometryCollection', geometries: [] },
      { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1]]] },
      { type: 'LineString', coordinates: [[0, 0]] },
    ]) {
      expect(typeof validateGeoJsonGeometry(g)).toBe('string');
    }
  });
});

describe('geoQuerySql (text)', () => {
  it('uses params only, never user text', () => {
    const p = new SqlParams();
    const q = parseGeoQuery({ georel: 'near;maxDistance==500', geometry: 'Point', coordinates: POINT });
    const sql = geoQuerySql(q, p, 'location');
    const geog = '(SELECT ST_SetSRID(ST_GeomFromGeoJSON($1::text),4326)::geography)';
    expect(sql).toBe(
      `(ST_DWithin((location)::geography, ${geog}, $2::float8) AND ` +
        `((GeometryType(location) = 'POINT' AND location && (SELECT ST_MakeEnvelope($3::float8, $4::float8, $5::float8, $6::float8, 4326)))` +
        ` OR (GeometryType(location) <> 'POINT' AND (location)::geography && (SELECT _ST_Expand(${geog}, $2::float8)))))`,
    );
    expect(p.values.slice(0, 2)).toEqual([JSON.stringify({ type: 'Point', coordinates: [-7.6, 33.57] }), 500]);
    expect(p.values.slice(2)).toEqual(nearEnvelope(q.geometry, 500));
  });
  it('near on another GeoProperty has no index arms (no index holds it)', () => {
    const p = new SqlParams();
    const q = parseGeoQuery({ georel: 'near;maxDistance==500', geometry: 'Point', coordinates: POINT });
    expect(geoQuerySql(q, p, 'doc_geometry')).not.toContain('ST_MakeEnvelope');
  });
  it('geoPropertySql puts the IRI in a param', () => {
    const p = new SqlParams(['x']);
    const iri = "https://example.org/a'); DROP TABLE hub_entities;--";
    expect(geoPropertySql(iri, p)).toBe(
      "(CASE WHEN doc->$2::text->0->>'type' = 'GeoProperty' THEN ST_SetSRID(ST_GeomFromGeoJSON(doc->$2::text->0->'value'),4326) END)",
    );
    expect(p.values).toEqual(['x', iri]);
  });
});

describe('nearEnvelope', () => {
  it('is a tight box around a point: 500 m in Casablanca', () => {
    const [w, s, e, n] = nearEnvelope({ type: 'Point', coordinates: [-7.6, 33.57] }, 500);
    // 500 m is 0.00452° of latitude and 0.00541° of longitude at 33.57° N; the box may be a few % larger.
    expect(n - 33.57).toBeGreaterThan(0.00452);
    expect(n - 33.57).toBeLessThan(0.00452 * 1.03);
    expect(33.57 - s).toBeCloseTo(n - 33.57, 9);
    expect(e + 7.6).toBeGreaterThan(0.00541);
    expect(e + 7.6).toBeLessThan(0.00541 * 1.03);
    expect(-7.6 - w).toBeCloseTo(e + 7.6, 9);
  });
  it('spans every longitude across the antimeridian or with a pole in reach; the world for a quarter of the Earth', () => {
    const [, s1, , n1] = nearEnvelope({ type: 'Point', coordinates: [179.999, 0] }, 1000);
    expect(nearEnvelope({ type: 'Point', coordinates: [179.999, 0] }, 1000)).toEqual([-180, s1, 180, n1]);
    expect(n1).toBeLessThan(0.01);
    const [, s2, , n2] = nearEnvelope({ type: 'Point', coordinates: [0, 89.99] }, 2000);
    expect([s2, n2]).toEqual([s2, 90]);
    expect(s2).toBeGreaterThan(89.9);
    expect(nearEnvelope({ type: 'Point', coordinates: [0, 0] }, 6_000_000)).toEqual([-180, -90, 180, 90]);
    const line = nearEnvelope({ type: 'LineString', coordinates: [[170, 10], [-170, 10]] }, 1);
    expect([line[0], line[2]]).toEqual([-180, 180]);
    expect(line[3]).toBeLessThan(10.5);
    // A polygon across the antimeridian may enclose a pole.
    const ring = [[170, 10], [-170, 10], [-170, 20], [170, 20], [170, 10]];
    expect(nearEnvelope({ type: 'Polygon', coordinates: [ring] }, 1)).toEqual([-180, -90, 180, 90]);
  });
  it('grows with the poleward bulge of each great-circle edge', () => {
    const coordinates = [[-40, 60], [40, 60]];
    // The great circle from (-40, 60) to (40, 60) peaks at atan(tan 60° / cos 40°) = 66.2° N.
    expect(nearEnvelope({ type: 'LineString', coordinates }, 1)[3]).toBeGreaterThan(66.1);
    expect(nearEnvelope({ type: 'MultiPoint', coordinates }, 1)[3]).toBeLessThan(60.01);
    expect(nearEnvelope({ type: 'LineString', coordinates: [[-40, -60], [40, -60]] }, 1)[1]).toBeLessThan(-66.1);
    // Two short lines far apart: each edge bulges by its own span, not the geometry's.
    const two = { type: 'MultiLineString' as const, coordinates: [[[10, 1], [20, 1]], [[100, 1], [110, 1]]] };
    expect(nearEnvelope(two, 10)[3]).toBeLessThan(1.01);
  });
});

// ---------------------------------------------------------------------------------------------
// Real PostGIS
// ---------------------------------------------------------------------------------------------

const R = 6371008.8;
function haversine([lon1, lat1]: number[], [lon2, lat2]: number[]): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(a));
}

const ORIGIN = [-7.6, 33.57];
const ENTRANCE_IRI = 'https://uri.etsi.org/ngsi-ld/default-context/entrance';
const POINTS: Record<string, number[]> = {
  center: ORIGIN,
  p1: [-7.6, 33.575], // ~556 m N
  p2: [-7.61, 33.57], // ~927 m W
  p3: [-7.62, 33.58], // ~2.16 km
  p4: [-7.5, 33.6], // ~9.85 km
  p5: [-8.0, 33.25], // ~51 km
};
const POLY1 = [
  [
    [-7.605, 33.565],
    [-7.595, 33.565],
    [-7.595, 33.572],
    [-7.605, 33.572],
    [-7.605, 33.565],
  ],
];
const LINE1 = [
  [-7.7, 33.59],
  [-7.5, 33.59],
];
/** Hand-determined distances (m) from ORIGIN for the non-point entities. */
const OTHER_DIST: Record<string, number> = {
  poly1: 0, // contains ORIGIN
  line1: haversine(ORIGIN, [-7.6, 33.59]), // ~2.22 km, closest point due north
};

describe('geo queries on PostGIS (PGlite)', () => {
  let db: PGlite;

  beforeAll(async () => {
    db = new PGlite({ extensions: { postgis } });
    await db.exec('CREATE EXTENSION IF NOT EXISTS postgis');
    await db.exec(`CREATE TABLE hub_entities (
      tenant text NOT NULL DEFAULT '', id text PRIMARY KEY, types text[], scopes text[],
      location geometry(Geometry,4326), doc jsonb NOT NULL DEFAULT '{}'::jsonb)`);
    const rows: [string, unknown][] = [
      ...Object.entries(POINTS).map(([id, c]) => [id, { type: 'Point', coordinates: c }] as [string, unknown]),
      ['poly1', { type: 'Polygon', coordinates: POLY1 }],
      ['line1', { type: 'LineString', coordinates: LINE1 }],
    ];
    for (const [id, g] of rows) {
      expect(validateGeoJsonGeometry(g)).toBeNull();
      await db.query(
        `INSERT INTO hub_entities (id, location, doc) VALUES ($1, ST_SetSRID(ST_GeomFromGeoJSON($2::text),4326),
           jsonb_build_object($3::text, jsonb_build_array(jsonb_build_object('type','GeoProperty','value',$2::jsonb))))`,
        [id, JSON.stringify(g), ENTRANCE_IRI],
      );
    }
    await db.query(`INSERT INTO hub_entities (id) VALUES ('nolocation')`);
  }, 60_000);

  afterAll(async () => {
    await db?.close();
  });

  async function ids(input: Parameters<typeof parseGeoQuery>[0], column?: 'doc'): Promise<string[]> {
    const q = parseGeoQuery(input);
    const p = new SqlParams();
    const col = column === 'doc' ? geoPropertySql(ENTRANCE_IRI, p) : 'location';
    const where = geoQuerySql(q, p, col);
    const r = await db.query<{ id: string }>(`SELECT id FROM hub_entities WHERE ${where} ORDER BY id`, p.values);
    return r.rows.map((x) => x.id);
  }

  it('computes the query geometry once per execution, also in a generic plan', async () => {
    const q = parseGeoQuery({ georel: 'near;maxDistance==2000', geometry: 'Point', coordinates: ORIGIN });
    const p = new SqlParams();
    const where = geoQuerySql(q, p, 'location');
    const literal = (v: unknown) => (typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`);
    await db.exec(`SET plan_cache_mode = force_generic_plan; PREPARE near_q AS SELECT id FROM hub_entities WHERE ${where} ORDER BY id`);
    try {
      const args = p.values.map(literal).join(', ');
      const plan = await db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) EXECUTE near_q(${args})`);
      const text = JSON.stringify(plan.rows[0]['QUERY PLAN']);
      expect(text).toContain('InitPlan');
      expect(text).not.toMatch(/Filter[^}]*st_geomfromgeojson/i);
      const got = await db.query<{ id: string }>(`EXECUTE near_q(${args})`);
      expect(got.rows.map((r) => r.id)).toEqual(await ids({ georel: 'near;maxDistance==2000', geometry: 'Point', coordinates: ORIGIN }));
    } finally {
      await db.exec('DEALLOCATE near_q; RESET plan_cache_mode');
    }
  });

  const allDistances = (): Record<string, number> => ({
    ...Object.fromEntries(Object.entries(POINTS).map(([id, c]) => [id, haversine(ORIGIN, c)])),
    ...OTHER_DIST,
  });

  function expectedNear(min: number | undefined, max: number | undefined): string[] {
    const d = allDistances();
    for (const [id, v] of Object.entries(d)) {
      // Spheroid vs sphere differ by < 0.5 %; keep test data clear of thresholds.
      for (const t of [min, max]) if (t !== undefined && t > 0) expect(Math.abs(v - t) / t, id).toBeGreaterThan(0.02);
    }
    return Object.entries(d)
      .filter(([, v]) => (max === undefined || v <= max) && (min === undefined || v >= min))
      .map(([id]) => id)
      .sort();
  }

  it('near;maxDistance', async () => {
    for (const max of [300, 1000, 3000, 20_000, 100_000]) {
      expect(await ids({ georel: `near;maxDistance==${max}`, geometry: 'Point', coordinates: POINT })).toEqual(
        expectedNear(undefined, max),
      );
    }
    expect(expectedNear(undefined, 1000)).toEqual(['center', 'p1', 'p2', 'poly1']);
  });

  it('near;minDistance (entities without location never match)', async () => {
    for (const min of [300, 1000, 3000, 20_000]) {
      expect(await ids({ georel: `near;minDistance==${min}`, geometry: 'Point', coordinates: POINT })).toEqual(
        expectedNear(min, undefined),
      );
    }
    expect(expectedNear(3000, undefined)).toEqual(['p4', 'p5']);
    expect(
      await ids({ georel: 'near;minDistance==1000;maxDistance==3000', geometry: 'Point', coordinates: POINT }),
    ).toEqual(['line1', 'p3']);
  });

  it('within / intersects / disjoint against a polygon', async () => {
    const square = JSON.stringify(SQUARE);
    expect(await ids({ georel: 'within', geometry: 'Polygon', coordinates: square })).toEqual([
      'center',
      'p1',
      'p2',
      'p3',
      'poly1',
    ]);
    expect(await ids({ georel: 'intersects', geometry: 'Polygon', coordinates: square })).toEqual([
      'center',
      'line1',
      'p1',
      'p2',
      'p3',
      'poly1',
    ]);
    expect(await ids({ georel: 'disjoint', geometry: 'Polygon', coordinates: square })).toEqual(['p4', 'p5']);
  });

  it('contains / equals / overlaps', async () => {
    expect(await ids({ georel: 'contains', geometry: 'Point', coordinates: POINT })).toEqual(['center', 'poly1']);
    expect(await ids({ georel: 'equals', geometry: 'Point', coordinates: POINT })).toEqual(['center']);
    expect(
      await ids({ georel: 'equals', geometry: 'Polygon', coordinates: POLY1 }),
    ).toEqual(['poly1']);
    const half = [
      [
        [-7.6, 33.56],
        [-7.59, 33.56],
        [-7.59, 33.57],
        [-7.6, 33.57],
        [-7.6, 33.56],
      ],
    ];
    expect(await ids({ georel: 'overlaps', geometry: 'Polygon', coordinates: half })).toEqual(['poly1']);
    expect(
      await ids({ georel: 'intersects', geometry: 'LineString', coordinates: [[-7.7, 33.5], [-7.7, 33.7]] }),
    ).toEqual(['line1']);
  });

  it('works on a non-location GeoProperty stored in doc', async () => {
    expect(
      await ids(
        { georel: 'near;maxDistance==1000', geometry: 'Point', coordinates: POINT, geoproperty: 'entrance' },
        'doc',
      ),
    ).toEqual(['center', 'p1', 'p2', 'poly1']);
    expect(
      await ids({ georel: 'within', geometry: 'Polygon', coordinates: SQUARE }, 'doc'),
    ).toEqual(['center', 'p1', 'p2', 'p3', 'poly1']);
  });

  it('hostile values are inert data', async () => {
    const p = new SqlParams();
    const col = geoPropertySql("x'); DROP TABLE hub_entities;--", p);
    const where = geoQuerySql(parseGeoQuery({ georel: 'within', geometry: 'Polygon', coordinates: SQUARE }), p, col);
    const r = await db.query(`SELECT id FROM hub_entities WHERE ${where}`, p.values);
    expect(r.rows).toEqual([]);
    const n = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM hub_entities');
    expect(n.rows[0].n).toBe(9);
  });

  it('nearEnvelope holds every point within reach (PostGIS geography as the reference), for random points, lines and polygons (multi, with holes) from the equator to 87° and by the antimeridian, 10 m to 1,000 km', async () => {
    let seed = 42;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const between = (a: number, b: number) => a + rnd() * (b - a);
    const clampLat = (y: number) => Math.max(-89, Math.min(89, y));
    const wrapLon = (x: number) => (x > 180 ? x - 360 : x);
    // A hole in the middle of the square [x, x + span] × [y, y + span] (no part of the polygon's reach).
    const hole = (x: number, y: number, span: number) => {
      const [a, b, c, d] = [x + span / 4, clampLat(y + span / 4), x + (3 * span) / 4, clampLat(y + (3 * span) / 4)];
      return [[wrapLon(a), b], [wrapLon(a), d], [wrapLon(c), d], [wrapLon(c), b], [wrapLon(a), b]];
    };
    let boxed = 0;
    let bands = 0;
    for (let i = 0; i < 192; i++) {
      const lon = i % 8 === 7 ? between(175, 179.9) : between(-175, 175);
      const lat = i % 8 === 6 ? between(80, 87) : between(-80, 80);
      const span = [0.001, 0.1, 2, 20][i % 4];
      const meters = [10, 500, 20_000, 1_000_000][Math.floor(i / 4) % 4];
      const at = () => [wrapLon(lon + between(0, span)), clampLat(lat + between(0, span))];
      const [x1, y1] = [wrapLon(lon + span), clampLat(lat + span)];
      const kinds = [
        { type: 'Point', coordinates: [lon, lat] },
        { type: 'MultiPoint', coordinates: [at(), at(), at()] },
        { type: 'LineString', coordinates: [[lon, lat], at(), [x1, y1]] },
        { type: 'Polygon', coordinates: [[[lon, lat], [x1, lat], [x1, y1], [lon, y1], [lon, lat]]] },
        { type: 'MultiLineString', coordinates: [[[lon, lat], at()], [at(), [x1, y1]]] },
        { type: 'MultiPolygon', coordinates: [[[[lon, lat], [x1, lat], [x1, y1], [lon, y1], [lon, lat]], hole(lon, lat, span)]] },
      ];
      const g = kinds[Math.floor(i / 16) % 6] as Parameters<typeof nearEnvelope>[0];
      expect(validateGeoJsonGeometry(g)).toBeNull();
      const [w, s, e, n] = nearEnvelope(g, meters);
      if (s === -90 && n === 90) continue;
      boxed++;
      if (w === -180 && e === 180) bands++;
      // Points just inside the reach: 16 bearings from points along the geometry's great-circle edges.
      const r = await db.query<{ x: number; y: number }>(
        `WITH g AS (SELECT ST_Segmentize(ST_SetSRID(ST_GeomFromGeoJSON($1::text),4326)::geography, $3::float8) AS g),
              p AS (SELECT (ST_DumpPoints(g::geometry)).geom AS p FROM g)
         SELECT ST_X(q) AS x, ST_Y(q) AS y FROM p, generate_series(0, 15) AS a,
           LATERAL (SELECT ST_Project(p::geography, $2::float8 * 0.999, radians(a * 22.5))::geometry AS q) AS projected`,
        [JSON.stringify(g), meters, Math.max(100, (span * 111_000) / 20)],
      );
      expect(r.rows.length).toBeGreaterThanOrEqual(16);
      for (const { x, y } of r.rows) {
        if (!(x >= w && x <= e && y >= s && y <= n)) expect({ g, meters, x, y }).toEqual({ box: [w, s, e, n] });
      }
    }
    expect(boxed).toBeGreaterThan(100);
    expect(bands).toBeGreaterThan(10);
  }, 60_000);
});
