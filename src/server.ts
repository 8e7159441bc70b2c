import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from './platform/config.ts';
import type { Db } from './platform/db/db.ts';
import { migrate } from './platform/db/migrator.ts';
import { DbMaintenance } from './platform/db/maintenance.ts';
import { openDb } from './platform/db/open-db.ts';
import type { Logger } from './platform/log.ts';
import { createHub, hubMigrations, registerHub, type Hub } from './hub/index.ts';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { authMigrations, setupAuth } from './platform/auth/index.ts';
import { registerApiNotFound } from './platform/http/api.ts';
import type { AuthService } from './platform/auth/service.ts';
import { registerWeb } from './web/index.ts';
import { createIot, iotMigrations, type IotAgent } from './iot/index.ts';
import { registerSocial, socialMigrations } from './modules/social/index.ts';
import { citizenMigrations, registerCitizen } from './modules/citizen/index.ts';
import { lightingMigrations, registerLighting } from './modules/lighting/index.ts';
import { Jobs, jobRoutes } from './platform/jobs/index.ts';
import { registerWaste, wasteMigrations } from './modules/waste/index.ts';

/** Every component's migrations, in the order they apply (also used by `madina migrate`). */
export function allMigrations() {
  return [...authMigrations(), ...hubMigrations(), ...iotMigrations(), ...socialMigrations(), ...citizenMigrations(), ...lightingMigrations(), ...wasteMigrations()];
}

export interface Madina {
  app: FastifyInstance;
  db: Db;
  hub: Hub;
  auth: AuthService;
  /** The IoT agent (FIWARE IoT Agent JSON provisioning, MQTT/HTTP southbound, commands). */
  iot: IotAgent;
  /** Stops accepting connections, finishes in-flight requests, closes the store. */
  close(): Promise<void>;
}

/** Builds the whole server on an open store (tests use this with app.inject()). */
export async function buildServer(config: Config, db: Db, logger: Logger, opts: { mqtt?: boolean } = {}): Promise<Madina> {
  await migrate(db, allMigrations());
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
  await registerApiNotFound(app);

  const maintenance = new DbMaintenance(db, logger);
  maintenance.start();
  stops.push(() => maintenance.stop());
  const hub = createHub(db, { baseUrl: () => `http://localhost:${config.port}`, log: logger, maintenance, readCacheMb: config.hubReadCacheMb });
  await registerHub(app, hub, config.hubAuth);
  // Notification delivery: resumes the outbox left by the previous run; stopped when the app closes
  // (also for tests that only close the app), before the store closes.
  await hub.subscriptions.service.start();
  app.addHook('onClose', async () => hub.subscriptions.service.stop());
  // Temporal history upkeep: partitions ahead of the writers, retention (MADINA_TEMPORAL_RETENTION_DAYS).
  const retention = hub.temporal.retention({
    days: config.temporalRetentionDays,
    onError: (err) => logger.error({ err }, 'temporal retention failed'),
  });
  retention.start();
  stops.push(() => retention.stop());
  // Day packs of closed days: long history reads without one row per instance (MADINA_TEMPORAL_PACKS).
  if (config.temporalPacks) {
    const packer = hub.temporal.packer({ onError: (err) => logger.error({ err }, 'temporal day packing failed') });
    packer.start();
    stops.push(() => packer.stop());
  }
  // IoT agent: /iot, /api/iot; MQTT (embedded broker on MQTT_PORT unless MQTT_URL) only when serving,
  // so in-process tests never bind the MQTT port.
  const iot = await createIot(app, db, hub, config, logger);
  if (opts.mqtt) await iot.startMqtt();
  // Social desk (/api/social): case engine, centres on the hub, referrals; personal data stays in its tables.
  const social = await registerSocial(app, db, config, logger);
  stops.push(() => social.stop());
  // Citizen services (/open311/v2, /api/citizen): reports, tracking, back office; contacts stay in its tables.
  const citizen = await registerCitizen(app, db, config, auth, logger);
  stops.push(() => citizen.stop());
  // Public lighting (/api/lighting): inventory, master-plan scenarios, fault alerts from telemetry, commands, indicators.
  const lighting = await registerLighting(app, db, hub, iot.agent, logger);
  stops.push(() => lighting.stop());
  // Long jobs of every module (/api/jobs: state, SSE events, cancel); cancelled and awaited before the app closes.
  const jobs = new Jobs({ onError: (err, job) => logger.error({ err, jobId: job.id, kind: job.kind }, 'job failed') });
  await jobRoutes(app, jobs);
  app.addHook('preClose', async () => jobs.close());
  // Waste collection (/api/waste): fill forecasts, collection plans as jobs, exports, month simulation.
  await registerWaste(app, db, jobs, logger);
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
    iot: iot.agent,
    async close() {
      if (closed) return;
      closed = true;
      // MQTT first, then buffered measures go to the hub while it still answers in-process requests.
      await iot.close();
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
    return await buildServer(config, db, logger, { mqtt: true });
  } catch (err) {
    await db.close();
    throw err;
  }
}
