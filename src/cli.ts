#!/usr/bin/env node
/** madina <command>: start (default) | migrate. */
import { loadConfig, ConfigError } from './platform/config.ts';
import { createLogger } from './platform/log.ts';
import { createMadina } from './server.ts';
import { openDb } from './platform/db/open-db.ts';
import { migrate } from './platform/db/migrator.ts';
import { hubMigrations } from './hub/index.ts';

const USAGE = `Usage: madina <command>

Commands:
  start     Serve Madina (HTTP on PORT, default 8080)
  migrate   Apply database migrations and exit
`;

async function start() {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const madina = await createMadina(config, log);
  const address = await madina.app.listen({ port: config.port, host: config.host });
  log.info({ address, driver: madina.db.driver, dataDir: config.databaseUrl ? undefined : config.dataDir }, 'Madina is listening');

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
}

async function migrateOnly() {
  const config = loadConfig();
  const db = await openDb(config);
  try {
    const applied = await migrate(db, [...hubMigrations()]);
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
  if (err instanceof ConfigError) {
    process.stderr.write(`Configuration error: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
