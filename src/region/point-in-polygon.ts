/**
 * Point-in-polygon for GeoJSON Polygon / MultiPolygon (WGS84 lon/lat treated as planar, which is exact
 * enough at commune scale): ray casting with holes, a bounding-box prefilter, and an index that finds
 * which of many features holds a point. Pure: no I/O.
 */

export type Position = [number, number] | number[];
export type Ring = Position[];
export type PolygonCoords = Ring[];
export type PolygonGeometry = { type: 'Polygon'; coordinates: PolygonCoords } | { type: 'MultiPolygon'; coordinates: PolygonCoords[] };

export interface BBox {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

/** Ray casting (even-odd) on one ring; points exactly on an edge may fall either way. */
export function pointInRing(x: number, y: number, ring: Ring): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const xi = ring[i][0];
    const yi = ring[i][1];
    const xj = ring[j][0];
    const yj = ring[j][1];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Inside the exterior ring and outside every hole. */
export function pointInPolygonCoords(x: number, y: number, polygon: PolygonCoords): boolean {
  if (polygon.length === 0 || !pointInRing(x, y, polygon[0])) return false;
  for (let h = 1; h < polygon.length; h++) if (pointInRing(x, y, polygon[h])) return false;
  return true;
}

export function pointInGeometry(x: number, y: number, geometry: PolygonGeometry): boolean {
  if (geometry.type === 'Polygon') return pointInPolygonCoords(x, y, geometry.coordinates);
  return geometry.coordinates.some((p) => pointInPolygonCoords(x, y, p));
}

export function bboxOf(geometry: PolygonGeometry): BBox {
  const box = { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity };
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  for (const polygon of polygons) {
    for (const [x, y] of polygon[0] ?? []) {
      if (x < box.minX) box.minX = x;
      if (x > box.maxX) box.maxX = x;
      if (y < box.minY) box.minY = y;
      if (y > box.maxY) box.maxY = y;
    }
  }
  return box;
}

export function inBBox(x: number, y: number, b: BBox): boolean {
  return x >= b.minX && x <= b.maxX && y >= b.minY && y <= b.maxY;
}

/** Planar area of a geometry in squared degrees (shoelace; holes subtracted). */
export function planarArea(geometry: PolygonGeometry): number {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  let area = 0;
  for (const polygon of polygons) {
    polygon.forEach((ring, i) => {
      let a = 0;
      for (let k = 0, j = ring.length - 1; k < ring.length; j = k++) a += (ring[j][0] - ring[k][0]) * (ring[j][1] + ring[k][1]);
      area += i === 0 ? Math.abs(a / 2) : -Math.abs(a / 2);
    });
  }
  return area;
}

/** Finds which feature holds a point among many (bbox prefilter, then ray casting). */
export class PolygonIndex<K> {
  private readonly items: { key: K; geometry: PolygonGeometry; bbox: BBox }[];

  constructor(features: Iterable<{ key: K; geometry: PolygonGeometry }>) {
    this.items = [...features].map((f) => ({ ...f, bbox: bboxOf(f.geometry) }));
  }

  /** The first feature (in construction order) that contains the point, or undefined. */
  find(x: number, y: number): K | undefined {
    for (const item of this.items) {
      if (inBBox(x, y, item.bbox) && pointInGeometry(x, y, item.geometry)) return item.key;
    }
    return undefined;
  }
}
