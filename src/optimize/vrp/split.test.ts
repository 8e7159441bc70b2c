import { describe, expect, it } from 'vitest';
import { instanceFromCoordinates } from './instance.ts';
import { Random } from './random.ts';
import { splitTour, splitTourLimited, SplitWorkspace } from './split.ts';

/** Tries every way of cutting the tour (2^(m-1) of them). */
function bruteForce(tour: number[], n: number, d: Float64Array, q: Float64Array, cap: number, penalty: number, maxRoutes = Infinity, loadCap = Infinity): number {
  const m = tour.length;
  let best = Infinity;
  for (let mask = 0; mask < 1 << (m - 1); mask++) {
    let cuts = 0;
    for (let b = mask; b; b >>= 1) cuts += b & 1;
    if (cuts + 1 > maxRoutes) continue;
    let cost = 0;
    let load = 0;
    let prev = 0;
    let size = 0;
    for (let k = 0; k < m; k++) {
      cost += d[prev * n + tour[k]];
      load += q[tour[k]];
      prev = tour[k];
      if (++size > 1 && load > loadCap) cost = Infinity;
      if (k === m - 1 || mask & (1 << k)) {
        size = 0;
        cost += d[prev * n] + penalty * Math.max(0, load - cap);
        load = 0;
        prev = 0;
      }
    }
    best = Math.min(best, cost);
  }
  return best;
}

describe('splitTour', () => {
  it('matches brute force on random tours, with and without capacity penalties', () => {
    const random = new Random(7);
    for (let trial = 0; trial < 90; trial++) {
      const n = 2 + random.int(10);
      const points = Array.from({ length: n }, () => [random.int(100), random.int(100)] as [number, number]);
      const demands = [0, ...Array.from({ length: n - 1 }, () => 1 + random.int(9))];
      const inst = instanceFromCoordinates('r', points, demands, 10 + random.int(10));
      const tour = Array.from({ length: n - 1 }, (_, k) => k + 1);
      random.shuffle(tour);
      const penalty = [0.5, 3, 1e6][trial % 3];
      const ends = new Int32Array(n);
      const ws = new SplitWorkspace(n - 1);
      const routes = splitTour(tour, n, inst.distances, inst.demands, inst.capacity, penalty, ends, ws);
      const expected = bruteForce(tour, n, inst.distances, inst.demands, inst.capacity, penalty);
      expect(ws.potential[n - 1]).toBeCloseTo(expected, 9);
      // The reported cuts cost what the potential says.
      let cost = 0;
      let start = 0;
      for (let r = 0; r < routes; r++) {
        let prev = 0;
        let load = 0;
        for (let k = start; k < ends[r]; k++) {
          cost += inst.distances[prev * n + tour[k]];
          load += inst.demands[tour[k]];
          prev = tour[k];
        }
        cost += inst.distances[prev * n] + penalty * Math.max(0, load - inst.capacity);
        start = ends[r];
      }
      expect(start).toBe(n - 1);
      expect(cost).toBeCloseTo(expected, 9);
    }
  });

  it('with a fleet limit, matches brute force over splits with at most that many routes', () => {
    const random = new Random(9);
    for (let trial = 0; trial < 60; trial++) {
      const n = 3 + random.int(9);
      const points = Array.from({ length: n }, () => [random.int(100), random.int(100)] as [number, number]);
      const demands = [0, ...Array.from({ length: n - 1 }, () => 1 + random.int(9))];
      const inst = instanceFromCoordinates('r', points, demands, 10);
      const tour = Array.from({ length: n - 1 }, (_, k) => k + 1);
      random.shuffle(tour);
      const k = 1 + random.int(3);
      const penalty = [0.5, 3, 50][trial % 3];
      const ends = new Int32Array(n);
      const { routes, cost } = splitTourLimited(tour, n, inst.distances, inst.demands, 10, penalty, k, ends);
      expect(routes).toBeLessThanOrEqual(k);
      expect(ends[routes - 1]).toBe(n - 1);
      // Routes of several customers loaded beyond 1.5 x capacity are only used when nothing else fits in k routes.
      const pruned = bruteForce(tour, n, inst.distances, inst.demands, 10, penalty, k, 15);
      const expected = pruned < Infinity ? pruned : bruteForce(tour, n, inst.distances, inst.demands, 10, penalty, k);
      expect(cost).toBeCloseTo(expected, 9);
    }
  });

  it('cuts a line of customers into capacity-sized routes', () => {
    // Depot at 0, customers at 10..13 on a line, demand 1 each, capacity 2.
    const inst = instanceFromCoordinates('line', [[0, 0], [10, 0], [11, 0], [12, 0], [13, 0]], [0, 1, 1, 1, 1], 2);
    const ends = new Int32Array(4);
    const count = splitTour([1, 2, 3, 4], 5, inst.distances, inst.demands, 2, 1e6, ends, new SplitWorkspace(4));
    expect(Array.from(ends.subarray(0, count))).toEqual([2, 4]);
  });
});
