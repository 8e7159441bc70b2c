import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type TestDb } from '../../../test/support/test-db.ts';
import { openHubTestDb } from '../../../test/support/hub-db.ts';
import { SqlParams } from '../../platform/db/sql-params.ts';
import type { StoredEntity } from './model.ts';
import { EntityReadCache, QueryHitRates, type EntityView } from './read-cache.ts';
import { EntityService } from './service.ts';
import { EntityStore } from './store.ts';

describe('EntityReadCache', () => {
  it('answers only for the version and view it holds', () => {
    const c = new EntityReadCache(1 << 20);
    c.put('t', 'urn:a:1', 'v1', 'json', '{"a":1}');
    expect(c.get('t', 'urn:a:1', 'v1', 'json')).toBe('{"a":1}');
    expect(c.get('t', 'urn:a:1', 'v2', 'json')).toBeUndefined();
    expect(c.get('t', 'urn:a:1', 'v1', 'ld')).toBeUndefined();
    expect(c.get('other', 'urn:a:1', 'v1', 'json')).toBeUndefined();
    expect(c.peek('t', 'urn:a:1', 'json')).toEqual({ version: 'v1', json: '{"a":1}' });
    expect(c.stats()).toMatchObject({ entities: 1, hits: 1, misses: 3 });
  });

  it('drops every view of an entity when a newer version arrives', () => {
    const c = new EntityReadCache(1 << 20);
    c.put('t', 'urn:a:1', 'v1', 'json', '{"a":1}');
    c.put('t', 'urn:a:1', 'v1', 'ld', '{"a":1,"@context":"x"}');
    c.put('t', 'urn:a:1', 'v2', 'json', '{"a":2}');
    expect(c.peek('t', 'urn:a:1', 'ld')).toBeUndefined();
    expect(c.get('t', 'urn:a:1', 'v2', 'json')).toBe('{"a":2}');
    c.forget('t', 'urn:a:1');
    expect(c.stats()).toMatchObject({ entities: 0, bytes: 0 });
  });

  it('gives a read entity a second chance: the oldest unread go first, then the oldest', () => {
    const json = 'x'.repeat(1000);
    const c = new EntityReadCache(5_000); // four entities of ~1,230 bytes
    for (let i = 0; i < 4; i++) c.put('t', `urn:a:${i}`, 'v', 'k', json);
    // Every entry is marked used when put; one pass unmarks them all, and the oldest goes first.
    c.put('t', 'urn:a:4', 'v', 'k', json);
    const held = () => [0, 1, 2, 3, 4, 5, 6].filter((i) => c.peek('t', `urn:a:${i}`, 'k') !== undefined);
    expect(held()).toEqual([1, 2, 3, 4]);
    // peek marks 1-4 used again; reading 2 once more changes nothing. Unmark all by a pass, then read 3.
    c.put('t', 'urn:a:5', 'v', 'k', json); // a pass: all unmarked and moved, the oldest (1) dropped
    expect(c.get('t', 'urn:a:3', 'v', 'k')).toBe(json);
    c.put('t', 'urn:a:6', 'v', 'k', json); // 2 is the oldest unread: dropped; 3 was read: kept
    expect(c.stats().entities).toBe(4);
    expect(c.get('t', 'urn:a:2', 'v', 'k')).toBeUndefined();
    expect(c.get('t', 'urn:a:3', 'v', 'k')).toBe(json);
  });

  it('stays within its size, evicting the least recently used entity first', () => {
    const json = 'x'.repeat(1000);
    const c = new EntityReadCache(10_000);
    for (let i = 0; i < 20; i++) {
      c.put('t', `urn:a:${i}`, 'v', 'k', json);
      if (i === 5) c.get('t', 'urn:a:0', 'v', 'k'); // recently used: survives the others
    }
    const s = c.stats();
    expect(s.bytes).toBeLessThanOrEqual(10_000);
    expect(s.entities).toBeGreaterThan(4);
    expect(s.entities).toBeLessThan(20);
    expect(c.get('t', 'urn:a:19', 'v', 'k')).toBe(json);
    expect(c.get('t', 'urn:a:1', 'v', 'k')).toBeUndefined();
    // Replacing a view does not count its size twice.
    const before = c.stats().bytes;
    c.put('t', 'urn:a:19', 'v', 'k', json);
    expect(c.stats().bytes).toBe(before);
  });

  it('holds nothing at size 0', () => {
    const c = new EntityReadCache(0);
    c.put('t', 'urn:a:1', 'v1', 'json', '{}');
    expect(c.enabled).toBe(false);
    expect(c.stats().entities).toBe(0);
  });
});

describe('QueryHitRates', () => {
  it('tries ids first for a new shape, and documents with ids once it mostly misses', () => {
    const rates = new QueryHitRates(0.5, 0.5);
    expect(rates.likely('geo')).toBe(true);
    rates.note('geo', 2, 20);
    expect(rates.likely('geo')).toBe(false);
    expect(rates.likely('q')).toBe(true);
    rates.note('geo', 20, 20); // 0.1 → 0.55
    expect(rates.likely('geo')).toBe(true);
    rates.note('geo', 0, 0); // an empty page says nothing
    expect(rates.likely('geo')).toBe(true);
  });

  it('forgets every shape rather than growing past its bound', () => {
    const rates = new QueryHitRates(0.5, 0.1, 2);
    rates.note('a', 0, 1);
    rates.note('b', 0, 1);
    expect(rates.likely('a')).toBe(false);
    rates.note('c', 0, 1);
    expect(rates.likely('a')).toBe(true);
    expect(rates.likely('c')).toBe(false);
  });
});

describe('EntityService reads through the cache', () => {
  let t: TestDb;
  const store = new EntityStore();
  let service: EntityService;
  const T = '2026-01-01T00:00:00.000Z';
  const lamp = (n: number, level: number): StoredEntity => ({
    id: `urn:ngsi-ld:Streetlight:${n}`,
    types: ['urn:t:Streetlight'],
    scopes: [],
    attrs: { 'urn:a:level': [{ type: 'Property', value: level }] },
    createdAt: T,
    modifiedAt: T,
  });
  let renders = 0;
  const view: EntityView<StoredEntity> = {
    key: 'test',
    render: (e) => {
      renders++;
      return JSON.stringify({ id: e.id, level: e.attrs['urn:a:level'][0].value });
    },
  };
  const allLamps = () => ({ where: ['tenant = $1', "types && '{urn:t:Streetlight}'"], params: new SqlParams(['']) });
  const page = { limit: 10, offset: 0, count: true };
  // Another Madina process on the same database: writes this process's cache never hears of.
  const writeElsewhere = (id: string, level: number) =>
    t.db.query(
      `UPDATE hub_entities SET doc = jsonb_build_object('urn:a:level', jsonb_build_array(jsonb_build_object('type', 'Property', 'value', $2::int)))
       WHERE tenant = '' AND id = $1`,
      [id, level],
    );

  beforeAll(async () => {
    t = await openHubTestDb();
    service = new EntityService(t.db, store, undefined, new EntityReadCache(1 << 20));
    await store.insertMany(t.db, '', [lamp(1, 10), lamp(2, 20), lamp(3, 30)]);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('renders an entity once and serves it again while the stored row is unchanged', async () => {
    renders = 0;
    expect(await service.retrieveJson('', 'urn:ngsi-ld:Streetlight:1', view)).toBe('{"id":"urn:ngsi-ld:Streetlight:1","level":10}');
    expect(await service.retrieveJson('', 'urn:ngsi-ld:Streetlight:1', view)).toBe('{"id":"urn:ngsi-ld:Streetlight:1","level":10}');
    expect(renders).toBe(1);
  });

  it('never answers from a stale entry: a write by another process is seen on the next read', async () => {
    await service.retrieveJson('', 'urn:ngsi-ld:Streetlight:2', view);
    await service.queryJson('', allLamps(), page, view);
    await writeElsewhere('urn:ngsi-ld:Streetlight:2', 21);
    expect(await service.retrieveJson('', 'urn:ngsi-ld:Streetlight:2', view)).toContain('"level":21');
    await writeElsewhere('urn:ngsi-ld:Streetlight:2', 22);
    const r = await service.queryJson('', allLamps(), page, view);
    expect(r.json.map((j) => JSON.parse(j).level)).toEqual([10, 22, 30]);
    expect(r.total).toBe(3);
  });

  it('queries render only the entities the cache does not hold', async () => {
    await service.queryJson('', allLamps(), page, view);
    renders = 0;
    await writeElsewhere('urn:ngsi-ld:Streetlight:3', 31);
    const r = await service.queryJson('', allLamps(), page, view);
    expect(r.json.map((j) => JSON.parse(j).level)).toEqual([10, 22, 31]);
    expect(renders).toBe(1);
  });

  it('reads the page again in one statement when an entity changed between the two reads', async () => {
    await writeElsewhere('urn:ngsi-ld:Streetlight:1', 11); // not in the cache at this version
    const real = store.getManyVersioned.bind(store);
    const spy = vi.spyOn(store, 'getManyVersioned').mockImplementationOnce(async (db, tenant, ids) => {
      await writeElsewhere('urn:ngsi-ld:Streetlight:1', 12); // lands between the id list and the documents
      return real(db, tenant, ids);
    });
    const query = vi.spyOn(store, 'query');
    const r = await service.queryJson('', allLamps(), page, view);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(query).toHaveBeenCalledTimes(1);
    expect(r.json.map((j) => JSON.parse(j).level)).toEqual([12, 22, 31]);
    spy.mockRestore();
    query.mockRestore();
  });

  it('a query whose answers keep missing the cache reads documents with its ids, in one statement', async () => {
    // Its own shape (another WHERE), so the other tests' hit rates do not count.
    const churning = () => ({ where: ['tenant = $1', "types && '{urn:t:Streetlight}'", 'created_at IS NOT NULL'], params: new SqlParams(['']) });
    const twoStep = vi.spyOn(store, 'queryVersions');
    const oneStep = vi.spyOn(store, 'queryWithVersions');
    let level = 100;
    const churn = async () => {
      level++;
      for (const n of [1, 2, 3]) await writeElsewhere(`urn:ngsi-ld:Streetlight:${n}`, level);
    };
    await churn();
    let r = await service.queryJson('', churning(), page, view);
    expect(twoStep).toHaveBeenCalledTimes(1);
    expect(oneStep).not.toHaveBeenCalled();
    // Every row missed: the next read of this shape fetches the documents with the ids.
    await churn();
    r = await service.queryJson('', churning(), page, view);
    expect(oneStep).toHaveBeenCalledTimes(1);
    expect(twoStep).toHaveBeenCalledTimes(1);
    expect(r.json.map((j) => JSON.parse(j).level)).toEqual([level, level, level]);
    expect(r.total).toBe(3);
    // Answers are cached on that path too: the next read still takes it, and parses no cached document.
    let parsed = 0;
    const realOneStep = EntityStore.prototype.queryWithVersions.bind(store);
    oneStep.mockImplementationOnce(async (...args) => {
      const out = await realOneStep(...args);
      const rows = out.rows.map((row) => ({ ...row, entity: () => (parsed++, row.entity()) }));
      return { ...out, rows };
    });
    renders = 0;
    r = await service.queryJson('', churning(), page, view);
    expect(oneStep).toHaveBeenCalledTimes(2);
    expect(parsed).toBe(0);
    expect(renders).toBe(0);
    expect(r.json.map((j) => JSON.parse(j).level)).toEqual([level, level, level]);
    // A stable result brings the shape back to ids first.
    for (let i = 0; i < 12; i++) r = await service.queryJson('', churning(), page, view);
    expect(renders).toBe(0);
    expect(r.json.map((j) => JSON.parse(j).level)).toEqual([level, level, level]);
    expect(twoStep.mock.calls.length).toBeGreaterThan(1);
    twoStep.mockRestore();
    oneStep.mockRestore();
  });

  it('reading documents with the ids converts only the page\'s documents to text, after the sort and limit', async () => {
    const sent = vi.spyOn(t.db, 'query');
    const r = await store.queryWithVersions(t.db, allLamps(), { limit: 2, offset: 0, count: false });
    expect(r.rows.map((row) => row.entity().id)).toEqual(['urn:ngsi-ld:Streetlight:1', 'urn:ngsi-ld:Streetlight:2']);
    const [sql, values] = sent.mock.calls.at(-1)!;
    sent.mockRestore();
    type PlanNode = { 'Node Type': string; Output?: string[]; Plans?: PlanNode[] };
    const explained = await t.db.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (VERBOSE, FORMAT JSON) ${sql}`, values);
    const top = explained.rows[0]['QUERY PLAN'][0].Plan;
    const toText = (n: PlanNode) => (n.Output ?? []).some((o) => /doc\)::text/.test(o));
    const below = (n: PlanNode): PlanNode[] => (n.Plans ?? []).flatMap((c) => [c, ...below(c)]);
    const limit = [top, ...below(top)].find((n) => n['Node Type'] === 'Limit')!;
    expect(limit).toBeDefined();
    expect([top, ...below(top)].some(toText)).toBe(true);
    expect([limit, ...below(limit)].some(toText)).toBe(false);
  });

  it('an entity deleted elsewhere is not found, not served from the cache', async () => {
    await service.retrieveJson('', 'urn:ngsi-ld:Streetlight:3', view);
    await t.db.query("DELETE FROM hub_entities WHERE tenant = '' AND id = 'urn:ngsi-ld:Streetlight:3'");
    await expect(service.retrieveJson('', 'urn:ngsi-ld:Streetlight:3', view)).rejects.toMatchObject({ status: 404 });
    const r = await service.queryJson('', allLamps(), page, view);
    expect(r.json).toHaveLength(2);
  });
});
