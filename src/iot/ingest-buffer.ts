/**
 * The ingestion buffer: measures are coalesced per entity (the latest value of each attribute wins) and
 * flushed to the hub as batch upserts every `flushMs` or `batchSize` entities. An entity is in at most
 * one flush at a time, so its updates commit in arrival order. The buffer is bounded: past
 * `maxEntities` distinct entities waiting, new entities are dropped (counted as overload) instead of
 * growing memory while the hub is slow.
 */
import type { NgsiAttribute } from './mapping.ts';

export interface BufferedEntity {
  tenant: string;
  id: string;
  type: string;
  attrs: Record<string, NgsiAttribute>;
}

export interface FlushOutcome {
  /** Entity ids the hub refused (each with its reason). */
  failed: { id: string; reason: string }[];
}

/** Writes one tenant's entities (the hub's batch upsert); throws when nothing was written. */
export type FlushSink = (tenant: string, entities: BufferedEntity[]) => Promise<FlushOutcome>;

export interface IngestBufferOptions {
  flushMs: number;
  batchSize: number;
  maxEntities: number;
  /** Concurrent flushes (on disjoint entity sets); 1 by default: on PGlite a second one only slows both. */
  maxInFlight: number;
  /** Attempts per flush when the hub throws (e.g. the database is briefly unavailable). */
  attempts: number;
  retryDelayMs: number;
}

export const DEFAULT_BUFFER_OPTIONS: IngestBufferOptions = {
  flushMs: 50,
  batchSize: 500,
  maxEntities: 50_000,
  maxInFlight: 1,
  attempts: 3,
  retryDelayMs: 200,
};

interface Pending extends BufferedEntity {
  key: string;
  /** Measure messages coalesced into this entry. */
  messages: number;
  values: number;
  waiters?: { resolve: () => void; reject: (err: Error) => void }[];
}

export interface BufferEvents {
  committed(messages: number, values: number): void;
  failed(messages: number, reason: string): void;
  error(err: unknown): void;
}

export class IngestBuffer {
  private readonly pending = new Map<string, Pending>();
  private readonly inFlight = new Set<string>();
  private flushes = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate = false;
  private closed = false;
  private readonly idle: (() => void)[] = [];

  constructor(
    private readonly sink: FlushSink,
    private readonly events: BufferEvents,
    private readonly opts: IngestBufferOptions = DEFAULT_BUFFER_OPTIONS,
  ) {}

  /** Entities waiting (not yet in a flush). */
  get size(): number {
    return this.pending.size;
  }

  get flushing(): number {
    return this.inFlight.size;
  }

  /**
   * Adds attributes to the entity's pending update. Returns false when the buffer is full (the caller
   * counts the drop); with `wait`, the promise settles when the values are committed (or failed).
   */
  add(e: BufferedEntity, counts: { messages: number; values: number }, wait?: { resolve: () => void; reject: (err: Error) => void }): boolean {
    const key = `${e.tenant}\u0000${e.id}`;
    let p = this.pending.get(key);
    if (p) {
      Object.assign(p.attrs, e.attrs);
      p.messages += counts.messages;
      p.values += counts.values;
    } else {
      if (this.pending.size >= this.opts.maxEntities || this.closed) return false;
      p = { ...e, attrs: { ...e.attrs }, key, messages: counts.messages, values: counts.values };
      this.pending.set(key, p);
    }
    if (wait) (p.waiters ??= []).push(wait);
    this.schedule();
    return true;
  }

  private schedule(): void {
    // heldCount() walks the in-flight set: only when a full batch may be waiting.
    if (this.pending.size >= this.opts.batchSize && this.pending.size - this.heldCount() >= this.opts.batchSize) {
      if (!this.immediate) {
        this.immediate = true;
        setImmediate(() => {
          this.immediate = false;
          this.flush();
        });
      }
    } else if (!this.timer && this.pending.size) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, this.opts.flushMs);
    }
  }

  private heldCount(): number {
    if (!this.inFlight.size) return 0;
    let n = 0;
    for (const k of this.inFlight) if (this.pending.has(k)) n++;
    return n;
  }

  /** Starts flushes while there is room; entities already in a flush wait for the next one. */
  private flush(): void {
    while (this.flushes < this.opts.maxInFlight && this.pending.size) {
      const batch: Pending[] = [];
      for (const p of this.pending.values()) {
        if (this.inFlight.has(p.key)) continue;
        batch.push(p);
        if (batch.length >= this.opts.batchSize) break;
      }
      if (!batch.length) break;
      for (const p of batch) {
        this.pending.delete(p.key);
        this.inFlight.add(p.key);
      }
      this.flushes++;
      void this.send(batch).finally(() => {
        this.flushes--;
        for (const p of batch) this.inFlight.delete(p.key);
        if (this.pending.size) this.schedule();
        if (!this.pending.size && !this.flushes) for (const done of this.idle.splice(0)) done();
      });
    }
  }

  private async send(batch: Pending[]): Promise<void> {
    const byTenant = new Map<string, Pending[]>();
    for (const p of batch) {
      const l = byTenant.get(p.tenant);
      if (l) l.push(p);
      else byTenant.set(p.tenant, [p]);
    }
    for (const [tenant, entries] of byTenant) {
      let outcome: FlushOutcome | undefined;
      let lastError: unknown;
      for (let attempt = 1; attempt <= this.opts.attempts && !outcome; attempt++) {
        try {
          outcome = await this.sink(
            tenant,
            entries.map((p) => ({ tenant, id: p.id, type: p.type, attrs: p.attrs })),
          );
        } catch (err) {
          lastError = err;
          if (attempt < this.opts.attempts) await new Promise((r) => setTimeout(r, this.opts.retryDelayMs * attempt));
        }
      }
      if (!outcome) {
        this.events.error(lastError);
        for (const p of entries) {
          this.events.failed(p.messages, 'hub unavailable');
          for (const w of p.waiters ?? []) w.reject(lastError instanceof Error ? lastError : new Error(String(lastError)));
        }
        continue;
      }
      const failed = new Map(outcome.failed.map((f) => [f.id, f.reason]));
      for (const p of entries) {
        const reason = failed.get(p.id);
        if (reason === undefined) {
          this.events.committed(p.messages, p.values);
          for (const w of p.waiters ?? []) w.resolve();
        } else {
          this.events.failed(p.messages, reason);
          for (const w of p.waiters ?? []) w.reject(new Error(reason));
        }
      }
    }
  }

  /** Flushes everything now and resolves when nothing is pending or in flight. */
  async drain(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (!this.pending.size && !this.flushes) return;
    const done = new Promise<void>((r) => this.idle.push(r));
    this.flush();
    return done;
  }

  /** Stops accepting new entities and drains. */
  async close(): Promise<void> {
    this.closed = true;
    await this.drain();
  }
}
