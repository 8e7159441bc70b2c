import { describe, expect, it } from 'vitest';
import type { Problem } from '../../platform/http/problem.ts';
import type { FillForecast } from './forecast.ts';
import {
  allocateTrucks,
  DEFAULT_FLEET,
  demandL,
  distanceMatrix,
  haversineM,
  planCollection,
  roadGraphMatrix,
  selectForCollection,
  splitForShift,
  tripMinutes,
  truckCapacityL,
  type Fleet,
  type PlanContainer,
} from './plan.ts';

const R = 6_371_008.8;
const rad = (d: number) => (d * Math.PI) / 180;
const DEPOT = { id: 'd1', lon: -7.6, lat: 33.6 };
/** A container `dLat` degrees north of the depot (distance along a meridian = R × Δφ). */
const north = (id: string, dLat: number, level = 1, capacityL = 1000): PlanContainer => ({ id, lon: -7.6, lat: 33.6 + dLat, capacityL, level, reason: 'threshold' });
const fleet = (f: Partial<Fleet>): Fleet => ({ ...DEFAULT_FLEET, ...f });

async function failure(p: Promise<unknown>): Promise<Problem> {
  try {
    await p;
  } catch (err) {
    return err as Problem;
  }
  throw new Error('expected a problem');
}

describe('distances', () => {
  it('measures a meridian arc as R × Δφ and a degree of latitude as ~111.2 km', () => {
    expect(haversineM({ lon: 0, lat: 0 }, { lon: 0, lat: 1 })).toBeCloseTo(R * rad(1), 6);
    expect(haversineM({ lon: 0, lat: 0 }, { lon: 0, lat: 1 })).toBeCloseTo(111_195, 0);
    // Casablanca to Settat (~57 km apart).
    expect(haversineM({ lon: -7.6192, lat: 33.5731 }, { lon: -7.6164, lat: 33.0011 }) / 1000).toBeCloseTo(63.6, 1);
  });

  it('applies the detour factor and rounds to whole metres', () => {
    const m = distanceMatrix([DEPOT, north('a', 0.01)], { kind: 'estimate', detourFactor: 1.3 });
    expect(m[1]).toBe(Math.round(R * rad(0.01) * 1.3));
    expect(m[2]).toBe(m[1]);
  });

  it('follows the road graph when one is supplied', () => {
    // A and B are 1.1 km apart as the crow flies, but the only road goes through C: 5 km + 7 km.
    const graph = { nodes: [[0, 0], [0, 0.01], [0.05, 0.005]] as [number, number][], edges: [[0, 2, 5000], [2, 1, 7000]] as [number, number, number][] };
    const m = roadGraphMatrix(graph, [{ lon: 0, lat: 0 }, { lon: 0, lat: 0.01 }]);
    expect(m[1]).toBe(12_000);
    const oneWay = roadGraphMatrix({ ...graph, directed: true }, [{ lon: 0, lat: 0 }, { lon: 0, lat: 0.01 }]);
    expect(oneWay[1]).toBe(12_000);
    expect(oneWay[2]).toBe(Infinity);
  });
});

describe('capacities and durations', () => {
  it('counts bin litres through the compaction factor', () => {
    expect(truckCapacityL(fleet({ capacityM3: 16, compactionFactor: 3 }))).toBe(48_000);
    expect(demandL({ level: 0.75, capacityL: 660 })).toBe(495);
    expect(demandL({ level: 1.4, capacityL: 660 })).toBe(660);
  });

  it('times a trip as driving + emptying + unloading', () => {
    // 20 km at 20 km/h = 60 min, 10 stops × 2 min, 30 min unloading.
    expect(tripMinutes(20_000, 10, fleet({ speedKmh: 20, serviceMinutesPerStop: 2, unloadMinutes: 30 }))).toBe(110);
  });

  it('cuts a route that does not fit in the shift into consecutive pieces', () => {
    // At 60 km/h a km is a minute. depot–1 10 km, 1–2 10, 2–3 10, 2–depot 20, 3–depot 30 (symmetric).
    const km = [
      [0, 10, 20, 30],
      [10, 0, 10, 20],
      [20, 10, 0, 10],
      [30, 20, 10, 0],
    ];
    const m = Float64Array.from(km.flat().map((v) => v * 1000));
    const f = fleet({ speedKmh: 60, serviceMinutesPerStop: 0, unloadMinutes: 0, shiftHours: 1 });
    expect(splitForShift([1, 2, 3], m, 4, f)).toEqual([[1, 2, 3]]); // exactly 60 min
    expect(splitForShift([1, 2, 3], m, 4, { ...f, shiftHours: 0.9 })).toEqual([[1, 2], [3]]); // 40 + 60 > 54
  });

  it('gives spare trucks to the depot with the most demand per truck', () => {
    expect(allocateTrucks([9000, 3000, 0], 5, 4000)).toEqual([4, 1, 0]);
    expect(allocateTrucks([9000, 3000], 4, 4000)).toEqual([3, 1]);
  });
});

describe('selectForCollection', () => {
  const T0 = Date.UTC(2026, 2, 1);
  const f = (ratePerHour: number): FillForecast => ({ ratePerHour, level: 0.5, at: T0, method: 'theil-sen', points: 5, resets: 0 });
  const item = (id: string, rate: number) => ({ id, lon: 0, lat: 0, capacityL: 1000, forecast: f(rate) });
  it('takes containers over the threshold, those that would overflow before the next round, and requested ones', () => {
    const chosen = selectForCollection([item('slow', 0.01), item('fast', 0.03), item('edge', 0.02), item('spill', 0.018), item('asked', 0)], T0 + 10 * 3_600_000, {
      threshold: 0.7,
      horizonHours: 24,
      requested: new Set(['asked']),
    });
    // At +10 h: slow 0.6 (0.84 a day later), fast 0.8, edge 0.7, spill 0.68 (1.11 a day later), asked 0.5.
    expect(chosen.map((c) => [c.id, c.reason, Number(c.level.toFixed(3))])).toEqual([
      ['fast', 'threshold', 0.8],
      ['edge', 'threshold', 0.7],
      ['spill', 'overflow-before-next', 0.68],
      ['asked', 'requested', 0.5],
    ]);
  });
});

describe('planCollection', () => {
  const est = { kind: 'estimate', detourFactor: 1.3 } as const;
  const leg = (deg: number) => Math.round(R * rad(deg) * 1.3);

  it('visits a line of containers in one out-and-back route', async () => {
    const plan = await planCollection(
      { depots: [DEPOT], containers: [north('c2', 0.02), north('c1', 0.01), north('c3', 0.03)], fleet: fleet({ trucks: 1, capacityM3: 1, compactionFactor: 3 }), distances: est },
      { seed: 1, maxIterations: 200 },
    );
    expect(plan.trucksUsed).toBe(1);
    expect(plan.routes[0].stops.map((s) => s.containerId).sort()).toEqual(['c1', 'c2', 'c3']);
    // On a line every order without backtracking is out to 0.03° and back (legs rounded to the metre).
    expect(Math.abs(plan.distanceM - 2 * R * rad(0.03) * 1.3)).toBeLessThanOrEqual(3);
    expect(plan.routes[0].loadL).toBe(3000);
    expect(plan.routes[0].stops.map((s) => s.seq)).toEqual([1, 2, 3]);
  });

  it('uses two trucks when one cannot carry both clusters, one per cluster', async () => {
    const west = [0.001, 0.002].map((d, i) => ({ ...north(`w${i}`, d), lon: -7.7 }));
    const east = [0.001, 0.002].map((d, i) => ({ ...north(`e${i}`, d), lon: -7.5 }));
    const plan = await planCollection({ depots: [DEPOT], containers: [...west, ...east], fleet: fleet({ trucks: 2, capacityM3: 1, compactionFactor: 2 }), distances: est }, { seed: 3, maxIterations: 300 });
    expect(plan.routes).toHaveLength(2);
    const groups = plan.routes.map((r) => r.stops.map((s) => s.containerId[0]).join('')).sort();
    expect(groups).toEqual(['ee', 'ww']);
    expect(plan.volumeL).toBe(4000);
  });

  it('refuses when demand exceeds the fleet, listing what the fullest-first fill leaves out', async () => {
    const p = await failure(
      planCollection(
        { depots: [DEPOT], containers: [north('a', 0.01, 0.9), north('b', 0.02, 0.5), north('c', 0.03, 0.7)], fleet: fleet({ trucks: 1, capacityM3: 0.5, compactionFactor: 3 }), distances: est },
        { seed: 1, maxIterations: 50 },
      ),
    );
    // Demands 900, 500, 700 L for 1500 L: a (900) fits, c (700) does not, b (500) does.
    expect(p.status).toBe(422);
    expect(p.type).toBe('/problems/waste/fleet-too-small');
    expect(p.extensions).toMatchObject({ demandL: 2100, capacityL: 1500, unserved: ['c'] });
  });

  it('refuses containers that a single round trip cannot reach within the shift', async () => {
    // ~100 km north: 2 × 100.07 km × 1.3 at 20 km/h ≈ 781 min + 2 + 30 > 420.
    const p = await failure(planCollection({ depots: [DEPOT], containers: [north('near', 0.01), north('far', 0.9)], fleet: fleet({}), distances: est }, { seed: 1, maxIterations: 50 }));
    expect(p.type).toBe('/problems/waste/unreachable-within-shift');
    const far = (p.extensions.unreachable as { id: string; tripMinutes: number }[])[0];
    expect(far.id).toBe('far');
    expect(far.tripMinutes).toBe(Math.round(((2 * leg(0.9)) / 1000 / 20) * 60 + 2 + 30));
  });

  it('cuts routes for the shift, and refuses when the pieces need more trucks than the fleet has', async () => {
    // Six containers 0.01° apart northwards, 10 min to empty each: one route would take
    // 2 × 0.06° × 1.3 ≈ 17.3 km (52 min) + 60 + 30 = 142 min > 120; the farthest alone takes 92 min.
    const line = [1, 2, 3, 4, 5, 6].map((k) => north(`n${k}`, 0.01 * k, 0.5));
    const f = fleet({ trucks: 6, shiftHours: 2, capacityM3: 100, serviceMinutesPerStop: 10 });
    const plan = await planCollection({ depots: [DEPOT], containers: line, fleet: f, distances: est }, { seed: 2, maxIterations: 300 });
    for (const r of plan.routes) expect(r.durationMin).toBeLessThanOrEqual(120);
    expect(plan.routes.length).toBeGreaterThan(1);
    expect(plan.shiftSplits).toBeGreaterThan(0);
    expect(plan.routes.flatMap((r) => r.stops.map((s) => s.containerId)).sort()).toEqual(line.map((c) => c.id).sort());
    const p = await failure(planCollection({ depots: [DEPOT], containers: line, fleet: { ...f, trucks: 1 }, distances: est }, { seed: 2, maxIterations: 300 }));
    expect(p.type).toBe('/problems/waste/fleet-too-small');
    expect(p.extensions.trucksNeeded).toBeGreaterThan(1);
    expect((p.extensions.unserved as string[]).length).toBeGreaterThan(0);
  });

  it('sends each container to its nearest depot', async () => {
    const depots = [DEPOT, { id: 'd2', lon: -7.6, lat: 33.7 }];
    const plan = await planCollection({ depots, containers: [north('s', 0.01), north('n', 0.09)], fleet: fleet({ trucks: 2 }), distances: est }, { seed: 1, maxIterations: 50 });
    expect(Object.fromEntries(plan.routes.map((r) => [r.stops[0].containerId, r.depotId]))).toEqual({ s: 'd1', n: 'd2' });
    expect(plan.distanceM).toBe(2 * leg(0.01) + 2 * Math.round(R * rad(33.7 - 33.69) * 1.3));
  });
});
