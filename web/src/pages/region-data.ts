import type { FeatureCollection, Geometry } from 'geojson';
import { getJson, queryAll, type KeyValues } from '../app/api';

/** One commune of the region overview: names, type and every numeric indicator the hub holds for it. */
export interface CommuneRow {
  code: string;
  name: Record<string, string>;
  communeType?: string;
  values: Record<string, number>;
}

export interface RegionData {
  rows: CommuneRow[];
  indicators: string[];
  geometry: FeatureCollection<Geometry, Record<string, unknown>>;
  /** hub: Commune entities; shipped: the census figures shipped with the base map (hub not seeded). */
  source: 'hub' | 'shipped';
}

/** Census indicators first, in this order; any other numeric attribute (modules' indicators) follows. */
export const KNOWN_INDICATORS = ['population2024', 'populationChange', 'density2024', 'population2014', 'households2024', 'areaKm2'];
const NOT_INDICATORS = new Set(['code']);

const SHIPPED: Record<string, string> = {
  population2014: 'population_2014',
  population2024: 'population_2024',
  households2024: 'households_2024',
  populationChange: 'change_pct_2014_2024',
  areaKm2: 'area_km2',
  density2024: 'density_2024',
};

function fromEntity(e: KeyValues): CommuneRow {
  const code = typeof e.code === 'string' ? e.code : e.id.split(':').pop()!;
  const name = (e.name as { languageMap?: Record<string, string> })?.languageMap ?? (typeof e.name === 'string' ? { fr: e.name } : { fr: code });
  const values: Record<string, number> = {};
  for (const [k, v] of Object.entries(e)) if (typeof v === 'number' && Number.isFinite(v) && !NOT_INDICATORS.has(k)) values[k] = v;
  return { code, name, communeType: typeof e.communeType === 'string' ? e.communeType : undefined, values };
}

function fromShipped(p: Record<string, unknown>): CommuneRow {
  const values: Record<string, number> = {};
  for (const [k, src] of Object.entries(SHIPPED)) if (typeof p[src] === 'number') values[k] = p[src] as number;
  return { code: String(p.code), name: { fr: String(p.name_fr), ar: String(p.name_ar ?? p.name_fr) }, communeType: String(p.type ?? ''), values };
}

export async function loadRegion(): Promise<RegionData> {
  const [base, entities] = await Promise.all([
    getJson<RegionData['geometry']>('/api/map/base/communes').then((r) => r.body),
    queryAll({ type: 'Commune', omit: 'location' }).catch(() => [] as KeyValues[]),
  ]);
  const source = entities.length ? 'hub' : 'shipped';
  const rows = source === 'hub' ? entities.map(fromEntity) : base.features.map((f) => fromShipped(f.properties));
  const present = new Set(rows.flatMap((r) => Object.keys(r.values)));
  const indicators = [...KNOWN_INDICATORS.filter((k) => present.has(k)), ...[...present].filter((k) => !KNOWN_INDICATORS.includes(k)).sort()];
  return { rows, indicators, geometry: base, source };
}

/** Bounding box of a GeoJSON geometry. */
export function bbox(g: Geometry): [[number, number], [number, number]] {
  let minX = Infinity,
    minY = Infinity,
    maxX = -Infinity,
    maxY = -Infinity;
  const walk = (c: unknown) => {
    if (Array.isArray(c) && typeof c[0] === 'number') {
      minX = Math.min(minX, c[0]);
      maxX = Math.max(maxX, c[0]);
      minY = Math.min(minY, c[1] as number);
      maxY = Math.max(maxY, c[1] as number);
    } else if (Array.isArray(c)) c.forEach(walk);
  };
  walk((g as { coordinates?: unknown }).coordinates);
  return [
    [minX, minY],
    [maxX, maxY],
  ];
}
