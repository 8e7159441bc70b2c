/**
 * Public lighting (schéma directeur de l'éclairage public): the inventory of lamps, models, cabinets and groups
 * in the hub, master-plan scenarios with their energy, cost, CO2 and payback, fault alerts from telemetry,
 * commands through the IoT agent, and indicators per commune written to the hub.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Db } from '../../platform/db/db.ts';
import { migrationsIn, type Migration } from '../../platform/db/migrator.ts';
import type { Logger } from '../../platform/log.ts';
import { HubClient } from '../../hub/client/hub-client.ts';
import { inProcessTransport } from '../../hub/client/transports.ts';
import type { Hub } from '../../hub/index.ts';
import type { IotAgent } from '../../iot/agent.ts';
import { lightingRoutes } from './routes.ts';
import { DEFAULT_ASSUMPTIONS, withDefaults, type Assumptions } from './scenarios.ts';
import { DEFAULT_LIGHTING_OPTIONS, LightingService } from './service.ts';
import { LightingStore } from './store.ts';
import { inProcessSender, WorkRequests } from './work-requests.ts';

export const lightingMigrations = (): Migration[] => migrationsIn('lighting', new URL('./migrations/', import.meta.url));

const SWEEP_EVERY_MS = 60_000;
const INDICATORS_EVERY_MS = 24 * 3_600_000;
/** Default seconds between two catch-ups with citizen services (MADINA_LIGHTING_WORK_REQUEST_RETRY_S). */
const WORK_REQUEST_RETRY_S = 600;

export interface LightingModule {
  service: LightingService;
  stop(): Promise<void>;
}

const envNumber = (env: NodeJS.ProcessEnv, name: string): number | undefined => {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number, got ${JSON.stringify(raw)}`);
  return n;
};

/** Assumptions from the environment (README): tariff, emission factor, discount rate, lifetime, switching threshold. */
export function assumptionsFromEnv(env: NodeJS.ProcessEnv): Assumptions {
  return withDefaults(
    {
      tariffMadPerKwh: envNumber(env, 'MADINA_LIGHTING_TARIFF_MAD_KWH'),
      emissionFactorTco2PerMwh: envNumber(env, 'MADINA_LIGHTING_EMISSION_FACTOR'),
      discountRate: envNumber(env, 'MADINA_LIGHTING_DISCOUNT_RATE'),
      lifetimeYears: envNumber(env, 'MADINA_LIGHTING_LIFETIME_YEARS'),
      thresholdDeg: envNumber(env, 'MADINA_LIGHTING_THRESHOLD_DEG'),
    },
    DEFAULT_ASSUMPTIONS,
  );
}

/** Registers /api/lighting (run lightingMigrations() first) and the live fault detection on the hub's changes. */
export async function registerLighting(app: FastifyInstance, db: Db, hub: Hub, iot: IotAgent | undefined, log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<LightingModule> {
  const client = new HubClient(inProcessTransport(app));
  let ready = false;
  let stopped = false;
  // Faults open work requests in citizen services through its API (in-process, as the system), once the server is ready.
  // MADINA_LIGHTING_WORK_REQUESTS=off keeps faults as alerts only (cities that dispatch crews another way).
  const workRequests =
    env.MADINA_LIGHTING_WORK_REQUESTS === 'off' ? undefined : new WorkRequests(inProcessSender(app, () => ready && !stopped));
  const retryS = envNumber(env, 'MADINA_LIGHTING_WORK_REQUEST_RETRY_S') ?? WORK_REQUEST_RETRY_S;
  if (retryS < 1) throw new Error(`MADINA_LIGHTING_WORK_REQUEST_RETRY_S must be at least 1 (seconds), got ${retryS}`);
  const service = new LightingService(
    db,
    new LightingStore(),
    client,
    iot,
    log,
    {
      ...DEFAULT_LIGHTING_OPTIONS,
      assumptions: assumptionsFromEnv(env),
      expectedPeriodS: envNumber(env, 'MADINA_LIGHTING_EXPECTED_PERIOD_S') ?? DEFAULT_LIGHTING_OPTIONS.expectedPeriodS,
      planStart: env.MADINA_LIGHTING_PLAN_START ? new Date(env.MADINA_LIGHTING_PLAN_START).toISOString() : DEFAULT_LIGHTING_OPTIONS.planStart,
      now: () => new Date(),
    },
    workRequests,
  );
  const core = await hub.contexts.mapper(undefined);
  await service.init((term) => core.expand(term));
  hub.entities.onCommitted((tenant, changes) => service.onCommitted(tenant, changes));

  const openStreams = new Set<FastifyReply>();
  await lightingRoutes(app, service, { openStreams });

  let sweep: NodeJS.Timeout | undefined;
  let daily: NodeJS.Timeout | undefined;
  let stopCatchingUp = () => {};
  let priming: Promise<unknown> = Promise.resolve();
  app.addHook('onReady', async () => {
    ready = true;
    // Hub reads go through the in-process client, so they wait until the server is ready.
    priming = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => service.primeFromHub())
      .then((n) => n && log.info({ lamps: n }, 'lighting: watching lamps for silence'))
      .then(() => service.catchUpWorkRequests())
      .then((n) => (n.opened || n.resolved) && log.info(n, 'lighting: caught up with work requests (opened for open alerts, resolved for cleared ones)'))
      .catch((err) => {
        // A shutdown in the first seconds closes the server under this read: not a failure, it runs again at the next start.
        if (stopped) log.info('lighting: reading lamps from the hub interrupted by shutdown (it runs again at the next start)');
        else log.error({ err }, 'lighting: reading lamps from the hub failed');
      });
    sweep = setInterval(() => service.sweep(), SWEEP_EVERY_MS);
    sweep.unref();
    // Indicators once a day (and on demand: POST /api/lighting/indicators/publish).
    daily = setInterval(() => {
      if (!stopped) service.publishIndicators().catch((err) => log.error({ err }, 'lighting: publishing indicators failed'));
    }, INDICATORS_EVERY_MS);
    daily.unref();
    if (workRequests) {
      stopCatchingUp = service.catchUpEvery(retryS * 1000, (n) =>
        log.info(n, 'lighting: caught up with work requests citizen services had missed'),
      );
    }
  });
  app.addHook('preClose', async () => {
    stopped = true;
    for (const r of openStreams) r.raw.end();
    openStreams.clear();
  });
  const stop = async () => {
    stopped = true;
    if (sweep) clearInterval(sweep);
    if (daily) clearInterval(daily);
    stopCatchingUp();
    await priming;
    await service.settled();
  };
  app.addHook('onClose', stop);
  return { service, stop };
}
