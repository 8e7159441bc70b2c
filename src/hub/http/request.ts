import type { FastifyReply, FastifyRequest } from 'fastify';
import { HubErrors } from '../errors.ts';
import type { Format } from '../entities/render.ts';
import { CORE_CONTEXT_URL } from '../jsonld/core-context.ts';
import { ContextUnavailableError, InvalidContextError, type ContextService } from '../jsonld/context-service.ts';
import type { TermMapper } from '../jsonld/term-mapper.ts';
import { isPlainObject } from '../entities/validate.ts';

export const JSONLD_CONTEXT_REL = 'http://www.w3.org/ns/json-ld#context';
const TENANT = /^[A-Za-z0-9_.-]{1,64}$/;

/** NGSILD-Tenant (§6.3.14); '' is the default tenant. */
export function tenantOf(req: FastifyRequest): string {
  const raw = req.headers['ngsild-tenant'];
  const t = Array.isArray(raw) ? raw[0] : raw;
  if (t === undefined || t === '') return '';
  if (!TENANT.test(t)) throw HubErrors.badRequestData.with('NGSILD-Tenant must be 1-64 letters, digits, ".", "_" or "-"');
  return t;
}

export function mediaType(req: FastifyRequest): string | undefined {
  const ct = req.headers['content-type'];
  return ct?.split(';')[0].trim().toLowerCase();
}

/** The @context URL of a Link header with the JSON-LD context relation (§6.3.5). */
export function linkContext(req: FastifyRequest): string | undefined {
  const raw = req.headers.link;
  const link = Array.isArray(raw) ? raw.join(',') : raw;
  if (!link) return undefined;
  for (const part of link.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (m && /rel\s*=\s*"?http:\/\/www\.w3\.org\/ns\/json-ld#context"?/.test(m[2])) return m[1];
  }
  throw HubErrors.badRequestData.with('The Link header does not hold a JSON-LD @context link');
}

/**
 * The request's term mapper: from the body's @context (application/ld+json) or the Link header
 * (application/json), per §6.3.5; both at once or the wrong one for the media type is an error.
 */
export async function requestMapper(req: FastifyRequest, contexts: ContextService): Promise<TermMapper> {
  const type = mediaType(req);
  const body = req.body;
  let ctx: unknown;
  const link = linkContext(req);
  if (type === 'application/ld+json' && body !== undefined) {
    if (link) throw HubErrors.badRequestData.with('A Link header must not be sent with application/ld+json');
    const bodyContexts = Array.isArray(body)
      ? body.map((b) => (isPlainObject(b) ? b['@context'] : undefined))
      : [isPlainObject(body) ? body['@context'] : undefined];
    if (bodyContexts.some((c) => c === undefined)) {
      throw HubErrors.badRequestData.with('An application/ld+json body must carry an @context');
    }
    ctx = bodyContexts[0];
  } else {
    const hasBodyContext = Array.isArray(body) ? body.some((b) => isPlainObject(b) && '@context' in b) : isPlainObject(body) && '@context' in body;
    if (hasBodyContext) {
      throw HubErrors.badRequestData.with('An application/json body must not carry an @context: use the Link header or application/ld+json');
    }
    ctx = link;
  }
  return mapperFor(contexts, ctx);
}

export async function mapperFor(contexts: ContextService, ctx: unknown): Promise<TermMapper> {
  try {
    return await contexts.mapper(ctx);
  } catch (err) {
    if (err instanceof ContextUnavailableError) throw HubErrors.ldContextNotAvailable.with(err.message);
    if (err instanceof InvalidContextError) throw HubErrors.badRequestData.with(err.message);
    throw err;
  }
}

export type ResponseType = 'application/json' | 'application/ld+json' | 'application/geo+json';

/** Content negotiation (§6.3.4): JSON by default, JSON-LD, or GeoJSON where supported. */
export function responseType(req: FastifyRequest, geo = false): ResponseType {
  const accept = req.headers.accept;
  if (!accept) return 'application/json';
  const ranges = accept
    .split(',')
    .map((r) => {
      const [type, ...params] = r.trim().toLowerCase().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { type: type.trim(), q: q ? Number(q.slice(2)) : 1 };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const r of ranges) {
    if (r.type === 'application/ld+json') return 'application/ld+json';
    if (r.type === 'application/geo+json' && geo) return 'application/geo+json';
    if (['application/json', 'application/*', '*/*'].includes(r.type)) return 'application/json';
  }
  throw HubErrors.notAcceptable.with(`Cannot answer with any of: ${accept}`);
}

/** The @context to advertise: the request's own when it was a URL or inline, else the core context. */
export function contextValue(mapper: TermMapper): unknown {
  return mapper.context ?? CORE_CONTEXT_URL;
}

/** Sets Link (for application/json) and the content type; returns body with @context for JSON-LD. */
export function decorate(reply: FastifyReply, type: ResponseType, mapper: TermMapper, body: unknown): unknown {
  answerHeaders(reply, type, mapper);
  if (type === 'application/ld+json') {
    const ctx = contextValue(mapper);
    const withCtx = (b: unknown) => (isPlainObject(b) ? { ...b, '@context': ctx } : b);
    return Array.isArray(body) ? body.map(withCtx) : withCtx(body);
  }
  return body;
}

/** The content type, and for application/json the Link to the context (§6.3.5); the body is the caller's. */
export function answerHeaders(reply: FastifyReply, type: ResponseType, mapper: TermMapper): void {
  reply.type(type);
  const ctx = contextValue(mapper);
  if (type !== 'application/ld+json' && typeof ctx === 'string') {
    reply.header('Link', `<${ctx}>; rel="${JSONLD_CONTEXT_REL}"; type="application/ld+json"`);
  }
}

/** options= and format= (§6.3.7): a comma list checked against what the operation allows. */
export function parseOptions(query: Record<string, unknown>, allowed: readonly string[]): Set<string> {
  const set = new Set<string>();
  for (const key of ['options', 'format']) {
    const raw = query[key];
    if (raw === undefined) continue;
    if (typeof raw !== 'string') throw HubErrors.badRequestData.with(`${key} must be given once`);
    for (const o of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
      if (!allowed.includes(o)) throw HubErrors.badRequestData.with(`Unknown ${key} value "${o}"; allowed: ${allowed.join(', ')}`);
      set.add(o);
    }
  }
  return set;
}

export function formatOf(options: Set<string>): Format {
  if (options.has('keyValues') || options.has('simplified')) return 'keyValues';
  if (options.has('concise')) return 'concise';
  return 'normalized';
}

export function stringParam(query: Record<string, unknown>, name: string): string | undefined {
  const v = query[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw HubErrors.badRequestData.with(`Parameter ${name} must be given once`);
  return v;
}

export function listParam(query: Record<string, unknown>, name: string): string[] | undefined {
  const v = stringParam(query, name);
  if (v === undefined) return undefined;
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (!list.length) throw HubErrors.badRequestData.with(`Parameter ${name} must not be empty`);
  return list;
}

export function intParam(query: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  const v = stringParam(query, name);
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v)) throw HubErrors.badRequestData.with(`Parameter ${name} must be a non-negative integer`);
  const n = Number(v);
  if (n < min) throw HubErrors.badRequestData.with(`Parameter ${name} must be at least ${min}`);
  if (n > max) {
    if (name === 'limit') throw HubErrors.tooManyResults.with(`limit must not exceed ${max}`);
    throw HubErrors.badRequestData.with(`Parameter ${name} must be at most ${max}`);
  }
  return n;
}

export function boolParam(query: Record<string, unknown>, name: string): boolean {
  const v = stringParam(query, name);
  if (v === undefined) return false;
  if (v !== 'true' && v !== 'false') throw HubErrors.badRequestData.with(`Parameter ${name} must be true or false`);
  return v === 'true';
}
