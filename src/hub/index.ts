/**
 * The hub: Madina's NGSI-LD context broker, the one shared store of city context.
 * Wires the entity service, @context service and the /ngsi-ld/v1 routes.
 */
import type { FastifyInstance } from 'fastify';
import type { Db } from '../platform/db/db.ts';
import { migrationsIn } from '../platform/db/migrator.ts';
import { EntityService } from './entities/service.ts';
import { EntityStore } from './entities/store.ts';
import { hubPlugin } from './http/hub-plugin.ts';
import { ContextService } from './jsonld/context-service.ts';
import { SqlContextStore } from './jsonld/context-store.ts';

export const hubMigrations = () => migrationsIn('hub', new URL('./migrations/', import.meta.url));

export interface Hub {
  entities: EntityService;
  contexts: ContextService;
}

export function createHub(db: Db, opts: { baseUrl: () => string }): Hub {
  const entities = new EntityService(db, new EntityStore());
  const contexts = new ContextService({ store: new SqlContextStore(db), baseUrl: opts.baseUrl });
  return { entities, contexts };
}

export async function registerHub(app: FastifyInstance, hub: Hub): Promise<void> {
  await app.register(async (scope) => hubPlugin(scope, hub), { prefix: '/ngsi-ld/v1' });
}
