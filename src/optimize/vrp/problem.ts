/**
 * Solver-side view of a CVRP instance: the matrix and demands plus what the search precomputes
 * once (granular neighbour lists, polar angles for SWAP* route sectors).
 */
import type { CvrpInstance } from './instance.ts';

export interface SearchProblem {
  /** Nodes including the depot (customers are 1..n-1). */
  n: number;
  distances: Float64Array;
  demands: Float64Array;
  capacity: number;
  /** Correlated customers of customer i: neighbours[neighbourStart[i] .. neighbourStart[i+1]). */
  neighbours: Int32Array;
  neighbourStart: Int32Array;
  /** Polar angle of each customer around the depot in 1/65536 turns; undefined without coordinates. */
  angles?: Int32Array;
  /** Route slots the local search works with (the fleet size when it is limited). */
  maxRoutes: number;
  /** True when instance.vehicleCount caps the number of routes. */
  fleetLimited: boolean;
  totalDemand: number;
  maxDistance: number;
  maxDemand: number;
}

export const ANGLE_UNITS = 65536;

/**
 * Builds the granular neighbourhood (Toth & Vigo 2003): each customer with its `granularity`
 * nearest customers, made symmetric so that a pair is examined from both ends.
 */
export function buildSearchProblem(instance: CvrpInstance, granularity: number): SearchProblem {
  const n = instance.dimension;
  const d = instance.distances;
  const sets: Set<number>[] = Array.from({ length: n }, () => new Set<number>());
  const others = new Int32Array(n - 1);
  for (let i = 1; i < n; i++) {
    let k = 0;
    for (let j = 1; j < n; j++) if (j !== i) others[k++] = j;
    const sorted = Array.from(others.subarray(0, k)).sort((a, b) => d[i * n + a] - d[i * n + b] || a - b);
    for (let t = 0; t < Math.min(granularity, sorted.length); t++) {
      sets[i].add(sorted[t]);
      sets[sorted[t]].add(i);
    }
  }
  const neighbourStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) neighbourStart[i + 1] = neighbourStart[i] + sets[i].size;
  const neighbours = new Int32Array(neighbourStart[n]);
  for (let i = 0; i < n; i++) {
    // Sorted so that the lists do not depend on Set insertion order.
    Array.from(sets[i]).sort((a, b) => a - b).forEach((j, t) => (neighbours[neighbourStart[i] + t] = j));
  }
  let angles: Int32Array | undefined;
  if (instance.x && instance.y) {
    angles = new Int32Array(n);
    for (let i = 1; i < n; i++) {
      const a = Math.atan2(instance.y[i] - instance.y[0], instance.x[i] - instance.x[0]);
      angles[i] = ((Math.round((a / (2 * Math.PI)) * ANGLE_UNITS) % ANGLE_UNITS) + ANGLE_UNITS) % ANGLE_UNITS;
    }
  }
  let totalDemand = 0;
  let maxDemand = 0;
  for (let i = 1; i < n; i++) {
    totalDemand += instance.demands[i];
    maxDemand = Math.max(maxDemand, instance.demands[i]);
  }
  let maxDistance = 0;
  for (let i = 0; i < d.length; i++) if (d[i] > maxDistance) maxDistance = d[i];
  const fleetLimited = instance.vehicleCount !== undefined;
  const fleet = instance.vehicleCount ?? Math.ceil((1.3 * totalDemand) / instance.capacity) + 3;
  return {
    n,
    distances: d,
    demands: instance.demands,
    capacity: instance.capacity,
    neighbours,
    neighbourStart,
    angles,
    maxRoutes: Math.max(1, Math.min(n - 1, fleet)),
    fleetLimited,
    totalDemand,
    maxDistance,
    maxDemand,
  };
}
