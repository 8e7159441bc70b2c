/**
 * Subscriptions and notifications of the hub (NGSI-LD 1.8 §5.8, §5.11): matching in memory, a durable
 * outbox written with each change, per-endpoint delivery over HTTP(S) and MQTT, and the internal live
 * feed (in-process readers and SSE at /api/live).
 */
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { Db } from '../../platform/db/db.ts';
import type { ChurnReport } from '../../platform/db/maintenance.ts';
import type { Logger } from '../../platform/log.ts';
import type { EntityService } from '../entities/service.ts';
import type { EntityStore } from '../entities/store.ts';
import type { ContextService } from '../jsonld/context-service.ts';
import { DEFAULT_DISPATCHER_OPTIONS, type DispatcherOptions } from './dispatcher.ts';
import { LiveFeed } from './live.ts';
import { liveRoutes } from './live-routes.ts';
import { SubscriptionService } from './service.ts';
import { SubscriptionStore } from './store.ts';
import { HttpTransport, MqttTransport } from './transports.ts';

export { subscriptionRoutes } from './routes.ts';
export type { SubscriptionService } from './service.ts';
export type { LiveFeed } from './live.ts';

export interface NotifyOptions {
  dispatcher: Partial<DispatcherOptions>;
  /** Per notification (HTTP answer, MQTT acknowledgement). */
  timeoutMs: number;
  liveHeartbeatMs: number;
}

function intEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${v}"`);
  return n;
}

/** MADINA_NOTIFY_* tuning (defaults suit production; tests shorten the backoff). */
export function notifyOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): NotifyOptions {
  const d: Partial<DispatcherOptions> = {};
  const set = (k: keyof DispatcherOptions, name: string) => {
    const n = intEnv(env, name);
    if (n !== undefined) d[k] = n;
  };
  set('concurrency', 'MADINA_NOTIFY_CONCURRENCY');
  set('baseBackoffMs', 'MADINA_NOTIFY_BASE_BACKOFF_MS');
  set('maxBackoffMs', 'MADINA_NOTIFY_MAX_BACKOFF_MS');
  set('failuresBeforeFailed', 'MADINA_NOTIFY_FAILURES_BEFORE_FAILED');
  return {
    dispatcher: d,
    timeoutMs: intEnv(env, 'MADINA_NOTIFY_TIMEOUT_MS') ?? 10_000,
    liveHeartbeatMs: intEnv(env, 'MADINA_LIVE_HEARTBEAT_MS') ?? 15_000,
  };
}

export interface Subscriptions {
  service: SubscriptionService;
  live: LiveFeed;
  options: NotifyOptions;
}

export function createSubscriptions(deps: {
  db: Db;
  entities: EntityService;
  entityStore: EntityStore;
  contexts: ContextService;
  log: Logger;
  options?: NotifyOptions;
  /** Churn reports for DbMaintenance (see SubscriptionStore). */
  onWrite?: ChurnReport;
}): Subscriptions {
  const options = deps.options ?? notifyOptionsFromEnv();
  const concurrency = options.dispatcher.concurrency ?? DEFAULT_DISPATCHER_OPTIONS.concurrency;
  const service = new SubscriptionService({
    db: deps.db,
    store: new SubscriptionStore(deps.onWrite),
    entities: deps.entities,
    entityStore: deps.entityStore,
    contexts: deps.contexts,
    transports: {
      http: new HttpTransport({ timeoutMs: options.timeoutMs, maxSockets: concurrency }),
      mqtt: new MqttTransport({ timeoutMs: options.timeoutMs }),
    },
    log: deps.log,
    dispatcher: options.dispatcher,
  });
  return { service, live: new LiveFeed(deps.entities), options };
}

/** GET /api/live (the SSE live feed), in its own scope with problem+json errors. */
export async function registerLive(app: FastifyInstance, subs: Subscriptions, contexts: ContextService, guard?: preHandlerAsyncHookHandler): Promise<void> {
  await app.register(async (scope) => {
    if (guard) scope.addHook('preHandler', guard);
    await liveRoutes(scope, { live: subs.live, contexts, heartbeatMs: subs.options.liveHeartbeatMs });
  });
}
