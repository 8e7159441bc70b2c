import { loadConfig } from '../../src/platform/config.ts';
import { createLogger } from '../../src/platform/log.ts';
import { buildServer, type Madina } from '../../src/server.ts';
import { openTestDb, type TestDb } from './test-db.ts';

/** The whole server in this process on a fresh test store, for app.inject() and in-process clients. */
export async function buildTestServer(env: Record<string, string> = {}): Promise<{ madina: Madina; t: TestDb; close(): Promise<void> }> {
  const t = await openTestDb();
  const config = loadConfig({ LOG_LEVEL: 'silent', ...t.env, ...env });
  const madina = await buildServer(config, t.db, createLogger('silent'));
  return {
    madina,
    t,
    async close() {
      await madina.app.close();
      await t.drop();
    },
  };
}
