/** Madina is configured by environment variables with embedded defaults (listed in the README). */
export interface Config {
  port: number;
  host: string;
  /** Unset: embedded PGlite in dataDir. */
  databaseUrl?: string;
  /** Named prepared statements for the hot static queries (off behind a transaction-mode pooler). */
  pgPrepared: boolean;
  dataDir: string;
  /** Unset: embedded MQTT broker on mqttPort. */
  mqttUrl?: string;
  mqttPort: number;
  /** IoT agent: largest accepted device message (MQTT or HTTP), bytes. */
  iotMaxPayloadBytes: number;
  /** IoT agent: seconds without a message after which a device without its own expected_period is silent. */
  iotExpectedPeriodS: number;
  /** IoT agent: distinct entities waiting for the hub before new ones are dropped (counted as overload). */
  iotBufferMaxEntities: number;
  logLevel: string;
  /** Largest accepted request body, bytes. */
  bodyLimitBytes: number;
  /** demo: demo administrator and demo data; production: refuses demo credentials, secure cookies. */
  mode: 'demo' | 'production';
  /** Who may use /ngsi-ld/v1: open | write | all (see hub/http/access.ts). */
  hubAuth: 'open' | 'write' | 'all';
  /** Temporal history kept this many days (0 = forever). */
  temporalRetentionDays: number;
  /** Day packs of the closed days of the history (hub/temporal/packs.ts). */
  temporalPacks: boolean;
  /** Hub read cache of rendered entities, megabytes (0 = off; hub/entities/read-cache.ts). */
  hubReadCacheMb: number;
  /** The region seed and live simulator (src/region, src/simulator; docs/region.md). */
  region: {
    /** auto: seed the region at start when the default tenant does not hold it; off: never. */
    seed: 'auto' | 'off';
    /** Seed of the synthetic asset generator (same seed and scale, same ids and positions). */
    assetSeed: number;
    /** Multiplies the default asset counts (1 = full, about 22,000 assets). */
    seedScale: number;
    simulator: boolean;
    /** Simulated measure sets per second. */
    simulatorRate: number;
    /** Simulated seconds per real second. */
    simulatorSpeed: number;
  };
}

export class ConfigError extends Error {}

function intVar(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}

function choice<T extends string>(env: NodeJS.ProcessEnv, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

/** `full` (1), `small` (0.05), `tiny` (0.01) or a factor in (0, 10]. */
function scaleVar(env: NodeJS.ProcessEnv, name: string): number {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === 'full') return 1;
  if (raw === 'small') return 0.05;
  if (raw === 'tiny') return 0.01;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || n > 10) throw new ConfigError(`${name} must be full, small, tiny or a number in (0, 10], got "${raw}"`);
  return n;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  const mode = env.MADINA_MODE || 'demo';
  if (mode !== 'demo' && mode !== 'production') throw new ConfigError(`MADINA_MODE must be demo or production, got "${mode}"`);
  const hubAuth = env.MADINA_HUB_AUTH || (mode === 'production' ? 'write' : 'open');
  if (!['open', 'write', 'all'].includes(hubAuth)) throw new ConfigError(`MADINA_HUB_AUTH must be open, write or all, got "${hubAuth}"`);
  return {
    mode,
    hubAuth: hubAuth as Config['hubAuth'],
    port: intVar(env, 'PORT', 8080, 0, 65535),
    host: env.HOST || '0.0.0.0',
    databaseUrl,
    pgPrepared: choice(env, 'MADINA_PG_PREPARED', 'on', ['on', 'off'] as const) === 'on',
    dataDir: env.MADINA_DATA_DIR || './.madina',
    mqttUrl: env.MQTT_URL || undefined,
    mqttPort: intVar(env, 'MQTT_PORT', 1883, 0, 65535),
    iotMaxPayloadBytes: intVar(env, 'MADINA_IOT_MAX_PAYLOAD', 64 * 1024, 16, 16 * 1024 * 1024),
    iotExpectedPeriodS: intVar(env, 'MADINA_IOT_EXPECTED_PERIOD', 3600, 1, 365 * 86400),
    iotBufferMaxEntities: intVar(env, 'MADINA_IOT_BUFFER_MAX', 50_000, 100, 10_000_000),
    logLevel,
    bodyLimitBytes: intVar(env, 'MADINA_BODY_LIMIT', 4 * 1024 * 1024, 1024, 256 * 1024 * 1024),
    temporalRetentionDays: intVar(env, 'MADINA_TEMPORAL_RETENTION_DAYS', 0, 0, 36_500),
    temporalPacks: choice(env, 'MADINA_TEMPORAL_PACKS', 'on', ['on', 'off'] as const) === 'on',
    hubReadCacheMb: intVar(env, 'MADINA_HUB_READ_CACHE_MB', 64, 0, 65_536),
    region: {
      seed: choice(env, 'MADINA_SEED', 'auto', ['auto', 'on', 'off'] as const) === 'off' ? 'off' : 'auto',
      assetSeed: intVar(env, 'MADINA_SEED_VALUE', 20260101, 0, 2 ** 31 - 1),
      seedScale: scaleVar(env, 'MADINA_SEED_SCALE'),
      simulator: choice(env, 'MADINA_SIMULATOR', 'on', ['on', 'off'] as const) === 'on',
      simulatorRate: intVar(env, 'MADINA_SIMULATOR_RATE', 20, 1, 100_000),
      simulatorSpeed: intVar(env, 'MADINA_SIMULATOR_SPEED', 1, 1, 3600),
    },
  };
}
