/**
 * The hub's temporal API: every attribute instance kept in a time-partitioned history (written inside
 * the entity write's transaction), temporal queries and aggregation in SQL, and history provisioning.
 */
import type { Db } from '../../platform/db/db.ts';
import type { EntityService } from '../entities/service.ts';
import { PackJob, type PackJobOptions } from './packs.ts';
import { RetentionJob } from './retention.ts';
import { TemporalService } from './service.ts';
import { TemporalStore } from './store.ts';

export { temporalRoutes } from './routes.ts';
export { RetentionJob } from './retention.ts';
export { PackJob } from './packs.ts';
export { TemporalService } from './service.ts';

export interface Temporal {
  service: TemporalService;
  store: TemporalStore;
  /** A retention job for this history (started by the server). */
  retention(opts: { days: number; onError?: (err: unknown) => void }): RetentionJob;
  /** The day packer for this history (started by the server). */
  packer(opts?: PackJobOptions): PackJob;
}

/** Builds the temporal service and subscribes it to the entity service's changes. */
export function createTemporal(db: Db, entities: EntityService): Temporal {
  const store = new TemporalStore();
  const service = new TemporalService(db, store);
  entities.onChange(service.record);
  return { service, store, retention: (opts) => new RetentionJob(db, store, opts), packer: (opts) => new PackJob(db, store, opts) };
}
