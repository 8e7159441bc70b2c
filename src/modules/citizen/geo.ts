/** Distances and the duplicate rule for reports. Pure. */

import { haversineM } from '../../platform/geo/haversine.ts';

export { haversineM };

export interface Located {
  lon: number;
  lat: number;
}

/** The nearest of the candidates within maxM metres, with its distance; undefined when none is that close. */
export function nearest<T extends Located>(point: Located, candidates: T[], maxM: number): { item: T; distanceM: number } | undefined {
  let best: { item: T; distanceM: number } | undefined;
  for (const c of candidates) {
    const d = haversineM(point.lon, point.lat, c.lon, c.lat);
    if (d <= maxM && (!best || d < best.distanceM)) best = { item: c, distanceM: d };
  }
  return best;
}

export interface OpenReport extends Located {
  id: string;
  serviceCode: string;
  requestedAt: Date;
  /** Already a duplicate of another: a new report is linked to the original instead. */
  duplicateOf?: string | null;
}

export interface DuplicateRule {
  radiusM: number;
  days: number;
}

export const DEFAULT_DUPLICATE_RULE: DuplicateRule = { radiusM: 30, days: 7 };

/**
 * The open report a new one duplicates: same category, within radiusM metres, filed at most `days` days
 * before; the nearest wins (then the oldest). Candidates must be open; duplicates point to their original.
 */
export function findDuplicate(report: Located & { serviceCode: string; at: Date }, open: OpenReport[], rule = DEFAULT_DUPLICATE_RULE): OpenReport | undefined {
  const since = report.at.getTime() - rule.days * 86_400_000;
  let best: { r: OpenReport; d: number } | undefined;
  for (const r of open) {
    if (r.serviceCode !== report.serviceCode || r.duplicateOf) continue;
    const t = r.requestedAt.getTime();
    if (t < since || t > report.at.getTime()) continue;
    const d = haversineM(report.lon, report.lat, r.lon, r.lat);
    if (d > rule.radiusM) continue;
    if (!best || d < best.d || (d === best.d && t < best.r.requestedAt.getTime())) best = { r, d };
  }
  return best?.r;
}
