import { describe, expect, it } from 'vitest';
import { dailyNoise, simulateMonth, vrpDayRouter, type DayRouter, type SimContainer } from './month-simulation.ts';
import { DEFAULT_FLEET } from './plan.ts';

const DEPOT = { id: 'd', lon: -7.6, lat: 33.6 };
const bin = (id: string, perDay: number, level = 0): SimContainer => ({ id, lon: -7.6, lat: 33.61, capacityL: 1000, ratePerHour: perDay / 24, level });
/** 1 km per stop, one truck per two stops: easy to count by hand. */
const countingRouter: DayRouter = (_d, stops) => ({ distanceM: stops.length * 1000, trucks: Math.ceil(stops.length / 2) });

describe('simulateMonth', () => {
  it('collects only what fills up, where a daily round visits everything', async () => {
    // A fills 0.4/day: 0, .4, .8 → collected on day 2 (≥ 0.7), then .4, .8. B never reaches 0.7 in 4 days.
    const r = await simulateMonth([bin('A', 0.4), bin('B', 0.1)], DEPOT, { days: 4, threshold: 0.7, fixedEveryDays: 1, seed: 1, noiseCv: 0 }, countingRouter);
    expect(r.threshold).toMatchObject({ collections: 1, distanceKm: 1, truckDays: 1, maxTrucks: 1, overflowContainerDays: 0, collectedL: 800 });
    expect(r.fixed).toMatchObject({ collections: 8, distanceKm: 8, truckDays: 4, overflowContainerDays: 0 });
    expect(r.savings).toEqual({ distancePct: 87.5, truckDaysPct: 75 });
    expect(r.daily.map((d) => d.threshold.stops)).toEqual([0, 0, 1, 0]);
  });

  it('counts overflow days and spilled litres of a schedule that comes too rarely', async () => {
    // A fills 0.6/day; every 3 days: collected day 0, 1.2 by day 1 (200 L spilled), 1.6 by day 2 (600 L), collected day 3.
    // The threshold planner sees 0.6 + 0.6 > 1 coming and collects it every day from day 1.
    const r = await simulateMonth([bin('A', 0.6)], DEPOT, { days: 4, threshold: 0.7, fixedEveryDays: 3, seed: 1, noiseCv: 0 }, countingRouter);
    expect(r.fixed).toMatchObject({ collections: 2, overflowContainerDays: 2, overflowL: 800 });
    expect(r.threshold).toMatchObject({ collections: 3, overflowContainerDays: 0, overflowL: 0 });
  });

  it('is deterministic for a seed and its noise has mean 1', async () => {
    const a = dailyNoise(30, 100, 7, 0.25);
    expect(dailyNoise(30, 100, 7, 0.25)).toEqual(a);
    expect(dailyNoise(30, 100, 8, 0.25)).not.toEqual(a);
    const flat = a.flat();
    const mean = flat.reduce((s, x) => s + x, 0) / flat.length;
    expect(mean).toBeGreaterThan(0.97);
    expect(mean).toBeLessThan(1.03);
    const sd = Math.sqrt(flat.reduce((s, x) => s + (x - mean) ** 2, 0) / flat.length);
    expect(sd).toBeGreaterThan(0.22);
    expect(sd).toBeLessThan(0.28);
  });

  it('saves kilometres over a month with the VRP router on a mixed street', async () => {
    const bins = Array.from({ length: 30 }, (_, i) => ({ ...bin(`c${i}`, i % 3 === 0 ? 0.5 : 0.15), lon: -7.6 + 0.002 * (i % 6), lat: 33.6 + 0.002 * Math.floor(i / 6) }));
    const route = vrpDayRouter(DEFAULT_FLEET, 1.3, { seed: 1, maxIterations: 30 });
    const opts = { days: 30, threshold: 0.7, fixedEveryDays: 1, seed: 3 };
    const r = await simulateMonth(bins, DEPOT, opts, route);
    expect(await simulateMonth(bins, DEPOT, opts, route)).toEqual(r);
    expect(r.fixed.collections).toBe(30 * 30);
    expect(r.threshold.distanceKm).toBeLessThan(r.fixed.distanceKm);
    expect(r.savings.distancePct).toBeGreaterThan(0);
  });
});
