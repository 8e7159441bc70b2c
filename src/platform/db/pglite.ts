import { Worker } from 'node:worker_threads';
import { DbActivity, runRollbackHooks, type Db, type Queryable, type QueryResult } from './db.ts';

/**
 * Embedded PostgreSQL (PGlite) with PostGIS, persisted in a data directory, running in a worker
 * thread: its WASM engine executes synchronously, and on the main thread a long query would stall
 * every HTTP request and MQTT message (a 1,000-entity temporal read held /health for seconds).
 *
 * Durability: PGlite runs with fsync off, but every committed transaction's WAL is written
 * to the data directory through ordinary write() calls before the query resolves, so an
 * acknowledged write survives kill -9 of the process (the OS keeps the pages). It does not
 * survive a power loss: production uses PostgreSQL (DATABASE_URL).
 */
export async function openPglite(dataDir: string | undefined): Promise<Db> {
  const worker = new Worker(new URL('./pglite-worker.mjs', import.meta.url), { workerData: { dataDir } });
  await new Promise<void>((resolve, reject) => {
    const onMessage = (m: { ready?: boolean; error?: string }) => {
      if (m.ready === undefined) return;
      worker.off('message', onMessage);
      worker.off('error', reject);
      if (m.ready) resolve();
      else reject(new Error(`PGlite failed to start: ${m.error}`));
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
  });
  return new PgliteDb(worker);
}

/** An error from the engine, with PostgreSQL's fields (code, detail...) as pg's errors have them. */
export class PgliteError extends Error {
  code?: string;
  detail?: string;
  hint?: string;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

class PgliteDb implements Db {
  readonly driver = 'pglite' as const;
  private nextId = 1;
  private nextTx = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly activity = new DbActivity();
  private closed = false;

  constructor(private readonly worker: Worker) {
    worker.on('message', (m: { id?: number; ok: boolean; result?: unknown; error?: { message: string; code?: string; detail?: string; hint?: string } }) => {
      if (m.id === undefined) return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) this.worker.unref();
      if (m.ok) p.resolve(m.result);
      else p.reject(Object.assign(new PgliteError(m.error?.message ?? 'PGlite error'), m.error));
    });
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', (code) => this.failAll(new Error(`PGlite worker exited (${code})`)));
    // The worker keeps the process alive only while a call is pending (promises alone do not).
    worker.unref();
  }

  private failAll(err: unknown) {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private call<T>(msg: { op: string; sql?: string; params?: readonly unknown[]; tx?: number }): Promise<T> {
    if (this.closed) return Promise.reject(new Error('database is closed'));
    const id = this.nextId++;
    const end = this.activity.begin();
    return new Promise<T>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, ...msg });
    }).finally(end);
  }

  private queryable(tx?: number): Queryable {
    return {
      query: <Row>(sql: string, params?: readonly unknown[]) =>
        this.call<QueryResult<Row>>({ op: 'query', sql, params: params ? [...params] : undefined, tx }),
      exec: (sql: string) => this.call<void>({ op: 'exec', sql, tx }),
    };
  }

  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]) {
    return this.queryable().query<Row>(sql, params);
  }

  exec(sql: string) {
    return this.queryable().exec(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const tx = this.nextTx++;
    const end = this.activity.begin();
    try {
      await this.call({ op: 'begin', tx });
      let result: T;
      const undo: (() => void)[] = [];
      try {
        result = await fn({ ...this.queryable(tx), onRollback: (f) => void undo.push(f) });
      } catch (err) {
        await this.call({ op: 'rollback', tx }).catch(() => undefined);
        runRollbackHooks(undo);
        throw err;
      }
      try {
        await this.call({ op: 'commit', tx });
      } catch (err) {
        runRollbackHooks(undo);
        throw err;
      }
      return result;
    } finally {
      end();
    }
  }

  /** Closes the engine cleanly; a transaction that never ends cannot hold the process open past 5 s. */
  async close() {
    if (this.closed) return;
    await this.activity.settle();
    if (this.closed) return;
    const closing = this.call({ op: 'close' });
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), 5000);
    });
    const outcome = await Promise.race([closing.then(() => 'closed' as const, () => 'closed' as const), timeout]);
    clearTimeout(timer);
    await this.worker.terminate();
    this.failAll(new Error('database is closed'));
    if (outcome === 'timeout') throw new Error('PGlite did not close within 5 s (a transaction was still open); terminated');
  }
}
