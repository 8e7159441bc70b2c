/**
 * Storage ceiling: raw parameterised statements through Madina's own Db driver into a scratch table
 * with the shape and indexes of hub_entities (LIKE … INCLUDING ALL), no HTTP, no NGSI-LD work.
 */
import type { Db } from '../../src/platform/db/db.ts';
import { prng, streetlight } from './streetlight.ts';

export interface StorageCeiling {
  /** Single-row upserts (INSERT … ON CONFLICT DO UPDATE, jsonb doc + geometry) per second. */
  upsertPerS: number;
  /** Primary-key SELECTs of the full row per second. */
  selectPerS: number;
  inFlight: number;
  upserts: number;
  selects: number;
  rowsInTable: number;
}

const NS = 'https://uri.etsi.org/ngsi-ld/default-context/';

/** A doc shaped like the hub's (expanded attribute IRIs → instance arrays). */
function storedDoc(e: Record<string, unknown>): string {
  const doc: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (k === 'id' || k === 'type') continue;
    doc[k === 'location' ? 'https://uri.etsi.org/ngsi-ld/location' : NS + k] = [v];
  }
  return JSON.stringify(doc);
}

async function forDuration(ms: number, inFlight: number, op: (worker: number) => Promise<void>): Promise<{ count: number; seconds: number }> {
  const end = performance.now() + ms;
  let count = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async (_, w) => {
      while (performance.now() < end) {
        await op(w);
        count++;
      }
    }),
  );
  return { count, seconds: (performance.now() - t0) / 1000 };
}

export async function measureStorageCeiling(db: Db, opts: { durationS: number; inFlight: number; keySpace: number }): Promise<StorageCeiling> {
  await db.exec('DROP TABLE IF EXISTS bench_scratch; CREATE TABLE bench_scratch (LIKE hub_entities INCLUDING ALL)');
  try {
    // Pre-generate payloads so the loop measures the database, not the generator.
    const payloads = Array.from({ length: 1000 }, (_, i) => {
      const e = streetlight('scratch', i, 7919 * (i + 1));
      const loc = JSON.stringify((e.location as { value: unknown }).value);
      return { doc: storedDoc(e), loc };
    });
    const upsertSql = `INSERT INTO bench_scratch (tenant, id, types, scopes, location, doc, created_at, modified_at)
      VALUES ($1, $2, $3, '{}', ST_SetSRID(ST_GeomFromGeoJSON($4), 4326), $5::jsonb, now(), now())
      ON CONFLICT (tenant, id) DO UPDATE SET location = EXCLUDED.location, doc = EXCLUDED.doc, modified_at = EXCLUDED.modified_at`;
    const types = ['https://uri.etsi.org/ngsi-ld/default-context/Streetlight'];
    let counter = 0;
    const up = await forDuration(opts.durationS * 1000, opts.inFlight, async () => {
      const i = counter++;
      const p = payloads[i % payloads.length];
      await db.query(upsertSql, ['scratch', `urn:ngsi-ld:Streetlight:scratch:${i % opts.keySpace}`, types, p.loc, p.doc]);
    });
    const rows = Math.min(counter, opts.keySpace);
    const rnd = prng(12345);
    const selectSql = 'SELECT id, types, scopes, doc, created_at, modified_at FROM bench_scratch WHERE tenant = $1 AND id = $2';
    const sel = await forDuration(opts.durationS * 1000, opts.inFlight, async () => {
      const r = await db.query(selectSql, ['scratch', `urn:ngsi-ld:Streetlight:scratch:${Math.floor(rnd() * rows)}`]);
      if (r.rows.length !== 1) throw new Error('storage ceiling: select found no row');
    });
    return {
      upsertPerS: up.count / up.seconds,
      selectPerS: sel.count / sel.seconds,
      inFlight: opts.inFlight,
      upserts: up.count,
      selects: sel.count,
      rowsInTable: rows,
    };
  } finally {
    await db.exec('DROP TABLE IF EXISTS bench_scratch');
  }
}
