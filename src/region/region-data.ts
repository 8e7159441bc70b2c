/**
 * Reads the open data the project ships in data/morocco/ (OpenStreetMap boundaries, ODbL; HCP census):
 * Casablanca-Settat communes, Casablanca's arrondissements, the tram and busway network.
 */
import { readFileSync } from 'node:fs';
import type { PolygonGeometry } from './point-in-polygon.ts';

export const DATA_DIR = new URL('../../data/morocco/', import.meta.url);

export interface CommuneRecord {
  code: string;
  hcpCode: string;
  nameFr: string;
  nameAr: string;
  communeType: 'urban' | 'rural';
  provinceCode: string;
  cercleCode: string | null;
  population2024: number | null;
  households2024: number | null;
  population2014: number | null;
  changePct: number | null;
  areaKm2: number | null;
  density2024: number | null;
  geometry: PolygonGeometry;
}

export interface ArrondissementRecord {
  code: string;
  hcpCode: string;
  nameFr: string;
  nameAr: string;
  /** 9-digit code of the commune it belongs to (from the communes file, matched on the HCP code). */
  communeCode: string;
  population2024: number | null;
  households2024: number | null;
  population2014: number | null;
  geometry: PolygonGeometry;
}

export interface TransitFeature {
  osmId: string;
  geometry: { type: 'Point' | 'LineString'; coordinates: unknown };
  tags: Record<string, string>;
  /** Refs (T1, BW2, ...) of the route relations a node belongs to. */
  routeRefs: string[];
}

export interface RegionData {
  communes: CommuneRecord[];
  arrondissements: ArrondissementRecord[];
  transit: TransitFeature[];
}

type Feature = { id?: string; properties: Record<string, any>; geometry: any };

function readGeoJson(name: string, dir: URL): Feature[] {
  return (JSON.parse(readFileSync(new URL(name, dir), 'utf8')) as { features: Feature[] }).features;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function loadRegionData(dir: URL = DATA_DIR): RegionData {
  const communes: CommuneRecord[] = readGeoJson('casablanca-settat-communes.geojson', dir).map((f) => ({
    code: String(f.properties.code),
    hcpCode: String(f.properties.hcp_code),
    nameFr: String(f.properties.name_fr),
    nameAr: String(f.properties.name_ar),
    communeType: f.properties.type === 'rural' ? 'rural' : 'urban',
    provinceCode: String(f.properties.province_code),
    cercleCode: f.properties.cercle_code ?? null,
    population2024: num(f.properties.population_2024),
    households2024: num(f.properties.households_2024),
    population2014: num(f.properties.population_2014),
    changePct: num(f.properties.change_pct_2014_2024),
    areaKm2: num(f.properties.area_km2),
    density2024: num(f.properties.density_2024),
    geometry: f.geometry as PolygonGeometry,
  }));
  const byHcp = new Map(communes.map((c) => [c.hcpCode, c.code]));
  const arrondissements: ArrondissementRecord[] = readGeoJson('casablanca-arrondissements.geojson', dir).map((f) => {
    const communeCode = byHcp.get(String(f.properties.commune_code));
    if (!communeCode) throw new Error(`arrondissement ${f.properties.code}: unknown commune ${f.properties.commune_code}`);
    return {
      code: String(f.properties.code),
      hcpCode: String(f.properties.hcp_code),
      nameFr: String(f.properties.name_fr),
      nameAr: String(f.properties.name_ar),
      communeCode,
      population2024: num(f.properties.population_2024),
      households2024: num(f.properties.households_2024),
      population2014: num(f.properties.population_2014),
      geometry: f.geometry as PolygonGeometry,
    };
  });
  const transit: TransitFeature[] = readGeoJson('casablanca-tram-busway.geojson', dir).map((f) => {
    const { '@id': osmId, '@relations': relations, ...tags } = f.properties;
    return {
      osmId: String(osmId ?? f.id),
      geometry: f.geometry,
      tags: tags as Record<string, string>,
      routeRefs: [...new Set(((relations ?? []) as { reltags?: { ref?: string } }[]).map((r) => r.reltags?.ref).filter((r): r is string => !!r))],
    };
  });
  return { communes, arrondissements, transit };
}
