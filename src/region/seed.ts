/**
 * `madina seed`: writes the region into the default tenant through HubClient — communes, arrondissements,
 * tram and busway, streetlight models, then the synthetic assets — and provisions each asset as an IoT
 * device. Idempotent (upsert with replace; existing devices are kept). The Region entity is written last
 * and records the seed and scale, so "is the region seeded?" is one lookup and the simulator can match it.
 */
import type { HubClient, NgsiEntity } from '../hub/client/hub-client.ts';
import { assetEntity, streetlightModelEntities } from './asset-entities.ts';
import { generateAssets, type Asset } from './assets.ts';
import { communeEntity, arrondissementEntity, PlaceLocator, REGION_ID, regionEntity } from './places.ts';
import { deviceDoc, serviceGroups, type DeviceProvisioner } from './provisioning.ts';
import { loadRegionData, type RegionData } from './region-data.ts';
import { transitEntities } from './transit.ts';

/** The region lives in the default tenant (no NGSILD-Tenant header). */
export const REGION_TENANT = '';
export const DEFAULT_SEED = 20260101;

export interface SeedOptions {
  seed: number | string;
  scale: number;
  /** Instant of the initial readings (default: now). */
  nowMs?: number;
  provisioner?: DeviceProvisioner;
  onProgress?: (phase: string, done: number, total: number) => void;
  data?: RegionData;
  /** Asset batches in flight at once (default 2). */
  concurrency?: number;
}

export interface SeedReport {
  places: number;
  transit: number;
  assets: number;
  devices: number;
  byType: Record<string, number>;
  durationMs: number;
  phasesMs: Record<string, number>;
}

const MAX_BATCH = 1000;
// The hub's default body limit is 1 MiB: keep batches well under it.
const MAX_BATCH_BYTES = 700_000;

/** Splits entities into upsert batches of at most 1000 entities and ~700 kB. */
export function batchesOf(entities: NgsiEntity[], maxCount = MAX_BATCH, maxBytes = MAX_BATCH_BYTES): NgsiEntity[][] {
  const out: NgsiEntity[][] = [];
  let current: NgsiEntity[] = [];
  let bytes = 2;
  for (const e of entities) {
    const size = JSON.stringify(e).length + 1;
    if (current.length && (current.length >= maxCount || bytes + size > maxBytes)) {
      out.push(current);
      current = [];
      bytes = 2;
    }
    current.push(e);
    bytes += size;
  }
  if (current.length) out.push(current);
  return out;
}

async function upsertAll(hub: HubClient, entities: NgsiEntity[], phase: string, onProgress?: SeedOptions['onProgress']): Promise<void> {
  let done = 0;
  for (const batch of batchesOf(entities)) {
    const outcome = await hub.upsertEntities(REGION_TENANT, batch, 'replace');
    if (outcome.errors.length) {
      const first = outcome.errors[0];
      throw new Error(`seed: ${outcome.errors.length} ${phase} entities rejected, first ${first.entityId}: ${first.error.detail ?? first.error.title ?? first.error.type}`);
    }
    done += batch.length;
    onProgress?.(phase, done, entities.length);
  }
}

/** Whether the default tenant already holds the seeded region; returns its seed and scale if so. */
export async function seededRegion(hub: HubClient): Promise<{ seed: number | string; scale: number } | undefined> {
  const region = await hub.getEntity(REGION_TENANT, REGION_ID, { format: 'keyValues' });
  if (!region) return undefined;
  const seed = region.seed as number | string | undefined;
  const scale = region.assetScale as number | undefined;
  return { seed: seed ?? DEFAULT_SEED, scale: typeof scale === 'number' ? scale : 1 };
}

export async function seedRegion(hub: HubClient, options: SeedOptions): Promise<SeedReport> {
  const started = performance.now();
  const phasesMs: Record<string, number> = {};
  let mark = started;
  const phase = (name: string) => {
    const now = performance.now();
    phasesMs[name] = Math.round(now - mark);
    mark = now;
  };
  const nowMs = options.nowMs ?? Date.now();
  const data = options.data ?? loadRegionData();
  const locator = new PlaceLocator(data);

  const places = [...data.communes.map(communeEntity), ...data.arrondissements.map(arrondissementEntity)];
  const transit = transitEntities(data.transit, locator);
  await upsertAll(hub, [...places, ...transit, ...streetlightModelEntities()], 'places', options.onProgress);
  phase('places');

  const assets: Asset[] = generateAssets(data, { seed: options.seed, scale: options.scale });
  phase('generate');

  if (options.provisioner) {
    await options.provisioner.provisionGroups(REGION_TENANT, serviceGroups());
    for (let i = 0; i < assets.length; i += MAX_BATCH) {
      await options.provisioner.provisionDevices(REGION_TENANT, assets.slice(i, i + MAX_BATCH).map(deviceDoc));
      options.onProgress?.('devices', Math.min(assets.length, i + MAX_BATCH), assets.length);
    }
  }
  phase('devices');

  // Entities are built batch by batch so the whole region never sits in memory twice; a few batches are
  // in flight at once (each is its own transaction), which PostgreSQL runs on several backends.
  let done = 0;
  const inFlight = new Set<Promise<void>>();
  const send = async (batch: NgsiEntity[]) => {
    const outcome = await hub.upsertEntities(REGION_TENANT, batch, 'replace');
    if (outcome.errors.length) throw new Error(`seed: ${outcome.errors.length} assets rejected, first ${outcome.errors[0].entityId}: ${outcome.errors[0].error.detail}`);
    done += batch.length;
    options.onProgress?.('assets', done, assets.length);
  };
  try {
    for (let i = 0; i < assets.length; i += MAX_BATCH) {
      const entities = assets.slice(i, i + MAX_BATCH).map((a) => assetEntity(a, nowMs, options.seed));
      for (const batch of batchesOf(entities)) {
        while (inFlight.size >= (options.concurrency ?? 2)) await Promise.race(inFlight);
        const p: Promise<void> = send(batch).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
    }
    await Promise.all(inFlight);
  } finally {
    // Never leave a batch running behind an error.
    await Promise.allSettled(inFlight);
  }
  phase('assets');

  const byType: Record<string, number> = {};
  for (const a of assets) byType[a.entityType] = (byType[a.entityType] ?? 0) + 1;
  const region = regionEntity(data);
  Object.assign(region, {
    seed: { type: 'Property', value: options.seed },
    assetScale: { type: 'Property', value: options.scale },
    syntheticAssetCount: { type: 'Property', value: assets.length },
    seededAt: { type: 'Property', value: { '@type': 'DateTime', '@value': new Date(nowMs).toISOString() } },
  });
  await hub.upsertEntities(REGION_TENANT, [region], 'replace');
  phase('region');

  return {
    places: places.length + 1,
    transit: transit.length,
    assets: assets.length,
    devices: options.provisioner ? assets.length : 0,
    byType,
    durationMs: Math.round(performance.now() - started),
    phasesMs,
  };
}
