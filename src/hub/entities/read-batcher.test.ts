import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterEntity } from '../../../test/support/entities.ts';
import { type TestDb } from '../../../test/support/test-db.ts';
import { openHubTestDb } from '../../../test/support/hub-db.ts';
import type { Db } from '../../platform/db/db.ts';
import { ReadBatcher } from './read-batcher.ts';
import { EntityStore } from './store.ts';
import { watchedDb } from '../../../test/support/watched-db.ts';

const entity = counterEntity;

describe('ReadBatcher', () => {
  let t: TestDb;
  const store = new EntityStore();
  /** The test store, counting the statements sent to it. */
  let counted: Db;
  let statements = 0;

  beforeAll(async () => {
    t = await openHubTestDb();
    await t.db.transaction(async (tx) => {
      await store.ensureTenant(tx, 'a');
      await store.ensureTenant(tx, 'b');
      await store.insertMany(tx, 'a', [entity('urn:c:1', 1), entity('urn:c:2', 2), entity('urn:c:3', 3)]);
      await store.insertMany(tx, 'b', [entity('urn:c:1', 100)]);
    });
    counted = watchedDb(t.db, { query: () => statements++ });
  });
  afterAll(async () => {
    await t?.drop();
  });

  const countOf = (r: Awaited<ReturnType<ReadBatcher['get']>>) => r?.entity?.attrs['urn:a:count'][0].value;

  it('answers reads that arrive while one is in flight with one statement, each read its own answer', async () => {
    const reads = new ReadBatcher(counted, store, { maxInFlight: 1, minGroup: 4 });
    statements = 0;
    const asked = ['urn:c:1', 'urn:c:2', 'urn:c:missing', 'urn:c:3', 'urn:c:2'];
    const got = await Promise.all(asked.map((id) => reads.get('a', id, '')));
    // The first goes alone; the four behind it go together.
    expect(statements).toBe(2);
    expect(got.map(countOf)).toEqual([1, 2, undefined, 3, 2]);
    expect(got[2]).toBeUndefined();
    expect(got[0]?.entity?.id).toBe('urn:c:1');
  });

  it('sends no document when the caller holds the current version, and the document when it does not', async () => {
    const reads = new ReadBatcher(counted, store, { maxInFlight: 1 });
    const first = await reads.get('a', 'urn:c:1', '');
    const [same, stale, other] = await Promise.all([
      reads.get('a', 'urn:c:2', ''),
      reads.get('a', 'urn:c:1', first!.version),
      reads.get('a', 'urn:c:1', 'not-the-version'),
    ]);
    expect(same?.entity?.id).toBe('urn:c:2');
    expect(stale).toEqual({ version: first!.version });
    expect(countOf(other)).toBe(1);
  });

  it('keeps tenants apart in one group', async () => {
    const reads = new ReadBatcher(counted, store, { maxInFlight: 1 });
    const got = await Promise.all([reads.get('a', 'urn:c:3', ''), reads.get('a', 'urn:c:1', ''), reads.get('b', 'urn:c:1', ''), reads.get('b', 'urn:c:2', '')]);
    expect(got.map(countOf)).toEqual([3, 1, 100, undefined]);
  });

  it('sees a write committed before the read arrived', async () => {
    const reads = new ReadBatcher(counted, store, { maxInFlight: 1 });
    const before = await reads.get('a', 'urn:c:3', '');
    expect(countOf(before)).toBe(3);
    await store.updateMany(t.db, 'a', [{ ...entity('urn:c:3', 33), modifiedAt: '2026-01-02T00:00:00.000Z' }]);
    // Asked with the version read before, in a group behind another read: the new document comes back.
    const [, after] = await Promise.all([reads.get('a', 'urn:c:1', ''), reads.get('a', 'urn:c:3', before!.version)]);
    expect(countOf(after)).toBe(33);
    expect(after!.version).not.toBe(before!.version);
  });

  it('fails every read of a failed statement, and the next ones still run', async () => {
    let fail = true;
    const failing: Db = { ...counted, query: (sql, params, o) => (fail ? Promise.reject(new Error('connection lost')) : counted.query(sql, params, o)) };
    const reads = new ReadBatcher(failing, store, { maxInFlight: 1 });
    const got = await Promise.allSettled([reads.get('a', 'urn:c:1', ''), reads.get('a', 'urn:c:2', '')]);
    expect(got.map((g) => g.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(countOf(await reads.get('a', 'urn:c:2', ''))).toBe(2);
  });
});
