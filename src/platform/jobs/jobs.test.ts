import { describe, expect, it } from 'vitest';
import { Problem } from '../http/problem.ts';
import { Jobs, type JobEvent } from './jobs.ts';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('Jobs', () => {
  it('returns a queued job at once, then runs it and keeps its result', async () => {
    const jobs = new Jobs();
    const view = jobs.start('k', 'u1', async (ctx) => {
      ctx.progress({ phase: 'a', fraction: 0.5 });
      return { answer: 42 };
    });
    expect(view.status).toBe('queued');
    const done = await jobs.wait(view.id);
    expect(done?.status).toBe('succeeded');
    expect(done?.result).toEqual({ answer: 42 });
    expect(jobs.eventsAfter(view.id).map((e) => e.kind)).toEqual(['status', 'status', 'progress', 'done']);
  });

  it('runs one job of a kind at a time, in order', async () => {
    const jobs = new Jobs({ concurrency: 1 });
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = jobs.start('k', 'u', async () => {
      order.push('a start');
      await gate;
      order.push('a end');
    });
    const b = jobs.start('k', 'u', async () => void order.push('b'));
    await tick();
    expect(jobs.get(b.id)?.status).toBe('queued');
    release();
    await jobs.wait(b.id);
    expect(order).toEqual(['a start', 'a end', 'b']);
    expect(jobs.get(a.id)?.status).toBe('succeeded');
  });

  it('reports a problem as the job error and hides other errors behind an internal error', async () => {
    const seen: unknown[] = [];
    const jobs = new Jobs({ onError: (e) => seen.push(e) });
    const p = jobs.start('k', 'u', async () => {
      throw new Problem(422, '/problems/x/too-big', 'Too big', 'demand 10 > 5', { unserved: ['a'] });
    });
    const boom = jobs.start('k', 'u', async () => {
      throw new Error('secret internals');
    });
    expect((await jobs.wait(p.id))?.error).toEqual({ type: '/problems/x/too-big', title: 'Too big', status: 422, detail: 'demand 10 > 5', unserved: ['a'] });
    const b = await jobs.wait(boom.id);
    expect(b?.status).toBe('failed');
    expect(JSON.stringify(b?.error)).not.toContain('secret');
    expect(seen).toHaveLength(1);
  });

  it('cancels a running job through its signal, and a queued one at once', async () => {
    const jobs = new Jobs();
    const running = jobs.start('k', 'u', (ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve('partial'))));
    const queued = jobs.start('k', 'u', async () => 'never');
    await tick();
    expect(jobs.cancel(queued.id)).toBe(true);
    expect(jobs.get(queued.id)?.status).toBe('cancelled');
    expect(jobs.cancel(running.id)).toBe(true);
    const r = await jobs.wait(running.id);
    expect(r?.status).toBe('cancelled');
    expect(r?.result).toBeUndefined();
    expect(jobs.cancel(running.id)).toBe(false);
  });

  it('tells subscribers every event until done, and coalesces progress bursts', async () => {
    let t = 0;
    const jobs = new Jobs({ now: () => t, progressEveryMs: 100 });
    const got: JobEvent[] = [];
    let go!: () => void;
    const gate = new Promise<void>((r) => (go = r));
    const v = jobs.start('k', 'u', async (ctx) => {
      await gate;
      for (let i = 1; i <= 10; i++) {
        t += 30;
        ctx.progress({ phase: 'solve', fraction: i / 10 });
      }
      return 1;
    });
    jobs.subscribe(v.id, (ev) => got.push(ev));
    go();
    await jobs.wait(v.id);
    const fractions = got.filter((e) => e.kind === 'progress').map((e) => e.data.fraction);
    // Sent at t = 30 (first), 150 and 270 (≥ 100 ms after the last sent), and the final 1 always.
    expect(fractions).toEqual([0.1, 0.5, 0.9, 1]);
    expect(got.at(-1)).toMatchObject({ kind: 'done', data: { status: 'succeeded', result: 1 } });
  });
});
