import { beforeAll, describe, expect, it } from 'vitest';
import { apportion, FULL_COUNTS, generateAssets, LAMPS_PER_CABINET, parseScale, samplingPlaces, type Asset } from './assets.ts';
import { pointInGeometry } from './point-in-polygon.ts';
import { loadRegionData, type RegionData } from './region-data.ts';
import { assetEntity } from './asset-entities.ts';

let data: RegionData;
let full: Asset[];

beforeAll(() => {
  data = loadRegionData();
  full = generateAssets(data, { seed: 42, scale: 1 });
});

const count = (assets: Asset[], kind: Asset['kind']) => assets.filter((a) => a.kind === kind).length;

/** Spearman rank correlation (no ties expected on real-valued densities). */
function spearman(xs: number[], ys: number[]): number {
  const rank = (v: number[]) => {
    const order = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
    const r = new Array<number>(v.length);
    order.forEach(([, i], k) => (r[i] = k));
    return r;
  };
  const rx = rank(xs);
  const ry = rank(ys);
  const n = xs.length;
  const d2 = rx.reduce((s, r, i) => s + (r - ry[i]) ** 2, 0);
  return 1 - (6 * d2) / (n * (n * n - 1));
}

describe('apportion', () => {
  it('splits a total by weight with the largest remainders, summing exactly', () => {
    expect(apportion(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(apportion(7, [5, 3, 2])).toEqual([4, 2, 1]); // 3.5, 2.1, 1.4 -> floors 3,2,1, remainder to the .5
    expect(apportion(100, [0, 0])).toEqual([0, 0]);
    const w = [3, 17, 0.5, 99, 12];
    expect(apportion(1234, w).reduce((s, x) => s + x, 0)).toBe(1234);
  });
});

describe('synthetic asset generator', () => {
  it('produces the full-scale counts: over 20,000 assets, mostly streetlights, one cabinet per 25 lamps of a place', () => {
    expect(count(full, 'streetlight')).toBe(FULL_COUNTS.streetlight);
    expect(count(full, 'wasteContainer')).toBe(FULL_COUNTS.wasteContainer);
    expect(count(full, 'trafficCounter')).toBe(FULL_COUNTS.trafficCounter);
    expect(count(full, 'energyMeter')).toBe(FULL_COUNTS.energyMeter);
    expect(count(full, 'airQuality')).toBe(FULL_COUNTS.airQuality);
    const lampsPerPlace = new Map<string, number>();
    for (const a of full) if (a.kind === 'streetlight') lampsPerPlace.set(a.deviceId.split('-')[1], (lampsPerPlace.get(a.deviceId.split('-')[1]) ?? 0) + 1);
    const expectedCabinets = [...lampsPerPlace.values()].reduce((s, n) => s + Math.ceil(n / LAMPS_PER_CABINET), 0);
    expect(count(full, 'cabinet')).toBe(expectedCabinets);
    expect(full.length).toBeGreaterThan(20_000);
  });

  it('is deterministic: the same seed gives the same ids and positions', () => {
    const again = generateAssets(data, { seed: 42, scale: 1 });
    expect(again.map((a) => `${a.entityId}@${a.lon},${a.lat}`)).toEqual(full.map((a) => `${a.entityId}@${a.lon},${a.lat}`));
  });

  it('moves assets with another seed but keeps the same ids', () => {
    const other = generateAssets(data, { seed: 43, scale: 1 });
    expect(other.map((a) => a.entityId)).toEqual(full.map((a) => a.entityId));
    const moved = other.filter((a, i) => a.lon !== full[i].lon || a.lat !== full[i].lat).length;
    expect(moved / other.length).toBeGreaterThan(0.99);
  });

  it('gives unique ids', () => {
    expect(new Set(full.map((a) => a.entityId)).size).toBe(full.length);
  });

  it("places every asset inside its place's real boundary and scopes it there", () => {
    const communes = new Map(data.communes.map((c) => [c.code, c]));
    const arrs = new Map(data.arrondissements.map((a) => [a.code, a]));
    for (const a of full) {
      const commune = communes.get(a.communeCode)!;
      expect(pointInGeometry(a.lon, a.lat, commune.geometry)).toBe(true);
      if (a.arrondissementCode) {
        expect(pointInGeometry(a.lon, a.lat, arrs.get(a.arrondissementCode)!.geometry)).toBe(true);
        expect(a.scope).toBe(`/MA-06/${a.communeCode}/${a.arrondissementCode}`);
      } else {
        expect(a.scope).toBe(`/MA-06/${a.communeCode}`);
      }
    }
    // Casablanca's assets all carry an arrondissement scope.
    expect(full.filter((a) => a.communeCode === '006141010').every((a) => a.arrondissementCode)).toBe(true);
  });

  it('allocates streetlights in proportion to population, so they are denser where people are', () => {
    const places = samplingPlaces(data);
    const lamps = new Map<string, number>();
    for (const a of full) if (a.kind === 'streetlight') lamps.set(a.arrondissementCode ?? a.communeCode, (lamps.get(a.arrondissementCode ?? a.communeCode) ?? 0) + 1);
    const totalPop = places.reduce((s, p) => s + p.population, 0);
    for (const p of places) expect(Math.abs((lamps.get(p.code) ?? 0) - (FULL_COUNTS.streetlight * p.population) / totalPop)).toBeLessThan(1);
    const big = places.filter((p) => (lamps.get(p.code) ?? 0) >= 20);
    const rho = spearman(
      big.map((p) => p.density),
      big.map((p) => (lamps.get(p.code) ?? 0) / p.areaKm2),
    );
    expect(rho).toBeGreaterThan(0.95);
  });

  it('hangs each lamp on the nearest cabinet of its place', () => {
    const cabinets = full.filter((a) => a.kind === 'cabinet');
    const lamps = full.filter((a) => a.kind === 'streetlight').slice(0, 300);
    for (const lamp of lamps) {
      const place = lamp.deviceId.split('-')[1];
      const own = cabinets.filter((c) => c.deviceId.split('-')[1] === place);
      const d = (c: Asset) => ((c.lon - lamp.lon) * Math.cos((lamp.lat * Math.PI) / 180)) ** 2 + (c.lat - lamp.lat) ** 2;
      const nearest = own.reduce((best, c) => (d(c) < d(best) ? c : best));
      expect(d(own.find((c) => c.entityId === lamp.params.cabinet)!)).toBeCloseTo(d(nearest), 6);
    }
  });

  it('scales down for tests and parses scale names', () => {
    expect(parseScale('small')).toBe(0.05);
    expect(parseScale('0.2')).toBe(0.2);
    expect(() => parseScale('huge')).toThrow();
    const small = generateAssets(data, { seed: 42, scale: 0.05 });
    expect(count(small, 'streetlight')).toBe(900);
    expect(small.length).toBeLessThan(1500);
  });

  it('labels every asset entity synthetic, with a Smart Data Models type and its scope', () => {
    const sample = [full.find((a) => a.kind === 'streetlight')!, full.find((a) => a.kind === 'wasteContainer')!, full.find((a) => a.kind === 'airQuality')!];
    for (const a of sample) {
      const e = assetEntity(a, Date.parse('2026-06-21T22:00:00Z'), 42);
      expect(e.synthetic).toEqual({ type: 'Property', value: true });
      expect(e.dataProvider).toEqual({ type: 'Property', value: 'Madina synthetic generator' });
      expect(e.scope).toBe(a.scope);
      expect(e.location).toEqual({ type: 'GeoProperty', value: { type: 'Point', coordinates: [a.lon, a.lat] } });
    }
    const lamp = assetEntity(sample[0], Date.parse('2026-06-21T22:00:00Z'), 42);
    expect(lamp.type).toBe('Streetlight');
    expect((lamp.refStreetlightModel as { object: string }).object).toMatch(/^urn:ngsi-ld:StreetlightModel:/);
    expect((lamp.refStreetlightControlCabinet as { object: string }).object).toMatch(/^urn:ngsi-ld:StreetlightControlCabinet:cab-/);
  });
});
