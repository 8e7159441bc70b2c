/** /api/waste: HTTP only — schemas, who may call, then the service. */
import type { FastifyInstance } from 'fastify';
import { requireRole } from '../../platform/auth/plugin.ts';
import { useApiErrors } from '../../platform/http/api.ts';
import type { JobView } from '../../platform/jobs/jobs.ts';
import { planCsv, planGeoJson } from './exports.ts';
import type { PlanRequest, SimulationRequest, WasteService } from './service.ts';

const tags = ['waste'];
const code = { type: 'string', pattern: '^[0-9]{9}$' };
const date = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' };
const tenant = { type: 'string', maxLength: 100, pattern: '^[A-Za-z0-9_-]*$' };
const lon = { type: 'number', minimum: -180, maximum: 180 };
const lat = { type: 'number', minimum: -90, maximum: 90 };
const depot = { type: 'object', additionalProperties: false, required: ['id', 'lon', 'lat'], properties: { id: { type: 'string', minLength: 1, maxLength: 100 }, name: { type: 'string', maxLength: 200 }, lon, lat } };
const fleet = {
  type: 'object',
  additionalProperties: false,
  properties: {
    trucks: { type: 'integer', minimum: 1, maximum: 200 },
    capacityM3: { type: 'number', exclusiveMinimum: 0, maximum: 60 },
    compactionFactor: { type: 'number', minimum: 1, maximum: 6 },
    shiftHours: { type: 'number', exclusiveMinimum: 0, maximum: 16 },
    speedKmh: { type: 'number', minimum: 3, maximum: 90 },
    serviceMinutesPerStop: { type: 'number', minimum: 0, maximum: 60 },
    unloadMinutes: { type: 'number', minimum: 0, maximum: 240 },
  },
};
const planBody = {
  type: 'object',
  additionalProperties: false,
  required: ['commune'],
  properties: {
    commune: code,
    tenant,
    date,
    startHourUtc: { type: 'integer', minimum: 0, maximum: 23 },
    threshold: { type: 'number', minimum: 0, maximum: 1 },
    horizonHours: { type: 'number', minimum: 0, maximum: 168 },
    fleet,
    depots: { type: 'array', minItems: 1, maxItems: 20, items: depot },
    detourFactor: { type: 'number', minimum: 1, maximum: 3 },
    roadGraph: {
      type: 'object',
      additionalProperties: false,
      required: ['nodes', 'edges'],
      properties: {
        nodes: { type: 'array', minItems: 1, maxItems: 200_000, items: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'number' } } },
        edges: { type: 'array', maxItems: 500_000, items: { type: 'array', minItems: 2, maxItems: 3, items: { type: 'number', minimum: 0 } } },
        directed: { type: 'boolean' },
      },
    },
    budget: {
      type: 'object',
      additionalProperties: false,
      properties: { timeLimitMs: { type: 'integer', minimum: 100, maximum: 600_000 }, maxIterations: { type: 'integer', minimum: 0, maximum: 10_000_000 }, seed: { type: 'integer', minimum: 0, maximum: 2 ** 31 - 1 } },
    },
    include: { type: 'array', maxItems: 5000, items: { type: 'string', maxLength: 300 } },
  },
};
const simulationBody = {
  type: 'object',
  additionalProperties: false,
  required: ['commune'],
  properties: {
    commune: code,
    tenant,
    days: { type: 'integer', minimum: 1, maximum: 92 },
    threshold: { type: 'number', minimum: 0, maximum: 1 },
    fixedEveryDays: { type: 'integer', minimum: 1, maximum: 14 },
    seed: { type: 'integer', minimum: 0, maximum: 2 ** 31 - 1 },
    fleet,
    detourFactor: { type: 'number', minimum: 1, maximum: 3 },
    iterations: { type: 'integer', minimum: 0, maximum: 5000 },
  },
};
const jobAccepted = {
  type: 'object',
  properties: { jobId: { type: 'string' }, status: { type: 'string' }, links: { type: 'object', additionalProperties: { type: 'string' } } },
};

const accepted = (job: JobView) => ({ jobId: job.id, status: job.status, links: { job: `/api/jobs/${job.id}`, events: `/api/jobs/${job.id}/events` } });

export function wasteRoutes(app: FastifyInstance, waste: WasteService) {
  return app.register(
    async (scope) => {
      useApiErrors(scope);
      const planners = requireRole('planner', 'supervisor');
      const readers = requireRole('planner', 'supervisor', 'operator');

      scope.post<{ Body: PlanRequest }>(
        '/plans',
        {
          schema: {
            tags,
            summary: "Plan a place's collection (a job): forecast every container, choose those to collect, route the trucks; the plan is saved only when whole",
            body: planBody,
            response: { 202: jobAccepted },
          },
          preHandler: planners,
        },
        async (req, reply) => reply.code(202).send(accepted(await waste.start(req.principal, req.body))),
      );
      scope.get<{ Querystring: { commune?: string; date?: string; tenant?: string; limit: number; offset: number } }>(
        '/plans',
        {
          schema: {
            tags,
            summary: 'Saved plans (latest version of each), newest date first',
            querystring: {
              type: 'object',
              additionalProperties: false,
              properties: { commune: code, date, tenant, limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 }, offset: { type: 'integer', minimum: 0, default: 0 } },
            },
          },
          preHandler: readers,
        },
        async (req) => waste.list(req.principal, req.query),
      );
      scope.get<{ Params: { id: string }; Querystring: { version?: number; format?: 'json' | 'geojson' | 'csv' } }>(
        '/plans/:id',
        {
          schema: {
            tags,
            summary: 'A plan version with its routes and stops; `.geojson` / `.csv` (or ?format=) export it for crews',
            params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 60 } } },
            querystring: { type: 'object', additionalProperties: false, properties: { version: { type: 'integer', minimum: 1 }, format: { type: 'string', enum: ['json', 'geojson', 'csv'] } } },
          },
          preHandler: readers,
        },
        async (req, reply) => {
          const m = /^(.*?)(?:\.(geojson|csv))?$/.exec(req.params.id)!;
          const format = (m[2] as 'geojson' | 'csv' | undefined) ?? req.query.format ?? 'json';
          const plan = await waste.get(req.principal, m[1], req.query.version);
          const name = `waste-plan-${plan.placeCode}-${plan.date}-v${plan.version}`;
          if (format === 'geojson') return reply.type('application/geo+json').header('content-disposition', `attachment; filename="${name}.geojson"`).send(planGeoJson(plan));
          if (format === 'csv') return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`).send(planCsv(plan));
          return plan;
        },
      );
      scope.post<{ Params: { id: string }; Body: { version?: number; actualKm?: number; collectedAt?: string; simulated?: boolean } }>(
        '/plans/:id/collect',
        {
          schema: {
            tags,
            summary: "Record a (simulated or real) collection: the plan's containers are emptied in the hub and the kilometres driven kept",
            params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 60 } } },
            body: {
              type: ['object', 'null'],
              additionalProperties: false,
              properties: { version: { type: 'integer', minimum: 1 }, actualKm: { type: 'number', minimum: 0, maximum: 100_000 }, collectedAt: { type: 'string', format: 'date-time' }, simulated: { type: 'boolean' } },
            },
          },
          preHandler: requireRole('planner', 'supervisor', 'operator'),
        },
        async (req) => waste.collect(req.principal, req.params.id, req.body ?? {}),
      );
      scope.post<{ Body: SimulationRequest }>(
        '/simulations',
        {
          schema: { tags, summary: 'Simulate a month: threshold planning from the sensors against a fixed schedule visiting every container (a job)', body: simulationBody, response: { 202: jobAccepted } },
          preHandler: planners,
        },
        async (req, reply) => reply.code(202).send(accepted(await waste.startSimulation(req.principal, req.body))),
      );
      scope.get<{ Params: { code: string }; Querystring: { tenant?: string; at?: string } }>(
        '/communes/:code/containers',
        {
          schema: {
            tags,
            summary: "The place's containers with their forecast: rate, current and predicted level",
            params: { type: 'object', required: ['code'], properties: { code } },
            querystring: { type: 'object', additionalProperties: false, properties: { tenant, at: { type: 'string', format: 'date-time' } } },
          },
          preHandler: readers,
        },
        async (req) => waste.containerForecasts(req.principal, req.query.tenant ?? '', req.params.code, req.query.at),
      );
      scope.get<{ Params: { code: string }; Querystring: { tenant?: string } }>(
        '/communes/:code/depots',
        { schema: { tags, summary: "The place's depots (a default at its centroid when none is configured)", params: { type: 'object', required: ['code'], properties: { code } }, querystring: { type: 'object', properties: { tenant } } }, preHandler: readers },
        async (req) => waste.depots(req.principal, req.query.tenant ?? '', req.params.code),
      );
      scope.put<{ Params: { code: string }; Querystring: { tenant?: string }; Body: { depots: { id: string; name?: string; lon: number; lat: number }[] } }>(
        '/communes/:code/depots',
        {
          schema: {
            tags,
            summary: "Replace the place's depots (an empty list goes back to the default)",
            params: { type: 'object', required: ['code'], properties: { code } },
            querystring: { type: 'object', properties: { tenant } },
            body: { type: 'object', additionalProperties: false, required: ['depots'], properties: { depots: { type: 'array', maxItems: 20, items: depot } } },
          },
          preHandler: planners,
        },
        async (req) => waste.setDepots(req.principal, req.query.tenant ?? '', req.params.code, req.body.depots),
      );
    },
    { prefix: '/api/waste' },
  );
}
