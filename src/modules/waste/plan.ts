/**
 * Tomorrow's collection as a capacitated VRP (pure): which containers, how much each holds, how far
 * apart they are, then the solver's routes checked against the shift length.
 *
 * Units: volumes in litres of *uncompacted* waste as it sits in the bins; distances in integer metres
 * (the solver's matrix); durations in minutes.
 *
 * - Demand of a container = predicted level at the collection time × its capacity (binCapacity, L).
 * - Truck capacity = body volume (m³) × 1000 × compaction factor. Rear-loader compactors press loose
 *   household waste (~100–200 kg/m³ in the bin) to ~350–550 kg/m³ in the body, a ratio of about 2.5–3.5;
 *   the default is 3 (so a 16 m³ body takes 48,000 L of bin volume). Set it per fleet.
 * - Distances: great-circle (haversine) × a detour factor, 1.3 by default: the ratio of road to
 *   straight-line distance ("circuity") measured for many countries is mostly 1.2–1.4, about 1.3 on
 *   average (Ballou, Rahardja & Sakai 2002, "Selected country circuity factors for road travel distance
 *   estimation", Transportation Research A 36(9)); dense city grids sit near the low end, so 1.3 is
 *   cautious for Casablanca. With a road graph, shortest paths on it replace the estimate.
 * - Shift length: the CVRP solver knows capacities only. Each truck makes one trip per shift (collect,
 *   then unload at its depot / transfer station). Before solving, a container whose round trip alone
 *   does not fit in a shift is refused (unreachable within shift); after solving, a route longer than
 *   the shift is cut into consecutive pieces that fit, each its own truck; if that needs more trucks
 *   than the fleet has, the plan is refused with the containers that cannot be served.
 */
import { instanceFromCoordinates, routesCost, solutionViolations, solveCvrpAsync, type CvrpInstance, type CvrpSolution } from '../../optimize/vrp/index.ts';
import { haversineM as haversineLonLat } from '../../platform/geo/haversine.ts';
import { WasteErrors } from './errors.ts';
import { predictLevel, type FillForecast } from './forecast.ts';

export interface LonLat {
  lon: number;
  lat: number;
}

export interface Depot extends LonLat {
  id: string;
  name?: string;
}

export interface Fleet {
  trucks: number;
  /** Body volume of one truck, m³. */
  capacityM3: number;
  /** Bin litres that fit in one litre of body (see above). */
  compactionFactor: number;
  shiftHours: number;
  /** Average speed while collecting, km/h (stop-and-go city driving). */
  speedKmh: number;
  /** Minutes to empty one container (position, lift, return). */
  serviceMinutesPerStop: number;
  /** Minutes to unload at the end of the trip. */
  unloadMinutes: number;
}

export const DEFAULT_FLEET: Fleet = { trucks: 3, capacityM3: 16, compactionFactor: 3, shiftHours: 7, speedKmh: 20, serviceMinutesPerStop: 2, unloadMinutes: 30 };
export const DEFAULT_DETOUR_FACTOR = 1.3;

export type CollectReason = 'threshold' | 'overflow-before-next' | 'requested';

/** A container chosen for collection, with its predicted level at the collection time. */
export interface PlanContainer extends LonLat {
  id: string;
  capacityL: number;
  level: number;
  reason: CollectReason;
}

export interface PlannedStop extends LonLat {
  seq: number;
  containerId: string;
  level: number;
  volumeL: number;
  reason: CollectReason;
  /** Minutes after the truck leaves its depot. */
  arrivalMin: number;
}

export interface PlannedRoute {
  truck: number;
  depotId: string;
  distanceM: number;
  durationMin: number;
  loadL: number;
  stops: PlannedStop[];
}

export interface CollectionPlan {
  routes: PlannedRoute[];
  distanceM: number;
  trucksUsed: number;
  volumeL: number;
  containers: number;
  /** Routes the shift check had to cut (0 when the solver's routes all fit). */
  shiftSplits: number;
  solver: { iterations: number; elapsedMs: number; stoppedBy: string }[];
}

/** Great-circle distance in metres (haversine, mean Earth radius). */
export const haversineM = (a: LonLat, b: LonLat): number => haversineLonLat(a.lon, a.lat, b.lon, b.lat);

/** Road distance estimate in metres: haversine × detour factor. */
export const detourDistance =
  (factor = DEFAULT_DETOUR_FACTOR) =>
  (a: LonLat, b: LonLat) =>
    haversineM(a, b) * factor;

/** Bin litres one truck takes in one trip. */
export const truckCapacityL = (f: Fleet) => Math.floor(f.capacityM3 * 1000 * f.compactionFactor);

/** Litres to collect from a container (at least 1, so every chosen container is a real stop). */
export const demandL = (c: Pick<PlanContainer, 'level' | 'capacityL'>) => Math.max(1, Math.round(Math.min(1, c.level) * c.capacityL));

/** Minutes of a trip: driving at the fleet's speed, emptying each container, unloading. */
export function tripMinutes(distanceM: number, stops: number, f: Fleet): number {
  return (distanceM / 1000 / f.speedKmh) * 60 + stops * f.serviceMinutesPerStop + f.unloadMinutes;
}

// ------------------------------------------------------------------ road graph

/** A road network: node positions and edges (lengths in metres, else haversine between the ends). */
export interface RoadGraph {
  nodes: [number, number][];
  edges: [number, number, number?][];
  /** Edges are one-way from → to; default two-way. */
  directed?: boolean;
}

/**
 * Distances between points over a road graph: each point joins its nearest node (straight line, ×
 * detour factor), then the shortest path (Dijkstra). Infinity when no path exists.
 */
export function roadGraphMatrix(graph: RoadGraph, points: LonLat[], detourFactor = DEFAULT_DETOUR_FACTOR): Float64Array {
  const nodes = graph.nodes.map(([lon, lat]) => ({ lon, lat }));
  const adj: { to: number; w: number }[][] = nodes.map(() => []);
  for (const [a, b, len] of graph.edges) {
    if (!nodes[a] || !nodes[b]) throw WasteErrors.invalidInput.with(`road graph edge [${a}, ${b}] names a node that does not exist`);
    const w = len ?? haversineM(nodes[a], nodes[b]);
    adj[a].push({ to: b, w });
    if (!graph.directed) adj[b].push({ to: a, w });
  }
  const snap = points.map((p) => {
    let best = -1;
    let bestD = Infinity;
    nodes.forEach((n, i) => {
      const d = haversineM(p, n);
      if (d < bestD) [best, bestD] = [i, d];
    });
    return { node: best, d: bestD * detourFactor };
  });
  const n = points.length;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const dist = dijkstra(adj, snap[i].node);
    for (let j = 0; j < n; j++) out[i * n + j] = i === j ? 0 : snap[i].d + dist[snap[j].node] + snap[j].d;
  }
  return out;
}

function dijkstra(adj: { to: number; w: number }[][], from: number): Float64Array {
  const dist = new Float64Array(adj.length).fill(Infinity);
  if (from < 0) return dist;
  dist[from] = 0;
  // Binary heap of [distance, node].
  const heap: [number, number][] = [[0, from]];
  const push = (x: [number, number]) => {
    heap.push(x);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heap[p][0] <= heap[i][0]) break;
      [heap[p], heap[i]] = [heap[i], heap[p]];
      i = p;
    }
  };
  const pop = (): [number, number] => {
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && heap[l][0] < heap[m][0]) m = l;
        if (r < heap.length && heap[r][0] < heap[m][0]) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i], heap[m]];
        i = m;
      }
    }
    return top;
  };
  while (heap.length) {
    const [d, u] = pop();
    if (d > dist[u]) continue;
    for (const { to, w } of adj[u]) {
      if (d + w < dist[to]) {
        dist[to] = d + w;
        push([dist[to], to]);
      }
    }
  }
  return dist;
}

// ------------------------------------------------------------------ building the instance

export type Distances = { kind: 'estimate'; detourFactor: number } | { kind: 'graph'; graph: RoadGraph; detourFactor: number };

/** Integer-metre matrix over [depot, ...containers]. */
export function distanceMatrix(points: LonLat[], how: Distances): Float64Array {
  const n = points.length;
  if (how.kind === 'graph') {
    const m = roadGraphMatrix(how.graph, points, how.detourFactor);
    return m.map((v) => (Number.isFinite(v) ? Math.round(v) : v));
  }
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = Math.round(haversineM(points[i], points[j]) * how.detourFactor);
      d[i * n + j] = v;
      d[j * n + i] = v;
    }
  }
  return d;
}

/** The CVRP instance of one depot's containers: node 0 the depot, demands in litres, metres apart. */
export function buildInstance(name: string, depot: Depot, containers: PlanContainer[], capacityL: number, matrix: Float64Array, vehicleCount?: number): CvrpInstance {
  const points = [depot, ...containers].map((p) => [p.lon, p.lat] as const);
  const inst = instanceFromCoordinates(name, points, [0, ...containers.map(demandL)], capacityL, 'none');
  return { ...inst, distances: matrix, ...(vehicleCount !== undefined ? { vehicleCount } : {}) };
}

/** Containers whose round trip from their depot alone exceeds the shift (or that no road reaches). */
export function unreachableWithinShift(matrix: Float64Array, containers: PlanContainer[], fleet: Fleet): { id: string; tripMinutes: number | null }[] {
  const n = containers.length + 1;
  const out: { id: string; tripMinutes: number | null }[] = [];
  containers.forEach((c, k) => {
    const i = k + 1;
    const round = matrix[i] + matrix[i * n];
    if (!Number.isFinite(round)) out.push({ id: c.id, tripMinutes: null });
    else {
      const m = tripMinutes(round, 1, fleet);
      if (m > fleet.shiftHours * 60) out.push({ id: c.id, tripMinutes: Math.round(m) });
    }
  });
  return out;
}

/** Cuts a route (customer indices) into consecutive pieces whose trips fit in the shift. */
export function splitForShift(route: number[], matrix: Float64Array, n: number, fleet: Fleet): number[][] {
  const limit = fleet.shiftHours * 60;
  const pieces: number[][] = [];
  let cur: number[] = [];
  const minutes = (r: number[]) => tripMinutes(routeDistance(r, matrix, n), r.length, fleet);
  for (const c of route) {
    if (cur.length && minutes([...cur, c]) > limit) {
      pieces.push(cur);
      cur = [];
    }
    cur.push(c);
  }
  if (cur.length) pieces.push(cur);
  return pieces;
}

export function routeDistance(route: number[], matrix: Float64Array, n: number): number {
  let d = 0;
  let prev = 0;
  for (const c of route) {
    d += matrix[prev * n + c];
    prev = c;
  }
  return route.length ? d + matrix[prev * n] : 0;
}

/** Each container to its nearest depot (straight line × detour factor, also when routes use a road graph). */
export function nearestDepot(depots: Depot[], containers: PlanContainer[], detourFactor: number): PlanContainer[][] {
  const groups: PlanContainer[][] = depots.map(() => []);
  const dist = detourDistance(detourFactor);
  for (const c of containers) {
    let best = 0;
    let bestD = Infinity;
    depots.forEach((d, i) => {
      const v = dist(d, c);
      if (v < bestD) [best, bestD] = [i, v];
    });
    groups[best].push(c);
  }
  return groups;
}

/** Trucks per depot: enough for its demand, the spare ones where demand per truck is highest. */
export function allocateTrucks(demands: number[], trucks: number, capacityL: number): number[] {
  const alloc = demands.map((d) => (d > 0 ? Math.ceil(d / capacityL) : 0));
  let spare = trucks - alloc.reduce((s, a) => s + a, 0);
  while (spare > 0) {
    let best = -1;
    demands.forEach((d, i) => {
      if (d > 0 && (best < 0 || d / alloc[i] > demands[best] / alloc[best])) best = i;
    });
    if (best < 0) break;
    alloc[best]++;
    spare--;
  }
  return alloc;
}

export interface PlanInput {
  depots: Depot[];
  containers: PlanContainer[];
  fleet: Fleet;
  distances: Distances;
}

export interface PlanBudget {
  seed: number;
  timeLimitMs?: number;
  maxIterations?: number;
  signal?: AbortSignal;
  /** fraction 0..1 of the solving, best cost so far (metres) of the current depot. */
  onProgress?: (p: { fraction: number; depot: string; bestCostM: number }) => void;
  now?: () => number;
}

/** Containers served first when the fleet cannot take everything: the fullest first. */
function byUrgency(a: PlanContainer, b: PlanContainer) {
  return b.level - a.level || a.id.localeCompare(b.id);
}

/** Plans the routes; throws a WasteErrors problem (nothing half made) when the fleet or shift cannot serve every container. */
export async function planCollection(input: PlanInput, budget: PlanBudget): Promise<CollectionPlan> {
  const { depots, containers, fleet, distances } = input;
  if (!depots.length) throw WasteErrors.invalidInput.with('at least one depot is needed');
  const capacityL = truckCapacityL(fleet);
  const tooBig = containers.filter((c) => demandL(c) > capacityL);
  if (tooBig.length) throw WasteErrors.fleetTooSmall.with(`${tooBig.length} container(s) hold more than one truck carries (${capacityL} L)`, { unserved: tooBig.map((c) => c.id), capacityL });
  const total = containers.reduce((s, c) => s + demandL(c), 0);
  const fleetL = capacityL * fleet.trucks;
  if (total > fleetL) {
    // Serve the fullest containers first; the rest is what cannot be served.
    let load = 0;
    const unserved: string[] = [];
    for (const c of [...containers].sort(byUrgency)) {
      if (load + demandL(c) <= fleetL) load += demandL(c);
      else unserved.push(c.id);
    }
    throw WasteErrors.fleetTooSmall.with(`${total} L to collect, the fleet carries ${fleetL} L (${fleet.trucks} trucks × ${capacityL} L): ${unserved.length} container(s) cannot be served`, {
      demandL: total,
      capacityL: fleetL,
      unserved,
    });
  }

  const groups = nearestDepot(depots, containers, distances.detourFactor);
  const matrices = groups.map((g, i) => distanceMatrix([depots[i], ...g], distances));
  const unreachable = groups.flatMap((g, i) => unreachableWithinShift(matrices[i], g, fleet));
  if (unreachable.length) {
    throw WasteErrors.unreachableWithinShift.with(`${unreachable.length} container(s) cannot be reached and emptied within a ${fleet.shiftHours} h shift`, { unreachable });
  }
  const alloc = allocateTrucks(
    groups.map((g) => g.reduce((s, c) => s + demandL(c), 0)),
    fleet.trucks,
    capacityL,
  );

  const now = budget.now ?? (() => performance.now());
  const routes: PlannedRoute[] = [];
  const solver: CollectionPlan['solver'] = [];
  let shiftSplits = 0;
  const unserved: string[] = [];
  const totalNodes = containers.length || 1;
  let doneNodes = 0;
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g];
    if (!group.length) continue;
    const n = group.length + 1;
    const inst = buildInstance(`waste-${depots[g].id}`, depots[g], group, capacityL, matrices[g], alloc[g]);
    const share = group.length / totalNodes;
    const base = doneNodes / totalNodes;
    const started = now();
    let sol: CvrpSolution;
    if (group.length === 1) {
      sol = { routes: [[1]], cost: routesCost(inst, [[1]]), feasible: true, iterations: 0, elapsedMs: 0, progress: [], stoppedBy: 'iterations' };
    } else {
      const timeLimitMs = budget.timeLimitMs === undefined ? undefined : Math.max(50, budget.timeLimitMs * share);
      sol = await solveCvrpAsync(inst, {
        seed: budget.seed,
        timeLimitMs,
        maxIterations: budget.maxIterations,
        signal: budget.signal,
        now: budget.now,
        onProgress: (p) => {
          const frac = timeLimitMs ? Math.min(1, p.elapsedMs / timeLimitMs) : budget.maxIterations ? Math.min(1, p.iteration / budget.maxIterations) : 0;
          budget.onProgress?.({ fraction: base + share * frac, depot: depots[g].id, bestCostM: p.bestCost });
        },
      });
    }
    if (budget.signal?.aborted) throw WasteErrors.cancelled.with();
    solver.push({ iterations: sol.iterations, elapsedMs: Math.round(sol.elapsedMs || now() - started), stoppedBy: sol.stoppedBy });
    const violations = solutionViolations(inst, sol.routes);
    if (!sol.feasible || violations.length) {
      // The search found no routes within the fleet: what the overloaded routes could not carry is unserved.
      for (const r of sol.routes) {
        let load = 0;
        for (const c of r) {
          load += inst.demands[c];
          if (load > capacityL) unserved.push(group[c - 1].id);
        }
      }
      continue;
    }
    for (const r of sol.routes.filter((x) => x.length)) {
      const pieces = splitForShift(r, matrices[g], n, fleet);
      shiftSplits += pieces.length - 1;
      for (const piece of pieces) routes.push(assemble(routes.length + 1, depots[g], group, piece, matrices[g], n, fleet));
    }
    doneNodes += group.length;
    budget.onProgress?.({ fraction: doneNodes / totalNodes, depot: depots[g].id, bestCostM: sol.cost });
  }
  if (unserved.length) {
    throw WasteErrors.fleetTooSmall.with(`the solver found no routes that carry everything with ${fleet.trucks} truck(s) within the budget: ${unserved.length} container(s) not served`, { unserved });
  }
  if (routes.length > fleet.trucks) {
    // Over-long routes were cut for the shift: the extra pieces (the lightest) have no truck.
    const extra = [...routes].sort((a, b) => a.loadL - b.loadL).slice(0, routes.length - fleet.trucks);
    throw WasteErrors.fleetTooSmall.with(`the routes need ${routes.length} trucks to fit in a ${fleet.shiftHours} h shift; the fleet has ${fleet.trucks}`, {
      unserved: extra.flatMap((r) => r.stops.map((s) => s.containerId)),
      trucksNeeded: routes.length,
    });
  }
  return {
    routes,
    distanceM: routes.reduce((s, r) => s + r.distanceM, 0),
    trucksUsed: routes.length,
    volumeL: routes.reduce((s, r) => s + r.loadL, 0),
    containers: containers.length,
    shiftSplits,
    solver,
  };
}

function assemble(truck: number, depot: Depot, group: PlanContainer[], route: number[], matrix: Float64Array, n: number, fleet: Fleet): PlannedRoute {
  let prev = 0;
  let minutes = 0;
  let loadL = 0;
  const stops: PlannedStop[] = route.map((c, k) => {
    minutes += (matrix[prev * n + c] / 1000 / fleet.speedKmh) * 60;
    prev = c;
    const arrivalMin = Math.round(minutes);
    minutes += fleet.serviceMinutesPerStop;
    const ct = group[c - 1];
    const volumeL = demandL(ct);
    loadL += volumeL;
    return { seq: k + 1, containerId: ct.id, lon: ct.lon, lat: ct.lat, level: ct.level, volumeL, reason: ct.reason, arrivalMin };
  });
  const distanceM = routeDistance(route, matrix, n);
  return { truck, depotId: depot.id, distanceM, durationMin: Math.round(tripMinutes(distanceM, route.length, fleet)), loadL, stops };
}

// ------------------------------------------------------------------ which containers

export interface ForecastContainer extends LonLat {
  id: string;
  capacityL: number;
  forecast: FillForecast;
}

/**
 * Containers to collect at `plannedAt`: predicted at or above the threshold then, or predicted to
 * overflow before the next collection (`horizonHours` later) — waiting would spill — or named in a
 * request (citizen report). Their demand is the level predicted at `plannedAt`.
 */
export function selectForCollection(
  items: ForecastContainer[],
  plannedAt: number,
  opts: { threshold: number; horizonHours: number; requested?: ReadonlySet<string> },
): PlanContainer[] {
  const out: PlanContainer[] = [];
  for (const c of items) {
    const level = predictLevel(c.forecast, plannedAt);
    let reason: CollectReason | undefined;
    if (level >= opts.threshold) reason = 'threshold';
    else if (opts.horizonHours > 0 && predictLevel(c.forecast, plannedAt + opts.horizonHours * 3_600_000) >= 1) reason = 'overflow-before-next';
    else if (opts.requested?.has(c.id)) reason = 'requested';
    if (reason) out.push({ id: c.id, lon: c.lon, lat: c.lat, capacityL: c.capacityL, level, reason });
  }
  return out;
}
