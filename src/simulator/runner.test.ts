import { describe, expect, it } from 'vitest';
import { generateAssets, type Asset } from '../region/assets.ts';
import { loadRegionData } from '../region/region-data.ts';
import { measureMessage, Simulator, type Publisher } from './runner.ts';
import { DEFAULT_SHARES, ReportScheduler } from './scheduler.ts';

const assets: Asset[] = generateAssets(loadRegionData(), { seed: 1, scale: 0.05 });

function fakePublisher(accept: () => boolean = () => true) {
  const sent: { topic: string; payload: string }[] = [];
  let closed = false;
  const p: Publisher = {
    publish(topic, payload) {
      if (!accept()) return false;
      sent.push({ topic, payload });
      return true;
    },
    async close() {
      closed = true;
    },
  };
  return { p, sent, closed: () => closed };
}

describe('report scheduler', () => {
  it('gives each kind its share of the messages and cycles through each kind in turn', () => {
    const s = new ReportScheduler(assets);
    const kinds = new Map<string, number>();
    const seen = new Map<string, number>();
    const n = 10_000;
    for (let i = 0; i < n; i++) {
      const a = s.next()!;
      kinds.set(a.kind, (kinds.get(a.kind) ?? 0) + 1);
      seen.set(a.deviceId, (seen.get(a.deviceId) ?? 0) + 1);
    }
    const total = Object.values(DEFAULT_SHARES).reduce((x, y) => x + y, 0);
    for (const [kind, share] of Object.entries(DEFAULT_SHARES)) expect(Math.abs(kinds.get(kind)! - (n * share) / total)).toBeLessThanOrEqual(1);
    // Round robin inside a kind: no streetlight reported twice more than another.
    const lampCounts = assets.filter((a) => a.kind === 'streetlight').map((a) => seen.get(a.deviceId) ?? 0);
    expect(Math.max(...lampCounts) - Math.min(...lampCounts)).toBeLessThanOrEqual(1);
  });
});

describe('simulator runner', () => {
  it('publishes FIWARE IoT Agent JSON measures on /json/<apikey>/<device_id>/attrs', () => {
    const lamp = assets.find((a) => a.kind === 'streetlight')!;
    const m = measureMessage(lamp, Date.parse('2026-06-21T22:00:00Z'), 1);
    expect(m.topic).toBe(`/json/madina-streetlight/${lamp.deviceId}/attrs`);
    const body = JSON.parse(m.payload);
    expect(body.TimeInstant).toBe('2026-06-21T22:00:00.000Z');
    expect(['on', 'off']).toContain(body.powerState);
  });

  it('keeps to the configured rate', () => {
    let now = 1_000_000;
    const f = fakePublisher();
    const sim = new Simulator(f.p, { assets, seed: 1, ratePerS: 50, now: () => now });
    for (let i = 0; i < 100; i++) {
      now += 100;
      sim.tick();
    }
    expect(f.sent.length).toBe(500); // 10 s at 50/s
    expect(sim.stats.published).toBe(500);
  });

  it('does not burst after a stall and drops what the broker cannot take', () => {
    let now = 0;
    let up = true;
    const f = fakePublisher(() => up);
    const sim = new Simulator(f.p, { assets, seed: 1, ratePerS: 20, now: () => now });
    now += 60_000; // a minute without ticks
    expect(sim.tick()).toBe(20); // at most one second's worth
    up = false;
    now += 1000;
    expect(sim.tick()).toBe(0);
    expect(sim.stats.dropped).toBe(20);
  });

  it('advances simulated time by the speed factor', () => {
    let now = Date.parse('2026-06-21T12:00:00Z');
    const sim = new Simulator(fakePublisher().p, { assets, seed: 1, ratePerS: 1, speed: 60, now: () => now });
    now += 60_000;
    expect(new Date(sim.simulatedMs()).toISOString()).toBe('2026-06-21T13:00:00.000Z');
  });

  it('stops cleanly: no more ticks, publisher closed', async () => {
    const f = fakePublisher();
    const sim = new Simulator(f.p, { assets, seed: 1, ratePerS: 1000, tickMs: 10 });
    sim.start();
    await new Promise((r) => setTimeout(r, 100));
    await sim.stop();
    const sent = f.sent.length;
    expect(sent).toBeGreaterThan(0);
    expect(f.closed()).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(f.sent.length).toBe(sent);
  });
});
