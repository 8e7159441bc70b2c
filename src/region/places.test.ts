import { beforeAll, describe, expect, it } from 'vitest';
import { areaKm2, arrondissementEntity, communeEntity, PlaceLocator, placeEntities } from './places.ts';
import { pointInGeometry } from './point-in-polygon.ts';
import { loadRegionData, type RegionData } from './region-data.ts';
import { transitEntities } from './transit.ts';

let data: RegionData;
let locator: PlaceLocator;

beforeAll(() => {
  data = loadRegionData();
  locator = new PlaceLocator(data);
});

describe('places of Casablanca-Settat', () => {
  it('loads the 153 communes and the 16 arrondissements of Casablanca with their census', () => {
    expect(data.communes).toHaveLength(153);
    expect(data.arrondissements).toHaveLength(16);
    expect(data.communes.reduce((s, c) => s + (c.population2024 ?? 0), 0)).toBe(7_688_967);
    expect(data.arrondissements.reduce((s, a) => s + (a.population2024 ?? 0), 0)).toBe(3_215_935);
    expect(new Set(data.arrondissements.map((a) => a.communeCode))).toEqual(new Set(['006141010']));
  });

  it('builds Commune entities with names in French and Arabic, census fields and the commune scope', () => {
    const casa = communeEntity(data.communes.find((c) => c.code === '006141010')!);
    expect(casa.id).toBe('urn:ngsi-ld:Commune:006141010');
    expect(casa.name).toEqual({ type: 'LanguageProperty', languageMap: { fr: 'Casablanca', ar: 'الدار البيضاء' } });
    expect(casa.population2024).toEqual({ type: 'Property', value: 3_215_935 });
    expect(casa.population2014).toEqual({ type: 'Property', value: 3_357_173 });
    expect(casa.populationChange).toEqual({ type: 'Property', value: -4.21, unitCode: 'P1' });
    expect(casa.communeType).toEqual({ type: 'Property', value: 'urban' });
    expect(casa.scope).toBe('/MA-06/006141010');
    expect((casa.location as { value: { type: string } }).value.type).toMatch(/Polygon$/);
  });

  it('builds Arrondissement entities under their commune scope, with the area computed from the boundary', () => {
    const anfa = data.arrondissements.find((a) => a.nameFr === 'Anfa')!;
    const e = arrondissementEntity(anfa);
    expect(e.id).toBe('urn:ngsi-ld:Arrondissement:061410101');
    expect(e.scope).toBe('/MA-06/006141010/061410101');
    expect(e.refCommune).toEqual({ type: 'Relationship', object: 'urn:ngsi-ld:Commune:006141010' });
    expect(e.population2014).toBeUndefined(); // no 2014 figure per arrondissement in the source
    // The 16 arrondissements cover Casablanca: their areas add up to the commune's OSM area (216.76 km²)
    // within a few percent (the Méchouar enclave and boundary simplification).
    const total = data.arrondissements.reduce((s, a) => s + areaKm2(a.geometry), 0);
    expect(total).toBeGreaterThan(216.76 * 0.95);
    expect(total).toBeLessThan(216.76 * 1.05);
  });

  it('computes commune areas that agree with the shipped OSM areas', () => {
    for (const c of data.communes.filter((x) => x.areaKm2)) expect(Math.abs(areaKm2(c.geometry) - c.areaKm2!) / c.areaKm2!).toBeLessThan(0.02);
  });

  it('locates known places by point in polygon', () => {
    // Place Mohammed V, Casablanca: arrondissement Sidi Belyout.
    expect(locator.locate(-7.6187, 33.5928)).toEqual({ communeCode: '006141010', arrondissementCode: '061410107', scope: '/MA-06/006141010/061410107' });
    expect(locator.locate(-7.383, 33.6866)?.communeCode).toBe('063710101'); // Mohammedia
    expect(locator.locate(-7.6164, 33.001)?.communeCode).toBe('064610115'); // Settat
    expect(locator.locate(-8.5007, 33.2316)?.communeCode).toBe('061810103'); // El Jadida
    expect(locator.locate(-7.8, 33.8)).toBeUndefined(); // the Atlantic
  });

  it('puts the Méchouar enclave in its own commune, not in Casablanca', () => {
    const mechouar = data.communes.find((c) => c.code === '061410181')!;
    const ring = (mechouar.geometry.type === 'Polygon' ? mechouar.geometry.coordinates[0] : mechouar.geometry.coordinates[0][0]) as number[][];
    // A point inside: average the ring (the enclave is convex enough), checked independently.
    const lon = ring.reduce((s, p) => s + p[0], 0) / ring.length;
    const lat = ring.reduce((s, p) => s + p[1], 0) / ring.length;
    expect(pointInGeometry(lon, lat, mechouar.geometry)).toBe(true);
    expect(locator.locate(lon, lat)).toEqual({ communeCode: '061410181', scope: '/MA-06/061410181' });
  });

  it('writes a region entity, 153 communes and 16 arrondissements', () => {
    const all = placeEntities(data);
    expect(all.filter((e) => e.type === 'Commune')).toHaveLength(153);
    expect(all.filter((e) => e.type === 'Arrondissement')).toHaveLength(16);
    expect(all.find((e) => e.type === 'Region')?.scope).toBe('/MA-06');
  });
});

describe('tram and busway', () => {
  it('maps 12 route relations to TransitLine entities numbered per direction, keeping OSM ids', () => {
    const entities = transitEntities(data.transit, locator);
    const lines = entities.filter((e) => e.type === 'TransitLine');
    expect(lines.map((l) => l.id).sort()).toEqual(
      ['BW1', 'BW2', 'T1', 'T2', 'T3', 'T4'].flatMap((r) => [`urn:ngsi-ld:TransitLine:${r}:1`, `urn:ngsi-ld:TransitLine:${r}:2`]).sort(),
    );
    const t1 = lines.find((l) => l.id === 'urn:ngsi-ld:TransitLine:T1:1')!;
    expect(t1.osmId).toEqual({ type: 'Property', value: 'relation/4497427' }); // the lower relation id
    expect(t1.mode).toEqual({ type: 'Property', value: 'tram' });
    expect(t1.colour).toEqual({ type: 'Property', value: '#F38230' });
    expect(lines.find((l) => l.id === 'urn:ngsi-ld:TransitLine:BW1:1')!.mode).toEqual({ type: 'Property', value: 'busway' });
    expect((t1.scope as string[]).every((s) => s.startsWith('/MA-06/006141010/'))).toBe(true);
  });

  it('maps the 298 stop nodes to TransitStop entities scoped by the arrondissement they stand in', () => {
    const stops = transitEntities(data.transit, locator).filter((e) => e.type === 'TransitStop');
    expect(stops).toHaveLength(298);
    const yata = stops.find((s) => s.id === 'urn:ngsi-ld:TransitStop:2235605394')!;
    expect(yata.name).toEqual({ type: 'Property', value: 'Ali Yata' });
    expect(yata.nameAr).toEqual({ type: 'Property', value: 'علي يعتة' });
    expect(yata.mode).toEqual({ type: 'Property', value: 'tram' });
    expect(yata.scope).toMatch(/^\/MA-06\/006141010\/0614101\d\d$/);
    expect(stops.filter((s) => (s.mode as { value: string }).value === 'busway').length).toBeGreaterThan(50);
  });
});
