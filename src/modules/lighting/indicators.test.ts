import { describe, expect, it } from 'vitest';
import { computeIndicators, indicatorEntities, type LightPoint } from './indicators.ts';

const SINCE = '2020-01-01T00:00:00.000Z';
const points: LightPoint[] = [
  { technology: 'LED', installedAt: '2023-05-01T00:00:00.000Z', hasDevice: true },
  { technology: 'LED', installedAt: '2018-05-01T00:00:00.000Z', hasDevice: false, controllingMethod: 'individual' },
  { technology: 'HPS', installedAt: '2024-01-01T00:00:00.000Z', hasDevice: false },
  { technology: 'LED', hasDevice: false },
];

describe('lighting indicators', () => {
  it('counts refurbished or new LED points, remote management, kWh per point and savings', () => {
    const ind = computeIndicators({ communeCode: '064610115', points, energyKwh: 2000, baselineKwh: 2500 }, SINCE);
    // Refurbished or new: only the first (LED since 2020) → 1/4 = 25%. Remote: the first two → 50%.
    // 2,000 kWh / 4 points = 500; saved 2,500 − 2,000 = 500 kWh = 20%.
    expect(ind).toEqual({ communeCode: '064610115', lightPoints: 4, refurbishedOrNewPct: 25, remoteManagedPct: 50, annualKwhPerLightPoint: 500, energySavedKwh: 500, energySavedPct: 20 });
  });

  it('publishes nothing it cannot compute', () => {
    const ind = computeIndicators({ communeCode: '064610115', points: [], energyKwh: 0 }, SINCE);
    expect(ind.refurbishedOrNewPct).toBeNull();
    expect(indicatorEntities(ind, '2026-11-26T00:00:00.000Z', SINCE)).toEqual([]);
  });

  it('shapes KeyPerformanceIndicator entities in the commune scope', () => {
    const e = indicatorEntities(computeIndicators({ communeCode: '064610115', points, energyKwh: 2000 }, SINCE), '2026-11-26T00:00:00.000Z', SINCE);
    expect(e.map((x) => x.id)).toEqual([
      'urn:ngsi-ld:KeyPerformanceIndicator:lighting:064610115:refurbishedOrNewPct',
      'urn:ngsi-ld:KeyPerformanceIndicator:lighting:064610115:remoteManagedPct',
      'urn:ngsi-ld:KeyPerformanceIndicator:lighting:064610115:annualKwhPerLightPoint',
    ]);
    expect(e[0].scope).toBe('/MA-06/064610115');
    expect(e[2].kpiValue).toEqual({ type: 'Property', value: 500, unitCode: 'KWH', observedAt: '2026-11-26T00:00:00.000Z' });
  });
});
