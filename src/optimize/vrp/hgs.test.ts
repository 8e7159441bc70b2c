import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCvrplib } from './cvrplib.ts';
import { solveCvrp, solveCvrpAsync, type CvrpSolution } from './hgs.ts';
import { instanceFromCoordinates, type CvrpInstance } from './instance.ts';

const fixture = (name: string) => parseCvrplib(readFileSync(new URL(`../../../test/fixtures/cvrp/${name}.vrp`, import.meta.url), 'utf8'));

/** Independent check straight from the file's coordinates: every customer once, loads within capacity; returns the cost. */
function checkedCost(file: string, solution: CvrpSolution): number {
  const text = readFileSync(new URL(`../../../test/fixtures/cvrp/${file}.vrp`, import.meta.url), 'utf8');
  const coords = new Map<number, [number, number]>();
  const demand = new Map<number, number>();
  let section = '';
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (/_SECTION$/.test(f[0])) section = f[0];
    else if (section === 'NODE_COORD_SECTION' && f.length === 3) coords.set(Number(f[0]), [Number(f[1]), Number(f[2])]);
    else if (section === 'DEMAND_SECTION' && f.length === 2) demand.set(Number(f[0]), Number(f[1]));
  }
  const capacity = Number(/CAPACITY\s*:\s*(\d+)/.exec(text)![1]);
  // .sol numbering: customer c is file node c + 1, the depot node 1.
  const dist = (a: number, b: number) => {
    const [xa, ya] = coords.get(a + 1)!;
    const [xb, yb] = coords.get(b + 1)!;
    return Math.round(Math.sqrt((xa - xb) ** 2 + (ya - yb) ** 2));
  };
  const seen = new Set<number>();
  let cost = 0;
  for (const route of solution.routes) {
    let load = 0;
    let prev = 0;
    for (const c of route) {
      expect(seen.has(c)).toBe(false);
      seen.add(c);
      load += demand.get(c + 1)!;
      cost += dist(prev, c);
      prev = c;
    }
    cost += dist(prev, 0);
    expect(load).toBeLessThanOrEqual(capacity);
  }
  expect(seen.size).toBe(coords.size - 1);
  return cost;
}

describe('solveCvrp', () => {
  it('finds the optimum of P-n16-k8 (450) within 100 iterations', () => {
    const solution = solveCvrp(fixture('P-n16-k8'), { seed: 1, maxIterations: 100 });
    expect(solution.feasible).toBe(true);
    expect(checkedCost('P-n16-k8', solution)).toBe(solution.cost);
    expect(solution.cost).toBe(450);
    expect(solution.stoppedBy).toBe('iterations');
    expect(solution.iterations).toBe(100);
  });

  it('solves A-n32-k5 and B-n31-k5 to within 1% of the optimum in 500 iterations', () => {
    for (const [name, optimum] of [['A-n32-k5', 784], ['B-n31-k5', 672]] as const) {
      const solution = solveCvrp(fixture(name), { seed: 3, maxIterations: 500 });
      expect(checkedCost(name, solution)).toBe(solution.cost);
      expect(solution.cost).toBeGreaterThanOrEqual(optimum);
      expect(solution.cost).toBeLessThanOrEqual(optimum * 1.01);
    }
  });

  it('gives the same routes for the same seed and iteration budget', () => {
    const inst = fixture('A-n32-k5');
    const a = solveCvrp(inst, { seed: 42, maxIterations: 150 });
    const b = solveCvrp(inst, { seed: 42, maxIterations: 150 });
    expect(b.routes).toEqual(a.routes);
    expect(b.progress.map((p) => [p.iteration, p.bestCost])).toEqual(a.progress.map((p) => [p.iteration, p.bestCost]));
  });

  it('reports progress as strictly decreasing best costs, the last one being the result', () => {
    const seen: number[] = [];
    const solution = solveCvrp(fixture('A-n32-k5'), { seed: 2, maxIterations: 200, onProgress: (p) => seen.push(p.bestCost) });
    expect(seen).toEqual(solution.progress.map((p) => p.bestCost));
    for (let k = 1; k < seen.length; k++) expect(seen[k]).toBeLessThan(seen[k - 1]);
    expect(seen[seen.length - 1]).toBe(solution.cost);
  });

  it('stops on the time budget read from the injected clock', () => {
    let t = 0;
    const solution = solveCvrp(fixture('P-n16-k8'), { seed: 1, timeLimitMs: 500, now: () => (t += 1) });
    expect(solution.stoppedBy).toBe('time');
    expect(solution.elapsedMs).toBeGreaterThanOrEqual(500);
    expect(solution.feasible).toBe(true);
  });

  it('stops when the signal aborts and still returns a feasible solution', () => {
    const controller = new AbortController();
    let clockReads = 0;
    // The clock is read once per step: abort from it after a few hundred steps.
    const now = () => {
      if (++clockReads === 400) controller.abort();
      return 0;
    };
    const solution = solveCvrp(fixture('A-n32-k5'), { seed: 1, signal: controller.signal, now, timeLimitMs: 1e12 });
    expect(solution.stoppedBy).toBe('aborted');
    expect(solution.iterations).toBeGreaterThan(0);
    expect(checkedCost('A-n32-k5', solution)).toBe(solution.cost);
    const already = solveCvrp(fixture('A-n32-k5'), { seed: 1, signal: AbortSignal.abort() });
    expect(already.iterations).toBe(0);
    expect(checkedCost('A-n32-k5', already)).toBe(already.cost);
  });

  it('lets a timer abort the async solve', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const solution = await solveCvrpAsync(fixture('A-n32-k5'), { seed: 1, signal: controller.signal, sliceMs: 10 });
    expect(solution.stoppedBy).toBe('aborted');
    expect(checkedCost('A-n32-k5', solution)).toBe(solution.cost);
  });

  it('uses no more routes than the fleet has when vehicleCount is set', () => {
    // B-n31-k5's optimum (672) has 5 routes; P-n16-k8's (450) has 8, and its demands leave little slack in 8 vehicles.
    const inst = { ...fixture('B-n31-k5'), vehicleCount: 5 };
    const solution = solveCvrp(inst, { seed: 1, maxIterations: 200 });
    expect(solution.routes.length).toBeLessThanOrEqual(5);
    expect(checkedCost('B-n31-k5', solution)).toBe(solution.cost);
    expect(solution.cost).toBeLessThanOrEqual(672 * 1.01);
    const tight = { ...fixture('P-n16-k8'), vehicleCount: 8 };
    const p16 = solveCvrp(tight, { seed: 1, maxIterations: 200 });
    expect(p16.routes.length).toBeLessThanOrEqual(8);
    expect(p16.cost).toBe(450);
  });

  it('serves a single customer with one route', () => {
    const inst = instanceFromCoordinates('one', [[0, 0], [3, 4]], [0, 5], 10);
    const solution = solveCvrp(inst, { seed: 1, maxIterations: 5 });
    expect(solution.routes).toEqual([[1]]);
    expect(solution.cost).toBe(10);
  });

  it('rejects a customer heavier than a vehicle and a search without any budget', () => {
    const inst: CvrpInstance = instanceFromCoordinates('heavy', [[0, 0], [1, 1]], [0, 11], 10);
    expect(() => solveCvrp(inst, { seed: 1, maxIterations: 1 })).toThrow(/demands 11, more than the capacity 10/);
    expect(() => solveCvrp(fixture('P-n16-k8'), { seed: 1 })).toThrow(/never ends/);
  });
});
