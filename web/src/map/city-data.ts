/**
 * The city map's data, read as early as possible: the route starts these reads while the page's code
 * (MapLibre is most of it) is still loading, so the first map does not wait for both one after the other.
 */
import { POINT_LAYERS } from './layers';
import { layerStore } from './layer-store';

const EMPTY: GeoJSON.FeatureCollection = { type: 'FeatureCollection', features: [] };
let baseRead: Promise<GeoJSON.FeatureCollection[]> | undefined;

/** The shipped base layers (communes, arrondissements, transit lines and stops), read once per page life. */
export function baseData(): Promise<GeoJSON.FeatureCollection[]> {
  const load = (name: string) => fetch(`/api/map/base/${name}`).then((r) => (r.ok ? (r.json() as Promise<GeoJSON.FeatureCollection>) : EMPTY));
  baseRead ??= Promise.all(['communes', 'arrondissements', 'transit-lines', 'transit-stops'].map(load)).catch((err) => {
    baseRead = undefined; // tried again by the next caller
    throw err;
  });
  return baseRead;
}

/** Starts reading the base layers and the point layers shown at start; idempotent. */
export function prefetchCityMap(): void {
  void baseData().catch(() => undefined);
  for (const l of POINT_LAYERS) if (l.visible) void layerStore.load(l.id);
}
