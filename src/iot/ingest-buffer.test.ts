import { describe, expect, it } from 'vitest';
import { IngestBuffer, type BufferedEntity, type FlushOutcome } from './ingest-buffer.ts';

const opts = { flushMs: 5, batchSize: 3, maxEntities: 4, maxInFlight: 2, attempts: 2, retryDelayMs: 1 };
const attr = (value: number) => ({ type: 'Property' as const, value });
const ent = (id: string, attrs: Record<string, number>): BufferedEntity => ({
  tenant: '',
  id,
  type: 'Thing',
  attrs: Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, attr(v)])),
});

function recorder() {
  const counts = { committed: 0, values: 0, failed: 0, errors: 0 };
  return {
    counts,
    events: {
      committed: (m: number, v: number) => {
        counts.committed += m;
        counts.values += v;
      },
      failed: (m: number) => (counts.failed += m),
      error: () => counts.errors++,
    },
  };
}

describe('IngestBuffer', () => {
  it('coalesces measures of one entity: the latest value of each attribute wins', async () => {
    const batches: BufferedEntity[][] = [];
    const r = recorder();
    const buf = new IngestBuffer(async (_t, es) => (batches.push(es), { failed: [] }), r.events, opts);
    buf.add(ent('a', { x: 1, y: 1 }), { messages: 1, values: 2 });
    buf.add(ent('a', { x: 2 }), { messages: 1, values: 1 });
    await buf.drain();
    expect(batches).toEqual([[ent('a', { x: 2, y: 1 })]]);
    expect(r.counts).toMatchObject({ committed: 2, values: 3 });
  });

  it('drops new entities past its bound instead of growing', () => {
    const r = recorder();
    const buf = new IngestBuffer(() => new Promise<FlushOutcome>(() => {}), r.events, { ...opts, batchSize: 100, flushMs: 10_000 });
    const accepted = ['a', 'b', 'c', 'd', 'e'].map((id) => buf.add(ent(id, { x: 1 }), { messages: 1, values: 1 }));
    expect(accepted).toEqual([true, true, true, true, false]);
    // An entity already waiting still takes new values.
    expect(buf.add(ent('a', { x: 2 }), { messages: 1, values: 1 })).toBe(true);
  });

  it('never puts one entity in two concurrent flushes, so its updates commit in order', async () => {
    const open: { es: BufferedEntity[]; done: () => void }[] = [];
    const seen: string[] = [];
    const r = recorder();
    const buf = new IngestBuffer(
      (_t, es) =>
        new Promise<FlushOutcome>((resolve) => {
          for (const e of es) seen.push(`${e.id}=${e.attrs.x.value}`);
          open.push({ es, done: () => resolve({ failed: [] }) });
        }),
      r.events,
      { ...opts, maxEntities: 100 },
    );
    buf.add(ent('a', { x: 1 }), { messages: 1, values: 1 });
    await new Promise((res) => setTimeout(res, 20));
    expect(open.length).toBe(1);
    buf.add(ent('a', { x: 2 }), { messages: 1, values: 1 });
    buf.add(ent('b', { x: 1 }), { messages: 1, values: 1 });
    await new Promise((res) => setTimeout(res, 20));
    // b can go in a second flush; a waits for the first one.
    expect(seen).toEqual(['a=1', 'b=1']);
    open[0].done();
    await new Promise((res) => setTimeout(res, 20));
    expect(seen).toEqual(['a=1', 'b=1', 'a=2']);
    for (const o of open) o.done();
    await buf.drain();
    expect(r.counts.committed).toBe(3);
  });

  it('retries a flush the hub threw on, then counts the messages as failed', async () => {
    let calls = 0;
    const r = recorder();
    const buf = new IngestBuffer(
      async () => {
        calls++;
        throw new Error('db down');
      },
      r.events,
      opts,
    );
    let rejected: Error | undefined;
    buf.add(ent('a', { x: 1 }), { messages: 2, values: 1 }, { resolve: () => {}, reject: (e) => (rejected = e) });
    await buf.drain();
    expect(calls).toBe(2);
    expect(r.counts).toMatchObject({ failed: 2, committed: 0, errors: 1 });
    expect(rejected?.message).toBe('db down');
  });

  it('reports entities the hub refused one by one', async () => {
    const r = recorder();
    const buf = new IngestBuffer(async (_t, es) => ({ failed: es.filter((e) => e.id === 'b').map((e) => ({ id: e.id, reason: 'bad' })) }), r.events, opts);
    buf.add(ent('a', { x: 1 }), { messages: 1, values: 1 });
    buf.add(ent('b', { x: 1 }), { messages: 3, values: 1 });
    await buf.drain();
    expect(r.counts).toMatchObject({ committed: 1, failed: 3 });
  });
});
