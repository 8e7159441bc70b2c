/**
 * `madina seed` and `madina simulate`. Seed writes the region into the configured store (run it while the
 * server is stopped when the store is embedded PGlite); simulate publishes telemetry to the MQTT broker of
 * a running Madina.
 */
import { parseArgs } from 'node:util';
import type { Config } from '../platform/config.ts';
import { mqttPublisher, Simulator } from '../simulator/runner.ts';
import { generateAssets, parseScale } from './assets.ts';
import { loadRegionData } from './region-data.ts';
import { REGION_ID } from './places.ts';

export const SEED_USAGE = `Usage: madina seed [--seed N] [--scale full|small|tiny|FACTOR]

Writes Casablanca-Settat into the default tenant: 153 communes, Casablanca's 16 arrondissements,
tram and busway lines and stops, and synthetic assets (about 22,000 at full scale) provisioned as
IoT devices. Idempotent. Defaults: MADINA_SEED_VALUE (20260101), MADINA_SEED_SCALE (full).
`;

export const SIMULATE_USAGE = `Usage: madina simulate [--rate N] [--speed S] [--seed N] [--scale X] [--mqtt URL] [--hub URL] [--duration S]

Publishes the synthetic assets' telemetry over MQTT (/json/<apikey>/<device_id>/attrs) through the
IoT agent of a running Madina.
  --rate N       measure sets per second (default 200)
  --speed S      simulated seconds per real second (default 1)
  --seed, --scale  the seed and scale the region was seeded with (default: read from the hub's
                 Region entity, else MADINA_SEED_VALUE / MADINA_SEED_SCALE)
  --mqtt URL     broker (default MQTT_URL, else mqtt://127.0.0.1:MQTT_PORT)
  --hub URL      Madina to read the Region entity from (default http://127.0.0.1:PORT)
  --duration S   stop after S seconds (default: until Ctrl-C)
`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

function positiveNumber(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${raw}"`);
  return n;
}

/** Runs `madina seed`; returns the exit code. */
export async function runSeedCli(argv: string[], config: Config, io: CliIo): Promise<number> {
  let values: { seed?: string; scale?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { seed: { type: 'string' }, scale: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    io.stderr(`${(err as Error).message}\n\n${SEED_USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout(SEED_USAGE);
    return 0;
  }
  const seed = values.seed === undefined ? config.region.assetSeed : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) {
    io.stderr(`--seed must be a non-negative integer\n`);
    return 2;
  }
  let scale: number;
  try {
    scale = values.scale === undefined ? config.region.seedScale : parseScale(values.scale);
  } catch (err) {
    io.stderr(`${(err as Error).message}\n`);
    return 2;
  }
  const { createLogger } = await import('../platform/log.ts');
  const { buildServer } = await import('../server.ts');
  const { openDb } = await import('../platform/db/open-db.ts');
  const { HubClient } = await import('../hub/client/hub-client.ts');
  const { inProcessTransport } = await import('../hub/client/transports.ts');
  const { seedRegion } = await import('./seed.ts');
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  // No MQTT: seeding needs the hub and the agent's registry, not the broker (a running server may hold its port).
  const db = await openDb(config);
  const madina = await buildServer(config, db, log).catch(async (err) => {
    await db.close();
    throw err;
  });
  try {
    const hub = new HubClient(inProcessTransport(madina.app));
    const provisioner = await regionProvisioner(madina);
    if (!provisioner) io.stderr('warning: no IoT agent in this build; assets are seeded without devices\n');
    let last = '';
    const report = await seedRegion(hub, {
      seed,
      scale,
      provisioner,
      onProgress: (phase, done, total) => {
        const line = `${phase} ${done}/${total}`;
        if (line !== last && (done === total || done % 5000 < 1000)) io.stderr(`${line}\n`);
        last = line;
      },
    });
    io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  } finally {
    await madina.close();
  }
}

/** The IoT agent of a built server, when this build has one, as the seed's provisioner. */
export async function regionProvisioner(madina: object): Promise<import('./provisioning.ts').DeviceProvisioner | undefined> {
  const iot = (madina as { iot?: { agent?: unknown } }).iot;
  const agent = (iot?.agent ?? iot) as Parameters<typeof import('./iot-provisioner.ts').agentProvisioner>[0] | undefined;
  if (!agent || typeof agent.provisionDevices !== 'function' || typeof agent.provisionGroup !== 'function') return undefined;
  const { agentProvisioner } = await import('./iot-provisioner.ts');
  return agentProvisioner(agent);
}

async function regionFromHub(hubUrl: string): Promise<{ seed: number; scale: number } | undefined> {
  try {
    const res = await fetch(`${hubUrl.replace(/\/$/, '')}/ngsi-ld/v1/entities/${encodeURIComponent(REGION_ID)}?options=keyValues`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) return undefined;
    const region = (await res.json()) as { seed?: unknown; assetScale?: unknown };
    if (typeof region.seed !== 'number' || typeof region.assetScale !== 'number') return undefined;
    return { seed: region.seed, scale: region.assetScale };
  } catch {
    return undefined;
  }
}

/** Runs `madina simulate` until SIGINT/SIGTERM or --duration; returns the exit code. */
export async function runSimulateCli(argv: string[], config: Config, io: CliIo, signal?: AbortSignal): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        rate: { type: 'string' },
        speed: { type: 'string' },
        seed: { type: 'string' },
        scale: { type: 'string' },
        mqtt: { type: 'string' },
        hub: { type: 'string' },
        duration: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    io.stderr(`${(err as Error).message}\n\n${SIMULATE_USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout(SIMULATE_USAGE);
    return 0;
  }
  let rate: number, speed: number, durationS: number | undefined, scale: number | undefined, seed: number | undefined;
  try {
    rate = positiveNumber(values.rate as string | undefined, 'rate', 200);
    speed = positiveNumber(values.speed as string | undefined, 'speed', 1);
    durationS = values.duration === undefined ? undefined : positiveNumber(values.duration as string, 'duration', 1);
    scale = values.scale === undefined ? undefined : parseScale(values.scale as string);
    seed = values.seed === undefined ? undefined : Number(values.seed);
    if (seed !== undefined && !Number.isInteger(seed)) throw new Error('--seed must be an integer');
  } catch (err) {
    io.stderr(`${(err as Error).message}\n`);
    return 2;
  }
  if (seed === undefined || scale === undefined) {
    const fromHub = await regionFromHub((values.hub as string | undefined) ?? `http://127.0.0.1:${config.port}`);
    if (fromHub) io.stderr(`region seeded with seed ${fromHub.seed}, scale ${fromHub.scale} (read from the hub)\n`);
    seed ??= fromHub?.seed ?? config.region.assetSeed;
    scale ??= fromHub?.scale ?? config.region.seedScale;
  }
  const url = (values.mqtt as string | undefined) ?? config.mqttUrl ?? `mqtt://127.0.0.1:${config.mqttPort}`;
  const assets = generateAssets(loadRegionData(), { seed, scale });
  const sim = new Simulator(mqttPublisher(url), { assets, seed, ratePerS: rate, speed });
  sim.start();
  io.stderr(`simulating ${assets.length} assets at ${rate} measures/s (speed ×${speed}) on ${url}\n`);
  const report = setInterval(() => {
    const s = sim.stats;
    io.stderr(`published ${s.published}, dropped ${s.dropped} (broker unreachable), simulated time ${s.simulatedTime ?? '-'}\n`);
  }, 10_000);
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    if (durationS !== undefined) setTimeout(done, durationS * 1000).unref();
    signal?.addEventListener('abort', done, { once: true });
  });
  clearInterval(report);
  await sim.stop();
  io.stdout(`${JSON.stringify(sim.stats)}\n`);
  return 0;
}
