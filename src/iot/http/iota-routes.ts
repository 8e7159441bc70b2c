/**
 * The FIWARE IoT Agent JSON northbound (provisioning) and HTTP southbound API under /iot, with that
 * agent's bodies, status codes and error format `{"name", "message"}`.
 */
import type { FastifyError, FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { Problem } from '../../platform/http/problem.ts';
import { OverloadError, type IotAgent } from '../agent.ts';
import { IotaError, IotaErrors } from '../errors.ts';
import { MeasureRejected } from '../mapping.ts';
import type { Group } from '../model.ts';
import { devicesOf, groupsOf } from '../validate.ts';

const TENANT = /^[a-z0-9_.-]{1,64}$/;
const VERSION = '0.1.0';

/** fiware-service (lowercased; NGSILD-Tenant accepted too) -> hub tenant; absent = the default tenant ''. */
export function tenantOf(req: FastifyRequest): string {
  const raw = req.headers['fiware-service'] ?? req.headers['ngsild-tenant'];
  const t = (Array.isArray(raw) ? raw[0] : raw)?.trim().toLowerCase();
  if (!t) return '';
  if (!TENANT.test(t)) throw IotaErrors.wrongSyntax('fiware-service must be 1-64 letters, digits, "_", "." or "-"');
  return t;
}

/** fiware-servicepath; `/#` and `/*` (all paths) and absence mean no filter on reads. */
function servicePathOf(req: FastifyRequest): string | undefined {
  const raw = req.headers['fiware-servicepath'];
  const p = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (!p || p === '/#' || p === '/*') return undefined;
  if (!p.startsWith('/') || p.length > 256) throw IotaErrors.wrongSyntax('fiware-servicepath must start with "/"');
  return p;
}

function page(q: Record<string, unknown>): { limit: number; offset: number } {
  const num = (v: unknown, name: string, fallback: number, max: number) => {
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > max) throw IotaErrors.wrongSyntax(`${name} must be an integer between 0 and ${max}`);
    return n;
  };
  return { limit: num(q.limit, 'limit', 20, 10_000) || 20, offset: num(q.offset, 'offset', 0, 10_000_000) };
}

const groupView = (g: Group) => ({ ...g.doc, service: g.tenant, subservice: g.servicePath });

function toIotaError(err: unknown): IotaError {
  if (err instanceof IotaError) return err;
  if (err instanceof Problem) {
    const name = err.status === 401 ? 'UNAUTHORIZED' : err.status === 403 ? 'ACCESS_FORBIDDEN' : 'BAD_REQUEST';
    return new IotaError(err.status, name, err.detail ?? err.title);
  }
  if (err instanceof OverloadError) return IotaErrors.overloaded('the ingestion buffer is full');
  if (err instanceof MeasureRejected) {
    if (err.reason === 'unknown-apikey') return IotaErrors.groupNotFound(`: ${err.message}`);
    if (err.reason === 'unknown-device') return IotaErrors.deviceNotFound(` ${err.message}`);
    if (err.reason === 'oversize') return IotaErrors.payloadTooLarge(err.message);
    if (err.reason === 'hub-error') return IotaErrors.internal(err.message);
    return IotaErrors.rejectedMeasure(`${err.reason}: ${err.message}`);
  }
  const e = err as FastifyError;
  if (e.statusCode === 413) return IotaErrors.payloadTooLarge(e.message);
  if (e.statusCode === 415) return IotaErrors.unsupportedContentType(e.message);
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return IotaErrors.wrongSyntax(e.message);
  return IotaErrors.internal('see the server log');
}

export interface IotaRouteOptions {
  port: () => number;
  maxPayloadBytes: number;
  /** preHandlers for provisioning reads and writes (auth per MADINA_HUB_AUTH); the southbound authenticates by apikey. */
  guards: { read: preHandlerAsyncHookHandler[]; write: preHandlerAsyncHookHandler[] };
}

export async function iotaRoutes(app: FastifyInstance, agent: IotAgent, opts: IotaRouteOptions) {
  const read = { preHandler: opts.guards.read };
  const write = { preHandler: opts.guards.write };
  app.setErrorHandler((err, req, reply) => {
    const e = toIotaError(err);
    if (e.status >= 500 && !(err instanceof OverloadError)) req.log.error({ err }, 'iot request failed');
    return reply.code(e.status).type('application/json').send(e.toJSON());
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ name: 'NOT_FOUND', message: `No IoT Agent resource at ${req.method} ${req.url}` }));

  app.get('/about', async () => ({ libVersion: VERSION, port: String(opts.port()), baseRoot: '/', version: VERSION, madina: true }));

  // Config groups, and their legacy alias /iot/services.
  for (const [path, member] of [
    ['/groups', 'groups'],
    ['/services', 'services'],
  ] as const) {
    app.post(path, write, async (req, reply) => {
      const tenant = tenantOf(req);
      await agent.createGroups(tenant, servicePathOf(req) ?? '/', groupsOf(req.body, member));
      return reply.code(201).send();
    });
    app.get(path, read, async (req) => {
      const q = req.query as Record<string, string | undefined>;
      const all = agent.listGroups(tenantOf(req), { servicePath: servicePathOf(req), resource: q.resource, apikey: q.apikey });
      const { limit, offset } = page(q);
      const items = all.slice(offset, offset + limit).map(groupView);
      return { count: all.length, [member]: items };
    });
    app.put(path, write, async (req, reply) => {
      const q = req.query as Record<string, string | undefined>;
      await agent.updateGroup(tenantOf(req), q.resource, q.apikey, req.body);
      return reply.code(204).send();
    });
    app.delete(path, write, async (req, reply) => {
      const q = req.query as Record<string, string | undefined>;
      await agent.deleteGroup(tenantOf(req), q.resource, q.apikey);
      return reply.code(204).send();
    });
  }

  app.post('/devices', write, async (req, reply) => {
    await agent.createDevices(tenantOf(req), servicePathOf(req) ?? '/', devicesOf(req.body));
    return reply.code(201).send();
  });
  app.get('/devices', read, async (req) => {
    const all = agent.listDevices(tenantOf(req), { servicePath: servicePathOf(req) });
    const { limit, offset } = page(req.query as Record<string, unknown>);
    return { count: all.length, devices: all.slice(offset, offset + limit).map((d) => agent.deviceView(d)) };
  });
  app.get('/devices/:deviceId', read, async (req) => {
    const { deviceId } = req.params as { deviceId: string };
    const d = agent.getDevice(tenantOf(req), deviceId);
    if (!d) throw IotaErrors.deviceNotFound(deviceId);
    return agent.deviceView(d);
  });
  app.put('/devices/:deviceId', write, async (req, reply) => {
    const { deviceId } = req.params as { deviceId: string };
    await agent.updateDevice(tenantOf(req), deviceId, req.body);
    return reply.code(204).send();
  });
  app.delete('/devices/:deviceId', write, async (req, reply) => {
    const { deviceId } = req.params as { deviceId: string };
    await agent.deleteDevice(tenantOf(req), deviceId);
    return reply.code(204).send();
  });

  // HTTP southbound of the JSON agent: measures and command results. The body is parsed here, so a
  // malformed or oversize payload is counted like on MQTT.
  await app.register(async (south) => {
    south.removeAllContentTypeParsers();
    south.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: Math.max(opts.maxPayloadBytes * 4, 1024 * 1024) }, (_req, body, done) => done(null, body));
    const measure = (kind: 'attrs' | 'cmdexe') => async (req: FastifyRequest, reply: import('fastify').FastifyReply) => {
      const q = req.query as Record<string, string | undefined>;
      if (!q.k || !q.i) throw IotaErrors.badRequest('the query parameters k (apikey) and i (device id) are required');
      const raw = req.body as Buffer | undefined;
      let body: unknown;
      try {
        if (raw && raw.length > opts.maxPayloadBytes) throw new MeasureRejected('oversize', `${raw.length} bytes > ${opts.maxPayloadBytes}`);
        try {
          body = JSON.parse(raw?.toString('utf8') ?? '');
        } catch {
          throw new MeasureRejected('malformed-json', 'the payload is not JSON');
        }
      } catch (err) {
        agent.stats.received++;
        agent.stats.reject((err as MeasureRejected).reason);
        throw err;
      }
      await agent.handleHttp(q.k, q.i, body, kind, '/iot/json');
      return reply.code(200).send('');
    };
    south.post('/json', measure('attrs'));
    south.post('/json/commands', measure('cmdexe'));
  });
}
