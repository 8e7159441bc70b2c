import pg from 'pg';
import { DbActivity, runRollbackHooks, type Db, type Queryable, type QueryOptions, type QueryResult } from './db.ts';

// Timestamps and numerics as JS values the same way PGlite returns them.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

/** PostgreSQL 15 + PostGIS 3.3 over a connection pool; creates the extension itself. */
export async function openPostgres(url: string, poolSize = 20, opts: { prepared?: boolean } = {}): Promise<Db> {
  // Pipeline mode: statements issued without awaiting the previous one go out together, and their
  // answers come back in order (a transaction's BEGIN travels with its first statement).
  const pool = new pg.Pool({ connectionString: url, max: poolSize, pipeline: true });
  pool.on('error', () => {
    /* idle client errors surface on the next query */
  });
  await pool.query('CREATE EXTENSION IF NOT EXISTS postgis');
  return new PostgresDb(pool, opts.prepared ?? true);
}

function wrap(client: pg.Pool | pg.PoolClient, prepared: boolean, activity: DbActivity, isOver: () => boolean = () => false): Queryable {
  // A statement issued after its transaction ended would run on a released connection: outside any
  // transaction, or inside the next one that borrows the connection.
  const refuseIfOver = () => {
    if (isOver()) throw new Error('transaction is over: statement not sent');
  };
  return {
    async query<Row>(sql: string, params?: readonly unknown[], opts?: QueryOptions): Promise<QueryResult<Row>> {
      refuseIfOver();
      const end = activity.begin();
      try {
        const r = prepared && opts?.prepare
          ? await client.query({ name: opts.prepare, text: sql, values: params as unknown[] | undefined })
          : await client.query(sql, params as unknown[] | undefined);
        return { rows: r.rows as Row[], rowCount: r.rowCount ?? r.rows.length };
      } finally {
        end();
      }
    },
    async exec(sql: string) {
      refuseIfOver();
      const end = activity.begin();
      try {
        await client.query(sql);
      } finally {
        end();
      }
    },
  };
}

class PostgresDb implements Db {
  readonly driver = 'postgres' as const;
  private readonly direct: Queryable;
  private readonly activity = new DbActivity();

  constructor(
    private readonly pool: pg.Pool,
    private readonly prepared: boolean,
  ) {
    this.direct = wrap(pool, prepared, this.activity);
  }

  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[], opts?: QueryOptions) {
    return this.direct.query<Row>(sql, params, opts);
  }

  exec(sql: string) {
    return this.direct.exec(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const end = this.activity.begin();
    const client = await this.pool.connect().catch((err) => {
      end();
      throw err;
    });
    const undo: (() => void)[] = [];
    let over = false;
    try {
      // Not awaited: BEGIN goes out with the transaction's first statement. BEGIN itself only fails when
      // the session does (then so does every statement after it), and its error is still awaited below.
      const begun = client.query('BEGIN');
      begun.catch(() => undefined);
      let result: T;
      try {
        result = await fn({ ...wrap(client, this.prepared, this.activity, () => over), onRollback: (f) => void undo.push(f) });
      } finally {
        over = true;
      }
      await begun;
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      runRollbackHooks(undo);
      throw err;
    } finally {
      client.release();
      end();
    }
  }

  private closing?: Promise<void>;

  close() {
    this.closing ??= this.activity.settle().then(() => this.pool.end());
    return this.closing;
  }
}
