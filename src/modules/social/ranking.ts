/**
 * Orientation: ranks centres for one person and says why. The score is a weighted sum of five
 * factors, each in [0, 1], so every recommendation shows each factor's contribution in points out of
 * 100. The formula is documented in docs/social.md ("Orientation ranking") for fairness review. Pure.
 */

export const FUNCTIONING_LEVELS = ['none', 'some', 'a-lot', 'cannot'] as const;
export type FunctioningLevel = (typeof FUNCTIONING_LEVELS)[number];
/** Washington Group answer -> weight of that domain in the match (none = not a need). */
export const SEVERITY: Record<FunctioningLevel, number> = { none: 0, some: 1, 'a-lot': 2, cannot: 3 };

export const WEIGHTS = { services: 35, domains: 20, availability: 20, proximity: 15, accessibility: 10 } as const;
export type Factor = keyof typeof WEIGHTS;

/** Waits at or beyond this many days give no availability points. */
export const MAX_WAIT_DAYS = 180;
/** Half of the proximity points are lost at this distance (km) or travel time (min). */
export const HALF_DISTANCE_KM = 5;
export const HALF_TRAVEL_MIN = 30;

/** Premises features each functioning domain needs (any one of a group is enough). */
export const ACCESS_NEEDS: Record<string, readonly (readonly string[])[]> = {
  mobility: [['step-free-entrance'], ['accessible-toilet'], ['lift-or-ground-floor']],
  vision: [['tactile-guidance']],
  hearing: [['sign-language-staff', 'hearing-loop']],
  communication: [['sign-language-staff', 'hearing-loop']],
};

export interface PersonNeeds {
  /** Services needed. */
  needs: readonly string[];
  /** Functioning difficulty per domain. */
  functioning: Readonly<Record<string, FunctioningLevel>>;
  /** [lon, lat] of where the person lives (reference point of their commune), if known. */
  from?: readonly [number, number] | null;
}

export interface CentreFacts {
  id: string;
  services: readonly string[];
  domains: readonly string[];
  accessibility: readonly string[];
  capacity: number;
  enrolled: number;
  waitingList: number;
  averageWaitDays: number;
  location: readonly [number, number];
  /** Door-to-door minutes by public transport, when mobility data gives it; else distance is used. */
  travelTimeMin?: number | null;
}

export interface Contribution {
  factor: Factor;
  weight: number;
  /** The factor's value in [0, 1]. */
  score: number;
  /** weight × score, rounded to 0.1. */
  points: number;
  /** What the score was computed from, for the explanation. */
  detail: Record<string, unknown>;
}

export interface Recommendation {
  centreId: string;
  rank: number;
  /** Sum of the contributions, out of 100, rounded to 0.1. */
  score: number;
  contributions: Contribution[];
  distanceKm: number | null;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Great-circle distance in km between two [lon, lat] points (haversine, R = 6371 km). */
export function distanceKm(a: readonly [number, number], b: readonly [number, number]): number {
  const rad = Math.PI / 180;
  const dLat = (b[1] - a[1]) * rad;
  const dLon = (b[0] - a[0]) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Domains with a difficulty, with their severity weight. */
function difficulties(p: PersonNeeds): [string, number][] {
  return Object.entries(p.functioning)
    .map(([d, level]) => [d, SEVERITY[level] ?? 0] as [string, number])
    .filter(([, s]) => s > 0);
}

/** The five factors of one centre for one person. */
export function scoreCentre(p: PersonNeeds, c: CentreFacts): { contributions: Contribution[]; distanceKm: number | null } {
  const matched = p.needs.filter((n) => c.services.includes(n));
  const services = p.needs.length ? matched.length / p.needs.length : 1;

  const diff = difficulties(p);
  const totalSeverity = diff.reduce((s, [, w]) => s + w, 0);
  const supported = diff.filter(([d]) => c.domains.includes(d));
  const domains = totalSeverity ? supported.reduce((s, [, w]) => s + w, 0) / totalSeverity : 1;

  const freePlaces = Math.max(0, c.capacity - c.enrolled);
  const availability = freePlaces > 0 ? 1 : 1 - Math.min(c.averageWaitDays, MAX_WAIT_DAYS) / MAX_WAIT_DAYS;

  const km = p.from ? distanceKm(p.from, c.location) : null;
  let proximity: number;
  let proximityDetail: Record<string, unknown>;
  if (c.travelTimeMin !== undefined && c.travelTimeMin !== null) {
    proximity = 1 / (1 + c.travelTimeMin / HALF_TRAVEL_MIN);
    proximityDetail = { travelTimeMin: round1(c.travelTimeMin), distanceKm: km === null ? null : round1(km), basis: 'transit-time' };
  } else if (km !== null) {
    proximity = 1 / (1 + km / HALF_DISTANCE_KM);
    proximityDetail = { distanceKm: round1(km), basis: 'distance' };
  } else {
    proximity = 0.5;
    proximityDetail = { basis: 'unknown-location' };
  }

  const requirements = [...new Set(diff.flatMap(([d]) => (ACCESS_NEEDS[d] ?? []).map((group) => group.join('|'))))];
  const met = requirements.filter((r) => r.split('|').some((f) => c.accessibility.includes(f)));
  const accessibility = requirements.length ? met.length / requirements.length : 1;

  const parts: [Factor, number, Record<string, unknown>][] = [
    ['services', services, { needed: [...p.needs], offered: matched }],
    ['domains', domains, { difficulties: diff.map(([d]) => d), supported: supported.map(([d]) => d) }],
    ['availability', availability, { freePlaces, waitingList: c.waitingList, averageWaitDays: c.averageWaitDays }],
    ['proximity', proximity, proximityDetail],
    ['accessibility', accessibility, { required: requirements, met }],
  ];
  return {
    contributions: parts.map(([factor, score, detail]) => ({ factor, weight: WEIGHTS[factor], score: Math.round(score * 1000) / 1000, points: round1(WEIGHTS[factor] * score), detail })),
    distanceKm: km,
  };
}

/**
 * Ranks the centres that offer at least one needed service or support at least one domain of
 * difficulty; best first, ties broken by distance then id (stable and explainable).
 */
export function rankCentres(p: PersonNeeds, centres: readonly CentreFacts[], limit = 10): Recommendation[] {
  const diffDomains = difficulties(p).map(([d]) => d);
  const scored = centres
    .filter((c) => p.needs.some((n) => c.services.includes(n)) || diffDomains.some((d) => c.domains.includes(d)))
    .map((c) => {
      const { contributions, distanceKm: km } = scoreCentre(p, c);
      const exact = contributions.reduce((s, x) => s + x.weight * x.score, 0);
      return { centreId: c.id, exact, contributions, distanceKm: km === null ? null : round1(km) };
    });
  scored.sort((a, b) => b.exact - a.exact || (a.distanceKm ?? Infinity) - (b.distanceKm ?? Infinity) || a.centreId.localeCompare(b.centreId));
  return scored.slice(0, limit).map((s, i) => ({ centreId: s.centreId, rank: i + 1, score: round1(s.exact), contributions: s.contributions, distanceKm: s.distanceKm }));
}
