/**
 * Delivers the notification outbox: one in-memory queue per endpoint, fed right after each commit
 * (fast path) and from the table at start-up or when a queue outgrew memory (the table is the truth:
 * a row is deleted only after its receiver acknowledged it, so a crash re-sends, never loses).
 *
 * Per endpoint: up to `concurrency` sends in flight, one per subscription (so one subscription's
 * notifications arrive in commit order), exponential backoff with jitter after a failure. Endpoints
 * never wait for each other. A subscription with a backlog gets its pending changes in one
 * notification (data[] in order, up to `maxBatch`); a throttled one gets the latest state of each
 * entity once its window opens (coalescing).
 */
import type { Db } from '../../platform/db/db.ts';
import type { Logger } from '../../platform/log.ts';
import type { EndpointDoc, SubscriptionDoc } from './model.ts';
import { mergePayloads, notificationMessage } from './notification.ts';
import { subscriptionKey, type OutboxRow, type StatusDelta, type SubscriptionStore } from './store.ts';
import type { Transport } from './transports.ts';

export interface DispatcherOptions {
  /** Sends in flight per endpoint. */
  concurrency: number;
  baseBackoffMs: number;
  maxBackoffMs: number;
  /** Consecutive failed attempts after which a subscription's notification status is "failed". */
  failuresBeforeFailed: number;
  /** Rows held in memory per endpoint; beyond, they wait in the table. */
  maxQueued: number;
  /** Rows per notification for a subscription with a backlog. */
  maxBatch: number;
  /**
   * How often acknowledged rows are deleted and counters written (one transaction: one WAL flush that
   * competes with the entity writes' commits). Reads see unflushed counters at once; a crash re-sends
   * at most this window's delivered notifications (delivery is at-least-once anyway).
   */
  flushEveryMs: number;
  /** How often the table is checked for rows no queue holds (a safety net; the fast path covers commits). */
  sweepEveryMs: number;
}

export const DEFAULT_DISPATCHER_OPTIONS: DispatcherOptions = {
  concurrency: 16,
  baseBackoffMs: 200,
  maxBackoffMs: 30_000,
  failuresBeforeFailed: 3,
  maxQueued: 10_000,
  maxBatch: 100,
  flushEveryMs: 250,
  sweepEveryMs: 30_000,
};

/** What the dispatcher needs to know about a subscription at send time. */
export interface DeliveryTarget {
  doc: SubscriptionDoc;
  context: unknown;
}

export interface QueuedRow extends OutboxRow {
  /** The subscription's throttling, ms (0 = none), known when the row was queued. */
  throttleMs: number;
}

export interface DispatcherDeps {
  db: Db;
  store: SubscriptionStore;
  lookup(tenant: string, id: string): Promise<DeliveryTarget | undefined>;
  transports: { http: Transport; mqtt: Transport };
  log: Logger;
  now?: () => number;
  random?: () => number;
}

class EndpointQueue {
  rows: QueuedRow[] = [];
  inFlight = 0;
  readonly busy = new Set<string>();
  failures = 0;
  retryAt = 0;
  /** Rows with id > cursor may be in the table only. */
  spilled = false;
  cursor = 0;
  maxId = 0;
  loading = false;
  side: QueuedRow[] = [];
  timer?: NodeJS.Timeout;
  timerAt = 0;
  constructor(readonly key: string) {}
}


/** How long a committed status flush is remembered for reads sent before it committed. */
const FLUSH_MEMORY_MS = 10_000;

interface StatusFlush {
  deltas: Map<string, StatusDelta>;
  /** Each row's status_seq after this flush (once its UPDATE ran), by subscriptionKey. */
  seqs?: Map<string, number>;
  committedAt?: number;
}

/** `later` applied after `earlier`: counters add up, later flags and times win. */
function mergeDelta(earlier: StatusDelta, later: StatusDelta): StatusDelta {
  return {
    tenant: earlier.tenant,
    id: earlier.id,
    sent: earlier.sent + later.sent,
    failed: earlier.failed + later.failed,
    lastNotification: later.lastNotification ?? earlier.lastNotification,
    lastSuccess: later.lastSuccess ?? earlier.lastSuccess,
    lastFailure: later.lastFailure ?? earlier.lastFailure,
    failing: later.failing ?? earlier.failing,
  };
}
const RECENT_MAX = 100_000;

export class Dispatcher {
  private readonly queues = new Map<string, EndpointQueue>();
  /** Rows held in a queue or being sent. */
  private readonly known = new Set<number>();
  /** Rows acknowledged recently (a late fast-path call must not queue them again). */
  private readonly recent = new Set<number>();
  private toDelete: number[] = [];
  private readonly status = new Map<string, StatusDelta>();
  /**
   * Flushes being written or written lately: their deltas and, once their UPDATE ran, each row's new
   * `status_seq`. A read whose row shows a lower count has not seen that flush yet (it may have been sent
   * before the commit and answered after it), so pendingStatus adds it.
   */
  private flushes: StatusFlush[] = [];
  private readonly subFailures = new Map<string, number>();
  private readonly lastSent = new Map<string, number>();
  private readonly sending = new Set<Promise<void>>();
  private flushTimer?: NodeJS.Timeout;
  private sweepTimer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private stopped = true;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(
    private readonly deps: DispatcherDeps,
    private readonly opts: DispatcherOptions = DEFAULT_DISPATCHER_OPTIONS,
  ) {
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
  }

  /** Resumes what the table holds (rows left by a crash or a stop) and starts the timers. */
  async start(): Promise<void> {
    this.stopped = false;
    for (const endpoint of await this.deps.store.pendingEndpoints(this.deps.db)) {
      const q = this.queue(endpoint);
      q.spilled = true;
      void this.reload(q);
    }
    this.flushTimer = setInterval(() => void this.flush(), this.opts.flushEveryMs);
    this.flushTimer.unref();
    this.sweepTimer = setInterval(() => void this.sweep(), this.opts.sweepEveryMs);
    this.sweepTimer.unref();
  }

  /** Stops sending (in-flight sends are abandoned, their rows stay in the table) and writes what is pending. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.flushTimer);
    clearInterval(this.sweepTimer);
    for (const q of this.queues.values()) clearTimeout(q.timer);
    await Promise.race([Promise.allSettled([...this.sending]), new Promise((r) => setTimeout(r, 1000))]);
    await this.flush();
  }

  /** Rows committed just now (the fast path): queued without reading them back. */
  enqueue(rows: QueuedRow[]): void {
    const touched = new Set<EndpointQueue>();
    for (const r of rows) {
      const q = this.queue(r.endpoint);
      this.offer(q, r);
      touched.add(q);
    }
    for (const q of touched) this.pump(q);
  }

  /**
   * Status changes of one subscription that the row read (holding `statusSeq` flushes) does not show:
   * those of the flushes it has not seen, then the unflushed ones. Without the flushes, a read during a
   * flush's transaction saw a recovered subscription as still failed.
   */
  pendingStatus(tenant: string, id: string, statusSeq = 0): StatusDelta | undefined {
    const key = subscriptionKey(tenant, id);
    let out: StatusDelta | undefined;
    const add = (d: StatusDelta) => {
      out = out ? mergeDelta(out, d) : { ...d };
    };
    for (const f of this.flushes) {
      const d = f.deltas.get(key);
      const seq = f.seqs?.get(key);
      if (d && (seq === undefined || statusSeq < seq)) add(d);
    }
    const latest = this.status.get(key);
    if (latest) add(latest);
    return out;
  }

  /** Forgets a deleted subscription's queued rows (the table rows are deleted with it). */
  forget(tenant: string, id: string): void {
    const key = subscriptionKey(tenant, id);
    for (const q of this.queues.values()) {
      q.rows = q.rows.filter((r) => {
        if (subscriptionKey(r.tenant, r.subscriptionId) !== key) return true;
        this.known.delete(r.id);
        return false;
      });
    }
    this.status.delete(key);
    for (const f of this.flushes) f.deltas.delete(key);
    this.subFailures.delete(key);
    this.lastSent.delete(key);
  }

  /** Queue sizes per endpoint (for diagnostics and tests). */
  backlog(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, q] of this.queues) out[k] = q.rows.length + q.inFlight;
    return out;
  }

  private queue(endpoint: string): EndpointQueue {
    let q = this.queues.get(endpoint);
    if (!q) {
      q = new EndpointQueue(endpoint);
      this.queues.set(endpoint, q);
    }
    return q;
  }

  private offer(q: EndpointQueue, r: QueuedRow): void {
    if (this.known.has(r.id) || this.recent.has(r.id)) return;
    if (q.loading) {
      q.side.push(r);
      return;
    }
    if (q.spilled && r.id > q.cursor) return;
    if (q.rows.length >= this.opts.maxQueued) {
      // Too much for memory: from here on the table holds the tail, read back as the queue drains.
      q.spilled = true;
      q.cursor = Math.max(q.cursor, q.maxId);
      if (r.id > q.cursor) return;
    }
    this.known.add(r.id);
    q.maxId = Math.max(q.maxId, r.id);
    // Keep id order (commits of concurrent transactions may reach us out of order).
    let i = q.rows.length;
    while (i > 0 && q.rows[i - 1].id > r.id) i--;
    q.rows.splice(i, 0, r);
  }

  private async reload(q: EndpointQueue): Promise<void> {
    if (this.stopped || !q.spilled || q.loading || q.rows.length > this.opts.maxQueued / 2) return;
    q.loading = true;
    let ok = true;
    try {
      const rows = await this.deps.store.loadOutbox(this.deps.db, q.key, q.cursor, this.opts.maxQueued);
      const throttles = new Map<string, number>();
      for (const r of rows) {
        const key = subscriptionKey(r.tenant, r.subscriptionId);
        if (!throttles.has(key)) {
          const target = await this.deps.lookup(r.tenant, r.subscriptionId);
          throttles.set(key, (target?.doc.throttling ?? 0) * 1000);
        }
      }
      q.loading = false;
      // Move the cursor first: the rows just read are at or below it, so offer() takes them.
      if (rows.length) q.cursor = Math.max(q.cursor, rows[rows.length - 1].id);
      for (const r of rows) this.offer(q, { ...r, throttleMs: throttles.get(subscriptionKey(r.tenant, r.subscriptionId))! });
      if (rows.length < this.opts.maxQueued) q.spilled = false;
    } catch (err) {
      ok = false;
      this.deps.log.error({ err, endpoint: q.key }, 'loading the notification outbox failed');
    } finally {
      q.loading = false;
      const side = q.side;
      q.side = [];
      for (const r of side) this.offer(q, r);
    }
    if (!ok) this.schedule(q, this.now() + 1000);
    this.pump(q);
  }

  private schedule(q: EndpointQueue, at: number): void {
    if (this.stopped) return;
    if (q.timer && q.timerAt <= at) return;
    clearTimeout(q.timer);
    q.timerAt = at;
    q.timer = setTimeout(() => {
      q.timer = undefined;
      q.timerAt = 0;
      if (q.spilled) void this.reload(q);
      this.pump(q);
    }, Math.max(0, at - this.now()));
    q.timer.unref();
  }

  private pump(q: EndpointQueue): void {
    if (this.stopped) return;
    const now = this.now();
    if (now < q.retryAt) {
      this.schedule(q, q.retryAt);
      return;
    }
    while (q.inFlight < this.opts.concurrency) {
      const pick = this.pick(q, now);
      if (!pick.rows) {
        if (pick.waitUntil !== undefined) this.schedule(q, pick.waitUntil);
        break;
      }
      const taken = new Set(pick.rows);
      q.rows = q.rows.filter((r) => !taken.has(r));
      q.inFlight++;
      q.busy.add(pick.key);
      const p = this.deliver(q, pick.rows, pick.coalesce).finally(() => {
        this.sending.delete(p);
        q.inFlight--;
        q.busy.delete(pick.key);
        this.pump(q);
      });
      this.sending.add(p);
    }
    if (q.spilled && q.rows.length <= this.opts.maxQueued / 2) void this.reload(q);
  }

  /** The next rows to send: the oldest subscription that is neither busy nor inside its throttling window. */
  private pick(q: EndpointQueue, now: number): { rows?: QueuedRow[]; key: string; coalesce: boolean; waitUntil?: number } {
    const blocked = new Set<string>();
    let waitUntil: number | undefined;
    for (const r of q.rows) {
      const key = subscriptionKey(r.tenant, r.subscriptionId);
      if (blocked.has(key)) continue;
      if (q.busy.has(key)) {
        blocked.add(key);
        continue;
      }
      if (r.throttleMs > 0) {
        const opens = (this.lastSent.get(key) ?? -Infinity) + r.throttleMs;
        if (now < opens) {
          waitUntil = Math.min(waitUntil ?? Infinity, opens);
          blocked.add(key);
          continue;
        }
      }
      const rows: QueuedRow[] = [];
      for (const x of q.rows) {
        if (x.tenant === r.tenant && x.subscriptionId === r.subscriptionId) rows.push(x);
        if (rows.length >= this.opts.maxBatch) break;
      }
      return { rows, key, coalesce: r.throttleMs > 0 };
    }
    return { key: '', coalesce: false, waitUntil };
  }

  private transport(endpoint: EndpointDoc): Transport {
    return endpoint.uri.startsWith('mqtt') ? this.deps.transports.mqtt : this.deps.transports.http;
  }

  private async deliver(q: EndpointQueue, rows: QueuedRow[], coalesce: boolean): Promise<void> {
    const { tenant, subscriptionId } = rows[0];
    const key = subscriptionKey(tenant, subscriptionId);
    let target: DeliveryTarget | undefined;
    try {
      target = await this.deps.lookup(tenant, subscriptionId);
    } catch (err) {
      this.deps.log.error({ err }, 'subscription lookup failed');
      this.requeue(q, rows);
      q.retryAt = this.now() + 1000;
      return;
    }
    if (!target) {
      // The subscription was deleted: its notifications go with it.
      this.done(rows);
      return;
    }
    const startedAt = this.now();
    this.lastSent.set(key, startedAt);
    const notifiedAt = new Date(startedAt).toISOString();
    const message = notificationMessage(target.doc, target.context, mergePayloads(rows.map((r) => r.payload), coalesce), notifiedAt);
    try {
      await this.transport(target.doc.notification.endpoint).send(target.doc.notification.endpoint, message);
      if (this.stopped) return;
      q.failures = 0;
      this.subFailures.delete(key);
      this.record(tenant, subscriptionId, { sent: 1, failed: 0, lastNotification: notifiedAt, lastSuccess: notifiedAt, failing: false });
      this.done(rows);
    } catch (err) {
      if (this.stopped) return;
      q.failures++;
      const n = (this.subFailures.get(key) ?? 0) + 1;
      this.subFailures.set(key, n);
      this.record(tenant, subscriptionId, {
        sent: 1,
        failed: 1,
        lastNotification: notifiedAt,
        lastFailure: notifiedAt,
        failing: n >= this.opts.failuresBeforeFailed ? true : undefined,
      });
      this.requeue(q, rows);
      q.retryAt = Math.max(q.retryAt, this.now() + this.backoff(q.failures));
      this.deps.log.debug({ endpoint: q.key, subscriptionId, failures: n, err: (err as Error).message }, 'notification failed; will retry');
    }
  }

  /** Equal jitter: half the exponential delay fixed, half random (so failing endpoints do not retry in step). */
  private backoff(failures: number): number {
    const cap = Math.min(this.opts.maxBackoffMs, this.opts.baseBackoffMs * 2 ** Math.min(failures - 1, 30));
    return cap / 2 + this.random() * (cap / 2);
  }

  private requeue(q: EndpointQueue, rows: QueuedRow[]): void {
    for (const r of [...rows].reverse()) {
      let i = 0;
      while (i < q.rows.length && q.rows[i].id < r.id) i++;
      q.rows.splice(i, 0, r);
    }
  }

  private done(rows: QueuedRow[]): void {
    for (const r of rows) {
      this.known.delete(r.id);
      this.recent.add(r.id);
      this.toDelete.push(r.id);
    }
    if (this.recent.size > RECENT_MAX) {
      let drop = this.recent.size - RECENT_MAX / 2;
      for (const id of this.recent) {
        if (drop-- <= 0) break;
        this.recent.delete(id);
      }
    }
  }

  private record(tenant: string, id: string, d: Omit<StatusDelta, 'tenant' | 'id'>): void {
    const key = subscriptionKey(tenant, id);
    const cur = this.status.get(key);
    const next = { ...d, tenant, id };
    this.status.set(key, cur ? mergeDelta(cur, next) : next);
  }

  /** Deletes acknowledged rows and writes counters, in one transaction. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (!this.toDelete.length && !this.status.size) return Promise.resolve();
    this.flushing = (async () => {
      const ids = this.toDelete;
      this.toDelete = [];
      const now = this.now();
      // A flush is kept for reads a while after it committed: a read sent before the commit may be answered later.
      this.flushes = this.flushes.filter((f) => f.committedAt === undefined || now - f.committedAt < FLUSH_MEMORY_MS);
      const flush: StatusFlush = { deltas: new Map(this.status) };
      this.flushes.push(flush);
      this.status.clear();
      try {
        await this.deps.db.transaction(async (tx) => {
          await this.deps.store.deleteFromOutbox(tx, ids);
          flush.seqs = await this.deps.store.applyStatus(tx, [...flush.deltas.values()]);
        });
        flush.committedAt = this.now();
      } catch (err) {
        this.flushes = this.flushes.filter((f) => f !== flush);
        this.toDelete.push(...ids);
        // Back in front of what was recorded meanwhile (older counters add up, newer flags and times win);
        // a subscription deleted meanwhile was forgotten from the flush too.
        const newer = [...this.status.values()];
        this.status.clear();
        for (const d of [...flush.deltas.values(), ...newer]) this.record(d.tenant, d.id, d);
        this.deps.log.error({ err }, 'writing delivered notifications and counters failed');
      }
    })().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Rows older than a sweep period that no queue holds (a fast-path call that never came): read them back. */
  private async sweep(): Promise<void> {
    if (this.stopped) return;
    try {
      for (const { endpoint, minId } of await this.deps.store.oldestPending(this.deps.db, this.opts.sweepEveryMs)) {
        if (this.known.has(minId) || this.recent.has(minId) || this.toDelete.includes(minId)) continue;
        const q = this.queue(endpoint);
        q.cursor = q.spilled ? Math.min(q.cursor, minId - 1) : minId - 1;
        q.spilled = true;
        void this.reload(q);
      }
    } catch (err) {
      this.deps.log.error({ err }, 'outbox sweep failed');
    }
  }
}
