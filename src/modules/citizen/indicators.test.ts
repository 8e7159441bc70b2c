import { describe, expect, it } from 'vitest';
import { computeIndicators, indicatorEntities, median, requestEntity } from './indicators.ts';

const h = (n: number) => new Date(Date.UTC(2026, 2, 1) + n * 3_600_000);

describe('indicators', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 10])).toBe(3.5);
    expect(median([])).toBeNull();
  });

  it('counts reports per 10,000 inhabitants and the median time to close, per category and overall, without duplicates', () => {
    const facts = [
      { communeCode: 'A', serviceCode: 'lamp', state: 'fixed' as const, requestedAt: h(0), closedAt: h(10) },
      { communeCode: 'A', serviceCode: 'lamp', state: 'closed' as const, requestedAt: h(0), closedAt: h(30) },
      { communeCode: 'A', serviceCode: 'lamp', state: 'submitted' as const, requestedAt: h(5), closedAt: null },
      { communeCode: 'A', serviceCode: 'lamp', state: 'duplicate' as const, requestedAt: h(6), closedAt: h(7) },
      { communeCode: 'A', serviceCode: 'bin', state: 'fixed' as const, requestedAt: h(0), closedAt: h(2) },
      { communeCode: 'B', serviceCode: 'bin', state: 'submitted' as const, requestedAt: h(0), closedAt: null },
    ];
    const rows = computeIndicators(facts, (c) => (c === 'A' ? 20_000 : undefined));
    expect(rows).toEqual([
      // A overall: 4 reports / 20,000 * 10,000 = 2; closes after 2, 10, 30 h -> median 10
      { communeCode: 'A', category: 'all', reports: 4, per10k: 2, closed: 3, medianCloseHours: 10 },
      { communeCode: 'A', category: 'bin', reports: 1, per10k: 0.5, closed: 1, medianCloseHours: 2 },
      // lamp: 3 reports -> 1.5 per 10k; closes after 10 and 30 h -> 20
      { communeCode: 'A', category: 'lamp', reports: 3, per10k: 1.5, closed: 2, medianCloseHours: 20 },
      { communeCode: 'B', category: 'all', reports: 1, per10k: null, closed: 0, medianCloseHours: null },
      { communeCode: 'B', category: 'bin', reports: 1, per10k: null, closed: 0, medianCloseHours: null },
    ]);
    const [per10k, med] = indicatorEntities(rows[4], h(100), 365);
    expect(per10k.kpiValue).toBeUndefined();
    expect(med.id).toBe('urn:ngsi-ld:KeyPerformanceIndicator:citizen-reports:B:bin:median-close-hours');
  });

  it('mirrors a request without contact details or free text', () => {
    const e = requestEntity(
      {
        id: '12',
        serviceCode: 'mobilier-banc',
        state: 'assigned',
        note: 'call me at 0600000000',
        description: 'My name is Fatima',
        address: 'in front of my house, 3 rue X',
        addressId: null,
        lat: 33.5,
        lon: -7.6,
        communeCode: '006141010',
        agency: 'Casablanca',
        requestedAt: h(0),
        updatedAt: h(1),
        expectedAt: null,
        mediaUrl: null,
        duplicateOf: null,
        scope: '/MA-06/006141010/061410153',
        arrondissementCode: '061410153',
        assetId: null,
        closedAt: null,
      },
      undefined,
    );
    const text = JSON.stringify(e);
    expect(text).not.toMatch(/Fatima|0600000000|rue X/);
    expect(e).toMatchObject({ type: 'Open311ServiceRequest', status: { value: 'open' }, workflowState: { value: 'assigned' }, scope: '/MA-06/006141010/061410153' });
  });
});
