import { describe, expect, it } from 'vitest';
import { annualBurningHours, FULL_NIGHT, type DimmingProfile } from './burning-hours.ts';
import { annuityFactor, applyRetrofit, BASELINE, comparisonCsv, evaluateScenario, withDefaults, type AreaInventory, type Scenario } from './scenarios.ts';

const DIM_23_05: DimmingProfile = [
  { start: 'dusk', level: 1 },
  { start: '23:00', level: 0.5 },
  { start: '05:00', level: 1 },
];
const PART_NIGHT: DimmingProfile = [
  { start: 'dusk', level: 1 },
  { start: '01:00', level: 0 },
  { start: '05:00', level: 1 },
];

// Round numbers for hand arithmetic: 4,000 h a year over 365 nights; 23:00–05:00 is 6 h a night (2,190 h a year),
// so at 50% it removes 1,095 equivalent hours; switching off 01:00–05:00 removes 4 × 365 = 1,460 h.
const HOURS = (_lat: number, _lon: number, p: DimmingProfile) => {
  const key = JSON.stringify(p);
  if (key === JSON.stringify(DIM_23_05)) return { burningHours: 4000, equivalentHours: 2905, nights: 365 };
  if (key === JSON.stringify(PART_NIGHT)) return { burningHours: 2540, equivalentHours: 2540, nights: 365 };
  return { burningHours: 4000, equivalentHours: 4000, nights: 365 };
};

const area: AreaInventory = { areaId: '061410101', name: 'Anfa', lat: 33.5731, lon: -7.5898, lamps: [{ technology: 'HPS', wattW: 150, count: 100, ballastLoss: 0.15 }], cabinets: 2 };
const A = withDefaults({
  tariffMadPerKwh: 1.4,
  emissionFactorTco2PerMwh: 0.7,
  discountRate: 0.06,
  lifetimeYears: 15,
  photocellDriftMinPerNight: 0,
  prices: { ledLuminaireBaseMad: 2500, ledLuminairePerWattMad: 15, installationMad: 600, cabinetMad: 60000 },
});
const led60: Scenario = { name: 'LED 60 W', retrofit: [{ technology: 'HPS', wattW: 150, toWattW: 60 }], profile: FULL_NIGHT, replaceCabinets: false };

describe('master-plan scenarios (worked by hand)', () => {
  it('prices the baseline: 100 × 150 W HPS with 15% ballast loss over 4,000 h', () => {
    const r = evaluateScenario([area], BASELINE, A, HOURS);
    // 150 × 1.15 = 172.5 W; × 100 lamps × 4,000 h = 69,000 kWh; × 1.4 MAD = 96,600 MAD; 69 MWh × 0.7 = 48.3 t.
    expect(r.total.baseline.energyKwh).toBeCloseTo(69_000, 6);
    expect(r.total.baseline.costMad).toBeCloseTo(96_600, 6);
    expect(r.total.baseline.co2T).toBeCloseTo(48.3, 9);
    expect(r.total.scenario.savedKwh).toBe(0);
    expect(r.total.scenario.paybackYears).toBeNull();
  });

  it('replaces 150 W HPS by 60 W LED: savings, investment, payback and NPV', () => {
    const r = evaluateScenario([area], led60, A, HOURS);
    const s = r.total.scenario;
    // 100 × 60 W × 4,000 h = 24,000 kWh; saved 45,000 kWh = 63,000 MAD = 31.5 t.
    expect(s.energyKwh).toBeCloseTo(24_000, 6);
    expect(s.savedKwh).toBeCloseTo(45_000, 6);
    expect(s.savedMad).toBeCloseTo(63_000, 6);
    expect(s.savedCo2T).toBeCloseTo(31.5, 9);
    // 100 × (2,500 + 15 × 60 + 600) = 400,000 MAD; payback 400,000 / 63,000 = 6.349 years.
    expect(s.investmentMad).toBe(400_000);
    expect(s.paybackYears).toBeCloseTo(6.3492, 4);
    // Annuity factor at 6% over 15 years: 1.06^15 = 2.396558, (1 − 1/2.396558) / 0.06 = 9.712249.
    expect(annuityFactor(0.06, 15)).toBeCloseTo(9.712249, 6);
    expect(s.npvMad).toBeCloseTo(-400_000 + 63_000 * 9.712249, 0);
    expect(r.areas[0].lampsAfter).toEqual([{ technology: 'LED', wattW: 60, count: 100 }]);
  });

  it('adds dimming 50% from 23:00 to 05:00 on the new LEDs', () => {
    const r = evaluateScenario([area], { ...led60, name: 'LED + dimming', profile: DIM_23_05 }, A, HOURS);
    // 100 × 60 W × 2,905 h = 17,430 kWh; saved 69,000 − 17,430 = 51,570 kWh = 72,198 MAD.
    expect(r.total.scenario.energyKwh).toBeCloseTo(17_430, 6);
    expect(r.total.scenario.savedMad).toBeCloseTo(72_198, 6);
  });

  it('switches HPS lamps off part of the night, and lets them ignore dimming they cannot do', () => {
    const part = evaluateScenario([area], { name: 'part-night', retrofit: [], profile: PART_NIGHT, replaceCabinets: false }, A, HOURS);
    // 17.25 kW × 2,540 h = 43,815 kWh, no investment: payback 0.
    expect(part.total.scenario.energyKwh).toBeCloseTo(43_815, 6);
    expect(part.total.scenario.paybackYears).toBe(0);
    // A 50% step is "on" for an HPS lamp: same energy as the baseline.
    const dimHps = evaluateScenario([area], { name: 'dim HPS', retrofit: [], profile: DIM_23_05, replaceCabinets: false }, A, HOURS);
    expect(dimHps.total.scenario.energyKwh).toBeCloseTo(69_000, 6);
  });

  it('counts photocell drift in the baseline and removes it with new cabinets', () => {
    const a = withDefaults({ photocellDriftMinPerNight: 15 }, A);
    const r = evaluateScenario([area], { name: 'cabinets', retrofit: [], profile: FULL_NIGHT, replaceCabinets: true }, a, HOURS);
    // Baseline: 17.25 kW × (4,000 + 0.25 h × 365) = 17.25 × 4,091.25 = 70,574.0625 kWh; scenario 69,000 kWh.
    expect(r.total.baseline.energyKwh).toBeCloseTo(70_574.0625, 6);
    expect(r.total.scenario.savedKwh).toBeCloseTo(1_574.0625, 6);
    expect(r.total.scenario.investmentMad).toBe(2 * 60_000);
  });

  it('adds areas up and keeps each area apart', () => {
    const other: AreaInventory = { areaId: '064610115', name: 'Settat', lat: 33.0, lon: -7.62, lamps: [{ technology: 'LED', wattW: 100, count: 10 }], cabinets: 1 };
    const r = evaluateScenario([area, other], led60, A, HOURS);
    // The LED area is untouched: 10 × 100 W × 4,000 h = 4,000 kWh in both.
    expect(r.areas[1].baseline.energyKwh).toBeCloseTo(4_000, 6);
    expect(r.areas[1].scenario.savedKwh).toBeCloseTo(0, 6);
    expect(r.total.baseline.energyKwh).toBeCloseTo(73_000, 6);
    expect(r.total.scenario.energyKwh).toBeCloseTo(28_000, 6);
    expect(r.total.scenario.lamps).toBe(110);
  });

  it('uses the burning hours computed for Casablanca: 150 W HPS (15%) → 60 W LED saves 112.5 W × H per lamp', () => {
    const a = withDefaults({ photocellDriftMinPerNight: 0, year: 2026, thresholdDeg: -3 }, A);
    const H = annualBurningHours(area.lat, area.lon, 2026, -3);
    const one = { ...area, lamps: [{ technology: 'HPS' as const, wattW: 150, count: 1, ballastLoss: 0.15 }] };
    const r = evaluateScenario([one], led60, a);
    expect(r.areas[0].hours.burning).toBeCloseTo(H, 6);
    expect(r.total.baseline.energyKwh).toBeCloseTo((172.5 * H) / 1000, 6);
    expect(r.total.scenario.savedKwh).toBeCloseTo((112.5 * H) / 1000, 6);
    // Every night in Casablanca starts before 23:00 and ends after 05:00 local time, so 50% from 23:00 to 05:00
    // takes exactly 3 equivalent hours off each of the 365 nights.
    const dim = evaluateScenario([one], { ...led60, profile: DIM_23_05 }, a);
    expect(dim.total.scenario.energyKwh).toBeCloseTo((60 * (H - 1095)) / 1000, 6);
  });

  it('rejects invalid scenarios', () => {
    expect(() => evaluateScenario([area], { ...led60, profile: [{ start: '20:00', level: 1 }] }, A, HOURS)).toThrow(/dusk/);
    expect(() => evaluateScenario([area], { ...led60, retrofit: [{ technology: 'HPS', toWattW: 0 }] }, A, HOURS)).toThrow(/toWattW/);
  });

  it('merges retrofitted classes and prices each replaced lamp', () => {
    const r = applyRetrofit(
      [
        { technology: 'HPS', wattW: 150, count: 3 },
        { technology: 'MH', wattW: 150, count: 2 },
        { technology: 'LED', wattW: 60, count: 5 },
      ],
      [{ technology: 'HPS', toWattW: 60 }, { technology: 'MH', toWattW: 60 }],
      A.prices,
    );
    expect(r.lamps).toEqual([{ technology: 'LED', wattW: 60, count: 10 }]);
    expect(r.replaced).toBe(5);
    expect(r.investmentMad).toBe(5 * 4000);
  });

  it('exports the comparison as CSV with the baseline, each area and the totals', () => {
    const csv = comparisonCsv([evaluateScenario([area], led60, A, HOURS), evaluateScenario([area], { ...led60, name: 'LED + dimming', profile: DIM_23_05 }, A, HOURS)]);
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe('scenario,area,name,lamps,energyKwh,costMad,co2T,investmentMad,savedKwh,savedMad,savedCo2T,paybackYears,npvMad');
    expect(lines[1]).toBe('baseline,061410101,Anfa,100,69000,96600,48.3,0,0,0,0,,0');
    expect(lines).toContain('LED 60 W,total,,100,24000,33600,16.8,400000,45000,63000,31.5,6.35,211871.69');
    expect(lines).toHaveLength(1 + 2 + 2 * 2);
  });
});
