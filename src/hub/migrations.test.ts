import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDb } from '../../test/support/test-db.ts';
import { openHubTestDb } from '../../test/support/hub-db.ts';
import { testDriver } from '../../test/support/test-env.ts';

describe('hub migrations on the driver under test', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openHubTestDb();
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('compresses entity documents and day packs with lz4 where the server has it (PostgreSQL), else pglz (PGlite)', async () => {
    const r = await t.db.query<{ col: string; method: string }>(
      `SELECT attrelid::regclass::text || '.' || attname AS col, attcompression::text AS method FROM pg_attribute
       WHERE (attrelid, attname) IN (('hub_entities'::regclass, 'doc'), ('hub_temporal_packs'::regclass, 'vals')) ORDER BY 1`,
    );
    const lz4 = (
      await t.db.query<{ lz4: boolean }>(
        `SELECT 'lz4' = ANY (enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`,
      )
    ).rows[0].lz4;
    // Debian's PostgreSQL 15 has lz4, PGlite has not: this runs one way on each driver.
    expect(lz4).toBe(testDriver() === 'postgres');
    const expected = lz4 ? 'l' : ''; // '' = the server's default, pglz
    expect(r.rows).toEqual([
      { col: 'hub_entities.doc', method: expected },
      { col: 'hub_temporal_packs.vals', method: expected },
    ]);
    // A large document goes in and comes back whole either way.
    const doc = { text: 'x'.repeat(20_000), n: 1 };
    await t.db.query(
      `INSERT INTO hub_entities (tenant, id, types, doc, created_at, modified_at) VALUES ('t', 'urn:big', '{T}', $1::jsonb, now(), now())`,
      [JSON.stringify(doc)],
    );
    const back = await t.db.query<{ doc: unknown; method: string | null }>(
      `SELECT doc, pg_column_compression(doc) AS method FROM hub_entities WHERE id = 'urn:big'`,
    );
    expect(back.rows[0].doc).toEqual(doc);
    expect(back.rows[0].method).toBe(lz4 ? 'lz4' : 'pglz');
  });
});
