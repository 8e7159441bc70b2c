import { describe, expect, it } from 'vitest';
import { contentRange, pageSeries, pageValueSeries, renderTemporalValues } from './shape.ts';
import { parseTemporalQuery } from './temporal-query.ts';
import type { ValueSeriesRow } from './store.ts';

const tq = (q: Record<string, string> = {}) => parseTemporalQuery(q, new Set());
const series = (times: number[]) => ({ entityId: 'e', attr: 'a', datasetId: '', rows: times.map((t) => ({ t })) });
const mapper = { compact: (iri: string) => iri.replace('https://x/', ''), expand: (t: string) => `https://x/${t}` } as never;

describe('pageSeries', () => {
  it('leaves complete series alone', () => {
    const s = [series([1, 2, 3])];
    expect(pageSeries(s, tq(), 3, true)).toBeUndefined();
    expect(s[0].rows.map((r) => r.t)).toEqual([1, 2, 3]);
  });

  it('cuts every series at the earliest last instant of an overflowing one (ascending)', () => {
    // limit 3, read with one extra: a overflows at 30 (its 3rd), b overflows at 3; c is complete.
    const a = series([10, 20, 30, 40]);
    const b = series([1, 2, 3, 4]);
    const c = series([2, 5]);
    const range = pageSeries([a, b, c], tq(), 3, true);
    expect(range).toEqual({ from: 1, to: 3, size: '*' });
    expect([a, b, c].map((s) => s.rows.map((r) => r.t))).toEqual([[], [1, 2, 3], [2]]);
  });

  it('starts the range at timeAt for after and between', () => {
    const range = pageSeries([series([10, 20, 30])], tq({ timerel: 'after', timeAt: new Date(5).toISOString() }), 2, true);
    expect(range).toEqual({ from: 5, to: 20, size: '*' });
  });

  it('pages lastN backwards and returns instances oldest first', () => {
    // Read newest first; limit 2 of lastN 5000 (over the maximum): cut at the older of the overflow edges.
    const a = series([50, 40, 30]);
    const b = series([45, 35, 25]);
    const range = pageSeries([a, b], tq({ lastN: '5000' }), 2, true);
    expect(range).toEqual({ from: 50, to: 40, size: 5000 });
    expect(a.rows.map((r) => r.t)).toEqual([40, 50]);
    expect(b.rows.map((r) => r.t)).toEqual([45]);
  });

  it('writes the Content-Range header of §6.3.x', () => {
    expect(contentRange({ from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 2), size: '*' })).toBe('date-time 2024-01-01T00:00:00.000Z-2024-01-02T00:00:00.000Z/*');
  });
});

describe('value series', () => {
  const row = (values: [unknown, number][], datasetId = ''): ValueSeriesRow => ({ entityId: 'urn:e', attr: 'https://x/speed', datasetId, kind: 'Property', values });

  it('renders one object per datasetId, compacting names', () => {
    const e = { id: 'urn:e', types: ['https://x/Car'], scopes: [], createdAt: '', modifiedAt: '' };
    const out = renderTemporalValues(e, [row([[1, Date.UTC(2024, 0, 1)]]), row([[2, Date.UTC(2024, 0, 1)]], 'urn:ds:1')], mapper, false);
    expect(out).toEqual({
      id: 'urn:e',
      type: 'Car',
      speed: [
        { type: 'Property', values: [[1, '2024-01-01T00:00:00.000Z']] },
        { type: 'Property', values: [[2, '2024-01-01T00:00:00.000Z']], datasetId: 'urn:ds:1' },
      ],
    });
  });

  it('pages value series like instance series', () => {
    const t = (s: number) => s * 1000;
    const a = row([[1, t(1)], [2, t(2)], [3, t(3)]]);
    const b = row([[9, t(1.5)], [8, t(2.5)]], 'urn:ds:b');
    const range = pageValueSeries([a, b], tq(), 2, true);
    expect(range).toEqual({ from: 1000, to: 2000, size: '*' });
    expect(a.values).toEqual([[1, t(1)], [2, t(2)]]);
    expect(b.values).toEqual([[9, t(1.5)]]);
  });
});
