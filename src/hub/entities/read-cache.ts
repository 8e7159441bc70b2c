/**
 * Rendered entities kept in memory under the row version they were rendered from.
 *
 * A read still asks the store which entities match and at which version (PostgreSQL's `xmin` with
 * `modified_at`): an answer is never staler than the store, also with several Madina processes on one
 * PostgreSQL. What the cache saves is the rest of a read: sending the document, parsing it, compacting
 * its terms and serialising it again, which is most of a query's CPU (docs/benchmarks.md, "Hub").
 *
 * One entry per entity, holding the JSON of each view asked for (the request's context, format,
 * projection...). A newer version replaces the entry. Bounded by an approximate size in bytes (the JSON's
 * length plus a fixed overhead per entry).
 *
 * Eviction is second chance (CLOCK) over a Map in insertion order: a hit only marks its entry used; when
 * the cache is over its size, the oldest entries go first, but a used one is unmarked and moved to the
 * end instead. Moving every hit to the end (exact LRU: a delete and a set in a Map of ~100,000 entities)
 * was 12 % of the server's CPU under queries, whose pages are 20 hits each.
 */

/** How an entity is shown: `key` names the view (same key, same JSON for the same version). */
export interface EntityView<E> {
  key: string;
  render(entity: E): string;
}

interface Entry {
  version: string;
  views: Map<string, string>;
  bytes: number;
  /** Read since eviction last passed it (second chance). */
  used: boolean;
}

const ENTRY_OVERHEAD = 160;
const VIEW_OVERHEAD = 64;

export class EntityReadCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;

  /** `maxBytes` 0 disables the cache. */
  constructor(readonly maxBytes: number) {}

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  /** The cached version of an entity if it holds that view (to ask the store "changed since?"). */
  peek(tenant: string, id: string, viewKey: string): { version: string; json: string } | undefined {
    const e = this.entries.get(entryKey(tenant, id));
    const json = e?.views.get(viewKey);
    if (!e || json === undefined) return undefined;
    e.used = true;
    return { version: e.version, json };
  }

  /** The view's JSON if the cache holds it for exactly this version. */
  get(tenant: string, id: string, version: string, viewKey: string): string | undefined {
    const key = entryKey(tenant, id);
    const e = this.entries.get(key);
    const json = e && e.version === version ? e.views.get(viewKey) : undefined;
    if (json === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    e!.used = true;
    return json;
  }

  /** Counts a hit found by `peek` (the store confirmed the version). */
  confirmHit(): void {
    this.hits++;
  }

  put(tenant: string, id: string, version: string, viewKey: string, json: string): void {
    if (!this.enabled) return;
    const key = entryKey(tenant, id);
    let e = this.entries.get(key);
    if (e && e.version !== version) {
      this.drop(key, e);
      e = undefined;
    }
    if (!e) {
      // Put after a read rendered it: used, so a pass over a cache of used entries does not evict it first.
      e = { version, views: new Map(), bytes: ENTRY_OVERHEAD + key.length + version.length, used: true };
      this.bytes += e.bytes;
    } else {
      this.entries.delete(key);
      e.used = true;
      const old = e.views.get(viewKey);
      if (old !== undefined) this.resize(e, -viewBytes(viewKey, old));
    }
    e.views.set(viewKey, json);
    this.resize(e, viewBytes(viewKey, json));
    this.entries.set(key, e);
    // Entries moved to the end come round again in this loop (a Map iterator visits what is added): after
    // one pass every entry is unmarked, so it ends.
    for (const [k, old] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      if (old.used) {
        old.used = false;
        this.entries.delete(k);
        this.entries.set(k, old);
      } else {
        this.drop(k, old);
      }
    }
  }

  /** Forgets an entity (it was written or deleted here: its entry can only be stale now). */
  forget(tenant: string, id: string): void {
    const key = entryKey(tenant, id);
    const e = this.entries.get(key);
    if (e) this.drop(key, e);
  }

  stats(): { entities: number; bytes: number; maxBytes: number; hits: number; misses: number } {
    return { entities: this.entries.size, bytes: this.bytes, maxBytes: this.maxBytes, hits: this.hits, misses: this.misses };
  }

  private resize(e: Entry, delta: number): void {
    e.bytes += delta;
    this.bytes += delta;
  }

  private drop(key: string, e: Entry): void {
    this.entries.delete(key);
    this.bytes -= e.bytes;
  }
}

const entryKey = (tenant: string, id: string) => `${tenant}\u0000${id}`;
const viewBytes = (viewKey: string, json: string) => json.length + viewKey.length + VIEW_OVERHEAD;

/**
 * How often each kind of query finds its answers in the read cache (a moving average per query shape).
 * A query that mostly hits asks the store for ids and versions first and fetches only the misses; one
 * that mostly misses (geo-queries at ever new points) is better served by one statement that returns the
 * documents too: two round trips and 20 primary-key lookups fewer per page.
 */
export class QueryHitRates {
  private readonly rates = new Map<string, number>();

  constructor(
    /** Below this rate a query fetches documents with its ids. */
    private readonly threshold = 0.5,
    /** Weight of the newest answer in the average. */
    private readonly weight = 0.1,
    private readonly maxShapes = 1000,
  ) {}

  /** Whether this shape's answers are likely cached (unknown shapes are: the cheap path is tried first). */
  likely(shape: string): boolean {
    return (this.rates.get(shape) ?? 1) >= this.threshold;
  }

  note(shape: string, hits: number, rows: number): void {
    if (!rows) return;
    const rate = hits / rows;
    const before = this.rates.get(shape);
    if (before === undefined && this.rates.size >= this.maxShapes) this.rates.clear();
    this.rates.set(shape, before === undefined ? rate : before + this.weight * (rate - before));
  }
}
