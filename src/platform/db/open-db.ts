import type { Config } from '../config.ts';
import type { Db } from './db.ts';
import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres.ts';

/** PostgreSQL when DATABASE_URL is set, else embedded PGlite in the data dir. */
export function openDb(config: Pick<Config, 'databaseUrl' | 'dataDir'> & Partial<Pick<Config, 'pgPrepared'>>): Promise<Db> {
  return config.databaseUrl ? openPostgres(config.databaseUrl, 20, { prepared: config.pgPrepared ?? true }) : openPglite(`${config.dataDir}/pg`);
}
