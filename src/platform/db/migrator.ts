import { readdirSync, readFileSync } from 'node:fs';
import type { Db } from './db.ts';

export interface Migration {
  /** Unique across the project: "<owner>/<file name>", e.g. "hub/001_entities.sql". */
  id: string;
  sql: string;
}

/** Reads the ordered .sql files of one owner's migrations folder. */
export function migrationsIn(owner: string, dir: URL): Migration[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => ({ id: `${owner}/${f}`, sql: readFileSync(new URL(f, dir), 'utf8') }));
}

/**
 * Applies the migrations not yet recorded, each in its own transaction, in order.
 * An advisory lock keeps two processes sharing a PostgreSQL from migrating at once.
 */
export async function migrate(db: Db, migrations: Migration[]): Promise<string[]> {
  await db.exec(`CREATE TABLE IF NOT EXISTS madina_migrations (
    id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
  const applied: string[] = [];
  for (const m of migrations) {
    const done = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(7361001)');
      const seen = await tx.query('SELECT 1 FROM madina_migrations WHERE id = $1', [m.id]);
      if (seen.rows.length) return false;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO madina_migrations (id) VALUES ($1)', [m.id]);
      return true;
    });
    if (done) applied.push(m.id);
  }
  return applied;
}
