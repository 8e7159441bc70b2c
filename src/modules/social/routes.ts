/** /api/social: HTTP only — schemas, who may call, then the service. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireRole } from '../../platform/auth/plugin.ts';
import { useApiErrors } from '../../platform/http/api.ts';
import { CaseErrors, type AccessContext, type ConsentInput } from '../cases/index.ts';

type SendBody = { toCentreId: string; reason: string; services?: string[]; sharedFields: string[]; consentId?: string };
import { CONSENT_PURPOSES, DOMAINS, SERVICES, ACCESSIBILITY_FEATURES, CENTRE_TYPES } from './vocabulary.ts';
import { places } from './places.ts';
import { SOCIAL_FIELDS, SOCIAL_POLICY } from './policy.ts';
import type { SocialService } from './service.ts';

const tags = ['social'];
const str = (max = 200) => ({ type: 'string', maxLength: max });
const date = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' };
const idParam = { type: 'object', required: ['id'], properties: { id: str(100) } };
const paging = { limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 }, offset: { type: 'integer', minimum: 0, default: 0 } };
const consentBody = {
  type: 'object',
  additionalProperties: false,
  required: ['purpose', 'fields', 'givenOn', 'givenBy'],
  properties: {
    purpose: { type: 'string', enum: [...CONSENT_PURPOSES] },
    fields: { type: 'array', maxItems: 50, items: str(60) },
    centreIds: { type: ['array', 'null'], maxItems: 100, items: str(100) },
    givenOn: date,
    givenBy: { type: 'string', enum: ['person', 'legal-guardian'] },
  },
};
const personBody = {
  type: 'object',
  additionalProperties: false,
  required: ['givenName', 'familyName', 'placeCode'],
  properties: {
    givenName: { type: 'string', minLength: 1, maxLength: 100 },
    familyName: { type: 'string', minLength: 1, maxLength: 100 },
    birthDate: date,
    sex: { type: 'string', enum: ['female', 'male'] },
    phone: { type: 'string', pattern: '^\\+?[0-9 ]{6,20}$' },
    address: str(300),
    placeCode: { type: 'string', pattern: '^[0-9]{9}$' },
    nationalId: str(30),
  },
};

/** Why personal data is read (X-Madina-Reason, else the route) and request facts for the audit. */
function ctx(req: FastifyRequest): AccessContext {
  const header = req.headers['x-madina-reason'];
  const reason = typeof header === 'string' && header.trim() ? header.trim().slice(0, 300) : `${req.method} ${req.routeOptions.url}`;
  return { reason, details: { method: req.method, route: req.routeOptions.url, ip: req.ip } };
}

const SSE_PING_MS = 15_000;

export function socialRoutes(app: FastifyInstance, social: SocialService, opts: { openStreams: Set<FastifyReply>; scopes: Set<FastifyInstance> }) {
  return app.register(
    async (scope) => {
      opts.scopes.add(scope);
      useApiErrors(scope);
      const staff = requireRole('desk-agent', 'centre-worker', 'centre-manager', 'supervisor');
      const e = social.engine;

      scope.get('/vocabulary', { schema: { tags, summary: 'Services, functioning domains, accessibility features, consent purposes, shareable fields' }, preHandler: staff }, async () => ({
        services: SERVICES,
        domains: DOMAINS,
        accessibility: ACCESSIBILITY_FEATURES,
        centreTypes: CENTRE_TYPES,
        consentPurposes: CONSENT_PURPOSES,
        fields: SOCIAL_FIELDS,
        shareableFields: SOCIAL_POLICY.shareable,
      }));
      scope.get('/forms/intake', { schema: { tags, summary: 'The intake form (latest version), as JSON Schema' }, preHandler: staff }, async () => e.latestForm());
      scope.get<{ Params: { version: number } }>(
        '/forms/intake/:version',
        { schema: { tags, params: { type: 'object', properties: { version: { type: 'integer', minimum: 1 } } } }, preHandler: staff },
        async (req) => {
          const f = e.form(e.latestForm().id, req.params.version);
          if (!f) throw CaseErrors.invalidData.with('No such form version');
          return f;
        },
      );
      scope.get('/places', { schema: { tags, summary: 'Communes of the region and arrondissements of Casablanca' }, preHandler: staff }, async () => ({
        places: [...places().values()].map((p) => ({ code: p.code, communeCode: p.communeCode, name: { fr: p.nameFr, ar: p.nameAr } })).sort((a, b) => a.name.fr.localeCompare(b.name.fr, 'fr')),
      }));

      // Centres (no personal data)
      scope.get<{ Querystring: { placeCode?: string; communeCode?: string; service?: string; domain?: string } }>(
        '/centres',
        { schema: { tags, summary: 'The centres network', querystring: { type: 'object', properties: { placeCode: str(9), communeCode: str(9), service: str(40), domain: str(40) } } }, preHandler: staff },
        async (req) => {
          const centres = social.listCentres(req.query);
          return { items: centres, total: centres.length };
        },
      );
      scope.get<{ Params: { id: string } }>('/centres/:id', { schema: { tags, params: idParam }, preHandler: staff }, async (req) => social.centre(req.params.id));
      scope.patch<{ Params: { id: string }; Body: Record<string, any> }>(
        '/centres/:id',
        {
          schema: {
            tags,
            summary: 'Update capacity, waiting list, hours, services (centre manager)',
            params: idParam,
            body: {
              type: 'object',
              additionalProperties: false,
              minProperties: 1,
              properties: {
                capacity: { type: 'integer', minimum: 0, maximum: 100000 },
                enrolled: { type: 'integer', minimum: 0, maximum: 100000 },
                waitingList: { type: 'integer', minimum: 0, maximum: 100000 },
                averageWaitDays: { type: 'integer', minimum: 0, maximum: 3650 },
                openingHours: str(200),
                services: { type: 'array', items: str(40) },
                domains: { type: 'array', items: str(40) },
                accessibility: { type: 'array', items: str(40) },
              },
            },
          },
          preHandler: requireRole('centre-manager'),
        },
        async (req) => social.updateCentre(req.principal, req.params.id, req.body, ctx(req)),
      );

      // Cases
      scope.post<{ Body: any }>(
        '/cases',
        {
          schema: {
            tags,
            summary: 'Intake: person, needs and functioning (the form), consents — all saved or none',
            body: {
              type: 'object',
              additionalProperties: false,
              required: ['person', 'data'],
              properties: { person: personBody, data: { type: 'object' }, consents: { type: 'array', maxItems: 10, items: consentBody } },
            },
          },
          preHandler: requireRole('desk-agent', 'centre-worker', 'centre-manager'),
        },
        async (req, reply) => reply.code(201).send(await e.intake(req.principal, req.body as Parameters<typeof e.intake>[1], ctx(req))),
      );
      scope.get<{ Querystring: { state?: string; limit: number; offset: number } }>(
        '/cases',
        { schema: { tags, querystring: { type: 'object', properties: { state: { type: 'string', enum: ['open', 'active', 'referred', 'closed', 'reopened'] }, ...paging } } }, preHandler: staff },
        async (req) => e.list(req.principal, req.query, ctx(req)),
      );
      scope.get<{ Params: { id: string } }>('/cases/:id', { schema: { tags, summary: 'A case, with only the fields you may see', params: idParam }, preHandler: staff }, async (req) => e.read(req.principal, req.params.id, ctx(req)));
      scope.put<{ Params: { id: string }; Body: Record<string, unknown> }>(
        '/cases/:id/data',
        { schema: { tags, summary: "Replace the case's form data (validated against its own form version)", params: idParam, body: { type: 'object' } }, preHandler: staff },
        async (req) => e.update(req.principal, req.params.id, req.body, ctx(req)),
      );
      scope.post<{ Params: { id: string }; Body: { to: 'active' | 'closed' | 'reopened' } }>(
        '/cases/:id/state',
        { schema: { tags, params: idParam, body: { type: 'object', required: ['to'], properties: { to: { type: 'string', enum: ['active', 'closed', 'reopened'] } } } }, preHandler: staff },
        async (req) => e.transition(req.principal, req.params.id, req.body.to, ctx(req)),
      );
      scope.post<{ Params: { id: string }; Body: { userId: string | null } }>(
        '/cases/:id/assign',
        { schema: { tags, params: idParam, body: { type: 'object', required: ['userId'], properties: { userId: { type: ['string', 'null'], maxLength: 100 } } } }, preHandler: staff },
        async (req) => e.assign(req.principal, req.params.id, req.body.userId, ctx(req)),
      );
      scope.post<{ Params: { id: string }; Body: { body: string } }>(
        '/cases/:id/notes',
        { schema: { tags, params: idParam, body: { type: 'object', required: ['body'], additionalProperties: false, properties: { body: { type: 'string', minLength: 1, maxLength: 10000 } } } }, preHandler: staff },
        async (req, reply) => reply.code(201).send({ id: await e.addNote(req.principal, req.params.id, req.body.body, ctx(req)) }),
      );
      scope.post<{ Params: { id: string }; Body: { title: string; dueOn: string } }>(
        '/cases/:id/followups',
        { schema: { tags, params: idParam, body: { type: 'object', required: ['title', 'dueOn'], additionalProperties: false, properties: { title: { type: 'string', minLength: 1, maxLength: 300 }, dueOn: date } } }, preHandler: staff },
        async (req, reply) => reply.code(201).send({ id: await e.addFollowup(req.principal, req.params.id, req.body, ctx(req)) }),
      );
      scope.post<{ Params: { id: string; fid: string } }>(
        '/cases/:id/followups/:fid/done',
        { schema: { tags, params: { type: 'object', properties: { id: str(100), fid: str(100) } } }, preHandler: staff },
        async (req, reply) => {
          await e.completeFollowup(req.principal, req.params.id, req.params.fid, ctx(req));
          return reply.code(204).send();
        },
      );
      scope.post<{ Params: { id: string }; Body: { service: string; deliveredOn: string; note?: string; referralId?: string } }>(
        '/cases/:id/services',
        {
          schema: {
            tags,
            summary: 'Record a service delivered',
            params: idParam,
            body: { type: 'object', required: ['service', 'deliveredOn'], additionalProperties: false, properties: { service: { type: 'string', enum: [...SERVICES] }, deliveredOn: date, note: str(2000), referralId: str(100) } },
          },
          preHandler: staff,
        },
        async (req, reply) => reply.code(201).send({ id: await e.recordService(req.principal, req.params.id, req.body, ctx(req)) }),
      );
      scope.post<{ Params: { id: string }; Body: { name: string; mediaType: string; contentBase64: string } }>(
        '/cases/:id/attachments',
        {
          schema: {
            tags,
            summary: 'Attach a document (PDF, PNG, JPEG or text; at most 2 MB)',
            params: idParam,
            body: { type: 'object', required: ['name', 'mediaType', 'contentBase64'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, mediaType: str(100), contentBase64: { type: 'string', maxLength: 3_000_000 } } },
          },
          preHandler: staff,
          bodyLimit: 4 * 1024 * 1024,
        },
        async (req, reply) =>
          reply.code(201).send({ id: await e.addAttachment(req.principal, req.params.id, { name: req.body.name, mediaType: req.body.mediaType, content: Buffer.from(req.body.contentBase64, 'base64') }, ctx(req)) }),
      );
      scope.get<{ Params: { id: string; aid: string } }>(
        '/cases/:id/attachments/:aid',
        { schema: { tags, params: { type: 'object', properties: { id: str(100), aid: str(100) } } }, preHandler: staff },
        async (req, reply) => {
          const a = await e.readAttachment(req.principal, req.params.id, req.params.aid, ctx(req));
          return reply
            .type(a.media_type)
            .header('content-disposition', `attachment; filename="${a.name.replace(/[^\w.-]/g, '_')}"`)
            .header('x-content-type-options', 'nosniff')
            .send(a.content);
        },
      );

      // Consents
      scope.post<{ Params: { id: string }; Body: any }>('/cases/:id/consents', { schema: { tags, summary: 'Record a consent (purpose, scope, date, who gave it)', params: idParam, body: consentBody }, preHandler: staff }, async (req, reply) =>
        reply.code(201).send({ id: await e.recordConsent(req.principal, req.params.id, req.body as ConsentInput, ctx(req)) }),
      );
      scope.post<{ Params: { id: string; cid: string }; Body: { reason: string } }>(
        '/cases/:id/consents/:cid/withdraw',
        {
          schema: { tags, summary: 'Withdraw a consent: sharing stops at once', params: { type: 'object', properties: { id: str(100), cid: str(100) } }, body: { type: 'object', required: ['reason'], properties: { reason: { type: 'string', minLength: 1, maxLength: 1000 } } } },
          preHandler: staff,
        },
        async (req) => e.withdrawConsent(req.principal, req.params.id, req.params.cid, req.body.reason, ctx(req)),
      );

      // Orientation
      scope.get<{ Params: { id: string } }>('/cases/:id/orientation', { schema: { tags, summary: 'Centres ranked for this person, with the contribution of each factor', params: idParam }, preHandler: staff }, async (req) =>
        social.orientation(req.principal, req.params.id, ctx(req)),
      );
      scope.post<{ Params: { id: string }; Body: { centreId: string; reason?: string } }>(
        '/cases/:id/orientation',
        {
          schema: { tags, summary: "Choose a centre; another than the first recommendation needs a reason", params: idParam, body: { type: 'object', required: ['centreId'], additionalProperties: false, properties: { centreId: str(100), reason: str(1000) } } },
          preHandler: staff,
        },
        async (req, reply) => reply.code(201).send(await social.choose(req.principal, req.params.id, req.body, ctx(req))),
      );

      // Referrals and transfers
      const sendBody = (kind: 'referral' | 'transfer') => ({
        type: 'object',
        additionalProperties: false,
        required: kind === 'referral' ? ['toCentreId', 'reason', 'services', 'sharedFields'] : ['toCentreId', 'reason', 'sharedFields'],
        properties: {
          toCentreId: str(100),
          reason: { type: 'string', minLength: 1, maxLength: 2000 },
          services: { type: 'array', maxItems: 20, items: { type: 'string', enum: [...SERVICES] } },
          sharedFields: { type: 'array', maxItems: 50, items: str(60) },
          consentId: str(100),
        },
      });
      for (const kind of ['referral', 'transfer'] as const) {
        scope.post<{ Params: { id: string }; Body: any }>(
          `/cases/:id/${kind}s`,
          { schema: { tags, summary: kind === 'referral' ? 'Refer to a centre (needs a consent for "referral")' : 'Transfer ownership (the receiver must accept; needs a consent for "transfer")', params: idParam, body: sendBody(kind) }, preHandler: staff },
          async (req, reply) => reply.code(201).send(await e.send(req.principal, req.params.id, { kind, services: [], ...(req.body as SendBody) }, ctx(req))),
        );
      }
      for (const action of ['accept', 'decline', 'complete', 'cancel'] as const) {
        scope.post<{ Params: { id: string }; Body: { reason?: string; outcome?: string } }>(
          `/referrals/:id/${action}`,
          {
            schema: {
              tags,
              summary: { accept: 'Accept a referral or transfer', decline: 'Decline, with a reason', complete: 'Complete a referral, with its outcome', cancel: 'Cancel (sender)' }[action],
              params: idParam,
              body: { type: ['object', 'null'], additionalProperties: false, properties: { reason: str(2000), outcome: str(2000) } },
            },
            preHandler: staff,
          },
          async (req) => e.act(req.principal, req.params.id, action, req.body ?? {}, ctx(req)),
        );
      }

      // Centre inbox, live
      scope.get<{ Params: { id: string }; Querystring: { state?: string; limit: number; offset: number } }>(
        '/centres/:id/referrals',
        {
          schema: { tags, summary: "A centre's referral inbox (only the fields each referral shares)", params: idParam, querystring: { type: 'object', properties: { state: { type: 'string', pattern: '^[a-z,]+$' }, ...paging } } },
          preHandler: requireRole('centre-worker', 'centre-manager'),
        },
        async (req) => {
          social.centre(req.params.id);
          const states = req.query.state ? req.query.state.split(',') : ['pending', 'accepted', 'declined', 'completed', 'cancelled'];
          return e.inbox(req.principal, req.params.id, { states, limit: req.query.limit, offset: req.query.offset }, ctx(req));
        },
      );
      scope.get<{ Params: { id: string } }>(
        '/centres/:id/inbox/stream',
        { schema: { tags, summary: 'Server-sent events when a referral to or from this centre changes (ids and states only)', params: idParam }, preHandler: requireRole('centre-worker', 'centre-manager') },
        async (req, reply) => {
          social.centre(req.params.id);
          await e.require(req.principal, 'inbox.read', { centreId: req.params.id }, { type: 'inbox', id: req.params.id }, ctx(req));
          reply.hijack();
          reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
          reply.raw.write(': inbox stream\n\n');
          const off = social.subscribe(req.params.id, (ev) => {
            reply.raw.write(`event: referral\ndata: ${JSON.stringify({ referralId: ev.referralId, kind: ev.kind, state: ev.state, toCentreId: ev.toCentreId, fromCentreId: ev.fromCentreId })}\n\n`);
          });
          const ping = setInterval(() => reply.raw.write(': ping\n\n'), SSE_PING_MS);
          opts.openStreams.add(reply);
          reply.raw.on('close', () => {
            off();
            clearInterval(ping);
            opts.openStreams.delete(reply);
          });
        },
      );

      // Supervision
      scope.get<{ Querystring: { placeCode?: string } }>(
        '/dashboard',
        { schema: { tags, summary: 'Referrals by state, time to first service, declines and reasons, unmet needs per commune (no identifiers)', querystring: { type: 'object', properties: { placeCode: str(9) } } }, preHandler: requireRole('supervisor') },
        async (req) => social.dashboard(req.principal, req.query, ctx(req)),
      );
      scope.post('/indicators/publish', { schema: { tags, summary: 'Publish indicators per commune to the hub now (small counts suppressed)' }, preHandler: requireRole('supervisor') }, async (req) => {
        await e.require(req.principal, 'indicators.publish', {}, { type: 'indicators', id: null }, ctx(req));
        return social.publishIndicators();
      });
      scope.get<{ Querystring: { after?: number; limit?: number; caseId?: string } }>(
        '/audit',
        {
          schema: { tags, summary: 'Audit entries (who, what, when, why) in chain order', querystring: { type: 'object', properties: { after: { type: 'integer', minimum: 0 }, limit: { type: 'integer', minimum: 1, maximum: 1000 }, caseId: str(100) } } },
          preHandler: requireRole('supervisor'),
        },
        async (req) => {
          await e.require(req.principal, 'audit.read', {}, { type: 'audit', id: null }, ctx(req));
          return { items: await e.audit.entries(social.db, req.query) };
        },
      );
      scope.get('/audit/verify', { schema: { tags, summary: 'Checks the hash chain of the audit log' }, preHandler: requireRole('supervisor') }, async (req) => {
        await e.require(req.principal, 'audit.read', {}, { type: 'audit', id: null }, ctx(req));
        return e.audit.verify(social.db);
      });
    },
    { prefix: '/api/social' },
  );
}
