/** Madina is configured by environment variables with embedded defaults (listed in the README). */
export interface Config {
  port: number;
  host: string;
  /** Unset: embedded PGlite in dataDir. */
  databaseUrl?: string;
  dataDir: string;
  /** Unset: embedded MQTT broker on mqttPort. */
  mqttUrl?: string;
  mqttPort: number;
  logLevel: string;
  /** Largest accepted request body, bytes. */
  bodyLimitBytes: number;
  /** demo: demo administrator and demo data; production: refuses demo credentials, secure cookies. */
  mode: 'demo' | 'production';
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
  return {
    mode,
    port: intVar(env, 'PORT', 8080, 0, 65535),
    host: env.HOST || '0.0.0.0',
    databaseUrl,
    dataDir: env.MADINA_DATA_DIR || './.madina',
    mqttUrl: env.MQTT_URL || undefined,
    mqttPort: intVar(env, 'MQTT_PORT', 1883, 0, 65535),
    logLevel,
    bodyLimitBytes: intVar(env, 'MADINA_BODY_LIMIT', 1024 * 1024, 1024, 256 * 1024 * 1024),
  };
}
