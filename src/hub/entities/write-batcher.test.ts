import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterEntity } from '../../../test/support/entities.ts';
import { type TestDb } from '../../../test/support/test-db.ts';
import { openHubTestDb } from '../../../test/support/hub-db.ts';
import { Problem } from '../../platform/http/problem.ts';
import type { StoredEntity } from './model.ts';
import type { EntityChange } from './service.ts';
import { EntityStore } from './store.ts';
import { WriteBatcher } from './write-batcher.ts';

const entity = counterEntity;
const increment = (by: number) => ({
  kind: 'modify' as const,
  change: (cur: StoredEntity, now: string) => {
    const value = (cur.attrs['urn:a:count'][0].value as number) + by;
    return { next: { ...cur, attrs: { 'urn:a:count': [{ type: 'Property' as const, value }] }, modifiedAt: now }, result: value };
  },
});

describe('WriteBatcher', () => {
  let t: TestDb;
  const store = new EntityStore();
  const seen: { tenant: string; changes: EntityChange[] }[] = [];
  let batcher: WriteBatcher;

  beforeAll(async () => {
    t = await openHubTestDb();
    batcher = new WriteBatcher(t.db, store, {
      maxBatch: 50,
      notify: async (_tx, tenant, changes) => {
        seen.push({ tenant, changes });
      },
    });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('applies concurrent changes to one entity in arrival order without losing any', async () => {
    await batcher.submit('', 'urn:c:1', { kind: 'create', entity: entity('urn:c:1', 0) });
    const results = await Promise.all(Array.from({ length: 200 }, () => batcher.submit<number>('', 'urn:c:1', increment(1))));
    // Each increment saw the previous one's result: 1, 2, ..., 200 in submission order.
    expect(results).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const stored = await store.get(t.db, '', 'urn:c:1');
    expect(stored?.attrs['urn:a:count'][0].value).toBe(200);
  });

  it('fails only the operation that is wrong, and commits its neighbours', async () => {
    const ops = [
      batcher.submit('', 'urn:c:2', { kind: 'create', entity: entity('urn:c:2', 5) }),
      batcher.submit('', 'urn:c:2', { kind: 'create', entity: entity('urn:c:2', 9) }),
      batcher.submit('', 'urn:c:missing', increment(1)),
      batcher.submit('', 'urn:c:2', increment(10)),
    ];
    const settled = await Promise.allSettled(ops);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(((settled[1] as PromiseRejectedResult).reason as Problem).status).toBe(409);
    expect(((settled[2] as PromiseRejectedResult).reason as Problem).status).toBe(404);
    expect((await store.get(t.db, '', 'urn:c:2'))?.attrs['urn:a:count'][0].value).toBe(15);
  });

  it('handles delete then re-create of the same id inside one batch', async () => {
    await batcher.submit('', 'urn:c:3', { kind: 'create', entity: entity('urn:c:3', 1) });
    await Promise.all([
      batcher.submit('', 'urn:c:3', { kind: 'delete' }),
      batcher.submit('', 'urn:c:3', { kind: 'create', entity: entity('urn:c:3', 42) }),
    ]);
    expect((await store.get(t.db, '', 'urn:c:3'))?.attrs['urn:a:count'][0].value).toBe(42);
  });

  it('keeps tenants apart within one batch', async () => {
    await Promise.all([
      batcher.submit('a', 'urn:c:4', { kind: 'create', entity: entity('urn:c:4', 1) }),
      batcher.submit('b', 'urn:c:4', { kind: 'create', entity: entity('urn:c:4', 2) }),
    ]);
    expect((await store.get(t.db, 'a', 'urn:c:4'))?.attrs['urn:a:count'][0].value).toBe(1);
    expect((await store.get(t.db, 'b', 'urn:c:4'))?.attrs['urn:a:count'][0].value).toBe(2);
    expect(await store.tenantExists(t.db, 'b')).toBe(true);
  });

  it('reports each committed change to the listener with before and after', async () => {
    seen.length = 0;
    await batcher.submit('', 'urn:c:1', increment(1));
    const change = seen.flatMap((s) => s.changes).find((c) => c.after?.id === 'urn:c:1');
    expect(change?.kind).toBe('updated');
    expect(change?.before?.attrs['urn:a:count'][0].value).toBe(200);
    expect(change?.after?.attrs['urn:a:count'][0].value).toBe(201);
  });

  it('beside a transaction in flight, starts another only for a group of writes', async () => {
    const groups: number[] = [];
    const grouping = new WriteBatcher(t.db, store, {
      maxInFlight: 4,
      minGroup: 5,
      notify: async (_tx, _tenant, changes) => {
        groups.push(changes.length);
      },
    });
    const create = (n: number) => grouping.submit('g', `urn:g:${n}`, { kind: 'create', entity: entity(`urn:g:${n}`, n) });
    // One write alone goes at once; three more wait for it (fewer than a group), then go together.
    await Promise.all([create(1), create(2), create(3), create(4)]);
    expect(groups).toEqual([1, 3]);
    // Eleven at once: the first goes alone, then two more transactions start as groups of five fill up.
    groups.length = 0;
    await Promise.all(Array.from({ length: 11 }, (_, i) => create(10 + i)));
    expect(groups).toEqual([1, 5, 5]);
    expect((await store.getMany(t.db, 'g', Array.from({ length: 15 }, (_, i) => `urn:g:${i < 4 ? i + 1 : i + 6}`))).size).toBe(15);
  });
});
