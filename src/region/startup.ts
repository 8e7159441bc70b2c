/**
 * What `madina start` does for the region once the server listens: seed the region when the default
 * tenant does not hold it yet (unless MADINA_SEED=off), then run the simulator at a low rate (unless
 * MADINA_SIMULATOR=off). Runs in the background so the server answers at once; stop() ends both cleanly.
 */
import type { FastifyInstance } from 'fastify';
import { HubClient } from '../hub/client/hub-client.ts';
import { inProcessTransport } from '../hub/client/transports.ts';
import type { Logger } from '../platform/log.ts';
import { mqttPublisher, Simulator } from '../simulator/runner.ts';
import { generateAssets } from './assets.ts';
import type { DeviceProvisioner } from './provisioning.ts';
import { loadRegionData } from './region-data.ts';
import { seededRegion, seedRegion } from './seed.ts';

export interface RegionSettings {
  seed: 'auto' | 'off';
  assetSeed: number | string;
  seedScale: number;
  simulator: boolean;
  simulatorRate: number;
  simulatorSpeed: number;
}

export interface RegionServices {
  /** Settles when the seed (if any) is done and the simulator (if any) started. */
  ready: Promise<void>;
  simulator(): Simulator | undefined;
  stop(): Promise<void>;
}

class Aborted extends Error {}

export function startRegionServices(
  app: FastifyInstance,
  settings: RegionSettings,
  log: Logger,
  opts: { provisioner?: DeviceProvisioner; mqttUrl: () => string | undefined },
): RegionServices {
  const hub = new HubClient(inProcessTransport(app));
  let stopping = false;
  let simulator: Simulator | undefined;

  const run = async () => {
    let seeded = await seededRegion(hub);
    if (!seeded && settings.seed !== 'off') {
      log.info({ seed: settings.assetSeed, scale: settings.seedScale }, 'region: seeding Casablanca-Settat (communes, arrondissements, transit, synthetic assets)');
      if (!opts.provisioner) log.warn('region: no IoT agent to provision devices with; assets are seeded without devices');
      let lastLog = 0;
      const report = await seedRegion(hub, {
        seed: settings.assetSeed,
        scale: settings.seedScale,
        provisioner: opts.provisioner,
        onProgress: (phase, done, total) => {
          if (stopping) throw new Aborted('stopping');
          if (Date.now() - lastLog > 5000 || done === total) {
            lastLog = Date.now();
            log.info({ phase, done, total }, 'region: seeding');
          }
        },
      });
      log.info(report, 'region: seeded');
      seeded = { seed: settings.assetSeed, scale: settings.seedScale };
    }
    if (!seeded || !settings.simulator || stopping) return;
    const url = opts.mqttUrl();
    if (!url) {
      log.warn('region: no MQTT broker known; the simulator does not run');
      return;
    }
    const assets = generateAssets(loadRegionData(), { seed: seeded.seed, scale: seeded.scale });
    simulator = new Simulator(mqttPublisher(url), { assets, seed: seeded.seed, ratePerS: settings.simulatorRate, speed: settings.simulatorSpeed });
    simulator.start();
    log.info({ url, ratePerS: settings.simulatorRate, speed: settings.simulatorSpeed, assets: assets.length }, 'region: simulator publishing telemetry');
  };

  const ready = run().catch((err) => {
    if (err instanceof Aborted) log.info('region: seeding interrupted by shutdown (it resumes at the next start)');
    else log.error({ err }, 'region: seeding or simulator failed');
  });

  return {
    ready,
    simulator: () => simulator,
    async stop() {
      stopping = true;
      await ready;
      if (simulator) {
        log.info(simulator.stats, 'region: simulator stopped');
        await simulator.stop();
      }
    },
  };
}
