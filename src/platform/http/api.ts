import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Problem, problemType } from './problem.ts';

/**
 * Madina's own APIs (/api/<module>/...) answer errors as RFC 9457 problem details
 * (application/problem+json). Each module declares its problems with `apiProblem`; this handler
 * renders them, plus the framework's own errors (validation, body size, media type).
 */
export const apiProblem = (module: string, status: number, name: string, title: string) =>
  problemType(status, `/problems/${module}/${name}`, title);

export const ApiErrors = {
  validation: apiProblem('api', 400, 'validation-failed', 'The request is not valid'),
  malformed: apiProblem('api', 400, 'malformed-body', 'The request body could not be parsed'),
  notFound: apiProblem('api', 404, 'not-found', 'No such resource'),
  payloadTooLarge: apiProblem('api', 413, 'payload-too-large', 'The request body is too large'),
  unsupportedMediaType: apiProblem('api', 415, 'unsupported-media-type', 'The request body media type is not supported'),
  tooManyRequests: apiProblem('api', 429, 'too-many-requests', 'Too many requests; slow down'),
  internal: apiProblem('api', 500, 'internal-error', 'Internal error; see the server log'),
} as const;

export function toApiProblem(err: unknown): Problem {
  if (err instanceof Problem) return err;
  const e = err as FastifyError & { validation?: { instancePath?: string; message?: string; params?: unknown }[] };
  if (e.validation) {
    const errors = e.validation.map((v) => ({ pointer: v.instancePath || '/', detail: v.message }));
    return ApiErrors.validation.with(e.message, { errors });
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return ApiErrors.payloadTooLarge.with(e.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return ApiErrors.unsupportedMediaType.with(e.message);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return ApiErrors.malformed.with(e.message);
  }
  if (e.statusCode === 400 && e instanceof SyntaxError) return ApiErrors.malformed.with(e.message);
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return new Problem(e.statusCode, '/problems/api/request-error', e.message);
  return ApiErrors.internal.with();
}

export function sendProblem(reply: FastifyReply, p: Problem) {
  return reply.code(p.status).type('application/problem+json').send(p.toJSON());
}

/** Installs the problem+json error handler on a module's /api scope. */
export function useApiErrors(scope: FastifyInstance) {
  scope.setErrorHandler((err, req: FastifyRequest, reply) => {
    const p = toApiProblem(err);
    if (p.status >= 500) req.log.error({ err }, 'api request failed');
    return sendProblem(reply, p);
  });
}

/** Once, in the server: unknown paths under /api answer a problem, not the web app. */
export async function registerApiNotFound(app: FastifyInstance) {
  await app.register(
    async (scope) => {
      scope.setNotFoundHandler((req, reply) => sendProblem(reply, ApiErrors.notFound.with(`No route ${req.method} ${req.url}`)));
    },
    { prefix: '/api' },
  );
}
