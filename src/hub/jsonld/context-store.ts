/**
 * Storage of JSON-LD @context documents (Hosted, Cached and ImplicitlyCreated), broker-wide.
 * The shipped core contexts are never stored: see core-context.ts.
 */
import type { Queryable } from '../../platform/db/db.ts';

export type StoredContextKind = 'Hosted' | 'Cached' | 'ImplicitlyCreated';

export interface StoredContext {
  id: string;
  /** Hosted: <base>/ngsi-ld/v1/jsonldContexts/<id>; Cached: the remote URL it is a copy of. Unique. */
  url: string;
  kind: StoredContextKind;
  /** The JSON-LD document, normally `{"@context": ...}`. */
  document: unknown;
  createdAt: string;
  lastUsage?: string;
  numberOfHits: number;
}

export interface ContextStore {
  list(): Promise<StoredContext[]>;
  get(id: string): Promise<StoredContext | undefined>;
  getByUrl(url: string): Promise<StoredContext | undefined>;
  /** Inserts or replaces (by id). */
  put(ctx: StoredContext): Promise<void>;
  delete(id: string): Promise<boolean>;
}

function copy(ctx: StoredContext): StoredContext {
  return { ...ctx, document: structuredClone(ctx.document) };
}

export class InMemoryContextStore implements ContextStore {
  private readonly byId = new Map<string, StoredContext>();

  async list(): Promise<StoredContext[]> {
    return [...this.byId.values()].map(copy);
  }

  async get(id: string): Promise<StoredContext | undefined> {
    const ctx = this.byId.get(id);
    return ctx && copy(ctx);
  }

  async getByUrl(url: string): Promise<StoredContext | undefined> {
    for (const ctx of this.byId.values()) if (ctx.url === url) return copy(ctx);
    return undefined;
  }

  async put(ctx: StoredContext): Promise<void> {
    for (const other of this.byId.values()) {
      if (other.url === ctx.url && other.id !== ctx.id) {
        throw new Error(`a stored @context with url ${ctx.url} already exists (id ${other.id})`);
      }
    }
    this.byId.set(ctx.id, copy(ctx));
  }

  async delete(id: string): Promise<boolean> {
    return this.byId.delete(id);
  }
}

interface Row {
  id: string;
  url: string;
  kind: StoredContextKind;
  document: unknown;
  created_at: Date | string;
  last_usage: Date | string | null;
  number_of_hits: number | string;
}

const COLUMNS = 'id, url, kind, document, created_at, last_usage, number_of_hits';

function iso(v: Date | string): string {
  return (v instanceof Date ? v : new Date(v)).toISOString();
}

function fromRow(row: Row): StoredContext {
  const ctx: StoredContext = {
    id: row.id,
    url: row.url,
    kind: row.kind,
    // json columns are parsed by pg and PGlite; accept text too.
    document: typeof row.document === 'string' ? JSON.parse(row.document) : row.document,
    createdAt: iso(row.created_at),
    numberOfHits: Number(row.number_of_hits),
  };
  if (row.last_usage !== null && row.last_usage !== undefined) ctx.lastUsage = iso(row.last_usage);
  return ctx;
}

/** Table hub_jsonld_contexts (migration src/hub/migrations/002_jsonld_contexts.sql). */
export class SqlContextStore implements ContextStore {
  constructor(private readonly db: Queryable) {}

  async list(): Promise<StoredContext[]> {
    const r = await this.db.query<Row>(`SELECT ${COLUMNS} FROM hub_jsonld_contexts ORDER BY created_at, id`);
    return r.rows.map(fromRow);
  }

  async get(id: string): Promise<StoredContext | undefined> {
    const r = await this.db.query<Row>(`SELECT ${COLUMNS} FROM hub_jsonld_contexts WHERE id = $1`, [id]);
    return r.rows[0] && fromRow(r.rows[0]);
  }

  async getByUrl(url: string): Promise<StoredContext | undefined> {
    const r = await this.db.query<Row>(`SELECT ${COLUMNS} FROM hub_jsonld_contexts WHERE url = $1`, [url]);
    return r.rows[0] && fromRow(r.rows[0]);
  }

  async put(ctx: StoredContext): Promise<void> {
    await this.db.query(
      `INSERT INTO hub_jsonld_contexts (${COLUMNS})
       VALUES ($1, $2, $3, $4::json, $5::timestamptz, $6::timestamptz, $7)
       ON CONFLICT (id) DO UPDATE SET
         url = EXCLUDED.url, kind = EXCLUDED.kind, document = EXCLUDED.document,
         created_at = EXCLUDED.created_at, last_usage = EXCLUDED.last_usage,
         number_of_hits = EXCLUDED.number_of_hits`,
      [ctx.id, ctx.url, ctx.kind, JSON.stringify(ctx.document), ctx.createdAt, ctx.lastUsage ?? null, ctx.numberOfHits],
    );
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.query(`DELETE FROM hub_jsonld_contexts WHERE id = $1`, [id]);
    return r.rowCount > 0;
  }
}
