import { join } from 'node:path';

/** Which Db driver the suites run on: embedded PGlite (default) or PostgreSQL (npm run test:pg). */
export function testDriver(): 'pglite' | 'postgres' {
  return process.env.MADINA_TEST_DB === 'postgres' ? 'postgres' : 'pglite';
}

export function pgAdminUrl(): string {
  return process.env.MADINA_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
}

export const PG_TEMPLATE_DB = 'madina_test_template';

/** Bump when the template's content changes. */
const TEMPLATE_VERSION = 'pglite-0.5.8-postgis-v1';

export function pgliteTemplateDir(): string {
  return join(process.cwd(), 'node_modules', '.cache', 'madina', TEMPLATE_VERSION);
}
