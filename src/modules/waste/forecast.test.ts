import { describe, expect, it } from 'vitest';
import { forecastFill, hoursUntilFull, predictLevel, segments, theilSen, type FillReading } from './forecast.ts';

const H = 3_600_000;
const T0 = Date.UTC(2026, 2, 1, 0, 0, 0);
const at = (h: number, level: number): FillReading => ({ t: T0 + h * H, level });

describe('theilSen', () => {
  it('is the median of pairwise slopes', () => {
    // Points (0,0) (1,1) (2,2) (3,9): slopes 1, 1, 3, 1, 4, 7; sorted 1, 1, 1, 3, 4, 7 → median (1 + 3) / 2 = 2.
    const { slope, intercept } = theilSen([0, 1, 2, 3], [0, 1, 2, 9]);
    expect(slope).toBe(2);
    // y − 2x: 0, −1, −2, 3 → median (−1 + 0)/2 = −0.5
    expect(intercept).toBe(-0.5);
  });
});

describe('forecastFill', () => {
  it('finds the rate of a clean linear fill', () => {
    const f = forecastFill([at(0, 0.1), at(2, 0.14), at(4, 0.18), at(6, 0.22)]);
    expect(f.method).toBe('theil-sen');
    expect(f.ratePerHour).toBeCloseTo(0.02, 12);
    expect(f.level).toBeCloseTo(0.22, 12);
    // 10 h after the last reading: 0.22 + 0.2
    expect(predictLevel(f, T0 + 16 * H)).toBeCloseTo(0.42, 12);
  });

  it('ignores a wild reading (sensor glitch) that least squares would follow', () => {
    // True line 0.05 + 0.03 h; the reading at h = 3 says 0.9 (a glitch, not an emptying).
    const pts = [0, 1, 2, 3, 4, 5, 6].map((h) => at(h, h === 3 ? 0.9 : 0.05 + 0.03 * h));
    const f = forecastFill(pts);
    expect(f.ratePerHour).toBeCloseTo(0.03, 12);
    expect(f.level).toBeCloseTo(0.23, 12);
  });

  it('starts a new cycle at an emptying and fits only on it', () => {
    // Cycle 1 fills at 0.05/h to 0.8, emptied at h = 16; cycle 2 fills at 0.02/h from 0.02.
    const pts = [...[0, 4, 8, 12, 16].map((h) => at(h, 0.05 * h)), ...[17, 19, 21, 23].map((h) => at(h, 0.02 + 0.02 * (h - 17)))];
    expect(segments(pts).map((s) => s.length)).toEqual([5, 4]);
    const f = forecastFill(pts);
    expect(f.resets).toBe(1);
    expect(f.method).toBe('theil-sen');
    expect(f.ratePerHour).toBeCloseTo(0.02, 12);
    expect(f.level).toBeCloseTo(0.14, 12);
  });

  it('treats small noisy dips as noise, not emptyings', () => {
    const pts = [at(0, 0.3), at(1, 0.36), at(2, 0.31), at(3, 0.4), at(4, 0.44)];
    expect(segments(pts)).toHaveLength(1);
    // Pairwise slopes: .06 .005 .0333 .035 | −.05 .02 .0267 | .09 .065 | .04 → sorted middle pair (.0333, .035)
    expect(forecastFill(pts).ratePerHour).toBeCloseTo((0.1 / 3 + 0.035) / 2, 12);
  });

  it('uses earlier cycles when the current one has just begun', () => {
    // Two full cycles at 0.04/h and 0.06/h, then one reading after the last emptying.
    const c1 = [0, 2, 4, 6].map((h) => at(h, 0.04 * h));
    const c2 = [8, 10, 12, 14].map((h) => at(h, 0.06 * (h - 8)));
    const f = forecastFill([...c1, ...c2.slice(0, 1).map((r) => ({ ...r, level: 0 })), ...c2.slice(1), at(15, 0.03)]);
    expect(f.method).toBe('earlier-cycles');
    expect(f.ratePerHour).toBeCloseTo(0.05, 12);
    expect(f.level).toBe(0.03);
    expect(predictLevel(f, T0 + 25 * H)).toBeCloseTo(0.53, 12);
  });

  it('falls back to level over time since the known emptying with a single reading', () => {
    const f = forecastFill([at(10, 0.4)], { lastEmptiedAt: T0 + 2 * H });
    expect(f.method).toBe('since-emptying');
    expect(f.ratePerHour).toBeCloseTo(0.05, 12);
  });

  it('uses the default rate with no history', () => {
    const f = forecastFill([], { defaultRatePerHour: 0.01, lastEmptiedAt: T0 });
    expect(f.method).toBe('default');
    expect(predictLevel(f, T0 + 30 * H)).toBeCloseTo(0.3, 12);
  });

  it('does not let a full bin pull the rate down, and caps predictions at 1', () => {
    // Rises at 0.1/h to full at h = 8, then reads 1 for 10 more hours.
    const pts = [...[0, 2, 4, 6, 8].map((h) => at(h, 0.2 + 0.1 * h)), ...[10, 12, 14, 16, 18].map((h) => at(h, 1))];
    const f = forecastFill(pts);
    expect(f.ratePerHour).toBeCloseTo(0.1, 12);
    expect(f.level).toBe(1);
    expect(predictLevel(f, T0 + 40 * H)).toBe(1);
    expect(hoursUntilFull(f, T0 + 18 * H)).toBe(0);
  });

  it('copes with gaps and unsorted, duplicated and invalid readings', () => {
    const pts = [at(30, 0.5), at(0, 0.2), at(1, Number.NaN), at(10, 0.3), at(10, 0.3), at(20, 0.4), at(5, 7)];
    const f = forecastFill(pts);
    expect(f.ratePerHour).toBeCloseTo(0.01, 12);
    expect(hoursUntilFull(f, T0 + 30 * H)).toBeCloseTo(50, 9);
  });
});
