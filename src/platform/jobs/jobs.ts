/**
 * Long jobs (optimisation, imports): `start` returns at once with an id; progress events and the
 * result are kept in memory, read with `get`, followed with `subscribe` (SSE in sse.ts) and cancelled
 * with `cancel`. Jobs are not durable: a restart forgets them (their results are stored by the module
 * that ran them, when they succeed).
 */
import { randomUUID } from 'node:crypto';
import { Problem } from '../http/problem.ts';

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface JobProgress {
  /** 0..1 when known. */
  fraction?: number;
  /** A short phase name ("forecast", "solve", "save"). */
  phase?: string;
  message?: string;
  [key: string]: unknown;
}

export interface JobEvent {
  /** Sequence number within the job, from 1 (the SSE event id). */
  seq: number;
  kind: 'status' | 'progress' | 'done';
  at: string;
  data: Record<string, unknown>;
}

export interface JobView {
  id: string;
  kind: string;
  status: JobStatus;
  /** Id of the principal who started it. */
  owner: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  progress?: JobProgress;
  result?: unknown;
  /** RFC 9457 problem body when the job failed. */
  error?: Record<string, unknown>;
  /** Extra facts the starter chose to show (e.g. the commune). */
  meta: Record<string, unknown>;
}

export interface JobContext {
  signal: AbortSignal;
  progress(p: JobProgress): void;
}

export type JobListener = (ev: JobEvent, job: JobView) => void;

interface JobRecord {
  view: JobView;
  events: JobEvent[];
  listeners: Set<JobListener>;
  abort: AbortController;
  run: (ctx: JobContext) => Promise<unknown>;
  lastProgressAt: number;
  done: Promise<void>;
  resolveDone: () => void;
}

export interface JobsOptions {
  /** Jobs of one kind that run at once (the rest wait, in order). Default 1: solvers use the CPU. */
  concurrency?: number;
  /** Finished jobs are forgotten after this long (default 1 h) or when more than `keep` finished jobs exist. */
  retainMs?: number;
  keep?: number;
  /** Progress events closer than this are coalesced (the latest wins); default 200 ms. */
  progressEveryMs?: number;
  /** Kept per job for late subscribers (Last-Event-ID); default 200. */
  maxEvents?: number;
  now?: () => number;
  /** Told of failures that are not problems (bugs), for the log. */
  onError?: (err: unknown, job: JobView) => void;
}

const TERMINAL: JobStatus[] = ['succeeded', 'failed', 'cancelled'];
export const isTerminal = (s: JobStatus) => TERMINAL.includes(s);

export class Jobs {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, JobRecord[]>();
  private readonly opts: Required<Omit<JobsOptions, 'onError'>> & Pick<JobsOptions, 'onError'>;
  private closed = false;

  constructor(opts: JobsOptions = {}) {
    this.opts = { concurrency: 1, retainMs: 3_600_000, keep: 500, progressEveryMs: 200, maxEvents: 200, now: Date.now, ...opts };
  }

  /** Queues a job; `run` gets an abort signal and a progress callback, and its resolved value is the result. */
  start(kind: string, owner: string, run: (ctx: JobContext) => Promise<unknown>, meta: Record<string, unknown> = {}): JobView {
    if (this.closed) throw new Error('the job runner is closed');
    this.prune();
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const rec: JobRecord = {
      view: { id: randomUUID(), kind, status: 'queued', owner, createdAt: this.iso(), meta },
      events: [],
      listeners: new Set(),
      abort: new AbortController(),
      run,
      lastProgressAt: 0,
      done,
      resolveDone,
    };
    this.jobs.set(rec.view.id, rec);
    this.emit(rec, 'status', { status: 'queued' });
    const queue = this.waiting.get(kind) ?? [];
    queue.push(rec);
    this.waiting.set(kind, queue);
    const view = this.snapshot(rec);
    this.pump(kind);
    return view;
  }

  get(id: string): JobView | undefined {
    const rec = this.jobs.get(id);
    return rec ? this.snapshot(rec) : undefined;
  }

  list(filter: { kind?: string; owner?: string } = {}): JobView[] {
    return [...this.jobs.values()]
      .map((r) => r.view)
      .filter((v) => (!filter.kind || v.kind === filter.kind) && (!filter.owner || v.owner === filter.owner))
      .map((v) => ({ ...v }));
  }

  /** Events after `afterSeq` (for a subscriber that reconnects). */
  eventsAfter(id: string, afterSeq = 0): JobEvent[] {
    return this.jobs.get(id)?.events.filter((e) => e.seq > afterSeq) ?? [];
  }

  /** Listens to a job's events; returns the unsubscribe function. */
  subscribe(id: string, listener: JobListener): () => void {
    const rec = this.jobs.get(id);
    if (!rec) return () => {};
    rec.listeners.add(listener);
    return () => rec.listeners.delete(listener);
  }

  /** Resolves when the job has finished (whatever the outcome). */
  async wait(id: string): Promise<JobView | undefined> {
    const rec = this.jobs.get(id);
    if (!rec) return undefined;
    await rec.done;
    return this.snapshot(rec);
  }

  /** Asks a job to stop; a queued job is cancelled at once. Returns false for unknown or finished jobs. */
  cancel(id: string): boolean {
    const rec = this.jobs.get(id);
    if (!rec || isTerminal(rec.view.status)) return false;
    rec.abort.abort();
    if (rec.view.status === 'queued') {
      const q = this.waiting.get(rec.view.kind) ?? [];
      this.waiting.set(rec.view.kind, q.filter((r) => r !== rec));
      this.finish(rec, 'cancelled');
    }
    return true;
  }

  /** Cancels everything and waits for running jobs to end (server shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    const pending = [...this.jobs.values()].filter((r) => !isTerminal(r.view.status));
    for (const r of pending) this.cancel(r.view.id);
    await Promise.all(pending.map((r) => r.done));
  }

  private pump(kind: string) {
    const queue = this.waiting.get(kind) ?? [];
    while (queue.length && (this.running.get(kind) ?? 0) < this.opts.concurrency) {
      const rec = queue.shift()!;
      this.running.set(kind, (this.running.get(kind) ?? 0) + 1);
      void this.execute(rec).finally(() => {
        this.running.set(kind, (this.running.get(kind) ?? 1) - 1);
        this.pump(kind);
      });
    }
  }

  private async execute(rec: JobRecord) {
    rec.view.status = 'running';
    rec.view.startedAt = this.iso();
    this.emit(rec, 'status', { status: 'running' });
    const ctx: JobContext = {
      signal: rec.abort.signal,
      progress: (p) => {
        if (isTerminal(rec.view.status)) return;
        rec.view.progress = p;
        const t = this.opts.now();
        // Coalesce bursts, but never drop a phase change or the end of a phase.
        if (t - rec.lastProgressAt < this.opts.progressEveryMs && p.fraction !== 1 && p.phase === rec.events.at(-1)?.data.phase) return;
        rec.lastProgressAt = t;
        this.emit(rec, 'progress', { ...p });
      },
    };
    try {
      // Let the caller receive the job id before any work (and any synchronous throw) happens.
      await new Promise<void>((r) => setImmediate(r));
      const result = await rec.run(ctx);
      if (rec.abort.signal.aborted) this.finish(rec, 'cancelled');
      else this.finish(rec, 'succeeded', result);
    } catch (err) {
      if (rec.abort.signal.aborted && !(err instanceof Problem)) this.finish(rec, 'cancelled');
      else {
        if (!(err instanceof Problem)) this.opts.onError?.(err, this.snapshot(rec));
        this.finish(rec, 'failed', undefined, err);
      }
    }
  }

  private finish(rec: JobRecord, status: JobStatus, result?: unknown, err?: unknown) {
    rec.view.status = status;
    rec.view.finishedAt = this.iso();
    if (result !== undefined) rec.view.result = result;
    if (err !== undefined) rec.view.error = problemBody(err);
    this.emit(rec, 'done', { status, ...(result !== undefined ? { result } : {}), ...(rec.view.error ? { error: rec.view.error } : {}) });
    rec.listeners.clear();
    rec.resolveDone();
  }

  private emit(rec: JobRecord, kind: JobEvent['kind'], data: Record<string, unknown>) {
    const ev: JobEvent = { seq: (rec.events.at(-1)?.seq ?? 0) + 1, kind, at: this.iso(), data };
    rec.events.push(ev);
    // Keep the first events (status) and the latest ones.
    if (rec.events.length > this.opts.maxEvents) rec.events.splice(1, rec.events.length - this.opts.maxEvents);
    const view = this.snapshot(rec);
    for (const l of [...rec.listeners]) {
      try {
        l(ev, view);
      } catch {
        // A listener's failure (a closed socket) must not break the job.
      }
    }
  }

  private snapshot(rec: JobRecord): JobView {
    return { ...rec.view, meta: { ...rec.view.meta } };
  }

  private prune() {
    const t = this.opts.now();
    const finished = [...this.jobs.values()].filter((r) => isTerminal(r.view.status));
    for (const r of finished) {
      if (t - Date.parse(r.view.finishedAt!) > this.opts.retainMs) this.jobs.delete(r.view.id);
    }
    const left = finished.filter((r) => this.jobs.has(r.view.id));
    for (let i = 0; i < left.length - this.opts.keep; i++) this.jobs.delete(left[i].view.id);
  }

  private iso() {
    return new Date(this.opts.now()).toISOString();
  }
}

/** A failure as an RFC 9457 body: problems keep theirs, anything else is an internal error (details in the log). */
export function problemBody(err: unknown): Record<string, unknown> {
  if (err instanceof Problem) return err.toJSON();
  return { type: '/problems/api/internal-error', title: 'Internal error; see the server log', status: 500 };
}
