/** The only SQL of the waste module: plans, their versions, routes and stops; depots per place. */
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../platform/db/db.ts';
import type { CollectionPlan, Depot, PlannedRoute } from './plan.ts';

export interface PlanHeader {
  id: string;
  tenant: string;
  placeCode: string;
  communeCode: string;
  date: string;
  latestVersion: number;
  updatedAt: string;
}

export interface PlanVersion {
  version: number;
  plannedAt: string;
  params: Record<string, unknown>;
  summary: Record<string, unknown>;
  depots: Depot[];
  createdBy: string;
  createdAt: string;
  status: 'planned' | 'collected';
  actualDistanceM: number | null;
  collectedAt: string | null;
  collectedBy: string | null;
  collectionSimulated: boolean | null;
}

export interface NewVersion {
  tenant: string;
  placeCode: string;
  communeCode: string;
  date: string;
  plannedAt: string;
  params: Record<string, unknown>;
  summary: Record<string, unknown>;
  depots: Depot[];
  createdBy: string;
  plan: CollectionPlan;
}

const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : v === null || v === undefined ? null : new Date(String(v)).toISOString());
const day = (v: unknown) => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v).slice(0, 10));

const toHeader = (r: any): PlanHeader => ({
  id: r.id,
  tenant: r.tenant,
  placeCode: r.place_code,
  communeCode: r.commune_code,
  date: day(r.plan_date),
  latestVersion: r.latest_version,
  updatedAt: iso(r.updated_at)!,
});

const toVersion = (r: any): PlanVersion => ({
  version: r.version,
  plannedAt: iso(r.planned_at)!,
  params: r.params,
  summary: r.summary,
  depots: r.depots,
  createdBy: r.created_by,
  createdAt: iso(r.created_at)!,
  status: r.status,
  actualDistanceM: r.actual_distance_m,
  collectedAt: iso(r.collected_at),
  collectedBy: r.collected_by,
  collectionSimulated: r.collection_simulated,
});

export class WasteStore {
  /** Writes a new version of the (tenant, place, date) plan with its routes and stops; call inside a transaction. */
  async insertVersion(q: Queryable, v: NewVersion): Promise<{ id: string; version: number }> {
    const head = await q.query<{ id: string; latest_version: number }>(
      `INSERT INTO waste_plans (id, tenant, place_code, commune_code, plan_date, latest_version)
       VALUES ($1, $2, $3, $4, $5, 1)
       ON CONFLICT (tenant, place_code, plan_date) DO UPDATE SET latest_version = waste_plans.latest_version + 1, updated_at = now()
       RETURNING id, latest_version`,
      [randomUUID(), v.tenant, v.placeCode, v.communeCode, v.date],
    );
    const { id, latest_version: version } = head.rows[0];
    await q.query(
      `INSERT INTO waste_plan_versions (plan_id, version, planned_at, params, summary, depots, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [id, version, v.plannedAt, JSON.stringify(v.params), JSON.stringify(v.summary), JSON.stringify(v.depots), v.createdBy],
    );
    for (const r of v.plan.routes) {
      await q.query(`INSERT INTO waste_routes (plan_id, version, truck, depot_id, distance_m, duration_min, load_l) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
        id,
        version,
        r.truck,
        r.depotId,
        Math.round(r.distanceM),
        r.durationMin,
        r.loadL,
      ]);
      if (!r.stops.length) continue;
      // One statement per route: parallel arrays unnested.
      await q.query(
        `INSERT INTO waste_stops (plan_id, version, truck, seq, container_id, lon, lat, level, volume_l, reason, arrival_min)
         SELECT $1, $2, $3, s.seq, s.cid, s.lon, s.lat, s.level, s.vol, s.reason, s.arr
         FROM unnest($4::int[], $5::text[], $6::float8[], $7::float8[], $8::real[], $9::int[], $10::text[], $11::int[]) AS s(seq, cid, lon, lat, level, vol, reason, arr)`,
        [
          id,
          version,
          r.truck,
          r.stops.map((s) => s.seq),
          r.stops.map((s) => s.containerId),
          r.stops.map((s) => s.lon),
          r.stops.map((s) => s.lat),
          r.stops.map((s) => s.level),
          r.stops.map((s) => s.volumeL),
          r.stops.map((s) => s.reason),
          r.stops.map((s) => s.arrivalMin),
        ],
      );
    }
    return { id, version };
  }

  async header(q: Queryable, id: string): Promise<PlanHeader | undefined> {
    const r = (await q.query('SELECT * FROM waste_plans WHERE id = $1', [id])).rows[0];
    return r ? toHeader(r) : undefined;
  }

  async version(q: Queryable, id: string, version: number): Promise<PlanVersion | undefined> {
    const r = (await q.query('SELECT * FROM waste_plan_versions WHERE plan_id = $1 AND version = $2', [id, version])).rows[0];
    return r ? toVersion(r) : undefined;
  }

  async versions(q: Queryable, id: string): Promise<{ version: number; createdAt: string; status: string; distanceM: number }[]> {
    const rows = (await q.query<any>(`SELECT version, created_at, status, summary FROM waste_plan_versions WHERE plan_id = $1 ORDER BY version`, [id])).rows;
    return rows.map((r) => ({ version: r.version, createdAt: iso(r.created_at)!, status: r.status, distanceM: Number(r.summary?.distanceM ?? 0) }));
  }

  async routes(q: Queryable, id: string, version: number): Promise<PlannedRoute[]> {
    const routes = (await q.query<any>('SELECT * FROM waste_routes WHERE plan_id = $1 AND version = $2 ORDER BY truck', [id, version])).rows;
    const stops = (await q.query<any>('SELECT * FROM waste_stops WHERE plan_id = $1 AND version = $2 ORDER BY truck, seq', [id, version])).rows;
    const byTruck = new Map<number, PlannedRoute>();
    const out = routes.map((r) => {
      const route: PlannedRoute = { truck: r.truck, depotId: r.depot_id, distanceM: r.distance_m, durationMin: r.duration_min, loadL: r.load_l, stops: [] };
      byTruck.set(r.truck, route);
      return route;
    });
    for (const s of stops) {
      byTruck.get(s.truck)?.stops.push({
        seq: s.seq,
        containerId: s.container_id,
        lon: s.lon,
        lat: s.lat,
        level: Math.round(Number(s.level) * 1000) / 1000,
        volumeL: s.volume_l,
        reason: s.reason,
        arrivalMin: s.arrival_min,
      });
    }
    return out;
  }

  /** Plans, newest date first; `communes` limits to those communes (undefined = all). */
  async list(
    q: Queryable,
    f: { tenant: string; placeCode?: string; date?: string; communes?: string[]; limit: number; offset: number },
  ): Promise<{ items: (PlanHeader & { latest: Pick<PlanVersion, 'status' | 'createdAt' | 'summary'> })[]; total: number }> {
    const where = ['p.tenant = $1'];
    const params: unknown[] = [f.tenant];
    if (f.placeCode) {
      params.push(f.placeCode);
      where.push(`(p.place_code = $${params.length} OR p.commune_code = $${params.length})`);
    }
    if (f.date) {
      params.push(f.date);
      where.push(`p.plan_date = $${params.length}`);
    }
    if (f.communes) {
      params.push(f.communes);
      where.push(`p.commune_code = ANY($${params.length}::text[])`);
    }
    const w = where.join(' AND ');
    const total = Number((await q.query<{ n: string }>(`SELECT count(*) AS n FROM waste_plans p WHERE ${w}`, params)).rows[0].n);
    params.push(f.limit, f.offset);
    const rows = (
      await q.query<any>(
        `SELECT p.*, v.status, v.created_at AS v_created_at, v.summary FROM waste_plans p
         JOIN waste_plan_versions v ON v.plan_id = p.id AND v.version = p.latest_version
         WHERE ${w} ORDER BY p.plan_date DESC, p.updated_at DESC, p.id LIMIT $${params.length - 1} OFFSET $${params.length}`,
        params,
      )
    ).rows;
    return { items: rows.map((r) => ({ ...toHeader(r), latest: { status: r.status, createdAt: iso(r.v_created_at)!, summary: r.summary } })), total };
  }

  /** Marks a version collected unless it already is; false when it was. */
  async markCollected(q: Queryable, id: string, version: number, c: { actualDistanceM: number; collectedAt: string; collectedBy: string; simulated: boolean }): Promise<boolean> {
    const r = await q.query(
      `UPDATE waste_plan_versions SET status = 'collected', actual_distance_m = $3, collected_at = $4, collected_by = $5, collection_simulated = $6
       WHERE plan_id = $1 AND version = $2 AND status = 'planned'`,
      [id, version, Math.round(c.actualDistanceM), c.collectedAt, c.collectedBy, c.simulated],
    );
    return r.rowCount > 0;
  }

  /** Undoes markCollected (the hub refused the reset). */
  async unmarkCollected(q: Queryable, id: string, version: number): Promise<void> {
    await q.query(
      `UPDATE waste_plan_versions SET status = 'planned', actual_distance_m = NULL, collected_at = NULL, collected_by = NULL, collection_simulated = NULL WHERE plan_id = $1 AND version = $2`,
      [id, version],
    );
  }

  async depots(q: Queryable, tenant: string, placeCode: string): Promise<Depot[]> {
    const rows = (await q.query<any>('SELECT id, name, lon, lat FROM waste_depots WHERE tenant = $1 AND place_code = $2 ORDER BY id', [tenant, placeCode])).rows;
    return rows.map((r) => ({ id: r.id, ...(r.name ? { name: r.name } : {}), lon: r.lon, lat: r.lat }));
  }

  async replaceDepots(q: Queryable, tenant: string, placeCode: string, depots: Depot[]): Promise<void> {
    await q.query('DELETE FROM waste_depots WHERE tenant = $1 AND place_code = $2', [tenant, placeCode]);
    for (const d of depots) {
      await q.query('INSERT INTO waste_depots (tenant, place_code, id, name, lon, lat) VALUES ($1, $2, $3, $4, $5, $6)', [tenant, placeCode, d.id, d.name ?? null, d.lon, d.lat]);
    }
  }
}
