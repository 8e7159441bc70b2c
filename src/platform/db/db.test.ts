import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../../../test/support/test-db.ts';
import { allSettledOrThrow } from './db.ts';
import { migrate } from './migrator.ts';

// One suite for the Db interface, run per driver: `npm test` (PGlite) and `npm run test:pg` (PostgreSQL).
describe(`Db driver (${process.env.MADINA_TEST_DB ?? 'pglite'})`, () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb();
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('binds parameters and returns typed rows', async () => {
    const r = await t.db.query<{ n: number; s: string; j: unknown }>(
      'SELECT $1::int + 1 AS n, $2::text AS s, $3::jsonb AS j',
      [41, "it's", JSON.stringify({ a: [1, 'x'] })],
    );
    expect(r.rows).toEqual([{ n: 42, s: "it's", j: { a: [1, 'x'] } }]);
  });

  it('runs a named (prepared) statement again and again with new values, also inside a transaction', async () => {
    const sql = 'SELECT $1::int * 2 AS n, $2::text AS s';
    const seen: unknown[] = [];
    for (let i = 0; i < 8; i++) seen.push((await t.db.query(sql, [i, `v${i}`], { prepare: 'test.double' })).rows[0]);
    const inTx = await t.db.transaction((tx) => tx.query(sql, [21, 'tx'], { prepare: 'test.double' }));
    expect(seen).toEqual(Array.from({ length: 8 }, (_, i) => ({ n: 2 * i, s: `v${i}` })));
    expect(inTx.rows).toEqual([{ n: 42, s: 'tx' }]);
  });

  it('has PostGIS and computes geodesic distances', async () => {
    // Casablanca tram: two points ~1 km apart along a meridian (1/60 degree of latitude ≈ 1853 m).
    const r = await t.db.query<{ d: number }>(
      `SELECT ST_Distance(ST_SetSRID(ST_MakePoint(-7.6, 33.5),4326)::geography,
                          ST_SetSRID(ST_MakePoint(-7.6, 33.5 + 1.0/60),4326)::geography) AS d`,
    );
    expect(r.rows[0].d).toBeGreaterThan(1845);
    expect(r.rows[0].d).toBeLessThan(1860);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    await t.db.exec('CREATE TABLE tx_probe (k text PRIMARY KEY)');
    await t.db.transaction(async (tx) => {
      await tx.query('INSERT INTO tx_probe VALUES ($1)', ['kept']);
    });
    await expect(
      t.db.transaction(async (tx) => {
        await tx.query('INSERT INTO tx_probe VALUES ($1)', ['lost']);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const rows = await t.db.query<{ k: string }>('SELECT k FROM tx_probe ORDER BY k');
    expect(rows.rows.map((r) => r.k)).toEqual(['kept']);
  });

  it('rolls back a transaction whose SQL fails, leaving nothing half written', async () => {
    await t.db.exec('CREATE TABLE tx_probe2 (k int PRIMARY KEY)');
    await expect(
      t.db.transaction(async (tx) => {
        await tx.query('INSERT INTO tx_probe2 VALUES (1)');
        await tx.query('INSERT INTO tx_probe2 VALUES (1)');
      }),
    ).rejects.toThrow();
    const rows = await t.db.query('SELECT * FROM tx_probe2');
    expect(rows.rows).toHaveLength(0);
  });

  it('runs a transaction\'s rollback hooks when it does not commit, and only then', async () => {
    const undone: string[] = [];
    await t.db.transaction(async (tx) => {
      tx.onRollback!(() => undone.push('committed'));
    });
    await expect(
      t.db.transaction(async (tx) => {
        tx.onRollback!(() => undone.push('thrown'));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(
      t.db.transaction(async (tx) => {
        tx.onRollback!(() => undone.push('failed SQL'));
        await tx.query('SELECT * FROM no_such_table');
      }),
    ).rejects.toThrow();
    expect(undone).toEqual(['thrown', 'failed SQL']);
  });

  it('runs statements issued together in the order issued, inside the transaction', async () => {
    await t.db.exec('CREATE TABLE together (n int PRIMARY KEY, v text)');
    const r = await t.db.transaction(async (tx) => {
      const sent = [
        tx.query("INSERT INTO together VALUES (1, 'a')"),
        tx.query("UPDATE together SET v = 'b' WHERE n = 1"),
        tx.query('DELETE FROM together WHERE n = 1'),
        tx.query("INSERT INTO together VALUES (1, 'c')"),
        tx.query<{ v: string }>('SELECT v FROM together'),
      ];
      return (await Promise.all(sent))[4];
    });
    expect(r.rows).toEqual([{ v: 'c' }]);
    // A failing one fails the transaction: nothing of it stays.
    await expect(
      t.db.transaction((tx) => allSettledOrThrow([tx.query("INSERT INTO together VALUES (2, 'x')"), tx.query("INSERT INTO together VALUES (1, 'dup')"), tx.query("INSERT INTO together VALUES (3, 'y')")])),
    ).rejects.toThrow();
    expect((await t.db.query('SELECT n FROM together ORDER BY n')).rows).toEqual([{ n: 1 }]);
  });

  it('never runs a statement its transaction issued after it ended, inside or outside another', async () => {
    await t.db.exec('CREATE TABLE late (n int)');
    let late: Promise<unknown> = Promise.resolve();
    await expect(
      t.db.transaction(async (tx) => {
        // A chain still running when its transaction gives up (as when Promise.all rejects early).
        late = tx.query('SELECT pg_sleep(0.05)').then(() => tx.query('INSERT INTO late VALUES (1)'));
        late.catch(() => undefined);
        throw new Error('given up');
      }),
    ).rejects.toThrow('given up');
    // The next transaction (likely on the same connection) must not see or commit it.
    await t.db.transaction(async (tx) => {
      await tx.query('SELECT pg_sleep(0.1)');
    });
    await late.catch(() => undefined);
    expect((await t.db.query('SELECT count(*)::int AS n FROM late')).rows).toEqual([{ n: 0 }]);
  });

  it('allSettledOrThrow waits for every chain, then fails with the first error', async () => {
    const done: string[] = [];
    const slow = new Promise((r) => setTimeout(r, 30)).then(() => done.push('slow'));
    const failing = Promise.reject(new Error('first'));
    const second = new Promise((_, reject) => setTimeout(() => reject(new Error('second')), 10));
    await expect(allSettledOrThrow([failing, slow, second])).rejects.toThrow('first');
    expect(done).toEqual(['slow']);
    expect(await allSettledOrThrow([Promise.resolve(1), Promise.resolve('a')])).toEqual([1, 'a']);
  });

  it('reports affected row counts', async () => {
    await t.db.exec('CREATE TABLE rc_probe (k int); INSERT INTO rc_probe VALUES (1),(2),(3)');
    const r = await t.db.query('UPDATE rc_probe SET k = k + 10 WHERE k >= $1', [2]);
    expect(r.rowCount).toBe(2);
  });

  it('applies migrations once, in order', async () => {
    const migrations = [
      { id: 'probe/001_a.sql', sql: 'CREATE TABLE mig_probe (v int); INSERT INTO mig_probe VALUES (1);' },
      { id: 'probe/002_b.sql', sql: 'INSERT INTO mig_probe VALUES (2);' },
    ];
    expect(await migrate(t.db, migrations)).toEqual(['probe/001_a.sql', 'probe/002_b.sql']);
    expect(await migrate(t.db, migrations)).toEqual([]);
    const rows = await t.db.query<{ v: number }>('SELECT v FROM mig_probe ORDER BY v');
    expect(rows.rows.map((r) => r.v)).toEqual([1, 2]);
  });

  it('does not record a migration that fails', async () => {
    const bad = [{ id: 'probe/003_bad.sql', sql: 'CREATE TABLE half (v int); SELECT no_such_function();' }];
    await expect(migrate(t.db, bad)).rejects.toThrow();
    const rec = await t.db.query('SELECT 1 FROM madina_migrations WHERE id = $1', ['probe/003_bad.sql']);
    expect(rec.rows).toHaveLength(0);
    const half = await t.db.query("SELECT 1 FROM pg_tables WHERE tablename = 'half'");
    expect(half.rows).toHaveLength(0);
  });

  it('closes only after the statements still running (and the ones they lead to) have finished', async () => {
    const own = await openTestDb();
    try {
      // A request handler whose client hung up, still working when the server shuts down.
      const handler = (async () => {
        const a = await own.db.query<{ n: number }>('SELECT 1 AS n');
        await new Promise((r) => setTimeout(r, 30));
        const b = await own.db.transaction((tx) => tx.query<{ n: number }>('SELECT 2 AS n'));
        return [a.rows[0].n, b.rows[0].n];
      })();
      await own.db.close();
      expect(await handler).toEqual([1, 2]);
      await expect(own.db.query('SELECT 3')).rejects.toThrow();
    } finally {
      await own.drop().catch(() => undefined);
    }
  });
});
