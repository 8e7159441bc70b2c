/**
 * One storage interface, two drivers: embedded PGlite (+PostGIS) and PostgreSQL (+PostGIS).
 * SQL written against it stays within PostgreSQL 15 + PostGIS 3.3.
 */
export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

export interface QueryOptions {
  /** Name of a prepared statement: one name, one SQL text, for the life of the process. */
  prepare?: string;
}

/**
 * Something SQL can be sent to: the database itself or an open transaction. In a transaction, statements
 * issued without awaiting the previous one run in the order issued; PostgreSQL receives them together
 * (pipeline mode), which saves a round trip per statement. If one fails, the transaction is aborted:
 * the ones after it fail too.
 */
export interface Queryable {
  /**
   * `opts.prepare` names a statement whose text never changes (a hot one: get by id...): PostgreSQL parses
   * it once per connection and, after a few runs, reuses a generic plan (the PK select ceiling measured
   * 1.6-2x). Only for statements whose best plan does not depend on the values. PGlite ignores it.
   */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[], opts?: QueryOptions): Promise<QueryResult<Row>>;
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Inside a transaction only: `fn` runs if the transaction does not commit. For in-memory knowledge
   * learnt from its statements (a partition or a tenant created), which a rollback must take back.
   */
  onRollback?(fn: () => void): void;
}

export interface Db extends Queryable {
  readonly driver: 'pglite' | 'postgres';
  /** Runs fn in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * What a driver waits for before it closes. At shutdown the HTTP server has stopped, but a request whose
 * client already hung up can still be running its handler (the server's close only waits for open
 * connections): closing under it made its next statement fail ("database is closed"). Close waits until
 * no statement has been running or started for `quietMs`, at most `maxMs`.
 */
export class DbActivity {
  private active = 0;
  private last = 0;

  /** Marks a statement or transaction as running; call the returned function when it ends. */
  begin(): () => void {
    this.active++;
    this.last = Date.now();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.active--;
      this.last = Date.now();
    };
  }

  async settle(quietMs = 100, maxMs = 2000): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (Date.now() < deadline && (this.active > 0 || Date.now() - this.last < quietMs)) {
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/** Runs the callbacks a transaction registered with onRollback (each at most once, errors ignored). */
export function runRollbackHooks(hooks: (() => void)[]): void {
  for (const f of hooks.splice(0)) {
    try {
      f();
    } catch {
      // An undo must not hide the transaction's own error.
    }
  }
}

/**
 * Promise.all for statements issued together in a transaction, which waits for every chain to finish
 * before it rejects with the first error. Promise.all rejects at once, while the other chains go on
 * sending statements: they would reach the connection after the ROLLBACK, outside the transaction.
 */
export async function allSettledOrThrow<T extends readonly unknown[] | []>(values: T): Promise<{ -readonly [P in keyof T]: Awaited<T[P]> }> {
  const results = await Promise.allSettled(values);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as { -readonly [P in keyof T]: Awaited<T[P]> };
}
