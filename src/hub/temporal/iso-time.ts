/**
 * Epoch milliseconds to ISO 8601 UTC with milliseconds, exactly as Date#toISOString writes them, about six
 * times faster for series of nearby instants (a temporal answer formats ~100,000 of them): the date part
 * is computed once per day, the time part with integer arithmetic. Fractions of a millisecond are cut,
 * as PostgreSQL's timestamps (microseconds) shown to the millisecond.
 */
const DAY = 86_400_000;
let cachedDay = NaN;
let cachedPrefix = '';

const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const three = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

export function isoFromEpochMs(epochMs: number): string {
  const ms = Math.floor(epochMs);
  const day = Math.floor(ms / DAY);
  if (day !== cachedDay) {
    // Also validates the range: toISOString throws a RangeError outside ±8.64e15 ms, as before.
    cachedPrefix = new Date(day * DAY).toISOString().slice(0, -13);
    cachedDay = day;
  }
  let r = ms - day * DAY;
  const h = Math.floor(r / 3_600_000);
  r -= h * 3_600_000;
  const m = Math.floor(r / 60_000);
  r -= m * 60_000;
  const s = Math.floor(r / 1000);
  return `${cachedPrefix}${two(h)}:${two(m)}:${two(s)}.${three(r - s * 1000)}Z`;
}
