/** platform/jobs: an in-memory runner for long jobs, their SSE stream, and /api/jobs. */
export { Jobs, isTerminal, problemBody } from './jobs.ts';
export type { JobContext, JobEvent, JobProgress, JobStatus, JobView, JobsOptions } from './jobs.ts';
export { streamJob, sseFrame } from './sse.ts';
export { jobRoutes, visibleJob, JobErrors } from './routes.ts';
