/** /api/lighting: HTTP only — schemas, who may call, then the service. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { requireRole } from '../../platform/auth/plugin.ts';
import { useApiErrors } from '../../platform/http/api.ts';
import { FAULT_KINDS } from './faults.ts';
import { INVENTORY_TYPES, type FileFormat, type InventoryType } from './inventory.ts';
import { TECHNOLOGIES, type Scenario } from './scenarios.ts';
import { LAMP_COMMANDS, type AreaRef, type LampCommand, type LightingService, type TargetType } from './service.ts';

const tags = ['lighting'];
const str = (max = 200) => ({ type: 'string', maxLength: max });
const paging = { limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 }, offset: { type: 'integer', minimum: 0, default: 0 } };
const placeCode = { type: 'string', pattern: '^[0-9]{9}$' };

const profile = {
  type: 'array',
  minItems: 1,
  maxItems: 12,
  items: { type: 'object', additionalProperties: false, required: ['start', 'level'], properties: { start: str(5), level: { type: 'number', minimum: 0, maximum: 1 } } },
};
const scenario = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'retrofit', 'profile', 'replaceCabinets'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 100 },
    retrofit: {
      type: 'array',
      maxItems: 20,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['technology', 'toWattW'],
        properties: { technology: { type: 'string', enum: [...TECHNOLOGIES] }, wattW: { type: 'number', exclusiveMinimum: 0 }, toWattW: { type: 'number', exclusiveMinimum: 0, maximum: 2000 } },
      },
    },
    profile,
    replaceCabinets: { type: 'boolean' },
  },
};
const areaRef = { type: 'object', additionalProperties: false, required: ['kind', 'code'], properties: { kind: { type: 'string', enum: ['commune', 'arrondissement', 'group'] }, code: str(200) } };
const num = (min?: number, max?: number) => ({ type: 'number', ...(min !== undefined ? { minimum: min } : {}), ...(max !== undefined ? { maximum: max } : {}) });
const assumptions = {
  type: 'object',
  additionalProperties: false,
  properties: {
    year: { type: 'integer', minimum: 2000, maximum: 2100 },
    thresholdDeg: num(-12, 2),
    utcOffsetMin: { type: 'integer', minimum: -720, maximum: 840 },
    tariffMadPerKwh: num(0, 100),
    emissionFactorTco2PerMwh: num(0, 2),
    discountRate: num(-0.5, 1),
    lifetimeYears: { type: 'integer', minimum: 1, maximum: 50 },
    photocellDriftMinPerNight: num(0, 120),
    ballastLoss: { type: 'object', additionalProperties: false, properties: Object.fromEntries(TECHNOLOGIES.map((t) => [t, num(0, 0.5)])) },
    prices: {
      type: 'object',
      additionalProperties: false,
      properties: { ledLuminaireBaseMad: num(0), ledLuminairePerWattMad: num(0), installationMad: num(0), cabinetMad: num(0) },
    },
  },
};
const evaluateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['areas', 'scenarios'],
  properties: { areas: { type: 'array', minItems: 1, maxItems: 200, items: areaRef }, scenarios: { type: 'array', minItems: 1, maxItems: 8, items: scenario }, assumptions },
};

const SSE_PING_MS = 15_000;

export function lightingRoutes(app: FastifyInstance, lighting: LightingService, opts: { openStreams: Set<FastifyReply> }) {
  return app.register(
    async (scope) => {
      useApiErrors(scope);
      // Inventory files: CSV as text, GeoJSON as text (so a syntax error is reported, not a generic 400).
      scope.addContentTypeParser(['text/csv', 'text/plain', 'application/geo+json'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
      const staff = requireRole('planner', 'operator');
      const planner = requireRole('planner');
      const operator = requireRole('operator');

      scope.get('/places', { schema: { tags, summary: 'Communes and arrondissements, with the point the sun is computed at' }, preHandler: staff }, async () => ({ places: lighting.places() }));
      scope.get('/assumptions', { schema: { tags, summary: 'Default assumptions of the scenarios (sources in docs/lighting.md)' }, preHandler: staff }, async () => lighting.assumptions());

      scope.get<{ Querystring: { place: string; year?: number; thresholdDeg?: number } }>(
        '/burning-hours',
        {
          schema: {
            tags,
            summary: 'Every night of a year at a place: dusk, dawn, hours (sun at the switching elevation)',
            querystring: { type: 'object', required: ['place'], properties: { place: placeCode, year: { type: 'integer', minimum: 2000, maximum: 2100 }, thresholdDeg: num(-12, 2) } },
          },
          preHandler: staff,
        },
        async (req) => lighting.burningHours(req.query.place, req.query.year ?? lighting.options.assumptions.year, req.query.thresholdDeg ?? lighting.options.assumptions.thresholdDeg),
      );

      scope.get<{ Params: AreaRef }>(
        '/areas/:kind/:code/inventory',
        { schema: { tags, summary: "An area's lamps by technology and wattage", params: areaRef }, preHandler: staff },
        async (req) => lighting.inventory(req.params),
      );

      scope.post<{ Body: { areas: AreaRef[]; scenarios: Scenario[]; assumptions?: object }; Querystring: { format?: 'json' | 'csv' } }>(
        '/scenarios/evaluate',
        {
          schema: { tags, summary: 'Scenarios side by side over areas (format=csv for the comparison table)', body: evaluateBody, querystring: { type: 'object', properties: { format: { type: 'string', enum: ['json', 'csv'] } } } },
          preHandler: staff,
        },
        async (req, reply) => {
          const r = await lighting.evaluate(req.body);
          if (req.query.format === 'csv') return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="lighting-scenarios.csv"').send(lighting.comparisonCsv(r.results));
          return r;
        },
      );
      scope.post<{ Body: { name: string; areas: AreaRef[]; scenario: Scenario; assumptions?: object } }>(
        '/scenarios',
        {
          schema: {
            tags,
            summary: 'Save a scenario (its inputs; the result is recomputed when read)',
            body: { type: 'object', additionalProperties: false, required: ['name', 'areas', 'scenario'], properties: { name: str(100), areas: evaluateBody.properties.areas, scenario, assumptions } },
          },
          preHandler: planner,
        },
        async (req, reply) => reply.code(201).send(await lighting.saveScenario(req.principal, req.body)),
      );
      scope.get<{ Querystring: { limit: number; offset: number } }>('/scenarios', { schema: { tags, summary: 'Saved scenarios', querystring: { type: 'object', properties: paging } }, preHandler: staff }, async (req) =>
        lighting.listScenarios(req.query.limit, req.query.offset),
      );
      scope.get<{ Params: { id: string } }>(
        '/scenarios/:id',
        { schema: { tags, summary: 'A saved scenario, re-evaluated', params: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } } } }, preHandler: staff },
        async (req) => lighting.scenario(req.params.id),
      );

      scope.post<{ Querystring: { type: InventoryType; format?: FileFormat; mode?: 'all-or-nothing' | 'valid-only' }; Body: unknown }>(
        '/import',
        {
          schema: {
            tags,
            summary: 'Import inventory from CSV (text/csv) or GeoJSON; with problems, nothing is imported unless mode=valid-only',
            querystring: {
              type: 'object',
              required: ['type'],
              properties: { type: { type: 'string', enum: [...INVENTORY_TYPES] }, format: { type: 'string', enum: ['csv', 'geojson'] }, mode: { type: 'string', enum: ['all-or-nothing', 'valid-only'] } },
            },
          },
          preHandler: staff,
        },
        async (req) => {
          const ct = String(req.headers['content-type'] ?? '');
          const format: FileFormat = req.query.format ?? (ct.includes('json') ? 'geojson' : 'csv');
          return lighting.importFile(req.query.type, format, req.body, req.query.mode ?? 'all-or-nothing');
        },
      );
      scope.get<{ Querystring: { type: InventoryType; format?: FileFormat; place?: string } }>(
        '/export',
        {
          schema: {
            tags,
            summary: 'Export inventory as CSV or GeoJSON (the import format)',
            querystring: { type: 'object', required: ['type'], properties: { type: { type: 'string', enum: [...INVENTORY_TYPES] }, format: { type: 'string', enum: ['csv', 'geojson'] }, place: placeCode } },
          },
          preHandler: staff,
        },
        async (req, reply) => {
          const format = req.query.format ?? 'csv';
          const body = await lighting.exportFile(req.query.type, format, req.query.place);
          const name = `${req.query.type}${req.query.place ? `-${req.query.place}` : ''}.${format}`;
          reply.header('content-disposition', `attachment; filename="${name}"`);
          return format === 'csv' ? reply.type('text/csv; charset=utf-8').send(body) : reply.type('application/geo+json').send(JSON.stringify(body));
        },
      );

      scope.get<{ Querystring: { open?: boolean; commune?: string; kind?: string; limit: number; offset: number } }>(
        '/alerts',
        {
          schema: {
            tags,
            summary: 'Fault alerts (newest first), in the communes you may see',
            querystring: { type: 'object', properties: { open: { type: 'boolean' }, commune: placeCode, kind: { type: 'string', enum: [...FAULT_KINDS] }, ...paging } },
          },
          preHandler: staff,
        },
        async (req) => {
          const { items, total } = await lighting.alerts(req.principal, { open: req.query.open, communeCode: req.query.commune, kind: req.query.kind, limit: req.query.limit, offset: req.query.offset });
          return { items, total, limit: req.query.limit, offset: req.query.offset };
        },
      );
      scope.get('/alerts/stream', { schema: { tags, summary: 'Server-sent events: alert raised or cleared' }, preHandler: staff }, async (req, reply) => {
        const p = req.principal;
        const all = p.communes.includes('*');
        reply.hijack();
        reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
        reply.raw.write(': lighting alerts\n\n');
        const off = lighting.subscribe((ev) => {
          if (!all && !p.communes.includes(ev.alert.communeCode ?? '') && !p.communes.includes((ev.alert.scope ?? '').split('/')[3] ?? '')) return;
          reply.raw.write(`event: alert\ndata: ${JSON.stringify(ev)}\n\n`);
        });
        const ping = setInterval(() => reply.raw.write(': ping\n\n'), SSE_PING_MS);
        opts.openStreams.add(reply);
        reply.raw.on('close', () => {
          off();
          clearInterval(ping);
          opts.openStreams.delete(reply);
        });
      });

      scope.post<{ Body: { targetType: TargetType; targetId: string; command: LampCommand; value: unknown } }>(
        '/commands',
        {
          schema: {
            tags,
            summary: 'Send switch (on|off), dim (0..1) or schedule (a dimming profile) to a lamp, group or cabinet through the IoT agent',
            body: {
              type: 'object',
              additionalProperties: false,
              required: ['targetType', 'targetId', 'command', 'value'],
              properties: {
                targetType: { type: 'string', enum: ['Streetlight', 'StreetlightGroup', 'StreetlightControlCabinet'] },
                targetId: str(200),
                command: { type: 'string', enum: [...LAMP_COMMANDS] },
                value: {},
              },
            },
          },
          preHandler: operator,
        },
        async (req, reply) => reply.code(202).send(await lighting.sendCommand(req.principal, req.body)),
      );
      scope.get<{ Querystring: { limit: number; offset: number } }>(
        '/commands',
        { schema: { tags, summary: 'Commands sent, with the status each device reported', querystring: { type: 'object', properties: paging } }, preHandler: staff },
        async (req) => lighting.commands(req.query.limit, req.query.offset),
      );

      scope.post('/indicators/publish', { schema: { tags, summary: 'Compute the indicators per commune and write them to the hub now' }, preHandler: planner }, async () => lighting.publishIndicators());
      scope.post<{ Params: { commune: string } }>(
        '/baselines/:commune',
        { schema: { tags, summary: "Set a commune's energy baseline to its current modelled consumption", params: { type: 'object', properties: { commune: placeCode } } }, preHandler: planner },
        async (req) => lighting.resetBaseline(req.params.commune),
      );
    },
    { prefix: '/api/lighting' },
  );
}
