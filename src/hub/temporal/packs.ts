/**
 * Day packs: the simplified representation's values of one series (entity, attribute, datasetId) for one
 * closed UTC day, in one row (hub_temporal_packs). A 24 h read of 1,000 sensors then reads 1,000 rows
 * instead of ~100,000 instances: in the embedded PGlite, which runs one statement at a time, that read took
 * ~500 ms of SQL and now takes ~50.
 *
 * Packs are a cache of the rows, which stay the truth; a missing pack only means "read the rows". So the
 * one rule is that a pack is never stale:
 * - The packer (PackJob) packs days that closed at least PACK_MARGIN_MS ago, in batches of series, each
 *   batch a transaction holding the pack lock.
 * - Every write of an instance into a day that has closed by the writer's clock (late data, instance
 *   modification or deletion) rebuilds that day's pack in the writing transaction, after the write and
 *   under the same lock. If the packer read the rows before the write committed, the writer waited for its
 *   lock and replaces the pack; if the writer held the lock first, the packer's statement starts after the
 *   write committed and sees it. Writes into today never touch packs: no pack exists for today, and the
 *   margin covers clocks of several processes up to an hour apart.
 * - Deletes of entities, attributes and retention delete the packs with the rows, under the same lock
 *   (else a pack the packer was inserting, not committed yet, would outlive its rows).
 * Reads use packs for temporalValues ordered by observedAt (not lastN, not createdAt/modifiedAt): the
 * window's values come from the packs it overlaps (cut to the window) and from rows for the rest, both
 * read in one snapshot. A day holding several attribute types is always read from rows.
 */
import type { Db } from '../../platform/db/db.ts';
import { DAY_MS, seriesKey, type SeriesDay, type SeriesPacks, type SeriesKey, type SeriesRange, type TemporalStore, type ValueSeriesRow } from './store.ts';
import type { TemporalQuery } from './temporal-query.ts';

/** How long after midnight UTC a day may be packed. */
export const PACK_MARGIN_MS = 3_600_000;

export const dayOf = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;

/** Days before this instant may have packs; later ones never do. */
export const packHorizon = (nowMs: number) => dayOf(nowMs - PACK_MARGIN_MS);

/** The distinct series days of these instances (time as epoch ms or ISO) that have closed by `nowMs`: their packs are rebuilt. */
export function closedDays(items: Iterable<{ entityId: string; attr: string; datasetId: string; ts: number | string }>, nowMs: number): SeriesDay[] {
  const today = dayOf(nowMs);
  const out = new Map<string, SeriesDay>();
  for (const i of items) {
    const ts = typeof i.ts === 'string' ? Date.parse(i.ts) : i.ts;
    if (!(ts < today)) continue;
    const day = dayOf(ts);
    out.set(`${seriesKey(i)}\u0001${day}`, { entityId: i.entityId, attr: i.attr, datasetId: i.datasetId, day });
  }
  return [...out.values()];
}

/** A query's time window as [from, to) in epoch ms (±Infinity when open); `after` excludes `from` itself. */
export function queryWindow(tq: TemporalQuery): { from: number; to: number } {
  switch (tq.timerel) {
    case 'before':
      return { from: -Infinity, to: tq.timeAt! };
    case 'after':
      return { from: tq.timeAt!, to: Infinity };
    case 'between':
      return { from: tq.timeAt!, to: tq.endTimeAt! };
    default:
      return { from: -Infinity, to: Infinity };
  }
}

function inWindow(tq: TemporalQuery, t: number): boolean {
  switch (tq.timerel) {
    case 'before':
      return t < tq.timeAt!;
    case 'after':
      return t > tq.timeAt!;
    case 'between':
      return t >= tq.timeAt! && t < tq.endTimeAt!;
    default:
      return true;
  }
}

interface Segment {
  from: number;
  kind: string;
  /** Values read from rows, or from a pack cut to the window. */
  values?: [unknown, number][];
  /** A whole pack, unparsed. */
  whole?: { json: string; n: number };
}

const valuesOf = (json: string) => (JSON.parse(json) as [unknown, string][]).map(([v, t]) => [v, Date.parse(t)] as [unknown, number]);

/**
 * A read served from packs where they exist: each series' values from its packs, and the ranges of the
 * window that its packs do not cover (all of it for a series without packs), to be read from rows
 * (valueSeriesInRanges) and merged in. A series made only of whole packs keeps them as JSON text.
 */
export class PackedRead {
  private readonly series = new Map<string, { key: SeriesRange; segments: Segment[] }>();
  /** Ranges of the series that no pack covers. */
  readonly ranges: SeriesRange[] = [];

  constructor(rows: SeriesPacks[], tq: TemporalQuery) {
    const window = queryWindow(tq);
    for (const r of rows) {
      const k = seriesKey(r);
      let s = this.series.get(k);
      if (!s) this.series.set(k, (s = { key: { entityId: r.entityId, attr: r.attr, datasetId: r.datasetId, from: 0, to: 0 }, segments: [] }));
      const p = r.pack;
      // A day holding several attribute types is read from rows: a pack knows its values' types only as a whole.
      if (!p || p.mixed) continue;
      const inside = p.day >= window.from && p.day + DAY_MS <= window.to && (tq.timerel !== 'after' || p.day > window.from);
      // Only the window's edge days are parsed and cut; the days inside it are taken whole.
      if (inside) s.segments.push({ from: p.day, kind: p.kind, whole: { json: p.vals, n: p.n } });
      else s.segments.push({ from: p.day, kind: p.kind, values: valuesOf(p.vals).filter((v) => inWindow(tq, v[1])) });
    }
    for (const s of this.series.values()) {
      s.segments.sort((a, b) => a.from - b.from);
      let cursor = window.from;
      for (const seg of s.segments) {
        if (seg.from > cursor) this.ranges.push({ ...s.key, from: cursor, to: seg.from });
        cursor = Math.max(cursor, seg.from + DAY_MS);
      }
      if (cursor < window.to) this.ranges.push({ ...s.key, from: cursor, to: window.to });
    }
  }

  /**
   * The series' values with the rows read for their ranges merged in: the first `limit` of each, oldest
   * first. A series of whole packs only, all of one kind and fewer than `limit` values, comes as `packed`
   * JSON text (the answer splices it in; materialize() turns it into values when paging must cut it).
   */
  merge(rows: (ValueSeriesRow & { from: number })[], limit: number): ValueSeriesRow[] {
    for (const r of rows) this.series.get(seriesKey(r))?.segments.push({ from: r.from, kind: r.kind, values: r.values });
    const out: ValueSeriesRow[] = [];
    for (const { key, segments } of this.series.values()) {
      const present = segments.filter((seg) => (seg.whole ? seg.whole.n > 0 : seg.values!.length > 0)).sort((a, b) => a.from - b.from);
      if (!present.length) continue;
      const greatest = (segs: Segment[]) => segs.reduce((k, seg) => (seg.kind > k ? seg.kind : k), '');
      const kind = greatest(present);
      const whole = present.every((seg) => seg.whole && seg.kind === kind) && kind !== 'VocabProperty';
      const n = whole ? present.reduce((sum, seg) => sum + seg.whole!.n, 0) : 0;
      if (whole && n < limit) {
        const json = present.length === 1 ? present[0].whole!.json : `[${present.map((seg) => seg.whole!.json.slice(1, -1)).join(', ')}]`;
        out.push({ entityId: key.entityId, attr: key.attr, datasetId: key.datasetId, kind, values: [], packed: { json, n } });
        continue;
      }
      // The type is the greatest of the segments that gave values within the limit, as rows compute it.
      const values: [unknown, number][] = [];
      const used: Segment[] = [];
      for (const seg of present) {
        if (values.length >= limit) break;
        used.push(seg);
        for (const v of seg.values ?? valuesOf(seg.whole!.json)) {
          if (values.length >= limit) break;
          values.push(v);
        }
      }
      out.push({ entityId: key.entityId, attr: key.attr, datasetId: key.datasetId, kind: greatest(used), values });
    }
    return out;
  }

  /** Whether packs can serve this query at all. */
  static applies(tq: TemporalQuery, nowMs: number): boolean {
    return tq.format === 'temporalValues' && tq.timeproperty === 'observedAt' && tq.lastN === undefined && queryWindow(tq).from < packHorizon(nowMs);
  }
}

/** Turns a series' packed JSON into values (when paging has to cut it). */
export function materialize(s: ValueSeriesRow): void {
  if (!s.packed) return;
  s.values = valuesOf(s.packed.json);
  s.packed = undefined;
}

export interface PackJobOptions {
  clock?: () => Date;
  /** Between two runs (default 10 minutes: a day closes once a day, late writes repack themselves). */
  intervalMs?: number;
  /** Series per statement (default 100: ~10,000 instances, a few hundred ms in PGlite at most). */
  batch?: number;
  /** Pause between two statements, so that other queries get the embedded store (default 20 ms). */
  pauseMs?: number;
  onError?: (err: unknown) => void;
}

/** Days a packer pass walks at a time (the range of each series' index scan). */
const STEP_DAYS = 7;

/** Packs the closed days of the history in the background, resuming where it stopped (hub_temporal_pack_state). */
export class PackJob {
  private timer?: NodeJS.Timeout;
  private first?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopping = false;

  constructor(
    private readonly db: Db,
    private readonly store: TemporalStore,
    private readonly opts: PackJobOptions = {},
  ) {}

  /** Packs every closed day not packed yet; returns the days walked and the statements run. */
  async runOnce(): Promise<{ days: number; batches: number }> {
    const horizon = packHorizon((this.opts.clock ?? (() => new Date()))().getTime());
    const batch = this.opts.batch ?? 100;
    let from = await this.store.packedUntil(this.db);
    const partitions = await this.store.listPartitions(this.db);
    if (from === undefined) from = partitions[0]?.from ?? horizon;
    let days = 0;
    let batches = 0;
    while (from < horizon && !this.stopping) {
      // No instance exists outside the monthly partitions: a stretch without any is skipped at once.
      const covering = partitions.find((p) => p.to > from!);
      if (!covering || covering.from >= from + STEP_DAYS * DAY_MS) {
        const to = Math.min(horizon, covering?.from ?? horizon);
        await this.store.setPackedUntil(this.db, to);
        days += Math.round((to - from) / DAY_MS);
        from = to;
        continue;
      }
      const to = Math.min(horizon, from + STEP_DAYS * DAY_MS);
      if (await this.store.hasInstancesIn(this.db, from, to)) {
        let after: SeriesKey | undefined;
        for (;;) {
          const r = await this.db.transaction((tx) => this.store.packBatch(tx, from!, to, after, batch));
          batches++;
          if (r.series < batch || this.stopping) break;
          after = r.last;
          await new Promise((resolve) => setTimeout(resolve, this.opts.pauseMs ?? 20));
        }
        if (this.stopping) break;
      }
      await this.store.setPackedUntil(this.db, to);
      days += Math.round((to - from) / DAY_MS);
      from = to;
    }
    return { days, batches };
  }

  start(): void {
    const tick = () => {
      if (this.running || this.stopping) return;
      this.running = this.runOnce()
        .catch((err) => this.opts.onError?.(err))
        .finally(() => (this.running = undefined));
    };
    this.timer = setInterval(tick, this.opts.intervalMs ?? 600_000);
    this.timer.unref();
    // The first pass a little after start, not during the start's own seeding.
    this.first = setTimeout(tick, Math.min(this.opts.intervalMs ?? 600_000, 30_000));
    this.first.unref();
  }

  /** Stops the timer and lets a pass in progress end after its current statement. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.first);
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
