/**
 * Fill-rate forecast of one container from its fillingLevel history (pure).
 *
 * - Resets: a drop of at least `resetDrop` between two readings is an emptying; only the readings
 *   since the last one describe the current fill. A known `lastEmptiedAt` (dateLastEmptying) also
 *   starts a segment.
 * - Rate: Theil–Sen (median of pairwise slopes) on the last segment: robust to noisy readings and
 *   outliers (29% breakdown point), indifferent to irregular sampling and gaps. Readings after the
 *   container first reads full are left out (a full bin stops rising, which would bias the rate down).
 * - Too little in the last segment: the median of earlier segments' rates, else level / time since the
 *   emptying, else a default rate. The method used is reported, so a plan can explain itself.
 */

export interface FillReading {
  /** Epoch milliseconds. */
  t: number;
  /** 0..1 (values a little above 1 are read as full; others outside [0, 1.2] are ignored). */
  level: number;
}

export interface ForecastOptions {
  /** A fall of at least this much between consecutive readings is an emptying. Default 0.15. */
  resetDrop?: number;
  /** The last segment needs this many readings over at least `minSpanMs` to fit on it. Default 3. */
  minPoints?: number;
  /** Default 1 h. */
  minSpanMs?: number;
  /** Used when the history says nothing (per hour); default 1/48 (full in two days). */
  defaultRatePerHour?: number;
  /** Last emptying known from the entity (dateLastEmptying), epoch ms. */
  lastEmptiedAt?: number;
  /** Cap on readings fed to Theil–Sen (evenly thinned), to bound the O(n²) pairs. Default 80. */
  maxFitPoints?: number;
}

export type ForecastMethod = 'theil-sen' | 'earlier-cycles' | 'since-emptying' | 'default';

export interface FillForecast {
  /** Fill rate, fraction of the container per hour (≥ 0). */
  ratePerHour: number;
  /** Estimated level at `at` (the time of the last reading), 0..1. */
  level: number;
  /** Epoch ms the level refers to (the last reading, or the emptying when there is none after it). */
  at: number;
  method: ForecastMethod;
  /** Readings in the segment the rate was fitted on. */
  points: number;
  /** Emptyings detected in the history. */
  resets: number;
}

const HOUR_MS = 3_600_000;
const FULL = 0.99;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Theil–Sen line through points: slope = median of pairwise slopes, intercept = median of y − slope·x. */
export function theilSen(xs: number[], ys: number[]): { slope: number; intercept: number } {
  const slopes: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    for (let j = i + 1; j < xs.length; j++) if (xs[j] !== xs[i]) slopes.push((ys[j] - ys[i]) / (xs[j] - xs[i]));
  }
  const slope = slopes.length ? median(slopes) : 0;
  return { slope, intercept: median(xs.map((x, i) => ys[i] - slope * x)) };
}

/** Splits readings (sorted by time, cleaned) into fill cycles at each emptying. */
export function segments(readings: FillReading[], resetDrop = 0.15, lastEmptiedAt?: number): FillReading[][] {
  const out: FillReading[][] = [];
  let cur: FillReading[] = [];
  for (const r of readings) {
    const prev = cur.at(-1);
    const emptiedBetween = lastEmptiedAt !== undefined && prev !== undefined && prev.t < lastEmptiedAt && r.t >= lastEmptiedAt;
    if (prev && (prev.level - r.level >= resetDrop || emptiedBetween)) {
      out.push(cur);
      cur = [];
    }
    cur.push(r);
  }
  if (cur.length) out.push(cur);
  return out;
}

function clean(readings: FillReading[]): FillReading[] {
  const ok = readings.filter((r) => Number.isFinite(r.t) && Number.isFinite(r.level) && r.level >= 0 && r.level <= 1.2).map((r) => ({ t: r.t, level: Math.min(1, r.level) }));
  ok.sort((a, b) => a.t - b.t);
  // One reading per instant (the last one received wins).
  const out: FillReading[] = [];
  for (const r of ok) {
    if (out.length && out[out.length - 1].t === r.t) out[out.length - 1] = r;
    else out.push(r);
  }
  return out;
}

function thin(seg: FillReading[], max: number): FillReading[] {
  if (seg.length <= max) return seg;
  const out: FillReading[] = [];
  for (let k = 0; k < max; k++) out.push(seg[Math.round((k * (seg.length - 1)) / (max - 1))]);
  return out;
}

/** The rising part of a cycle: up to and including the first full reading. */
function rising(seg: FillReading[]): FillReading[] {
  const k = seg.findIndex((r) => r.level >= FULL);
  return k < 0 ? seg : seg.slice(0, k + 1);
}

function fit(seg: FillReading[], o: Required<Omit<ForecastOptions, 'lastEmptiedAt'>>): { slopePerHour: number; levelAtEnd: number } | undefined {
  const use = thin(rising(seg), o.maxFitPoints);
  if (use.length < o.minPoints || use[use.length - 1].t - use[0].t < o.minSpanMs) return undefined;
  const t0 = use[0].t;
  const { slope, intercept } = theilSen(
    use.map((r) => (r.t - t0) / HOUR_MS),
    use.map((r) => r.level),
  );
  const last = seg[seg.length - 1];
  return { slopePerHour: Math.max(0, slope), levelAtEnd: Math.min(1, Math.max(0, intercept + slope * ((last.t - t0) / HOUR_MS))) };
}

/** Estimates the fill rate and current level of one container from its history. */
export function forecastFill(history: FillReading[], options: ForecastOptions = {}): FillForecast {
  const o = { resetDrop: 0.15, minPoints: 3, minSpanMs: HOUR_MS, defaultRatePerHour: 1 / 48, maxFitPoints: 80, ...options };
  const readings = clean(history);
  const segs = segments(readings, o.resetDrop, o.lastEmptiedAt);
  const resets = Math.max(0, segs.length - 1);
  const lastSeg = segs.at(-1) ?? [];
  const last = lastSeg.at(-1);

  const own = lastSeg.length ? fit(lastSeg, o) : undefined;
  if (own && last) {
    // A full bin reads full whatever the fitted line says.
    const level = last.level >= FULL ? 1 : own.levelAtEnd;
    return { ratePerHour: own.slopePerHour, level, at: last.t, method: 'theil-sen', points: lastSeg.length, resets };
  }
  // The current cycle is too short to fit: its last reading, with a rate from earlier cycles or from the emptying.
  const level = last ? last.level : 0;
  const at = last ? last.t : (o.lastEmptiedAt ?? Number.NaN);
  const earlier = segs
    .slice(0, -1)
    .map((s) => fit(s, o))
    .filter((f): f is NonNullable<typeof f> => f !== undefined && f.slopePerHour > 0);
  if (earlier.length) return { ratePerHour: median(earlier.map((f) => f.slopePerHour)), level, at, method: 'earlier-cycles', points: lastSeg.length, resets };
  const emptiedAt = o.lastEmptiedAt;
  if (last && emptiedAt !== undefined && last.t - emptiedAt >= o.minSpanMs && last.level < FULL) {
    return { ratePerHour: last.level / ((last.t - emptiedAt) / HOUR_MS), level, at, method: 'since-emptying', points: lastSeg.length, resets };
  }
  return { ratePerHour: o.defaultRatePerHour, level, at, method: 'default', points: lastSeg.length, resets };
}

/** Level predicted at `t` (epoch ms), capped at 1 (a bin cannot hold more than full). */
export function predictLevel(f: FillForecast, t: number): number {
  if (!Number.isFinite(f.at)) return Math.min(1, f.level);
  const hours = Math.max(0, (t - f.at) / HOUR_MS);
  return Math.min(1, Math.max(0, f.level + f.ratePerHour * hours));
}

/** Hours from `t` until the container is predicted full (0 when already full, Infinity when not filling). */
export function hoursUntilFull(f: FillForecast, t: number): number {
  const now = predictLevel(f, t);
  if (now >= 1) return 0;
  return f.ratePerHour > 0 ? (1 - now) / f.ratePerHour : Infinity;
}
