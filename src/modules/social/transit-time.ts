/**
 * Door-to-door minutes by public transport (tram, busway) between two points, estimated from the stops
 * the hub knows: walk to a stop near the origin, wait, ride, change line if needed, walk from a stop
 * near the destination. A planning estimate, not a timetable: speeds below are documented in
 * docs/social.md. Pure.
 */
import { distanceKm } from './ranking.ts';

export interface TransitStopFacts {
  id: string;
  location: readonly [number, number];
  /** Line refs serving the stop (T1, BW2 ...). */
  lines: readonly string[];
}

export const WALK_KMH = 4.5;
/** Streets are not straight: walked and ridden distances are the crow-fly distance times these. */
export const WALK_DETOUR = 1.3;
export const RIDE_DETOUR = 1.2;
/** Tram and busway commercial speed in Casablanca, stops included. */
export const RIDE_KMH = 18;
export const WAIT_MIN = 6;
export const TRANSFER_MIN = 8;
/** A stop farther than this from the origin or the destination does not serve it. */
export const MAX_WALK_KM = 1.2;
const CANDIDATES = 6;

const walkMin = (km: number) => ((km * WALK_DETOUR) / WALK_KMH) * 60;

function nearest(p: readonly [number, number], stops: readonly TransitStopFacts[]) {
  return stops
    .map((s) => ({ s, km: distanceKm(p, s.location) }))
    .filter((x) => x.km <= MAX_WALK_KM)
    .sort((a, b) => a.km - b.km)
    .slice(0, CANDIDATES);
}

/**
 * The estimated minutes, or null when no stop serves the origin or the destination (then the ranking
 * uses the distance). Walking all the way is taken when it is quicker.
 */
export function transitMinutes(from: readonly [number, number], to: readonly [number, number], stops: readonly TransitStopFacts[]): number | null {
  const near = nearest(from, stops);
  const far = nearest(to, stops);
  if (!near.length || !far.length) return null;
  let best = walkMin(distanceKm(from, to));
  for (const a of near) {
    for (const b of far) {
      if (a.s.id === b.s.id) continue;
      const sameLine = a.s.lines.some((l) => b.s.lines.includes(l));
      const ride = ((distanceKm(a.s.location, b.s.location) * RIDE_DETOUR) / RIDE_KMH) * 60;
      const total = walkMin(a.km) + WAIT_MIN + ride + (sameLine ? 0 : TRANSFER_MIN) + walkMin(b.km);
      if (total < best) best = total;
    }
  }
  return Math.round(best * 10) / 10;
}
