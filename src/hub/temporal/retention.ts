import type { Db } from '../../platform/db/db.ts';
import type { TemporalStore } from './store.ts';

export interface RetentionOptions {
  /** Instances older than this many days are removed; 0 keeps everything. */
  days: number;
  clock?: () => Date;
  /** Between two runs (default one hour). */
  intervalMs?: number;
  onError?: (err: unknown) => void;
}

const DAY_MS = 86_400_000;

/**
 * The history's upkeep: creates this month's and next month's partitions ahead of the writers, drops
 * whole partitions older than the retention period and deletes the older rows of the boundary partition.
 */
export class RetentionJob {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly db: Db,
    private readonly store: TemporalStore,
    private readonly opts: RetentionOptions,
  ) {}

  /** One pass; returns the partitions dropped and the rows deleted. */
  async runOnce(): Promise<{ dropped: string[]; deleted: number }> {
    const now = (this.opts.clock ?? (() => new Date()))().getTime();
    const d = new Date(now);
    const nextMonth = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    await this.db.transaction((tx) => this.store.ensurePartitions(tx, [now, nextMonth]));
    if (this.opts.days <= 0) return { dropped: [], deleted: 0 };
    const cutoff = now - this.opts.days * DAY_MS;
    const dropped: string[] = [];
    for (const p of await this.store.listPartitions(this.db)) {
      if (p.to > cutoff) continue;
      await this.db.transaction((tx) => this.store.dropPartition(tx, p.name));
      dropped.push(p.name);
    }
    const deleted = await this.db.transaction((tx) => this.store.deleteBefore(tx, cutoff));
    return { dropped, deleted };
  }

  start(): void {
    const tick = () => {
      this.running = this.runOnce().catch((err) => this.opts.onError?.(err));
    };
    tick();
    this.timer = setInterval(tick, this.opts.intervalMs ?? 3_600_000);
    this.timer.unref();
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
