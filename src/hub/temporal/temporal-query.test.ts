import { describe, expect, it } from 'vitest';
import { Problem } from '../../platform/http/problem.ts';
import { MAX_INSTANCES, parseTemporalQuery } from './temporal-query.ts';

const parse = (q: Record<string, string>, options: string[] = []) => parseTemporalQuery(q, new Set(options));
const detail = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(Problem);
    expect((err as Problem).status).toBe(400);
    return (err as Problem).detail;
  }
  throw new Error('no error');
};

describe('parseTemporalQuery', () => {
  it('reads a between window in epoch milliseconds', () => {
    const tq = parse({ timerel: 'between', timeAt: '2024-01-01T00:00:00Z', endTimeAt: '2024-01-02T00:00:00+01:00' });
    expect(tq.timerel).toBe('between');
    expect(tq.timeAt).toBe(Date.UTC(2024, 0, 1));
    expect(tq.endTimeAt).toBe(Date.UTC(2024, 0, 1, 23));
    expect(tq.format).toBe('normalized');
    expect(tq.timeproperty).toBe('observedAt');
    expect(tq.instanceLimit).toBe(MAX_INSTANCES);
  });

  it('uses lastN as the instance limit up to the maximum', () => {
    expect(parse({ lastN: '5' }).instanceLimit).toBe(5);
    expect(parse({ lastN: String(MAX_INSTANCES * 3) }).instanceLimit).toBe(MAX_INSTANCES);
  });

  it('reads aggregation methods and period', () => {
    const tq = parse({ aggrMethods: 'avg,max,avg', aggrPeriodDuration: 'PT1H' }, ['aggregatedValues']);
    expect(tq.format).toBe('aggregatedValues');
    expect(tq.aggrMethods).toEqual(['avg', 'max']);
    expect(tq.aggrPeriod?.fixedMs).toBe(3_600_000);
    expect(parse({ aggrMethods: 'sum', aggrPeriodDuration: 'PT0S' }, ['aggregatedValues']).aggrPeriod).toBeUndefined();
  });

  it.each([
    [{ timerel: 'after' }, /needs timeAt/],
    [{ timeAt: '2024-01-01T00:00:00Z' }, /needs timerel/],
    [{ timerel: 'during', timeAt: '2024-01-01T00:00:00Z' }, /before, after or between/],
    [{ timerel: 'between', timeAt: '2024-01-01T00:00:00Z' }, /needs endTimeAt/],
    [{ timerel: 'between', timeAt: '2024-01-02T00:00:00Z', endTimeAt: '2024-01-01T00:00:00Z' }, /after timeAt/],
    [{ timerel: 'after', timeAt: 'yesterday' }, /ISO 8601/],
    [{ timerel: 'after', timeAt: '2024-01-01T00:00:00' }, /time zone/],
    [{ lastN: '0' }, /positive integer/],
    [{ lastN: '-3' }, /positive integer/],
    [{ timeproperty: 'deletedAt2' }, /timeproperty/],
  ])('rejects %j', (q, message) => {
    expect(detail(() => parse(q as Record<string, string>))).toMatch(message);
  });

  it('rejects bad aggregation input', () => {
    expect(detail(() => parse({}, ['aggregatedValues']))).toMatch(/needs aggrMethods/);
    expect(detail(() => parse({ aggrMethods: 'avg,median' }, ['aggregatedValues']))).toMatch(/Unknown aggrMethod "median"/);
    expect(detail(() => parse({ aggrMethods: 'avg', aggrPeriodDuration: 'P1H' }, ['aggregatedValues']))).toMatch(/aggrPeriodDuration/);
    expect(detail(() => parse({}, ['aggregatedValues', 'temporalValues']))).toMatch(/cannot be combined/);
  });
});
