import { describe, expect, it } from 'vitest';
import { Problem } from '../../platform/http/problem.ts';
import { ContextService } from '../jsonld/context-service.ts';
import { InMemoryContextStore } from '../jsonld/context-store.ts';
import { applyAttributes, deleteAttribute, mergeAttributes, mergePatch } from './merge.ts';
import type { StoredEntity } from './model.ts';
import { parseEntity } from './parse.ts';
import { renderEntity } from './render.ts';

const contexts = new ContextService({ store: new InMemoryContextStore() });
const mapper = await contexts.mapper(undefined);
const DC = 'https://uri.etsi.org/ngsi-ld/default-context/';
const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-02T00:00:00.000Z';

function badRequest(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(Problem);
    expect((err as Problem).status).toBe(400);
    return (err as Problem).detail ?? '';
  }
  throw new Error('expected a BadRequestData problem');
}

describe('parseEntity', () => {
  it('expands names and types and keeps every attribute kind', () => {
    const e = parseEntity(
      {
        id: 'urn:ngsi-ld:Streetlight:1',
        type: 'Streetlight',
        scope: '/Casablanca-Settat/Casablanca/Anfa',
        power: { type: 'Property', value: 150, unitCode: 'WTT', observedAt: '2026-01-01T01:00:00+01:00' },
        refModel: { type: 'Relationship', object: 'urn:ngsi-ld:StreetlightModel:hps150' },
        location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [-7.6, 33.58] } },
        name: { type: 'LanguageProperty', languageMap: { fr: 'Lampe', ar: 'مصباح' } },
        category: { type: 'VocabProperty', vocab: 'street' },
        readings: { type: 'ListProperty', valueList: [1, 2] },
        raw: { type: 'JsonProperty', json: { any: ['thing'] } },
      },
      mapper,
    );
    expect(e.id).toBe('urn:ngsi-ld:Streetlight:1');
    expect(e.types).toEqual([`${DC}Streetlight`]);
    expect(e.scopes).toEqual(['/Casablanca-Settat/Casablanca/Anfa']);
    // observedAt is normalised to UTC.
    expect(e.attrs[`${DC}power`]).toEqual([{ type: 'Property', value: 150, unitCode: 'WTT', observedAt: T0 }]);
    expect(e.attrs['https://uri.etsi.org/ngsi-ld/location']?.[0].type).toBe('GeoProperty');
    expect(e.attrs[`${DC}category`]?.[0].vocab).toBe(`${DC}street`);
    expect(e.attrs[`${DC}refModel`]?.[0].object).toBe('urn:ngsi-ld:StreetlightModel:hps150');
  });

  it('reads the concise form: bare values, bare geometries and typed-by-member objects', () => {
    const e = parseEntity(
      { id: 'urn:x:1', type: 'T', level: 3, location: { type: 'Point', coordinates: [1, 2] }, owner: { object: 'urn:p:1' } },
      mapper,
    );
    expect(e.attrs[`${DC}level`]).toEqual([{ type: 'Property', value: 3 }]);
    expect(e.attrs['https://uri.etsi.org/ngsi-ld/location']).toEqual([{ type: 'GeoProperty', value: { type: 'Point', coordinates: [1, 2] } }]);
    expect(e.attrs[`${DC}owner`]).toEqual([{ type: 'Relationship', object: 'urn:p:1' }]);
  });

  it('keeps one instance per datasetId and refuses two with the same one', () => {
    const e = parseEntity(
      { id: 'urn:x:1', type: 'T', speed: [{ type: 'Property', value: 1 }, { type: 'Property', value: 2, datasetId: 'urn:d:gps' }] },
      mapper,
    );
    expect(e.attrs[`${DC}speed`]?.map((i) => i.datasetId)).toEqual([undefined, 'urn:d:gps']);
    expect(badRequest(() => parseEntity({ id: 'urn:x:1', type: 'T', speed: [{ value: 1 }, { value: 2 }] }, mapper))).toMatch(/two instances/);
  });

  it('keeps sub-attributes as expanded single instances', () => {
    const e = parseEntity({ id: 'urn:x:1', type: 'T', temp: { type: 'Property', value: 20, accuracy: { type: 'Property', value: 0.5 } } }, mapper);
    expect(e.attrs[`${DC}temp`]?.[0][`${DC}accuracy`]).toEqual({ type: 'Property', value: 0.5 });
  });

  it.each([
    [{ id: 'not a uri', type: 'T' }, /URI/],
    [{ id: 'urn:x:1', type: 'T', location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [0, 200] } } }, /latitude/],
    [{ id: 'urn:x:1', type: 'T', a: { type: 'Property' } }, /needs a "value"/],
    [{ id: 'urn:x:1', type: 'T', a: { type: 'Relationship', object: 'no uri' } }, /URI/],
    [{ id: 'urn:x:1', type: 'T', a: { type: 'Property', value: 1, observedAt: 'yesterday' } }, /observedAt/],
    [{ id: 'urn:x:1', type: 'T', a: null }, /null/],
    [{ id: 'urn:x:1', type: 'T', 'bad=name': 1 }, /attribute name/],
    [{ id: 'urn:x:1', type: 'T', a: { type: 'Magic', value: 1 } }, /unknown type/],
    [{ id: 'urn:x:1', type: 'T', scope: 'no-slash' }, /scope/],
    [{ id: 'urn:x:1', type: 'T', n: { type: 'LanguageProperty', languageMap: { 'not a tag': 'x' } } }, /language tag/],
  ])('refuses %j', (body, message) => {
    expect(badRequest(() => parseEntity(body, mapper))).toMatch(message);
  });

  it('accepts null only in merges, as a deletion', () => {
    const e = parseEntity({ a: null, b: 'urn:ngsi-ld:null' }, mapper, { allowNull: true });
    expect(e.attrs).toEqual({ [`${DC}a`]: null, [`${DC}b`]: null });
  });
});

describe('attribute operations', () => {
  const base = {
    [`${DC}a`]: [{ type: 'Property' as const, value: 1, createdAt: T0, modifiedAt: T0 }],
  };

  it('append overwrites the same datasetId, keeps createdAt and adds new ones', () => {
    const r = applyAttributes(base, { [`${DC}a`]: [{ type: 'Property', value: 2 }], [`${DC}b`]: [{ type: 'Property', value: 3 }] }, T1, {});
    expect(r.attrs[`${DC}a`]).toEqual([{ type: 'Property', value: 2, createdAt: T0, modifiedAt: T1 }]);
    expect(r.attrs[`${DC}b`]).toEqual([{ type: 'Property', value: 3, createdAt: T1, modifiedAt: T1 }]);
    expect(r.updated).toEqual([`${DC}a`, `${DC}b`]);
  });

  it('append with noOverwrite leaves existing attributes and reports them', () => {
    const r = applyAttributes(base, { [`${DC}a`]: [{ type: 'Property', value: 2 }] }, T1, { noOverwrite: true });
    expect(r.attrs[`${DC}a`]?.[0].value).toBe(1);
    expect(r.notUpdated).toEqual([{ attributeName: `${DC}a`, reason: 'attribute exists and noOverwrite was asked' }]);
  });

  it('update touches only existing attributes', () => {
    const r = applyAttributes(base, { [`${DC}z`]: [{ type: 'Property', value: 2 }] }, T1, { onlyExisting: true });
    expect(r.attrs).toEqual(base);
    expect(r.notUpdated[0].attributeName).toBe(`${DC}z`);
  });

  it('merge deletes null attributes and merge-patches compound values', () => {
    const start = { ...base, [`${DC}addr`]: [{ type: 'Property' as const, value: { street: 'Zerktouni', zip: 20000 }, createdAt: T0, modifiedAt: T0 }] };
    const out = mergeAttributes(start, { [`${DC}a`]: null, [`${DC}addr`]: [{ type: 'Property', value: { zip: 20250, street: null } }] }, T1);
    expect(out[`${DC}a`]).toBeUndefined();
    expect(out[`${DC}addr`]?.[0].value).toEqual({ zip: 20250 });
    expect(out[`${DC}addr`]?.[0].createdAt).toBe(T0);
  });

  it('json merge patch follows RFC 7396 examples', () => {
    expect(mergePatch({ a: 'b', c: { d: 'e', f: 'g' } }, { a: 'z', c: { f: null } })).toEqual({ a: 'z', c: { d: 'e' } });
    expect(mergePatch({ a: [1] }, { a: [2, 3] })).toEqual({ a: [2, 3] });
  });

  it('deletes one instance by datasetId, or all, and says when there is none', () => {
    const multi = { [`${DC}s`]: [{ type: 'Property' as const, value: 1 }, { type: 'Property' as const, value: 2, datasetId: 'urn:d:1' }] };
    expect(deleteAttribute(multi, `${DC}s`, { datasetId: 'urn:d:1' })?.[`${DC}s`]).toEqual([{ type: 'Property', value: 1 }]);
    expect(deleteAttribute(multi, `${DC}s`, { deleteAll: true })).toEqual({});
    expect(deleteAttribute(multi, `${DC}s`, { datasetId: 'urn:d:404' })).toBeUndefined();
    expect(deleteAttribute(multi, `${DC}nope`, {})).toBeUndefined();
  });
});

describe('renderEntity', () => {
  const entity: StoredEntity = {
    id: 'urn:x:1',
    types: [`${DC}Streetlight`],
    scopes: [],
    createdAt: T0,
    modifiedAt: T1,
    attrs: {
      [`${DC}power`]: [{ type: 'Property', value: 60, unitCode: 'WTT', createdAt: T0, modifiedAt: T1 }],
      [`${DC}name`]: [{ type: 'LanguageProperty', languageMap: { fr: 'Lampe', ar: 'مصباح' } }],
      [`${DC}category`]: [{ type: 'VocabProperty', vocab: `${DC}street` }],
      'https://uri.etsi.org/ngsi-ld/location': [{ type: 'GeoProperty', value: { type: 'Point', coordinates: [1, 2] } }],
    },
  };

  it('renders normalized with compact names and no system attributes by default', () => {
    expect(renderEntity(entity, mapper, { format: 'normalized', sysAttrs: false })).toEqual({
      id: 'urn:x:1',
      type: 'Streetlight',
      power: { type: 'Property', value: 60, unitCode: 'WTT' },
      name: { type: 'LanguageProperty', languageMap: { fr: 'Lampe', ar: 'مصباح' } },
      category: { type: 'VocabProperty', vocab: 'street' },
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [1, 2] } },
    });
  });

  it('renders keyValues, with lang choosing one language', () => {
    expect(renderEntity(entity, mapper, { format: 'keyValues', sysAttrs: false, lang: ['ar'] })).toEqual({
      id: 'urn:x:1',
      type: 'Streetlight',
      power: 60,
      name: 'مصباح',
      category: 'street',
      location: { type: 'Point', coordinates: [1, 2] },
    });
  });

  it('renders concise: bare values where nothing else is said', () => {
    const r = renderEntity(entity, mapper, { format: 'concise', sysAttrs: false });
    expect(r.location).toEqual({ type: 'Point', coordinates: [1, 2] });
    expect(r.power).toEqual({ value: 60, unitCode: 'WTT' });
  });

  it('projects with onlyAttrs and omits core members', () => {
    const r = renderEntity(entity, mapper, { format: 'keyValues', sysAttrs: true, onlyAttrs: new Set([`${DC}power`]), omitCore: new Set(['type']) });
    expect(r).toEqual({ id: 'urn:x:1', createdAt: T0, modifiedAt: T1, power: 60 });
  });
});
