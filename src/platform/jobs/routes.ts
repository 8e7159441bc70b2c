/** /api/jobs: any module's long job — its state, its events (SSE), and cancelling it. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { requireRole } from '../auth/plugin.ts';
import { hasRole, type Principal } from '../auth/principal.ts';
import { apiProblem, useApiErrors } from '../http/api.ts';
import type { Jobs, JobView } from './jobs.ts';
import { streamJob } from './sse.ts';

export const JobErrors = {
  notFound: apiProblem('jobs', 404, 'job-not-found', 'No such job (finished jobs are forgotten after an hour)'),
  finished: apiProblem('jobs', 409, 'job-finished', 'The job has already finished'),
} as const;

/** Who started a job sees it; supervisors and administrators see every job. */
export function visibleJob(jobs: Jobs, p: Principal, id: string): JobView {
  const job = jobs.get(id);
  if (!job || (job.owner !== p.id && !hasRole(p, 'supervisor'))) throw JobErrors.notFound.with(`No job ${id}`);
  return job;
}

const params = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } };
const tags = ['jobs'];

export async function jobRoutes(app: FastifyInstance, jobs: Jobs) {
  const open = new Set<FastifyReply>();
  app.addHook('preClose', async () => {
    for (const r of open) r.raw.end();
    open.clear();
  });
  const signedIn = requireRole();
  await app.register(
    async (scope) => {
      useApiErrors(scope);
      scope.get<{ Params: { id: string } }>('/:id', { schema: { tags, summary: "A job's state, progress and (when finished) result or problem", params }, preHandler: signedIn }, async (req) =>
        visibleJob(jobs, req.principal, req.params.id),
      );
      scope.get<{ Params: { id: string } }>(
        '/:id/events',
        { schema: { tags, summary: 'Server-sent events: status, progress, done (with the result or problem); honours Last-Event-ID', params }, preHandler: signedIn },
        async (req, reply) => {
          visibleJob(jobs, req.principal, req.params.id);
          streamJob(req, reply, jobs, req.params.id, open);
        },
      );
      scope.delete<{ Params: { id: string } }>('/:id', { schema: { tags, summary: 'Cancel a job (nothing half made is saved)', params }, preHandler: signedIn }, async (req, reply) => {
        visibleJob(jobs, req.principal, req.params.id);
        if (!jobs.cancel(req.params.id)) throw JobErrors.finished.with();
        return reply.code(202).send(jobs.get(req.params.id));
      });
    },
    { prefix: '/api/jobs' },
  );
}
