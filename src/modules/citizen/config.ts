/** Settings of citizen services, from the environment (listed in the README). */
export interface CitizenConfig {
  photoMaxBytes: number;
  contactRetentionDays: number;
  /** Reports (POST) per minute per address; 0 = unlimited. */
  rateWritesPerIp: number;
  /** Reports (POST) per minute per API key. */
  rateWritesPerKey: number;
  /** Open311 and tracking reads per minute per address. */
  rateReadsPerIp: number;
  assetRadiusM: number;
  duplicateRadiusM: number;
  duplicateDays: number;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  return n;
}

export function citizenConfig(env: NodeJS.ProcessEnv = process.env): CitizenConfig {
  return {
    photoMaxBytes: int(env, 'MADINA_CITIZEN_PHOTO_MAX_BYTES', 5 * 1024 * 1024, 1024, 50 * 1024 * 1024),
    contactRetentionDays: int(env, 'MADINA_CITIZEN_CONTACT_RETENTION_DAYS', 180, 1, 3650),
    rateWritesPerIp: int(env, 'MADINA_CITIZEN_RATE_IP', 20, 0, 1_000_000),
    rateWritesPerKey: int(env, 'MADINA_CITIZEN_RATE_KEY', 600, 0, 1_000_000),
    rateReadsPerIp: int(env, 'MADINA_CITIZEN_RATE_READ', 1200, 0, 10_000_000),
    assetRadiusM: int(env, 'MADINA_CITIZEN_ASSET_RADIUS_M', 50, 1, 1000),
    duplicateRadiusM: 30,
    duplicateDays: 7,
  };
}
