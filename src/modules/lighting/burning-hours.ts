/**
 * Burning hours of street lamps from the sun's position: lamps switch on in the evening and off in the
 * morning when the sun's centre crosses a fixed elevation (the switching threshold), every night of the
 * year, at the area's latitude and longitude. Dimming profiles are read on the local clock (Morocco's
 * legal time, UTC+1). Pure: no clock, no I/O.
 *
 * Convention (docs/lighting.md): the default threshold is a sun elevation of -3°, between sunset
 * (-0.833°: refraction + semi-diameter) and the end of civil twilight (-6°); photocells set at a few tens
 * of lux switch around there, and astronomical clocks of control cabinets are programmed the same way.
 */
import { solarParameters, sunTimes } from '../../region/astronomy.ts';

const RAD = Math.PI / 180;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Sun elevations (degrees) of the usual switching conventions. */
export const SWITCHING_THRESHOLDS = {
  /** Upper limb on the horizon, standard refraction (official sunset/sunrise). */
  sunset: -0.833,
  /** Default: photocells around 20-70 lux, astronomical clocks with a few minutes' offset. */
  photocell: -3,
  /** End of civil twilight. */
  civil: -6,
} as const;
export const DEFAULT_THRESHOLD_DEG: number = SWITCHING_THRESHOLDS.photocell;
/** Morocco's legal time (Africa/Casablanca): UTC+1 all year except during Ramadan (ignored, as by the simulator). */
export const DEFAULT_UTC_OFFSET_MIN = 60;

/** Elevation (degrees) of the sun's centre, without refraction, at (lat, lon) at instant `ms`. */
export function sunElevationDeg(lat: number, lon: number, ms: number): number {
  const { declinationDeg, equationOfTimeMin } = solarParameters(ms);
  const d = new Date(ms);
  const utcMin = d.getUTCHours() * 60 + d.getUTCMinutes() + d.getUTCSeconds() / 60 + d.getUTCMilliseconds() / 60_000;
  const trueSolarMin = utcMin + equationOfTimeMin + 4 * lon;
  const hourAngle = trueSolarMin / 4 - 180;
  const sinEl = Math.sin(lat * RAD) * Math.sin(declinationDeg * RAD) + Math.cos(lat * RAD) * Math.cos(declinationDeg * RAD) * Math.cos(hourAngle * RAD);
  return Math.asin(Math.max(-1, Math.min(1, sinEl))) / RAD;
}

export interface Night {
  /** The UTC date (YYYY-MM-DD) of the evening. */
  date: string;
  /** Switch-on instant (ms since epoch, UTC). */
  dusk: number;
  /** Switch-off instant, the next morning. */
  dawn: number;
  hours: number;
}

const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The night starting on the evening of the UTC day holding `dayMs`: from the evening crossing to the next morning's. */
export function nightOf(lat: number, lon: number, dayMs: number, thresholdDeg = DEFAULT_THRESHOLD_DEG): Night {
  const zenith = 90 - thresholdDeg;
  const dusk = sunTimes(lat, lon, new Date(dayMs), zenith).sunset;
  const dawn = sunTimes(lat, lon, new Date(dayMs + DAY_MS), zenith).sunrise;
  if (!dusk || !dawn) throw new RangeError(`no switching at latitude ${lat} on ${isoDate(dayMs)} (polar day or night)`);
  return { date: isoDate(dayMs), dusk: dusk.getTime(), dawn: dawn.getTime(), hours: (dawn.getTime() - dusk.getTime()) / HOUR_MS };
}

/** Every night whose evening falls in `year` (365 or 366). */
export function nightsOfYear(lat: number, lon: number, year: number, thresholdDeg = DEFAULT_THRESHOLD_DEG): Night[] {
  const out: Night[] = [];
  for (let ms = Date.UTC(year, 0, 1, 12); ms < Date.UTC(year + 1, 0, 1); ms += DAY_MS) out.push(nightOf(lat, lon, ms, thresholdDeg));
  return out;
}

/** Annual burning hours: Σ over the nights of `year` of (dawn − dusk). */
export function annualBurningHours(lat: number, lon: number, year: number, thresholdDeg = DEFAULT_THRESHOLD_DEG): number {
  return nightsOfYear(lat, lon, year, thresholdDeg).reduce((s, n) => s + n.hours, 0);
}

// ------------------------------------------------------------------ dimming profiles

/**
 * A dimming profile: levels (0..1 of full power) in force from a start until the next step's start,
 * the last one until dawn. The first step starts at `dusk`; the others at local clock times "HH:MM".
 * Example, 100% dusk–23:00, 50% 23:00–05:00, 100% to dawn:
 * `[{ start: 'dusk', level: 1 }, { start: '23:00', level: 0.5 }, { start: '05:00', level: 1 }]`.
 * Part-night switching is a level of 0.
 */
export interface ProfileStep {
  start: 'dusk' | string;
  level: number;
}
export type DimmingProfile = ProfileStep[];

export const FULL_NIGHT: DimmingProfile = [{ start: 'dusk', level: 1 }];

const CLOCK = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Minutes of a clock time on the night's timeline, which starts at local noon (12:00 → 0, 23:00 → 660, 05:00 → 1020). */
const nightMinute = (clock: string) => {
  const m = CLOCK.exec(clock)!;
  return (Number(m[1]) * 60 + Number(m[2]) + 12 * 60) % (24 * 60);
};

/** Problems of a profile (empty when valid): the first step starts at dusk, times increase through the night, levels in 0..1. */
export function profileProblems(profile: DimmingProfile): string[] {
  const problems: string[] = [];
  if (!Array.isArray(profile) || !profile.length) return ['a profile needs at least one step'];
  if (profile[0].start !== 'dusk') problems.push('the first step must start at "dusk"');
  let prev = -1;
  profile.forEach((s, i) => {
    if (typeof s.level !== 'number' || !(s.level >= 0 && s.level <= 1)) problems.push(`step ${i + 1}: level must be between 0 and 1`);
    if (i === 0) return;
    if (typeof s.start !== 'string' || !CLOCK.test(s.start)) {
      problems.push(`step ${i + 1}: start must be a local time HH:MM`);
      return;
    }
    const m = nightMinute(s.start);
    if (m <= prev) problems.push(`step ${i + 1}: ${s.start} is not after the previous step (times run from evening to morning)`);
    prev = m;
  });
  return problems;
}

/**
 * Hours at each step's level during one night, and the equivalent full-power hours Σ hours × level.
 * Clock times are local (UTC + offsetMin); a step starting before dusk or after dawn is cut to the night.
 */
export function nightProfileHours(night: Night, profile: DimmingProfile, offsetMin = DEFAULT_UTC_OFFSET_MIN): { stepHours: number[]; equivalentHours: number } {
  // Local noon before dusk is the origin of the night's timeline.
  const duskLocal = night.dusk + offsetMin * 60_000;
  const noonLocal = Math.floor((duskLocal - 12 * HOUR_MS) / DAY_MS) * DAY_MS + 12 * HOUR_MS;
  const toMin = (ms: number) => (ms + offsetMin * 60_000 - noonLocal) / 60_000;
  const duskMin = toMin(night.dusk);
  const dawnMin = toMin(night.dawn);
  const starts = profile.map((s, i) => (i === 0 ? duskMin : nightMinute(s.start)));
  const stepHours = profile.map((_, i) => {
    const from = Math.max(duskMin, starts[i]);
    const to = Math.min(dawnMin, i + 1 < profile.length ? starts[i + 1] : dawnMin);
    return Math.max(0, to - from) / 60;
  });
  return { stepHours, equivalentHours: stepHours.reduce((s, h, i) => s + h * profile[i].level, 0) };
}

export interface AnnualProfileHours {
  /** Hours lamps are on (level > 0). */
  burningHours: number;
  /** Σ hours × level: multiply by the input power to get energy. */
  equivalentHours: number;
  nights: number;
}

/** Burning and equivalent full-power hours of a profile over every night of `year`. */
export function annualProfileHours(
  lat: number,
  lon: number,
  year: number,
  profile: DimmingProfile,
  opts: { thresholdDeg?: number; offsetMin?: number } = {},
): AnnualProfileHours {
  let burning = 0;
  let equivalent = 0;
  const nights = nightsOfYear(lat, lon, year, opts.thresholdDeg ?? DEFAULT_THRESHOLD_DEG);
  for (const n of nights) {
    const r = nightProfileHours(n, profile, opts.offsetMin ?? DEFAULT_UTC_OFFSET_MIN);
    burning += r.stepHours.reduce((s, h, i) => s + (profile[i].level > 0 ? h : 0), 0);
    equivalent += r.equivalentHours;
  }
  return { burningHours: burning, equivalentHours: equivalent, nights: nights.length };
}
