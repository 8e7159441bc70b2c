/** /api/citizen: the web form and tracking page (public), the public map, and the back office (staff). HTTP only. */
import type { FastifyInstance } from 'fastify';
import { requireRole } from '../../platform/auth/plugin.ts';
import { useApiErrors } from '../../platform/http/api.ts';
import { CitizenErrors } from './errors.ts';
import { addBodyParsers, baseUrlOf, isMultipart, langOf, type Limits } from './http-support.ts';
import { readReportInput } from './open311.ts';
import type { CitizenPlaces } from './places.ts';
import type { CitizenService } from './service.ts';
import { INTERNAL_SOURCES, type InternalSource } from './store.ts';
import { STATES, type State } from './workflow.ts';

const tags = ['citizen'];
const idParam = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } };
const REF = { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._:~-]+$' };
const workRefParams = { type: 'object', required: ['source', 'external_ref'], properties: { source: { type: 'string', enum: [...INTERNAL_SOURCES] }, external_ref: REF } };

export function citizenRoutes(app: FastifyInstance, citizen: CitizenService, places: CitizenPlaces, limits: Limits, photoMaxBytes: number) {
  return app.register(
    async (scope) => {
      useApiErrors(scope);
      addBodyParsers(scope, photoMaxBytes + 256 * 1024);
      const staff = requireRole('operator', 'supervisor');

      scope.get('/services', { schema: { tags } }, async (req) => ({ services: citizen.catalogue(langOf(req)) }));

      scope.get<{ Querystring: { q?: string } }>(
        '/landmarks',
        { schema: { tags, querystring: { type: 'object', properties: { q: { type: 'string', maxLength: 100 } } } } },
        async (req) => ({ landmarks: places.landmarks(req.query.q ?? '', 10) }),
      );

      // The citizen form: the same checks as Open311 POST, plus an optional photo (multipart field "photo").
      scope.post('/reports', { schema: { tags } }, async (req, reply) => {
        limits.check(limits.writesPerIp, req.ip, reply);
        const body = req.body;
        let photo: Uint8Array | undefined;
        let pairs: Iterable<[string, unknown]>;
        if (isMultipart(body)) {
          pairs = body.fields;
          photo = body.files.get('photo') ?? body.files.get('media');
        } else if (body instanceof URLSearchParams) pairs = body;
        else if (body && typeof body === 'object' && !Array.isArray(body)) pairs = Object.entries(body as Record<string, unknown>);
        else throw CitizenErrors.badField.with('Send the report as JSON or multipart/form-data');
        const out = await citizen.submit(readReportInput(pairs), { source: 'web', apiKeyId: null, photo, lang: langOf(req) });
        return reply.code(201).send(out);
      });

      scope.get<{ Params: { id: string } }>('/reports/:id', { schema: { tags, params: idParam } }, async (req, reply) => {
        limits.check(limits.readsPerIp, req.ip, reply);
        return citizen.track(req.params.id, langOf(req), baseUrlOf(req));
      });

      scope.get<{ Params: { id: string } }>('/photos/:id', { schema: { tags, params: idParam } }, async (req, reply) => {
        const p = await citizen.photo(req.params.id);
        return reply
          .type(p.contentType)
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', "default-src 'none'")
          .header('cache-control', 'public, max-age=86400')
          .send(p.bytes);
      });

      // Public map: where reports are and how far they got; no description, no contact, nobody's name.
      scope.get<{ Querystring: { days?: number } }>(
        '/map',
        { schema: { tags, querystring: { type: 'object', properties: { days: { type: 'integer', minimum: 1, maximum: 365, default: 90 } } } } },
        async (req) => {
          const start = new Date(Date.now() - (req.query.days ?? 90) * 86_400_000);
          const { rows } = await citizen.search({ start, limit: 5000, offset: 0 });
          return {
            type: 'FeatureCollection',
            features: rows.map((r) => ({
              type: 'Feature',
              geometry: { type: 'Point', coordinates: [r.lon, r.lat] },
              properties: { id: r.id, service_code: r.serviceCode, state: r.state, requested_datetime: r.requestedAt.toISOString(), duplicate_of: r.duplicateOf },
            })),
          };
        },
      );

      // Back office.
      scope.get('/queues', { schema: { tags }, preHandler: staff }, async (req) => ({ queues: await citizen.queues(req.principal, langOf(req)) }));

      scope.get<{ Querystring: { service_code?: string; commune?: string; state?: string; overdue?: boolean; limit: number; offset: number } }>(
        '/requests',
        {
          schema: {
            tags,
            querystring: {
              type: 'object',
              properties: {
                service_code: { type: 'string', maxLength: 2000 },
                commune: { type: 'string', maxLength: 2000 },
                state: { type: 'string', maxLength: 200 },
                overdue: { type: 'boolean' },
                limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
                offset: { type: 'integer', minimum: 0, default: 0 },
              },
            },
          },
          preHandler: staff,
        },
        async (req) => {
          const q = req.query;
          const list = (v?: string) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);
          const states = list(q.state);
          if (states?.some((s) => !STATES.includes(s as State))) throw CitizenErrors.badQuery.with(`state must be among ${STATES.join(', ')}`);
          return citizen.queue(
            req.principal,
            { serviceCodes: list(q.service_code), communes: list(q.commune), states: states as State[] | undefined, overdueAt: q.overdue ? new Date() : undefined, limit: q.limit, offset: q.offset },
            langOf(req),
          );
        },
      );

      scope.get<{ Params: { id: string } }>('/requests/:id', { schema: { tags, params: idParam }, preHandler: staff }, async (req) =>
        citizen.detail(req.principal, req.params.id, langOf(req), baseUrlOf(req)),
      );

      // Internal work requests, opened by other modules in-process (they act as the system principal): no
      // reporter, no contact; idempotent on (source, external_ref).
      const operator = requireRole('operator');
      scope.post<{
        Body: { service_code: string; lat: number; long: number; description?: string; asset_id?: string; attributes?: Record<string, string | string[]>; source: InternalSource; external_ref: string };
      }>(
        '/work-requests',
        {
          schema: {
            tags,
            summary: 'Open (or find) the work request of another module’s finding, e.g. a lighting fault',
            body: {
              type: 'object',
              additionalProperties: false,
              required: ['service_code', 'lat', 'long', 'source', 'external_ref'],
              properties: {
                service_code: { type: 'string', minLength: 1, maxLength: 100 },
                lat: { type: 'number', minimum: -90, maximum: 90 },
                long: { type: 'number', minimum: -180, maximum: 180 },
                description: { type: 'string', maxLength: 4000 },
                asset_id: { type: 'string', minLength: 1, maxLength: 300 },
                attributes: { type: 'object', maxProperties: 20, additionalProperties: { anyOf: [{ type: 'string', maxLength: 500 }, { type: 'array', maxItems: 20, items: { type: 'string', maxLength: 500 } }] } },
                source: { type: 'string', enum: [...INTERNAL_SOURCES] },
                external_ref: REF,
              },
            },
          },
          preHandler: operator,
        },
        async (req, reply) => {
          const b = req.body;
          const { created, request } = await citizen.openWorkRequest({
            serviceCode: b.service_code,
            lat: b.lat,
            lon: b.long,
            description: b.description,
            assetId: b.asset_id,
            attributes: b.attributes,
            source: b.source,
            externalRef: b.external_ref,
          });
          return reply.code(created ? 201 : 200).send({ ...request, created });
        },
      );

      scope.get<{ Params: { source: string; external_ref: string } }>('/work-requests/:source/:external_ref', { schema: { tags, params: workRefParams }, preHandler: staff }, async (req) =>
        citizen.workRequest(req.params.source, req.params.external_ref),
      );

      scope.post<{ Params: { source: string; external_ref: string }; Body: { note?: string } | undefined }>(
        '/work-requests/:source/:external_ref/resolve',
        {
          schema: {
            tags,
            summary: 'The finding went away: the work request becomes fixed, with a public note',
            params: workRefParams,
            body: { type: 'object', additionalProperties: false, properties: { note: { type: 'string', maxLength: 2000 } } },
          },
          preHandler: operator,
        },
        async (req) => citizen.resolveWorkRequest(req.principal, req.params.source, req.params.external_ref, req.body?.note),
      );

      scope.post<{ Params: { id: string }; Body: { state: string; note?: string; assignee?: string; duplicateOf?: string } }>(
        '/requests/:id/transition',
        {
          schema: {
            tags,
            params: idParam,
            body: {
              type: 'object',
              additionalProperties: false,
              required: ['state'],
              properties: {
                state: { type: 'string', enum: [...STATES] },
                note: { type: 'string', maxLength: 2000 },
                assignee: { type: 'string', maxLength: 200 },
                duplicateOf: { type: 'string', maxLength: 64 },
              },
            },
          },
          preHandler: staff,
        },
        async (req) => {
          await citizen.transition(req.principal, req.params.id, req.body);
          return citizen.detail(req.principal, req.params.id, langOf(req), baseUrlOf(req));
        },
      );
    },
    { prefix: '/api/citizen' },
  );
}
