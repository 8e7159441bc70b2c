/**
 * Places are scopes (DESIGN.md): the region, its communes and Casablanca's arrondissements as NGSI-LD
 * entities, and the scope each place gives to everything located in it. Pure.
 */
import type { NgsiEntity } from '../hub/client/hub-client.ts';
import { planarArea, PolygonIndex, type PolygonGeometry } from './point-in-polygon.ts';
import type { ArrondissementRecord, CommuneRecord, RegionData } from './region-data.ts';

/** HCP code of région 06, Casablanca-Settat. */
export const REGION_CODE = '06';
export const REGION_SCOPE = '/MA-06';

export const communeScope = (communeCode: string) => `${REGION_SCOPE}/${communeCode}`;
export const arrondissementScope = (communeCode: string, arrondissementCode: string) => `${REGION_SCOPE}/${communeCode}/${arrondissementCode}`;

export const communeId = (code: string) => `urn:ngsi-ld:Commune:${code}`;
export const arrondissementId = (code: string) => `urn:ngsi-ld:Arrondissement:${code}`;
export const REGION_ID = 'urn:ngsi-ld:Region:MA-06';

export const PLACE_SOURCE = 'OpenStreetMap boundaries (© OpenStreetMap contributors, ODbL 1.0); Haut-Commissariat au Plan, RGPH 2024 / RGPH 2014';

/** Area in km² of a lon/lat geometry (equirectangular at its mean latitude; < 0.1% off at this size). */
export function areaKm2(geometry: PolygonGeometry): number {
  const ring = geometry.type === 'Polygon' ? geometry.coordinates[0] : geometry.coordinates[0][0];
  const meanLat = ring.reduce((s, p) => s + p[1], 0) / ring.length;
  const kmPerDeg = 111.32;
  return planarArea(geometry) * kmPerDeg * kmPerDeg * Math.cos((meanLat * Math.PI) / 180);
}

const prop = (value: unknown, extra: Record<string, unknown> = {}) => ({ type: 'Property', value, ...extra });

function censusAttributes(p: {
  population2014: number | null;
  population2024: number | null;
  households2024: number | null;
  changePct?: number | null;
  areaKm2: number | null;
  density2024: number | null;
}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (p.population2014 !== null) out.population2014 = prop(p.population2014);
  if (p.population2024 !== null) out.population2024 = prop(p.population2024);
  if (p.households2024 !== null) out.households2024 = prop(p.households2024);
  if (p.changePct !== undefined && p.changePct !== null) out.populationChange = prop(p.changePct, { unitCode: 'P1' });
  if (p.areaKm2 !== null) out.areaKm2 = prop(p.areaKm2, { unitCode: 'KMK' });
  if (p.density2024 !== null) out.density2024 = prop(p.density2024);
  return out;
}

export function communeEntity(c: CommuneRecord): NgsiEntity {
  return {
    id: communeId(c.code),
    type: 'Commune',
    name: { type: 'LanguageProperty', languageMap: { fr: c.nameFr, ar: c.nameAr } },
    code: prop(c.code),
    hcpCode: prop(c.hcpCode),
    communeType: prop(c.communeType),
    provinceCode: prop(c.provinceCode),
    ...(c.cercleCode ? { cercleCode: prop(c.cercleCode) } : {}),
    ...censusAttributes(c),
    refRegion: { type: 'Relationship', object: REGION_ID },
    location: { type: 'GeoProperty', value: c.geometry },
    source: prop(PLACE_SOURCE),
    scope: communeScope(c.code),
  };
}

export function arrondissementEntity(a: ArrondissementRecord): NgsiEntity {
  const area = Math.round(areaKm2(a.geometry) * 100) / 100;
  const density = a.population2024 !== null ? Math.round((a.population2024 / area) * 100) / 100 : null;
  return {
    id: arrondissementId(a.code),
    type: 'Arrondissement',
    name: { type: 'LanguageProperty', languageMap: { fr: a.nameFr, ar: a.nameAr } },
    code: prop(a.code),
    hcpCode: prop(a.hcpCode),
    ...censusAttributes({ ...a, areaKm2: area, density2024: density }),
    refCommune: { type: 'Relationship', object: communeId(a.communeCode) },
    location: { type: 'GeoProperty', value: a.geometry },
    source: prop(`${PLACE_SOURCE}; areaKm2 and density2024 computed by Madina from the boundary`),
    scope: arrondissementScope(a.communeCode, a.code),
  };
}

export function regionEntity(data: RegionData): NgsiEntity {
  const sum = (f: (c: CommuneRecord) => number | null) => data.communes.reduce((s, c) => s + (f(c) ?? 0), 0);
  return {
    id: REGION_ID,
    type: 'Region',
    name: { type: 'LanguageProperty', languageMap: { fr: 'Casablanca-Settat', ar: 'الدار البيضاء سطات' } },
    code: prop(REGION_CODE),
    population2024: prop(sum((c) => c.population2024)),
    households2024: prop(sum((c) => c.households2024)),
    population2014: prop(sum((c) => c.population2014)),
    communeCount: prop(data.communes.length),
    source: prop(PLACE_SOURCE),
    scope: REGION_SCOPE,
  };
}

export function placeEntities(data: RegionData): NgsiEntity[] {
  return [regionEntity(data), ...data.communes.map(communeEntity), ...data.arrondissements.map(arrondissementEntity)];
}

export interface PlaceOfPoint {
  communeCode: string;
  arrondissementCode?: string;
  /** The most specific scope: the arrondissement's where there is one, else the commune's. */
  scope: string;
}

/** Finds the commune (and arrondissement) holding a point, by point-in-polygon on the real boundaries. */
export class PlaceLocator {
  private readonly communes: PolygonIndex<string>;
  private readonly arrondissements: Map<string, PolygonIndex<string>>;

  constructor(data: RegionData) {
    this.communes = new PolygonIndex(data.communes.map((c) => ({ key: c.code, geometry: c.geometry })));
    this.arrondissements = new Map();
    const byCommune = new Map<string, ArrondissementRecord[]>();
    for (const a of data.arrondissements) byCommune.set(a.communeCode, [...(byCommune.get(a.communeCode) ?? []), a]);
    for (const [code, list] of byCommune) this.arrondissements.set(code, new PolygonIndex(list.map((a) => ({ key: a.code, geometry: a.geometry }))));
  }

  locate(lon: number, lat: number): PlaceOfPoint | undefined {
    const communeCode = this.communes.find(lon, lat);
    if (!communeCode) return undefined;
    const arrIndex = this.arrondissements.get(communeCode);
    if (!arrIndex) return { communeCode, scope: communeScope(communeCode) };
    const arrondissementCode = arrIndex.find(lon, lat);
    // A point of an arrondissement-bearing commune outside every arrondissement keeps the commune's scope.
    if (!arrondissementCode) return { communeCode, scope: communeScope(communeCode) };
    return { communeCode, arrondissementCode, scope: arrondissementScope(communeCode, arrondissementCode) };
  }
}
