/**
 * GeoJSON (RFC 7946) for the lighting inventory: a FeatureCollection of Point features whose properties
 * are the same fields as the CSV columns. Reading turns features into records (row = feature number) and
 * reports what is wrong with the geometry; writing is the reverse. Pure.
 */
import type { Problem } from './inventory.ts';

export interface GeoRecords {
  columns: string[];
  records: { row: number; values: Record<string, unknown> }[];
  problems: Problem[];
}

export class GeoJsonError extends Error {}

/** Features as records: properties plus lat/lon from a Point geometry (types without location ignore it). */
export function readFeatureCollection(doc: unknown, located: boolean): GeoRecords {
  const fc = doc as { type?: unknown; features?: unknown };
  if (!fc || typeof fc !== 'object' || fc.type !== 'FeatureCollection' || !Array.isArray(fc.features)) throw new GeoJsonError('expected a GeoJSON FeatureCollection');
  const columns = new Set<string>();
  const problems: Problem[] = [];
  const records = (fc.features as unknown[]).map((f, i) => {
    const row = i + 1;
    const feature = f as { type?: unknown; properties?: unknown; geometry?: unknown; id?: unknown };
    const values: Record<string, unknown> = {};
    if (!feature || typeof feature !== 'object' || feature.type !== 'Feature') {
      problems.push({ row, field: 'type', problem: 'not a GeoJSON Feature' });
      return { row, values };
    }
    const props = feature.properties && typeof feature.properties === 'object' && !Array.isArray(feature.properties) ? (feature.properties as Record<string, unknown>) : {};
    for (const [k, v] of Object.entries(props)) {
      if (k === 'lat' || k === 'lon') continue;
      columns.add(k);
      if (v !== null && v !== undefined) values[k] = typeof v === 'object' ? JSON.stringify(v) : v;
    }
    if (values.id === undefined && (typeof feature.id === 'string' || typeof feature.id === 'number')) values.id = String(feature.id);
    columns.add('id');
    const g = feature.geometry as { type?: unknown; coordinates?: unknown } | null | undefined;
    if (!g) {
      if (located) problems.push({ row, field: 'geometry', problem: 'a Point geometry is required' });
    } else if (g.type !== 'Point' || !Array.isArray(g.coordinates) || g.coordinates.length < 2 || !g.coordinates.slice(0, 2).every((c) => typeof c === 'number' && Number.isFinite(c))) {
      problems.push({ row, field: 'geometry', problem: 'must be a Point with [longitude, latitude]' });
    } else if (located) {
      values.lon = g.coordinates[0];
      values.lat = g.coordinates[1];
    }
    return { row, values };
  });
  if (located) columns.add('lat').add('lon');
  return { columns: [...columns], records, problems };
}

/** Records (with lat/lon when located) as a FeatureCollection of Points. */
export function writeFeatureCollection(records: Record<string, string | number | undefined>[]): { type: 'FeatureCollection'; features: unknown[] } {
  return {
    type: 'FeatureCollection',
    features: records.map((r) => {
      const { lat, lon, ...rest } = r;
      const properties = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
      return {
        type: 'Feature',
        id: r.id,
        geometry: typeof lat === 'number' && typeof lon === 'number' ? { type: 'Point', coordinates: [lon, lat] } : null,
        properties,
      };
    }),
  };
}
