/**
 * Casablanca's tram and busway network (OpenStreetMap route relations and stop nodes) as NGSI-LD
 * `TransitLine` and `TransitStop` entities. Pure.
 *
 * Mapping: each OSM route relation (one per direction) becomes `urn:ngsi-ld:TransitLine:<ref>:<n>`, n = 1, 2
 * in increasing relation id; each stop node becomes `urn:ngsi-ld:TransitStop:<node id>`. OSM ids are kept
 * in `osmId` (e.g. "relation/4497427", "node/2235605385").
 */
import type { NgsiEntity } from '../hub/client/hub-client.ts';
import { REGION_SCOPE, type PlaceLocator } from './places.ts';
import type { TransitFeature } from './region-data.ts';

export const TRANSIT_SOURCE = 'OpenStreetMap (© OpenStreetMap contributors, ODbL 1.0)';

/** Colours for lines OpenStreetMap gives none (the busway): RATP Dev Casablanca's published line colours are not in OSM. */
const FALLBACK_COLOUR: Record<string, string> = { BW1: '#1B9E77', BW2: '#7570B3' };

const prop = (value: unknown) => ({ type: 'Property', value });

export function transitMode(tags: Record<string, string>, routeRefs: string[] = []): 'tram' | 'busway' {
  if (tags.route === 'bus' || tags.network === 'CasaBusway') return 'busway';
  if (tags.route === 'tram' || tags.railway === 'tram_stop' || tags.tram === 'yes') return 'tram';
  if (routeRefs.some((r) => r.startsWith('BW'))) return 'busway';
  return tags.bus === 'yes' ? 'busway' : 'tram';
}

/** The places a line runs through: the most specific scope of each of its vertices (region scope if none is known). */
function lineScopes(coordinates: number[][], locator?: PlaceLocator): string[] {
  const scopes = new Set<string>();
  for (const [lon, lat] of coordinates) {
    const place = locator?.locate(lon, lat);
    if (place) scopes.add(place.scope);
  }
  return scopes.size ? [...scopes].sort() : [REGION_SCOPE];
}

const relationNumber = (osmId: string) => Number(osmId.split('/')[1]);

export function transitEntities(features: TransitFeature[], locator?: PlaceLocator): NgsiEntity[] {
  const lines = features.filter((f) => f.geometry.type === 'LineString' && f.tags.ref);
  const byRef = new Map<string, TransitFeature[]>();
  for (const l of lines) byRef.set(l.tags.ref, [...(byRef.get(l.tags.ref) ?? []), l]);
  const out: NgsiEntity[] = [];
  for (const [ref, list] of [...byRef].sort(([a], [b]) => a.localeCompare(b))) {
    list.sort((a, b) => relationNumber(a.osmId) - relationNumber(b.osmId));
    list.forEach((l, i) => {
      const colour = l.tags.colour ?? FALLBACK_COLOUR[ref];
      out.push({
        id: `urn:ngsi-ld:TransitLine:${ref}:${i + 1}`,
        type: 'TransitLine',
        name: prop(l.tags.name ?? ref),
        ref: prop(ref),
        mode: prop(transitMode(l.tags)),
        direction: prop(i + 1),
        ...(colour ? { colour: prop(colour) } : {}),
        ...(l.tags.from ? { from: prop(l.tags.from) } : {}),
        ...(l.tags.to ? { to: prop(l.tags.to) } : {}),
        ...(l.tags.operator ? { operator: prop(l.tags.operator) } : {}),
        ...(l.tags.network ? { network: prop(l.tags.network) } : {}),
        osmId: prop(l.osmId),
        location: { type: 'GeoProperty', value: l.geometry },
        source: prop(TRANSIT_SOURCE),
        scope: lineScopes(l.geometry.coordinates as number[][], locator),
      });
    });
  }
  for (const s of features.filter((f) => f.geometry.type === 'Point')) {
    const [lon, lat] = s.geometry.coordinates as [number, number];
    const place = locator?.locate(lon, lat);
    const name = s.tags['name:fr'] ?? s.tags.name;
    out.push({
      id: `urn:ngsi-ld:TransitStop:${s.osmId.split('/')[1]}`,
      type: 'TransitStop',
      ...(name ? { name: prop(name) } : {}),
      ...(s.tags['name:ar'] ? { nameAr: prop(s.tags['name:ar']) } : {}),
      mode: prop(transitMode(s.tags, s.routeRefs)),
      ...(s.routeRefs.length ? { lines: prop([...s.routeRefs].sort()) } : {}),
      ...(s.tags.public_transport ? { stopKind: prop(s.tags.public_transport) } : {}),
      osmId: prop(s.osmId),
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [lon, lat] } },
      source: prop(TRANSIT_SOURCE),
      scope: place?.scope ?? REGION_SCOPE,
    });
  }
  return out;
}
