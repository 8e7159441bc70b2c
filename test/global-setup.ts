import { existsSync, renameSync, rmSync } from 'node:fs';
import pg from 'pg';
import { openPglite } from '../src/platform/db/pglite.ts';
import { PG_TEMPLATE_DB, pgAdminUrl, pgliteTemplateDir, testDriver } from './support/test-env.ts';

/** Builds, once, the empty store every test file copies: PGlite's cold start with PostGIS is ~20 s. */
export default async function setup() {
  if (testDriver() === 'postgres') {
    const admin = new pg.Client({ connectionString: pgAdminUrl() });
    await admin.connect();
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [PG_TEMPLATE_DB]);
    if (!exists.rows.length) {
      await admin.query(`CREATE DATABASE ${PG_TEMPLATE_DB}`);
      const url = new URL(pgAdminUrl());
      url.pathname = `/${PG_TEMPLATE_DB}`;
      const t = new pg.Client({ connectionString: url.toString() });
      await t.connect();
      await t.query('CREATE EXTENSION IF NOT EXISTS postgis');
      await t.end();
    }
    await admin.end();
    return;
  }
  await ensurePgliteTemplate();
}

/** The PGlite template dir (a migrated-nothing, PostGIS-ready store), built on first use; benchmarks share it. */
export async function ensurePgliteTemplate(): Promise<string> {
  const dir = pgliteTemplateDir();
  if (existsSync(dir)) return dir;
  const building = `${dir}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  const db = await openPglite(building);
  await db.close();
  renameSync(building, dir);
  return dir;
}
