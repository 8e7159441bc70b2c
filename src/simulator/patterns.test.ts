import { describe, expect, it } from 'vitest';
import type { Asset } from '../region/assets.ts';
import { sunTimes } from '../region/astronomy.ts';
import {
  airMeasures,
  airQualityIndex,
  airQualityLevel,
  cabinetMeasures,
  energyMeasures,
  lampFault,
  lastCollection,
  localHour,
  streetlightMeasures,
  trafficMeasures,
  trafficProfile,
  wasteMeasures,
} from './patterns.ts';

const SEED = 7;
const base = { communeCode: '006141010', scope: '/MA-06/006141010/061410107', placeName: 'Sidi Belyout', communeType: 'urban' as const, placeDensity: 20000 };
const at = (iso: string) => Date.parse(iso);

function lamp(id: string, tech: 'LED' | 'HPS' = 'LED'): Asset {
  return {
    ...base,
    kind: 'streetlight',
    deviceId: id,
    entityId: `urn:ngsi-ld:Streetlight:${id}`,
    entityType: 'Streetlight',
    lon: -7.6187,
    lat: 33.5928,
    params: { model: 'x', lampTechnology: tech, nominalPowerW: 100, lanternHeight: 10, cabinet: 'c', dateLastLampChange: '2025-01-01T00:00:00.000Z', photocellOffsetMin: 5 },
  };
}

/** A lamp id with no fault in the episode holding `ms` (faults are rare, so the first few ids do). */
function healthyLamp(ms: number, tech: 'LED' | 'HPS' = 'LED'): Asset {
  for (let i = 0; ; i++) if (lampFault(`sl-${i}`, ms, SEED) === 'none') return lamp(`sl-${i}`, tech);
}

describe('streetlight pattern', () => {
  it('burns from sunset to sunrise at the lamp position and is off by day', () => {
    const day = new Date('2026-06-21T12:00:00Z');
    const { sunrise, sunset } = sunTimes(33.5928, -7.6187, day);
    const l = healthyLamp(day.getTime());
    expect(streetlightMeasures(l, day.getTime(), SEED).powerState).toBe('off');
    // Photocell offset 5 min: still off 2 min after sunset, on 10 min after.
    expect(streetlightMeasures(l, sunset!.getTime() + 2 * 60_000, SEED).powerState).toBe('off');
    expect(streetlightMeasures(l, sunset!.getTime() + 10 * 60_000, SEED).powerState).toBe('on');
    expect(streetlightMeasures(l, sunrise!.getTime() - 10 * 60_000, SEED).powerState).toBe('on');
    expect(streetlightMeasures(l, sunrise!.getTime() + 10 * 60_000, SEED).powerState).toBe('off');
  });

  it('dims LED lamps to 60% between midnight and 05:00 local time (UTC+1), HPS lamps never', () => {
    const late = at('2026-12-21T01:30:00Z'); // 02:30 local
    const evening = at('2026-12-21T19:30:00Z'); // 20:30 local
    const led = healthyLamp(late);
    expect(streetlightMeasures(led, late, SEED).illuminanceLevel).toBe(0.6);
    expect(streetlightMeasures(healthyLamp(evening), evening, SEED).illuminanceLevel).toBe(1);
    const ledPower = streetlightMeasures(led, late, SEED).powerConsumption as number;
    expect(ledPower).toBeGreaterThan(100 * 0.6 * 0.97);
    expect(ledPower).toBeLessThan(100 * 0.6 * 1.03 * 1.01);
    const hps = healthyLamp(late, 'HPS');
    expect(streetlightMeasures(hps, late, SEED).illuminanceLevel).toBe(1);
    // Magnetic ballast: ~10% above the lamp's rating, plus ageing (2%/year, ~2 years here).
    expect(streetlightMeasures(hps, late, SEED).powerConsumption).toBeGreaterThan(110);
  });

  it('has rare faults: defective lamps dark at night, some lamps burning by day, some drifting in power', () => {
    const night = at('2026-12-21T22:00:00Z');
    const noon = at('2026-12-21T12:00:00Z');
    const lamps = Array.from({ length: 20_000 }, (_, i) => lamp(`sl-${i}`));
    const atNight = lamps.map((l) => streetlightMeasures(l, night, SEED));
    const offAtNight = atNight.filter((m) => m.powerState === 'off').length / lamps.length;
    expect(offAtNight).toBeGreaterThan(0.003);
    expect(offAtNight).toBeLessThan(0.008); // 0.5% expected
    expect(atNight.filter((m) => m.status === 'defectiveLamp').length / lamps.length).toBeCloseTo(0.004, 2);
    const onByDay = lamps.filter((l) => streetlightMeasures(l, noon, SEED).powerState === 'on').length / lamps.length;
    expect(onByDay).toBeGreaterThan(0.001);
    expect(onByDay).toBeLessThan(0.004); // 0.2% expected
  });

  it('keeps a fault for the whole three-day episode', () => {
    const t = at('2026-12-21T22:00:00Z');
    const faulty = Array.from({ length: 5000 }, (_, i) => `sl-${i}`).find((id) => lampFault(id, t, SEED) === 'defectiveLamp')!;
    const episodeStart = Math.floor((t - 12 * 3_600_000) / (3 * 86_400_000)) * 3 * 86_400_000 + 12 * 3_600_000;
    expect(lampFault(faulty, episodeStart + 1000, SEED)).toBe('defectiveLamp');
    expect(lampFault(faulty, episodeStart + 3 * 86_400_000 - 1000, SEED)).toBe('defectiveLamp');
  });
});

function bin(id: string, density: number, hoursToFull: number): Asset {
  return {
    ...base,
    placeDensity: density,
    kind: 'wasteContainer',
    deviceId: id,
    entityId: `urn:ngsi-ld:WasteContainer:${id}`,
    entityType: 'WasteContainer',
    lon: -7.6,
    lat: 33.59,
    params: { capacityL: 1100, hoursToFull, collectionHourUtc: 21, collectionEveryDays: 1, binColor: 'grey' },
  };
}

describe('waste container pattern', () => {
  it('fills between collections and is emptied at the collection hour', () => {
    const b = bin('wc-1', 20000, 20);
    const collected = lastCollection('wc-1', at('2026-03-10T12:00:00Z'), 21, 1, SEED);
    expect(new Date(collected).toISOString()).toBe('2026-03-09T21:00:00.000Z');
    let prev = -1;
    for (let h = 0.5; h < 24; h += 0.5) {
      const level = wasteMeasures(b, collected + h * 3_600_000, SEED).fillingLevel as number;
      expect(level).toBeGreaterThanOrEqual(prev);
      prev = level;
    }
    expect(prev).toBeGreaterThan(0.8);
    const after = wasteMeasures(b, collected + 24 * 3_600_000 + 600_000, SEED);
    expect(after.fillingLevel).toBeLessThan(0.05);
    expect(after.dateLastEmptying).toBe('2026-03-10T21:00:00.000Z');
  });

  it('fills faster where more people live', () => {
    const t = at('2026-03-10T15:00:00Z');
    const dense = wasteMeasures(bin('wc-a', 20000, 14), t, SEED).fillingLevel as number;
    const sparse = wasteMeasures(bin('wc-a', 100, 70), t, SEED).fillingLevel as number;
    expect(dense).toBeGreaterThan(sparse * 3);
  });
});

describe('traffic pattern', () => {
  it('peaks in the morning and the evening on weekdays, and is quiet at night', () => {
    const wed = 3;
    expect(trafficProfile(8.25, wed)).toBeGreaterThan(0.8);
    expect(trafficProfile(18.5, wed)).toBeGreaterThan(0.8);
    expect(trafficProfile(3, wed)).toBeLessThan(0.1);
    expect(trafficProfile(8.25, wed)).toBeGreaterThan(trafficProfile(11, wed));
    expect(trafficProfile(8.25, 0)).toBeLessThan(trafficProfile(8.25, wed)); // Sunday morning
  });

  it('turns the profile into intensity, occupancy, speed and congestion', () => {
    const counter: Asset = {
      ...base,
      kind: 'trafficCounter',
      deviceId: 'tf-1',
      entityId: 'urn:ngsi-ld:TrafficFlowObserved:tf-1',
      entityType: 'TrafficFlowObserved',
      lon: -7.6,
      lat: 33.59,
      params: { roadClass: 'arterial', lanes: 3, capacityVph: 2700, freeFlowKmh: 60 },
    };
    const peak = trafficMeasures(counter, at('2026-03-11T17:30:00Z'), SEED); // Wednesday 18:30 local
    const night = trafficMeasures(counter, at('2026-03-11T02:00:00Z'), SEED);
    expect(peak.intensity as number).toBeGreaterThan(3 * (night.intensity as number));
    expect(peak.averageVehicleSpeed as number).toBeLessThan(night.averageVehicleSpeed as number);
    expect(night.congested).toBe(false);
    expect(night.averageVehicleSpeed).toBeGreaterThan(55);
  });
});

describe('energy meter pattern', () => {
  const meter: Asset = {
    ...base,
    kind: 'energyMeter',
    deviceId: 'em-1',
    entityId: 'urn:ngsi-ld:ACMeasurement:em-1',
    entityType: 'ACMeasurement',
    lon: -7.6,
    lat: 33.59,
    params: { buildingType: 'school', buildingName: 'École 1', basePowerW: 10000, initialEnergyKwh: 1000 },
  };

  it('only ever increases, by the integral of its power', () => {
    const t0 = at('2026-05-01T00:00:00Z');
    let prev = energyMeasures(meter, t0, SEED).totalActiveEnergyImport as number;
    for (let h = 1; h <= 48; h++) {
      const e = energyMeasures(meter, t0 + h * 3_600_000, SEED).totalActiveEnergyImport as number;
      expect(e).toBeGreaterThan(prev);
      prev = e;
    }
    // Over whole days the load averages its base power: 10 kW * 48 h = 480 kWh.
    const e0 = energyMeasures(meter, t0, SEED).totalActiveEnergyImport as number;
    expect(prev - e0).toBeCloseTo(480, 0);
  });

  it('draws more in office hours than at night', () => {
    const day = energyMeasures(meter, at('2026-05-04T14:00:00Z'), SEED).totalActivePower as number;
    const night = energyMeasures(meter, at('2026-05-04T02:00:00Z'), SEED).totalActivePower as number;
    expect(day).toBeGreaterThan(2 * night);
  });
});

describe('air quality pattern', () => {
  it('computes the US EPA AQI from PM2.5 and PM10 breakpoints', () => {
    expect(airQualityIndex(9, 10)).toBe(50);
    expect(airQualityIndex(35.4, 10)).toBe(100);
    expect(airQualityIndex(5, 154)).toBe(100);
    expect(airQualityIndex(55.4, 0)).toBe(150);
    expect(airQualityLevel(42)).toBe('good');
    expect(airQualityLevel(120)).toBe('unhealthyForSensitiveGroups');
  });

  it('follows daily cycles: NO2 at rush hour, ozone in the afternoon, warmer by day', () => {
    const station: Asset = {
      ...base,
      kind: 'airQuality',
      deviceId: 'aq-1',
      entityId: 'urn:ngsi-ld:AirQualityObserved:aq-1',
      entityType: 'AirQualityObserved',
      lon: -7.6,
      lat: 33.59,
      params: { pollutionFactor: 1.2 },
    };
    const rush = airMeasures(station, at('2026-07-15T07:15:00Z'), SEED); // 08:15 local, Wednesday
    const night = airMeasures(station, at('2026-07-15T02:00:00Z'), SEED);
    const afternoon = airMeasures(station, at('2026-07-15T13:00:00Z'), SEED);
    expect(rush.no2 as number).toBeGreaterThan(2 * (night.no2 as number));
    expect(afternoon.o3 as number).toBeGreaterThan(night.o3 as number);
    expect(afternoon.temperature as number).toBeGreaterThan(night.temperature as number);
    expect(afternoon.temperature as number).toBeGreaterThan(20); // July in Casablanca
    expect(airMeasures(station, at('2026-01-15T13:00:00Z'), SEED).temperature as number).toBeLessThan(20);
    expect(rush.airQualityIndex).toBe(airQualityIndex(rush.pm25 as number, rush.pm10 as number));
  });

  it('reads the local clock as UTC+1', () => {
    expect(localHour(at('2026-07-15T23:30:00Z'))).toBeCloseTo(0.5, 10);
  });
});

describe('control cabinet pattern', () => {
  const cabinet: Asset = {
    ...base,
    kind: 'cabinet',
    deviceId: 'cab-1',
    entityId: 'urn:ngsi-ld:StreetlightControlCabinet:cab-1',
    entityType: 'StreetlightControlCabinet',
    lon: -7.6187,
    lat: 33.5928,
    params: { lampCount: 25, nominalLoadW: 2500, maximumPowerAvailableKw: 4 },
  };

  it('meters about load × night length per day, never decreasing, and draws power only at night', () => {
    const t0 = at('2026-12-20T12:00:00Z');
    let prev = cabinetMeasures(cabinet, t0, SEED).energyConsumed as number;
    const start = prev;
    for (let h = 1; h <= 48; h++) {
      const e = cabinetMeasures(cabinet, t0 + h * 3_600_000, SEED).energyConsumed as number;
      expect(e).toBeGreaterThanOrEqual(prev);
      prev = e;
    }
    // Two December nights of ~14.1 h at 2.5 kW: ~70 kWh.
    expect((prev - start) / 2).toBeCloseTo(2.5 * 14.07, 0);
    expect(cabinetMeasures(cabinet, at('2026-12-20T13:00:00Z'), SEED).totalActivePower).toBe(0);
    expect(cabinetMeasures(cabinet, at('2026-12-20T22:00:00Z'), SEED).totalActivePower as number).toBeGreaterThan(2500);
  });
});
