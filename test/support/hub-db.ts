import { migrate } from '../../src/platform/db/migrator.ts';
import { hubMigrations } from '../../src/hub/index.ts';
import { openTestDb, type TestDb } from './test-db.ts';

/** A fresh test store (see openTestDb) with the hub's tables: its migrations applied. */
export async function openHubTestDb(): Promise<TestDb> {
  const t = await openTestDb();
  await migrate(t.db, hubMigrations());
  return t;
}
