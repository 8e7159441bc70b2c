import { allSettledOrThrow, type Queryable } from '../../platform/db/db.ts';
import { HubErrors } from '../errors.ts';
import type { EntityFilter } from '../entities/store.ts';
import { isCalendar, toPgInterval } from './duration.ts';
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
  /** `[value, epoch ms]`, oldest first. */
  values: [unknown, number][];
  /** Instead of `values`: the same as JSON text with ISO times, straight from day packs (packs.ts). */
  packed?: { json: string; n: number };
}

type RawValueSeries = { entity_id: string; attr: string; dataset_id: string; kind: string; vals: [unknown, number][] };

/** A series (entity, attribute, datasetId) of one tenant. */
export interface SeriesKey {
  tenant: string;
  entityId: string;
  attr: string;
  datasetId: string;
}

/** One day of one series: `day` is the epoch ms of its UTC midnight. */
export interface SeriesDay {
  entityId: string;
  attr: string;
  datasetId: string;
  day: number;
}

/** A time range [from, to) of one series, epoch ms (±Infinity for open ends). */
export interface SeriesRange {
  entityId: string;
  attr: string;
  datasetId: string;
  from: number;
  to: number;
}

/** A series and one of its day packs, if it has any in the window read. */
export interface SeriesPacks {
  entityId: string;
  attr: string;
  datasetId: string;
  pack?: {
    day: number;
    n: number;
    kind: string;
    /** The day holds instances of more than one type. */
    mixed: boolean;
    /** JSON text: `[[value, ISO time], ...]` oldest first. */
    vals: string;
  };
}

export const DAY_MS = 86_400_000;
/** Serialises pack writers: the packer and the writers rebuilding a packed day (packs.ts). */
const PACK_LOCK = 7361005;

/** Takes the pack lock until the transaction ends. */
async function lockPacks(tx: Queryable): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(${PACK_LOCK})`);
}

/**
 * Makes the transaction's per-series reads use the series index whatever the statistics say: in a
 * partition that holds mostly one series (a sensor's backfilled months) they estimate that any series
 * matches every row, and the planner scanned the whole partition once per series of the batch (seconds
 * instead of milliseconds).
 */
async function preferSeriesIndex(tx: Queryable): Promise<void> {
  await tx.query('SET LOCAL enable_seqscan = off');
  await tx.query('SET LOCAL enable_bitmapscan = off');
}

/** Gives the rest of a writer's transaction its planner back after a repack. */
async function plannerDefaults(tx: Queryable): Promise<void> {
  await tx.query('SET LOCAL enable_seqscan TO DEFAULT');
  await tx.query('SET LOCAL enable_bitmapscan TO DEFAULT');
}

/**
 * What one pack holds, over the instances `i` of one series and day: the values as the simplified
 * representation writes them, times as ISO 8601 with milliseconds (as Date#toISOString), so that a whole
 * pack goes into an answer as it is (raw-json.ts).
 */
const PACK_AGGREGATES = `count(*)::int AS n, max(i.kind) AS kind, min(i.kind) <> max(i.kind) AS mixed,
  json_agg(json_build_array(${VALUE_SQL('i')}, to_char(i.ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY i.ts, i.instance_id)::text AS vals`;

/** A series as one string (U+0001 cannot occur in the IRIs it joins). */
export const seriesKey = (s: { entityId: string; attr: string; datasetId: string }) => `${s.entityId}\u0001${s.attr}\u0001${s.datasetId}`;

/**
 * A lateral subquery over the instances of the series `alias` (columns tenant, entity_id, attr, dataset_id)
 * in the query's window: count, max kind and json_agg of `[value, epoch ms]` over the first (or with
 * lastN, the last) `limit` instances. Bind parameters are added to `params`.
 */
function valuesLateral(alias: string, tq: TemporalQuery, limit: number, params: unknown[], extra = ''): string {
  const col = `i.${TIME_COLUMN[tq.timeproperty]}`;
  const window = timeWindow(tq, col, params);
  const dir = tq.lastN !== undefined ? 'DESC' : 'ASC';
  const a = alias;
  return `(
    SELECT max(y.kind) AS kind, count(*) AS n, json_agg(json_build_array(y.v, date_part('epoch', y.t) * 1000)) AS vals
    FROM (
      SELECT i.kind, ${VALUE_SQL('i')} AS v, ${col} AS t
      FROM ${PARENT} i
      WHERE i.tenant = ${a}.tenant AND i.entity_id = ${a}.entity_id AND i.attr = ${a}.attr AND i.dataset_id = ${a}.dataset_id${window}${extra}
      ORDER BY ${col} ${dir}
      LIMIT ${limit}
    ) y
  )`;
}

/**
 * json_agg takes the rows in the order of its subquery (Limit over an index scan; no ORDER BY in the
 * aggregate, which would sort every series again): newest first for lastN, so those are reversed.
 */
function valueSeriesRow(row: RawValueSeries, tq: TemporalQuery): ValueSeriesRow {
  if (tq.lastN !== undefined) row.vals.reverse();
  return { entityId: row.entity_id, attr: row.attr, datasetId: row.dataset_id, kind: row.kind, values: row.vals };
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

/** Monthly partition covering an instant (UTC month): name and [from, to) bounds as UTC timestamps. */
export function partitionFor(atMs: number): { name: string; from: string; to: string } {
  const d = new Date(atMs);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  if (y < 1 || y > 9999) throw HubErrors.badRequestData.with(`Time ${d.toISOString()} is out of the supported range (years 1-9999)`);
  // Explicitly UTC: a bare date would be midnight in the session's time zone, and partitions would not
  // match the UTC months instants are routed by (an instance late on a month's last day found none).
  const iso = (yy: number, mm: number) => `${new Date(Date.UTC(yy, mm, 1)).toISOString().slice(0, 10)} 00:00:00+00`;
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  return { name: `${PARENT}_p${pad(y, 4)}${pad(m + 1, 2)}`, from: iso(y, m), to: iso(y, m + 1) };
}

/** The UTC month a partition's name covers, [from, to) in epoch ms; undefined for other names. */
function partitionBounds(name: string): { from: number; to: number } | undefined {
  const m = PARTITION.exec(name);
  if (!m) return undefined;
  const [y, mo] = [Number(m[1]), Number(m[2]) - 1];
  return { from: Date.UTC(y, mo, 1), to: Date.UTC(y, mo + 1, 1) };
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
export class TemporalStore {
  /** Partitions known to exist (this process created or saw them). */
  private readonly partitions = new Set<string>();
  /** Tenants known to exist (tenants are never deleted). */
  private readonly tenants = new Set<string>();

  forgetPartition(name: string) {
    this.partitions.delete(name);
  }

  /**
   * Creates the monthly partitions these instants need. Runs inside the writing transaction; the advisory
   * lock serialises concurrent creators (IF NOT EXISTS alone races on the catalogue).
   */
  async ensurePartitions(db: Queryable, instantsMs: Iterable<number>): Promise<void> {
    const needed = new Map<string, { name: string; from: string; to: string }>();
    // A write's instants mostly share a month: name a partition only when one leaves the last month seen.
    let from = Infinity;
    let to = -Infinity;
    for (const t of instantsMs) {
      if (t >= from && t < to) continue;
      const p = partitionFor(t);
      ({ from, to } = partitionBounds(p.name)!);
      if (!this.partitions.has(p.name)) needed.set(p.name, p);
    }
    for (const p of needed.values()) {
      await db.query('SELECT pg_advisory_xact_lock(7361004)');
      const exists = await db.query('SELECT 1 FROM pg_class WHERE relname = $1', [p.name]);
      if (!exists.rows.length) {
        await db.query(`CREATE TABLE IF NOT EXISTS ${p.name} PARTITION OF ${PARENT} FOR VALUES FROM ('${p.from}') TO ('${p.to}')`);
      }
      this.partitions.add(p.name);
      db.onRollback?.(() => this.partitions.delete(p.name));
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
  /**
   * Inserts history instances (and their series). Returns the keys (seriesKey) of the series this call
   * created: no pack can exist for them, nor be in the making (the packer only sees committed series).
   */
  async insertInstances(db: Queryable, tenant: string, records: InstanceRecord[]): Promise<Set<string>> {
    const created = new Set<string>();
    if (!records.length) return created;
    await this.ensurePartitions(db, records.map((r) => Date.parse(r.ts)));
    // Every write names its series, known or not: the registry is the database's alone. A cache of known
    // series in this process went stale when another process (or a concurrent delete here) removed one,
    // and instances then went in without their series row, unseen by packed reads. An existing series
    // costs one index probe, in the same round trip.
    const series = new Map<string, { entity_id: string; attr: string; dataset_id: string }>();
    for (const r of records) series.set(seriesKey(r), { entity_id: r.entityId, attr: r.attr, dataset_id: r.datasetId });
    // Both statements go out together (one round trip on PostgreSQL); the series insert runs first.
    // RETURNING names only the series inserted here: one another transaction holds is waited for and left out.
    const [inserted] = await allSettledOrThrow([
      db.query<{ entity_id: string; attr: string; dataset_id: string }>(
        `INSERT INTO hub_temporal_series (tenant, entity_id, attr, dataset_id)
         SELECT $1, s.entity_id, s.attr, s.dataset_id FROM jsonb_to_recordset($2::jsonb) AS s(entity_id text, attr text, dataset_id text)
         ON CONFLICT DO NOTHING
         RETURNING entity_id, attr, dataset_id`,
        [tenant, JSON.stringify([...series.values()])],
        { prepare: 'hub.temporal.series-insert-returning' },
      ),
      db.query(
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
      ),
    ]);
    for (const x of inserted.rows) created.add(seriesKey({ entityId: x.entity_id, attr: x.attr, datasetId: x.dataset_id }));
    return created;
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
   * The simplified representation's data in one round trip: per series, its values as `[value, epoch ms]`
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
    const params: unknown[] = [tenant, entityIds];
    const attrCond = attrs?.length ? ` AND s.attr = ANY($${params.push(attrs)}::text[])` : '';
    const lateral = valuesLateral('s', tq, limit, params);
    const r = await db.query<RawValueSeries>(
      `SELECT s.entity_id, s.attr, s.dataset_id, x.kind, x.vals
       FROM hub_temporal_series s
       CROSS JOIN LATERAL ${lateral} x
       WHERE s.tenant = $1 AND s.entity_id = ANY($2::text[])${attrCond} AND x.n > 0`,
      params,
    );
    return r.rows.map((row) => valueSeriesRow(row, tq));
  }

  /** valueSeries over explicit time ranges of series (the parts of a window that no day pack covers). */
  async valueSeriesInRanges(db: Queryable, tenant: string, ranges: SeriesRange[], tq: TemporalQuery, limit: number): Promise<(ValueSeriesRow & { from: number })[]> {
    if (!ranges.length) return [];
    const ts = (ms: number) => (ms === -Infinity ? '-infinity' : ms === Infinity ? 'infinity' : new Date(ms).toISOString());
    const params: unknown[] = [tenant, JSON.stringify(ranges.map((g, k) => ({ e: g.entityId, a: g.attr, d: g.datasetId, lo: ts(g.from), hi: ts(g.to), k })))];
    const lateral = valuesLateral('g', tq, limit, params, ' AND i.ts >= g.lo AND i.ts < g.hi');
    const r = await db.query<RawValueSeries & { k: number }>(
      `SELECT g.entity_id, g.attr, g.dataset_id, g.k, x.kind, x.vals
       FROM (SELECT $1::text AS tenant, r.e AS entity_id, r.a AS attr, r.d AS dataset_id, r.lo, r.hi, r.k
             FROM jsonb_to_recordset($2::jsonb) AS r(e text, a text, d text, lo timestamptz, hi timestamptz, k int)) g
       CROSS JOIN LATERAL ${lateral} x
       WHERE x.n > 0`,
      params,
    );
    return r.rows.map((row) => ({ ...valueSeriesRow(row, tq), from: ranges[row.k].from }));
  }

  // ---- Day packs (packs.ts): the history of closed days, one row per series and day.

  /**
   * Every series of these entities, each with its packs overlapping [from, to) (epoch ms, ±Infinity for open
   * ends): one row per pack, or one row without pack for a series that has none there.
   */
  async seriesWithPacks(db: Queryable, tenant: string, entityIds: string[], attrs: string[] | undefined, from: number, to: number): Promise<SeriesPacks[]> {
    if (!entityIds.length) return [];
    const params: unknown[] = [tenant, entityIds];
    const attrCond = attrs?.length ? ` AND s.attr = ANY($${params.push(attrs)}::text[])` : '';
    const lo = from === -Infinity ? '' : ` AND p.day > $${params.push(new Date(from - DAY_MS).toISOString())}::timestamptz`;
    const hi = to === Infinity ? '' : ` AND p.day < $${params.push(new Date(to).toISOString())}::timestamptz`;
    const r = await db.query<{ entity_id: string; attr: string; dataset_id: string; day: number | null; n: number; kind: string | null; mixed: boolean; vals: string | null }>(
      `SELECT s.entity_id, s.attr, s.dataset_id, ${ms('p.day')} AS day, p.n, p.kind, p.mixed, p.vals
       FROM hub_temporal_series s
       LEFT JOIN hub_temporal_packs p ON p.tenant = s.tenant AND p.entity_id = s.entity_id AND p.attr = s.attr AND p.dataset_id = s.dataset_id${lo}${hi}
       WHERE s.tenant = $1 AND s.entity_id = ANY($2::text[])${attrCond}`,
      params,
    );
    return r.rows.map((x) => ({
      entityId: x.entity_id,
      attr: x.attr,
      datasetId: x.dataset_id,
      pack: x.day === null ? undefined : { day: x.day, n: x.n, kind: x.kind!, mixed: x.mixed, vals: x.vals! },
    }));
  }

  /**
   * Packs the days in [from, to) of up to `batch` series after `after` (in key order), replacing their
   * packs. Takes the pack lock: run it in a transaction. Returns the last series key of the batch.
   */
  async packBatch(tx: Queryable, from: number, to: number, after: SeriesKey | undefined, batch: number): Promise<{ last?: SeriesKey; series: number }> {
    await lockPacks(tx);
    await preferSeriesIndex(tx);
    // Series ids are URIs: no key is below the empty one.
    const a = after ?? { tenant: '', entityId: '', attr: '', datasetId: '' };
    const r = await tx.query<{ tenant: string; entity_id: string; attr: string; dataset_id: string; n: number }>(
      `WITH batch AS (
         SELECT tenant, entity_id, attr, dataset_id FROM hub_temporal_series WHERE (tenant, entity_id, attr, dataset_id) > ($1::text, $2::text, $3::text, $4::text)
         ORDER BY tenant, entity_id, attr, dataset_id LIMIT $5
       ), packed AS (
         INSERT INTO hub_temporal_packs (tenant, entity_id, attr, dataset_id, day, n, kind, mixed, vals)
         SELECT b.tenant, b.entity_id, b.attr, b.dataset_id, x.day, x.n, x.kind, x.mixed, x.vals
         FROM batch b CROSS JOIN LATERAL (
           SELECT date_bin('1 day', i.ts, 'epoch'::timestamptz) AS day, ${PACK_AGGREGATES}
           FROM ${PARENT} i
           WHERE i.tenant = b.tenant AND i.entity_id = b.entity_id AND i.attr = b.attr AND i.dataset_id = b.dataset_id
             AND i.ts >= $6::timestamptz AND i.ts < $7::timestamptz
           GROUP BY 1
         ) x
         ON CONFLICT (tenant, entity_id, attr, dataset_id, day) DO UPDATE SET n = EXCLUDED.n, kind = EXCLUDED.kind, mixed = EXCLUDED.mixed, vals = EXCLUDED.vals
         RETURNING 1
       )
       SELECT b.*, (SELECT count(*) FROM batch)::int AS n FROM batch b
       ORDER BY tenant DESC, entity_id DESC, attr DESC, dataset_id DESC LIMIT 1`,
      [a.tenant, a.entityId, a.attr, a.datasetId, batch, new Date(from).toISOString(), new Date(to).toISOString()],
    );
    const x = r.rows[0];
    if (!x) return { series: 0 };
    return { last: { tenant: x.tenant, entityId: x.entity_id, attr: x.attr, datasetId: x.dataset_id }, series: x.n };
  }

  /**
   * Rebuilds the packs of these series' days from their rows, in the writing transaction (under the pack
   * lock, so a packer running at the same time cannot write a pack without this write). Days at or after
   * `horizon` are only deleted: they are not closed yet.
   */
  async repack(tx: Queryable, tenant: string, days: SeriesDay[], horizon: number): Promise<void> {
    if (!days.length) return;
    await lockPacks(tx);
    await preferSeriesIndex(tx);
    // Day ends computed here: `+ interval '1 day'` counts a calendar day in the session's time zone (23 or 25 h).
    const json = JSON.stringify(days.map((d) => ({ e: d.entityId, a: d.attr, d: d.datasetId, day: new Date(d.day).toISOString(), day_end: new Date(d.day + DAY_MS).toISOString() })));
    const rows = 'jsonb_to_recordset($2::jsonb) AS g(e text, a text, d text, day timestamptz, day_end timestamptz)';
    await tx.query(
      `DELETE FROM hub_temporal_packs p USING ${rows}
       WHERE p.tenant = $1 AND p.entity_id = g.e AND p.attr = g.a AND p.dataset_id = g.d AND p.day = g.day`,
      [tenant, json],
    );
    await tx.query(
      `INSERT INTO hub_temporal_packs (tenant, entity_id, attr, dataset_id, day, n, kind, mixed, vals)
       SELECT $1, g.e, g.a, g.d, g.day, x.n, x.kind, x.mixed, x.vals
       FROM ${rows} CROSS JOIN LATERAL (
         SELECT ${PACK_AGGREGATES} FROM ${PARENT} i
         WHERE i.tenant = $1 AND i.entity_id = g.e AND i.attr = g.a AND i.dataset_id = g.d AND i.ts >= g.day AND i.ts < g.day_end
       ) x
       WHERE g.day < $3::timestamptz AND x.n > 0
         -- No pack without its series: the reader lists series from the registry, and a pack written for a
         -- series it does not hold yet would surface, stale, once the series is registered.
         AND EXISTS (SELECT 1 FROM hub_temporal_series s WHERE s.tenant = $1 AND s.entity_id = g.e AND s.attr = g.a AND s.dataset_id = g.d)`,
      [tenant, json, new Date(horizon).toISOString()],
    );
    await plannerDefaults(tx);
  }

  /** Where the packer got to (every closed day before it was packed once), if it ever ran. */
  async packedUntil(db: Queryable): Promise<number | undefined> {
    const r = await db.query<{ t: number }>(`SELECT ${ms('packed_until')} AS t FROM hub_temporal_pack_state`);
    return r.rows[0]?.t;
  }

  async setPackedUntil(db: Queryable, t: number): Promise<void> {
    await db.query(
      `INSERT INTO hub_temporal_pack_state (only_row, packed_until) VALUES (true, $1) ON CONFLICT (only_row) DO UPDATE SET packed_until = EXCLUDED.packed_until`,
      [new Date(t).toISOString()],
    );
  }

  /**
   * Whether any instance has a time in [from, to). No index on ts alone: at worst a scan of the partitions
   * of that range, once per week of history for the packer. (A BRIN index on ts would answer it at once, but
   * the planner then preferred it to the series index for the packer's per-series reads, 20× slower.)
   */
  async hasInstancesIn(db: Queryable, from: number, to: number): Promise<boolean> {
    const r = await db.query(`SELECT 1 FROM ${PARENT} WHERE ts >= $1::timestamptz AND ts < $2::timestamptz LIMIT 1`, [new Date(from).toISOString(), new Date(to).toISOString()]);
    return r.rows.length > 0;
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
    await lockPacks(db);
    const r = await db.query('DELETE FROM hub_temporal_entities WHERE tenant = $1 AND id = $2 RETURNING id', [tenant, id]);
    await db.query('DELETE FROM hub_temporal_series WHERE tenant = $1 AND entity_id = $2', [tenant, id]);
    await db.query(`DELETE FROM ${PARENT} WHERE tenant = $1 AND entity_id = $2`, [tenant, id]);
    await db.query('DELETE FROM hub_temporal_packs WHERE tenant = $1 AND entity_id = $2', [tenant, id]);
    return r.rows.length > 0;
  }

  /** Deletes the instances of an attribute (one datasetId, or all); returns how many. */
  async deleteAttribute(db: Queryable, tenant: string, id: string, attr: string, datasetId: string | undefined): Promise<number> {
    const params: unknown[] = [tenant, id, attr];
    const ds = datasetId === undefined ? '' : ` AND dataset_id = $${params.push(datasetId)}`;
    await lockPacks(db);
    const r = await db.query(`DELETE FROM ${PARENT} WHERE tenant = $1 AND entity_id = $2 AND attr = $3${ds}`, params);
    await db.query(`DELETE FROM hub_temporal_series WHERE tenant = $1 AND entity_id = $2 AND attr = $3${ds}`, params);
    await db.query(`DELETE FROM hub_temporal_packs WHERE tenant = $1 AND entity_id = $2 AND attr = $3${ds}`, params);
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

  /** Deletes one instance; returns its series and time (for its day's pack), or undefined if there was none. */
  async deleteInstance(
    db: Queryable,
    tenant: string,
    id: string,
    attr: string,
    instanceId: string,
  ): Promise<{ entityId: string; attr: string; datasetId: string; ts: number } | undefined> {
    const r = await db.query<{ dataset_id: string; ts: number }>(
      `DELETE FROM ${PARENT} WHERE instance_id = $4 AND tenant = $1 AND entity_id = $2 AND attr = $3 RETURNING dataset_id, ${ms('ts')} AS ts`,
      [tenant, id, attr, instanceId],
    );
    const x = r.rows[0];
    return x && { entityId: id, attr, datasetId: x.dataset_id, ts: x.ts };
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
      const bounds = partitionBounds(name);
      if (!bounds) continue;
      out.push({ name, ...bounds });
      this.partitions.add(name);
    }
    return out;
  }

  async dropPartition(db: Queryable, name: string): Promise<void> {
    const bounds = partitionBounds(name);
    if (!bounds) throw new Error(`Not a history partition: ${name}`);
    this.partitions.delete(name);
    await db.query(`DROP TABLE IF EXISTS ${name}`);
    await db.query('DELETE FROM hub_temporal_packs WHERE day >= $1::timestamptz AND day < $2::timestamptz', [
      new Date(bounds.from).toISOString(),
      new Date(bounds.to).toISOString(),
    ]);
  }

  async deleteBefore(db: Queryable, cutoffMs: number): Promise<number> {
    await lockPacks(db);
    const r = await db.query(`DELETE FROM ${PARENT} WHERE ts < $1::timestamptz`, [new Date(cutoffMs).toISOString()]);
    // The pack of the day holding the cutoff lost some of its rows too: it goes, its rest is read from rows.
    await db.query('DELETE FROM hub_temporal_packs WHERE day < $1::timestamptz', [new Date(cutoffMs).toISOString()]);
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
