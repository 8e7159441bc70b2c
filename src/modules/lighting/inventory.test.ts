import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PlaceLocator } from '../../region/places.ts';
import { loadRegionData } from '../../region/region-data.ts';
import { writeFeatureCollection } from './geojson-import.ts';
import { checkFile, FileSyntaxError, readInventoryFile, referencedIds, toRecord, type ValidationContext } from './inventory.ts';
import { formatCsv } from './csv.ts';
import { columnsOf } from './inventory.ts';

const fixture = (name: string) => readFileSync(new URL(`../../../test/fixtures/lighting/${name}`, import.meta.url), 'utf8');
const locator = new PlaceLocator(loadRegionData());
const ctx = (existing: ValidationContext['existing'] = {}): ValidationContext => ({ locate: (lon, lat) => locator.locate(lon, lat), existing });
const CAB = 'urn:ngsi-ld:StreetlightControlCabinet:cab-sb-01';

describe('inventory import: validation report', () => {
  it('reports every problem of the file by row and field', () => {
    const file = readInventoryFile('Streetlight', 'csv', fixture('streetlights-with-errors.csv'));
    expect([...referencedIds('Streetlight', file.records).get('StreetlightControlCabinet')!]).toEqual([CAB, 'urn:ngsi-ld:StreetlightControlCabinet:cab-nowhere']);
    const v = checkFile('Streetlight', file, ctx({ StreetlightControlCabinet: new Set([CAB]) }));
    expect(v.rows).toBe(7);
    expect(v.problems.map((p) => [p.row, p.field])).toEqual([
      [3, 'lat'],
      [4, 'lampTechnology'],
      [5, 'powerRating'],
      [5, 'refStreetlightControlCabinet'],
      [5, 'dateLastLampChange'],
      [6, 'id'],
      [8, 'id'],
      [8, 'lampTechnology'],
      [8, 'powerRating'],
    ]);
    expect(v.problems[0].problem).toMatch(/not in any commune of Casablanca-Settat/);
    expect(v.problems[1].problem).toBe('must be one of HPS, LPS, MH, LED: "LEDs"');
    expect(v.problems[2].problem).toBe('not a number: "1,5 kW"');
    expect(v.problems[3].problem).toBe('no StreetlightControlCabinet cab-nowhere in the file or the hub');
    expect(v.problems[5].problem).toBe('duplicate id, already on row 2');
    expect(v.problems[6].problem).toBe('required');
    expect(v.warnings).toEqual([{ row: 1, field: 'colour', problem: 'unknown column, ignored' }]);
    expect(v.valid.map((r) => r.row)).toEqual([2, 7]);
  });

  it('builds Smart Data Models entities in the scope of the arrondissement they stand in', () => {
    const v = checkFile('Streetlight', readInventoryFile('Streetlight', 'csv', fixture('streetlights.csv')), ctx({ StreetlightControlCabinet: new Set([CAB]) }));
    expect(v.problems).toEqual([]);
    expect(v.valid[0].entity).toEqual({
      id: 'urn:ngsi-ld:Streetlight:sb-0001',
      type: 'Streetlight',
      scope: '/MA-06/006141010/061410107',
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [-7.633, 33.589] } },
      lampTechnology: { type: 'Property', value: 'HPS' },
      powerRating: { type: 'Property', value: 150, unitCode: 'WTT' },
      ballastLoss: { type: 'Property', value: 0.15 },
      refStreetlightControlCabinet: { type: 'Relationship', object: CAB },
      lanternHeight: { type: 'Property', value: 10, unitCode: 'MTR' },
      dateLastLampChange: { type: 'Property', value: { '@type': 'DateTime', '@value': '2019-03-01T00:00:00.000Z' } },
      controllingMethod: { type: 'Property', value: 'group' },
      status: { type: 'Property', value: 'ok' },
    });
  });

  it('reads decimal commas in semicolon files', () => {
    const v = checkFile('Streetlight', readInventoryFile('Streetlight', 'csv', 'id;lat;lon;lampTechnology;powerRating\nx;33,5890;-7,6330;LED;60\n'), ctx());
    expect(v.problems).toEqual([]);
    expect(v.valid[0].entity.location).toEqual({ type: 'GeoProperty', value: { type: 'Point', coordinates: [-7.633, 33.589] } });
  });

  it('validates GeoJSON features, numbering rows by feature', () => {
    const v = checkFile('Streetlight', readInventoryFile('Streetlight', 'geojson', fixture('streetlights.geojson')), ctx());
    expect(v.problems.map((p) => [p.row, p.field])).toEqual([
      [3, 'geometry'],
      [4, 'lampTechnology'],
      [4, 'powerRating'],
    ]);
    expect(v.valid.map((r) => r.entity.scope)).toEqual(['/MA-06/006141010/061410131', '/MA-06/006141010/061410131']);
    expect(() => readInventoryFile('Streetlight', 'geojson', '{"type":"Feature"}')).toThrow(FileSyntaxError);
    expect(() => readInventoryFile('Streetlight', 'geojson', '{oops')).toThrow(/not JSON/);
  });

  it('exports what it imports: entity → record → CSV/GeoJSON → the same entity', () => {
    const c = ctx({ StreetlightControlCabinet: new Set([CAB]) });
    const first = checkFile('Streetlight', readInventoryFile('Streetlight', 'csv', fixture('streetlights.csv')), c).valid.map((r) => r.entity);
    // The hub answers keyValues: flatten the entities the way it does.
    const kv = first.map((e) => Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v && typeof v === 'object' && 'value' in v ? v.value : v && typeof v === 'object' && 'object' in v ? v.object : v])));
    const records = kv.map((e) => toRecord('Streetlight', e));
    const again = checkFile('Streetlight', readInventoryFile('Streetlight', 'csv', formatCsv(columnsOf('Streetlight'), records)), c).valid.map((r) => r.entity);
    expect(again).toEqual(first);
    const geo = checkFile('Streetlight', readInventoryFile('Streetlight', 'geojson', JSON.stringify(writeFeatureCollection(records))), c).valid.map((r) => r.entity);
    expect(geo).toEqual(first);
  });
});
