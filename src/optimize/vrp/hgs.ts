/**
 * Hybrid genetic search for the CVRP (Vidal et al. 2012; Vidal 2022): ordered crossover of giant
 * tours, Split into routes, granular local search with SWAP*, penalised capacity with adaptive
 * penalties, and a population managed on cost and diversity. Our own implementation from the
 * published descriptions. Pure: time and cancellation come in through the options.
 */
import type { CvrpInstance } from './instance.ts';
import { Individual } from './individual.ts';
import { LocalSearch } from './local-search.ts';
import { binaryTournament, Subpopulation } from './population.ts';
import { buildSearchProblem, type SearchProblem } from './problem.ts';
import { Random } from './random.ts';
import { splitTour, splitTourLimited, SplitWorkspace } from './split.ts';
import { orderedCrossover } from './crossover.ts';

export interface SolveProgress {
  elapsedMs: number;
  bestCost: number;
  iteration: number;
}

export interface SolveOptions {
  seed: number;
  /** Stop after this many milliseconds (measured with `now`). */
  timeLimitMs?: number;
  /** Stop after this many genetic iterations (crossover + local search), not counting the initial population. */
  maxIterations?: number;
  /** Checked between iterations; an aborted signal ends the search with the best solution so far. */
  signal?: AbortSignal;
  /** Called whenever the best feasible cost improves. */
  onProgress?: (p: SolveProgress) => void;
  /** Milliseconds clock; defaults to performance.now. */
  now?: () => number;
  /** Algorithm parameters; the defaults are those of Vidal (2022). */
  params?: Partial<HgsParams>;
}

export interface HgsParams {
  /** Correlated customers per customer in the local search. */
  granularity: number;
  /** Minimum and added subpopulation sizes. */
  mu: number;
  lambda: number;
  eliteCount: number;
  closeCount: number;
  /** Target share of feasible local-search outcomes. */
  targetFeasible: number;
  penaltyIncrease: number;
  penaltyDecrease: number;
  /** Percent chance of repairing an infeasible offspring with a tenfold penalty. */
  repairPercent: number;
  /** Iterations without improvement before the population restarts. */
  restartAfter: number;
}

export const DEFAULT_HGS_PARAMS: HgsParams = {
  granularity: 20,
  mu: 25,
  lambda: 40,
  eliteCount: 4,
  closeCount: 5,
  targetFeasible: 0.2,
  penaltyIncrease: 1.2,
  penaltyDecrease: 0.85,
  repairPercent: 50,
  restartAfter: 20000,
};

export interface CvrpSolution {
  /** Customer lists (node indices, depot 0 implicit at both ends). */
  routes: number[][];
  cost: number;
  feasible: boolean;
  iterations: number;
  elapsedMs: number;
  /** Best feasible cost over time, one entry per improvement. */
  progress: SolveProgress[];
  /** Why the search stopped. */
  stoppedBy: 'time' | 'iterations' | 'aborted';
}

const PENALTY_WINDOW = 100;

/** A resumable search: `step()` runs one unit of work until it returns false. */
export class HgsSearch {
  private readonly params: HgsParams;
  private readonly problem: SearchProblem;
  private readonly random: Random;
  private readonly ls: LocalSearch;
  private readonly split: SplitWorkspace;
  private readonly feasible: Subpopulation;
  private readonly infeasible: Subpopulation;
  private readonly taken: Uint8Array;
  private readonly now: () => number;
  private readonly startMs: number;
  private penalty: number;
  private readonly recentFeasibility: Uint8Array;
  private recentCount = 0;
  private initialLeft: number;
  private iterationsSinceImprovement = 0;
  private best: Individual;
  iterations = 0;
  readonly progress: SolveProgress[] = [];
  stoppedBy: CvrpSolution['stoppedBy'] | undefined;

  constructor(
    readonly instance: CvrpInstance,
    private readonly options: SolveOptions,
  ) {
    validate(instance);
    this.params = { ...DEFAULT_HGS_PARAMS, ...options.params };
    this.now = options.now ?? (() => performance.now());
    this.startMs = this.now();
    this.random = new Random(options.seed);
    this.problem = buildSearchProblem(instance, this.params.granularity);
    this.ls = new LocalSearch(this.problem);
    this.split = new SplitWorkspace(instance.dimension - 1);
    this.feasible = new Subpopulation(this.params);
    this.infeasible = new Subpopulation(this.params);
    this.taken = new Uint8Array(instance.dimension);
    this.recentFeasibility = new Uint8Array(PENALTY_WINDOW);
    this.penalty = Math.max(0.1, Math.min(1000, this.problem.maxDistance / Math.max(1e-9, this.problem.maxDemand)));
    this.initialLeft = 4 * this.params.mu;
    // A fallback before any search: the customers in index order, split with a prohibitive penalty
    // (feasible unless the fleet is limited and too tight for this order).
    const fallback = new Individual(instance.dimension);
    for (let c = 1; c < instance.dimension; c++) fallback.tour[c - 1] = c;
    this.splitInto(fallback, 1e12);
    fallback.evaluate(this.problem, this.penalty);
    this.best = fallback;
    this.record();
  }

  /** Elapsed milliseconds since the search started. */
  elapsed(): number {
    return this.now() - this.startMs;
  }

  /** Runs one initial individual or one generation; returns false once a budget is spent or the signal aborted. */
  step(): boolean {
    if (this.stoppedBy) return false;
    if (this.options.signal?.aborted) return this.stop('aborted');
    if (this.options.timeLimitMs !== undefined && this.elapsed() >= this.options.timeLimitMs) return this.stop('time');
    if (this.initialLeft > 0) {
      this.initialLeft--;
      const ind = new Individual(this.instance.dimension);
      for (let c = 1; c < this.instance.dimension; c++) ind.tour[c - 1] = c;
      this.random.shuffle(ind.tour);
      this.educate(ind);
      return true;
    }
    if (this.options.maxIterations !== undefined && this.iterations >= this.options.maxIterations) return this.stop('iterations');
    this.iterations++;
    this.feasible.updateBiasedFitness();
    this.infeasible.updateBiasedFitness();
    const a = binaryTournament(this.feasible, this.infeasible, this.random);
    const b = binaryTournament(this.feasible, this.infeasible, this.random);
    const child = new Individual(this.instance.dimension);
    orderedCrossover(a.tour, b.tour, child.tour, this.random, this.taken);
    const improved = this.educate(child);
    this.iterationsSinceImprovement = improved ? 0 : this.iterationsSinceImprovement + 1;
    if (this.iterations % PENALTY_WINDOW === 0) this.managePenalty();
    if (this.iterationsSinceImprovement >= this.params.restartAfter) this.restart();
    return true;
  }

  /** The best feasible solution found so far (or the best infeasible one if none is feasible). */
  result(): CvrpSolution {
    const best = this.best;
    return {
      routes: best.routes(),
      cost: best.distance,
      feasible: best.feasible,
      iterations: this.iterations,
      elapsedMs: this.elapsed(),
      progress: this.progress.slice(),
      stoppedBy: this.stoppedBy ?? 'iterations',
    };
  }

  private stop(reason: CvrpSolution['stoppedBy']): false {
    this.stoppedBy = reason;
    return false;
  }

  private splitInto(ind: Individual, penalty: number): void {
    const { n, distances, demands, capacity } = this.problem;
    ind.routeCount = splitTour(ind.tour, n, distances, demands, capacity, penalty, ind.ends, this.split);
    if (this.problem.fleetLimited && ind.routeCount > this.problem.maxRoutes) {
      ind.routeCount = splitTourLimited(ind.tour, n, distances, demands, capacity, penalty, this.problem.maxRoutes, ind.ends).routes;
    }
  }

  /** Split, local search, insertion in the population and, half of the time, repair. Returns whether the best improved. */
  private educate(ind: Individual): boolean {
    this.splitInto(ind, this.penalty);
    const improved = this.ls.run(ind, this.penalty, this.random);
    this.recentFeasibility[this.recentCount++ % PENALTY_WINDOW] = improved.feasible ? 1 : 0;
    let better = this.insert(improved);
    if (!improved.feasible && this.random.int(100) < this.params.repairPercent) {
      const repaired = this.ls.run(improved, this.penalty * 10, this.random);
      if (repaired.feasible) better = this.insert(repaired) || better;
    }
    return better;
  }

  private insert(ind: Individual): boolean {
    ind.penalizedCost = ind.distance + this.penalty * ind.excess;
    (ind.feasible ? this.feasible : this.infeasible).add(ind);
    if (ind.feasible && (!this.best.feasible || ind.distance < this.best.distance - 1e-9)) {
      this.best = ind;
      this.record();
      return true;
    }
    return false;
  }

  private record(): void {
    if (!this.best.feasible) return;
    const entry = { elapsedMs: this.elapsed(), bestCost: this.best.distance, iteration: this.iterations };
    this.progress.push(entry);
    this.options.onProgress?.(entry);
  }

  /** Steers the penalty so that about `targetFeasible` of local-search outcomes are feasible. */
  private managePenalty(): void {
    const count = Math.min(this.recentCount, PENALTY_WINDOW);
    if (count === 0) return;
    let feasible = 0;
    for (let k = 0; k < count; k++) feasible += this.recentFeasibility[k];
    const share = feasible / count;
    const { targetFeasible, penaltyIncrease, penaltyDecrease } = this.params;
    if (share < targetFeasible - 0.05) this.penalty = Math.min(100000, this.penalty * penaltyIncrease);
    else if (share > targetFeasible + 0.05) this.penalty = Math.max(0.1, this.penalty * penaltyDecrease);
    for (const ind of this.infeasible.members) ind.penalizedCost = ind.distance + this.penalty * ind.excess;
    this.infeasible.resort();
  }

  private restart(): void {
    this.feasible.clear();
    this.infeasible.clear();
    this.initialLeft = 4 * this.params.mu;
    this.iterationsSinceImprovement = 0;
  }
}

function validate(instance: CvrpInstance): void {
  if (instance.dimension < 2) throw new RangeError('the instance has no customer');
  if (instance.vehicleCount !== undefined && !(Number.isInteger(instance.vehicleCount) && instance.vehicleCount >= 1)) {
    throw new RangeError(`vehicleCount must be a positive integer, got ${instance.vehicleCount}`);
  }
  if (instance.maxRouteDuration !== undefined || instance.readyTimes !== undefined) {
    throw new RangeError('route duration limits and time windows are not supported by the CVRP solver yet');
  }
  for (let c = 1; c < instance.dimension; c++) {
    if (instance.demands[c] > instance.capacity) throw new RangeError(`customer ${c} demands ${instance.demands[c]}, more than the capacity ${instance.capacity}`);
  }
}

/** Solves a CVRP instance; needs a time limit, an iteration limit or a signal to stop. */
export function solveCvrp(instance: CvrpInstance, options: SolveOptions): CvrpSolution {
  requireBudget(options);
  const search = new HgsSearch(instance, options);
  while (search.step());
  return search.result();
}

/** As solveCvrp, but yields to the event loop every `sliceMs` (default 25) so timers and abort signals can fire. */
export async function solveCvrpAsync(instance: CvrpInstance, options: SolveOptions & { sliceMs?: number }): Promise<CvrpSolution> {
  requireBudget(options);
  const search = new HgsSearch(instance, options);
  const slice = options.sliceMs ?? 25;
  for (;;) {
    const sliceStart = performance.now();
    let going = true;
    while ((going = search.step()) && performance.now() - sliceStart < slice);
    if (!going) break;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return search.result();
}

function requireBudget(options: SolveOptions): void {
  if (options.timeLimitMs === undefined && options.maxIterations === undefined && options.signal === undefined) {
    throw new RangeError('give timeLimitMs, maxIterations or signal, or the search never ends');
  }
}
