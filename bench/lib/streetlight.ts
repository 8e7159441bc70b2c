/** Synthetic Streetlight entities in the Smart Data Models shape, placed in Casablanca. Deterministic. */

import { mulberry32 as prng } from '../../src/region/random.ts';

/** Casablanca bounding box (WGS84). */
export const BBOX = { lonMin: -7.72, lonMax: -7.45, latMin: 33.5, latMax: 33.64 };

/** mulberry32: small, fast, seedable — the region seeder's generator. */
export { prng };

const DISTRICTS = [
  'Anfa', 'Maarif', 'Ain Chock', 'Hay Hassani', 'Sidi Bernoussi', 'Ben Msick',
  'Al Fida', 'Moulay Rachid', 'Sidi Othmane', 'Ain Sebaa', 'Hay Mohammadi', 'Roches Noires',
];
const CATEGORIES = ['road', 'sidewalk', 'pedestrianPath', 'garden', 'parking', 'centralIsland'];
const MODELS = ['LED_80W_8m', 'LED_120W_10m', 'SAP_150W_10m', 'LED_60W_6m'];

export function entityId(tenant: string, n: number | string): string {
  return `urn:ngsi-ld:Streetlight:${tenant}:${n}`;
}

export function randomPoint(rnd: () => number): [number, number] {
  const lon = BBOX.lonMin + rnd() * (BBOX.lonMax - BBOX.lonMin);
  const lat = BBOX.latMin + rnd() * (BBOX.latMax - BBOX.latMin);
  return [Math.round(lon * 1e6) / 1e6, Math.round(lat * 1e6) / 1e6];
}

/** One normalized NGSI-LD Streetlight (no @context: the core context's default vocabulary). */
export function streetlight(tenant: string, n: number | string, seed: number): Record<string, unknown> {
  const rnd = prng(seed);
  const on = rnd() < 0.5;
  const defective = rnd() < 0.05;
  const lampChange = new Date(Date.UTC(2019, 0, 1) + Math.floor(rnd() * 5 * 365 * 86400_000));
  const observed = new Date(Date.UTC(2025, 0, 1) + Math.floor(rnd() * 180 * 86400_000)).toISOString();
  return {
    id: entityId(tenant, n),
    type: 'Streetlight',
    location: { type: 'GeoProperty', value: { type: 'Point', coordinates: randomPoint(rnd) } },
    areaServed: { type: 'Property', value: DISTRICTS[Math.floor(rnd() * DISTRICTS.length)] },
    circuit: { type: 'Property', value: `C-${Math.floor(rnd() * 400)}` },
    controllingMethod: { type: 'Property', value: rnd() < 0.8 ? 'group' : 'individual' },
    locationCategory: { type: 'Property', value: CATEGORIES[Math.floor(rnd() * CATEGORIES.length)] },
    lanternHeight: { type: 'Property', value: 6 + Math.floor(rnd() * 7), unitCode: 'MTR' },
    powerState: { type: 'Property', value: on ? 'on' : 'off', observedAt: observed },
    illuminanceLevel: { type: 'Property', value: on ? Math.round(rnd() * 1000) / 1000 : 0, observedAt: observed },
    powerConsumption: { type: 'Property', value: on ? Math.round(40 + rnd() * 110) : 0, unitCode: 'WTT', observedAt: observed },
    status: { type: 'Property', value: defective ? 'defectiveLamp' : 'ok' },
    dateLastLampChange: { type: 'Property', value: { '@type': 'DateTime', '@value': lampChange.toISOString() } },
    refStreetlightModel: {
      type: 'Relationship',
      object: `urn:ngsi-ld:StreetlightModel:${MODELS[Math.floor(rnd() * MODELS.length)]}`,
    },
    refStreetlightGroup: { type: 'Relationship', object: `urn:ngsi-ld:StreetlightGroup:${tenant}:G${Math.floor(rnd() * 500)}` },
  };
}
