import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HubErrors } from '../errors.ts';
import { isUri } from '../entities/validate.ts';
import type { ContextService } from '../jsonld/context-service.ts';
import { decorate, intParam, linkContext, mediaType, parseOptions, requestMapper, responseType, tenantOf } from '../http/request.ts';
import { renderSubscription } from './representation.ts';
import type { SubscriptionService } from './service.ts';

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, unknown> }>;

const MAX_LIMIT = 1000;

function subscriptionId(req: Req): string {
  const id = req.params.subscriptionId;
  if (!isUri(id)) throw HubErrors.badRequestData.with(`Subscription id must be a URI, got ${JSON.stringify(id)}`);
  return id;
}

/** Subscriptions (NGSI-LD 1.8 §5.8, §6.10-6.11). */
export function subscriptionRoutes(app: FastifyInstance, deps: { subscriptions: SubscriptionService; contexts: ContextService }) {
  const { subscriptions, contexts } = deps;

  app.post('/subscriptions', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    if (req.body === undefined) throw HubErrors.invalidRequest.with('The request body is empty');
    const mapper = await requestMapper(req, contexts);
    const sub = await subscriptions.create(tenant, req.body, mapper);
    if (tenant) reply.header('NGSILD-Tenant', tenant);
    return reply.code(201).header('Location', `/ngsi-ld/v1/subscriptions/${encodeURIComponent(sub.doc.id)}`).send();
  });

  app.get('/subscriptions', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    const mapper = await requestMapper(req, contexts);
    const type = responseType(req);
    const options = parseOptions(req.query, ['sysAttrs']);
    const limit = intParam(req.query, 'limit', 20, 0, MAX_LIMIT);
    const offset = intParam(req.query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
    const { subscriptions: list, total } = await subscriptions.list(tenant, limit, offset);
    if (req.query.count === 'true') reply.header('NGSILD-Results-Count', String(total));
    const body = list.map((s) => renderSubscription(s, mapper, subscriptions.state(s.doc), options.has('sysAttrs')));
    return decorate(reply, type, mapper, body);
  });

  app.get('/subscriptions/:subscriptionId', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    const id = subscriptionId(req);
    const mapper = await requestMapper(req, contexts);
    const type = responseType(req);
    const options = parseOptions(req.query, ['sysAttrs']);
    const s = await subscriptions.retrieve(tenant, id);
    return decorate(reply, type, mapper, renderSubscription(s, mapper, subscriptions.state(s.doc), options.has('sysAttrs')));
  });

  app.patch('/subscriptions/:subscriptionId', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    const id = subscriptionId(req);
    if (req.body === undefined) throw HubErrors.invalidRequest.with('The request body is empty');
    const mapper = await requestMapper(req, contexts);
    const contextGiven = mediaType(req) === 'application/ld+json' || linkContext(req) !== undefined;
    await subscriptions.update(tenant, id, req.body, mapper, contextGiven);
    return reply.code(204).send();
  });

  app.delete('/subscriptions/:subscriptionId', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    await subscriptions.delete(tenant, subscriptionId(req));
    return reply.code(204).send();
  });
}
