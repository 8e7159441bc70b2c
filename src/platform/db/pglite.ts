import { mkdirSync } from 'node:fs';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';
import type { Db, Queryable, QueryResult } from './db.ts';

/**
 * Embedded PostgreSQL (PGlite) with PostGIS, persisted in a data directory.
 *
 * Durability: PGlite runs with fsync off, but every committed transaction's WAL is written
 * to the data directory through ordinary write() calls before the query resolves, so an
 * acknowledged write survives kill -9 of the process (the OS keeps the pages). It does not
 * survive a power loss: production uses PostgreSQL (DATABASE_URL).
 */
export async function openPglite(dataDir: string | undefined): Promise<Db> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const pg = new PGlite(dataDir, { extensions: { postgis } });
  await pg.waitReady;
  await pg.exec('CREATE EXTENSION IF NOT EXISTS postgis');
  return new PgliteDb(pg);
}

function wrap(q: PGlite | Transaction): Queryable {
  return {
    async query<Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
      const r = await q.query<Row>(sql, params as unknown[] | undefined);
      return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
    },
    async exec(sql: string) {
      await q.exec(sql);
    },
  };
}

class PgliteDb implements Db {
  readonly driver = 'pglite' as const;
  private readonly direct: Queryable;

  constructor(private readonly pg: PGlite) {
    this.direct = wrap(pg);
  }

  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]) {
    return this.direct.query<Row>(sql, params);
  }

  exec(sql: string) {
    return this.direct.exec(sql);
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.pg.transaction((tx) => fn(wrap(tx)));
  }

  async close() {
    if (!this.pg.closed) await this.pg.close();
  }
}
