import { describe, expect, it } from 'vitest';
import { planCsv, planGeoJson } from './exports.ts';

const plan = {
  id: 'p1',
  version: 2,
  placeCode: '061410153',
  date: '2026-03-02',
  depots: [{ id: 'd"1', name: 'Garage, Sidi Moumen', lon: -7.5, lat: 33.6 }],
  routes: [
    {
      truck: 1,
      depotId: 'd"1',
      distanceM: 12_345,
      durationMin: 80,
      loadL: 1500,
      stops: [
        { seq: 1, containerId: 'urn:ngsi-ld:WasteContainer:a', lon: -7.51, lat: 33.61, level: 0.8, volumeL: 880, reason: 'threshold' as const, arrivalMin: 5 },
        { seq: 2, containerId: 'urn:ngsi-ld:WasteContainer:b', lon: -7.52, lat: 33.62, level: 0.94, volumeL: 620, reason: 'requested' as const, arrivalMin: 12 },
      ],
    },
  ],
};

describe('plan exports', () => {
  it('draws each truck from its depot through its stops in order and back', () => {
    const g = planGeoJson(plan);
    const route = g.features.find((f: any) => f.properties.kind === 'route') as any;
    expect(route.geometry.coordinates).toEqual([
      [-7.5, 33.6],
      [-7.51, 33.61],
      [-7.52, 33.62],
      [-7.5, 33.6],
    ]);
    expect(route.properties).toMatchObject({ truck: 1, distanceKm: 12.3, stops: 2 });
    expect(g.features.filter((f: any) => f.properties.kind === 'stop').map((f: any) => f.properties.seq)).toEqual([1, 2]);
    expect(g.features.filter((f: any) => f.properties.kind === 'depot')).toHaveLength(1);
  });

  it('writes one CSV row per stop, quoting what needs it', () => {
    expect(planCsv(plan)).toBe(
      'truck,seq,container_id,lon,lat,predicted_level,volume_l,reason,arrival_min,depot_id\r\n' +
        '1,1,urn:ngsi-ld:WasteContainer:a,-7.51,33.61,0.8,880,threshold,5,"d""1"\r\n' +
        '1,2,urn:ngsi-ld:WasteContainer:b,-7.52,33.62,0.94,620,requested,12,"d""1"\r\n',
    );
  });
});
