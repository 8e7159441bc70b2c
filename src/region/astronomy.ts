/**
 * Sunrise and sunset: the NOAA solar position algorithm (NOAA Global Monitoring Laboratory, "General
 * Solar Position Calculations" / the NOAA Solar Calculator spreadsheet, after Meeus, Astronomical
 * Algorithms). Accurate to about a minute between latitudes ±60°. Pure; all times are UTC.
 * Used by the simulator for lamps, and meant for the lighting module (burning hours).
 */

const RAD = Math.PI / 180;
const DAY_MS = 86_400_000;

/** Zenith of sunrise/sunset: 90° + 34' refraction + 16' solar semi-diameter. */
export const OFFICIAL_ZENITH_DEG = 90.833;
/** Civil twilight ends/starts when the sun's centre is 6° below the horizon. */
export const CIVIL_ZENITH_DEG = 96;

export interface SunTimes {
  /** Sunrise instant (UTC), or null when the sun does not rise (polar night) or never sets. */
  sunrise: Date | null;
  sunset: Date | null;
  /** Solar noon (UTC). */
  solarNoon: Date;
}

function julianCentury(ms: number): number {
  const jd = ms / DAY_MS + 2440587.5;
  return (jd - 2451545) / 36525;
}

/** Solar declination (degrees) and equation of time (minutes) at an instant. */
export function solarParameters(ms: number): { declinationDeg: number; equationOfTimeMin: number } {
  const t = julianCentury(ms);
  const l0 = (280.46646 + t * (36000.76983 + t * 0.0003032)) % 360; // geometric mean longitude
  const m = 357.52911 + t * (35999.05029 - 0.0001537 * t); // geometric mean anomaly
  const e = 0.016708634 - t * (0.000042037 + 0.0000001267 * t); // eccentricity of Earth's orbit
  const c =
    Math.sin(m * RAD) * (1.914602 - t * (0.004817 + 0.000014 * t)) +
    Math.sin(2 * m * RAD) * (0.019993 - 0.000101 * t) +
    Math.sin(3 * m * RAD) * 0.000289; // equation of centre
  const trueLong = l0 + c;
  const omega = 125.04 - 1934.136 * t;
  const appLong = trueLong - 0.00569 - 0.00478 * Math.sin(omega * RAD);
  const meanObliq = 23 + (26 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60) / 60;
  const obliq = meanObliq + 0.00256 * Math.cos(omega * RAD);
  const declinationDeg = Math.asin(Math.sin(obliq * RAD) * Math.sin(appLong * RAD)) / RAD;
  const y = Math.tan((obliq / 2) * RAD) ** 2;
  const eqTime =
    4 *
    (y * Math.sin(2 * l0 * RAD) -
      2 * e * Math.sin(m * RAD) +
      4 * e * y * Math.sin(m * RAD) * Math.cos(2 * l0 * RAD) -
      0.5 * y * y * Math.sin(4 * l0 * RAD) -
      1.25 * e * e * Math.sin(2 * m * RAD)) /
    RAD;
  return { declinationDeg, equationOfTimeMin: eqTime };
}

/**
 * Sunrise, sunset and solar noon of the UTC calendar day holding `day`, at (lat, lon) in degrees
 * (east positive). Each event is refined by evaluating the sun's position at the event itself.
 */
export function sunTimes(lat: number, lon: number, day: Date, zenithDeg = OFFICIAL_ZENITH_DEG): SunTimes {
  const midnight = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate());
  const noonAt = (guessMs: number) => {
    const { equationOfTimeMin } = solarParameters(guessMs);
    return midnight + (720 - 4 * lon - equationOfTimeMin) * 60_000;
  };
  const solarNoon = noonAt(noonAt(midnight + DAY_MS / 2));

  const event = (sign: 1 | -1): Date | null => {
    let ms = solarNoon;
    for (let i = 0; i < 3; i++) {
      const { declinationDeg, equationOfTimeMin } = solarParameters(ms);
      const cosHa =
        Math.cos(zenithDeg * RAD) / (Math.cos(lat * RAD) * Math.cos(declinationDeg * RAD)) - Math.tan(lat * RAD) * Math.tan(declinationDeg * RAD);
      if (cosHa > 1 || cosHa < -1) return null;
      const haDeg = Math.acos(cosHa) / RAD;
      ms = midnight + (720 - 4 * (lon - sign * haDeg) - equationOfTimeMin) * 60_000;
    }
    return new Date(ms);
  };
  return { sunrise: event(-1), sunset: event(1), solarNoon: new Date(solarNoon) };
}

/**
 * Whether street lamps should burn at `at`: between sunset and the next sunrise at (lat, lon).
 * `offsetMin` delays switch-on and advances switch-off (photocells usually react a few minutes late).
 */
export function isDark(lat: number, lon: number, at: Date, offsetMin = 0): boolean {
  const { sunrise, sunset } = sunTimes(lat, lon, at);
  if (!sunrise || !sunset) {
    // Polar day or night: decide by the sun's declination against the latitude.
    const { declinationDeg } = solarParameters(at.getTime());
    return Math.sign(declinationDeg) !== Math.sign(lat);
  }
  const t = at.getTime();
  return t < sunrise.getTime() - offsetMin * 60_000 || t >= sunset.getTime() + offsetMin * 60_000;
}

/** Hours the lamps burn from the sunset of `day` (UTC date) to the next sunrise. */
export function burningHours(lat: number, lon: number, day: Date): number {
  const tonight = sunTimes(lat, lon, day).sunset;
  const next = sunTimes(lat, lon, new Date(day.getTime() + DAY_MS)).sunrise;
  if (!tonight || !next) return 0;
  return (next.getTime() - tonight.getTime()) / 3_600_000;
}
