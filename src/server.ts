import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from './platform/config.ts';
import type { Db } from './platform/db/db.ts';
import { migrate } from './platform/db/migrator.ts';
import { openDb } from './platform/db/open-db.ts';
import type { Logger } from './platform/log.ts';
import { createHub, hubMigrations, registerHub, type Hub } from './hub/index.ts';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { authMigrations, setupAuth } from './platform/auth/index.ts';
import type { AuthService } from './platform/auth/service.ts';
import { registerWeb } from './web/index.ts';

export interface Madina {
  app: FastifyInstance;
  db: Db;
  hub: Hub;
  auth: AuthService;
  /** Stops accepting connections, finishes in-flight requests, closes the store. */
  close(): Promise<void>;
}

/** Builds the whole server on an open store (tests use this with app.inject()). */
export async function buildServer(config: Config, db: Db, logger: Logger): Promise<Madina> {
  await migrate(db, [...authMigrations(), ...hubMigrations()]);
  const app: FastifyInstance = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    // Per-request log lines only at debug/trace: at info they would dominate the log under load.
    logController: new LogController({ disableRequestLogging: config.logLevel !== 'debug' && config.logLevel !== 'trace' }),
    routerOptions: { maxParamLength: 2048 },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  // Components stopped in reverse order of start by close(), before the store closes.
  const stops: (() => Promise<void>)[] = [];

  await app.register(cookie);
  // OpenAPI for Madina's own APIs (/api/...); the standards keep their own published descriptions.
  await app.register(swagger, {
    openapi: { info: { title: 'Madina API', version: '0.1.0', description: "Madina's own APIs. NGSI-LD: see docs/ngsi-ld.md" } },
    hideUntagged: true,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  const auth = await setupAuth(app, db, config, logger);

  const hub = createHub(db, { baseUrl: () => `http://localhost:${config.port}` });
  await registerHub(app, hub);
  // Temporal history upkeep: partitions ahead of the writers, retention (MADINA_TEMPORAL_RETENTION_DAYS).
  const retention = hub.temporal.retention({
    days: config.temporalRetentionDays,
    onError: (err) => logger.error({ err }, 'temporal retention failed'),
  });
  retention.start();
  stops.push(() => retention.stop());
  app.get('/health', async () => ({ status: 'ok', driver: db.driver }));
  // The web app at / (and its /api/map); registered last, its not-found handler serves client routes.
  await registerWeb(app, hub);
  let closed = false;
  // During shutdown every response closes its connection, so keep-alive clients cannot hold the
  // process open after their in-flight request is answered.
  app.addHook('onSend', async (_req, reply) => {
    if (closed) reply.header('connection', 'close');
  });
  return {
    app,
    db,
    hub,
    auth,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      for (const stop of stops.reverse()) await stop();
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
