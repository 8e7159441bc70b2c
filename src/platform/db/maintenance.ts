import type { Logger } from '../log.ts';
import type { Db } from './db.ts';

interface Churn {
  changed: number;
  deadMaking: number;
}

/**
 * Keeps planner statistics fresh and dead rows reclaimed. PostgreSQL's autovacuum does this in the
 * background but reacts late after a bulk load (queries then plan without statistics: a type+q query
 * went from ~2 ms to ~95 ms); PGlite has no autovacuum at all, so without this its tables bloat and
 * its WAL grows. Writers report their churn with `note()`; a tick runs ANALYZE (both drivers) and, on
 * PGlite, VACUUM and CHECKPOINT when enough has changed.
 */
export class DbMaintenance {
  private readonly churn = new Map<string, Churn>();
  private readonly sizes = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly log?: Logger,
    private readonly opts: { intervalMs?: number; minRows?: number } = {},
  ) {}

  /** `changed` rows inserted/updated/deleted; `deadMaking` of them left a dead row (updates, deletes). */
  note(table: string, changed: number, deadMaking = 0): void {
    const c = this.churn.get(table) ?? { changed: 0, deadMaking: 0 };
    c.changed += changed;
    c.deadMaking += deadMaking;
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
    let vacuumed = false;
    for (const [table, c] of [...this.churn]) {
      const size = this.sizes.get(table) ?? 0;
      const analyze = c.changed >= minRows && c.changed >= 0.1 * size;
      const vacuum = this.db.driver === 'pglite' && c.deadMaking >= 2 * minRows && c.deadMaking >= 0.2 * size;
      if (!analyze && !vacuum) continue;
      if (!/^[a-z_][a-z0-9_]*$/.test(table)) continue;
      this.churn.delete(table);
      try {
        const started = Date.now();
        await this.db.exec(vacuum ? `VACUUM (ANALYZE) ${table}` : `ANALYZE ${table}`);
        vacuumed ||= vacuum;
        const r = await this.db.query<{ n: number }>('SELECT reltuples::float8 AS n FROM pg_class WHERE relname = $1', [table]);
        this.sizes.set(table, Math.max(0, r.rows[0]?.n ?? 0));
        this.log?.debug({ table, vacuum, ms: Date.now() - started }, 'table maintenance');
      } catch (err) {
        this.log?.warn({ err, table }, 'table maintenance failed');
      }
    }
    // PGlite has no checkpointer process: recycle WAL after vacuuming.
    if (vacuumed) await this.db.exec('CHECKPOINT').catch(() => undefined);
  }
}
