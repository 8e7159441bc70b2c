/** Madina's own IoT API (/api/iot): device health, ingestion counters, commands. RFC 9457 errors. */
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { Type } from '@sinclair/typebox';
import { useApiErrors } from '../../platform/http/api.ts';
import type { IotAgent } from '../agent.ts';
import { IotErrors } from '../errors.ts';

const TENANT = /^[a-z0-9_.-]{1,64}$/i;

function tenantOf(req: FastifyRequest): string {
  const raw = req.headers['ngsild-tenant'] ?? req.headers['fiware-service'];
  const t = (Array.isArray(raw) ? raw[0] : raw)?.trim().toLowerCase();
  if (!t) return '';
  if (!TENANT.test(t)) throw IotErrors.badTenant.with('NGSILD-Tenant must be 1-64 letters, digits, "_", "." or "-"');
  return t;
}

const TenantHeaders = Type.Object({ 'ngsild-tenant': Type.Optional(Type.String()), 'fiware-service': Type.Optional(Type.String()) });

const DevicesQuery = Type.Object({
  silent: Type.Optional(Type.Boolean({ description: 'true: only devices silent longer than their expected period' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
});

const CommandBody = Type.Object(
  {
    deviceId: Type.String({ minLength: 1, maxLength: 256 }),
    command: Type.String({ minLength: 1, maxLength: 256 }),
    value: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

export interface IotApiGuards {
  read: preHandlerAsyncHookHandler[];
  write: preHandlerAsyncHookHandler[];
}

export async function iotApiRoutes(app: FastifyInstance, agent: IotAgent, guards: IotApiGuards) {
  useApiErrors(app);

  app.get(
    '/devices',
    { schema: { tags: ['iot'], summary: 'Device health: lastSeen, expected period, silent', headers: TenantHeaders, querystring: DevicesQuery }, preHandler: guards.read },
    async (req) => {
      const q = req.query as { silent?: boolean; limit?: number; offset?: number };
      const limit = q.limit ?? 100;
      const offset = q.offset ?? 0;
      const r = agent.deviceHealth(tenantOf(req), { silent: q.silent, limit, offset });
      return { total: r.total, limit, offset, devices: r.devices };
    },
  );

  app.get('/stats', { schema: { tags: ['iot'], summary: 'Accepted, rejected (by reason) and dropped messages since start' }, preHandler: guards.read }, async () =>
    agent.snapshot(),
  );

  app.post(
    '/commands',
    { schema: { tags: ['iot'], summary: "Sends a command to a device (published on /<apikey>/<device_id>/cmd)", headers: TenantHeaders, body: CommandBody }, preHandler: guards.write },
    async (req, reply) => {
      const b = req.body as { deviceId: string; command: string; value?: unknown };
      return reply.code(202).send(await agent.sendCommand(tenantOf(req), b.deviceId, b.command, b.value));
    },
  );
}
