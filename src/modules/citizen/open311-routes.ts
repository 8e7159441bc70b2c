/**
 * Open311 GeoReport v2 at /open311/v2 (http://wiki.open311.org/GeoReport_v2): discovery, services,
 * service definitions, requests (GET with filters, POST), request by id, token. Every path ends in .json or
 * .xml; errors are the standard's array of {code, description}. HTTP only: the rules are in the service.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Problem } from '../../platform/http/problem.ts';
import { hasRole } from '../../platform/auth/principal.ts';
import type { AuthService } from '../../platform/auth/service.ts';
import { toApiProblem } from '../../platform/http/api.ts';
import { CitizenErrors } from './errors.ts';
import { addBodyParsers, baseUrlOf, isMultipart, langOf, type Limits } from './http-support.ts';
import { readReportInput, type ReportInput } from './open311.ts';
import type { CitizenService } from './service.ts';
import { toXml } from './xml.ts';
import type { State } from './workflow.ts';

type Format = 'json' | 'xml';

function splitFile(file: string): { name: string; format: Format } {
  const m = /^(.+)\.(json|xml)$/.exec(file);
  if (!m) throw CitizenErrors.badFormat.with(`${file}: add .json or .xml`);
  return { name: decodeURIComponent(m[1]), format: m[2] as Format };
}

const formatOf = (req: FastifyRequest): Format => (/\.xml(\?|$)/.test(req.url) ? 'xml' : 'json');

function send(reply: FastifyReply, format: Format, root: string, value: unknown) {
  if (format === 'xml') return reply.type('text/xml; charset=utf-8').send(toXml(root, value));
  return reply.type('application/json; charset=utf-8').send(value);
}

/** GeoReport v2 errors: [{code, description}] (and <errors><error>… in XML). */
function sendErrors(reply: FastifyReply, format: Format, p: Problem) {
  const status = p.status === 415 ? 400 : p.status;
  return send(reply.code(status), format, 'errors', [{ code: status, description: p.detail && p.detail !== p.title ? `${p.title}: ${p.detail}` : p.title }]);
}

const OPEN_STATES: State[] = ['submitted', 'acknowledged', 'assigned', 'in_progress'];
const CLOSED_STATES: State[] = ['fixed', 'closed', 'duplicate'];
const DAY_MS = 86_400_000;

function listParam(v: unknown, max = 200): string[] | undefined {
  if (v === undefined || v === '') return undefined;
  const list = String(v)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length > max) throw CitizenErrors.badQuery.with(`at most ${max} values in a list`);
  return list;
}

function dateParam(name: string, v: unknown): Date | undefined {
  if (v === undefined || v === '') return undefined;
  const d = new Date(String(v));
  if (Number.isNaN(d.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(String(v))) throw CitizenErrors.badQuery.with(`${name} must be an ISO 8601 date-time (w3 format)`);
  return d;
}

function intParam(name: string, v: unknown, fallback: number, min: number, max: number): number {
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw CitizenErrors.badQuery.with(`${name} must be an integer from ${min} to ${max}`);
  return n;
}

export function open311Routes(app: FastifyInstance, citizen: CitizenService, auth: AuthService, limits: Limits, photoMaxBytes: number) {
  return app.register(
    async (scope) => {
      addBodyParsers(scope, photoMaxBytes + 256 * 1024);
      scope.setErrorHandler((err, req, reply) => {
        const p = toApiProblem(err);
        if (p.status >= 500) req.log.error({ err }, 'open311 request failed');
        return sendErrors(reply, formatOf(req), p);
      });
      scope.setNotFoundHandler((req, reply) => sendErrors(reply, formatOf(req), CitizenErrors.requestNotFound.with(`No resource ${req.method} ${req.url.split('?')[0]}`)));
      scope.addHook('onRequest', async (req, reply) => {
        limits.check(req.method === 'GET' || req.method === 'HEAD' ? limits.readsPerIp : limits.writesPerIp, req.ip, reply);
      });

      scope.get<{ Params: { file: string }; Querystring: Record<string, string> }>('/:file', async (req, reply) => {
        const { name, format } = splitFile(req.params.file);
        const lang = langOf(req);
        if (name === 'discovery') {
          const base = baseUrlOf(req);
          return send(reply, format, 'discovery', {
            changeset: '2026-01-01T00:00:00Z',
            contact: 'The administrators of this Madina instance',
            key_service: `API keys for POST are issued by the administrators (POST ${base}/api/auth/api-keys, role open311-client)`,
            endpoints: [{ specification: 'http://wiki.open311.org/GeoReport_v2', url: `${base}/open311/v2`, changeset: '2026-01-01T00:00:00Z', type: 'production', formats: ['application/json', 'text/xml'] }],
          });
        }
        if (name === 'services') {
          citizen.checkJurisdiction(req.query.jurisdiction_id || undefined);
          return send(reply, format, 'services', citizen.services(lang));
        }
        if (name === 'requests') {
          const q = req.query;
          citizen.checkJurisdiction(q.jurisdiction_id || undefined);
          const pageSize = intParam('page_size', q.page_size, 100, 1, 1000);
          const page = intParam('page', q.page, 1, 1, 1_000_000);
          const ids = listParam(q.service_request_id);
          let filter;
          if (ids) {
            // GeoReport v2: service_request_id overrides all other arguments.
            filter = { ids, limit: pageSize, offset: (page - 1) * pageSize };
          } else {
            let start = dateParam('start_date', q.start_date);
            let end = dateParam('end_date', q.end_date);
            // Without dates, the last 90 days; a range may not span more than 90 days.
            if (!start && !end) start = new Date(Date.now() - 90 * DAY_MS);
            else if (start && !end) end = new Date(start.getTime() + 90 * DAY_MS);
            else if (!start && end) start = new Date(end.getTime() - 90 * DAY_MS);
            if (start && end && end.getTime() - start.getTime() > 90 * DAY_MS) throw CitizenErrors.badQuery.with('start_date and end_date may not span more than 90 days');
            if (start && end && end < start) throw CitizenErrors.badQuery.with('end_date is before start_date');
            const statuses = listParam(q.status, 2);
            if (statuses?.some((s) => s !== 'open' && s !== 'closed')) throw CitizenErrors.badQuery.with('status is open, closed or open,closed');
            const states = statuses && statuses.length === 1 ? (statuses[0] === 'open' ? OPEN_STATES : CLOSED_STATES) : undefined;
            filter = {
              serviceCodes: listParam(q.service_code),
              states,
              communes: q.jurisdiction_id ? [q.jurisdiction_id] : undefined,
              start,
              end,
              limit: pageSize,
              offset: (page - 1) * pageSize,
            };
          }
          const { rows, total } = await citizen.search(filter);
          reply.header('x-total-count', String(total));
          return send(reply, format, 'service_requests', await citizen.render(rows, lang, baseUrlOf(req)));
        }
        throw CitizenErrors.requestNotFound.with(`No resource ${name}`);
      });

      scope.get<{ Params: { file: string }; Querystring: Record<string, string> }>('/services/:file', async (req, reply) => {
        const { name, format } = splitFile(req.params.file);
        citizen.checkJurisdiction(req.query.jurisdiction_id || undefined);
        return send(reply, format, 'service_definition', citizen.definition(name, langOf(req)));
      });

      scope.get<{ Params: { file: string } }>('/requests/:file', async (req, reply) => {
        const { name, format } = splitFile(req.params.file);
        const r = await citizen.request(name);
        return send(reply, format, 'service_requests', await citizen.render([r], langOf(req), baseUrlOf(req)));
      });

      scope.get<{ Params: { file: string } }>('/tokens/:file', async (req, reply) => {
        const { name, format } = splitFile(req.params.file);
        const r = await citizen.byToken(name);
        return send(reply, format, 'service_requests', [{ service_request_id: r.id, token: name }]);
      });

      scope.post<{ Params: { file: string }; Querystring: Record<string, string> }>('/:file', async (req, reply) => {
        const { name, format } = splitFile(req.params.file);
        if (name !== 'requests') throw CitizenErrors.requestNotFound.with(`POST ${name} is not a GeoReport v2 method`);
        const body = req.body;
        let input: ReportInput;
        let photo: Uint8Array | undefined;
        if (body instanceof URLSearchParams) input = readReportInput(body);
        else if (isMultipart(body)) {
          input = readReportInput(body.fields);
          photo = body.files.get('media') ?? body.files.get('photo');
        } else if (body && typeof body === 'object' && !Array.isArray(body)) input = readReportInput(Object.entries(body as Record<string, unknown>));
        else throw CitizenErrors.badField.with('Send the request as application/x-www-form-urlencoded, multipart/form-data or JSON');
        const key = input.apiKey ?? req.query.api_key;
        const principal = key ? await auth.principalForApiKey(key) : req.principal;
        if (principal.kind === 'anonymous' || !hasRole(principal, 'open311-client')) throw CitizenErrors.apiKeyRequired.with();
        limits.check(limits.writesPerKey, principal.id, reply);
        const out = await citizen.submit(input, { source: 'open311', apiKeyId: principal.id, photo, lang: langOf(req) });
        return send(reply.code(201), format, 'service_requests', [
          { service_request_id: out.service_request_id, token: out.token, service_notice: out.service_notice, account_id: null },
        ]);
      });
    },
    { prefix: '/open311/v2' },
  );
}
