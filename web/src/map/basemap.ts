import type { LayerSpecification, Map as MlMap } from 'maplibre-gl';
import maplibregl from 'maplibre-gl';
import { getJson } from '../app/api';

/**
 * The basemap an operator may configure (MADINA_BASEMAP: a PMTiles file or a folder of vector tiles),
 * drawn under Madina's layers. Layers are written for both common schemas (OpenMapTiles and
 * Protomaps); a source-layer a file does not have simply draws nothing.
 */
interface MapConfig {
  basemap: { kind: 'pmtiles' | 'tiles'; url: string } | null;
}

let config: Promise<MapConfig> | undefined;
let protocolAdded = false;

const layers = (): LayerSpecification[] => {
  const src = { source: 'basemap' };
  const fill = (id: string, sourceLayer: string, color: string, filter?: unknown): LayerSpecification =>
    ({ id: `basemap-${id}`, type: 'fill', ...src, 'source-layer': sourceLayer, paint: { 'fill-color': color }, ...(filter ? { filter } : {}) }) as LayerSpecification;
  const line = (id: string, sourceLayer: string, color: string, width: number): LayerSpecification =>
    ({ id: `basemap-${id}`, type: 'line', ...src, 'source-layer': sourceLayer, paint: { 'line-color': color, 'line-width': ['interpolate', ['linear'], ['zoom'], 10, width / 3, 16, width * 2] } }) as LayerSpecification;
  return [
    fill('earth', 'earth', '#f7f6f2'),
    fill('landcover', 'landcover', '#e4eddc'),
    fill('park', 'park', '#dcebd4'),
    fill('landuse', 'landuse', '#eeebe4'),
    fill('water', 'water', '#cfe3ee'),
    line('roads', 'roads', '#ffffff', 2),
    line('transportation', 'transportation', '#ffffff', 2),
    fill('buildings', 'buildings', '#e2ddd5'),
    fill('building', 'building', '#e2ddd5'),
  ];
};

export async function addOperatorBasemap(map: MlMap): Promise<void> {
  config ??= getJson<MapConfig>('/api/map/config').then((r) => r.body).catch(() => ({ basemap: null }));
  const { basemap } = await config;
  if (!basemap || !map.getStyle()) return;
  const origin = window.location.origin;
  if (basemap.kind === 'pmtiles') {
    if (!protocolAdded) {
      const { Protocol } = await import('pmtiles');
      maplibregl.addProtocol('pmtiles', new Protocol().tile);
      protocolAdded = true;
    }
    map.addSource('basemap', { type: 'vector', url: `pmtiles://${origin}${basemap.url}`, attribution: '© OpenStreetMap contributors' });
  } else {
    map.addSource('basemap', { type: 'vector', tiles: [`${origin}${basemap.url}`], maxzoom: 14, attribution: '© OpenStreetMap contributors' });
  }
  const before = map.getStyle().layers[1]?.id;
  for (const l of layers()) map.addLayer(l, before);
}
