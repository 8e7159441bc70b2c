import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../../../test/support/test-db.ts';
import { ContextService } from './context-service.ts';
import { InMemoryContextStore, SqlContextStore, type ContextStore, type StoredContext } from './context-store.ts';

const MIGRATION = new URL('../migrations/002_jsonld_contexts.sql', import.meta.url);

/** The same checks for every ContextStore; makeStore gives an empty store. */
function contract(name: string, makeStore: () => Promise<ContextStore>) {
  describe(name, () => {
    const doc = { '@context': { b: 'http://e.org/b', a: 'http://e.org/a', '@vocab': 'http://e.org/' } };
    const hosted: StoredContext = {
      id: 'h1',
      url: 'http://broker.test/ngsi-ld/v1/jsonldContexts/h1',
      kind: 'Hosted',
      document: doc,
      createdAt: '2025-01-02T03:04:05.678Z',
      numberOfHits: 0,
    };
    const cached: StoredContext = {
      id: 'c1',
      url: 'https://example.org/ctx.jsonld',
      kind: 'Cached',
      document: { '@context': ['https://x.org/a.jsonld', { z: 'http://z.org/' }] },
      createdAt: '2025-01-02T03:04:06.000Z',
      lastUsage: '2025-01-03T00:00:00.000Z',
      numberOfHits: 3,
    };

    it('puts, gets, lists, updates and deletes', async () => {
      const store = await makeStore();
      await store.put(hosted);
      await store.put(cached);
      expect(await store.get('h1')).toEqual(hosted);
      expect(JSON.stringify((await store.get('h1'))!.document)).toBe(JSON.stringify(doc)); // key order kept
      expect(await store.getByUrl('https://example.org/ctx.jsonld')).toEqual(cached);
      expect(await store.get('nope')).toBeUndefined();
      expect(await store.getByUrl('https://nope.org/')).toBeUndefined();
      expect((await store.list()).map((c) => c.id).sort()).toEqual(['c1', 'h1']);

      await store.put({ ...cached, numberOfHits: 4, lastUsage: '2025-02-01T00:00:00.000Z' });
      expect(await store.get('c1')).toMatchObject({ numberOfHits: 4, lastUsage: '2025-02-01T00:00:00.000Z' });
      await expect(store.put({ ...hosted, id: 'h2' })).rejects.toThrow(); // url is unique

      expect(await store.delete('h1')).toBe(true);
      expect(await store.delete('h1')).toBe(false);
      expect((await store.list()).map((c) => c.id)).toEqual(['c1']);
    });

    it('backs a ContextService (hosted resolution, hit counting)', async () => {
      const store = await makeStore();
      const service = new ContextService({
        store,
        baseUrl: () => 'http://broker.test',
        fetch: (() => Promise.reject(new Error('offline'))) as unknown as typeof fetch,
      });
      const entry = await service.add({ '@context': { parcel: 'https://madina.example/ns#parcel' } });
      const m = await service.mapper([entry.url]);
      expect(m.expand('parcel')).toBe('https://madina.example/ns#parcel');
      expect(await service.get(entry.id)).toMatchObject({ kind: 'Hosted', numberOfHits: 1 });
      expect(await service.delete(entry.id)).toBe(true);
    });
  });
}

contract('InMemoryContextStore', async () => new InMemoryContextStore());

describe('SqlContextStore', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb();
    await t.db.exec(readFileSync(MIGRATION, 'utf8'));
    await t.db.exec(readFileSync(MIGRATION, 'utf8')); // idempotent
  });
  afterAll(async () => {
    await t?.drop();
  });
  contract('on the database (PGlite, or PostgreSQL with MADINA_TEST_DB=postgres)', async () => {
    await t.db.query('DELETE FROM hub_jsonld_contexts');
    return new SqlContextStore(t.db);
  });
});
