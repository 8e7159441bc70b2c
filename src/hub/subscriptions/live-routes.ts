import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import { apiProblem, useApiErrors } from '../../platform/http/api.ts';
import { Problem } from '../../platform/http/problem.ts';
import { isUri } from '../entities/validate.ts';
import type { ContextService } from '../jsonld/context-service.ts';
import { parseGeoQuery } from '../query/geo.ts';
import { parseQuery } from '../query/q.ts';
import { parseScopeQuery } from '../query/scope.ts';
import { linkContext, mapperFor } from '../http/request.ts';
import type { LiveFeed } from './live.ts';
import { compileMatcher } from './match.ts';
import { mapTypeExpression } from './parse.ts';

export const LiveErrors = {
  invalidFilter: apiProblem('live', 400, 'invalid-filter', 'The live feed filter is not valid'),
  contextUnavailable: apiProblem('live', 503, 'context-unavailable', 'The JSON-LD @context could not be loaded'),
} as const;

type Req = FastifyRequest<{ Querystring: Record<string, unknown> }>;

const TENANT = /^[A-Za-z0-9_.-]{1,64}$/;
const FORMATS = ['normalized', 'concise', 'keyValues'] as const;

function one(q: Record<string, unknown>, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw LiveErrors.invalidFilter.with(`${name} must be given once, non-empty`);
  return v;
}

function invalid<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof Problem && err.status !== 400) throw err;
    throw LiveErrors.invalidFilter.with(`${what}: ${(err as Error).message}`);
  }
}

/**
 * GET /api/live: server-sent events of committed changes, filtered like a subscription:
 * type, id (comma list), idPattern, q, scopeQ, attrs (watched and shown), georel/geometry/coordinates/
 * geoproperty, format (normalized | concise | keyValues), options=sysAttrs, tenant (or the NGSILD-Tenant header).
 * Each event is `event: notification`, `data:` an NGSI-LD Notification, `id:` for Last-Event-ID.
 */
export async function liveRoutes(app: FastifyInstance, deps: { live: LiveFeed; contexts: ContextService; heartbeatMs?: number }) {
  useApiErrors(app);
  const streams = new Set<ServerResponse>();
  const heartbeatMs = deps.heartbeatMs ?? 15_000;

  // A live stream never finishes by itself: end them all so that a graceful stop is not held up.
  app.addHook('preClose', async () => {
    for (const s of streams) s.end();
  });

  app.get('/api/live', async (req: Req, reply) => {
    const q = req.query;
    const tenantRaw = one(q, 'tenant') ?? (req.headers['ngsild-tenant'] as string | undefined) ?? '';
    if (tenantRaw !== '' && !TENANT.test(tenantRaw)) throw LiveErrors.invalidFilter.with('tenant must be 1-64 letters, digits, ".", "_" or "-"');
    const link = invalid('Link', () => linkContext(req));
    const mapper = await mapperFor(deps.contexts, link).catch((err: Problem) => {
      throw err.status === 503 ? LiveErrors.contextUnavailable.with(err.detail) : LiveErrors.invalidFilter.with(err.detail);
    });
    const format = one(q, 'format') ?? 'normalized';
    const sysAttrs = one(q, 'options')?.split(',').includes('sysAttrs') ?? false;
    if (!(FORMATS as readonly string[]).includes(format)) throw LiveErrors.invalidFilter.with(`format must be one of ${FORMATS.join(', ')}`);
    const type = one(q, 'type');
    const ids = one(q, 'id')?.split(',');
    for (const id of ids ?? []) if (!isUri(id)) throw LiveErrors.invalidFilter.with(`id ${JSON.stringify(id)} is not a URI`);
    const idPattern = one(q, 'idPattern');
    const attrs = one(q, 'attrs')?.split(',').map((a) => mapper.expand(a.trim()));
    const qs = one(q, 'q');
    const scopeQ = one(q, 'scopeQ');
    const georel = one(q, 'georel');
    const typeExpr = type === undefined ? undefined : invalid('type', () => mapTypeExpression(type, (n) => mapper.expand(n)));
    const entities = ids ? ids.map((id) => ({ id, type: typeExpr ?? '' })) : typeExpr !== undefined || idPattern !== undefined ? [{ type: typeExpr ?? '', idPattern }] : undefined;
    const matcher = invalid('filter', () => {
      if (idPattern !== undefined) new RegExp(idPattern);
      if (qs !== undefined) parseQuery(qs);
      if (scopeQ !== undefined) parseScopeQuery(scopeQ);
      const geoQ =
        georel === undefined
          ? undefined
          : (() => {
              const g = parseGeoQuery({ georel, geometry: one(q, 'geometry'), coordinates: one(q, 'coordinates'), geoproperty: one(q, 'geoproperty') });
              return { georel, geometry: g.geometry.type, coordinates: g.geometry.coordinates, geoproperty: mapper.expand(g.geoproperty) };
            })();
      return compileMatcher(
        {
          entities,
          watchedAttributes: attrs,
          notificationTrigger: ['entityCreated', 'entityUpdated', 'entityDeleted'],
          q: qs,
          scopeQ,
          geoQ,
        },
        { expandAttr: (t) => mapper.expand(t), expandVocab: (t) => mapper.expand(t) },
      );
    });

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    streams.add(res);
    const lastEventId = (req.headers['last-event-id'] as string | undefined) ?? one(q, 'lastEventId');
    const stop = deps.live.watch(
      { tenant: tenantRaw, matcher, mapper, format: format as (typeof FORMATS)[number], attrs, sysAttrs },
      (n) => res.write(`id: ${n.eventId}\nevent: notification\ndata: ${JSON.stringify(n.body)}\n\n`),
      lastEventId,
    );
    // The first comment tells the client the filter is in place.
    res.write(`retry: 2000\n: live ${deps.live.bootId}\n\n`);
    const beat = setInterval(() => res.write(': ping\n\n'), heartbeatMs);
    beat.unref();
    const close = () => {
      clearInterval(beat);
      stop();
      streams.delete(res);
    };
    req.raw.on('close', close);
    res.on('close', close);
  });
}
