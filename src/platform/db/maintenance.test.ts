import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../../../test/support/test-db.ts';
import { DbMaintenance } from './maintenance.ts';

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
});
