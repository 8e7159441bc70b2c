import type { Db } from '../../platform/db/db.ts';
import type { EntityStore, VersionedRead } from './store.ts';

interface Pending {
  tenant: string;
  id: string;
  knownVersion: string;
  resolve: (v: VersionedRead) => void;
  reject: (e: unknown) => void;
}

export interface ReadBatcherOptions {
  /** Statements in flight at once (PostgreSQL has a pool; PGlite one connection). */
  maxInFlight?: number;
  /** Reads that must be waiting before another statement starts beside one in flight. */
  minGroup?: number;
  /** Most reads per statement. */
  maxBatch?: number;
}

/**
 * Retrieves by id, grouped. A primary-key read costs little in the database; what it costs is the
 * statement around it (protocol, executor start, a round trip, in PGlite a call into the engine). Reads
 * that arrive while statements are in flight are answered by one statement for the group. A read is sent
 * after it arrived, so it sees every write committed before: grouping never serves a stale entity.
 */
export class ReadBatcher {
  private queue: Pending[] = [];
  private inFlight = 0;
  private readonly maxInFlight: number;
  private readonly minGroup: number;
  private readonly maxBatch: number;

  constructor(
    private readonly db: Db,
    private readonly store: EntityStore,
    opts: ReadBatcherOptions = {},
  ) {
    this.maxInFlight = opts.maxInFlight ?? (db.driver === 'postgres' ? 4 : 1);
    this.minGroup = opts.minGroup ?? 8;
    this.maxBatch = opts.maxBatch ?? 128;
  }

  /** The entity's version, and its row when that differs from `knownVersion`; undefined if there is none. */
  get(tenant: string, id: string, knownVersion: string): Promise<VersionedRead> {
    return new Promise((resolve, reject) => {
      this.queue.push({ tenant, id, knownVersion, resolve, reject });
      this.pump();
    });
  }

  private pump() {
    while (this.inFlight < this.maxInFlight && this.queue.length) {
      // Beside a statement in flight, another starts only for a group; each one's end sends what waits.
      if (this.inFlight > 0 && this.queue.length < this.minGroup) return;
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async run(batch: Pending[]): Promise<void> {
    const byTenant = new Map<string, Pending[]>();
    for (const p of batch) {
      let list = byTenant.get(p.tenant);
      if (!list) byTenant.set(p.tenant, (list = []));
      list.push(p);
    }
    await Promise.all(
      [...byTenant].map(async ([tenant, list]) => {
        try {
          const found =
            list.length === 1
              ? [await this.store.getIfChanged(this.db, tenant, list[0].id, list[0].knownVersion)]
              : await this.store.getManyIfChanged(this.db, tenant, list);
          list.forEach((p, i) => p.resolve(found[i]));
        } catch (err) {
          for (const p of list) p.reject(err);
        }
      }),
    );
  }
}
