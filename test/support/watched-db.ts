import type { Db } from '../../src/platform/db/db.ts';

/**
 * A test store that reports the statements sent through `query` and `exec` on it (not those inside its
 * transactions), optionally seen as another driver.
 */
export function watchedDb(db: Db, watch: { query?: (sql: string) => void; exec?: (sql: string) => void; driver?: Db['driver'] }): Db {
  return {
    driver: watch.driver ?? db.driver,
    query: (sql, params, o) => (watch.query?.(sql), db.query(sql, params, o)),
    exec: (sql) => (watch.exec?.(sql), db.exec(sql)),
    transaction: (fn) => db.transaction(fn),
    close: () => db.close(),
  };
}
