import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HubErrors } from '../errors.ts';
import type { StoredContext, StoredContextKind } from '../jsonld/context-store.ts';
import { ContextUnavailableError, InvalidContextError, type ContextService } from '../jsonld/context-service.ts';
import { isPlainObject } from '../entities/validate.ts';
import { boolParam, stringParam } from './request.ts';

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, unknown> }>;
const KINDS: StoredContextKind[] = ['Hosted', 'Cached', 'ImplicitlyCreated'];

function details(c: StoredContext) {
  return {
    URL: c.url,
    localId: c.id,
    kind: c.kind,
    createdAt: c.createdAt,
    ...(c.lastUsage ? { lastUsage: c.lastUsage } : {}),
    numberOfHits: c.numberOfHits,
  };
}

/**
 * @context management (§5.13, §6.29-6.30). Operators of air-gapped cities preload the contexts their
 * devices use: POST the document with `?url=<the context's public URL>` to store it as that URL's cached copy.
 */
export function contextRoutes(app: FastifyInstance, contexts: ContextService) {
  app.get('/jsonldContexts', async (req: Req) => {
    const kind = stringParam(req.query, 'kind');
    if (kind !== undefined && !KINDS.includes(kind as StoredContextKind)) {
      throw HubErrors.badRequestData.with(`kind must be one of ${KINDS.join(', ')}`);
    }
    const list = await contexts.list({ kind: kind as StoredContextKind | undefined });
    return boolParam(req.query, 'details') ? list.map(details) : list.map((c) => c.url);
  });

  app.post('/jsonldContexts', async (req: Req, reply) => {
    if (!isPlainObject(req.body) || !('@context' in req.body)) {
      throw HubErrors.badRequestData.with('The body must be a JSON-LD document with an @context member');
    }
    const url = stringParam(req.query, 'url');
    if (url !== undefined && !/^https?:\/\//.test(url)) throw HubErrors.badRequestData.with('url must be an http(s) URL');
    try {
      const stored = await contexts.add(req.body, { url });
      return reply.code(201).header('Location', stored.kind === 'Hosted' ? `/ngsi-ld/v1/jsonldContexts/${stored.id}` : stored.url).send();
    } catch (err) {
      if (err instanceof InvalidContextError) throw HubErrors.badRequestData.with(err.message);
      if (err instanceof ContextUnavailableError) throw HubErrors.ldContextNotAvailable.with(err.message);
      throw err;
    }
  });

  app.get('/jsonldContexts/:contextId', async (req: Req, reply) => {
    const c = await contexts.get(req.params.contextId);
    if (!c) throw HubErrors.resourceNotFound.with(`No @context with id ${req.params.contextId}`);
    if (boolParam(req.query, 'details')) return details(c);
    return reply.type('application/ld+json').send(c.document);
  });

  app.delete('/jsonldContexts/:contextId', async (req: Req, reply) => {
    if (!(await contexts.delete(req.params.contextId))) {
      throw HubErrors.resourceNotFound.with(`No @context with id ${req.params.contextId}`);
    }
    return reply.code(204).send();
  });
}
