import { describe, expect, it } from 'vitest';
import { findDuplicate, haversineM, nearest } from './geo.ts';

// One degree of latitude is 111,195 m on a sphere of radius 6,371,008.8 m (2πR/360).
const M_PER_DEG_LAT = (2 * Math.PI * 6_371_008.8) / 360;

describe('haversine', () => {
  it('measures a degree of latitude', () => {
    expect(haversineM(-7.6, 33.5, -7.6, 34.5)).toBeCloseTo(M_PER_DEG_LAT, 3);
  });
  it('shrinks longitude degrees by cos(latitude)', () => {
    // 0.001° of longitude at 33.5°N ≈ 111.195 km * cos(33.5°) / 1000 = 92.71 m
    expect(haversineM(-7.6, 33.5, -7.599, 33.5)).toBeCloseTo((M_PER_DEG_LAT * Math.cos((33.5 * Math.PI) / 180)) / 1000, 2);
  });
});

describe('nearest asset', () => {
  const lamps = [
    { id: 'a', lon: -7.6, lat: 33.5 + 40 / M_PER_DEG_LAT },
    { id: 'b', lon: -7.6, lat: 33.5 + 20 / M_PER_DEG_LAT },
  ];
  it('links the closest within the radius', () => {
    const n = nearest({ lon: -7.6, lat: 33.5 }, lamps, 50);
    expect(n?.item.id).toBe('b');
    expect(n?.distanceM).toBeCloseTo(20, 3);
  });
  it('links nothing outside the radius', () => {
    expect(nearest({ lon: -7.6, lat: 33.5 }, lamps, 15)).toBeUndefined();
  });
});

describe('duplicate rule (30 m, 7 days, same category)', () => {
  const at = new Date('2026-03-10T12:00:00Z');
  const north = (m: number) => 33.5 + m / M_PER_DEG_LAT;
  const open = [
    { id: '1', serviceCode: 'eclairage-panne', lon: -7.6, lat: north(25), requestedAt: new Date('2026-03-05T12:00:00Z') },
    { id: '2', serviceCode: 'eclairage-panne', lon: -7.6, lat: north(10), requestedAt: new Date('2026-03-02T11:00:00Z') },
    { id: '3', serviceCode: 'voirie-nid-de-poule', lon: -7.6, lat: north(1), requestedAt: new Date('2026-03-09T12:00:00Z') },
    { id: '4', serviceCode: 'eclairage-panne', lon: -7.6, lat: north(2), requestedAt: new Date('2026-03-09T12:00:00Z'), duplicateOf: '1' },
  ];
  it('links to the nearest open report of the same category filed within 7 days', () => {
    // '2' is nearer but 8 days old; '4' is itself a duplicate; '3' is another category.
    expect(findDuplicate({ serviceCode: 'eclairage-panne', lon: -7.6, lat: 33.5, at }, open)?.id).toBe('1');
  });
  it('does not link a report 31 m away', () => {
    expect(findDuplicate({ serviceCode: 'eclairage-panne', lon: -7.6, lat: north(-6.5), at }, [open[0]])).toBeUndefined();
  });
  it('links a report 29 m away', () => {
    expect(findDuplicate({ serviceCode: 'eclairage-panne', lon: -7.6, lat: north(-4), at }, [open[0]])?.id).toBe('1');
  });
});
