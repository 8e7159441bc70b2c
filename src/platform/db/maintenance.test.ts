import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../../../test/support/test-db.ts';
import { testDriver } from '../../../test/support/test-env.ts';
import type { Db } from './db.ts';
import { DbMaintenance } from './maintenance.ts';
import { watchedDb } from '../../../test/support/watched-db.ts';

describe('DbMaintenance', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb();
    await t.db.exec('CREATE TABLE churny (id int PRIMARY KEY, v int)');
  });
  afterAll(async () => {
    await t?.drop();
  });

  const stats = async () =>
    (await t.db.query<{ n: number; analyzed: boolean }>(
      `SELECT reltuples::float8 AS n, (SELECT count(*) > 0 FROM pg_stats WHERE tablename = 'churny') AS analyzed
       FROM pg_class WHERE relname = 'churny'`,
    )).rows[0];

  it('analyzes a table after a bulk load so the planner knows its size', async () => {
    await t.db.exec('INSERT INTO churny SELECT g, g FROM generate_series(1, 5000) g');
    expect((await stats()).analyzed).toBe(false);
    const m = new DbMaintenance(t.db, undefined, { minRows: 100 });
    m.note('churny', 5000);
    await m.tick();
    const s = await stats();
    expect(s.analyzed).toBe(true);
    expect(s.n).toBe(5000);
  });

  it('does nothing below the threshold', async () => {
    await t.db.exec('INSERT INTO churny SELECT g, g FROM generate_series(5001, 5010) g');
    const m = new DbMaintenance(t.db, undefined, { minRows: 100 });
    m.note('churny', 10);
    await m.tick();
    expect((await stats()).n).toBe(5000);
  });

  it('ignores table names that are not plain identifiers', async () => {
    const m = new DbMaintenance(t.db, undefined, { minRows: 1 });
    m.note('churny; DROP TABLE churny', 10_000);
    await m.tick();
    expect((await t.db.query('SELECT count(*)::int AS n FROM churny')).rows[0]).toEqual({ n: 5010 });
  });

  it('after a restart, judges growth against the size the catalogue knows, not against zero', async () => {
    // churny holds 5,010 analyzed rows: 200 more are not 10 % of it.
    const ran: string[] = [];
    const restarted = new DbMaintenance(recording(t.db, ran), undefined, { minRows: 100 });
    restarted.note('churny', 200);
    await restarted.tick();
    expect(ran).toEqual([]);
    restarted.note('churny', 400);
    await restarted.tick();
    expect(ran).toEqual(['ANALYZE churny']);
  });

  /** The test store, recording the maintenance statements it runs. */
  const recording = (db: Db, ran: string[], driver: Db['driver'] = db.driver): Db => watchedDb(db, { exec: (sql) => ran.push(sql), driver });

  /** The test store seen as PGlite (where vacuum and checkpoint are Madina's job), recording what runs. */
  const asPglite = (db: Db, ran: string[]): Db => recording(db, ran, 'pglite');

  it('PGlite: vacuums a churning table at most once a minute, keeping its dead-row count meanwhile', async () => {
    const ran: string[] = [];
    let now = 1_000_000;
    const m = new DbMaintenance(asPglite(t.db, ran), undefined, { minRows: 100, now: () => now });
    const vacuums = () => ran.filter((x) => x.startsWith('VACUUM')).length;
    m.note('churny', 5000, 5000);
    await m.tick();
    expect(vacuums()).toBe(1);
    now += 10_000;
    m.note('churny', 5000, 5000);
    await m.tick();
    expect(vacuums()).toBe(1);
    // Updates only: no ANALYZE either before the minute is over.
    expect(ran).toHaveLength(1);
    now += 50_000;
    await m.tick(); // nothing new noted, but the dead rows of the last tick are still owed
    expect(vacuums()).toBe(2);
  });

  it('PGlite: analyzes a table that grew at once, one only updated at most once a minute', async () => {
    const ran: string[] = [];
    let now = 5_000_000;
    const m = new DbMaintenance(asPglite(t.db, ran), undefined, { minRows: 100, now: () => now });
    m.note('churny', 5000);
    await m.tick();
    expect(ran).toEqual(['ANALYZE churny']);
    now += 10_000;
    m.note('churny', 5000); // grew again
    await m.tick();
    expect(ran).toEqual(['ANALYZE churny', 'ANALYZE churny']);
    now += 10_000;
    m.note('churny', 600, 600); // updates: too few dead rows for a vacuum, and the last analyze is recent
    await m.tick();
    expect(ran).toHaveLength(2);
    now += 50_000;
    await m.tick();
    expect(ran).toEqual(['ANALYZE churny', 'ANALYZE churny', 'ANALYZE churny']);
  });

  it('PGlite: dead rows still owed a vacuum do not hide growth from the next analyze', async () => {
    const ran: string[] = [];
    let now = 9_000_000;
    const m = new DbMaintenance(asPglite(t.db, ran), undefined, { minRows: 100, now: () => now });
    m.note('churny', 5000);
    await m.tick();
    now += 60_000;
    m.note('churny', 900, 900); // analyzed (a minute passed), too few dead rows to vacuum: they stay owed
    await m.tick();
    expect(ran).toEqual(['ANALYZE churny', 'ANALYZE churny']);
    now += 10_000;
    m.note('churny', 800); // grew by 16 %
    await m.tick();
    expect(ran).toEqual(['ANALYZE churny', 'ANALYZE churny', 'ANALYZE churny']);
  });

  // PGlite only: on PostgreSQL the WAL is the whole cluster's, and the test files running beside this one
  // write to it at any moment.
  it.skipIf(testDriver() === 'postgres')('PGlite: checkpoints once enough WAL was written, or after the interval with any', async () => {
    const ran: string[] = [];
    let now = 0;
    const m = new DbMaintenance(asPglite(t.db, ran), undefined, { checkpointWalBytes: 64 * 1024, checkpointEveryMs: 300_000, now: () => now });
    /** Checkpoints run so far, after a tick `ms` later than the last. */
    const checkpointsAfterTick = async (ms: number) => {
      now += ms;
      await m.tick();
      return ran.filter((x) => x === 'CHECKPOINT').length;
    };
    expect(await checkpointsAfterTick(0)).toBe(0); // the baseline
    await t.db.exec('UPDATE churny SET v = v + 1 WHERE id <= 10');
    expect(await checkpointsAfterTick(10_000)).toBe(0);
    expect(await checkpointsAfterTick(300_000)).toBe(1);
    await t.db.exec('UPDATE churny SET v = v + 1'); // 5,010 rows: well over 64 kB of WAL
    expect(await checkpointsAfterTick(10_000)).toBe(2);
    expect(await checkpointsAfterTick(10_000)).toBe(2);
  });
});
