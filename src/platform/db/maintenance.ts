import type { Logger } from '../log.ts';
import type { Db } from './db.ts';

/** How writers report churn: `changed` rows written, `deadMaking` of them leaving a dead row (see `note`). */
export type ChurnReport = (table: string, changed: number, deadMaking: number) => void;

interface Churn {
  changed: number;
  deadMaking: number;
  /** Rows added (changed without a dead row) since the last analyze. */
  grown: number;
}

/**
 * Keeps planner statistics fresh and dead rows reclaimed. PostgreSQL's autovacuum does this in the
 * background but reacts late after a bulk load (queries then plan without statistics: a type+q query
 * went from ~2 ms to ~95 ms); PGlite has no autovacuum at all, so without this its tables bloat and
 * its WAL grows. Writers report their churn with `note()`; a tick runs ANALYZE (both drivers) and, on
 * PGlite, VACUUM and CHECKPOINT when enough has changed.
 *
 * On PGlite every statement waits for these (one connection), so they are paced like PostgreSQL's own
 * background workers: a table is vacuumed at most once a minute (updates that stay on their page are
 * pruned without it), and a CHECKPOINT runs when 256 MB of WAL were written since the last one, or after
 * five minutes with any. Vacuum and checkpoint every 10 s held a 500 updates/s notification load for
 * 60-280 ms each time, which was the notifications' p99 on PGlite.
 */
export class DbMaintenance {
  private readonly churn = new Map<string, Churn>();
  private readonly sizes = new Map<string, number>();
  private readonly lastVacuum = new Map<string, number>();
  private readonly lastAnalyze = new Map<string, number>();
  private lastCheckpoint: { at: number; walBytes: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly log?: Logger,
    private readonly opts: {
      intervalMs?: number;
      minRows?: number;
      /** PGlite: least time between two vacuums, or two analyzes for updates and deletes, of one table (default 60 s). */
      vacuumEveryMs?: number;
      /** PGlite: WAL written that calls for a checkpoint (default 256 MB)... */
      checkpointWalBytes?: number;
      /** ...or time after which any WAL written does (default 5 min). */
      checkpointEveryMs?: number;
      now?: () => number;
    } = {},
  ) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /** `changed` rows inserted/updated/deleted; `deadMaking` of them left a dead row (updates, deletes). */
  note(table: string, changed: number, deadMaking = 0): void {
    const c = this.churn.get(table) ?? { changed: 0, deadMaking: 0, grown: 0 };
    c.changed += changed;
    c.deadMaking += deadMaking;
    c.grown += Math.max(0, changed - deadMaking);
    this.churn.set(table, c);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.opts.intervalMs ?? 10_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One maintenance pass (exposed for tests and for after bulk loads). */
  tick(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    const minRows = this.opts.minRows ?? 500;
    const pglite = this.db.driver === 'pglite';
    const now = this.now();
    const every = this.opts.vacuumEveryMs ?? 60_000;
    for (const [table, c] of [...this.churn]) {
      if (!/^[a-z_][a-z0-9_]*$/.test(table)) continue;
      const size = await this.size(table);
      const enough = (n: number) => n >= minRows && n >= 0.1 * size;
      // On PGlite an ANALYZE holds every statement too (30-70 ms for a notification load's tables every
      // 10 s): a table that grew is analyzed at once (the planner must learn its size), one that was only
      // updated or deleted from at most once a minute, like its vacuum.
      const analyze = enough(c.changed) && (!pglite || enough(c.grown) || now - (this.lastAnalyze.get(table) ?? -Infinity) >= every);
      const vacuum = pglite && c.deadMaking >= 2 * minRows && c.deadMaking >= 0.2 * size && now - (this.lastVacuum.get(table) ?? -Infinity) >= every;
      if (!analyze && !vacuum) continue;
      // A vacuum not due yet keeps its count of dead rows for a later tick.
      if (vacuum) this.churn.delete(table);
      else this.churn.set(table, { changed: 0, deadMaking: c.deadMaking, grown: 0 });
      try {
        const started = Date.now();
        await this.db.exec(vacuum ? `VACUUM (ANALYZE) ${table}` : `ANALYZE ${table}`);
        if (vacuum) this.lastVacuum.set(table, now);
        this.lastAnalyze.set(table, now);
        this.sizes.set(table, await this.plannedRows(table));
        this.log?.debug({ table, vacuum, ms: Date.now() - started }, 'table maintenance');
      } catch (err) {
        this.log?.warn({ err, table }, 'table maintenance failed');
      }
    }
    // PGlite has no checkpointer process: recycle WAL the way its settings would.
    if (pglite) await this.checkpointIfDue(now);
  }

  /**
   * The table's size as the planner knows it. A server that restarts learns it from the catalogue, so 500
   * rows written into a table of 100,000 do not count as a bulk load (its first tick had run ANALYZE on
   * every table written to: 1.6 s of a PostgreSQL backend on the benchmark's store, while it served).
   */
  private async size(table: string): Promise<number> {
    let n = this.sizes.get(table);
    if (n === undefined) {
      n = await this.plannedRows(table).catch(() => 0);
      this.sizes.set(table, n);
    }
    return n;
  }

  /** pg_class.reltuples: -1 (never analyzed) counts as empty. */
  private async plannedRows(table: string): Promise<number> {
    const r = await this.db.query<{ n: number }>('SELECT reltuples::float8 AS n FROM pg_class WHERE relname = $1', [table]);
    return Math.max(0, r.rows[0]?.n ?? 0);
  }

  private async checkpointIfDue(now: number): Promise<void> {
    try {
      const walBytes = await this.walPosition();
      const last = (this.lastCheckpoint ??= { at: now, walBytes });
      const written = walBytes - last.walBytes;
      const due = written >= (this.opts.checkpointWalBytes ?? 256 * 2 ** 20) || (written > 0 && now - last.at >= (this.opts.checkpointEveryMs ?? 300_000));
      if (!due) return;
      const started = Date.now();
      await this.db.exec('CHECKPOINT');
      this.lastCheckpoint = { at: now, walBytes: await this.walPosition() };
      this.log?.debug({ walBytes: written, ms: Date.now() - started }, 'checkpoint');
    } catch (err) {
      this.log?.warn({ err }, 'checkpoint failed');
    }
  }

  /** Bytes of WAL written since the cluster began (its current position). */
  private async walPosition(): Promise<number> {
    const r = await this.db.query<{ b: number }>("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::float8 AS b");
    return r.rows[0].b;
  }
}
