import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * The base map drawn from the open data Madina ships (data/morocco): commune and arrondissement
 * polygons, tram and busway lines and stops. Served compact (rounded coordinates, only the
 * properties the map uses) so the first map appears without waiting for the hub.
 */
export const BASE_LAYERS = ['communes', 'arrondissements', 'transit-lines', 'transit-stops'] as const;
export type BaseLayer = (typeof BASE_LAYERS)[number];

type Geometry = { type: string; coordinates: unknown };
type Feature = { type: 'Feature'; id?: string | number; properties: Record<string, unknown>; geometry: Geometry };

/** Metre precision is enough for a city map and makes the files about 40 % smaller. */
function round(coords: unknown): unknown {
  if (typeof coords === 'number') return Math.round(coords * 1e5) / 1e5;
  return Array.isArray(coords) ? coords.map(round) : coords;
}

// Casablanca's operator colours for the lines OpenStreetMap has no `colour` tag for.
const LINE_COLOURS: Record<string, string> = { T1: '#F38230', T2: '#FFDB2F', T3: '#8E3A8C', T4: '#00A0B0', BW1: '#3BA935', BW2: '#0072BC' };

function pick(p: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (p[k] !== undefined && p[k] !== null) out[k] = p[k];
  return out;
}

export function buildBaseLayer(dataDir: string, layer: BaseLayer): { type: 'FeatureCollection'; features: Feature[] } | undefined {
  const read = (file: string) => {
    const path = join(dataDir, file);
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { features: Feature[] }) : undefined;
  };
  let features: Feature[] = [];
  switch (layer) {
    case 'communes': {
      const fc = read('casablanca-settat-communes.geojson');
      if (!fc) return undefined;
      features = fc.features.map((f) => ({
        type: 'Feature',
        id: Number(f.properties.code),
        properties: pick(f.properties, ['code', 'name_fr', 'name_ar', 'type', 'population_2014', 'population_2024', 'households_2024', 'change_pct_2014_2024', 'area_km2', 'density_2024']),
        geometry: { type: f.geometry.type, coordinates: round(f.geometry.coordinates) },
      }));
      break;
    }
    case 'arrondissements': {
      const fc = read('casablanca-arrondissements.geojson');
      if (!fc) return undefined;
      features = fc.features.map((f) => ({
        type: 'Feature',
        id: Number(f.properties.code),
        properties: pick(f.properties, ['code', 'name_fr', 'name_ar', 'commune_code', 'population_2024', 'households_2024']),
        geometry: { type: f.geometry.type, coordinates: round(f.geometry.coordinates) },
      }));
      break;
    }
    case 'transit-lines':
    case 'transit-stops': {
      const fc = read('casablanca-tram-busway.geojson');
      if (!fc) return undefined;
      const seen = new Set<string>();
      for (const f of fc.features) {
        const p = f.properties;
        if (layer === 'transit-lines' && f.geometry.type.endsWith('LineString')) {
          const ref = String(p.ref ?? '');
          const mode = p.route === 'tram' ? 'tram' : 'busway';
          features.push({
            type: 'Feature',
            properties: { ref, name: p.name ?? ref, mode, colour: p.colour ?? LINE_COLOURS[ref] ?? '#555555' },
            geometry: { type: f.geometry.type, coordinates: round(f.geometry.coordinates) },
          });
        }
        if (layer === 'transit-stops' && f.geometry.type === 'Point' && p.name) {
          const mode = p.railway || p.tram === 'yes' ? 'tram' : 'busway';
          const key = `${p.name}|${mode}`;
          if (seen.has(key)) continue;
          seen.add(key);
          features.push({ type: 'Feature', properties: { name: p.name, mode }, geometry: { type: 'Point', coordinates: round(f.geometry.coordinates) } });
        }
      }
      break;
    }
  }
  return { type: 'FeatureCollection', features };
}

export interface EncodedJson {
  body: Buffer;
  gzip: Buffer;
  type: string;
  etag: string;
  maxAgeS?: number;
}

export function encodeJson(value: unknown, type = 'application/json; charset=utf-8'): EncodedJson {
  const body = Buffer.from(JSON.stringify(value));
  return { body, gzip: gzipSync(body, { level: 6 }), type, etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 20)}"` };
}
