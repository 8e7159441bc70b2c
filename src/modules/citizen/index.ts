/**
 * Citizen e-services: problem reports in the public space (Open311 GeoReport v2 at /open311/v2, the web
 * form, tracking and back office at /api/citizen), placed by point-in-polygon, linked to the nearest asset
 * and to open duplicates, mirrored to the hub without personal data, with indicators per commune.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../platform/config.ts';
import type { Db } from '../../platform/db/db.ts';
import { migrationsIn, type Migration } from '../../platform/db/migrator.ts';
import type { Logger } from '../../platform/log.ts';
import type { AuthService } from '../../platform/auth/service.ts';
import { HubClient } from '../../hub/client/hub-client.ts';
import { inProcessTransport } from '../../hub/client/transports.ts';
import { citizenConfig, type CitizenConfig } from './config.ts';
import { Limits } from './http-support.ts';
import { open311Routes } from './open311-routes.ts';
import { CitizenPlaces } from './places.ts';
import { citizenRoutes } from './routes.ts';
import { CitizenService } from './service.ts';
import { CitizenStore } from './store.ts';

export const citizenMigrations = (): Migration[] => migrationsIn('citizen', new URL('./migrations/', import.meta.url));

/** The Open311 key the embedded demo enables (README); never in production or without demo data. */
export const DEMO_OPEN311_KEY = 'demo';
const HOURLY_MS = 60 * 60_000;
const SYNC_RETRY_MS = 60_000;

export interface CitizenModule {
  service: CitizenService;
  config: CitizenConfig;
  stop(): Promise<void>;
}

export async function registerCitizen(app: FastifyInstance, db: Db, config: Config, auth: AuthService, log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<CitizenModule> {
  const cfg = citizenConfig(env);
  const places = new CitizenPlaces();
  const hub = new HubClient(inProcessTransport(app));
  const service = new CitizenService(db, new CitizenStore(), hub, places, cfg, log);
  const limits = new Limits(cfg);

  if (config.mode === 'demo' && config.region.seed !== 'off') {
    const existing = await auth.principalForApiKey(DEMO_OPEN311_KEY);
    if (existing.kind === 'anonymous') {
      await auth.createApiKey({ name: 'Open311 demo key', roles: ['open311-client'], communes: ['*'], key: DEMO_OPEN311_KEY }, null);
      log.info({ apiKey: DEMO_OPEN311_KEY }, 'demo mode: Open311 POST accepts api_key=demo');
    }
  }

  await open311Routes(app, service, auth, limits, cfg.photoMaxBytes);
  await citizenRoutes(app, service, places, limits, cfg.photoMaxBytes);

  const timers: NodeJS.Timeout[] = [];
  app.addHook('onReady', async () => {
    // Hub writes go through the in-process client: only once the server is ready.
    setImmediate(() => {
      void service.syncHub();
      service.publishIndicators().catch((err) => log.warn({ err }, 'citizen: indicators failed'));
    });
    timers.push(setInterval(() => void service.syncHub(), SYNC_RETRY_MS));
    timers.push(
      setInterval(() => {
        service.publishIndicators().catch((err) => log.warn({ err }, 'citizen: indicators failed'));
        service
          .purgeContacts()
          .then((n) => n && log.info({ deleted: n }, 'citizen: reporters’ contact details past retention deleted'))
          .catch((err) => log.error({ err }, 'citizen: contact retention failed'));
      }, HOURLY_MS),
    );
    for (const t of timers) t.unref();
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const t of timers) clearInterval(t);
    await service.stop();
  };
  app.addHook('preClose', stop);
  return { service, config: cfg, stop };
}
