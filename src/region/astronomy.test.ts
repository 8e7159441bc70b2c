import { describe, expect, it } from 'vitest';
import { burningHours, isDark, sunTimes } from './astronomy.ts';

// Casablanca city centre (Place Mohammed V).
const LAT = 33.5731;
const LON = -7.5898;

const minutes = (a: Date | null, b: Date) => Math.abs(a!.getTime() - b.getTime()) / 60_000;

/**
 * An independent, simpler method to check against: the "Almanac for Computers" sunrise/sunset
 * algorithm (Nautical Almanac Office, US Naval Observatory, 1990), as published by Ed Williams
 * (edwilliams.org/sunrise_sunset_algorithm.htm). Different equations (mean anomaly series, no equation of
 * time term), same zenith 90.833°.
 */
function almanac(lat: number, lon: number, y: number, m: number, d: number, rising: boolean): Date {
  const rad = Math.PI / 180;
  const n1 = Math.floor((275 * m) / 9);
  const n2 = Math.floor((m + 9) / 12);
  const n3 = 1 + Math.floor((y - 4 * Math.floor(y / 4) + 2) / 3);
  const n = n1 - n2 * n3 + d - 30;
  const lngHour = lon / 15;
  const t = n + ((rising ? 6 : 18) - lngHour) / 24;
  const mAnom = 0.9856 * t - 3.289;
  let l = mAnom + 1.916 * Math.sin(mAnom * rad) + 0.02 * Math.sin(2 * mAnom * rad) + 282.634;
  l = ((l % 360) + 360) % 360;
  let ra = Math.atan(0.91764 * Math.tan(l * rad)) / rad;
  ra = ((ra % 360) + 360) % 360;
  ra = (ra + Math.floor(l / 90) * 90 - Math.floor(ra / 90) * 90) / 15;
  const sinDec = 0.39782 * Math.sin(l * rad);
  const cosDec = Math.cos(Math.asin(sinDec));
  const cosH = (Math.cos(90.833 * rad) - sinDec * Math.sin(lat * rad)) / (cosDec * Math.cos(lat * rad));
  const h = (rising ? 360 - Math.acos(cosH) / rad : Math.acos(cosH) / rad) / 15;
  const localT = h + ra - 0.06571 * t - 6.622;
  const ut = (((localT - lngHour) % 24) + 24) % 24;
  return new Date(Date.UTC(y, m - 1, d) + ut * 3_600_000);
}

describe('sunrise and sunset (NOAA)', () => {
  it('matches the Almanac for Computers method on both 2026 solstices in Casablanca', () => {
    for (const [y, m, d] of [
      [2026, 6, 21],
      [2026, 12, 21],
    ]) {
      const s = sunTimes(LAT, LON, new Date(Date.UTC(y, m - 1, d, 12)));
      expect(minutes(s.sunrise, almanac(LAT, LON, y, m, d, true))).toBeLessThan(2);
      expect(minutes(s.sunset, almanac(LAT, LON, y, m, d, false))).toBeLessThan(2);
    }
  });

  it('gives the expected Casablanca times on 2026-06-21 and 2026-12-21 (UTC)', () => {
    // Reference: the two methods above agree to a minute; Africa/Casablanca clocks are UTC+1, so
    // locally this is sunrise 06:21 / sunset 20:44 in June and 08:31 / 18:26 in December.
    const june = sunTimes(LAT, LON, new Date('2026-06-21T12:00:00Z'));
    expect(minutes(june.sunrise, new Date('2026-06-21T05:21:00Z'))).toBeLessThan(1.5);
    expect(minutes(june.sunset, new Date('2026-06-21T19:44:00Z'))).toBeLessThan(1.5);
    const december = sunTimes(LAT, LON, new Date('2026-12-21T12:00:00Z'));
    expect(minutes(december.sunrise, new Date('2026-12-21T07:31:00Z'))).toBeLessThan(1.5);
    expect(minutes(december.sunset, new Date('2026-12-21T17:26:00Z'))).toBeLessThan(1.5);
  });

  it('agrees with published 2026 Casablanca tables within 3 minutes', () => {
    // timeofsunrise.com/casablanca/october and /november (2026, local time UTC+1, "accurate to within 1 minute"):
    // 2026-10-01 07:25 / 19:17, 2026-11-21 08:08 / 18:26. The site's exact coordinates are not stated.
    const oct = sunTimes(LAT, LON, new Date('2026-10-01T12:00:00Z'));
    expect(minutes(oct.sunrise, new Date('2026-10-01T06:25:00Z'))).toBeLessThan(3);
    expect(minutes(oct.sunset, new Date('2026-10-01T18:17:00Z'))).toBeLessThan(3);
    const nov = sunTimes(LAT, LON, new Date('2026-11-21T12:00:00Z'));
    expect(minutes(nov.sunrise, new Date('2026-11-21T07:08:00Z'))).toBeLessThan(3);
    expect(minutes(nov.sunset, new Date('2026-11-21T17:26:00Z'))).toBeLessThan(3);
  });

  it('puts solar noon at the meridian crossing (about 12:30 UTC at 7.59°W)', () => {
    // 7.5898° west is 30.36 min after 12:00 UTC; the equation of time moves it by -1.8 min in June
    // and by +2 min on 21 December (Meeus, table of the equation of time).
    const june = sunTimes(LAT, LON, new Date('2026-06-21T00:00:00Z')).solarNoon;
    expect(minutes(june, new Date('2026-06-21T12:32:10Z'))).toBeLessThan(0.5);
    const dec = sunTimes(LAT, LON, new Date('2026-12-21T00:00:00Z')).solarNoon;
    expect(minutes(dec, new Date('2026-12-21T12:28:30Z'))).toBeLessThan(0.5);
  });

  it('makes winter nights longer than summer nights, and further south shorter in winter', () => {
    expect(burningHours(LAT, LON, new Date('2026-12-21T00:00:00Z'))).toBeCloseTo(14.08, 1);
    expect(burningHours(LAT, LON, new Date('2026-06-21T00:00:00Z'))).toBeCloseTo(9.62, 1);
    // Settat-province commune at 32.3°N: a shorter winter night than Casablanca.
    expect(burningHours(32.3, -7.6, new Date('2026-12-21T00:00:00Z'))).toBeLessThan(burningHours(LAT, LON, new Date('2026-12-21T00:00:00Z')));
  });

  it('says lamps burn between sunset and sunrise', () => {
    expect(isDark(LAT, LON, new Date('2026-06-21T12:00:00Z'))).toBe(false);
    expect(isDark(LAT, LON, new Date('2026-06-21T22:00:00Z'))).toBe(true);
    expect(isDark(LAT, LON, new Date('2026-06-21T03:00:00Z'))).toBe(true);
    expect(isDark(LAT, LON, new Date('2026-06-21T05:19:00Z'))).toBe(true);
    expect(isDark(LAT, LON, new Date('2026-06-21T05:23:00Z'))).toBe(false);
    expect(isDark(LAT, LON, new Date('2026-12-21T17:30:00Z'))).toBe(true);
  });

  it('reports polar night and midnight sun without times', () => {
    const polar = sunTimes(80, 0, new Date('2026-12-21T12:00:00Z'));
    expect(polar.sunrise).toBeNull();
    expect(isDark(80, 0, new Date('2026-12-21T12:00:00Z'))).toBe(true);
    expect(isDark(80, 0, new Date('2026-06-21T00:00:00Z'))).toBe(false);
  });
});
