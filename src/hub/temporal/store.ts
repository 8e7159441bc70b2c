import type { Queryable } from '../../platform/db/db.ts';
import { HubErrors } from '../errors.ts';
import type { EntityFilter } from '../entities/store.ts';
import { isCalendar, toPgInterval } from './duration.ts';
import { isoFromEpochMs } from './iso-time.ts';
import type { InstanceRecord, RegistryRecord } from './history.ts';
import type { AggrMethod, TemporalQuery } from './temporal-query.ts';

export const PARENT = 'hub_attribute_instances';
const PARTITION = /^hub_attribute_instances_p(\d{4})(\d{2})$/;
/** Most buckets of a calendar aggrPeriodDuration walked in one query. */
export const MAX_CALENDAR_BUCKETS = 10_000;

/** The member holding an instance's value, whatever its kind (an instance has exactly one). */
const VALUE_SQL = (i: string) =>
  `COALESCE(${i}.value->'value', ${i}.value->'object', ${i}.value->'languageMap', ${i}.value->'vocab', ${i}.value->'valueList', ${i}.value->'objectList', ${i}.value->'json')`;

const TIME_COLUMN = { observedAt: 'ts', createdAt: 'created_at', modifiedAt: 'modified_at' } as const;

const ms = (col: string) => `(extract(epoch FROM ${col}) * 1000)::float8`;

export interface RegistryRow {
  id: string;
  types: string[];
  scopes: string[];
  createdAt: string;
  modifiedAt: string;
}

export interface InstanceRow {
  entityId: string;
  attr: string;
  datasetId: string;
  kind: string;
  /** Epoch ms of the queried time property. */
  t: number;
  /** The stored instance (without the members kept in columns). */
  value: unknown;
  instanceId: string;
  observedAt?: number | null;
  createdAt?: number;
  modifiedAt?: number;
}

export interface ValueSeriesRow {
  entityId: string;
  attr: string;
  datasetId: string;
  kind: string;
  /** `[value, ISO time]`, oldest first. */
  values: [unknown, string][];
}

export interface AggregateRow {
  entityId: string;
  attr: string;
  datasetId: string;
  kind: string;
  start: number;
  end: number;
  values: Partial<Record<AggrMethod, unknown>>;
}

/** Monthly partition covering an instant: name and [from, to) bounds as ISO dates. */
export function partitionFor(atMs: number): { name: string; from: string; to: string } {
  const d = new Date(atMs);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  if (y < 1 || y > 9999) throw HubErrors.badRequestData.with(`Time ${d.toISOString()} is out of the supported range (years 1-9999)`);
  const iso = (yy: number, mm: number) => new Date(Date.UTC(yy, mm, 1)).toISOString().slice(0, 10);
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  return { name: `${PARENT}_p${pad(y, 4)}${pad(m + 1, 2)}`, from: iso(y, m), to: iso(y, m + 1) };
}

/** The time window of a temporal query as SQL over `col`, with bind parameters added to `params`. */
function timeWindow(tq: TemporalQuery, col: string, params: unknown[]): string {
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const at = tq.timeAt !== undefined ? new Date(tq.timeAt).toISOString() : undefined;
  switch (tq.timerel) {
    case 'before':
      return ` AND ${col} < ${p(at)}::timestamptz`;
    case 'after':
      return ` AND ${col} > ${p(at)}::timestamptz`;
    case 'between':
      return ` AND ${col} >= ${p(at)}::timestamptz AND ${col} < ${p(new Date(tq.endTimeAt!).toISOString())}::timestamptz`;
    default:
      return '';
  }
}

/** The only SQL of the temporal API. */
const MAX_KNOWN_SERIES = 250_000;

export class TemporalStore {
  /** Partitions known to exist (this process created or saw them). */
  private readonly partitions = new Set<string>();
  /**
   * Series rows known to exist, so an update of a known attribute skips the series insert. Bounded
   * (MAX_KNOWN_SERIES keys of ~170 bytes each, ~40 MB), cleared when full: a forgotten series only costs
   * one `ON CONFLICT DO NOTHING` insert again.
   */
  private readonly series = new Set<string>();
  /** Tenants known to exist (tenants are never deleted). */
  private readonly tenants = new Set<string>();

  forgetPartition(name: string) {
    this.partitions.delete(name);
  }

  forgetSeries() {
    this.series.clear();
  }

  /**
   * Creates the monthly partitions these instants need. Runs inside the writing transaction; the advisory
   * lock serialises concurrent creators (IF NOT EXISTS alone races on the catalogue).
   */
  async ensurePartitions(db: Queryable, instantsMs: Iterable<number>): Promise<void> {
    const needed = new Map<string, { name: string; from: string; to: string }>();
    for (const t of instantsMs) {
      const p = partitionFor(t);
      if (!this.partitions.has(p.name)) needed.set(p.name, p);
    }
    for (const p of needed.values()) {
      await db.query('SELECT pg_advisory_xact_lock(7361004)');
      const exists = await db.query('SELECT 1 FROM pg_class WHERE relname = $1', [p.name]);
      if (!exists.rows.length) {
        await db.query(`CREATE TABLE IF NOT EXISTS ${p.name} PARTITION OF ${PARENT} FOR VALUES FROM ('${p.from}') TO ('${p.to}')`);
      }
      this.partitions.add(p.name);
    }
  }

  async ensureTenant(db: Queryable, tenant: string): Promise<void> {
    if (tenant) await db.query('INSERT INTO hub_tenants (name) VALUES ($1) ON CONFLICT DO NOTHING', [tenant]);
  }

  async tenantExists(db: Queryable, tenant: string): Promise<boolean> {
    if (!tenant || this.tenants.has(tenant)) return true;
    const r = await db.query('SELECT 1 FROM hub_tenants WHERE name = $1', [tenant]);
    if (r.rows.length) this.tenants.add(tenant);
    return r.rows.length > 0;
  }

  /** Upserts registry rows: types and scopes replaced (createdAt kept); `keep` rows are only inserted when missing. */
  async upsertRegistry(db: Queryable, tenant: string, rows: RegistryRecord[]): Promise<void> {
    const json = (list: RegistryRecord[]) =>
      JSON.stringify(list.map((r) => ({ id: r.id, types: r.types, scopes: r.scopes, created_at: r.createdAt, modified_at: r.modifiedAt })));
    const insert = `INSERT INTO hub_temporal_entities (tenant, id, types, scopes, created_at, modified_at)
       SELECT $1, r.id, r.types, r.scopes, r.created_at, r.modified_at
       FROM jsonb_to_recordset($2::jsonb) AS r(id text, types text[], scopes text[], created_at timestamptz, modified_at timestamptz)`;
    const replace = rows.filter((r) => !r.keep);
    const keep = rows.filter((r) => r.keep);
    if (replace.length) {
      await db.query(
        `${insert} ON CONFLICT (tenant, id) DO UPDATE SET types = EXCLUDED.types, scopes = EXCLUDED.scopes, modified_at = EXCLUDED.modified_at
         WHERE hub_temporal_entities.types IS DISTINCT FROM EXCLUDED.types OR hub_temporal_entities.scopes IS DISTINCT FROM EXCLUDED.scopes`,
        [tenant, json(replace)],
        { prepare: 'hub.temporal.registry-replace' },
      );
    }
    // No row lock and no write for the common case: an attribute update of a known entity.
    if (keep.length) await db.query(`${insert} ON CONFLICT (tenant, id) DO NOTHING`, [tenant, json(keep)], { prepare: 'hub.temporal.registry-keep' });
  }

  /** Adds instances in one statement (plus their partitions and series rows when new). */
  async insertInstances(db: Queryable, tenant: string, records: InstanceRecord[]): Promise<void> {
    if (!records.length) return;
    await this.ensurePartitions(db, records.map((r) => Date.parse(r.ts)));
    const newSeries: { entity_id: string; attr: string; dataset_id: string }[] = [];
    const seen = new Set<string>();
    for (const r of records) {
      const k = `${tenant}\u0000${r.entityId}\u0000${r.attr}\u0000${r.datasetId}`;
      if (this.series.has(k) || seen.has(k)) continue;
      seen.add(k);
      newSeries.push({ entity_id: r.entityId, attr: r.attr, dataset_id: r.datasetId });
    }
    if (newSeries.length) {
      await db.query(
        `INSERT INTO hub_temporal_series (tenant, entity_id, attr, dataset_id)
         SELECT $1, s.entity_id, s.attr, s.dataset_id FROM jsonb_to_recordset($2::jsonb) AS s(entity_id text, attr text, dataset_id text)
         ON CONFLICT DO NOTHING`,
        [tenant, JSON.stringify(newSeries)],
        { prepare: 'hub.temporal.series-insert' },
      );
    }
    await db.query(
      `INSERT INTO ${PARENT} (tenant, entity_id, attr, dataset_id, instance_id, ts, observed_at, created_at, modified_at, kind, value, num)
       SELECT $1, r.e, r.a, r.d, r.i, r.ts, r.o, r.c, r.m, r.k, r.v, r.n
       FROM jsonb_to_recordset($2::jsonb) AS r(e text, a text, d text, i text, ts timestamptz, o timestamptz, c timestamptz, m timestamptz, k text, v jsonb, n float8)`,
      [
        tenant,
        JSON.stringify(
          records.map((r) => ({ e: r.entityId, a: r.attr, d: r.datasetId, i: r.instanceId, ts: r.ts, o: r.observedAt ?? null, c: r.createdAt, m: r.modifiedAt, k: r.kind, v: r.value, n: r.num })),
        ),
      ],
      { prepare: 'hub.temporal.instances-insert' },
    );
    // Mark series as known only now: if this statement failed, the transaction rolled back.
    if (this.series.size > MAX_KNOWN_SERIES) this.series.clear();
    for (const k of seen) this.series.add(k);
  }

  async getEntity(db: Queryable, tenant: string, id: string): Promise<RegistryRow | undefined> {
    const r = await db.query<{ id: string; types: string[]; scopes: string[]; c: number; m: number }>(
      `SELECT id, types, scopes, ${ms('created_at')} AS c, ${ms('modified_at')} AS m FROM hub_temporal_entities WHERE tenant = $1 AND id = $2`,
      [tenant, id],
    );
    const row = r.rows[0];
    return row && { id: row.id, types: row.types, scopes: row.scopes, createdAt: new Date(row.c).toISOString(), modifiedAt: new Date(row.m).toISOString() };
  }

  /**
   * Temporal entities matching a filter built by query/entity-filter.ts. The filter's columns (types,
   * scopes, id, doc, location) are served by the registry joined with the current entities, so q and
   * geo-queries see the current state and type/id filters also find entities that exist only in history.
   */
  async queryEntities(
    db: Queryable,
    filter: EntityFilter,
    opts: { attrs?: string[]; limit: number; offset: number; count: boolean },
  ): Promise<{ entities: RegistryRow[]; total?: number }> {
    const p = filter.params;
    const where = [...filter.where];
    if (opts.attrs?.length) {
      where.push(`EXISTS (SELECT 1 FROM hub_temporal_series s WHERE s.tenant = hub_entities.tenant AND s.entity_id = hub_entities.id AND s.attr = ANY(${p.add(opts.attrs)}::text[]))`);
    }
    const from = `(SELECT t.tenant, t.id, t.types, t.scopes, t.created_at, t.modified_at, e.doc, e.location
       FROM hub_temporal_entities t LEFT JOIN hub_entities e ON e.tenant = t.tenant AND e.id = t.id) AS hub_entities`;
    const cond = where.length ? where.join(' AND ') : 'true';
    let total: number | undefined;
    if (opts.count) {
      const c = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${from} WHERE ${cond}`, p.values);
      total = c.rows[0].n;
    }
    if (opts.limit === 0) return { entities: [], total };
    const r = await db.query<{ id: string; types: string[]; scopes: string[]; c: number; m: number }>(
      `SELECT id, types, scopes, ${ms('created_at')} AS c, ${ms('modified_at')} AS m FROM ${from} WHERE ${cond}
       ORDER BY id LIMIT ${p.add(opts.limit)} OFFSET ${p.add(opts.offset)}`,
      p.values,
    );
    return {
      entities: r.rows.map((row) => ({ id: row.id, types: row.types, scopes: row.scopes, createdAt: new Date(row.c).toISOString(), modifiedAt: new Date(row.m).toISOString() })),
      total,
    };
  }

  /**
   * Instances of the given entities in the query's window: per series (entity, attribute, datasetId) the
   * first `limit` (ascending) or, with lastN, the last `limit` (descending), one index range scan each.
   */
  async instances(
    db: Queryable,
    tenant: string,
    entityIds: string[],
    attrs: string[] | undefined,
    tq: TemporalQuery,
    limit: number,
  ): Promise<InstanceRow[]> {
    if (!entityIds.length) return [];
    const col = `i.${TIME_COLUMN[tq.timeproperty]}`;
    const params: unknown[] = [tenant, entityIds];
    const attrCond = attrs?.length ? ` AND s.attr = ANY($${params.push(attrs)}::text[])` : '';
    const window = timeWindow(tq, col, params);
    const dir = tq.lastN !== undefined ? 'DESC' : 'ASC';
    const select = `i.instance_id, i.kind, i.value AS v, ${ms(col)} AS t, ${ms('i.observed_at')} AS o, ${ms('i.created_at')} AS c, ${ms('i.modified_at')} AS m`;
    const r = await db.query<Record<string, any>>(
      `SELECT s.entity_id, s.attr, s.dataset_id, x.*
       FROM hub_temporal_series s
       CROSS JOIN LATERAL (
         SELECT ${select}
         FROM ${PARENT} i
         WHERE i.tenant = s.tenant AND i.entity_id = s.entity_id AND i.attr = s.attr AND i.dataset_id = s.dataset_id${window}
         ORDER BY ${col} ${dir}
         LIMIT ${limit}
       ) x
       WHERE s.tenant = $1 AND s.entity_id = ANY($2::text[])${attrCond}`,
      params,
    );
    return r.rows.map((row) => ({
      entityId: row.entity_id,
      attr: row.attr,
      datasetId: row.dataset_id,
      kind: row.kind,
      t: row.t,
      value: row.v,
      instanceId: row.instance_id,
      observedAt: row.o,
      createdAt: row.c,
      modifiedAt: row.m,
    }));
  }

  /**
   * The simplified representation's data in one round trip: per series, its values as `[value, time]`
   * pairs already assembled by json_agg (oldest first), so the server never handles one row per instance.
   */
  async valueSeries(
    db: Queryable,
    tenant: string,
    entityIds: string[],
    attrs: string[] | undefined,
    tq: TemporalQuery,
    limit: number,
  ): Promise<ValueSeriesRow[]> {
    if (!entityIds.length) return [];
    const col = `i.${TIME_COLUMN[tq.timeproperty]}`;
    const params: unknown[] = [tenant, entityIds];
    const attrCond = attrs?.length ? ` AND s.attr = ANY($${params.push(attrs)}::text[])` : '';
    const window = timeWindow(tq, col, params);
    const dir = tq.lastN !== undefined ? 'DESC' : 'ASC';
    const r = await db.query<{ entity_id: string; attr: string; dataset_id: string; kind: string; vals: [unknown, string][] }>(
      `SELECT s.entity_id, s.attr, s.dataset_id, x.kind, x.vals
       FROM hub_temporal_series s
       CROSS JOIN LATERAL (
         SELECT max(y.kind) AS kind, count(*) AS n,
                json_agg(json_build_array(y.v, date_part('epoch', y.t) * 1000)) AS vals
         FROM (
           SELECT i.kind, ${VALUE_SQL('i')} AS v, ${col} AS t
           FROM ${PARENT} i
           WHERE i.tenant = s.tenant AND i.entity_id = s.entity_id AND i.attr = s.attr AND i.dataset_id = s.dataset_id${window}
           ORDER BY ${col} ${dir}
           LIMIT ${limit}
         ) y
       ) x
       WHERE s.tenant = $1 AND s.entity_id = ANY($2::text[])${attrCond} AND x.n > 0`,
      params,
    );
    // json_agg takes the rows in the order of its subquery (Limit over an index scan; no ORDER BY in the
    // aggregate, which would sort every series again): newest first for lastN, so those are reversed.
    // Times come as epoch ms: formatting ~100,000 of them here costs a fraction of to_char() in SQL.
    for (const row of r.rows) {
      if (dir === 'DESC') row.vals.reverse();
      for (const pair of row.vals) pair[1] = isoFromEpochMs(pair[1] as unknown as number);
    }
    return r.rows.map((row) => ({ entityId: row.entity_id, attr: row.attr, datasetId: row.dataset_id, kind: row.kind, values: row.vals }));
  }

  /** Aggregated values per series and period, computed in SQL (§4.5.19). */
  async aggregate(db: Queryable, tenant: string, entityIds: string[], attrs: string[] | undefined, tq: TemporalQuery): Promise<AggregateRow[]> {
    if (!entityIds.length) return [];
    const colName = TIME_COLUMN[tq.timeproperty];
    const col = `i.${colName}`;
    const params: unknown[] = [tenant, entityIds];
    const attrCond = attrs?.length ? ` AND i.attr = ANY($${params.push(attrs)}::text[])` : '';
    const window = timeWindow(tq, col, params);
    const base = `i.tenant = $1 AND i.entity_id = ANY($2::text[])${attrCond}${window}`;
    const aggs = tq.aggrMethods.map((m) => `${aggregateSql(m)} AS "${m}"`).join(', ');
    const period = tq.aggrPeriod;
    const timeAtIso = tq.timeAt !== undefined ? new Date(tq.timeAt).toISOString() : undefined;
    let rows: Record<string, any>[];
    if (!period) {
      // One period covering the whole window (§4.5.19 "PT0S").
      const r = await db.query<Record<string, any>>(
        `SELECT i.entity_id, i.attr, i.dataset_id, min(i.kind) AS kind, ${ms(`min(${col})`)} AS lo, ${ms(`max(${col})`)} AS hi, ${aggs}
         FROM ${PARENT} i WHERE ${base}
         GROUP BY i.entity_id, i.attr, i.dataset_id`,
        params,
      );
      const start = tq.timerel === 'after' || tq.timerel === 'between' ? tq.timeAt : undefined;
      const end = tq.timerel === 'between' ? tq.endTimeAt : tq.timerel === 'before' ? tq.timeAt : undefined;
      rows = r.rows.map((x) => ({ ...x, b: start ?? x.lo, e: end ?? x.hi }));
    } else if (!isCalendar(period)) {
      // date_bin: periods aligned on timeAt when given, else on 1970-01-01T00:00Z (hours on the hour).
      const origin = timeAtIso ?? '1970-01-01T00:00:00Z';
      params.push(toPgInterval(period), origin);
      const bin = `date_bin($${params.length - 1}::interval, ${col}, $${params.length}::timestamptz)`;
      const r = await db.query<Record<string, any>>(
        `SELECT i.entity_id, i.attr, i.dataset_id, min(i.kind) AS kind, ${ms(bin)} AS b, ${aggs}
         FROM ${PARENT} i WHERE ${base}
         GROUP BY i.entity_id, i.attr, i.dataset_id, ${bin}`,
        params,
      );
      rows = r.rows.map((x) => ({ ...x, e: x.b + period.fixedMs }));
    } else {
      // Months and years: periods walked with interval arithmetic in UTC from timeAt (after/between),
      // else from the start of the month of the earliest instance.
      let origin = tq.timerel === 'after' || tq.timerel === 'between' ? timeAtIso : undefined;
      let upper = tq.timerel === 'between' ? new Date(tq.endTimeAt!).toISOString() : undefined;
      if (!origin || !upper) {
        const b = await db.query<{ lo: number | null; hi: number | null }>(
          `SELECT ${ms(`date_trunc('month', min(${col}) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`)} AS lo, ${ms(`max(${col})`)} AS hi FROM ${PARENT} i WHERE ${base}`,
          params,
        );
        if (b.rows[0].lo === null) return [];
        origin ??= new Date(b.rows[0].lo).toISOString();
        upper ??= new Date(b.rows[0].hi!).toISOString();
      }
      params.push(toPgInterval(period), origin, upper);
      const [pi, po, pu] = [params.length - 2, params.length - 1, params.length];
      const r = await db.query<Record<string, any>>(
        `WITH periods AS (
           SELECT g.s AT TIME ZONE 'UTC' AS bs, (g.s + $${pi}::interval) AT TIME ZONE 'UTC' AS be
           FROM generate_series($${po}::timestamptz AT TIME ZONE 'UTC', $${pu}::timestamptz AT TIME ZONE 'UTC', $${pi}::interval) AS g(s)
           LIMIT ${MAX_CALENDAR_BUCKETS}
         )
         SELECT i.entity_id, i.attr, i.dataset_id, min(i.kind) AS kind, ${ms('p.bs')} AS b, ${ms('p.be')} AS e, ${aggs}
         FROM periods p JOIN ${PARENT} i ON ${col} >= p.bs AND ${col} < p.be
         WHERE ${base}
         GROUP BY i.entity_id, i.attr, i.dataset_id, p.bs, p.be`,
        params,
      );
      rows = r.rows;
    }
    return rows.map((x) => {
      const values: Partial<Record<AggrMethod, unknown>> = {};
      for (const m of tq.aggrMethods) values[m] = x[m];
      return { entityId: x.entity_id, attr: x.attr, datasetId: x.dataset_id, kind: x.kind, start: x.b, end: x.e, values };
    });
  }

  /** Deletes an entity's history and registry row; false if it had none. */
  async deleteEntity(db: Queryable, tenant: string, id: string): Promise<boolean> {
    const r = await db.query('DELETE FROM hub_temporal_entities WHERE tenant = $1 AND id = $2 RETURNING id', [tenant, id]);
    await db.query('DELETE FROM hub_temporal_series WHERE tenant = $1 AND entity_id = $2', [tenant, id]);
    await db.query(`DELETE FROM ${PARENT} WHERE tenant = $1 AND entity_id = $2`, [tenant, id]);
    this.forgetSeries();
    return r.rows.length > 0;
  }

  /** Deletes the instances of an attribute (one datasetId, or all); returns how many. */
  async deleteAttribute(db: Queryable, tenant: string, id: string, attr: string, datasetId: string | undefined): Promise<number> {
    const params: unknown[] = [tenant, id, attr];
    const ds = datasetId === undefined ? '' : ` AND dataset_id = $${params.push(datasetId)}`;
    const r = await db.query(`DELETE FROM ${PARENT} WHERE tenant = $1 AND entity_id = $2 AND attr = $3${ds}`, params);
    await db.query(`DELETE FROM hub_temporal_series WHERE tenant = $1 AND entity_id = $2 AND attr = $3${ds}`, params);
    this.forgetSeries();
    return r.rowCount;
  }

  async findInstance(db: Queryable, tenant: string, id: string, attr: string, instanceId: string): Promise<InstanceRecord | undefined> {
    const r = await db.query<Record<string, any>>(
      `SELECT dataset_id, instance_id, ${ms('ts')} AS ts, ${ms('observed_at')} AS o, ${ms('created_at')} AS c, ${ms('modified_at')} AS m, kind, value, num
       FROM ${PARENT} WHERE instance_id = $4 AND tenant = $1 AND entity_id = $2 AND attr = $3`,
      [tenant, id, attr, instanceId],
    );
    const x = r.rows[0];
    if (!x) return undefined;
    const iso = (v: number | null) => (v === null ? undefined : new Date(v).toISOString());
    return {
      entityId: id,
      attr,
      datasetId: x.dataset_id,
      instanceId: x.instance_id,
      ts: iso(x.ts)!,
      observedAt: iso(x.o),
      createdAt: iso(x.c)!,
      modifiedAt: iso(x.m)!,
      kind: x.kind,
      value: x.value,
      num: x.num,
    };
  }

  /** Replaces one instance (its time may move it to another partition). */
  async replaceInstance(db: Queryable, tenant: string, rec: InstanceRecord): Promise<void> {
    await this.ensurePartitions(db, [Date.parse(rec.ts)]);
    await db.query(
      `UPDATE ${PARENT} SET ts = $5, observed_at = $6, modified_at = $7, kind = $8, value = $9::jsonb, num = $10
       WHERE instance_id = $4 AND tenant = $1 AND entity_id = $2 AND attr = $3`,
      [tenant, rec.entityId, rec.attr, rec.instanceId, rec.ts, rec.observedAt ?? null, rec.modifiedAt, rec.kind, JSON.stringify(rec.value), rec.num],
    );
  }

  async deleteInstance(db: Queryable, tenant: string, id: string, attr: string, instanceId: string): Promise<boolean> {
    const r = await db.query(`DELETE FROM ${PARENT} WHERE instance_id = $4 AND tenant = $1 AND entity_id = $2 AND attr = $3`, [tenant, id, attr, instanceId]);
    return r.rowCount > 0;
  }

  // ---- Retention

  /** Existing monthly partitions with their [from, to) bounds in epoch ms. */
  async listPartitions(db: Queryable): Promise<{ name: string; from: number; to: number }[]> {
    const r = await db.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid
       JOIN pg_class p ON p.oid = h.inhparent WHERE p.relname = $1 ORDER BY c.relname`,
      [PARENT],
    );
    const out: { name: string; from: number; to: number }[] = [];
    for (const { name } of r.rows) {
      const m = PARTITION.exec(name);
      if (!m) continue;
      const y = Number(m[1]);
      const mo = Number(m[2]) - 1;
      out.push({ name, from: Date.UTC(y, mo, 1), to: Date.UTC(y, mo + 1, 1) });
      this.partitions.add(name);
    }
    return out;
  }

  async dropPartition(db: Queryable, name: string): Promise<void> {
    if (!PARTITION.test(name)) throw new Error(`Not a history partition: ${name}`);
    this.partitions.delete(name);
    await db.query(`DROP TABLE IF EXISTS ${name}`);
  }

  async deleteBefore(db: Queryable, cutoffMs: number): Promise<number> {
    const r = await db.query(`DELETE FROM ${PARENT} WHERE ts < $1::timestamptz`, [new Date(cutoffMs).toISOString()]);
    return r.rowCount;
  }
}

function aggregateSql(m: AggrMethod): string {
  const v = VALUE_SQL('i');
  switch (m) {
    case 'totalCount':
      return 'count(*)::float8';
    case 'distinctCount':
      return `count(DISTINCT ${v})::float8`;
    case 'sum':
      return 'sum(i.num)';
    case 'avg':
      return 'avg(i.num)';
    case 'min':
      return `CASE WHEN count(i.num) > 0 THEN to_jsonb(min(i.num)) ELSE to_jsonb(min(${v} #>> '{}')) END`;
    case 'max':
      return `CASE WHEN count(i.num) > 0 THEN to_jsonb(max(i.num)) ELSE to_jsonb(max(${v} #>> '{}')) END`;
    case 'stddev':
      return 'stddev_samp(i.num)';
    case 'sumsq':
      return 'sum(i.num * i.num)';
  }
}
