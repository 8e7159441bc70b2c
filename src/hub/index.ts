/**
 * The hub: Madina's NGSI-LD context broker, the one shared store of city context.
 * Wires the entity service, @context service and the /ngsi-ld/v1 routes.
 */
import type { FastifyInstance } from 'fastify';
import type { Db } from '../platform/db/db.ts';
import type { ChurnReport, DbMaintenance } from '../platform/db/maintenance.ts';
import { migrationsIn } from '../platform/db/migrator.ts';
import { requireRole } from '../platform/auth/plugin.ts';
import { EntityService } from './entities/service.ts';
import { EntityStore } from './entities/store.ts';
import { HUB_ROLES, hubAccessHook, type HubAccessPolicy } from './http/access.ts';
import { hubPlugin } from './http/hub-plugin.ts';
import { EntityReadCache } from './entities/read-cache.ts';
import { ContextService } from './jsonld/context-service.ts';
import { SqlContextStore } from './jsonld/context-store.ts';
import { createTemporal, type Temporal } from './temporal/index.ts';
import { createSubscriptions, registerLive, type NotifyOptions, type Subscriptions } from './subscriptions/index.ts';
import type { Logger } from '../platform/log.ts';
import { createLogger } from '../platform/log.ts';

export const hubMigrations = () => migrationsIn('hub', new URL('./migrations/', import.meta.url));

export interface Hub {
  entities: EntityService;
  contexts: ContextService;
  /** Temporal API: history of every attribute instance (its listener is on `entities`). */
  temporal: Temporal;
  /** Subscriptions, their notification delivery and the live feed; start()/stop() with the server. */
  subscriptions: Subscriptions;
}

export function createHub(
  db: Db,
  opts: { baseUrl: () => string; log?: Logger; notify?: NotifyOptions; maintenance?: DbMaintenance; readCacheMb?: number },
): Hub {
  const onWrite: ChurnReport = (table, changed, deadMaking) => opts.maintenance?.note(table, changed, deadMaking);
  const entityStore = new EntityStore(onWrite);
  const readCache = new EntityReadCache((opts.readCacheMb ?? 64) * 2 ** 20);
  const entities = new EntityService(db, entityStore, undefined, readCache);
  const contexts = new ContextService({ store: new SqlContextStore(db), baseUrl: opts.baseUrl });
  const temporal = createTemporal(db, entities);
  const subscriptions = createSubscriptions({ db, entities, entityStore, contexts, log: opts.log ?? createLogger('silent'), options: opts.notify, onWrite });
  return { entities, contexts, temporal, subscriptions };
}

export async function registerHub(app: FastifyInstance, hub: Hub, policy: HubAccessPolicy = 'open'): Promise<void> {
  await app.register(
    async (scope) => {
      scope.addHook('preHandler', hubAccessHook(policy));
      await hubPlugin(scope, hub);
    },
    { prefix: '/ngsi-ld/v1' },
  );
  // The live feed shows the same entities as the hub's reads: under `all`, it needs the same roles
  // (answered in the /api problem format of its scope).
  await registerLive(app, hub.subscriptions, hub.contexts, policy === 'all' ? requireRole(...HUB_ROLES) : undefined);
}
