import { describe, expect, it } from 'vitest';
import { indicatorEntities, suppress } from './indicators.ts';

describe('indicator suppression', () => {
  it('suppresses counts from 1 to 4 and publishes 0 and 5+', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 120].map((n) => suppress(n))).toEqual([0, null, null, null, null, 5, 6, 120]);
  });

  it('shapes one KeyPerformanceIndicator per count, without identifiers, small counts left out', () => {
    const at = '2026-03-01T10:00:00.000Z';
    const es = indicatorEntities({ placeCode: '061410101', communeCode: '006141010', cases: 12, referrals: 7, accepted: 3, declined: 0, unmetNeeds: 4 }, at);
    expect(es.map((e) => [e.id, (e.kpiValue as { value: number } | undefined)?.value ?? null, (e.suppressed as { value: boolean }).value])).toEqual([
      ['urn:ngsi-ld:KeyPerformanceIndicator:social-desk:061410101:cases', 12, false],
      ['urn:ngsi-ld:KeyPerformanceIndicator:social-desk:061410101:referrals', 7, false],
      ['urn:ngsi-ld:KeyPerformanceIndicator:social-desk:061410101:accepted', null, true],
      ['urn:ngsi-ld:KeyPerformanceIndicator:social-desk:061410101:declined', 0, false],
      ['urn:ngsi-ld:KeyPerformanceIndicator:social-desk:061410101:unmetNeeds', null, true],
    ]);
    expect(es[0].scope).toBe('/MA-06/006141010/061410101');
    const allowed = ['id', 'type', 'scope', 'name', 'category', 'kpiValue', 'suppressed', 'suppressionThreshold', 'calculationFrequency', 'organization', 'process', 'placeCode', 'dateModified'];
    for (const e of es) expect(Object.keys(e).filter((k) => !allowed.includes(k))).toEqual([]);
  });
});
