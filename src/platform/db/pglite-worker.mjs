// Runs PGlite (+PostGIS) in a worker thread so the WASM engine never blocks the server's event loop
// (and uses the second core). Plain JavaScript on purpose: worker threads do not inherit tsx's loader.
// Protocol (one message per call): { id, op, sql?, params?, tx? } -> { id, ok, result? | error? }.
import { mkdirSync } from 'node:fs';
import process from 'node:process';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';

const { dataDir } = workerData;
if (dataDir) mkdirSync(dataDir, { recursive: true });

/** Messages for an open transaction, by transaction id. */
const transactions = new Map();
const ROLLBACK = Symbol('rollback');

function reply(id, ok, payload) {
  if (ok) parentPort.postMessage({ id, ok: true, result: payload });
  else {
    const e = payload ?? {};
    // PostgreSQL error fields survive the thread boundary (code, detail...) for the callers' error mapping.
    parentPort.postMessage({
      id,
      ok: false,
      error: { message: String(e.message ?? e), code: e.code, detail: e.detail, hint: e.hint, position: e.position, where: e.where },
    });
  }
}

async function run(q, msg) {
  if (msg.op === 'exec') {
    await q.exec(msg.sql);
    return null;
  }
  const r = await q.query(msg.sql, msg.params);
  return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
}

let pg;
try {
  pg = dataDir ? new PGlite(dataDir, { extensions: { postgis, btree_gist } }) : new PGlite({ extensions: { postgis, btree_gist } });
  await pg.waitReady;
  await pg.exec('CREATE EXTENSION IF NOT EXISTS postgis');
  parentPort.postMessage({ ready: true });
} catch (err) {
  parentPort.postMessage({ ready: false, error: String(err?.stack ?? err) });
  process.exit(1);
}

parentPort.on('message', (msg) => {
  if (msg.tx !== undefined && msg.op !== 'begin') {
    const handler = transactions.get(msg.tx);
    if (!handler) return reply(msg.id, false, { message: `no open transaction ${msg.tx}` });
    return handler(msg);
  }
  switch (msg.op) {
    case 'query':
    case 'exec':
      // PGlite's own mutex makes these wait while a transaction holds the connection.
      run(pg, msg).then((r) => reply(msg.id, true, r), (e) => reply(msg.id, false, e));
      return;
    case 'begin': {
      let finish;
      // A transaction's statements run one after the other, in the order sent, even when the caller
      // sent the next before the previous answered (as on PostgreSQL's pipeline).
      let previous = Promise.resolve();
      pg.transaction(
        (tx) =>
          new Promise((resolve, reject) => {
            transactions.set(msg.tx, (m) => {
              if (m.op === 'commit') {
                finish = m.id;
                previous.then(() => resolve());
              } else if (m.op === 'rollback') {
                finish = m.id;
                previous.then(() => reject(ROLLBACK));
              } else {
                previous = previous.then(() => run(tx, m).then((r) => reply(m.id, true, r), (e) => reply(m.id, false, e)));
              }
            });
            reply(msg.id, true, null);
          }),
      ).then(
        () => {
          transactions.delete(msg.tx);
          reply(finish, true, null);
        },
        (e) => {
          transactions.delete(msg.tx);
          if (e === ROLLBACK) reply(finish, true, null);
          else reply(finish ?? msg.id, false, e);
        },
      );
      return;
    }
    case 'close':
      pg.close().then(() => reply(msg.id, true, null), (e) => reply(msg.id, false, e));
      return;
    default:
      reply(msg.id, false, { message: `unknown op ${msg.op}` });
  }
});
