/**
 * How modules read and write city context: through the hub's NGSI-LD API, never its tables.
 * One client, two transports — in-process (Fastify inject, no socket) and HTTP — so a module can
 * later run as its own process against a remote hub without changing a line.
 */

/** An entity in NGSI-LD JSON (normalized or concise on input; as asked on output). */
export type NgsiEntity = { id: string; type: string | string[] } & Record<string, unknown>;

export interface HubQuery {
  type?: string;
  ids?: string[];
  idPattern?: string;
  q?: string;
  scopeQ?: string;
  attrs?: string[];
  pick?: string[];
  georel?: string;
  geometry?: string;
  coordinates?: unknown;
  geoproperty?: string;
  limit?: number;
  offset?: number;
  count?: boolean;
  format?: 'normalized' | 'concise' | 'keyValues';
  lang?: string;
}

export interface BatchOutcome {
  success: string[];
  errors: { entityId: string; error: { type: string; title?: string; detail?: string; status?: number } }[];
}

/** A hub answer that is not a success, with the NGSI-LD ProblemDetails it carried. */
export class HubClientError extends Error {
  constructor(
    readonly status: number,
    readonly problem: { type?: string; title?: string; detail?: string },
  ) {
    super(`hub answered ${status}: ${problem.detail ?? problem.title ?? problem.type ?? 'error'}`);
  }
}

export interface HubResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: unknown;
}

/** Sends one request to /ngsi-ld/v1; `path` starts after the prefix. */
export interface HubTransport {
  send(req: { method: string; path: string; query?: Record<string, string>; body?: unknown; headers: Record<string, string> }): Promise<HubResponse>;
}

export interface HubClientOptions {
  /** @context URL for requests (Link header); default: the core context. */
  contextUrl?: string;
}

export class HubClient {
  constructor(
    private readonly transport: HubTransport,
    private readonly options: HubClientOptions = {},
  ) {}

  private headers(tenant: string, body = false): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json' };
    if (tenant) h['ngsild-tenant'] = tenant;
    if (body) h['content-type'] = 'application/json';
    if (this.options.contextUrl) {
      h.link = `<${this.options.contextUrl}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;
    }
    return h;
  }

  private async call(tenant: string, method: string, path: string, opts: { query?: Record<string, string>; body?: unknown } = {}) {
    const res = await this.transport.send({ method, path, query: opts.query, body: opts.body, headers: this.headers(tenant, opts.body !== undefined) });
    if (res.status >= 400) throw new HubClientError(res.status, (res.body ?? {}) as HubClientError['problem']);
    return res;
  }

  async createEntity(tenant: string, entity: NgsiEntity): Promise<void> {
    await this.call(tenant, 'POST', '/entities', { body: entity });
  }

  /** Creates or updates many entities in one transaction (`update` merges attributes into existing ones). */
  async upsertEntities(tenant: string, entities: NgsiEntity[], mode: 'update' | 'replace' = 'update'): Promise<BatchOutcome> {
    const res = await this.call(tenant, 'POST', '/entityOperations/upsert', { query: { options: mode }, body: entities });
    if (res.status === 207) return res.body as BatchOutcome;
    const created = Array.isArray(res.body) ? (res.body as string[]) : [];
    return { success: [...new Set([...created, ...entities.map((e) => e.id)])], errors: [] };
  }

  async getEntity(tenant: string, id: string, opts: { format?: HubQuery['format']; attrs?: string[] } = {}): Promise<NgsiEntity | undefined> {
    const query: Record<string, string> = {};
    if (opts.format && opts.format !== 'normalized') query.options = opts.format;
    if (opts.attrs) query.attrs = opts.attrs.join(',');
    try {
      return (await this.call(tenant, 'GET', `/entities/${encodeURIComponent(id)}`, { query })).body as NgsiEntity;
    } catch (err) {
      if (err instanceof HubClientError && err.status === 404) return undefined;
      throw err;
    }
  }

  async queryEntities(tenant: string, q: HubQuery): Promise<{ entities: NgsiEntity[]; total?: number }> {
    const query: Record<string, string> = {};
    if (q.type) query.type = q.type;
    if (q.ids) query.id = q.ids.join(',');
    if (q.idPattern) query.idPattern = q.idPattern;
    if (q.q) query.q = q.q;
    if (q.scopeQ) query.scopeQ = q.scopeQ;
    if (q.attrs) query.attrs = q.attrs.join(',');
    if (q.pick) query.pick = q.pick.join(',');
    if (q.georel) {
      query.georel = q.georel;
      query.geometry = q.geometry ?? 'Point';
      query.coordinates = typeof q.coordinates === 'string' ? q.coordinates : JSON.stringify(q.coordinates);
      if (q.geoproperty) query.geoproperty = q.geoproperty;
    }
    if (q.limit !== undefined) query.limit = String(q.limit);
    if (q.offset !== undefined) query.offset = String(q.offset);
    if (q.count) query.count = 'true';
    if (q.format && q.format !== 'normalized') query.options = q.format;
    if (q.lang) query.lang = q.lang;
    try {
      const res = await this.call(tenant, 'GET', '/entities', { query });
      const total = res.headers['ngsild-results-count'];
      return { entities: res.body as NgsiEntity[], total: total === undefined ? undefined : Number(total) };
    } catch (err) {
      // A tenant nobody wrote to yet simply has no entities.
      if (err instanceof HubClientError && err.status === 404 && err.problem.type?.endsWith('NonexistentTenant')) return { entities: [], total: q.count ? 0 : undefined };
      throw err;
    }
  }

  /** Every entity matching the query, page by page. */
  async *queryAll(tenant: string, q: Omit<HubQuery, 'limit' | 'offset'>, pageSize = 1000): AsyncGenerator<NgsiEntity> {
    for (let offset = 0; ; offset += pageSize) {
      const { entities } = await this.queryEntities(tenant, { ...q, limit: pageSize, offset });
      yield* entities;
      if (entities.length < pageSize) return;
    }
  }

  /** Update Attributes (existing only); returns the names not updated. */
  async updateAttributes(tenant: string, id: string, attrs: Record<string, unknown>): Promise<string[]> {
    const res = await this.call(tenant, 'PATCH', `/entities/${encodeURIComponent(id)}/attrs`, { body: attrs });
    return res.status === 207 ? ((res.body as { notUpdated: { attributeName: string }[] }).notUpdated ?? []).map((n) => n.attributeName) : [];
  }

  async appendAttributes(tenant: string, id: string, attrs: Record<string, unknown>): Promise<void> {
    await this.call(tenant, 'POST', `/entities/${encodeURIComponent(id)}/attrs`, { body: attrs });
  }

  async deleteEntity(tenant: string, id: string): Promise<boolean> {
    try {
      await this.call(tenant, 'DELETE', `/entities/${encodeURIComponent(id)}`);
      return true;
    } catch (err) {
      if (err instanceof HubClientError && err.status === 404) return false;
      throw err;
    }
  }
}
