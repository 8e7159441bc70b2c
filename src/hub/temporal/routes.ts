import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HubErrors } from '../errors.ts';
import { isUri } from '../entities/validate.ts';
import {
  boolParam,
  decorate,
  intParam,
  listParam,
  parseOptions,
  requestMapper,
  responseType,
  stringParam,
  tenantOf,
} from '../http/request.ts';
import type { ContextService } from '../jsonld/context-service.ts';
import type { TermMapper } from '../jsonld/term-mapper.ts';
import { buildEntityFilter, type EntityQuery } from '../query/entity-filter.ts';
import { entityQueryFromParams } from '../http/entity-query.ts';
import { parseInstancePatch, parseTemporalEntity, temporalQueryFromBody } from './input.ts';
import type { TemporalResult, TemporalService } from './service.ts';
import { contentRange } from './shape.ts';
import { parseTemporalQuery } from './temporal-query.ts';

type Query = Record<string, unknown>;
type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Query }>;

const MAX_LIMIT = 1000;
const READ_OPTIONS = ['normalized', 'temporalValues', 'simplified', 'keyValues', 'aggregatedValues', 'sysAttrs'];

export interface TemporalRouteDeps {
  temporal: TemporalService;
  contexts: ContextService;
}

function entityIdParam(req: Req): string {
  const id = req.params.entityId;
  if (!isUri(id)) throw HubErrors.badRequestData.with(`Entity id must be a URI, got ${JSON.stringify(id)}`);
  return id;
}

function readOptions(query: Query): Set<string> {
  const options = parseOptions(query, READ_OPTIONS);
  // §4.5.9: the simplified temporal representation is the temporalValues one.
  if (options.has('simplified') || options.has('keyValues')) options.add('temporalValues');
  return options;
}

function send(req: Req, reply: FastifyReply, mapper: TermMapper, r: TemporalResult, body: unknown) {
  const type = responseType(req);
  if (r.total !== undefined) reply.header('NGSILD-Results-Count', String(r.total));
  if (r.range) reply.code(206).header('Content-Range', contentRange(r.range));
  const answer = decorate(reply, type, mapper, body);
  // Values kept as JSON text (day packs) are spliced into the serialised answer.
  return r.raw?.size ? r.raw.stringify(answer) : answer;
}

/** The temporal API (§6.18-6.24) under /ngsi-ld/v1/temporal. */
export function temporalRoutes(app: FastifyInstance, deps: TemporalRouteDeps) {
  const { temporal, contexts } = deps;

  async function runQuery(req: Req, reply: FastifyReply, mapper: TermMapper, eq: EntityQuery, attrs: string[] | undefined, params: Query) {
    const tenant = tenantOf(req);
    responseType(req);
    const tq = parseTemporalQuery(params, readOptions(req.query));
    const limit = intParam(req.query, 'limit', 20, 0, MAX_LIMIT);
    const offset = intParam(req.query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
    const count = boolParam(req.query, 'count');
    if (limit === 0 && !count) throw HubErrors.badRequestData.with('limit=0 is only allowed with count=true');
    const expanded = attrs?.map((a) => mapper.expand(a));
    const filter = buildEntityFilter(tenant, eq, mapper);
    const r = await temporal.query(tenant, filter, { attrs: expanded, limit, offset, count }, tq, mapper);
    return send(req, reply, mapper, r, r.entities);
  }

  app.get('/temporal/entities', async (req: Req, reply) => {
    const mapper = await requestMapper(req, contexts);
    return runQuery(req, reply, mapper, entityQueryFromParams(req.query, { attrsFilter: false }), listParam(req.query, 'attrs'), req.query);
  });

  app.post('/temporal/entityOperations/query', async (req: Req, reply) => {
    const mapper = await requestMapper(req, contexts);
    const { query, attrs, params } = temporalQueryFromBody(req.body);
    return runQuery(req, reply, mapper, query, attrs, params);
  });

  app.get('/temporal/entities/:entityId', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    const id = entityIdParam(req);
    const mapper = await requestMapper(req, contexts);
    responseType(req);
    const tq = parseTemporalQuery(req.query, readOptions(req.query));
    const attrs = listParam(req.query, 'attrs')?.map((a) => mapper.expand(a));
    const r = await temporal.retrieve(tenant, id, attrs, tq, mapper);
    return send(req, reply, mapper, r, r.entities[0]);
  });

  app.post('/temporal/entities', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    const mapper = await requestMapper(req, contexts);
    const input = parseTemporalEntity(req.body, mapper);
    const created = await temporal.createOrAdd(tenant, input);
    if (tenant) reply.header('NGSILD-Tenant', tenant);
    if (!created) return reply.code(204).send();
    reply.header('Location', `/ngsi-ld/v1/temporal/entities/${encodeURIComponent(input.id!)}`);
    return reply.code(201).send();
  });

  app.delete('/temporal/entities/:entityId', async (req: Req, reply) => {
    await temporal.deleteEntity(tenantOf(req), entityIdParam(req));
    return reply.code(204).send();
  });

  app.post('/temporal/entities/:entityId/attrs', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    const id = entityIdParam(req);
    const mapper = await requestMapper(req, contexts);
    const input = parseTemporalEntity(req.body, mapper);
    if (input.id !== undefined && input.id !== id) throw HubErrors.badRequestData.with('The id in the body differs from the id in the path');
    await temporal.append(tenant, id, input);
    return reply.code(204).send();
  });

  app.delete('/temporal/entities/:entityId/attrs/:attrId', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    const id = entityIdParam(req);
    const mapper = await requestMapper(req, contexts);
    const datasetId = stringParam(req.query, 'datasetId');
    if (datasetId !== undefined && !isUri(datasetId)) throw HubErrors.badRequestData.with('datasetId must be a URI');
    await temporal.deleteAttribute(tenant, id, mapper.expand(req.params.attrId), { datasetId, deleteAll: boolParam(req.query, 'deleteAll') });
    return reply.code(204).send();
  });

  app.patch('/temporal/entities/:entityId/attrs/:attrId/:instanceId', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    const id = entityIdParam(req);
    const mapper = await requestMapper(req, contexts);
    if (!isUri(req.params.instanceId)) throw HubErrors.badRequestData.with('instanceId must be a URI');
    const patch = parseInstancePatch(req.body, req.params.attrId, mapper);
    await temporal.modifyInstance(tenant, id, mapper.expand(req.params.attrId), req.params.instanceId, patch);
    return reply.code(204).send();
  });

  app.delete('/temporal/entities/:entityId/attrs/:attrId/:instanceId', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    const id = entityIdParam(req);
    const mapper = await requestMapper(req, contexts);
    if (!isUri(req.params.instanceId)) throw HubErrors.badRequestData.with('instanceId must be a URI');
    await temporal.deleteInstance(tenant, id, mapper.expand(req.params.attrId), req.params.instanceId);
    return reply.code(204).send();
  });
}
