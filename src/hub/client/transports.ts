import type { FastifyInstance } from 'fastify';
import type { HubResponse, HubTransport } from './hub-client.ts';

const PREFIX = '/ngsi-ld/v1';

function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** In-process: the same routes, validation and errors as over HTTP, without a socket. */
export function inProcessTransport(app: FastifyInstance): HubTransport {
  return {
    async send(req): Promise<HubResponse> {
      const res = await app.inject({
        method: req.method as 'GET',
        url: PREFIX + req.path,
        query: req.query,
        // In-process callers are Madina's own modules: they act as the system principal.
        headers: app.hasDecorator('internalToken') ? { ...req.headers, 'x-madina-internal': app.internalToken } : req.headers,
        payload: req.body === undefined ? undefined : JSON.stringify(req.body),
      });
      return { status: res.statusCode, headers: res.headers as Record<string, string>, body: parseBody(res.body) };
    },
  };
}

/** Over HTTP to a hub at baseUrl (e.g. http://hub:8080). */
export function httpTransport(baseUrl: string, timeoutMs = 30_000): HubTransport {
  const base = baseUrl.replace(/\/$/, '') + PREFIX;
  return {
    async send(req): Promise<HubResponse> {
      const url = new URL(base + req.path);
      for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
      const res = await fetch(url, {
        method: req.method,
        headers: req.headers,
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const headers: Record<string, string> = {};
      res.headers.forEach((v, k) => (headers[k] = v));
      return { status: res.status, headers, body: parseBody(await res.text()) };
    },
  };
}
