/**
 * Split: the optimal cutting of a giant tour (all customers in one sequence) into routes that
 * keep the sequence order, for an unlimited fleet with capacity excess penalised linearly.
 * Linear-time algorithm of Vidal (2016), "Split algorithm in O(n) for the capacitated vehicle
 * routing problem", Computers & Operations Research 69: a deque of candidate predecessors kept
 * free of dominated ones, so each position enters and leaves it once.
 */

/** Reusable buffers for splitting tours of up to `size` customers. */
export class SplitWorkspace {
  readonly potential: Float64Array;
  readonly pred: Int32Array;
  readonly sumDist: Float64Array;
  readonly sumLoad: Float64Array;
  readonly deque: Int32Array;
  constructor(size: number) {
    this.potential = new Float64Array(size + 1);
    this.pred = new Int32Array(size + 1);
    this.sumDist = new Float64Array(size + 2);
    this.sumLoad = new Float64Array(size + 1);
    this.deque = new Int32Array(size + 1);
  }
}

/**
 * Splits `tour` (customer indices, depot = 0) optimally. Writes route end positions (exclusive,
 * increasing, last = tour.length) into `ends` and returns the number of routes; the penalised
 * cost is `ws.potential[tour.length]`.
 */
export function splitTour(
  tour: ArrayLike<number>,
  n: number,
  distances: Float64Array,
  demands: Float64Array,
  capacity: number,
  penalty: number,
  ends: Int32Array,
  ws: SplitWorkspace,
): number {
  const m = tour.length;
  const { potential: p, pred, sumDist, sumLoad, deque } = ws;
  // Positions are 1-based: customer at position k is tour[k-1].
  sumDist[1] = 0;
  sumLoad[0] = 0;
  for (let k = 1; k <= m; k++) {
    sumLoad[k] = sumLoad[k - 1] + demands[tour[k - 1]];
    if (k < m) sumDist[k + 1] = sumDist[k] + distances[tour[k - 1] * n + tour[k]];
  }
  // Route (i+1..k): d(0,t[i+1]) + sumDist[k] - sumDist[i+1] + d(t[k],0) + penalty·excess.
  // a(i) = p[i] + d(0,t[i+1]) - sumDist[i+1] is what a predecessor i brings to every route it starts.
  const a = (i: number) => p[i] + distances[tour[i]] - sumDist[i + 1];
  const cost = (i: number, k: number) => {
    const excess = sumLoad[k] - sumLoad[i] - capacity;
    return a(i) + sumDist[k] + distances[tour[k - 1] * n] + (excess > 0 ? penalty * excess : 0);
  };
  p[0] = 0;
  let head = 0;
  let tail = 0; // deque = deque[head..tail]
  deque[0] = 0;
  for (let k = 1; k <= m; k++) {
    const front = deque[head];
    p[k] = cost(front, k);
    pred[k] = front;
    if (k === m) break;
    const ak = a(k);
    // An earlier predecessor i dominates k when a(i) + penalty·(load between them) <= a(k):
    // k's smaller excess can never make up for it.
    const back = deque[tail];
    if (!(a(back) + penalty * (sumLoad[k] - sumLoad[back]) <= ak)) {
      // k dominates any earlier candidate with a(i) >= a(k).
      while (tail >= head && a(deque[tail]) >= ak) tail--;
      deque[++tail] = k;
    }
    // The front leaves once the next candidate is at least as good for k+1 (and so for all later k).
    while (tail > head && cost(deque[head], k + 1) >= cost(deque[head + 1], k + 1)) head++;
  }
  // Walk predecessors back to write the route ends in order.
  let count = 0;
  for (let k = m; k > 0; k = pred[k]) count++;
  let r = count;
  for (let k = m; k > 0; k = pred[k]) ends[--r] = k;
  return count;
}

/**
 * Split with at most `maxRoutes` routes (Bellman recursion over route counts, as in Prins 2004),
 * for when the linear split needs more routes than the fleet has. Routes loaded beyond 1.5 times
 * the capacity are not considered unless no split is possible without them.
 */
export function splitTourLimited(
  tour: ArrayLike<number>,
  n: number,
  distances: Float64Array,
  demands: Float64Array,
  capacity: number,
  penalty: number,
  maxRoutes: number,
  ends: Int32Array,
): { routes: number; cost: number } {
  const m = tour.length;
  const k = Math.min(maxRoutes, m);
  const attempt = (loadCap: number) => {
    const pot = new Float64Array((k + 1) * (m + 1)).fill(Infinity);
    const pred = new Int32Array((k + 1) * (m + 1));
    pot[0] = 0;
    for (let r = 0; r < k; r++) {
      for (let i = r; i < m; i++) {
        const base = pot[r * (m + 1) + i];
        if (base === Infinity) continue;
        let load = 0;
        let dist = 0;
        for (let j = i + 1; j <= m; j++) {
          const c = tour[j - 1];
          load += demands[c];
          if (load > loadCap && j > i + 1) break;
          dist += j === i + 1 ? distances[c] : distances[tour[j - 2] * n + c];
          const cost = base + dist + distances[c * n] + (load > capacity ? penalty * (load - capacity) : 0);
          const at = (r + 1) * (m + 1) + j;
          if (cost < pot[at]) {
            pot[at] = cost;
            pred[at] = i;
          }
        }
      }
    }
    let bestR = -1;
    for (let r = 1; r <= k; r++) if (pot[r * (m + 1) + m] < (bestR < 0 ? Infinity : pot[bestR * (m + 1) + m])) bestR = r;
    return { pot, pred, bestR };
  };
  let result = attempt(1.5 * capacity);
  if (result.bestR < 0) result = attempt(Infinity);
  const { pot, pred, bestR } = result;
  let j = m;
  for (let r = bestR; r > 0; r--) {
    ends[r - 1] = j;
    j = pred[r * (m + 1) + j];
  }
  return { routes: bestR, cost: pot[bestR * (m + 1) + m] };
}
