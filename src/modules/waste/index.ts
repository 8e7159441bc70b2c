/**
 * Waste collection: forecasts each WasteContainer's fill from its history in the hub, plans tomorrow's
 * routes for a commune or arrondissement (a job: containers predicted full, trucks with volume and shift
 * limits, the CVRP solver), stores versioned plans, exports them for crews, records collections, and
 * compares a month of sensor-driven planning with a fixed schedule.
 */
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../platform/db/db.ts';
import { migrationsIn, type Migration } from '../../platform/db/migrator.ts';
import type { Logger } from '../../platform/log.ts';
import type { Jobs } from '../../platform/jobs/jobs.ts';
import { HubClient } from '../../hub/client/hub-client.ts';
import { inProcessTransport } from '../../hub/client/transports.ts';
import { wasteRoutes } from './routes.ts';
import { WasteService } from './service.ts';
import { WasteStore } from './store.ts';

export const wasteMigrations = (): Migration[] => migrationsIn('waste', new URL('./migrations/', import.meta.url));

/** Registers /api/waste (run wasteMigrations() first); long work runs on `jobs` (served at /api/jobs). */
export async function registerWaste(app: FastifyInstance, db: Db, jobs: Jobs, log: Logger): Promise<WasteService> {
  const transport = inProcessTransport(app);
  const service = new WasteService(db, new WasteStore(), new HubClient(transport), transport, jobs, log);
  await wasteRoutes(app, service);
  return service;
}
