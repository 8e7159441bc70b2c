import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDb } from '../../../test/support/test-db.ts';
import { openHubTestDb } from '../../../test/support/hub-db.ts';
import { SqlParams } from '../../platform/db/sql-params.ts';
import { geoQuerySql, parseGeoQuery } from './geo.ts';

// Geo near on the hub's own table and indexes, on the driver under test: points through the planar
// (tenant, location) index, other shapes through the partial geography index (migration 008), and the
// same answers as the exact distance test alone.
describe('geo near on hub_entities and its indexes', () => {
  let t: TestDb;
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const around = (lon: number, lat: number, deg: number) => [lon + (rnd() - 0.5) * deg, lat + (rnd() - 0.5) * deg];

  beforeAll(async () => {
    t = await openHubTestDb();
    const rows: { id: string; g: unknown }[] = [];
    for (let i = 0; i < 3000; i++) rows.push({ id: `urn:p:${i}`, g: { type: 'Point', coordinates: around(-7.6, 33.57, 0.3) } });
    for (let i = 0; i < 60; i++) {
      const [x, y] = around(-7.6, 33.57, 0.3);
      rows.push({ id: `urn:l:${i}`, g: { type: 'LineString', coordinates: [[x, y], [x + 0.02, y + 0.01]] } });
      rows.push({ id: `urn:a:${i}`, g: { type: 'Polygon', coordinates: [[[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]] } });
    }
    await t.db.query(
      `INSERT INTO hub_entities (tenant, id, types, location, doc, created_at, modified_at)
       SELECT tenant, r.id, '{T}', ST_SetSRID(ST_GeomFromGeoJSON(r.g::text), 4326), '{}', now(), now()
       FROM jsonb_to_recordset($1::jsonb) AS r(id text, g jsonb), unnest('{t1,t2}'::text[]) AS tenant`,
      [JSON.stringify(rows)],
    );
    await t.db.query('ANALYZE hub_entities');
  }, 60_000);
  afterAll(async () => {
    await t?.drop();
  });

  const near = (lon: number, lat: number, meters: number) => {
    const p = new SqlParams(['t1']);
    const q = parseGeoQuery({ georel: `near;maxDistance==${meters}`, geometry: 'Point', coordinates: `[${lon},${lat}]` });
    return { sql: `SELECT id FROM hub_entities WHERE tenant = $1 AND ${geoQuerySql(q, p, 'location')} ORDER BY id`, values: p.values };
  };

  it('reads through the planar point index and the partial shape index, not the whole tenant', async () => {
    const { sql, values } = near(-7.6, 33.57, 500);
    const plan = JSON.stringify((await t.db.query(`EXPLAIN (FORMAT JSON) ${sql}`, values)).rows);
    expect(plan).toContain('"Index Name":"hub_entities_tenant_location"');
    expect(plan).toContain('"Index Name":"hub_entities_tenant_shape_geog"');
    expect(plan).not.toContain('Seq Scan');
  });

  it('answers as the exact distance test alone, for points, lines and polygons', async () => {
    let found = 0;
    let shapes = 0;
    for (let i = 0; i < 25; i++) {
      const [lon, lat] = around(-7.6, 33.57, 0.3);
      const meters = [200, 1000, 5000][i % 3];
      const { sql, values } = near(lon, lat, meters);
      const got = (await t.db.query<{ id: string }>(sql, values)).rows.map((r) => r.id);
      const exact = await t.db.query<{ id: string }>(
        `SELECT id FROM hub_entities WHERE tenant = 't1'
           AND ST_DWithin(location::geography, ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography, $3) ORDER BY id`,
        [lon, lat, meters],
      );
      expect(got).toEqual(exact.rows.map((r) => r.id));
      found += got.length;
      shapes += got.filter((id) => !id.startsWith('urn:p:')).length;
    }
    expect(found).toBeGreaterThan(100);
    expect(shapes).toBeGreaterThan(5);
  });
});
