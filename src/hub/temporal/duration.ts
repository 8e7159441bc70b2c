/**
 * ISO 8601 durations as NGSI-LD's aggrPeriodDuration uses them (§4.5.19, §6.3.x): `P1Y2M3W4DT5H6M7.5S`.
 * Years and months are calendar units (bucketed in SQL with interval arithmetic); weeks, days, hours,
 * minutes and seconds are fixed lengths (a day is 24 h: every time here is UTC).
 */
export interface Duration {
  years: number;
  months: number;
  /** Fixed part in milliseconds (weeks, days, hours, minutes, seconds). */
  fixedMs: number;
}

export class DurationSyntaxError extends Error {}

const ISO_DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d{1,9})?)S)?)?$/;
const MAX_UNITS = 1_000_000;

/** Parses an ISO 8601 duration (no negative or fractional units except seconds); throws DurationSyntaxError. */
export function parseDuration(text: string): Duration {
  const m = ISO_DURATION.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) throw new DurationSyntaxError(`Invalid ISO 8601 duration ${JSON.stringify(text)}`);
  const n = (s: string | undefined) => {
    const v = s === undefined ? 0 : Number(s.replace(',', '.'));
    if (v > MAX_UNITS) throw new DurationSyntaxError(`Duration ${JSON.stringify(text)} is too long`);
    return v;
  };
  const [, y, mo, w, d, h, mi, s] = m;
  const fixedMs = Math.round((((n(w) * 7 + n(d)) * 24 + n(h)) * 60 + n(mi)) * 60_000 + n(s) * 1000);
  return { years: n(y), months: n(mo), fixedMs };
}

export function isZero(d: Duration): boolean {
  return d.years === 0 && d.months === 0 && d.fixedMs === 0;
}

export function isCalendar(d: Duration): boolean {
  return d.years > 0 || d.months > 0;
}

/** PostgreSQL interval input for a duration (bound as a parameter, cast with ::interval). */
export function toPgInterval(d: Duration): string {
  const parts: string[] = [];
  if (d.years) parts.push(`${d.years} years`);
  if (d.months) parts.push(`${d.months} months`);
  if (d.fixedMs || !parts.length) parts.push(`${d.fixedMs / 1000} seconds`);
  return parts.join(' ');
}

/** Adds a duration to an instant the way PostgreSQL adds an interval in UTC (month end clamps). */
export function addDuration(atMs: number, d: Duration): number {
  let t = atMs;
  const months = d.years * 12 + d.months;
  if (months) {
    const date = new Date(t);
    const day = date.getUTCDate();
    const target = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1, date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds(), date.getUTCMilliseconds()));
    const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
    target.setUTCDate(Math.min(day, lastDay));
    t = target.getTime();
  }
  return t + d.fixedMs;
}
