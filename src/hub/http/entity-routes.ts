import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HubErrors } from '../errors.ts';
import { parseAttributes, parseEntity, type EntityInput } from '../entities/parse.ts';
import { renderEntity, toFeature, type RenderOptions } from '../entities/render.ts';
import type { BatchResult, EntityService } from '../entities/service.ts';
import { isPlainObject, isUri } from '../entities/validate.ts';
import type { ContextService } from '../jsonld/context-service.ts';
import type { TermMapper } from '../jsonld/term-mapper.ts';
import { buildEntityFilter, type EntityQuery } from '../query/entity-filter.ts';
import { entityQueryFromParams, syntax } from './entity-query.ts';
import { parseGeoQuery } from '../query/geo.ts';
import { parseQuery } from '../query/q.ts';
import { parseScopeQuery } from '../query/scope.ts';
import { parseTypeExpression } from '../query/type-expr.ts';
import { Problem } from '../../platform/http/problem.ts';
import type { StoredEntity } from '../entities/model.ts';
import type { EntityView } from '../entities/read-cache.ts';
import {
  answerHeaders,
  boolParam,
  contextValue,
  decorate,
  formatOf,
  intParam,
  listParam,
  parseOptions,
  requestMapper,
  responseType,
  stringParam,
  tenantOf,
} from './request.ts';

type Query = Record<string, unknown>;
type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Query }>;

const MAX_LIMIT = 1000;
const MAX_BATCH = 1000;
const READ_OPTIONS = ['keyValues', 'simplified', 'concise', 'normalized', 'sysAttrs'];
const CORE_MEMBERS = new Set(['id', 'type', 'scope']);

export interface EntityRouteDeps {
  entities: EntityService;
  contexts: ContextService;
}

function entityIdParam(req: Req): string {
  const id = req.params.entityId;
  if (!isUri(id)) throw HubErrors.badRequestData.with(`Entity id must be a URI, got ${JSON.stringify(id)}`);
  return id;
}

function attrIdParam(req: Req, mapper: TermMapper): string {
  return mapper.expand(req.params.attrId);
}

/** Representation options shared by retrieve and query (§6.3.7, §6.3.16, §4.21 pick/omit). */
function renderOptions(query: Query, mapper: TermMapper): RenderOptions & { geometryIri: string } {
  const options = parseOptions(query, READ_OPTIONS);
  const attrs = listParam(query, 'attrs');
  const pick = listParam(query, 'pick');
  const omit = listParam(query, 'omit');
  if (pick && omit) throw HubErrors.badRequestData.with('pick and omit cannot be used together');
  const lang = listParam(query, 'lang');
  const o: RenderOptions & { geometryIri: string } = {
    format: formatOf(options),
    sysAttrs: options.has('sysAttrs'),
    lang,
    geometryIri: mapper.expand(stringParam(query, 'geometryProperty') ?? 'location'),
  };
  const only = new Set<string>();
  if (attrs) for (const a of attrs) only.add(mapper.expand(a));
  if (pick) {
    o.omitCore = new Set([...CORE_MEMBERS].filter((c) => !pick.includes(c)));
    for (const a of pick) if (!CORE_MEMBERS.has(a)) only.add(mapper.expand(a));
    if (!pick.some((a) => !CORE_MEMBERS.has(a))) o.onlyAttrs = new Set();
  }
  if (only.size) o.onlyAttrs = only;
  if (omit) {
    o.omitCore = new Set(omit.filter((a) => CORE_MEMBERS.has(a)));
    o.omitAttrs = new Set(omit.filter((a) => !CORE_MEMBERS.has(a)).map((a) => mapper.expand(a)));
  }
  return o;
}

const mapperIds = new WeakMap<TermMapper, number>();
let lastMapperId = 0;

/**
 * An entity's JSON text as this request shows it. The key names everything the text depends on besides
 * the entity (compiled context, media type, representation options): the read cache's view key.
 */
function entityView(mapper: TermMapper, type: 'application/json' | 'application/ld+json', o: RenderOptions): EntityView<StoredEntity> {
  let mapperId = mapperIds.get(mapper);
  if (mapperId === undefined) mapperIds.set(mapper, (mapperId = ++lastMapperId));
  const set = (s?: Set<string>) => (s ? [...s].sort() : null);
  const key = JSON.stringify([mapperId, type, o.format, o.sysAttrs, o.lang ?? null, set(o.onlyAttrs), set(o.omitAttrs), set(o.omitCore)]);
  const ctx = type === 'application/ld+json' ? contextValue(mapper) : undefined;
  return {
    key,
    render: (e) => JSON.stringify(ctx === undefined ? renderEntity(e, mapper, o) : { ...renderEntity(e, mapper, o), '@context': ctx }),
  };
}

/** The Query body of POST /entityOperations/query (§5.2.23). */
function entityQueryFromBody(body: unknown): { query: EntityQuery; attrs?: string[]; lang?: string } {
  if (!isPlainObject(body)) throw HubErrors.badRequestData.with('The body must be a Query object');
  if (body.type !== 'Query') throw HubErrors.badRequestData.with('The body must have "type": "Query"');
  const query: EntityQuery = {};
  if (body.entities !== undefined) {
    if (!Array.isArray(body.entities) || body.entities.length !== 1) {
      // Several EntitySelectors are ORed; support the common single selector and lists of ids.
      if (!Array.isArray(body.entities) || !body.entities.every((e) => isPlainObject(e) && e.id && !e.idPattern)) {
        throw HubErrors.badRequestData.with('entities must be an array with one EntitySelector, or selectors by id');
      }
    }
    const sel = body.entities as Record<string, unknown>[];
    if (sel.length === 1) {
      const s = sel[0];
      if (s.type !== undefined) query.type = syntax(() => parseTypeExpression(String(s.type)));
      if (s.id !== undefined) query.ids = [String(s.id)];
      if (s.idPattern !== undefined) query.idPattern = String(s.idPattern);
    } else {
      query.ids = sel.map((s) => String(s.id));
      const types = [...new Set(sel.map((s) => s.type).filter(Boolean))];
      if (types.length) query.type = syntax(() => parseTypeExpression(types.join(',')));
    }
  }
  let attrs: string[] | undefined;
  if (body.attrs !== undefined) {
    if (!Array.isArray(body.attrs) || !body.attrs.every((a) => typeof a === 'string')) throw HubErrors.badRequestData.with('attrs must be an array of strings');
    attrs = body.attrs as string[];
    query.attrs = attrs;
  }
  if (body.q !== undefined) query.q = syntax(() => parseQuery(String(body.q)));
  if (body.scopeQ !== undefined) query.scopeQ = syntax(() => parseScopeQuery(String(body.scopeQ)));
  if (body.geoQ !== undefined) {
    if (!isPlainObject(body.geoQ)) throw HubErrors.badRequestData.with('geoQ must be an object');
    const g = body.geoQ;
    query.geo = syntax(() =>
      parseGeoQuery({
        georel: g.georel as string,
        geometry: g.geometry as string,
        coordinates: g.coordinates,
        geoproperty: g.geoproperty as string | undefined,
      }),
    );
  }
  return { query, attrs, lang: typeof body.lang === 'string' ? body.lang : undefined };
}

function problemBody(p: Problem) {
  return { type: p.type, title: p.title, status: p.status, ...(p.detail ? { detail: p.detail } : {}) };
}

/** 207 body (§5.2.16 BatchOperationResult). */
function batchBody(r: BatchResult) {
  return { success: r.success, errors: r.errors.map((e) => ({ entityId: e.entityId, error: problemBody(e.error) })) };
}

/** Parses each entity of a batch on its own so one bad entity does not sink the others. */
function parseBatch(body: unknown, mapper: TermMapper, opts: { allowNull?: boolean } = {}): (EntityInput | Problem)[] {
  if (!Array.isArray(body)) throw HubErrors.badRequestData.with('The body must be a JSON array of entities');
  if (body.length === 0) throw HubErrors.badRequestData.with('The batch is empty');
  if (body.length > MAX_BATCH) throw HubErrors.badRequestData.with(`A batch holds at most ${MAX_BATCH} entities`);
  return body.map((raw) => {
    try {
      return parseEntity(raw, mapper, opts);
    } catch (err) {
      if (!(err instanceof Problem)) throw err;
      const entityId = isPlainObject(raw) && typeof raw.id === 'string' ? raw.id : '';
      return new Problem(err.status, err.type, err.title, err.detail, { entityId });
    }
  });
}

export function entityRoutes(app: FastifyInstance, deps: EntityRouteDeps) {
  const { entities, contexts } = deps;

  async function sendEntities(req: Req, reply: FastifyReply, mapper: TermMapper, tenant: string, query: EntityQuery, extraAttrs?: string[]) {
    const type = responseType(req, true);
    const render = renderOptions({ ...req.query, ...(extraAttrs ? { attrs: extraAttrs.join(',') } : {}) }, mapper);
    const limit = intParam(req.query, 'limit', 20, 0, MAX_LIMIT);
    const offset = intParam(req.query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
    const count = boolParam(req.query, 'count');
    if (limit === 0 && !count) throw HubErrors.badRequestData.with('limit=0 is only allowed with count=true');
    const filter = buildEntityFilter(tenant, query, mapper);
    if (type !== 'application/geo+json') {
      const { json, total } = await entities.queryJson(tenant, filter, { limit, offset, count }, entityView(mapper, type, render));
      if (total !== undefined) reply.header('NGSILD-Results-Count', String(total));
      answerHeaders(reply, type, mapper);
      return reply.send(`[${json.join(',')}]`);
    }
    const { entities: found, total } = await entities.query(tenant, filter, { limit, offset, count });
    if (total !== undefined) reply.header('NGSILD-Results-Count', String(total));
    reply.type('application/geo+json');
    return {
      type: 'FeatureCollection',
      features: found.map((e) => toFeature(e, renderEntity(e, mapper, render), render.geometryIri)),
      '@context': contextValue(mapper),
    };
  }

  // ---- Entities (§6.4, §6.5)
  app.post('/entities', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    const mapper = await requestMapper(req, contexts);
    const input = parseEntity(req.body, mapper);
    const e = await entities.create(tenant, input);
    reply.code(201).header('Location', `/ngsi-ld/v1/entities/${encodeURIComponent(e.id)}`);
    if (tenant) reply.header('NGSILD-Tenant', tenant);
    return reply.send();
  });

  app.get('/entities', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    const mapper = await requestMapper(req, contexts);
    const query = entityQueryFromParams(req.query, { attrsFilter: true });
    // v1.8 lets a query have no filter at all; the bounded limit keeps it cheap.
    return sendEntities(req, reply, mapper, tenant, query);
  });

  app.get('/entities/:entityId', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    const id = entityIdParam(req);
    const mapper = await requestMapper(req, contexts);
    const type = responseType(req, true);
    const render = renderOptions(req.query, mapper);
    const typeFilter = stringParam(req.query, 'type');
    if (type !== 'application/geo+json' && typeFilter === undefined) {
      const json = await entities.retrieveJson(tenant, id, entityView(mapper, type, render));
      answerHeaders(reply, type, mapper);
      return reply.send(json);
    }
    const e = await entities.retrieve(tenant, id);
    if (typeFilter !== undefined) {
      const wanted = typeFilter.split(',').map((t) => mapper.expand(t.trim()));
      if (!wanted.some((t) => e.types.includes(t))) throw HubErrors.resourceNotFound.with(`Entity ${id} has none of the types asked`);
    }
    const rendered = renderEntity(e, mapper, render);
    if (type === 'application/geo+json') {
      reply.type('application/geo+json');
      return toFeature(e, rendered, render.geometryIri, contextValue(mapper));
    }
    return decorate(reply, type, mapper, rendered);
  });

  app.delete('/entities/:entityId', async (req: Req, reply) => {
    await entities.delete(tenantOf(req), entityIdParam(req));
    return reply.code(204).send();
  });

  const checkBodyId = (input: EntityInput, id: string) => {
    if (input.id !== undefined && input.id !== id) throw HubErrors.badRequestData.with('The id in the body differs from the id in the path');
  };

  app.put('/entities/:entityId', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    const id = entityIdParam(req);
    const mapper = await requestMapper(req, contexts);
    const input = parseEntity(req.body, mapper);
    checkBodyId(input, id);
    await entities.replace(tenant, id, input);
    return reply.code(204).send();
  });

  app.patch('/entities/:entityId', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    const id = entityIdParam(req);
    const mapper = await requestMapper(req, contexts);
    const input = parseEntity(req.body, mapper, { allowNull: true });
    checkBodyId(input, id);
    await entities.merge(tenant, id, input);
    return reply.code(204).send();
  });

  // ---- Attributes (§6.6, §6.7)
  const updateResult = (reply: FastifyReply, mapper: TermMapper, r: { updated: string[]; notUpdated: { attributeName: string; reason: string }[] }) => {
    if (!r.notUpdated.length) return reply.code(204).send();
    return reply.code(207).send({
      updated: r.updated.map((a) => mapper.compact(a)),
      notUpdated: r.notUpdated.map((n) => ({ attributeName: mapper.compact(n.attributeName), reason: n.reason })),
    });
  };

  app.post('/entities/:entityId/attrs', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    const id = entityIdParam(req);
    const options = parseOptions(req.query, ['noOverwrite']);
    const mapper = await requestMapper(req, contexts);
    const input = parseAttributes(req.body, mapper);
    checkBodyId(input, id);
    const r = await entities.updateAttrs(tenant, id, input, { noOverwrite: options.has('noOverwrite') });
    return updateResult(reply, mapper, r);
  });

  app.patch('/entities/:entityId/attrs', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    const id = entityIdParam(req);
    const mapper = await requestMapper(req, contexts);
    const input = parseAttributes(req.body, mapper);
    checkBodyId(input, id);
    if (input.types) throw HubErrors.badRequestData.with('Update Attributes cannot change the entity type');
    const r = await entities.updateAttrs(tenant, id, input, { onlyExisting: true });
    return updateResult(reply, mapper, r);
  });

  app.patch('/entities/:entityId/attrs/:attrId', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    const id = entityIdParam(req);
    const mapper = await requestMapper(req, contexts);
    const attrIri = attrIdParam(req, mapper);
    if (!isPlainObject(req.body)) throw HubErrors.badRequestData.with('The body must be an attribute fragment object');
    const parsed = parseAttributes({ [req.params.attrId]: req.body }, mapper);
    const inst = parsed.attrs[attrIri]?.[0];
    if (!inst) throw HubErrors.badRequestData.with('The body must describe the attribute');
    await entities.partialUpdate(tenant, id, attrIri, inst);
    return reply.code(204).send();
  });

  app.delete('/entities/:entityId/attrs/:attrId', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    const id = entityIdParam(req);
    const mapper = await requestMapper(req, contexts);
    const datasetId = stringParam(req.query, 'datasetId');
    if (datasetId !== undefined && !isUri(datasetId)) throw HubErrors.badRequestData.with('datasetId must be a URI');
    await entities.deleteAttr(tenant, id, attrIdParam(req, mapper), { datasetId, deleteAll: boolParam(req.query, 'deleteAll') });
    return reply.code(204).send();
  });

  // ---- Batch operations (§6.14-6.17, §6.31, §6.23)
  const batchReply = (reply: FastifyReply, r: BatchResult, okStatus: 201 | 204, createdBody = false) => {
    if (r.errors.length) return reply.code(207).send(batchBody(r));
    if (okStatus === 201 && createdBody) return reply.code(201).send(r.success);
    if (okStatus === 201 && r.created.length) return reply.code(201).send(r.created);
    return reply.code(204).send();
  };

  app.post('/entityOperations/create', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    const mapper = await requestMapper(req, contexts);
    return batchReply(reply, await entities.batchCreate(tenant, parseBatch(req.body, mapper)), 201, true);
  });

  app.post('/entityOperations/upsert', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    const options = parseOptions(req.query, ['update', 'replace']);
    if (options.size > 1) throw HubErrors.badRequestData.with('options=update and options=replace are exclusive');
    const mapper = await requestMapper(req, contexts);
    const r = await entities.batchUpsert(tenant, parseBatch(req.body, mapper), options.has('update') ? 'update' : 'replace');
    return batchReply(reply, r, 201);
  });

  app.post('/entityOperations/update', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    const options = parseOptions(req.query, ['noOverwrite']);
    const mapper = await requestMapper(req, contexts);
    return batchReply(reply, await entities.batchUpdate(tenant, parseBatch(req.body, mapper), options.has('noOverwrite')), 204);
  });

  app.post('/entityOperations/merge', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    const mapper = await requestMapper(req, contexts);
    return batchReply(reply, await entities.batchMerge(tenant, parseBatch(req.body, mapper, { allowNull: true })), 204);
  });

  app.post('/entityOperations/delete', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    const body = req.body;
    if (!Array.isArray(body) || !body.length) throw HubErrors.badRequestData.with('The body must be a non-empty array of entity ids');
    if (body.length > MAX_BATCH) throw HubErrors.badRequestData.with(`A batch holds at most ${MAX_BATCH} entities`);
    const ids: string[] = [];
    const bad: BatchResult['errors'] = [];
    for (const id of body) {
      if (isUri(id)) ids.push(id);
      else bad.push({ entityId: String(id), error: HubErrors.badRequestData.with(`${JSON.stringify(id)} is not a URI`) });
    }
    const r = ids.length ? await entities.batchDelete(tenant, ids) : { success: [], errors: [], created: [] };
    r.errors.push(...bad);
    return batchReply(reply, r, 204);
  });

  app.post('/entityOperations/query', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    const mapper = await requestMapper(req, contexts);
    const { query, attrs, lang } = entityQueryFromBody(req.body);
    if (lang && req.query.lang === undefined) req.query.lang = lang;
    return sendEntities(req, reply, mapper, tenant, query, attrs);
  });
}
