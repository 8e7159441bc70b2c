import { describe, expect, it } from 'vitest';
import { isoFromEpochMs } from './iso-time.ts';

describe('isoFromEpochMs', () => {
  it('writes what Date#toISOString writes, across days, years and signs', () => {
    const cases = [0, 1, 999, 1000, -1, -999, -1000, -86_400_001, Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(2024, 2, 1), 253_402_300_799_999, -62_167_219_200_000];
    let seed = 42;
    for (let i = 0; i < 5000; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      cases.push(Math.round((seed / 2147483648 - 0.3) * 4e12));
    }
    for (const ms of cases) expect(isoFromEpochMs(ms), String(ms)).toBe(new Date(ms).toISOString());
  });

  it('cuts fractions of a millisecond (microsecond timestamps)', () => {
    expect(isoFromEpochMs(Date.UTC(2025, 0, 1) + 0.999)).toBe('2025-01-01T00:00:00.000Z');
    expect(isoFromEpochMs(-0.5)).toBe('1969-12-31T23:59:59.999Z');
  });

  it('rejects instants outside the Date range like Date does', () => {
    expect(() => isoFromEpochMs(9e15)).toThrow(RangeError);
  });
});
