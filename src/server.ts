import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from './platform/config.ts';
import type { Db } from './platform/db/db.ts';
import { migrate } from './platform/db/migrator.ts';
import { openDb } from './platform/db/open-db.ts';
import type { Logger } from './platform/log.ts';
import { createHub, hubMigrations, registerHub, type Hub } from './hub/index.ts';

export interface Madina {
  app: FastifyInstance;
  db: Db;
  hub: Hub;
  /** Stops accepting connections, finishes in-flight requests, closes the store. */
  close(): Promise<void>;
}

/** Builds the whole server on an open store (tests use this with app.inject()). */
export async function buildServer(config: Config, db: Db, logger: Logger): Promise<Madina> {
  await migrate(db, [...hubMigrations()]);
  const app: FastifyInstance = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    disableRequestLogging: config.logLevel !== 'debug' && config.logLevel !== 'trace',
    routerOptions: { maxParamLength: 2048 },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  const hub = createHub(db, { baseUrl: () => `http://localhost:${config.port}` });
  await registerHub(app, hub);
  app.get('/health', async () => ({ status: 'ok', driver: db.driver }));
  let closed = false;
  return {
    app,
    db,
    hub,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await db.close();
    },
  };
}

/** Opens the configured store and builds the server. */
export async function createMadina(config: Config, logger: Logger): Promise<Madina> {
  const db = await openDb(config);
  try {
    return await buildServer(config, db, logger);
  } catch (err) {
    await db.close();
    throw err;
  }
}
