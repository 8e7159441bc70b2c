import { describe, expect, it } from 'vitest';
import { coerce, compileDevice, entityIdOf, geoPoint, mapMeasures, MeasureRejected, provisionedAttributes } from './mapping.ts';
import type { DeviceDoc, GroupDoc } from './model.ts';

const group: GroupDoc = {
  apikey: 'k1',
  resource: '/iot/json',
  entity_type: 'WasteContainer',
  attributes: [
    { object_id: 'f', name: 'fillingLevel', type: 'Number', metadata: { unitCode: { type: 'Text', value: 'P1' } } },
    { object_id: 'tc', name: 'temperature', type: 'Float' },
  ],
  static_attributes: [{ name: 'location', type: 'geo:point', value: '33.589, -7.632' }],
  commands: [{ name: 'empty', type: 'command' }],
};

const dev = (doc: Partial<DeviceDoc> = {}, g: GroupDoc | undefined = group) => compileDevice('', { device_id: 'bin-1', ...doc }, g);
const NOW = '2026-01-01T10:00:00.000Z';

function rejection(fn: () => unknown): MeasureRejected {
  try {
    fn();
  } catch (err) {
    if (err instanceof MeasureRejected) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('entity ids', () => {
  it('uses entity_name when it is a URI', () => {
    expect(entityIdOf({ device_id: 'd1', entity_name: 'urn:ngsi-ld:Streetlight:anfa-1' }, 'Streetlight')).toBe('urn:ngsi-ld:Streetlight:anfa-1');
  });
  it('builds urn:ngsi-ld:<type>:<device_id> otherwise', () => {
    expect(entityIdOf({ device_id: 'd1' }, 'Streetlight')).toBe('urn:ngsi-ld:Streetlight:d1');
    expect(entityIdOf({ device_id: 'd1', entity_name: 'lamp 1'.replace(' ', '-') }, 'Streetlight')).toBe('urn:ngsi-ld:Streetlight:lamp-1');
  });
  it('inherits the entity type from the group, then Thing', () => {
    expect(dev().entityType).toBe('WasteContainer');
    expect(dev({ entity_type: 'Bin' }).entityType).toBe('Bin');
    expect(compileDevice('', { device_id: 'bin-1' }, undefined).entityType).toBe('Thing');
  });
});

describe('coerce', () => {
  it('turns numeric strings into numbers for Number and Integer', () => {
    expect(coerce('a', 'Number', '21.5')).toEqual({ type: 'Property', value: 21.5 });
    expect(coerce('a', 'Integer', 7)).toEqual({ type: 'Property', value: 7 });
  });
  it('rejects values that do not fit the type', () => {
    expect(rejection(() => coerce('a', 'Number', 'warm')).reason).toBe('wrong-type');
    expect(rejection(() => coerce('a', 'Integer', 7.5)).reason).toBe('wrong-type');
    expect(rejection(() => coerce('a', 'Boolean', 'yes')).reason).toBe('wrong-type');
    expect(rejection(() => coerce('a', 'Text', { x: 1 })).reason).toBe('wrong-type');
    expect(rejection(() => coerce('a', 'geo:point', '91,0')).reason).toBe('wrong-type');
  });
  it('reads booleans and their string forms', () => {
    expect(coerce('on', 'Boolean', 'true')).toEqual({ type: 'Property', value: true });
    expect(coerce('on', 'Boolean', false)).toEqual({ type: 'Property', value: false });
  });
  it('maps geo:point "lat,lon" to a GeoJSON Point [lon, lat]', () => {
    expect(geoPoint('33.589,-7.632')).toEqual({ type: 'Point', coordinates: [-7.632, 33.589] });
    expect(coerce('location', 'geo:point', '33.5, -7.6')).toEqual({ type: 'GeoProperty', value: { type: 'Point', coordinates: [-7.6, 33.5] } });
  });
  it('keeps geo:json geometries and makes Relationship objects', () => {
    const line = { type: 'LineString', coordinates: [[-7.6, 33.5], [-7.61, 33.51]] };
    expect(coerce('route', 'geo:json', line)).toEqual({ type: 'GeoProperty', value: line });
    expect(coerce('refStreet', 'Relationship', 'urn:ngsi-ld:Street:1')).toEqual({ type: 'Relationship', object: 'urn:ngsi-ld:Street:1' });
  });
  it('wraps DateTime values as typed literals', () => {
    expect(coerce('d', 'DateTime', '2026-01-01T10:00:00+01:00')).toEqual({ type: 'Property', value: { '@type': 'DateTime', '@value': '2026-01-01T09:00:00.000Z' } });
  });
});

describe('mapMeasures', () => {
  it('maps object_ids to attribute names with observedAt and unitCode', () => {
    expect(mapMeasures(dev(), { f: '42', tc: 18.25 }, NOW)).toEqual({
      fillingLevel: { type: 'Property', value: 42, unitCode: 'P1', observedAt: NOW },
      temperature: { type: 'Property', value: 18.25, observedAt: NOW },
    });
  });
  it('takes observedAt from the payload TimeInstant', () => {
    const out = mapMeasures(dev(), { f: 1, TimeInstant: '2026-01-01T08:30:00Z' }, NOW);
    expect(out).toEqual({ fillingLevel: { type: 'Property', value: 1, unitCode: 'P1', observedAt: '2026-01-01T08:30:00.000Z' } });
  });
  it('rejects a bad TimeInstant', () => {
    expect(rejection(() => mapMeasures(dev(), { f: 1, TimeInstant: 'yesterday' }, NOW)).reason).toBe('bad-timestamp');
  });
  it('passes undeclared measures through unless explicitAttrs', () => {
    expect(mapMeasures(dev(), { battery: 87 }, NOW)).toEqual({ battery: { type: 'Property', value: 87, observedAt: NOW } });
    expect(mapMeasures(dev({ explicitAttrs: true }), { battery: 87, f: 3 }, NOW)).toEqual({
      fillingLevel: { type: 'Property', value: 3, unitCode: 'P1', observedAt: NOW },
    });
  });
  it('ignores id and type and rejects the whole message on one wrong value', () => {
    expect(mapMeasures(dev(), { id: 'x', type: 'y' }, NOW)).toEqual({});
    expect(rejection(() => mapMeasures(dev(), { tc: 20, f: 'full' }, NOW)).reason).toBe('wrong-type');
  });
  it('rejects payloads that are not objects', () => {
    expect(rejection(() => mapMeasures(dev(), 42, NOW)).reason).toBe('not-an-object');
    expect(rejection(() => mapMeasures(dev(), [1], NOW)).reason).toBe('not-an-object');
  });
  it('lets a device attribute override the group one with the same object_id', () => {
    const d = dev({ attributes: [{ object_id: 'f', name: 'fillLevel', type: 'Integer' }] });
    expect(Object.keys(mapMeasures(d, { f: 5 }, NOW))).toEqual(['fillLevel']);
  });
});

describe('provisionedAttributes', () => {
  it('holds static attributes and each command with its status and info', () => {
    expect(provisionedAttributes(dev())).toEqual({
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [-7.632, 33.589] } },
      empty: { type: 'Property', value: '' },
      empty_status: { type: 'Property', value: 'UNKNOWN' },
      empty_info: { type: 'Property', value: '' },
    });
  });
});
