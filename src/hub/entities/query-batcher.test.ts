import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDb } from '../../../test/support/test-db.ts';
import { openHubTestDb } from '../../../test/support/hub-db.ts';
import { watchedDb } from '../../../test/support/watched-db.ts';
import type { Db } from '../../platform/db/db.ts';
import type { TermMapper } from '../jsonld/term-mapper.ts';
import { buildEntityFilter, type EntityQuery } from '../query/entity-filter.ts';
import { parseGeoQuery } from '../query/geo.ts';
import { parseQuery } from '../query/q.ts';
import { parseScopeQuery } from '../query/scope.ts';
import { parseTypeExpression } from '../query/type-expr.ts';
import { LOCATION_IRI, type StoredEntity } from './model.ts';
import { groupKey, QueryBatcher } from './query-batcher.ts';
import { EntityStore, type EntityFilter } from './store.ts';

const AT = '2026-01-01T00:00:00.000Z';
/** Expands names under urn:a: (types too), `location` as the core context does: all the filter builder asks. */
const expand = (t: string) => (t === 'location' ? LOCATION_IRI : t.includes(':') ? t : `urn:a:${t}`);
const mapper = { expand, compact: (i: string) => i, context: null } as TermMapper;

/** Lamps on a 10 × 10 grid (~100 m apart), level = n / 100, every third "off", scopes by row. */
function lamp(n: number): StoredEntity {
  const x = n % 10;
  const y = Math.floor(n / 10);
  return {
    id: `urn:lamp:${String(n).padStart(3, '0')}`,
    types: [n % 7 === 0 ? 'urn:a:Pole' : 'urn:a:Lamp'],
    scopes: [`/row/${y}`],
    attrs: {
      'urn:a:level': [{ type: 'Property', value: n / 100 }],
      'urn:a:power': [{ type: 'Property', value: n % 3 === 0 ? 'off' : 'on' }],
      [LOCATION_IRI]: [{ type: 'GeoProperty', value: { type: 'Point', coordinates: [-7.6 + x * 0.0012, 33.57 + y * 0.0009] } }],
    },
    createdAt: AT,
    modifiedAt: AT,
  };
}

const near = (lon: number, lat: number, m: number) =>
  parseGeoQuery({ georel: `near;maxDistance==${m}`, geometry: 'Point', coordinates: `[${lon},${lat}]` });
const filter = (q: EntityQuery, tenant = 'a') => buildEntityFilter(tenant, q, mapper);

describe('EntityStore.queryVersionsMany (queries of one shape in one statement)', () => {
  let t: TestDb;
  const store = new EntityStore();
  let statements = 0;
  let counted: Db;

  beforeAll(async () => {
    t = await openHubTestDb();
    await t.db.transaction(async (tx) => {
      await store.ensureTenant(tx, 'a');
      await store.ensureTenant(tx, 'b');
      await store.insertMany(tx, 'a', Array.from({ length: 100 }, (_, n) => lamp(n)));
      await store.insertMany(tx, 'b', [lamp(5)]);
      // A value with what array literals and JSON escape: quotes, a backslash, braces, a comma, NULL.
      await store.insertMany(tx, 'a', [{ id: 'urn:lamp:odd', types: ['urn:a:Lamp'], scopes: [], attrs: { 'urn:a:power': [{ type: 'Property', value: 'o"n,{x}\\y NULL' }] }, createdAt: AT, modifiedAt: AT }]);
    });
    counted = watchedDb(t.db, { query: () => statements++ });
  });
  afterAll(async () => {
    await t?.drop();
  });

  /** Every query alone, then all of them in one statement: the same pages. */
  async function sameAsAlone(filters: EntityFilter[], page = { limit: 7, offset: 0 }) {
    const alone = [];
    for (const f of filters) alone.push((await store.queryVersions(t.db, f, { ...page, count: false })).rows);
    statements = 0;
    const together = await store.queryVersionsMany(counted, filters, page);
    expect(statements).toBe(1);
    expect(together).toEqual(alone);
    return together;
  }

  it('answers q-queries with different values, each its own page in id order', async () => {
    const pages = await sameAsAlone(
      ['level>0.5;power=="on"', 'level>0.9', 'level<0.05', 'level>2', 'level>0.5;power=="on"'].map((q) => filter({ type: parseTypeExpression('Lamp'), q: parseQuery(q) })),
    );
    expect(pages.map((p) => p.length)).toEqual([7, 7, 4, 0, 7]);
    expect(pages[0][0].id).toBe('urn:lamp:052');
    expect(pages[4]).toEqual(pages[0]);
  });

  it('passes values with quotes, backslashes, braces and commas through intact', async () => {
    const pages = await sameAsAlone(['power=="o\\"n,{x}\\\\y NULL"', 'power=="on"', 'power=="NULL"'].map((q) => filter({ q: parseQuery(q) })));
    expect(pages[0].map((r) => r.id)).toEqual(['urn:lamp:odd']);
    expect(pages[2]).toEqual([]);
  });

  it('answers geo-queries at different points and distances, and a later page', async () => {
    const filters = [near(-7.6, 33.57, 140), near(-7.59, 33.575, 300), near(-7.5, 33.5, 100), near(-7.5892, 33.5781, 1000)].map((geo) => filter({ geo }));
    const pages = await sameAsAlone(filters);
    expect(pages[0].map((r) => r.id)).toEqual(['urn:lamp:000', 'urn:lamp:001', 'urn:lamp:010']);
    expect(pages[2]).toEqual([]);
    await sameAsAlone(filters, { limit: 5, offset: 5 });
  });

  it('keeps what the queries share (tenant, scope, attribute names) as it is', async () => {
    await sameAsAlone(
      ['level>=0.2', 'level>=0.4'].map((q) => filter({ q: parseQuery(q), scopeQ: parseScopeQuery('/row/4'), attrs: ['power'], idPattern: '^urn:lamp:0[0-9]+$' })),
    );
    const inB = await sameAsAlone(['level>0', 'level>0.1'].map((q) => filter({ q: parseQuery(q) }, 'b')));
    expect(inB.map((p) => p.map((r) => r.id))).toEqual([['urn:lamp:005'], []]);
  });

  it('returns documents with versions the same way', async () => {
    const filters = ['level>0.95', 'level<0.02'].map((q) => filter({ q: parseQuery(q) }));
    const alone = [];
    for (const f of filters) alone.push((await store.queryWithVersions(t.db, f, { limit: 3, offset: 0, count: false })).rows);
    const together = await store.queryWithVersionsMany(t.db, filters, { limit: 3, offset: 0 });
    const view = (rows: typeof together[0]) => rows.map((r) => ({ id: r.id, version: r.version, entity: r.entity() }));
    expect(together.map(view)).toEqual(alone.map(view));
    expect(together[1].map((r) => r.entity().attrs['urn:a:level'][0].value)).toEqual([0, 0.01]);
  });
});

describe('QueryBatcher', () => {
  /** A run function over fake pages: each filter's answer is its per-query values. */
  function fake(fail?: (filters: EntityFilter[]) => boolean) {
    const calls: number[] = [];
    const run = async (filters: EntityFilter[]) => {
      calls.push(filters.length);
      await new Promise((r) => setTimeout(r, 5));
      if (fail?.(filters)) throw new Error(`bad group of ${filters.length}`);
      return filters.map((f) => [...f.params.perQuery.keys()].map((i) => f.params.values[i - 1]));
    };
    return { calls, run };
  }
  const page = { limit: 20, offset: 0 };
  const q = (x: number, tenant = 'a') => filter({ type: parseTypeExpression('Lamp'), q: parseQuery(`level>${x}`) }, tenant);

  it('sends the first query at once and the ones behind it together, each with its own answer', async () => {
    const { calls, run } = fake();
    const b = new QueryBatcher(run, { maxInFlight: 1, minGroup: 4 });
    const got = await Promise.all([1, 2, 3, 4, 5].map((x) => b.query(q(x), page)));
    expect(calls).toEqual([1, 4]);
    expect(got.map((vars) => JSON.parse(String(vars[1])).v1)).toEqual([1, 2, 3, 4, 5]);
  });

  it('groups only queries that share their text, page and shared values', async () => {
    const { calls, run } = fake();
    const b = new QueryBatcher(run, { maxInFlight: 1, minGroup: 2 });
    await Promise.all([b.query(q(1), page), b.query(q(2), page), b.query(q(3, 'b'), page), b.query(q(4), { limit: 5, offset: 0 }), b.query(q(5), page)]);
    // Three keys: tenant a / page 20 (three queries), tenant b, page 5 — each key's first goes at once.
    expect(calls.sort()).toEqual([1, 1, 1, 2]);
    expect(groupKey(q(1), page)).toBe(groupKey(q(2), page));
    expect(groupKey(q(1), page)).not.toBe(groupKey(q(1, 'b'), page));
    expect(groupKey(q(1), page)).not.toBe(groupKey(filter({ type: parseTypeExpression('Pole'), q: parseQuery('level>1') }), page));
  });

  it('sends a query with no value of its own alone, never waiting', async () => {
    const { calls, run } = fake();
    const b = new QueryBatcher(run, { maxInFlight: 1, minGroup: 2 });
    const plain = filter({ type: parseTypeExpression('Lamp') });
    expect(groupKey(plain, page)).toBeUndefined();
    await Promise.all([b.query(plain, page), b.query(plain, page), b.query(plain, page)]);
    expect(calls).toEqual([1, 1, 1]);
  });

  it('answers each query of a failed group alone: its own result or its own error', async () => {
    const { calls, run } = fake((filters) => filters.length > 1 || JSON.parse(String(filters[0].params.values[3])).v1 === 3);
    const b = new QueryBatcher(run, { maxInFlight: 1, minGroup: 2 });
    const got = await Promise.allSettled([1, 2, 3, 4].map((x) => b.query(q(x), page)));
    expect(got.map((g) => g.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(calls).toEqual([1, 3, 1, 1, 1]);
    // The group is forgotten once idle, and the next query runs.
    await expect(b.query(q(9), page)).resolves.toHaveLength(2);
  });
});
