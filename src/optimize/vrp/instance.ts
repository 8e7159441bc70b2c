/**
 * Vehicle-routing instance types. Node 0 is the depot; customers are 1..dimension-1.
 * The optional fields (time windows, service times, route duration, fleet) are read by the
 * parsers so that later solvers can use them; the CVRP solver rejects what it cannot honour.
 */

/** A capacitated VRP instance with a full distance matrix (row-major, dimension × dimension). */
export interface CvrpInstance {
  name: string;
  /** Number of nodes, depot included. */
  dimension: number;
  /** Vehicle capacity (homogeneous fleet). */
  capacity: number;
  /** demands[i] for node i; demands[0] = 0. */
  demands: Float64Array;
  /** distances[i * dimension + j]. */
  distances: Float64Array;
  /** Planar coordinates when the file has them (used for polar sectors in SWAP*). */
  x?: Float64Array;
  y?: Float64Array;
  /** The node id used in the source file for each internal node (depot first). */
  sourceIds?: Int32Array;
  /** Service time per node (CVRPLIB SERVICE_TIME, Solomon SERVICE TIME). */
  serviceTimes?: Float64Array;
  /** Time windows [ready, due] per node (Solomon). */
  readyTimes?: Float64Array;
  dueTimes?: Float64Array;
  /** Maximum route duration (CVRPLIB DISTANCE). */
  maxRouteDuration?: number;
  /** Number of vehicles (routes) available when limited (CVRPLIB VEHICLES, Solomon VEHICLE NUMBER); unlimited when absent. */
  vehicleCount?: number;
}

/** TSPLIB nint: round half away from zero (distances are non-negative here). */
export function nint(value: number): number {
  return Math.floor(value + 0.5);
}

/** Full Euclidean distance matrix; rounded to the nearest integer (TSPLIB EUC_2D) unless `round` is 'none', or up (CEIL_2D) with 'ceil'. */
export function euclideanMatrix(x: Float64Array, y: Float64Array, round: 'nint' | 'ceil' | 'none'): Float64Array {
  const n = x.length;
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const e = Math.hypot(x[i] - x[j], y[i] - y[j]);
      const v = round === 'nint' ? nint(e) : round === 'ceil' ? Math.ceil(e) : e;
      d[i * n + j] = v;
      d[j * n + i] = v;
    }
  }
  return d;
}

/** Builds an instance from coordinates and demands (node 0 = depot), with TSPLIB EUC_2D distances by default. */
export function instanceFromCoordinates(
  name: string,
  points: ReadonlyArray<readonly [number, number]>,
  demands: ReadonlyArray<number>,
  capacity: number,
  round: 'nint' | 'ceil' | 'none' = 'nint',
): CvrpInstance {
  const x = Float64Array.from(points, (p) => p[0]);
  const y = Float64Array.from(points, (p) => p[1]);
  return {
    name,
    dimension: points.length,
    capacity,
    demands: Float64Array.from(demands),
    distances: euclideanMatrix(x, y, round),
    x,
    y,
  };
}

/** Total distance of a set of routes (customer lists, depot implicit at both ends). */
export function routesCost(instance: CvrpInstance, routes: ReadonlyArray<ReadonlyArray<number>>): number {
  const n = instance.dimension;
  const d = instance.distances;
  let total = 0;
  for (const route of routes) {
    if (route.length === 0) continue;
    let prev = 0;
    for (const c of route) {
      total += d[prev * n + c];
      prev = c;
    }
    total += d[prev * n];
  }
  return total;
}

/** Problems with a CVRP solution: customers missing or repeated, unknown nodes, overloaded routes. Empty when feasible. */
export function solutionViolations(instance: CvrpInstance, routes: ReadonlyArray<ReadonlyArray<number>>): string[] {
  const seen = new Int32Array(instance.dimension);
  const problems: string[] = [];
  const used = routes.filter((r) => r.length > 0).length;
  if (instance.vehicleCount !== undefined && used > instance.vehicleCount) problems.push(`${used} routes for ${instance.vehicleCount} vehicles`);
  routes.forEach((route, r) => {
    let load = 0;
    for (const c of route) {
      if (!Number.isInteger(c) || c < 1 || c >= instance.dimension) {
        problems.push(`route ${r + 1}: ${c} is not a customer`);
        continue;
      }
      seen[c]++;
      load += instance.demands[c];
    }
    if (load > instance.capacity) problems.push(`route ${r + 1}: load ${load} exceeds capacity ${instance.capacity}`);
  });
  for (let c = 1; c < instance.dimension; c++) {
    if (seen[c] === 0) problems.push(`customer ${c} is not served`);
    else if (seen[c] > 1) problems.push(`customer ${c} is served ${seen[c]} times`);
  }
  return problems;
}
