/**
 * NGSI-LD geo-queries (NGSI-LD 1.8 §4.10): parsing/validation of georel + geometry + coordinates
 * (+ geoproperty) and translation into a boolean PostGIS SQL fragment.
 *
 * Every user-supplied value reaches SQL only through `SqlParams.add()`.
 */
import type { SqlParams } from '../../platform/db/sql-params.ts';

export class GeoQuerySyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GeoQuerySyntaxError';
  }
}

export const GEOMETRY_TYPES = [
  'Point',
  'MultiPoint',
  'LineString',
  'MultiLineString',
  'Polygon',
  'MultiPolygon',
] as const;
export type GeometryType = (typeof GEOMETRY_TYPES)[number];

/** A validated GeoJSON geometry (one of the six NGSI-LD geometry types). */
export interface GeoJsonGeometry {
  type: GeometryType;
  coordinates: unknown[];
}

export const GEO_RELATIONS = ['near', 'within', 'contains', 'intersects', 'equals', 'disjoint', 'overlaps'] as const;
export type GeoRelation = (typeof GEO_RELATIONS)[number];

export type GeoRel =
  | { relation: 'near'; maxDistance?: number; minDistance?: number }
  | { relation: Exclude<GeoRelation, 'near'> };

export interface GeoQuery {
  georel: GeoRel;
  geometry: GeoJsonGeometry;
  /** As given by the client (short name or IRI, not expanded); defaults to `location`. */
  geoproperty: string;
}

/** Max length of a `coordinates` string (GET query string). */
export const MAX_COORDINATES_LENGTH = 100 * 1024;
const MAX_GEOPROPERTY_LENGTH = 2048;
const MAX_GEOREL_LENGTH = 256;

// ---------------------------------------------------------------------------------------------
// GeoJSON geometry validation
// ---------------------------------------------------------------------------------------------

/** A GeoJSON position: [lon, lat] or [lon, lat, alt], WGS84 ranges. */
function checkPosition(p: unknown, path: string): string | null {
  if (!Array.isArray(p)) return `${path} must be a position array [lon, lat]`;
  if (p.length < 2 || p.length > 3) return `${path} must have 2 or 3 numbers (lon, lat[, alt])`;
  for (let i = 0; i < p.length; i++) {
    const n = p[i];
    if (typeof n !== 'number' || !Number.isFinite(n)) return `${path}[${i}] must be a finite number`;
  }
  const [lon, lat] = p as number[];
  if (lon < -180 || lon > 180) return `${path}: longitude ${lon} out of range [-180, 180]`;
  if (lat < -90 || lat > 90) return `${path}: latitude ${lat} out of range [-90, 90]`;
  return null;
}

function checkPositions(a: unknown, path: string, min: number, what: string): string | null {
  if (!Array.isArray(a)) return `${path} must be an array of positions`;
  if (a.length < min) return `${path}: ${what} needs at least ${min} position${min === 1 ? '' : 's'}`;
  for (let i = 0; i < a.length; i++) {
    const e = checkPosition(a[i], `${path}[${i}]`);
    if (e) return e;
  }
  return null;
}

function checkLineString(a: unknown, path: string): string | null {
  return checkPositions(a, path, 2, 'a LineString');
}

function checkPolygon(a: unknown, path: string): string | null {
  if (!Array.isArray(a)) return `${path} must be an array of linear rings`;
  if (a.length < 1) return `${path}: a Polygon needs at least one linear ring`;
  for (let r = 0; r < a.length; r++) {
    const ring = a[r];
    const rp = `${path}[${r}]`;
    const e = checkPositions(ring, rp, 4, 'a linear ring');
    if (e) return e;
    const first = ring[0] as number[];
    const last = ring[ring.length - 1] as number[];
    if (first.length !== last.length || first.some((v, i) => v !== last[i])) {
      return `${rp}: linear ring is not closed (first and last positions differ)`;
    }
  }
  return null;
}

function checkMulti(a: unknown, path: string, what: string, each: (e: unknown, p: string) => string | null) {
  if (!Array.isArray(a)) return `${path} must be an array`;
  if (a.length < 1) return `${path}: a ${what} needs at least one member`;
  for (let i = 0; i < a.length; i++) {
    const e = each(a[i], `${path}[${i}]`);
    if (e) return e;
  }
  return null;
}

function checkCoordinates(type: GeometryType, c: unknown): string | null {
  const path = 'coordinates';
  switch (type) {
    case 'Point':
      return checkPosition(c, path);
    case 'MultiPoint':
      return checkPositions(c, path, 1, 'a MultiPoint');
    case 'LineString':
      return checkLineString(c, path);
    case 'MultiLineString':
      return checkMulti(c, path, 'MultiLineString', checkLineString);
    case 'Polygon':
      return checkPolygon(c, path);
    case 'MultiPolygon':
      return checkMulti(c, path, 'MultiPolygon', checkPolygon);
  }
}

function isGeometryType(t: unknown): t is GeometryType {
  return typeof t === 'string' && (GEOMETRY_TYPES as readonly string[]).includes(t);
}

/**
 * Validates a GeoJSON geometry object (e.g. a GeoProperty value on entity write).
 * Returns an error message, or null when valid.
 */
export function validateGeoJsonGeometry(g: unknown): string | null {
  if (g === null || typeof g !== 'object' || Array.isArray(g)) return 'geometry must be a GeoJSON object';
  const o = g as Record<string, unknown>;
  if (!isGeometryType(o.type)) {
    return `geometry type must be one of ${GEOMETRY_TYPES.join(', ')}`;
  }
  if (!('coordinates' in o)) return 'geometry has no coordinates';
  return checkCoordinates(o.type, o.coordinates);
}

// ---------------------------------------------------------------------------------------------
// Query parsing
// ---------------------------------------------------------------------------------------------

const DISTANCE_RE = /^(maxDistance|minDistance)==(\d+(?:\.\d+)?)$/;

function parseGeorel(s: string): GeoRel {
  if (s.length > MAX_GEOREL_LENGTH) throw new GeoQuerySyntaxError('georel is too long');
  const parts = s.split(';');
  const rel = parts[0];
  if (!(GEO_RELATIONS as readonly string[]).includes(rel)) {
    throw new GeoQuerySyntaxError(`unknown georel '${truncate(rel)}'; expected one of ${GEO_RELATIONS.join(', ')}`);
  }
  if (rel !== 'near') {
    if (parts.length > 1) throw new GeoQuerySyntaxError(`georel '${rel}' takes no modifiers`);
    return { relation: rel as Exclude<GeoRelation, 'near'> };
  }
  if (parts.length < 2) {
    throw new GeoQuerySyntaxError("georel 'near' needs maxDistance==N or minDistance==N");
  }
  const out: { relation: 'near'; maxDistance?: number; minDistance?: number } = { relation: 'near' };
  for (const mod of parts.slice(1)) {
    const m = DISTANCE_RE.exec(mod);
    if (!m) {
      throw new GeoQuerySyntaxError(
        `invalid near modifier '${truncate(mod)}'; expected maxDistance==N or minDistance==N (metres)`,
      );
    }
    const key = m[1] as 'maxDistance' | 'minDistance';
    const n = Number(m[2]);
    if (!Number.isFinite(n) || n < 0) throw new GeoQuerySyntaxError(`${key} must be a non-negative finite number`);
    if (out[key] !== undefined) throw new GeoQuerySyntaxError(`${key} given more than once`);
    out[key] = n;
  }
  if (out.maxDistance !== undefined && out.minDistance !== undefined && out.minDistance > out.maxDistance) {
    throw new GeoQuerySyntaxError('minDistance is greater than maxDistance');
  }
  return out;
}

function truncate(s: string, n = 64): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

/**
 * Parses and strictly validates a geo-query. `coordinates` is a JSON array string (GET) or an
 * already-parsed array (POST bodies, subscriptions). Throws GeoQuerySyntaxError.
 */
export function parseGeoQuery(input: {
  georel?: string;
  geometry?: string;
  coordinates?: string | unknown;
  geoproperty?: string;
}): GeoQuery {
  const { georel, geometry, coordinates, geoproperty } = input ?? {};
  const given = [georel, geometry, coordinates].filter((v) => v !== undefined && v !== null && v !== '').length;
  if (given !== 3) {
    throw new GeoQuerySyntaxError('georel, geometry and coordinates must all be given together');
  }
  if (typeof georel !== 'string') throw new GeoQuerySyntaxError('georel must be a string');
  if (typeof geometry !== 'string') throw new GeoQuerySyntaxError('geometry must be a string');
  if (!isGeometryType(geometry)) {
    throw new GeoQuerySyntaxError(
      `unknown geometry '${truncate(geometry)}'; expected one of ${GEOMETRY_TYPES.join(', ')}`,
    );
  }
  const rel = parseGeorel(georel);

  let coords: unknown = coordinates;
  if (typeof coords === 'string') {
    if (coords.length > MAX_COORDINATES_LENGTH) {
      throw new GeoQuerySyntaxError(`coordinates exceed ${MAX_COORDINATES_LENGTH} characters`);
    }
    try {
      coords = JSON.parse(coords);
    } catch {
      throw new GeoQuerySyntaxError('coordinates is not a valid JSON array');
    }
  }
  if (!Array.isArray(coords)) throw new GeoQuerySyntaxError('coordinates must be a JSON array');
  const err = checkCoordinates(geometry, coords);
  if (err) throw new GeoQuerySyntaxError(`invalid ${geometry}: ${err}`);

  let gp = 'location';
  if (geoproperty !== undefined && geoproperty !== null && geoproperty !== '') {
    if (typeof geoproperty !== 'string') throw new GeoQuerySyntaxError('geoproperty must be a string');
    if (geoproperty.length > MAX_GEOPROPERTY_LENGTH) throw new GeoQuerySyntaxError('geoproperty is too long');
    // eslint-disable-next-line no-control-regex
    if (/[\s\u0000-\u001f\u007f]/.test(geoproperty)) {
      throw new GeoQuerySyntaxError('geoproperty must not contain whitespace or control characters');
    }
    gp = geoproperty;
  }
  return { georel: rel, geometry: { type: geometry, coordinates: coords }, geoproperty: gp };
}

// ---------------------------------------------------------------------------------------------
// SQL
// ---------------------------------------------------------------------------------------------

/**
 * Boolean SQL fragment testing `geoColumnSql` (a trusted SQL expression of type geometry, SRID
 * 4326, e.g. `location` or geoPropertySql(...)) against the query geometry.
 * Rows where the geometry is NULL never match (the fragment evaluates to NULL/false).
 */
export function geoQuerySql(q: GeoQuery, params: SqlParams, geoColumnSql: string): string {
  // The query geometry as a scalar subquery: evaluated once per execution (an InitPlan). As a plain
  // expression of a parameter, a prepared statement's generic plan parses the GeoJSON again for every
  // candidate row (a geo near 500 m read cost 1.04 ms instead of 0.71 ms in PostgreSQL).
  // The geometry and distances may differ between queries answered by one statement (query-batcher.ts).
  const geojson = `ST_SetSRID(ST_GeomFromGeoJSON(${params.addPerQuery(JSON.stringify(q.geometry), 'text')}::text),4326)`;
  const g = `(SELECT ${geojson})`;
  const col = geoColumnSql;
  const rel = q.georel;
  switch (rel.relation) {
    case 'near': {
      const geog = `(SELECT ${geojson}::geography)`;
      const parts: string[] = [];
      if (rel.maxDistance !== undefined) {
        const d = params.addPerQuery(rel.maxDistance, 'float8');
        parts.push(`ST_DWithin((${col})::geography, ${geog}, ${d}::float8)`);
        if (col === 'location') parts.push(nearIndexArms(q.geometry, rel.maxDistance, params, geog, d));
      }
      if (rel.minDistance !== undefined) {
        parts.push(`NOT ST_DWithin((${col})::geography, ${geog}, ${params.addPerQuery(rel.minDistance, 'float8')}::float8)`);
      }
      if (parts.length === 0) throw new GeoQuerySyntaxError('near needs maxDistance or minDistance');
      return `(${parts.join(' AND ')})`;
    }
    case 'within':
      return `ST_Within(${col}, ${g})`;
    case 'contains':
      return `ST_Contains(${col}, ${g})`;
    case 'intersects':
      return `ST_Intersects(${col}, ${g})`;
    case 'equals':
      return `ST_Equals(${col}, ${g})`;
    case 'disjoint':
      return `ST_Disjoint(${col}, ${g})`;
    case 'overlaps':
      return `ST_Overlaps(${col}, ${g})`;
  }
}

/**
 * The index conditions of `near;maxDistance` on the `location` column: points by their planar box in
 * the (tenant, location) index, other shapes by their geography box in a partial index (migration 008).
 * Both are prefilters of the exact ST_DWithin beside them. Points are most of a city's entities and a
 * planar box test is cheaper than the geography index's: a geo near 500 m read 0.41 instead of 0.50 ms
 * in PostgreSQL, and creating a point entity no longer writes a geography index entry. Only points may
 * use the planar box: a line's or polygon's great-circle edges leave the planar box of its vertices.
 */
function nearIndexArms(g: GeoJsonGeometry, meters: number, params: SqlParams, geog: string, d: string): string {
  const [x0, y0, x1, y1] = nearEnvelope(g, meters).map((v) => params.addPerQuery(v, 'float8'));
  const box = `(SELECT ST_MakeEnvelope(${x0}::float8, ${y0}::float8, ${x1}::float8, ${y1}::float8, 4326))`;
  return (
    `((GeometryType(location) = 'POINT' AND location && ${box})` +
    ` OR (GeometryType(location) <> 'POINT' AND (location)::geography && (SELECT _ST_Expand(${geog}, ${d}::float8))))`
  );
}

/** Conservative Earth radius for angular reach: the ellipsoid's smallest radius of curvature (meridian, equator) is 6,335,439 m. */
const MIN_EARTH_RADIUS_M = 6_335_000;
const WORLD: [number, number, number, number] = [-180, -90, 180, 90];
const DEG = Math.PI / 180;

/**
 * A lon/lat box holding every point within `meters` (geodesic) of the geometry `g`, its edges taken as
 * great-circle arcs as PostGIS geography does. Conservative: a larger box only costs candidates, a
 * smaller one would lose results. Where no longitude range holds them (an edge across the antimeridian,
 * a pole within reach) the box spans every longitude within its latitudes; a polygon across the
 * antimeridian may enclose a pole, and beyond an eighth of a great circle (~4,975 km) the box is the
 * whole world.
 */
export function nearEnvelope(g: GeoJsonGeometry, meters: number): [number, number, number, number] {
  const reach = (meters / MIN_EARTH_RADIUS_M) * 1.01 + 1e-9; // radians, with a margin for rounding
  if (reach >= Math.PI / 4) return WORLD;
  let lonMin = Infinity;
  let lonMax = -Infinity;
  // Latitude reached by the geometry: its positions, and the poleward bulge of its edges.
  let north = -90;
  let south = 90;
  let crossesAntimeridian = false;
  const position = (lon: number, lat: number) => {
    lonMin = Math.min(lonMin, lon);
    lonMax = Math.max(lonMax, lon);
    north = Math.max(north, lat);
    south = Math.min(south, lat);
  };
  // A great-circle edge whose ends are at most φ from the equator on one side and Δλ apart (the short
  // way) stays within atan(tan φ / cos(Δλ/2)) of it on that side.
  const edge = ([lon1, lat1]: number[], [lon2, lat2]: number[]) => {
    let dLon = Math.abs(lon1 - lon2);
    if (dLon > 180) {
      crossesAntimeridian = true;
      dLon = 360 - dLon;
    }
    const peak = (lat: number) => Math.atan(Math.tan(lat * DEG) / Math.cos((dLon / 2) * DEG)) / DEG;
    const top = Math.max(lat1, lat2);
    const bottom = Math.min(lat1, lat2);
    if (top > 0) north = Math.max(north, peak(top));
    if (bottom < 0) south = Math.min(south, -peak(-bottom));
  };
  // Arrays of positions (a line, a ring, the points of a MultiPoint) or arrays of those.
  const walk = (c: unknown[], connected: boolean): void => {
    for (let i = 0; i < c.length; i++) {
      const child = c[i] as unknown[];
      if (typeof child[0] !== 'number') walk(child, connected);
      else {
        position(child[0], child[1] as number);
        if (connected && i > 0) edge(c[i - 1] as number[], child as number[]);
      }
    }
  };
  const polygon = g.type === 'Polygon' || g.type === 'MultiPolygon';
  walk(g.type === 'Point' ? [g.coordinates] : g.coordinates, g.type !== 'Point' && g.type !== 'MultiPoint');
  const wraps = crossesAntimeridian || lonMax - lonMin >= 180;
  if (wraps && polygon) return WORLD;
  north += reach / DEG;
  south -= reach / DEG;
  const everyLongitude: [number, number, number, number] = [-180, Math.max(-90, south), 180, Math.min(90, north)];
  if (wraps || north >= 90 || south <= -90) return everyLongitude;
  // Longitude reach from the most poleward latitude in the box (a degree of longitude is shortest there).
  const poleward = Math.max(Math.abs(north), Math.abs(south)) * DEG;
  const lonReach = Math.asin(Math.min(1, Math.sin(reach) / Math.cos(poleward))) / DEG;
  const west = lonMin - lonReach;
  const east = lonMax + lonReach;
  if (west <= -180 || east >= 180 || lonReach >= 90) return everyLongitude;
  return [west, south, east, north];
}

/**
 * SQL expression (geometry, SRID 4326) for a GeoProperty other than `location`, read from the
 * first instance of the attribute in `doc`. The expanded IRI goes through a bind parameter.
 */
export function geoPropertySql(expandedIri: string, params: SqlParams, docColumnSql = 'doc'): string {
  const key = params.add(expandedIri);
  // An attribute of that name that is not a GeoProperty has no geometry (instead of failing the query).
  return `(CASE WHEN ${docColumnSql}->${key}::text->0->>'type' = 'GeoProperty' THEN ST_SetSRID(ST_GeomFromGeoJSON(${docColumnSql}->${key}::text->0->'value'),4326) END)`;
}
