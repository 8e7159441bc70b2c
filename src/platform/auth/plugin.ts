import type {} from '@fastify/cookie';
import type {} from '@fastify/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { randomBytes } from 'node:crypto';
import { useApiErrors } from '../http/api.ts';
import { AuthErrors } from './errors.ts';
import { ANONYMOUS, hasRole, type Principal, type Role } from './principal.ts';
import type { AuthService } from './service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyInstance {
    /** Secret of this process: in-process calls (Fastify inject) carry it to act as the system. */
    internalToken: string;
  }
}

export const INTERNAL_HEADER = 'x-madina-internal';
export const SYSTEM: Principal = { kind: 'apiKey', id: 'system', name: 'madina', roles: ['administrator'], communes: ['*'] };

export const SESSION_COOKIE = 'madina_session';

/** Listeners told about refused requests (modules that must audit access attempts). */
export type DeniedListener = (req: FastifyRequest, status: 401 | 403) => void;
const deniedListeners: DeniedListener[] = [];
export function onAccessDenied(l: DeniedListener) {
  deniedListeners.push(l);
}

/** Resolves who is calling on every request: session cookie/Bearer token for people, API key for machines. */
export async function registerAuth(app: FastifyInstance, auth: AuthService) {
  app.decorateRequest('principal', null as unknown as Principal);
  const internalToken = randomBytes(32).toString('base64url');
  app.decorate('internalToken', internalToken);
  app.addHook('onRequest', async (req) => {
    req.principal = ANONYMOUS;
    if (req.headers[INTERNAL_HEADER] === internalToken) {
      req.principal = SYSTEM;
      return;
    }
    const apiKey = req.headers['x-api-key'];
    const authz = req.headers.authorization;
    if (typeof apiKey === 'string' && apiKey) req.principal = await auth.principalForApiKey(apiKey);
    else if (authz?.startsWith('ApiKey ')) req.principal = await auth.principalForApiKey(authz.slice(7).trim());
    else if (authz?.startsWith('Bearer ')) req.principal = await auth.principalForSession(authz.slice(7).trim());
    else {
      const cookie = req.cookies?.[SESSION_COOKIE];
      if (cookie) req.principal = await auth.principalForSession(cookie);
    }
  });
}

/** preHandler: 401 without a principal, 403 without one of the roles (administrators pass). */
export function requireRole(...roles: Role[]): preHandlerAsyncHookHandler {
  return async function (req: FastifyRequest, _reply: FastifyReply) {
    if (req.principal.kind === 'anonymous') {
      for (const l of deniedListeners) l(req, 401);
      throw AuthErrors.unauthenticated.with();
    }
    if (roles.length && !hasRole(req.principal, ...roles)) {
      for (const l of deniedListeners) l(req, 403);
      throw AuthErrors.forbidden.with(`Needs one of the roles: ${roles.join(', ')}`);
    }
  };
}

/** /api/auth: sign in and out, who am I, and the administrator's users and API keys. */
export async function authRoutes(app: FastifyInstance, auth: AuthService, opts: { secureCookies: boolean }) {
  await app.register(
    async (scope) => {
      useApiErrors(scope);
      scope.post<{ Body: { username: string; password: string } }>(
        '/login',
        {
          schema: {
            tags: ['auth'],
            body: {
              type: 'object',
              required: ['username', 'password'],
              properties: { username: { type: 'string', maxLength: 64 }, password: { type: 'string', maxLength: 256 } },
            },
          },
        },
        async (req, reply) => {
          const { token, user, expiresAt } = await auth.login(req.body.username, req.body.password, req.ip);
          reply.setCookie(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'lax', secure: opts.secureCookies, expires: expiresAt });
          return { user, token, expiresAt: expiresAt.toISOString() };
        },
      );
      scope.post('/logout', { schema: { tags: ['auth'] } }, async (req, reply) => {
        const authz = req.headers.authorization;
        const token = authz?.startsWith('Bearer ') ? authz.slice(7).trim() : req.cookies?.[SESSION_COOKIE];
        if (token) await auth.logout(token);
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return reply.code(204).send();
      });
      scope.get('/me', { schema: { tags: ['auth'] }, preHandler: requireRole() }, async (req) => req.principal);
      scope.get('/users', { schema: { tags: ['auth'] }, preHandler: requireRole('administrator') }, async () => ({ users: await auth.listUsers() }));
      scope.post<{ Body: Parameters<AuthService['createUser']>[0] }>(
        '/users',
        {
          schema: {
            tags: ['auth'],
            body: {
              type: 'object',
              required: ['username', 'password', 'roles'],
              properties: {
                username: { type: 'string' },
                displayName: { type: 'string' },
                password: { type: 'string' },
                roles: { type: 'array', items: { type: 'string' } },
                communes: { type: 'array', items: { type: 'string' } },
                centreId: { type: 'string' },
              },
            },
          },
          preHandler: requireRole('administrator'),
        },
        async (req, reply) => reply.code(201).send(await auth.createUser(req.body)),
      );
      scope.get('/api-keys', { schema: { tags: ['auth'] }, preHandler: requireRole('administrator') }, async () => ({ apiKeys: await auth.listApiKeys() }));
      scope.post<{ Body: { name: string; roles: Role[]; communes?: string[] } }>(
        '/api-keys',
        {
          schema: {
            tags: ['auth'],
            body: {
              type: 'object',
              required: ['name', 'roles'],
              properties: { name: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } }, communes: { type: 'array', items: { type: 'string' } } },
            },
          },
          preHandler: requireRole('administrator'),
        },
        async (req, reply) => reply.code(201).send(await auth.createApiKey(req.body, req.principal)),
      );
      scope.delete<{ Params: { id: string } }>('/api-keys/:id', { schema: { tags: ['auth'] }, preHandler: requireRole('administrator') }, async (req, reply) => {
        await auth.revokeApiKey(req.params.id);
        return reply.code(204).send();
      });
    },
    { prefix: '/api/auth' },
  );
}
