import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDb } from '../../../test/support/test-db.ts';
import { openHubTestDb } from '../../../test/support/hub-db.ts';
import { instanceRecord } from './history.ts';
import { TemporalStore } from './store.ts';

describe('TemporalStore: the series registry', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openHubTestDb();
  });
  afterAll(async () => {
    await t?.drop();
  });

  const write = (store: TemporalStore, value: number) =>
    t.db.transaction((tx) =>
      store.insertInstances(tx, 't', [instanceRecord('urn:e:1', 'https://x/a', { type: 'Property', value }, new Date().toISOString())]),
    );
  const seriesRows = async () =>
    (await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM hub_temporal_series WHERE tenant = 't' AND entity_id = 'urn:e:1'")).rows[0].n;

  it('a write registers its series again after another process deleted the history', async () => {
    // Two stores: two Madina processes on one database.
    const mine = new TemporalStore();
    const other = new TemporalStore();
    expect((await write(mine, 1)).size).toBe(1); // a new series
    expect(await seriesRows()).toBe(1);
    await t.db.transaction((tx) => other.deleteEntity(tx, 't', 'urn:e:1'));
    expect(await seriesRows()).toBe(0);
    // The first process writes again: its instance must not go in without its series.
    expect((await write(mine, 2)).size).toBe(1);
    expect(await seriesRows()).toBe(1);
    // A known series is not created twice, and says so.
    expect((await write(mine, 3)).size).toBe(0);
    expect(await seriesRows()).toBe(1);
  });
});
