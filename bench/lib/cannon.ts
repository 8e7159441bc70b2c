/** One autocannon run with our own latency record (autocannon's histogram has no p95). */
import autocannon, { type Instance, type RequestParams } from 'autocannon';

export interface LoadResult {
  /** 2xx responses per second over the measured part (after the warm-up). */
  rps: number;
  requests: number;
  ok: number;
  /** Measured requests answered with another status than 2xx. */
  non2xx: number;
  /** Connection errors and timeouts of the whole run, warm-up included (autocannon counts them per run). */
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** Latency of every measured response, ms. */
  latency: { p50: number; p95: number; p99: number; max: number; mean: number };
  durationS: number;
  /** A few non-2xx bodies, for the report. */
  errorSamples: { status: number; body: string }[];
}

export interface LoadSpec {
  url: string;
  connections: number;
  durationS: number;
  /**
   * Seconds of load before the measured `durationS`, on the same connections: only requests sent after it
   * count. A separate warm-up run closed its connections with requests still in flight in the server,
   * and the measured run's first requests queued behind them (responses of 200-800 ms in its first
   * second, most of a scenario's p99).
   */
  warmupS?: number;
  /** Base request (method, path, headers). */
  base: RequestParams;
  /** Varies each request; called for every request sent. */
  next?: () => RequestParams;
}

let current: Instance | undefined;

/** Stops the run in progress (Ctrl-C). */
export function abortLoad(): void {
  current?.stop();
}

function percentile(sorted: Float64Array, p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  let lat = new Float64Array(1 << 16);
  let n = 0;
  let ok = 0;
  const warmupS = spec.warmupS ?? 0;
  const errorSamples: { status: number; body: string }[] = [];
  const next = spec.next;
  const measuredFrom = performance.now() + warmupS * 1000;
  const instance = autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: warmupS + spec.durationS,
    timeout: 10,
    requests: [
      {
        ...spec.base,
        ...(next ? { setupRequest: (req: RequestParams) => ({ ...req, ...next() }) } : {}),
        onResponse: (status: number, body: string) => {
          if ((status < 200 || status >= 300) && errorSamples.length < 5) errorSamples.push({ status, body: String(body).slice(0, 500) });
        },
      },
    ],
  });
  current = instance;
  instance.on('response', (_client: unknown, status: number, _bytes: number, responseTime: number) => {
    if (performance.now() - responseTime < measuredFrom) return; // sent during the warm-up
    if (n === lat.length) {
      const bigger = new Float64Array(lat.length * 2);
      bigger.set(lat);
      lat = bigger;
    }
    lat[n++] = responseTime;
    if (status >= 200 && status < 300) ok++;
  });
  const result = await instance;
  const durationS = (performance.now() - measuredFrom) / 1000;
  current = undefined;
  const sorted = lat.slice(0, n).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  const statusCodes: Record<string, number> = {};
  for (const [code, s] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = s.count;
  return {
    rps: ok / durationS,
    requests: n,
    ok,
    non2xx: n - ok,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    latency: {
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      max: n ? sorted[n - 1] : NaN,
      mean: n ? sum / n : NaN,
    },
    durationS,
    errorSamples,
  };
}
