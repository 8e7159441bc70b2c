/**
 * A simulated month of collection (pure, deterministic for a seed): planning from the sensors with a
 * threshold against a fixed schedule that visits every container every N days, on the same fills.
 *
 * Model, per container and day:
 * - the true fill over a day is `ratePerHour × 24 × noise`, noise log-normal with mean 1 and
 *   coefficient of variation `noiseCv` (busy and quiet days), drawn from the seed — the same draws for
 *   both strategies, so they face exactly the same waste;
 * - collection happens once a day at the same hour; the threshold strategy reads the sensor then and
 *   collects a container at or above the threshold, or one that would pass 100% before the next round
 *   at its forecast rate (the same rule as the planner); the fixed strategy collects container i on the
 *   days where (day + i) mod N = 0;
 * - overflow: a container-day is counted when the level passes 100% before the next collection; the
 *   litres that did not fit are counted too (the level stays at 100%);
 * - each day's collected containers are routed by `route` (the VRP solver in the service): kilometres
 *   and trucks per day.
 */
import { solveCvrp } from '../../optimize/vrp/index.ts';
import { buildInstance, demandL, distanceMatrix, routeDistance, splitForShift, truckCapacityL, type Depot, type Fleet, type PlanContainer } from './plan.ts';

export interface SimContainer {
  id: string;
  lon: number;
  lat: number;
  capacityL: number;
  /** Forecast fill rate (fraction per hour). */
  ratePerHour: number;
  /** Level at the first collection time. */
  level: number;
}

export interface DayRoutes {
  distanceM: number;
  trucks: number;
}

/** Routes one day's containers from the depot (demand = level × capacity). */
export type DayRouter = (depot: Depot, stops: PlanContainer[]) => DayRoutes | Promise<DayRoutes>;

export interface MonthOptions {
  days: number;
  threshold: number;
  /** The fixed schedule visits each container every this many days. */
  fixedEveryDays: number;
  seed: number;
  /** Coefficient of variation of daily fills (default 0.25). */
  noiseCv?: number;
}

export interface StrategyTotals {
  distanceKm: number;
  /** Sum over days of trucks used. */
  truckDays: number;
  maxTrucks: number;
  collections: number;
  overflowContainerDays: number;
  overflowL: number;
  collectedL: number;
}

export interface MonthReport {
  days: number;
  containers: number;
  threshold: StrategyTotals;
  fixed: StrategyTotals;
  /** Positive = the threshold strategy needs less. */
  savings: { distancePct: number; truckDaysPct: number };
  daily: { day: number; threshold: { km: number; trucks: number; stops: number }; fixed: { km: number; trucks: number; stops: number } }[];
}

/** mulberry32: small, fast, good enough for simulation noise. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Daily fill multipliers [day][container], log-normal with mean 1 and the given coefficient of variation. */
export function dailyNoise(days: number, n: number, seed: number, cv: number): number[][] {
  const r = rng(seed);
  const sigma = Math.sqrt(Math.log(1 + cv * cv));
  const gauss = () => {
    // Box–Muller.
    const u = Math.max(r(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  };
  return Array.from({ length: days }, () => Array.from({ length: n }, () => (cv > 0 ? Math.exp(sigma * gauss() - (sigma * sigma) / 2) : 1)));
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Runs both strategies over the same month and compares them. */
export async function simulateMonth(containers: SimContainer[], depot: Depot, options: MonthOptions, route: DayRouter): Promise<MonthReport> {
  const noise = dailyNoise(options.days, containers.length, options.seed, options.noiseCv ?? 0.25);
  const run = async (collectToday: (i: number, level: number, day: number) => boolean) => {
    const level = containers.map((c) => Math.min(1, c.level));
    const totals: StrategyTotals = { distanceKm: 0, truckDays: 0, maxTrucks: 0, collections: 0, overflowContainerDays: 0, overflowL: 0, collectedL: 0 };
    const daily: { km: number; trucks: number; stops: number }[] = [];
    let distanceM = 0;
    for (let day = 0; day < options.days; day++) {
      const stops: PlanContainer[] = [];
      containers.forEach((c, i) => {
        if (collectToday(i, level[i], day)) {
          stops.push({ id: c.id, lon: c.lon, lat: c.lat, capacityL: c.capacityL, level: level[i], reason: 'threshold' });
          totals.collectedL += demandL({ level: level[i], capacityL: c.capacityL });
          level[i] = 0;
        }
      });
      const r = stops.length ? await route(depot, stops) : { distanceM: 0, trucks: 0 };
      distanceM += r.distanceM;
      totals.truckDays += r.trucks;
      totals.maxTrucks = Math.max(totals.maxTrucks, r.trucks);
      totals.collections += stops.length;
      daily.push({ km: round1(r.distanceM / 1000), trucks: r.trucks, stops: stops.length });
      // The day's waste, until the next collection.
      containers.forEach((c, i) => {
        const next = level[i] + c.ratePerHour * 24 * noise[day][i];
        if (next > 1) {
          totals.overflowContainerDays++;
          totals.overflowL += Math.round((next - 1) * c.capacityL);
          level[i] = 1;
        } else level[i] = next;
      });
    }
    totals.distanceKm = round1(distanceM / 1000);
    return { totals, daily };
  };
  const threshold = await run((i, level) => level >= options.threshold || level + containers[i].ratePerHour * 24 > 1);
  const fixed = await run((i, _level, day) => (day + i) % options.fixedEveryDays === 0);
  const pct = (a: number, b: number) => (b > 0 ? round1((100 * (b - a)) / b) : 0);
  return {
    days: options.days,
    containers: containers.length,
    threshold: threshold.totals,
    fixed: fixed.totals,
    savings: { distancePct: pct(threshold.totals.distanceKm, fixed.totals.distanceKm), truckDaysPct: pct(threshold.totals.truckDays, fixed.totals.truckDays) },
    daily: threshold.daily.map((t, day) => ({ day, threshold: t, fixed: fixed.daily[day] })),
  };
}

/**
 * The day router the service uses: the CVRP solver with a fixed iteration budget (deterministic) and a
 * small population (a month is ~60 solves), as many trucks as needed, routes cut to fit the shift.
 */
export function vrpDayRouter(fleet: Fleet, detourFactor: number, opts: { seed: number; maxIterations: number; population?: number }): (depot: Depot, stops: PlanContainer[]) => DayRoutes {
  const capacityL = truckCapacityL(fleet);
  return (depot, stops) => {
    const items = stops.map((s) => ({ ...s, level: Math.min(1, s.level) }));
    const matrix = distanceMatrix([depot, ...items], { kind: 'estimate', detourFactor });
    const n = items.length + 1;
    let routes: number[][];
    if (items.length === 1) routes = [[1]];
    else routes = solveCvrp(buildInstance('day', depot, items, capacityL, matrix), { seed: opts.seed, maxIterations: opts.maxIterations, params: { mu: opts.population ?? 5, lambda: 2 * (opts.population ?? 5) } }).routes.filter((r) => r.length);
    const pieces = routes.flatMap((r) => splitForShift(r, matrix, n, fleet));
    return { distanceM: pieces.reduce((s, r) => s + routeDistance(r, matrix, n), 0), trucks: pieces.length };
  };
}
