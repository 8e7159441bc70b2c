#!/usr/bin/env node
/** madina <command>: start (default) | migrate | seed | simulate | vrp. */
import { loadConfig, ConfigError } from './platform/config.ts';
import { createLogger } from './platform/log.ts';
import { createMadina } from './server.ts';
import { openDb } from './platform/db/open-db.ts';
import { migrate } from './platform/db/migrator.ts';
import { DemoCredentialsError } from './platform/auth/index.ts';

const USAGE = `Usage: madina <command>

Commands:
  start     Serve Madina (HTTP on PORT, default 8080)
  migrate   Apply database migrations and exit
  vrp       Solve a vehicle-routing instance: madina vrp solve FILE.vrp [--time S] [--seed N] [--out FILE.sol]
  seed      Write Casablanca-Settat (places, transit, synthetic assets) into the store: madina seed [--seed N] [--scale X]
  simulate  Publish the assets' telemetry over MQTT to a running Madina: madina simulate [--rate N] [--speed S]
  audit     Check the hash chain of the personal-data audit log: madina audit verify [--json]
  plan      Plan on a running Madina, with a progress bar: madina plan waste --commune CODE [--help]
`;

async function start() {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const madina = await createMadina(config, log);
  // Set once the region services start (after the port opens).
  const running: { region?: { stop(): Promise<void> } } = {};

  // Handlers go in before the port opens: a signal that arrives as soon as /health answers must
  // still shut down cleanly, not kill the process mid-write.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      log.error('shutdown took longer than 20 s; exiting');
      process.exit(1);
    }, 20_000);
    force.unref();
    try {
      await running.region?.stop();
      await madina.close();
      log.info('stopped cleanly');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'error while shutting down');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const address = await madina.app.listen({ port: config.port, host: config.host });
  log.info({ address, driver: madina.db.driver, dataDir: config.databaseUrl ? undefined : config.dataDir }, 'Madina is listening');
  // The region: seeded in the background when missing (MADINA_SEED), then the live simulator (MADINA_SIMULATOR).
  const { startRegionServices } = await import('./region/startup.ts');
  const { regionProvisioner } = await import('./region/cli.ts');
  if (stopping) return;
  running.region = startRegionServices(madina.app, config.region, log, {
    provisioner: await regionProvisioner(madina),
    mqttUrl: () => config.mqttUrl ?? `mqtt://127.0.0.1:${config.mqttPort}`,
  });
}

async function migrateOnly() {
  const config = loadConfig();
  const db = await openDb(config);
  try {
    const { allMigrations } = await import('./server.ts');
    const applied = await migrate(db, allMigrations());
    console.log(applied.length ? `applied ${applied.join(', ')}` : 'up to date');
  } finally {
    await db.close();
  }
}

async function main(argv: string[]) {
  const [command = 'start'] = argv;
  switch (command) {
    case 'start':
      return start();
    case 'migrate':
      return migrateOnly();
    case 'vrp': {
      const { runVrpCli } = await import('./optimize/vrp/cli.ts');
      const fs = await import('node:fs/promises');
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      const io = { stdout: (t: string) => void process.stdout.write(t), stderr: (t: string) => void process.stderr.write(t), signal: abort.signal };
      process.exit(await runVrpCli(argv.slice(1), { ...io, readFile: (f) => fs.readFile(f, 'utf8'), writeFile: (f, t) => fs.writeFile(f, t) }));
      return;
    }
    case 'seed':
    case 'simulate': {
      const region = await import('./region/cli.ts');
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      process.once('SIGTERM', () => abort.abort());
      const io = { stdout: (t: string) => void process.stdout.write(t), stderr: (t: string) => void process.stderr.write(t) };
      const config = loadConfig();
      process.exit(command === 'seed' ? await region.runSeedCli(argv.slice(1), config, io) : await region.runSimulateCli(argv.slice(1), config, io, abort.signal));
      return;
    }
    case 'plan': {
      if (argv[1] !== 'waste') {
        process.stderr.write(`Unknown plan "${argv[1] ?? ''}": madina plan waste --commune CODE\n`);
        process.exit(2);
      }
      const { runPlanWasteCli } = await import('./modules/waste/cli.ts');
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      const io = { stdout: (t: string) => void process.stdout.write(t), stderr: (t: string) => void process.stderr.write(t), env: process.env, fetch, tty: Boolean(process.stderr.isTTY), signal: abort.signal };
      process.exit(await runPlanWasteCli(argv.slice(2), io));
      return;
    }
    case 'audit': {
      const { runAuditCli } = await import('./modules/cases/index.ts');
      const io = { stdout: (t: string) => void process.stdout.write(t), stderr: (t: string) => void process.stderr.write(t) };
      process.exit(await runAuditCli(argv.slice(1), io, () => openDb(loadConfig())));
      return;
    }
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return;
    default:
      process.stderr.write(`Unknown command "${command}"\n\n${USAGE}`);
      process.exit(2);
  }
}

main(process.argv.slice(2)).catch((err) => {
  if (err instanceof ConfigError || err instanceof DemoCredentialsError) {
    process.stderr.write(`Configuration error: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
