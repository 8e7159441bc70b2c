import { describe, expect, it } from 'vitest';
import type { AttributeInstance, StoredEntity } from '../entities/model.ts';
import type { EntityChange } from '../entities/service.ts';
import { parseQuery } from '../query/q.ts';
import { distanceM, evaluateGeo, haversineM } from './geo-eval.ts';
import { parseGeoQuery } from '../query/geo.ts';
import { compileMatcher, matchChange, scopeQMatches } from './match.ts';
import type { SubscriptionDoc, Trigger } from './model.ts';
import { compileQEvaluator } from './q-eval.ts';
import { parseScopeQuery } from '../query/scope.ts';

const NS = 'https://example.org/';
const terms = { expandAttr: (t: string) => (t.includes('://') ? t : NS + t), expandVocab: (t: string) => NS + t };
const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:00:01.000Z';

const prop = (value: unknown, extra: Partial<AttributeInstance> = {}): AttributeInstance[] => [{ type: 'Property', value, createdAt: T0, modifiedAt: T0, ...extra }];

function entity(id: string, attrs: Record<string, AttributeInstance[]>, extra: Partial<StoredEntity> = {}): StoredEntity {
  const full: Record<string, AttributeInstance[]> = {};
  for (const [k, v] of Object.entries(attrs)) full[NS + k] = v;
  return { id, types: [NS + 'Bin'], scopes: [], attrs: full, createdAt: T0, modifiedAt: T0, ...extra };
}

function sub(over: Partial<SubscriptionDoc> = {}): Pick<SubscriptionDoc, 'entities' | 'watchedAttributes' | 'notificationTrigger' | 'q' | 'scopeQ' | 'geoQ'> {
  return { entities: [{ type: NS + 'Bin' }], notificationTrigger: ['attributeCreated', 'attributeUpdated'], ...over };
}

const updated = (before: StoredEntity, after: StoredEntity): EntityChange => ({ kind: 'updated', before, after });
const reason = (s: ReturnType<typeof sub>, c: EntityChange) => matchChange(compileMatcher(s, terms), c)?.reason;

describe('q evaluated on one entity', () => {
  const e = entity('urn:b:1', {
    fill: prop(80, { observedAt: '2026-01-01T10:00:00.000Z' }),
    status: prop('ok'),
    tags: prop(['a', 'b']),
    spec: prop({ size: { l: 120 } }),
    owner: [{ type: 'Relationship', object: 'urn:p:1' }],
    kind: [{ type: 'VocabProperty', vocab: NS + 'glass' }],
  });
  const q = (s: string) => compileQEvaluator(parseQuery(s), terms)(e.attrs);

  it('compares numbers, strings and ranges like the SQL path', () => {
    expect([q('fill>50'), q('fill>=80'), q('fill<80'), q('fill==70..90'), q('fill!=80'), q('fill==1,2,80')]).toEqual([true, true, false, true, false, true]);
    expect([q('status=="ok"'), q('status!="ko"'), q('status==80'), q('fill=="80"')]).toEqual([true, true, false, false]);
  });

  it('treats a missing attribute as false, also for != and !~=', () => {
    expect([q('missing'), q('!missing'), q('missing!=3'), q('missing!~=x'), q('missing==3')]).toEqual([false, true, false, false, false]);
  });

  it('matches array elements, compound members, metadata, relationships and vocab terms', () => {
    expect(q('tags=="b"')).toBe(true);
    expect(q('spec[size.l]==120')).toBe(true);
    expect(q('fill.observedAt>2026-01-01T09:00:00Z')).toBe(true);
    expect(q('owner==urn:p:1')).toBe(true);
    expect(q('kind=="glass"')).toBe(true);
  });

  it('combines with ; (and) binding tighter than | (or), and regex with (?i)', () => {
    expect(q('fill>90|status=="ok";fill>50')).toBe(true);
    expect(q('(fill>90|status=="ok");fill>95')).toBe(false);
    expect(q('status~=(?i)^OK$')).toBe(true);
    expect(q('status!~=^o')).toBe(false);
  });
});

describe('geo evaluated on one entity', () => {
  const casa: [number, number] = [-7.6, 33.58];
  const square = [[[-7.7, 33.5], [-7.5, 33.5], [-7.5, 33.7], [-7.7, 33.7], [-7.7, 33.5]]];

  it('measures great-circle distances', () => {
    // One degree of latitude is 111.195 km on the mean sphere (2πR/360).
    expect(haversineM([0, 0], [0, 1])).toBeCloseTo((2 * Math.PI * 6_371_008.8) / 360, 3);
    expect(distanceM({ type: 'Point', coordinates: [0, 0.001] }, { type: 'LineString', coordinates: [[-1, 0], [1, 0]] })).toBeCloseTo(111.195, 0);
  });

  it('answers near, within, intersects and disjoint for points and polygons', () => {
    const near = parseGeoQuery({ georel: 'near;maxDistance==2000', geometry: 'Point', coordinates: [-7.61, 33.58] });
    expect(evaluateGeo(near, { type: 'Point', coordinates: casa })).toBe(true); // ~927 m
    expect(evaluateGeo(parseGeoQuery({ georel: 'near;maxDistance==500', geometry: 'Point', coordinates: [-7.61, 33.58] }), { type: 'Point', coordinates: casa })).toBe(false);
    const within = parseGeoQuery({ georel: 'within', geometry: 'Polygon', coordinates: square });
    expect(evaluateGeo(within, { type: 'Point', coordinates: casa })).toBe(true);
    expect(evaluateGeo(within, { type: 'Point', coordinates: [-7.8, 33.58] })).toBe(false);
    const inter = parseGeoQuery({ georel: 'intersects', geometry: 'Polygon', coordinates: square });
    expect(evaluateGeo(inter, { type: 'LineString', coordinates: [[-8, 33.6], [-7.6, 33.6]] })).toBe(true);
    expect(evaluateGeo(parseGeoQuery({ georel: 'disjoint', geometry: 'Polygon', coordinates: square }), { type: 'Point', coordinates: [0, 0] })).toBe(true);
    expect(evaluateGeo(within, undefined)).toBe(false);
  });
});

describe('scopeQ evaluated on one entity', () => {
  it('supports exact, one-level and descendant patterns', () => {
    const m = (q: string, scopes: string[]) => scopeQMatches(parseScopeQuery(q), scopes);
    expect(m('/Casa/Anfa', ['/Casa/Anfa'])).toBe(true);
    expect(m('/Casa/Anfa', ['/Casa/Anfa/Racine'])).toBe(false);
    expect(m('/Casa/#', ['/Casa/Anfa/Racine'])).toBe(true);
    expect(m('/Casa/+/Racine', ['/Casa/Anfa/Racine'])).toBe(true);
    expect(m('/Rabat,/Casa/+', ['/Casa/Anfa'])).toBe(true);
    expect(m('/Rabat;/Casa/+', ['/Casa/Anfa'])).toBe(false);
  });
});

describe('matchChange', () => {
  const before = entity('urn:b:1', { fill: prop(10), status: prop('ok') });
  const fillUp = entity('urn:b:1', { fill: prop(90, { modifiedAt: T1 }), status: prop('ok') });

  it('notifies creation and attribute updates with the default triggers', () => {
    expect(reason(sub(), { kind: 'created', after: before })).toBe('attributeCreated');
    expect(reason(sub(), updated(before, fillUp))).toBe('attributeUpdated');
    expect(reason(sub(), { kind: 'deleted', before })).toBeUndefined();
  });

  it('fires each trigger for its own kind of change only', () => {
    const only = (t: Trigger) => sub({ notificationTrigger: [t] });
    const added = entity('urn:b:1', { fill: prop(10), status: prop('ok'), temp: prop(20) });
    const removed = entity('urn:b:1', { fill: prop(10) });
    expect(reason(only('entityCreated'), { kind: 'created', after: before })).toBe('entityCreated');
    expect(reason(only('entityCreated'), updated(before, fillUp))).toBeUndefined();
    expect(reason(only('entityDeleted'), { kind: 'deleted', before })).toBe('entityDeleted');
    expect(reason(only('entityUpdated'), updated(before, fillUp))).toBe('entityUpdated');
    expect(reason(only('entityUpdated'), { kind: 'created', after: before })).toBeUndefined();
    expect(reason(only('attributeCreated'), updated(before, added))).toBe('attributeCreated');
    expect(reason(only('attributeCreated'), updated(before, fillUp))).toBeUndefined();
    expect(reason(only('attributeDeleted'), updated(before, removed))).toBe('attributeDeleted');
    expect(reason(only('attributeUpdated'), updated(before, removed))).toBeUndefined();
  });

  it('reports the watched attributes that changed, and ignores changes of unwatched ones', () => {
    const s = sub({ watchedAttributes: [NS + 'status'] });
    expect(reason(s, updated(before, fillUp))).toBeUndefined();
    const statusKo = entity('urn:b:1', { fill: prop(10), status: prop('ko', { modifiedAt: T1 }) });
    const m = matchChange(compileMatcher(s, terms), updated(before, statusKo));
    expect(m).toEqual({ reason: 'attributeUpdated', created: [], updated: [NS + 'status'], deleted: [] });
  });

  it('selects by type, id and idPattern, and filters with q on the new state', () => {
    expect(reason(sub({ entities: [{ type: NS + 'Lamp' }] }), updated(before, fillUp))).toBeUndefined();
    expect(reason(sub({ entities: [{ type: NS + 'Bin', id: 'urn:b:2' }] }), updated(before, fillUp))).toBeUndefined();
    expect(reason(sub({ entities: [{ type: NS + 'Bin', idPattern: '^urn:b:[0-9]$' }] }), updated(before, fillUp))).toBe('attributeUpdated');
    expect(reason(sub({ q: 'fill>80' }), updated(before, fillUp))).toBe('attributeUpdated');
    expect(reason(sub({ q: 'fill>80' }), updated(fillUp, before))).toBeUndefined();
    expect(reason(sub({ entities: undefined, watchedAttributes: [NS + 'fill'] }), updated(before, fillUp))).toBe('attributeUpdated');
  });

  it('filters with geoQ and scopeQ', () => {
    const at = (lon: number) => entity('urn:b:1', { fill: prop(10), location: [{ type: 'GeoProperty', value: { type: 'Point', coordinates: [lon, 33.58] } }] }, { scopes: ['/Casa/Anfa'] });
    const geoQ = { georel: 'near;maxDistance==1000', geometry: 'Point', coordinates: [-7.6, 33.58], geoproperty: NS + 'location' };
    expect(reason(sub({ geoQ }), { kind: 'created', after: at(-7.601) })).toBe('attributeCreated');
    expect(reason(sub({ geoQ }), { kind: 'created', after: at(-7.7) })).toBeUndefined();
    expect(reason(sub({ scopeQ: '/Casa/#' }), { kind: 'created', after: at(0) })).toBe('attributeCreated');
    expect(reason(sub({ scopeQ: '/Rabat' }), { kind: 'created', after: at(0) })).toBeUndefined();
  });
});
