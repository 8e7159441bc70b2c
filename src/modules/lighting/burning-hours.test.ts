import { describe, expect, it } from 'vitest';
import { annualBurningHours, annualProfileHours, nightOf, nightProfileHours, profileProblems, sunElevationDeg, SWITCHING_THRESHOLDS, type Night } from './burning-hours.ts';

// Casablanca city centre (Place Mohammed V), as in src/region/astronomy.test.ts.
const LAT = 33.5731;
const LON = -7.5898;
const H = 3_600_000;
const minutesApart = (a: number, b: number) => Math.abs(a - b) * 60;

describe('burning hours from the sun', () => {
  it('gives the published Casablanca nights with the sunset convention (timeofsunrise.com, 2026)', () => {
    // timeofsunrise.com/casablanca/october and /november (local time UTC+1): 2026-10-01 sunset 19:17, 2026-10-02
    // sunrise 07:26 → 12 h 09 min; 2026-11-21 sunset 18:26, 2026-11-22 sunrise 08:09 → 13 h 43 min.
    const oct = nightOf(LAT, LON, Date.UTC(2026, 9, 1, 12), SWITCHING_THRESHOLDS.sunset);
    expect(minutesApart(oct.hours, 12 + 9 / 60)).toBeLessThan(4);
    const nov = nightOf(LAT, LON, Date.UTC(2026, 10, 21, 12), SWITCHING_THRESHOLDS.sunset);
    expect(minutesApart(nov.hours, 13 + 43 / 60)).toBeLessThan(4);
    expect(new Date(nov.dusk).toISOString().slice(0, 16)).toMatch(/^2026-11-21T17:2[4-8]/);
  });

  it('matches the closed form at the equinoxes: cos H = (sin h0 − sin φ sin δ)/(cos φ cos δ) with δ ≈ 0', () => {
    // δ = 0: cos H = sin h0 / cos φ; night = 24 − 2H/15 hours.
    // h0 = −0.833°: sin = −0.014538, cos 33.5731° = 0.833216 → cos H = −0.017448 → H = 90.99977° → 11.8667 h.
    // h0 = −3°:     sin = −0.052336                         → cos H = −0.062812 → H = 93.60130° → 11.5198 h.
    // The declination moves ±0.4° during the equinox nights, in opposite directions in March and September:
    // the mean of the two nights cancels it to first order.
    const mean = (t: number) => (nightOf(LAT, LON, Date.UTC(2026, 2, 20, 12), t).hours + nightOf(LAT, LON, Date.UTC(2026, 8, 22, 12), t).hours) / 2;
    expect(minutesApart(mean(SWITCHING_THRESHOLDS.sunset), 11.8667)).toBeLessThan(2);
    expect(minutesApart(mean(-3), 11.5198)).toBeLessThan(2);
  });

  it('switches when the sun is at the threshold elevation', () => {
    const n = nightOf(LAT, LON, Date.UTC(2026, 5, 21, 12), -3);
    expect(sunElevationDeg(LAT, LON, n.dusk)).toBeCloseTo(-3, 1);
    expect(sunElevationDeg(LAT, LON, n.dawn)).toBeCloseTo(-3, 1);
    // Solar noon on the June solstice: 90 − (φ − δ) = 90 − (33.5731 − 23.44) = 79.87°.
    expect(sunElevationDeg(LAT, LON, Date.parse('2026-06-21T12:32:10Z'))).toBeCloseTo(79.87, 1);
  });

  it('sums 4,100–4,300 hours a year at −3°, as a minute-by-minute count of the dark minutes gives', () => {
    const hours = annualBurningHours(LAT, LON, 2026, -3);
    expect(hours).toBeGreaterThan(4100);
    expect(hours).toBeLessThan(4300);
    // Independent: count the minutes from 2026-01-01 12:00Z to 2027-01-01 12:00Z (the nights whose evening is in
    // 2026) when the sun is below −3°.
    let dark = 0;
    for (let ms = Date.UTC(2026, 0, 1, 12); ms < Date.UTC(2027, 0, 1, 12); ms += 60_000) if (sunElevationDeg(LAT, LON, ms) < -3) dark++;
    expect(Math.abs(hours - dark / 60)).toBeLessThan(1);
    // The conventions are ordered: sunset-to-sunrise burns longest, civil twilight shortest (≈ 21 min a night apart
    // between −0.833° and −3°, so ≈ 127 h a year).
    const sunset = annualBurningHours(LAT, LON, 2026, SWITCHING_THRESHOLDS.sunset);
    const civil = annualBurningHours(LAT, LON, 2026, SWITCHING_THRESHOLDS.civil);
    expect(sunset - hours).toBeGreaterThan(115);
    expect(sunset - hours).toBeLessThan(140);
    expect(civil).toBeLessThan(hours);
  }, 30_000);
});

describe('dimming profiles', () => {
  // A made-up night: dusk 19:00 local (18:00Z), dawn 07:00 local (06:00Z), 12 h.
  const night: Night = { date: '2026-01-10', dusk: Date.parse('2026-01-10T18:00:00Z'), dawn: Date.parse('2026-01-11T06:00:00Z'), hours: 12 };

  it('splits the night at the clock times: 100% to 23:00, 50% to 05:00, 100% to dawn', () => {
    const r = nightProfileHours(night, [{ start: 'dusk', level: 1 }, { start: '23:00', level: 0.5 }, { start: '05:00', level: 1 }]);
    expect(r.stepHours).toEqual([4, 6, 2]);
    expect(r.equivalentHours).toBe(4 + 3 + 2);
  });

  it('counts part-night switching as hours at level 0', () => {
    const profile = [{ start: 'dusk', level: 1 }, { start: '01:00', level: 0 }, { start: '05:00', level: 1 }];
    expect(nightProfileHours(night, profile)).toEqual({ stepHours: [6, 4, 2], equivalentHours: 8 });
  });

  it('cuts steps to the night: a step before dusk or after dawn burns nothing', () => {
    const r = nightProfileHours(night, [{ start: 'dusk', level: 1 }, { start: '18:00', level: 0.5 }, { start: '08:00', level: 0 }]);
    expect(r.stepHours).toEqual([0, 12, 0]);
    expect(r.equivalentHours).toBe(6);
  });

  it('rejects profiles whose times go backwards or whose levels are out of range', () => {
    expect(profileProblems([{ start: 'dusk', level: 1 }, { start: '23:00', level: 0.5 }])).toEqual([]);
    expect(profileProblems([{ start: 'dusk', level: 1 }, { start: '05:00', level: 0.5 }, { start: '23:00', level: 1 }])[0]).toMatch(/not after/);
    expect(profileProblems([{ start: '20:00', level: 1 }])[0]).toMatch(/dusk/);
    expect(profileProblems([{ start: 'dusk', level: 1.5 }])[0]).toMatch(/level/);
    expect(profileProblems([{ start: 'dusk', level: 1 }, { start: '25:00', level: 1 }])[0]).toMatch(/HH:MM/);
  });

  it('adds up a year: a full-night profile burns the annual hours, a 50% profile half of them', () => {
    const full = annualProfileHours(LAT, LON, 2026, [{ start: 'dusk', level: 1 }]);
    expect(full.burningHours).toBeCloseTo(annualBurningHours(LAT, LON, 2026), 6);
    expect(full.equivalentHours).toBeCloseTo(full.burningHours, 6);
    expect(full.nights).toBe(365);
    const half = annualProfileHours(LAT, LON, 2026, [{ start: 'dusk', level: 0.5 }]);
    expect(half.equivalentHours).toBeCloseTo(full.burningHours / 2, 6);
  });

  it('puts dusk in Casablanca between 18:50 and 21:10 local time all year', () => {
    for (let m = 0; m < 12; m++) {
      const n = nightOf(LAT, LON, Date.UTC(2026, m, 15, 12));
      const localH = ((n.dusk + H) % 86_400_000) / H;
      expect(localH).toBeGreaterThan(17.8);
      expect(localH).toBeLessThan(21.2);
    }
  });
});
