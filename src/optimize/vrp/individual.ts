/**
 * A solution in the genetic search: the giant tour (customers route after route) with its route
 * boundaries, and what the population needs to compare solutions (costs, successor/predecessor
 * arrays for the broken-pairs distance).
 */
import type { SearchProblem } from './problem.ts';

export class Individual {
  /** Customers in route order; route r is tour[ends[r-1] .. ends[r]). */
  readonly tour: Int32Array;
  ends: Int32Array;
  routeCount = 0;
  distance = 0;
  /** Total load above capacity, summed over routes. */
  excess = 0;
  penalizedCost = 0;
  /** successors[c] / predecessors[c] of customer c, 0 for the depot. */
  readonly successors: Int32Array;
  readonly predecessors: Int32Array;
  /** Broken-pairs distances to the other members of its subpopulation, ascending. */
  proximity: { distance: number; other: Individual }[] = [];
  biasedFitness = 0;

  constructor(n: number) {
    this.tour = new Int32Array(n - 1);
    this.ends = new Int32Array(n - 1);
    this.successors = new Int32Array(n);
    this.predecessors = new Int32Array(n);
  }

  get feasible(): boolean {
    return this.excess < 1e-9;
  }

  /** Recomputes distance, excess and neighbour arrays from tour and ends; penalised cost with `penalty` per unit of excess. */
  evaluate(problem: SearchProblem, penalty: number): void {
    const { n, distances: d, demands, capacity } = problem;
    let distance = 0;
    let excess = 0;
    let start = 0;
    for (let r = 0; r < this.routeCount; r++) {
      const end = this.ends[r];
      let load = 0;
      let prev = 0;
      for (let k = start; k < end; k++) {
        const c = this.tour[k];
        load += demands[c];
        distance += d[prev * n + c];
        this.predecessors[c] = prev;
        if (prev !== 0) this.successors[prev] = c;
        prev = c;
      }
      if (prev !== 0) {
        distance += d[prev * n];
        this.successors[prev] = 0;
      }
      if (load > capacity) excess += load - capacity;
      start = end;
    }
    this.distance = distance;
    this.excess = excess;
    this.penalizedCost = distance + penalty * excess;
  }

  /** The routes as customer lists. */
  routes(): number[][] {
    const routes: number[][] = [];
    let start = 0;
    for (let r = 0; r < this.routeCount; r++) {
      routes.push(Array.from(this.tour.subarray(start, this.ends[r])));
      start = this.ends[r];
    }
    return routes;
  }

  /** Average broken-pairs distance to the `count` closest others (0 when alone). */
  averageClosest(count: number): number {
    const k = Math.min(count, this.proximity.length);
    if (k === 0) return 0;
    let sum = 0;
    for (let i = 0; i < k; i++) sum += this.proximity[i].distance;
    return sum / k;
  }
}

/**
 * Broken-pairs distance (Prins 2009; Vidal et al. 2012): the share of customers whose
 * neighbours differ between two solutions, reading each route in either direction.
 */
export function brokenPairsDistance(a: Individual, b: Individual): number {
  const n = a.successors.length;
  let differences = 0;
  for (let c = 1; c < n; c++) {
    const sa = a.successors[c];
    if (sa !== b.successors[c] && sa !== b.predecessors[c]) differences++;
    if (a.predecessors[c] === 0 && b.predecessors[c] !== 0 && b.successors[c] !== 0) differences++;
  }
  return differences / (n - 1);
}
