import { describe, expect, it } from 'vitest';
import { haversineM } from './haversine.ts';

describe('haversineM', () => {
  it('gives one minute of latitude as about one nautical mile (hand-checked: 2π × 6 371 008.8 m / 21 600 ≈ 1853.25 m)', () => {
    expect(haversineM(-7.6, 33.5, -7.6, 33.5 + 1 / 60)).toBeCloseTo(1853.25, 1);
  });
  it('is zero for the same point and symmetric', () => {
    expect(haversineM(-7.6, 33.5, -7.6, 33.5)).toBe(0);
    expect(haversineM(-7.6, 33.5, -7.5, 33.6)).toBeCloseTo(haversineM(-7.5, 33.6, -7.6, 33.5), 9);
  });
  it('shrinks a degree of longitude by cos(latitude) (hand-checked: 111 195 m × cos 60° ≈ 55 597 m; the great circle is shorter than the parallel only in the 6th digit here)', () => {
    expect(haversineM(0, 60, 1, 60)).toBeCloseTo(55_597, -1);
  });
  it('gives half the circumference between antipodes (π × 6 371 008.8 m ≈ 20 015 114 m)', () => {
    expect(haversineM(0, 0, 180, 0)).toBeCloseTo(20_015_114, -1);
  });
});
