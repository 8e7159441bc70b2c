/** Server-sent events for a job: replay what the client missed (Last-Event-ID), then follow until it ends. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isTerminal, type JobEvent, type Jobs } from './jobs.ts';

const PING_MS = 15_000;

export function sseFrame(ev: JobEvent): string {
  return `id: ${ev.seq}\nevent: ${ev.kind}\ndata: ${JSON.stringify(ev.data)}\n\n`;
}

/**
 * Streams job `id` on `reply` (the job must exist): every event after Last-Event-ID (header, or the
 * `lastEventId` query parameter for clients that cannot set headers), then live events; the stream ends
 * after the `done` event. `open` tracks live streams so the server can end them on shutdown.
 */
export function streamJob(req: FastifyRequest, reply: FastifyReply, jobs: Jobs, id: string, open?: Set<FastifyReply>): void {
  const header = req.headers['last-event-id'];
  const fromQuery = (req.query as Record<string, unknown> | undefined)?.lastEventId;
  const after = Number(typeof header === 'string' ? header : (fromQuery ?? 0)) || 0;
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write(': job events\n\n');
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    off();
    clearInterval(ping);
    open?.delete(reply);
    res.end();
  };
  let last = after;
  const send = (ev: JobEvent) => {
    if (ended || ev.seq <= last) return;
    last = ev.seq;
    res.write(sseFrame(ev));
    if (ev.kind === 'done') end();
  };
  // Subscribe first, then replay: nothing falls between the two (send skips what was already sent).
  const off = jobs.subscribe(id, (ev) => send(ev));
  const ping = setInterval(() => res.write(': ping\n\n'), PING_MS);
  open?.add(reply);
  res.on('close', end);
  for (const ev of jobs.eventsAfter(id, after)) send(ev);
  const view = jobs.get(id);
  if (!view || isTerminal(view.status)) end();
}
