/**
 * A small geo-query evaluator (NGSI-LD 1.8 §4.10) for one entity's GeoProperty, so that a change is
 * matched against subscriptions' geoQ without a query per subscription.
 *
 * Limits (the SQL path with PostGIS is exact; this one is for city-scale notifications):
 * - `near` is exact (haversine, mean Earth radius) between points; for lines and polygons it is the
 *   distance between vertices and edges in a local equirectangular projection (error < 0.5 % under 50 km).
 * - `within` / `contains` test that every vertex of one geometry lies in the other's polygons (a concave
 *   polygon whose edge leaves the other between two vertices is not detected).
 * - Polygons are planar in longitude/latitude (as PostGIS geometry, SRID 4326); holes are honoured.
 */
import { EARTH_RADIUS_M as R, haversineM as haversine } from '../../platform/geo/haversine.ts';
import type { GeoJsonGeometry, GeoQuery } from '../query/geo.ts';

type Pos = number[];

interface Shape {
  points: Pos[];
  /** Polylines: LineStrings and polygon rings. */
  lines: Pos[][];
  /** Polygons as rings (first = outer, rest = holes). */
  polygons: Pos[][][];
}

const rad = (d: number) => (d * Math.PI) / 180;

/** Great-circle distance in metres. */
export const haversineM = (a: Pos, b: Pos): number => haversine(a[0], a[1], b[0], b[1]);

function shapeOf(g: GeoJsonGeometry): Shape {
  const s: Shape = { points: [], lines: [], polygons: [] };
  const c = g.coordinates as any;
  switch (g.type) {
    case 'Point':
      s.points.push(c);
      break;
    case 'MultiPoint':
      s.points.push(...c);
      break;
    case 'LineString':
      s.lines.push(c);
      break;
    case 'MultiLineString':
      s.lines.push(...c);
      break;
    case 'Polygon':
      s.polygons.push(c);
      break;
    case 'MultiPolygon':
      s.polygons.push(...c);
      break;
  }
  for (const p of s.polygons) s.lines.push(...p);
  return s;
}

function vertices(s: Shape): Pos[] {
  return [...s.points, ...s.lines.flat()];
}

function inRing(p: Pos, ring: Pos[]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function onSegment(p: Pos, a: Pos, b: Pos): boolean {
  const cross = (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
  if (Math.abs(cross) > 1e-12) return false;
  return Math.min(a[0], b[0]) - 1e-12 <= p[0] && p[0] <= Math.max(a[0], b[0]) + 1e-12 && Math.min(a[1], b[1]) - 1e-12 <= p[1] && p[1] <= Math.max(a[1], b[1]) + 1e-12;
}

/** Inside or on the boundary of a polygon (outer ring, minus holes). */
function inPolygon(p: Pos, rings: Pos[][]): boolean {
  const [outer, ...holes] = rings;
  if (ringEdges(outer).some(([a, b]) => onSegment(p, a, b))) return true;
  if (!inRing(p, outer)) return false;
  return !holes.some((h) => inRing(p, h) && !ringEdges(h).some(([a, b]) => onSegment(p, a, b)));
}

function ringEdges(line: Pos[]): [Pos, Pos][] {
  const out: [Pos, Pos][] = [];
  for (let i = 1; i < line.length; i++) out.push([line[i - 1], line[i]]);
  return out;
}

function segmentsIntersect(a: Pos, b: Pos, c: Pos, d: Pos): boolean {
  const o = (p: Pos, q: Pos, r: Pos) => Math.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]));
  const o1 = o(a, b, c);
  const o2 = o(a, b, d);
  const o3 = o(c, d, a);
  const o4 = o(c, d, b);
  if (o1 !== o2 && o3 !== o4) return true;
  return onSegment(c, a, b) || onSegment(d, a, b) || onSegment(a, c, d) || onSegment(b, c, d);
}

function samePos(a: Pos, b: Pos) {
  return a[0] === b[0] && a[1] === b[1];
}

function intersects(a: Shape, b: Shape): boolean {
  for (const p of vertices(a)) {
    if (b.polygons.some((poly) => inPolygon(p, poly))) return true;
    if (b.points.some((q) => samePos(p, q))) return true;
    if (b.lines.some((l) => ringEdges(l).some(([x, y]) => onSegment(p, x, y)))) return true;
  }
  for (const p of vertices(b)) {
    if (a.polygons.some((poly) => inPolygon(p, poly))) return true;
    if (a.lines.some((l) => ringEdges(l).some(([x, y]) => onSegment(p, x, y)))) return true;
  }
  const ea = a.lines.flatMap(ringEdges);
  const eb = b.lines.flatMap(ringEdges);
  return ea.some(([p, q]) => eb.some(([r, s]) => segmentsIntersect(p, q, r, s)));
}

/** Every vertex of `inner` lies in (or on) the polygons of `outer`; points/lines of `outer` need equality. */
function within(inner: Shape, outer: Shape): boolean {
  const vs = vertices(inner);
  if (!vs.length) return false;
  if (outer.polygons.length) return vs.every((p) => outer.polygons.some((poly) => inPolygon(p, poly)));
  const ov = vertices(outer);
  if (outer.lines.length) return vs.every((p) => outer.lines.some((l) => ringEdges(l).some(([x, y]) => onSegment(p, x, y))));
  return vs.every((p) => ov.some((q) => samePos(p, q)));
}

/** Metres from p to segment ab in a local equirectangular projection centred on p. */
function pointSegmentM(p: Pos, a: Pos, b: Pos): number {
  const k = Math.cos(rad(p[1]));
  const ax = rad(a[0] - p[0]) * k * R;
  const ay = rad(a[1] - p[1]) * R;
  const bx = rad(b[0] - p[0]) * k * R;
  const by = rad(b[1] - p[1]) * R;
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2));
  const x = ax + t * dx;
  const y = ay + t * dy;
  return Math.sqrt(x * x + y * y);
}

function pointShapeM(p: Pos, s: Shape): number {
  if (s.polygons.some((poly) => inPolygon(p, poly))) return 0;
  let d = Infinity;
  for (const q of s.points) d = Math.min(d, haversineM(p, q));
  for (const l of s.lines) for (const [a, b] of ringEdges(l)) d = Math.min(d, pointSegmentM(p, a, b));
  return d;
}

/** Distance in metres between two geometries (0 when they intersect). */
export function distanceM(a: GeoJsonGeometry, b: GeoJsonGeometry): number {
  const sa = shapeOf(a);
  const sb = shapeOf(b);
  if (a.type === 'Point' && b.type === 'Point') return haversineM(a.coordinates as Pos, b.coordinates as Pos);
  if (intersects(sa, sb)) return 0;
  let d = Infinity;
  for (const p of vertices(sa)) d = Math.min(d, pointShapeM(p, sb));
  for (const p of vertices(sb)) d = Math.min(d, pointShapeM(p, sa));
  return d;
}

function canonical(g: GeoJsonGeometry): string {
  return JSON.stringify({ type: g.type, coordinates: g.coordinates });
}

/** Whether `entityGeometry` satisfies the geo-query (georel applied as "entity georel query geometry"). */
export function evaluateGeo(q: GeoQuery, entityGeometry: unknown): boolean {
  if (!isGeometry(entityGeometry)) return false;
  const e = entityGeometry;
  const rel = q.georel;
  switch (rel.relation) {
    case 'near': {
      const d = distanceM(e, q.geometry);
      if (rel.maxDistance !== undefined && d > rel.maxDistance) return false;
      if (rel.minDistance !== undefined && d <= rel.minDistance) return false;
      return true;
    }
    case 'within':
      return within(shapeOf(e), shapeOf(q.geometry));
    case 'contains':
      return within(shapeOf(q.geometry), shapeOf(e));
    case 'intersects':
      return intersects(shapeOf(e), shapeOf(q.geometry));
    case 'disjoint':
      return !intersects(shapeOf(e), shapeOf(q.geometry));
    case 'equals':
      return canonical(e) === canonical(q.geometry);
    case 'overlaps': {
      const se = shapeOf(e);
      const sq = shapeOf(q.geometry);
      return intersects(se, sq) && !within(se, sq) && !within(sq, se);
    }
  }
}

function isGeometry(g: unknown): g is GeoJsonGeometry {
  return typeof g === 'object' && g !== null && typeof (g as GeoJsonGeometry).type === 'string' && Array.isArray((g as GeoJsonGeometry).coordinates);
}
