import { existsSync, statSync } from 'node:fs';
import { ConfigError } from '../platform/config.ts';

export interface WebConfig {
  /**
   * MADINA_BASEMAP: a basemap the operator supplies, drawn under Madina's own layers: a `.pmtiles`
   * file, or a folder of vector tiles laid out `{z}/{x}/{y}.pbf` (OpenMapTiles or Protomaps schema).
   */
  basemap?: { kind: 'pmtiles' | 'tiles'; path: string };
}

export function webConfig(env: NodeJS.ProcessEnv): WebConfig {
  const path = env.MADINA_BASEMAP;
  if (!path) return {};
  if (!existsSync(path)) throw new ConfigError(`MADINA_BASEMAP: no file or folder at ${path}`);
  if (statSync(path).isDirectory()) return { basemap: { kind: 'tiles', path } };
  if (!path.endsWith('.pmtiles')) throw new ConfigError('MADINA_BASEMAP must be a .pmtiles file or a folder of {z}/{x}/{y}.pbf tiles');
  return { basemap: { kind: 'pmtiles', path } };
}
