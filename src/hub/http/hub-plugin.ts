import type { FastifyError, FastifyInstance } from 'fastify';
import { Problem } from '../../platform/http/problem.ts';
import { HubErrors } from '../errors.ts';
import type { EntityService } from '../entities/service.ts';
import type { ContextService } from '../jsonld/context-service.ts';
import { contextRoutes } from './context-routes.ts';
import { discoveryRoutes } from './discovery-routes.ts';
import { entityRoutes } from './entity-routes.ts';
import { temporalRoutes, type Temporal } from '../temporal/index.ts';
import { subscriptionRoutes, type Subscriptions } from '../subscriptions/index.ts';

export interface HubDeps {
  entities: EntityService;
  contexts: ContextService;
  temporal?: Temporal;
  subscriptions?: Subscriptions;
}

const JSON_TYPES = ['application/json', 'application/ld+json', 'application/merge-patch+json', 'application/geo+json'];

/** Maps anything thrown under /ngsi-ld/v1 to an NGSI-LD ProblemDetails. */
export function toHubProblem(err: unknown): Problem {
  if (err instanceof Problem) return err;
  const e = err as FastifyError & { code?: string };
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return HubErrors.payloadTooLarge.with(e.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return HubErrors.unsupportedMediaType.with('Send application/json or application/ld+json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return HubErrors.invalidRequest.with(e.message);
    // PostgreSQL: invalid regular expression (idPattern), invalid jsonpath/geometry input.
    case '2201B':
      return HubErrors.badRequestData.with(`Invalid regular expression: ${e.message}`);
    case '22P02':
    case '22023':
    case 'XX000':
      if (/geojson|geometry|regular expression|jsonpath/i.test(e.message)) return HubErrors.badRequestData.with(e.message);
  }
  if (e.statusCode === 413) return HubErrors.payloadTooLarge.with(e.message);
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return HubErrors.invalidRequest.with(e.message);
  return HubErrors.internalError.with('Internal error; see the server log');
}

/** The NGSI-LD API, mounted at /ngsi-ld/v1 with its own body parsers and error format. */
export async function hubPlugin(app: FastifyInstance, deps: HubDeps) {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text.length === 0) return done(HubErrors.invalidRequest.with('The request body is empty'), undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(HubErrors.invalidRequest.with(`Malformed JSON: ${(err as Error).message}`), undefined);
    }
  });

  app.setErrorHandler((err, req, reply) => {
    const p = toHubProblem(err);
    if (p.status >= 500) req.log.error({ err }, 'hub request failed');
    const tenant = req.headers['ngsild-tenant'];
    if (typeof tenant === 'string' && tenant) reply.header('NGSILD-Tenant', tenant);
    return reply.code(p.status).type('application/json').send({ type: p.type, title: p.title, status: p.status, detail: p.detail });
  });

  app.setNotFoundHandler((req, reply) => {
    const p = HubErrors.resourceNotFound.with(`No NGSI-LD resource at ${req.method} ${req.url}`);
    return reply.code(404).type('application/json').send(p.toJSON());
  });

  entityRoutes(app, deps);
  discoveryRoutes(app, deps);
  contextRoutes(app, deps.contexts);
  if (deps.temporal) temporalRoutes(app, { temporal: deps.temporal.service, contexts: deps.contexts });
  if (deps.subscriptions) subscriptionRoutes(app, { subscriptions: deps.subscriptions.service, contexts: deps.contexts });
}
