/**
 * Granular local search with penalised capacity, as in the education step of HGS (Vidal et al.
 * 2012; Vidal 2022): for each customer u and each correlated customer v, first-improvement
 * relocate (1 or 2 customers, optionally reversed), swap (1-1, 2-1, 2-2), intra-route 2-opt and
 * inter-route 2-opt*; then SWAP* between routes whose polar sectors overlap, where u and v
 * exchange routes but each is reinserted at its best position (Vidal 2022, §4).
 *
 * Routes are doubly linked lists over typed arrays. Customer c is node c; route r has a start
 * depot node n + r and an end depot node n + R + r (R = route slots), linked circularly so that
 * every node has a predecessor and a successor. Moves never allocate.
 */
import { ANGLE_UNITS, type SearchProblem } from './problem.ts';
import { Individual } from './individual.ts';
import type { Random } from './random.ts';

const EPS = 1e-5;

export type MoveKind =
  | 'relocate'
  | 'relocatePair'
  | 'relocatePairReversed'
  | 'swap'
  | 'swapPairSingle'
  | 'swapPairs'
  | 'twoOpt'
  | 'twoOptStarReversed'
  | 'twoOptStar'
  | 'swapStar';

export class LocalSearch {
  private readonly n: number;
  private readonly d: Float64Array;
  private readonly dem: Float64Array;
  private readonly cap: number;
  private readonly slots: number;
  /** Route slots in use for the current run (the others stay unused). */
  private routeCount = 0;
  private penalty = 1;

  // Per node.
  private readonly client: Int32Array;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly route: Int32Array;
  private readonly position: Int32Array;
  private readonly cumLoad: Float64Array;
  // Per customer.
  private readonly whenTested: Float64Array;
  private readonly order: Int32Array;
  private readonly neighbourOrder: Int32Array;
  // Per route.
  private readonly load: Float64Array;
  private readonly length: Float64Array;
  private readonly size: Int32Array;
  private readonly routePenalty: Float64Array;
  private readonly whenModified: Float64Array;
  private readonly whenSwapStarTested: Float64Array;
  private readonly sectorStart: Int32Array;
  private readonly sectorEnd: Int32Array;
  private readonly routeOrder: Int32Array;
  // SWAP*: three cheapest insertion positions of customer c into route r at [(r * n + c) * 3 + k].
  private readonly insertCost: Float64Array;
  private readonly insertAfter: Int32Array;
  private readonly insertWhen: Float64Array;
  private readonly removalGain: Float64Array;
  // Scratch buffers for rebuilding routes.
  private readonly bufA: Int32Array;
  private readonly bufB: Int32Array;
  private moves = 0;
  private searchCompleted = false;

  // Current move context (set by setU / setV).
  private u = 0; private x = 0; private pu = 0; private xx = 0;
  private cu = 0; private cx = 0; private cpu = 0; private cxx = 0;
  private ru = 0; private du = 0; private dx = 0;
  private v = 0; private y = 0; private pv = 0; private yy = 0;
  private cv = 0; private cy = 0; private cpv = 0; private cyy = 0;
  private rv = 0; private dv = 0; private dy = 0;

  /** Number of improving moves applied over the lifetime of this object (for profiling and tests). */
  appliedMoves = 0;
  /** Penalised cost change of the last applied move. */
  lastDelta = 0;

  constructor(private readonly problem: SearchProblem) {
    const n = problem.n;
    this.n = n;
    this.d = problem.distances;
    this.dem = problem.demands;
    this.cap = problem.capacity;
    const slots = Math.max(1, n - 1);
    this.slots = slots;
    const nodes = n + 2 * slots;
    this.client = new Int32Array(nodes);
    for (let c = 1; c < n; c++) this.client[c] = c;
    this.next = new Int32Array(nodes);
    this.prev = new Int32Array(nodes);
    this.route = new Int32Array(nodes);
    this.position = new Int32Array(nodes);
    this.cumLoad = new Float64Array(nodes);
    for (let r = 0; r < slots; r++) {
      this.route[n + r] = r;
      this.route[n + slots + r] = r;
    }
    this.whenTested = new Float64Array(n);
    this.order = new Int32Array(n - 1);
    for (let c = 1; c < n; c++) this.order[c - 1] = c;
    this.neighbourOrder = Int32Array.from(problem.neighbours);
    this.load = new Float64Array(slots);
    this.length = new Float64Array(slots);
    this.size = new Int32Array(slots);
    this.routePenalty = new Float64Array(slots);
    this.whenModified = new Float64Array(slots);
    this.whenSwapStarTested = new Float64Array(slots);
    this.sectorStart = new Int32Array(slots);
    this.sectorEnd = new Int32Array(slots);
    this.routeOrder = new Int32Array(slots);
    this.insertCost = new Float64Array(slots * n * 3);
    this.insertAfter = new Int32Array(slots * n * 3);
    this.insertWhen = new Float64Array(slots * n);
    this.removalGain = new Float64Array(n);
    this.bufA = new Int32Array(n);
    this.bufB = new Int32Array(n);
  }

  /** Improves `individual`'s routes with capacity excess penalised by `penalty` per unit; returns the result as a new Individual. */
  run(individual: Individual, penalty: number, random: Random): Individual {
    this.penalty = penalty;
    this.load_(individual);
    random.shuffle(this.order);
    const routeOrder = this.routeOrder.subarray(0, this.routeCount);
    for (let r = 0; r < this.routeCount; r++) routeOrder[r] = r;
    random.shuffle(routeOrder);
    // Occasionally reshuffle a customer's neighbour list so ties are not always broken alike.
    const { neighbourStart } = this.problem;
    const granularity = neighbourStart[2] - neighbourStart[1] || 1;
    for (let c = 1; c < this.n; c++) {
      if (random.int(granularity) === 0) random.shuffle(this.neighbourOrder.subarray(neighbourStart[c], neighbourStart[c + 1]));
    }
    this.search(routeOrder);
    return this.export_();
  }

  /** Loads explicit routes with a penalty, for tests and warm starts; unused route slots stay empty. */
  loadRoutes(routes: ReadonlyArray<ReadonlyArray<number>>, penalty: number): void {
    const ind = new Individual(this.n);
    let k = 0;
    routes.forEach((route, r) => {
      for (const c of route) ind.tour[k++] = c;
      ind.ends[r] = k;
    });
    ind.routeCount = routes.length;
    this.penalty = penalty;
    this.load_(ind);
  }

  /** Current routes, empty ones included, in slot order. */
  currentRoutes(): number[][] {
    const routes: number[][] = [];
    for (let r = 0; r < this.routeCount; r++) {
      const route: number[] = [];
      for (let node = this.next[this.n + r]; node < this.n; node = this.next[node]) route.push(node);
      routes.push(route);
    }
    return routes;
  }

  /**
   * Evaluates one move for customers u and v (for SWAP*, their two routes) and applies it if it
   * lowers the penalised cost; `lastDelta` then holds the change. For tests.
   */
  tryMove(kind: MoveKind, u: number, v: number): boolean {
    this.setU(u);
    this.setV(v);
    switch (kind) {
      case 'relocate': return this.relocate();
      case 'relocatePair': return this.relocatePair();
      case 'relocatePairReversed': return this.relocatePairReversed();
      case 'swap': return this.swap();
      case 'swapPairSingle': return this.swapPairSingle();
      case 'swapPairs': return this.swapPairs();
      case 'twoOpt': return this.ru === this.rv && this.twoOpt();
      case 'twoOptStarReversed': return this.ru !== this.rv && this.twoOptStarReversed();
      case 'twoOptStar': return this.ru !== this.rv && this.twoOptStar();
      case 'swapStar': {
        if (this.ru === this.rv) return false;
        const before = this.moves;
        this.swapStar(this.ru, this.rv);
        return this.moves !== before;
      }
    }
  }

  private search(routeOrder: Int32Array): void {
    const { n, prev, route, whenTested, whenModified, order, neighbourOrder } = this;
    const { neighbourStart } = this.problem;
    this.moves = 0;
    this.emptyRouteCacheMoves = -1;
    this.searchCompleted = false;
    for (let loop = 0; !this.searchCompleted; loop++) {
      // Always a second pass: moves into empty routes and after depots are only tried from loop 1.
      if (loop > 1) this.searchCompleted = true;
      for (let k = 0; k < order.length; k++) {
        const u = order[k];
        const lastTested = whenTested[u];
        whenTested[u] = this.moves;
        for (let t = neighbourStart[u]; t < neighbourStart[u + 1]; t++) {
          const v = neighbourOrder[t];
          if (loop > 0 && Math.max(whenModified[route[u]], whenModified[route[v]]) <= lastTested) continue;
          this.setU(u);
          this.setV(v);
          if (this.relocate() || this.relocatePair() || this.relocatePairReversed()) continue;
          if (u <= v && this.swap()) continue;
          if (this.swapPairSingle()) continue;
          if (u <= v && this.swapPairs()) continue;
          if (this.ru === this.rv) {
            if (this.twoOpt()) continue;
          } else if (this.twoOptStarReversed() || this.twoOptStar()) continue;
          // Moves that put u right after the start depot of v's route.
          const pv = prev[v];
          if (loop > 0 && pv >= n) {
            this.setU(u);
            this.setV(pv);
            if (this.relocate() || this.relocatePair() || this.relocatePairReversed()) continue;
            if (this.ru !== this.rv && (this.twoOptStarReversed() || this.twoOptStar())) continue;
          }
        }
        // Moves into an empty route.
        if (loop > 0) {
          const empty = this.firstEmptyRoute();
          if (empty >= 0) {
            this.setU(u);
            this.setV(n + empty);
            if (this.relocate() || this.relocatePair() || this.relocatePairReversed()) continue;
            this.twoOptStar();
          }
        }
      }
      if (this.problem.angles || this.routeCount <= 64) {
        for (let a = 0; a < routeOrder.length; a++) {
          const r1 = routeOrder[a];
          const lastTested = this.whenSwapStarTested[r1];
          this.whenSwapStarTested[r1] = this.moves;
          for (let b = 0; b < routeOrder.length; b++) {
            const r2 = routeOrder[b];
            if (r1 >= r2 || this.size[r1] === 0 || this.size[r2] === 0) continue;
            if (loop > 0 && Math.max(whenModified[r1], whenModified[r2]) <= lastTested) continue;
            if (this.problem.angles && !this.sectorsOverlap(r1, r2)) continue;
            this.swapStar(r1, r2);
          }
        }
      }
    }
  }

  private emptyRouteCache = -1;
  private emptyRouteCacheMoves = -1;

  /** First empty route slot, recomputed only when a move was applied since the last call. */
  private firstEmptyRoute(): number {
    if (this.emptyRouteCacheMoves === this.moves) return this.emptyRouteCache;
    this.emptyRouteCacheMoves = this.moves;
    this.emptyRouteCache = -1;
    for (let r = 0; r < this.routeCount; r++) {
      if (this.size[r] === 0) {
        this.emptyRouteCache = r;
        break;
      }
    }
    return this.emptyRouteCache;
  }

  private pen(load: number): number {
    return load > this.cap ? (load - this.cap) * this.penalty : 0;
  }

  private setU(u: number): void {
    const { next, prev, client, dem } = this;
    this.u = u;
    this.pu = prev[u];
    this.x = next[u];
    this.xx = next[this.x];
    this.cu = u;
    this.cpu = client[this.pu];
    this.cx = client[this.x];
    this.cxx = client[this.xx];
    this.ru = this.route[u];
    this.du = dem[u];
    this.dx = dem[this.cx];
  }

  private setV(v: number): void {
    const { next, prev, client, dem } = this;
    this.v = v;
    this.pv = prev[v];
    this.y = next[v];
    this.yy = next[this.y];
    this.cv = client[v];
    this.cpv = client[this.pv];
    this.cy = client[this.y];
    this.cyy = client[this.yy];
    this.rv = this.route[v];
    this.dv = dem[this.cv];
    this.dy = dem[this.cy];
  }

  private isDepot(node: number): boolean {
    return node >= this.n;
  }

  /** Applies the bookkeeping common to every improving move. */
  private committed(r1: number, r2: number, delta: number): true {
    this.lastDelta = delta;
    this.moves++;
    this.appliedMoves++;
    this.searchCompleted = false;
    this.updateRoute(r1);
    if (r2 !== r1) this.updateRoute(r2);
    return true;
  }

  /** Move 1: u after v. */
  private relocate(): boolean {
    const { d, n, u, v, cu, cx, cpu, cv, cy, ru, rv } = this;
    if (u === this.y) return false;
    let costU = d[cpu * n + cx] - d[cpu * n + cu] - d[cu * n + cx];
    let costV = d[cv * n + cu] + d[cu * n + cy] - d[cv * n + cy];
    if (ru !== rv) {
      if (costU + costV >= this.routePenalty[ru] + this.routePenalty[rv]) return false;
      costU += this.pen(this.load[ru] - this.du) - this.routePenalty[ru];
      costV += this.pen(this.load[rv] + this.du) - this.routePenalty[rv];
    }
    if (costU + costV > -EPS) return false;
    this.moveAfter(u, v);
    return this.committed(ru, rv, costU + costV);
  }

  /** Move 2: (u, x) after v. */
  private relocatePair(): boolean {
    const { d, n, u, v, x, cu, cx, cxx, cpu, cv, cy, ru, rv } = this;
    if (u === this.y || v === x || this.isDepot(x)) return false;
    let costU = d[cpu * n + cxx] - d[cpu * n + cu] - d[cx * n + cxx];
    let costV = d[cv * n + cu] + d[cx * n + cy] - d[cv * n + cy];
    if (ru !== rv) {
      if (costU + costV >= this.routePenalty[ru] + this.routePenalty[rv]) return false;
      costU += this.pen(this.load[ru] - this.du - this.dx) - this.routePenalty[ru];
      costV += this.pen(this.load[rv] + this.du + this.dx) - this.routePenalty[rv];
    }
    if (costU + costV > -EPS) return false;
    this.moveAfter(u, v);
    this.moveAfter(x, u);
    return this.committed(ru, rv, costU + costV);
  }

  /** Move 3: (x, u) after v, the pair reversed. */
  private relocatePairReversed(): boolean {
    const { d, n, u, v, x, cu, cx, cxx, cpu, cv, cy, ru, rv } = this;
    if (u === this.y || v === x || this.isDepot(x)) return false;
    let costU = d[cpu * n + cxx] - d[cpu * n + cu] - d[cu * n + cx] - d[cx * n + cxx];
    let costV = d[cv * n + cx] + d[cx * n + cu] + d[cu * n + cy] - d[cv * n + cy];
    if (ru !== rv) {
      if (costU + costV >= this.routePenalty[ru] + this.routePenalty[rv]) return false;
      costU += this.pen(this.load[ru] - this.du - this.dx) - this.routePenalty[ru];
      costV += this.pen(this.load[rv] + this.du + this.dx) - this.routePenalty[rv];
    }
    if (costU + costV > -EPS) return false;
    this.moveAfter(x, v);
    this.moveAfter(u, x);
    return this.committed(ru, rv, costU + costV);
  }

  /** Move 4: swap u and v. */
  private swap(): boolean {
    const { d, n, u, v, cu, cx, cpu, cv, cy, cpv, ru, rv } = this;
    if (u === this.pv || u === this.y) return false;
    let costU = d[cpu * n + cv] + d[cv * n + cx] - d[cpu * n + cu] - d[cu * n + cx];
    let costV = d[cpv * n + cu] + d[cu * n + cy] - d[cpv * n + cv] - d[cv * n + cy];
    if (ru !== rv) {
      if (costU + costV >= this.routePenalty[ru] + this.routePenalty[rv]) return false;
      costU += this.pen(this.load[ru] + this.dv - this.du) - this.routePenalty[ru];
      costV += this.pen(this.load[rv] + this.du - this.dv) - this.routePenalty[rv];
    }
    if (costU + costV > -EPS) return false;
    this.swapNodes(u, v);
    return this.committed(ru, rv, costU + costV);
  }

  /** Move 5: swap (u, x) with v. */
  private swapPairSingle(): boolean {
    const { d, n, u, v, x, cu, cx, cxx, cpu, cv, cy, cpv, ru, rv } = this;
    if (u === this.pv || x === this.pv || u === this.y || this.isDepot(x)) return false;
    let costU = d[cpu * n + cv] + d[cv * n + cxx] - d[cpu * n + cu] - d[cx * n + cxx];
    let costV = d[cpv * n + cu] + d[cx * n + cy] - d[cpv * n + cv] - d[cv * n + cy];
    if (ru !== rv) {
      if (costU + costV >= this.routePenalty[ru] + this.routePenalty[rv]) return false;
      costU += this.pen(this.load[ru] + this.dv - this.du - this.dx) - this.routePenalty[ru];
      costV += this.pen(this.load[rv] + this.du + this.dx - this.dv) - this.routePenalty[rv];
    }
    if (costU + costV > -EPS) return false;
    this.swapNodes(u, v);
    this.moveAfter(x, u);
    return this.committed(ru, rv, costU + costV);
  }

  /** Move 6: swap (u, x) with (v, y). */
  private swapPairs(): boolean {
    const { d, n, u, v, x, y, cu, cx, cxx, cpu, cv, cy, cyy, cpv, ru, rv } = this;
    if (this.isDepot(x) || this.isDepot(y) || y === this.pu || u === y || x === v || v === this.xx) return false;
    let costU = d[cpu * n + cv] + d[cy * n + cxx] - d[cpu * n + cu] - d[cx * n + cxx];
    let costV = d[cpv * n + cu] + d[cx * n + cyy] - d[cpv * n + cv] - d[cy * n + cyy];
    if (ru !== rv) {
      if (costU + costV >= this.routePenalty[ru] + this.routePenalty[rv]) return false;
      costU += this.pen(this.load[ru] + this.dv + this.dy - this.du - this.dx) - this.routePenalty[ru];
      costV += this.pen(this.load[rv] + this.du + this.dx - this.dv - this.dy) - this.routePenalty[rv];
    }
    if (costU + costV > -EPS) return false;
    this.swapNodes(u, v);
    this.swapNodes(x, y);
    return this.committed(ru, rv, costU + costV);
  }

  /** Move 7: intra-route 2-opt, reversing x..v (u before v). */
  private twoOpt(): boolean {
    const { d, n, u, v, x, cu, cx, cv, cy, ru } = this;
    if (this.position[u] > this.position[v] || x === v) return false;
    const cost = d[cu * n + cv] + d[cx * n + cy] - d[cu * n + cx] - d[cv * n + cy];
    if (cost > -EPS) return false;
    // Relink: u -> v -> ... -> x -> y.
    const buf = this.bufA;
    let len = 0;
    for (let node = x; node !== this.y; node = this.next[node]) buf[len++] = node;
    let last = u;
    for (let k = len - 1; k >= 0; k--) {
      this.next[last] = buf[k];
      this.prev[buf[k]] = last;
      last = buf[k];
    }
    this.next[last] = this.y;
    this.prev[this.y] = last;
    return this.committed(ru, ru, cost);
  }

  /** Move 8: 2-opt* replacing (u,x),(v,y) by (u,v),(x,y): u's head continues with v's head reversed. */
  private twoOptStarReversed(): boolean {
    const { d, n, u, v, cu, cx, cv, cy, ru, rv, cumLoad } = this;
    const headLoad = cumLoad[u] + cumLoad[v];
    let cost = d[cu * n + cv] + d[cx * n + cy] - d[cu * n + cx] - d[cv * n + cy];
    if (cost >= this.routePenalty[ru] + this.routePenalty[rv]) return false;
    cost += this.pen(headLoad) + this.pen(this.load[ru] + this.load[rv] - headLoad) - this.routePenalty[ru] - this.routePenalty[rv];
    if (cost > -EPS) return false;
    // Route ru: head(u) + reverse(head(v)); route rv: reverse(tail(y)) + tail(x).
    const a = this.bufA;
    const b = this.bufB;
    let la = 0;
    let lb = 0;
    const startU = this.n + ru;
    const startV = this.n + rv;
    const endU = this.n + this.slots + ru;
    const endV = this.n + this.slots + rv;
    for (let node = this.next[startU]; node !== this.x; node = this.next[node]) a[la++] = node;
    for (let node = v; node !== startV; node = this.prev[node]) a[la++] = node;
    for (let node = this.prev[endV]; node !== v; node = this.prev[node]) b[lb++] = node;
    for (let node = this.x; node !== endU; node = this.next[node]) b[lb++] = node;
    this.relink(ru, a, la);
    this.relink(rv, b, lb);
    return this.committed(ru, rv, cost);
  }

  /** Move 9: 2-opt* replacing (u,x),(v,y) by (u,y),(v,x): the routes exchange tails. */
  private twoOptStar(): boolean {
    const { d, n, u, v, cu, cx, cv, cy, ru, rv, cumLoad } = this;
    let cost = d[cu * n + cy] + d[cv * n + cx] - d[cu * n + cx] - d[cv * n + cy];
    if (cost >= this.routePenalty[ru] + this.routePenalty[rv]) return false;
    cost +=
      this.pen(cumLoad[u] + this.load[rv] - cumLoad[v]) +
      this.pen(cumLoad[v] + this.load[ru] - cumLoad[u]) -
      this.routePenalty[ru] -
      this.routePenalty[rv];
    if (cost > -EPS) return false;
    const a = this.bufA;
    const b = this.bufB;
    let la = 0;
    let lb = 0;
    const startU = this.n + ru;
    const startV = this.n + rv;
    const endU = this.n + this.slots + ru;
    const endV = this.n + this.slots + rv;
    for (let node = this.next[startU]; node !== this.x; node = this.next[node]) a[la++] = node;
    for (let node = this.y; node !== endV; node = this.next[node]) a[la++] = node;
    for (let node = this.next[startV]; node !== this.y; node = this.next[node]) b[lb++] = node;
    for (let node = this.x; node !== endU; node = this.next[node]) b[lb++] = node;
    this.relink(ru, a, la);
    this.relink(rv, b, lb);
    return this.committed(ru, rv, cost);
  }

  /**
   * SWAP* (Vidal 2022): u in r1 and v in r2 change routes, each inserted at its cheapest place in
   * the other route (not necessarily where the other was). The three cheapest insertion places of
   * every customer into the other route are cached, so a pair is evaluated in O(1). Relocations of a
   * single customer to its best place in the other route are evaluated alongside.
   */
  private swapStar(r1: number, r2: number): void {
    const { n, d, next, prev, client, dem, removalGain, insertCost, insertAfter } = this;
    const start1 = n + r1;
    const start2 = n + r2;
    const end1 = n + this.slots + r1;
    const end2 = n + this.slots + r2;
    this.preprocessInsertions(r1, r2);
    this.preprocessInsertions(r2, r1);
    const load1 = this.load[r1];
    const load2 = this.load[r2];
    const pen1 = this.routePenalty[r1];
    const pen2 = this.routePenalty[r2];
    let bestCost = -EPS;
    let bestU = -1;
    let bestV = -1;
    let bestPosU = -1;
    let bestPosV = -1;
    for (let u = next[start1]; u !== end1; u = next[u]) {
      const du = dem[u];
      const gainU = removalGain[u];
      for (let v = next[start2]; v !== end2; v = next[v]) {
        const dv = dem[v];
        const penDelta = this.pen(load1 - du + dv) - pen1 + this.pen(load2 + du - dv) - pen2;
        // Insertion costs are non-negative under the triangle inequality: a cheap lower bound.
        if (penDelta + gainU + removalGain[v] > 0) continue;
        // v into r1 with u removed: in u's place, or at one of its three best places not touching u.
        const pu = prev[u];
        const nu = next[u];
        let costV = d[client[pu] * n + v] + d[v * n + client[nu]] - d[client[pu] * n + client[nu]];
        let posV = pu;
        const baseV = (r1 * n + v) * 3;
        for (let k = 0; k < 3; k++) {
          const p = insertAfter[baseV + k];
          if (p < 0) break;
          if (p !== u && next[p] !== u) {
            if (insertCost[baseV + k] < costV) {
              costV = insertCost[baseV + k];
              posV = p;
            }
            break;
          }
        }
        const pvv = prev[v];
        const nv = next[v];
        let costU = d[client[pvv] * n + u] + d[u * n + client[nv]] - d[client[pvv] * n + client[nv]];
        let posU = pvv;
        const baseU = (r2 * n + u) * 3;
        for (let k = 0; k < 3; k++) {
          const p = insertAfter[baseU + k];
          if (p < 0) break;
          if (p !== v && next[p] !== v) {
            if (insertCost[baseU + k] < costU) {
              costU = insertCost[baseU + k];
              posU = p;
            }
            break;
          }
        }
        const cost = penDelta + gainU + removalGain[v] + costU + costV;
        if (cost < bestCost) {
          bestCost = cost;
          bestU = u;
          bestV = v;
          bestPosU = posU;
          bestPosV = posV;
        }
      }
    }
    // Single relocations r1 -> r2 and r2 -> r1 at the best place.
    for (let u = next[start1]; u !== end1; u = next[u]) {
      const base = (r2 * n + u) * 3;
      const cost = removalGain[u] + insertCost[base] + this.pen(load1 - dem[u]) - pen1 + this.pen(load2 + dem[u]) - pen2;
      if (cost < bestCost) {
        bestCost = cost;
        bestU = u;
        bestV = -1;
        bestPosU = insertAfter[base];
        bestPosV = -1;
      }
    }
    for (let v = next[start2]; v !== end2; v = next[v]) {
      const base = (r1 * n + v) * 3;
      const cost = removalGain[v] + insertCost[base] + this.pen(load2 - dem[v]) - pen2 + this.pen(load1 + dem[v]) - pen1;
      if (cost < bestCost) {
        bestCost = cost;
        bestU = -1;
        bestV = v;
        bestPosU = -1;
        bestPosV = insertAfter[base];
      }
    }
    if (bestU < 0 && bestV < 0) return;
    if (bestU >= 0) this.moveAfter(bestU, bestPosU);
    if (bestV >= 0) this.moveAfter(bestV, bestPosV);
    this.committed(r1, r2, bestCost);
  }

  /** Caches, for every customer of `from`, its three cheapest insertion places in route `into`, and its removal gain. */
  private preprocessInsertions(from: number, into: number): void {
    const { n, d, next, prev, client, insertCost, insertAfter, insertWhen } = this;
    const startFrom = n + from;
    const endFrom = n + this.slots + from;
    const startInto = n + into;
    const endInto = n + this.slots + into;
    const modified = this.whenModified[into];
    for (let u = next[startFrom]; u !== endFrom; u = next[u]) {
      const cp = client[prev[u]];
      const cn = client[next[u]];
      this.removalGain[u] = d[cp * n + cn] - d[cp * n + u] - d[u * n + cn];
      const key = into * n + u;
      if (insertWhen[key] >= modified && insertWhen[key] >= 0) continue;
      insertWhen[key] = this.moves;
      const base = key * 3;
      let c0 = Infinity, c1 = Infinity, c2 = Infinity;
      let p0 = -1, p1 = -1, p2 = -1;
      for (let p = startInto; p !== endInto; p = next[p]) {
        const a = client[p];
        const b = client[next[p]];
        const c = d[a * n + u] + d[u * n + b] - d[a * n + b];
        if (c < c2) {
          if (c < c1) {
            c2 = c1; p2 = p1;
            if (c < c0) {
              c1 = c0; p1 = p0;
              c0 = c; p0 = p;
            } else {
              c1 = c; p1 = p;
            }
          } else {
            c2 = c; p2 = p;
          }
        }
      }
      insertCost[base] = c0; insertAfter[base] = p0;
      insertCost[base + 1] = c1; insertAfter[base + 1] = p1;
      insertCost[base + 2] = c2; insertAfter[base + 2] = p2;
    }
  }

  private sectorsOverlap(r1: number, r2: number): boolean {
    const s1 = this.sectorStart[r1];
    const s2 = this.sectorStart[r2];
    const w1 = mod(this.sectorEnd[r1] - s1);
    const w2 = mod(this.sectorEnd[r2] - s2);
    return mod(s2 - s1) <= w1 || mod(s1 - s2) <= w2;
  }

  /** Unlinks `node` and links it right after `after`. */
  private moveAfter(node: number, after: number): void {
    const { next, prev } = this;
    const p = prev[node];
    const q = next[node];
    next[p] = q;
    prev[q] = p;
    const r = next[after];
    next[after] = node;
    prev[node] = after;
    next[node] = r;
    prev[r] = node;
    this.route[node] = this.route[after];
  }

  /** Exchanges two non-adjacent nodes. */
  private swapNodes(a: number, b: number): void {
    const { next, prev, route } = this;
    const pa = prev[a], na = next[a], pb = prev[b], nb = next[b];
    next[pa] = b; prev[b] = pa; next[b] = na; prev[na] = b;
    next[pb] = a; prev[a] = pb; next[a] = nb; prev[nb] = a;
    const ra = route[a];
    route[a] = route[b];
    route[b] = ra;
  }

  /** Makes route r visit buf[0..len) in order. */
  private relink(r: number, buf: Int32Array, len: number): void {
    const start = this.n + r;
    const end = this.n + this.slots + r;
    let last = start;
    for (let k = 0; k < len; k++) {
      const node = buf[k];
      this.next[last] = node;
      this.prev[node] = last;
      this.route[node] = r;
      last = node;
    }
    this.next[last] = end;
    this.prev[end] = last;
  }

  /** Recomputes positions, cumulative loads, route load/length/penalty and polar sector of route r. */
  private updateRoute(r: number): void {
    const { n, d, next, client, dem, cumLoad, position, route } = this;
    const start = n + r;
    const end = n + this.slots + r;
    const angles = this.problem.angles;
    let load = 0;
    let length = 0;
    let count = 0;
    let prevClient = 0;
    let sStart = 0;
    let sEnd = 0;
    for (let node = next[start]; node !== end; node = next[node]) {
      const c = client[node];
      load += dem[c];
      length += d[prevClient * n + c];
      count++;
      cumLoad[node] = load;
      position[node] = count;
      route[node] = r;
      prevClient = c;
      if (angles) {
        const a = angles[c];
        if (count === 1) {
          sStart = a;
          sEnd = a;
        } else if (mod(a - sStart) > mod(sEnd - sStart)) {
          // Outside the sector: extend on the side that grows it least.
          if (mod(a - sEnd) <= mod(sStart - a)) sEnd = a;
          else sStart = a;
        }
      }
    }
    length += d[prevClient * n];
    cumLoad[start] = 0;
    position[start] = 0;
    cumLoad[end] = load;
    position[end] = count + 1;
    this.load[r] = load;
    this.length[r] = length;
    this.size[r] = count;
    this.routePenalty[r] = this.pen(load);
    this.whenModified[r] = this.moves;
    this.sectorStart[r] = sStart;
    this.sectorEnd[r] = sEnd;
  }

  private load_(individual: Individual): void {
    const { n, slots, next, prev } = this;
    // Keep at least one empty route to move customers into, unless the fleet is fixed.
    this.routeCount = this.problem.fleetLimited
      ? Math.max(this.problem.maxRoutes, individual.routeCount)
      : Math.min(slots, Math.max(this.problem.maxRoutes, individual.routeCount + 1));
    let startIndex = 0;
    for (let r = 0; r < this.routeCount; r++) {
      const start = n + r;
      const end = n + slots + r;
      next[end] = start;
      prev[start] = end;
      if (r < individual.routeCount) {
        const endIndex = individual.ends[r];
        this.relink(r, individual.tour.subarray(startIndex, endIndex), endIndex - startIndex);
        startIndex = endIndex;
      } else {
        this.relink(r, individual.tour, 0);
      }
      this.moves = 0;
      this.updateRoute(r);
      this.whenModified[r] = 0;
      this.whenSwapStarTested[r] = -1;
    }
    this.whenTested.fill(-1);
    this.insertWhen.fill(-1);
  }

  /** Writes the routes into a new Individual, ordered by the polar angle of their barycentre so that crossover keeps neighbouring routes together. */
  private export_(): Individual {
    const { n, next, client } = this;
    const out = new Individual(n);
    const used: number[] = [];
    const keys: number[] = [];
    const angles = this.problem.angles;
    for (let r = 0; r < this.routeCount; r++) {
      if (this.size[r] === 0) continue;
      used.push(r);
      if (angles) {
        let sx = 0;
        let sy = 0;
        for (let node = next[n + r]; node < n; node = next[node]) {
          const a = (angles[client[node]] / ANGLE_UNITS) * 2 * Math.PI;
          sx += Math.cos(a);
          sy += Math.sin(a);
        }
        keys[r] = Math.atan2(sy, sx);
      } else keys[r] = r;
    }
    used.sort((a, b) => keys[a] - keys[b] || a - b);
    let k = 0;
    used.forEach((r, i) => {
      for (let node = next[n + r]; node < n; node = next[node]) out.tour[k++] = client[node];
      out.ends[i] = k;
    });
    out.routeCount = used.length;
    out.evaluate(this.problem, this.penalty);
    return out;
  }
}

function mod(a: number): number {
  return ((a % ANGLE_UNITS) + ANGLE_UNITS) % ANGLE_UNITS;
}
