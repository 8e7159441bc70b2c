import { describe, expect, it } from 'vitest';
import { instanceFromCoordinates, routesCost, type CvrpInstance } from './instance.ts';
import { Individual } from './individual.ts';
import { LocalSearch, type MoveKind } from './local-search.ts';
import { buildSearchProblem } from './problem.ts';
import { Random } from './random.ts';

const KINDS: MoveKind[] = [
  'relocate',
  'relocatePair',
  'relocatePairReversed',
  'swap',
  'swapPairSingle',
  'swapPairs',
  'twoOpt',
  'twoOptStarReversed',
  'twoOptStar',
  'swapStar',
];

/** Penalised cost computed from the routes alone. */
function penalised(inst: CvrpInstance, routes: number[][], penalty: number): number {
  let excess = 0;
  for (const r of routes) excess += Math.max(0, r.reduce((s, c) => s + inst.demands[c], 0) - inst.capacity);
  return routesCost(inst, routes) + penalty * excess;
}

function randomInstance(random: Random, n: number): CvrpInstance {
  const points = Array.from({ length: n }, () => [random.int(200), random.int(200)] as [number, number]);
  const demands = [0, ...Array.from({ length: n - 1 }, () => 1 + random.int(10))];
  return instanceFromCoordinates('random', points, demands, 25);
}

function randomRoutes(random: Random, n: number, count: number): number[][] {
  const customers = Array.from({ length: n - 1 }, (_, k) => k + 1);
  random.shuffle(customers);
  const routes: number[][] = Array.from({ length: count }, () => []);
  customers.forEach((c, k) => routes[k < count ? k : random.int(count)].push(c));
  return routes;
}

function servedOnce(routes: number[][], n: number): boolean {
  const all = routes.flat().sort((a, b) => a - b);
  return all.length === n - 1 && all.every((c, k) => c === k + 1);
}

describe('LocalSearch moves', () => {
  for (const kind of KINDS) {
    it(`${kind}: the applied change equals the recomputed penalised cost difference`, () => {
      const random = new Random(kind.length * 31 + kind.charCodeAt(0));
      let applied = 0;
      for (let trial = 0; trial < 40; trial++) {
        const n = 8 + random.int(10);
        const inst = randomInstance(random, n);
        const ls = new LocalSearch(buildSearchProblem(inst, 20));
        const penalty = [0.5, 10, 1000][trial % 3];
        ls.loadRoutes(randomRoutes(random, n, 2 + random.int(3)), penalty);
        for (let k = 0; k < 30; k++) {
          const u = 1 + random.int(n - 1);
          const v = 1 + random.int(n - 1);
          if (u === v) continue;
          const before = ls.currentRoutes();
          const costBefore = penalised(inst, before, penalty);
          if (ls.tryMove(kind, u, v)) {
            applied++;
            const after = ls.currentRoutes();
            expect(servedOnce(after, n)).toBe(true);
            expect(ls.lastDelta).toBeLessThan(0);
            expect(penalised(inst, after, penalty) - costBefore).toBeCloseTo(ls.lastDelta, 6);
          } else {
            expect(ls.currentRoutes()).toEqual(before);
          }
        }
      }
      expect(applied).toBeGreaterThan(10);
    });
  }

  it('relocates a customer into the route it is next to', () => {
    // Two clusters left and right of the depot; customer 3 sits right but starts in the left route.
    const inst = instanceFromCoordinates('two', [[0, 0], [-10, 0], [-10, 1], [10, 0], [10, 1]], [0, 1, 1, 1, 1], 10);
    const ls = new LocalSearch(buildSearchProblem(inst, 4));
    ls.loadRoutes([[1, 3, 2], [4]], 1);
    expect(ls.tryMove('relocate', 3, 4)).toBe(true);
    expect(ls.currentRoutes().slice(0, 2)).toEqual([[1, 2], [4, 3]]);
    // Rounded: before 0-1-3-2-0 = 10+20+20+10 and 0-4-0 = 10+10 (80); after 0-1-2-0 = 10+1+10 and 0-4-3-0 = 10+1+10 (42).
    expect(ls.lastDelta).toBe(42 - 80);
  });

  it('uncrosses a route with 2-opt', () => {
    // Square visited 1, 3, 2, 4 crosses itself; 1, 2, 3, 4 does not.
    const inst = instanceFromCoordinates('square', [[0, 0], [0, 10], [10, 10], [10, 20], [0, 20]], [0, 1, 1, 1, 1], 10);
    const ls = new LocalSearch(buildSearchProblem(inst, 4));
    ls.loadRoutes([[1, 3, 2, 4]], 1);
    const before = routesCost(inst, [[1, 3, 2, 4]]);
    expect(ls.tryMove('twoOpt', 1, 2)).toBe(true);
    const after = ls.currentRoutes()[0];
    expect(after).toEqual([1, 2, 3, 4]);
    expect(ls.lastDelta).toBe(routesCost(inst, [after]) - before);
  });

  it('leaves capacity feasible routes feasible when the penalty is prohibitive', () => {
    const random = new Random(5);
    for (let trial = 0; trial < 10; trial++) {
      const n = 30;
      const inst = randomInstance(random, n);
      const problem = buildSearchProblem(inst, 8);
      const ls = new LocalSearch(problem);
      // One customer per route: feasible but poor.
      const start = new Individual(n);
      for (let c = 1; c < n; c++) {
        start.tour[c - 1] = c;
        start.ends[c - 1] = c;
      }
      start.routeCount = n - 1;
      start.evaluate(problem, 1e9);
      const improved = ls.run(start, 1e9, random);
      const routes = improved.routes();
      expect(servedOnce(routes, n)).toBe(true);
      expect(improved.excess).toBe(0);
      for (const r of routes) expect(r.reduce((s, c) => s + inst.demands[c], 0)).toBeLessThanOrEqual(inst.capacity);
      expect(improved.distance).toBe(routesCost(inst, routes));
      expect(improved.distance).toBeLessThan(start.distance);
    }
  });

  it('reaches a local optimum that no single move improves', () => {
    const random = new Random(11);
    const n = 40;
    const inst = randomInstance(random, n);
    const problem = buildSearchProblem(inst, 40);
    const ls = new LocalSearch(problem);
    const start = new Individual(n);
    for (let c = 1; c < n; c++) start.tour[c - 1] = c;
    start.ends[0] = n - 1;
    start.routeCount = 1;
    const penalty = 5;
    const result = ls.run(start, penalty, random);
    expect(result.penalizedCost).toBeCloseTo(penalised(inst, result.routes(), penalty), 6);
    ls.loadRoutes(result.routes(), penalty);
    for (const kind of KINDS.filter((k) => k !== 'swapStar')) {
      for (let u = 1; u < n; u++) {
        for (let v = 1; v < n; v++) {
          if (u !== v) expect(ls.tryMove(kind, u, v), `${kind} ${u} ${v}`).toBe(false);
        }
      }
    }
  });
});
