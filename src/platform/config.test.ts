import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('has the README defaults with an empty environment', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.dataDir).toBe('./.madina');
    expect(c.pgPrepared).toBe(true);
    expect(c.hubReadCacheMb).toBe(64);
    expect(c.temporalRetentionDays).toBe(0);
    expect(c.temporalPacks).toBe(true);
  });

  it('turns the temporal day packer off', () => {
    expect(loadConfig({ MADINA_TEMPORAL_PACKS: 'off' }).temporalPacks).toBe(false);
    expect(() => loadConfig({ MADINA_TEMPORAL_PACKS: 'no' })).toThrow(/MADINA_TEMPORAL_PACKS/);
  });

  it('reads the hub read cache size, 0 turning it off', () => {
    expect(loadConfig({ MADINA_HUB_READ_CACHE_MB: '0' }).hubReadCacheMb).toBe(0);
    expect(loadConfig({ MADINA_HUB_READ_CACHE_MB: '256' }).hubReadCacheMb).toBe(256);
  });

  it('takes a PostgreSQL URL over TCP or over the Unix socket, and refuses another scheme', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://madina@db.example:5432/madina' }).databaseUrl).toBe('postgres://madina@db.example:5432/madina');
    const socket = 'postgresql://madina@/madina?host=/var/run/postgresql';
    expect(loadConfig({ DATABASE_URL: socket }).databaseUrl).toBe(socket);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://madina@localhost/madina' })).toThrow(/DATABASE_URL must be a postgres/);
  });

  it('refuses values that are not what the variable takes, naming it', () => {
    expect(() => loadConfig({ MADINA_HUB_READ_CACHE_MB: '-1' })).toThrow(ConfigError);
    expect(() => loadConfig({ MADINA_HUB_READ_CACHE_MB: 'lots' })).toThrow(/MADINA_HUB_READ_CACHE_MB/);
    expect(() => loadConfig({ MADINA_PG_PREPARED: 'maybe' })).toThrow(/MADINA_PG_PREPARED must be one of on, off/);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT/);
  });
});
