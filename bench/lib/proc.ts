/** Child processes, ports, RSS sampling and cleanup for the benchmarks. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

// ---- Cleanup: everything registered here runs (in reverse) on success, failure and Ctrl-C.
type Cleanup = { name: string; fn: () => Promise<void> | void };
const cleanups: Cleanup[] = [];
const liveChildren = new Set<ChildProcess>();
let cleaning: Promise<void> | undefined;

/** Registers a cleanup; returns a function that runs it now (once) and unregisters it. */
export function onCleanup(name: string, fn: () => Promise<void> | void): () => Promise<void> {
  const entry: Cleanup = { name, fn };
  cleanups.push(entry);
  return async () => {
    const i = cleanups.indexOf(entry);
    if (i < 0) return;
    cleanups.splice(i, 1);
    await entry.fn();
  };
}

export function runCleanups(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length) {
      const c = cleanups.pop()!;
      try {
        await c.fn();
      } catch (err) {
        process.stderr.write(`cleanup "${c.name}" failed: ${(err as Error).message}\n`);
      }
    }
  })();
  return cleaning;
}

/** Ctrl-C / SIGTERM: stop what runs (abort hook), clean up, exit. */
export function installSignalHandlers(abort: () => void): void {
  let signalled = false;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (signalled) return;
      signalled = true;
      process.stderr.write(`\n${sig}: cleaning up…\n`);
      abort();
      const hard = setTimeout(() => process.exit(130), 30_000);
      hard.unref();
      void runCleanups().finally(() => process.exit(130));
    });
  }
  // Last resort if the process exits without the async cleanups: no orphan servers.
  process.on('exit', () => {
    for (const c of liveChildren) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface Child {
  proc: ChildProcess;
  pid: number;
  /** Last lines of stdout+stderr. */
  tail(): string[];
  /** Lines at level warn or above (pino JSON level >= 40) or any stderr line. */
  warnings(): string[];
  /** SIGTERM, wait up to timeoutMs, then SIGKILL. */
  stop(timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

/** Node's flags in package.json's `start` script (`node <flags> bin/madina.js start`): one source for both. */
function npmStartNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const m = /^node (.*)bin\/madina\.js start$/.exec(pkg.scripts.start);
  if (!m) throw new Error(`package.json's start script is not "node <flags> bin/madina.js start": ${pkg.scripts.start}`);
  return m[1].split(' ').filter(Boolean);
}

/**
 * `node … bin/madina.js start` arguments, exactly as `npm start` runs it; MADINA_BENCH_NODE_ARGS
 * (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") adds flags, e.g. to profile the server.
 */
export function madinaStartArgs(): string[] {
  return [...npmStartNodeFlags(), ...(process.env.MADINA_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), 'bin/madina.js', 'start'];
}

/**
 * The environment every benchmark gives the server it measures: on loopback, quiet logs, and neither the
 * demo seed nor the simulator (both write to the store: on a fresh store the seed would load the region
 * while the benchmark measures, and the simulator would add its telemetry to every figure).
 */
export function benchServerEnv(port: number, extra: Record<string, string> = {}): Record<string, string> {
  return { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: process.env.MADINA_BENCH_LOG_LEVEL || 'warn', MADINA_SEED: 'off', MADINA_SIMULATOR: 'off', ...extra };
}

export function startChild(cmd: string, args: string[], env: Record<string, string>, cwd: string): Child {
  const proc = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  liveChildren.add(proc);
  const lines: string[] = [];
  const warns: string[] = [];
  const feed = (stream: 'out' | 'err') => (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      lines.push(line);
      if (lines.length > 200) lines.shift();
      let level = 0;
      try {
        level = (JSON.parse(line) as { level?: number }).level ?? 0;
      } catch {
        /* not JSON */
      }
      if ((stream === 'err' || level >= 40) && warns.length < 1000) warns.push(line);
    }
  };
  proc.stdout!.on('data', feed('out'));
  proc.stderr!.on('data', feed('err'));
  const exited = new Promise<number | null>((resolve) => {
    proc.on('exit', (code) => {
      liveChildren.delete(proc);
      resolve(code);
    });
  });
  return {
    proc,
    pid: proc.pid!,
    tail: () => lines.slice(-40),
    warnings: () => warns,
    exited,
    async stop(timeoutMs = 25_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Polls url until it answers 2xx, the child exits, or timeoutMs passes. */
export async function waitHttp(url: string, child: Child, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`process exited before answering ${url}:\n${child.tail().join('\n')}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${child.tail().join('\n')}`);
}

/** kB values of /proc/<pid>/status (VmRSS, VmHWM); undefined once the process is gone. */
export function procStatus(pid: number): { rssKb: number; hwmKb: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN);
    return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** Samples a process's RSS every intervalMs; peak overall and per named phase. */
export class RssSampler {
  peakKb = 0;
  private phase = '';
  readonly phasePeakKb: Record<string, number> = {};
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number, intervalMs = 200) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): number {
    const s = procStatus(this.pid);
    if (!s || !Number.isFinite(s.rssKb)) return 0;
    this.peakKb = Math.max(this.peakKb, s.rssKb);
    if (this.phase) this.phasePeakKb[this.phase] = Math.max(this.phasePeakKb[this.phase] ?? 0, s.rssKb);
    return s.rssKb;
  }

  setPhase(name: string) {
    this.sample();
    this.phase = name;
    this.sample();
  }

  stop() {
    this.sample();
    clearInterval(this.timer);
  }
}
