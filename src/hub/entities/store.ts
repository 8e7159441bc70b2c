import type { Queryable } from '../../platform/db/db.ts';
import type { ChurnReport } from '../../platform/db/maintenance.ts';
import { SqlParams } from '../../platform/db/sql-params.ts';
import { LOCATION_IRI, type AttributeMap, type StoredEntity } from './model.ts';

interface EntityRow {
  id: string;
  types: string[];
  scopes: string[];
  doc: AttributeMap;
  created_at: Date | string;
  modified_at: Date | string;
}

const COLUMNS = 'id, types, scopes, doc, created_at, modified_at';
/** COLUMNS with the document as JSON text, for readers that may not need it parsed. */
const COLUMNS_DOC_TEXT = 'id, types, scopes, doc::text AS doc, created_at, modified_at';
/**
 * A row's version for the read cache (read-cache.ts): xmin changes with every write of the row;
 * modified_at rules out a repeat of xmin after a transaction-id wraparound.
 */
const VERSION = "(xmin::text || '/' || modified_at::text)";
const iso = (d: Date | string) => (d instanceof Date ? d.toISOString() : new Date(d).toISOString());

function toEntity(r: EntityRow): StoredEntity {
  return { id: r.id, types: r.types, scopes: r.scopes, attrs: r.doc, createdAt: iso(r.created_at), modifiedAt: iso(r.modified_at) };
}

/** A row with its document as text: the entity is parsed only if asked for (queryWithVersions). */
function versionedLazily(row: Omit<EntityRow, 'doc'> & { doc: string; v: string }): { id: string; version: string; entity: () => StoredEntity } {
  return { id: row.id, version: row.v, entity: () => toEntity({ ...row, doc: JSON.parse(row.doc) as AttributeMap }) };
}

function locationGeoJson(attrs: AttributeMap): string | null {
  const list = attrs[LOCATION_IRI];
  const inst = list?.find((i) => !i.datasetId) ?? list?.[0];
  return inst ? JSON.stringify(inst.value) : null;
}

const MAX_SHAPES = 256;

/** What a read by id learns: the entity's version, and the entity unless the reader's copy is current; undefined if none. */
export type VersionedRead = { version: string; entity?: StoredEntity } | undefined;

/** A filter assembled by the query layer: a boolean SQL fragment over hub_entities and its params. */
export interface EntityFilter {
  where: string[];
  params: SqlParams;
}

/** The only SQL of the hub's entities. */
export class EntityStore {
  private readonly knownTenants = new Set<string>();
  /** Query texts given a prepared-statement name (see `shapeName`). */
  private readonly shapes = new Map<string, string>();

  /** `onWrite(table, changed, deadMaking)` reports churn to DbMaintenance. */
  constructor(private readonly onWrite?: ChurnReport) {}

  async tenantExists(db: Queryable, tenant: string): Promise<boolean> {
    if (tenant === '' || this.knownTenants.has(tenant)) return true;
    const r = await db.query('SELECT 1 FROM hub_tenants WHERE name = $1', [tenant], { prepare: 'hub.tenant.exists' });
    if (r.rows.length) this.knownTenants.add(tenant);
    return r.rows.length > 0;
  }

  /** Tenants are created on first write (§4.14). */
  async ensureTenant(db: Queryable, tenant: string): Promise<void> {
    if (tenant === '' || this.knownTenants.has(tenant)) return;
    await db.query('INSERT INTO hub_tenants (name) VALUES ($1) ON CONFLICT DO NOTHING', [tenant]);
    this.knownTenants.add(tenant);
    db.onRollback?.(() => this.knownTenants.delete(tenant));
  }

  async listTenants(db: Queryable): Promise<string[]> {
    const r = await db.query<{ name: string }>('SELECT name FROM hub_tenants ORDER BY name');
    return r.rows.map((x) => x.name);
  }

  async get(db: Queryable, tenant: string, id: string, forUpdate = false): Promise<StoredEntity | undefined> {
    const r = await db.query<EntityRow>(
      `SELECT ${COLUMNS} FROM hub_entities WHERE tenant = $1 AND id = $2${forUpdate ? ' FOR UPDATE' : ''}`,
      [tenant, id],
      { prepare: forUpdate ? 'hub.entities.get-for-update' : 'hub.entities.get' },
    );
    return r.rows[0] && toEntity(r.rows[0]);
  }

  async getMany(db: Queryable, tenant: string, ids: string[], forUpdate = false): Promise<Map<string, StoredEntity>> {
    const r = await db.query<EntityRow>(
      `SELECT ${COLUMNS} FROM hub_entities WHERE tenant = $1 AND id = ANY($2::text[]) ORDER BY id${forUpdate ? ' FOR UPDATE' : ''}`,
      [tenant, ids],
      { prepare: forUpdate ? 'hub.entities.get-many-for-update' : 'hub.entities.get-many' },
    );
    return new Map(r.rows.map((row) => [row.id, toEntity(row)]));
  }

  /**
   * The entity's version, and its row only when that version differs from `knownVersion` (the read
   * cache's): an unchanged entity costs a primary-key probe, not its document.
   */
  async getIfChanged(db: Queryable, tenant: string, id: string, knownVersion: string): Promise<VersionedRead> {
    const r = await db.query<EntityRow & { v: string; same: boolean }>(
      `SELECT v, same, CASE WHEN same THEN NULL ELSE types END AS types, CASE WHEN same THEN NULL ELSE scopes END AS scopes,
              CASE WHEN same THEN NULL ELSE doc END AS doc, created_at, modified_at
       FROM (SELECT types, scopes, doc, created_at, modified_at, ${VERSION} AS v, ${VERSION} = $3 AS same
             FROM hub_entities WHERE tenant = $1 AND id = $2) e`,
      [tenant, id, knownVersion],
      { prepare: 'hub.entities.get-if-changed' },
    );
    const row = r.rows[0];
    if (!row) return undefined;
    return row.same ? { version: row.v } : { version: row.v, entity: toEntity({ ...row, id }) };
  }

  /**
   * getIfChanged for many ids of one tenant in one statement; the answers in the order asked (an id asked
   * twice is answered twice).
   */
  async getManyIfChanged(
    db: Queryable,
    tenant: string,
    items: { id: string; knownVersion: string }[],
  ): Promise<VersionedRead[]> {
    const r = await db.query<EntityRow & { n: number; v: string; same: boolean }>(
      `SELECT k.n::int AS n, e.id, e.v, e.v = k.known AS same,
              CASE WHEN e.v = k.known THEN NULL ELSE e.types END AS types, CASE WHEN e.v = k.known THEN NULL ELSE e.scopes END AS scopes,
              CASE WHEN e.v = k.known THEN NULL ELSE e.doc END AS doc, e.created_at, e.modified_at
       FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS k(id, known, n)
       JOIN LATERAL (SELECT id, types, scopes, doc, created_at, modified_at, ${VERSION} AS v
                     FROM hub_entities WHERE tenant = $1 AND id = k.id) e ON true`,
      [tenant, items.map((i) => i.id), items.map((i) => i.knownVersion)],
      { prepare: 'hub.entities.get-many-if-changed' },
    );
    const out: VersionedRead[] = new Array(items.length).fill(undefined);
    for (const row of r.rows) out[row.n - 1] = row.same ? { version: row.v } : { version: row.v, entity: toEntity(row) };
    return out;
  }

  /** Entities by id with their versions (rows of a query the read cache did not hold). */
  async getManyVersioned(db: Queryable, tenant: string, ids: string[]): Promise<Map<string, { version: string; entity: StoredEntity }>> {
    const r = await db.query<EntityRow & { v: string }>(
      `SELECT ${COLUMNS}, ${VERSION} AS v FROM hub_entities WHERE tenant = $1 AND id = ANY($2::text[])`,
      [tenant, ids],
      { prepare: 'hub.entities.get-many-versioned' },
    );
    return new Map(r.rows.map((row) => [row.id, { version: row.v, entity: toEntity(row) }]));
  }

  /** Inserts the entities that do not exist yet; returns the ids inserted. */
  async insertMany(db: Queryable, tenant: string, entities: StoredEntity[]): Promise<Set<string>> {
    if (!entities.length) return new Set();
    const r = await db.query<{ id: string }>(
      `INSERT INTO hub_entities (tenant, id, types, scopes, location, doc, created_at, modified_at)
       SELECT $1, e.id, e.types, e.scopes,
              CASE WHEN e.loc IS NULL THEN NULL ELSE ST_Force2D(ST_SetSRID(ST_GeomFromGeoJSON(e.loc), 4326)) END,
              e.doc, e.created_at, e.modified_at
       FROM jsonb_to_recordset($2::jsonb) AS e(id text, types text[], scopes text[], loc text, doc jsonb,
                                              created_at timestamptz, modified_at timestamptz)
       ON CONFLICT (tenant, id) DO NOTHING
       RETURNING id`,
      [tenant, JSON.stringify(entities.map(toRecord))],
      { prepare: 'hub.entities.insert-many' },
    );
    this.onWrite?.('hub_entities', r.rows.length, 0);
    return new Set(r.rows.map((x) => x.id));
  }

  /** Writes the full state of existing entities. */
  async updateMany(db: Queryable, tenant: string, entities: StoredEntity[]): Promise<void> {
    if (!entities.length) return;
    await db.query(
      `UPDATE hub_entities h SET types = e.types, scopes = e.scopes,
              location = CASE WHEN e.loc IS NULL THEN NULL ELSE ST_Force2D(ST_SetSRID(ST_GeomFromGeoJSON(e.loc), 4326)) END,
              doc = e.doc, modified_at = e.modified_at
       FROM jsonb_to_recordset($2::jsonb) AS e(id text, types text[], scopes text[], loc text, doc jsonb,
                                              modified_at timestamptz)
       WHERE h.tenant = $1 AND h.id = e.id`,
      [tenant, JSON.stringify(entities.map(toRecord))],
      { prepare: 'hub.entities.update-many' },
    );
    this.onWrite?.('hub_entities', entities.length, entities.length);
  }

  /** Deletes entities; returns the ids that existed. */
  async deleteMany(db: Queryable, tenant: string, ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const r = await db.query<{ id: string }>(
      'DELETE FROM hub_entities WHERE tenant = $1 AND id = ANY($2::text[]) RETURNING id',
      [tenant, ids],
    );
    this.onWrite?.('hub_entities', r.rows.length, r.rows.length);
    return new Set(r.rows.map((x) => x.id));
  }

  /** Query Entities: filter fragments built by query/*, ordered by id for stable paging. */
  async query(
    db: Queryable,
    filter: EntityFilter,
    page: { limit: number; offset: number; count: boolean },
  ): Promise<{ entities: StoredEntity[]; total?: number }> {
    const { rows, total } = await this.selectPage<EntityRow>(db, COLUMNS, filter, page);
    return { entities: rows.map(toEntity), total };
  }

  /** Query Entities for the read cache: the page's ids and versions only, no documents. */
  async queryVersions(
    db: Queryable,
    filter: EntityFilter,
    page: { limit: number; offset: number; count: boolean },
  ): Promise<{ rows: { id: string; v: string }[]; total?: number }> {
    return this.selectPage<{ id: string; v: string }>(db, `id, ${VERSION} AS v`, filter, page);
  }

  /**
   * Query Entities with documents and versions in one statement (the read cache's path when it seldom
   * hits). Each document comes as text and is parsed only when asked for: a row the read cache holds at
   * its version never is (parsing a Streetlight's document costs more than rendering it from the cache).
   */
  async queryWithVersions(
    db: Queryable,
    filter: EntityFilter,
    page: { limit: number; offset: number; count: boolean },
  ): Promise<{ rows: { id: string; version: string; entity: () => StoredEntity }[]; total?: number }> {
    // The text is made from the page's rows only: in the select list of the filtered statement, PostgreSQL
    // would convert every candidate's document before the sort (a geo near page: ~150 instead of 20).
    const { rows, total } = await this.selectPage<Omit<EntityRow, 'doc'> & { doc: string; v: string }>(db, `${COLUMNS}, ${VERSION} AS v`, filter, page, `${COLUMNS_DOC_TEXT}, v`);
    return {
      rows: rows.map(versionedLazily),
      total,
    };
  }

  /**
   * Pages of several queries of one shape, in one statement (query-batcher.ts groups them): what a query
   * of 20 entities costs PostgreSQL is as much the statement around it (protocol, binding, planning,
   * executor start) as the rows it reads. The filters' texts are equal, and so are their parameters but
   * those added per query; these go in as arrays, one element per query, and each query is the same
   * page as a lateral subquery. The others stay parameters, known to the planner as in a query alone.
   * Answers in the filters' order.
   */
  async queryVersionsMany(
    db: Queryable,
    filters: EntityFilter[],
    page: { limit: number; offset: number },
  ): Promise<{ id: string; v: string }[][]> {
    return this.selectPages<{ id: string; v: string }>(db, `id, ${VERSION} AS v`, filters, page);
  }

  /** `queryWithVersions` for several queries of one shape, in one statement (see queryVersionsMany). */
  async queryWithVersionsMany(
    db: Queryable,
    filters: EntityFilter[],
    page: { limit: number; offset: number },
  ): Promise<{ id: string; version: string; entity: () => StoredEntity }[][]> {
    const pages = await this.selectPages<Omit<EntityRow, 'doc'> & { doc: string; v: string }>(db, `${COLUMNS}, ${VERSION} AS v`, filters, page, `${COLUMNS_DOC_TEXT}, v`);
    return pages.map((rows) => rows.map(versionedLazily));
  }

  private async selectPages<Row extends { id: string }>(
    db: Queryable,
    columns: string,
    filters: EntityFilter[],
    page: { limit: number; offset: number },
    project?: string,
  ): Promise<Row[][]> {
    if (filters.length === 1) return [(await this.selectPage<Row>(db, columns, filters[0], { ...page, count: false }, project)).rows];
    const first = filters[0].params;
    const params = new SqlParams();
    const placeholders = new Map<number, string>();
    const arrays: string[] = [];
    const names: string[] = [];
    for (let i = 1; i <= first.values.length; i++) {
      const type = first.perQuery.get(i);
      if (type === undefined) {
        placeholders.set(i, params.add(first.values[i - 1]));
      } else {
        placeholders.set(i, `per_query.p${i}`);
        arrays.push(`${params.add(filters.map((f) => f.params.values[i - 1]))}::${type}[]`);
        names.push(`p${i}`);
      }
    }
    if (!arrays.length) throw new Error('queries grouped without a parameter of their own');
    // Placeholders are the only `$n` in a filter's text: values never enter it (SqlParams).
    const where = filters[0].where.join(' AND ').replace(/\$(\d+)(?!\d)/g, (_, n: string) => placeholders.get(Number(n))!);
    const paged = `SELECT ${columns} FROM hub_entities WHERE ${where} ORDER BY id LIMIT ${params.add(page.limit)} OFFSET ${params.add(page.offset)}`;
    const each = project ? `SELECT ${project} FROM (${paged}) page` : paged;
    const sql =
      `SELECT per_query.n::int AS query_n, e.* FROM unnest(${arrays.join(', ')}) WITH ORDINALITY AS per_query(${names.join(', ')}, n)` +
      ` CROSS JOIN LATERAL (${each}) e ORDER BY per_query.n, e.id`;
    const r = await db.query<Row & { query_n: number }>(sql, params.values, { prepare: this.shapeName(sql) });
    const pages: Row[][] = filters.map(() => []);
    for (const { query_n, ...row } of r.rows) pages[query_n - 1].push(row as unknown as Row);
    return pages;
  }

  /** `project`: columns computed from the page's rows, after the sort and limit (expensive expressions). */
  private async selectPage<Row>(
    db: Queryable,
    columns: string,
    filter: EntityFilter,
    page: { limit: number; offset: number; count: boolean },
    project?: string,
  ): Promise<{ rows: Row[]; total?: number }> {
    const where = filter.where.length ? filter.where.join(' AND ') : 'true';
    let total: number | undefined;
    if (page.count) {
      const sql = `SELECT count(*)::int AS n FROM hub_entities WHERE ${where}`;
      const c = await db.query<{ n: number }>(sql, filter.params.values, { prepare: this.shapeName(sql) });
      total = c.rows[0].n;
    }
    if (page.limit === 0) return { rows: [], total };
    // A copy: the same filter may run again (the read cache's consistent retry).
    const p = new SqlParams(filter.params.values);
    const limit = p.add(page.limit);
    const offset = p.add(page.offset);
    const paged = `SELECT ${columns} FROM hub_entities WHERE ${where} ORDER BY id LIMIT ${limit} OFFSET ${offset}`;
    const sql = project ? `SELECT ${project} FROM (${paged}) page ORDER BY id` : paged;
    const r = await db.query<Row>(sql, p.values, { prepare: this.shapeName(sql) });
    return { rows: r.rows, total };
  }

  /**
   * A prepared-statement name for a query's SQL text. The text depends only on the query's shape (which
   * filters, how many types...), never on values, so a dashboard's repeated queries are parsed and planned
   * once per connection: a third of PostgreSQL's time for a type+q or geo query. PostgreSQL re-plans for
   * the values while a generic plan would cost more. Bounded: past MAX_SHAPES texts, queries stay unnamed,
   * so no client can grow every connection's statement cache without limit.
   */
  private shapeName(sql: string): string | undefined {
    let name = this.shapes.get(sql);
    if (name === undefined && this.shapes.size < MAX_SHAPES) {
      name = `hub.entities.query.${this.shapes.size + 1}`;
      this.shapes.set(sql, name);
    }
    return name;
  }

  /** Distinct types with, per type, the attributes its entities carry and their kinds (§5.7.5-8). */
  async typeDetails(db: Queryable, tenant: string): Promise<{ type: string; count: number; attrs: string[] }[]> {
    const r = await db.query<{ type: string; count: number; attrs: string[] | null }>(
      `SELECT t.type, count(DISTINCT h.id)::int AS count,
              array_remove(array_agg(DISTINCT k.key), NULL) AS attrs
       FROM hub_entities h
       CROSS JOIN LATERAL unnest(h.types) AS t(type)
       LEFT JOIN LATERAL jsonb_object_keys(h.doc) AS k(key) ON true
       WHERE h.tenant = $1
       GROUP BY t.type ORDER BY t.type`,
      [tenant],
    );
    return r.rows.map((x) => ({ type: x.type, count: x.count, attrs: x.attrs ?? [] }));
  }

  /** Distinct attributes with the types that carry them and their attribute kinds. */
  async attributeDetails(
    db: Queryable,
    tenant: string,
  ): Promise<{ attr: string; count: number; types: string[]; kinds: string[] }[]> {
    const r = await db.query<{ attr: string; count: number; types: string[]; kinds: string[] }>(
      `SELECT k.key AS attr, count(DISTINCT h.id)::int AS count,
              array_agg(DISTINCT t.type) AS types,
              array_agg(DISTINCT i.inst->>'type') AS kinds
       FROM hub_entities h
       CROSS JOIN LATERAL jsonb_each(h.doc) AS k(key, instances)
       CROSS JOIN LATERAL jsonb_array_elements(k.instances) AS i(inst)
       CROSS JOIN LATERAL unnest(h.types) AS t(type)
       WHERE h.tenant = $1
       GROUP BY k.key ORDER BY k.key`,
      [tenant],
    );
    return r.rows;
  }
}

function toRecord(e: StoredEntity) {
  return {
    id: e.id,
    types: e.types,
    scopes: e.scopes,
    loc: locationGeoJson(e.attrs),
    doc: e.attrs,
    created_at: e.createdAt,
    modified_at: e.modifiedAt,
  };
}
