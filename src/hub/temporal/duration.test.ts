import { describe, expect, it } from 'vitest';
import { addDuration, isCalendar, isZero, parseDuration, toPgInterval } from './duration.ts';

describe('parseDuration', () => {
  it('reads fixed units into milliseconds', () => {
    expect(parseDuration('PT1H')).toEqual({ years: 0, months: 0, fixedMs: 3_600_000 });
    expect(parseDuration('P1DT2H3M4.5S').fixedMs).toBe(((24 + 2) * 60 + 3) * 60_000 + 4500);
    expect(parseDuration('P2W').fixedMs).toBe(14 * 86_400_000);
    expect(parseDuration('PT0,25S').fixedMs).toBe(250);
  });

  it('keeps years and months as calendar units', () => {
    const d = parseDuration('P1Y2M');
    expect(d).toEqual({ years: 1, months: 2, fixedMs: 0 });
    expect(isCalendar(d)).toBe(true);
    expect(toPgInterval(d)).toBe('1 years 2 months');
  });

  it('treats PT0S as the zero duration', () => {
    expect(isZero(parseDuration('PT0S'))).toBe(true);
    expect(isZero(parseDuration('P0D'))).toBe(true);
  });

  it.each(['', 'P', 'PT', '1H', 'PT1', 'P1H', 'PT-1H', 'P1.5D', 'PT1H30', 'p1d', 'P1DT', 'PT1S2M'])('rejects %j', (s) => {
    expect(() => parseDuration(s)).toThrow(/Invalid ISO 8601 duration/);
  });

  it('renders fixed durations as seconds for PostgreSQL', () => {
    expect(toPgInterval(parseDuration('PT1H'))).toBe('3600 seconds');
    expect(toPgInterval(parseDuration('P1MT1.5S'))).toBe('1 months 1.5 seconds');
  });
});

describe('addDuration', () => {
  it('clamps to the end of a shorter month as PostgreSQL does', () => {
    const jan31 = Date.parse('2024-01-31T10:00:00Z');
    expect(new Date(addDuration(jan31, parseDuration('P1M'))).toISOString()).toBe('2024-02-29T10:00:00.000Z');
    expect(new Date(addDuration(jan31, parseDuration('P1Y'))).toISOString()).toBe('2025-01-31T10:00:00.000Z');
    expect(new Date(addDuration(jan31, parseDuration('PT1H'))).toISOString()).toBe('2024-01-31T11:00:00.000Z');
  });
});
