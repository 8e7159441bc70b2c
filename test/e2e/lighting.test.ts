/**
 * Public lighting, black-box: the server started as a user starts it (region seeded at tiny scale, embedded
 * MQTT broker). An inventory CSV with errors gets its report and imports nothing; telemetry from the simulator
 * (its own messages, published on MQTT) turns faulty lamps into alerts that clear when the lamp is repaired;
 * a command goes out to a lamp and its status follows the device's answer.
 */
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAssets, type Asset } from '../../src/region/assets.ts';
import { loadRegionData } from '../../src/region/region-data.ts';
import { lampFault, type LampFault } from '../../src/simulator/patterns.ts';
import { measureMessage } from '../../src/simulator/runner.ts';
import { freePort, startServer, type TestServer } from '../support/server.ts';

const SEED = 20260101;
const EPISODE_MS = 3 * 86_400_000;
let server: TestServer;
let mqttPort: number;
let token: string;

async function api(method: string, path: string, body?: string | object, contentType = 'application/json') {
  const res = await fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': contentType } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: res.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : text };
}

async function until<T>(get: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  mqttPort = await freePort();
  server = await startServer({ env: { MADINA_SEED: 'auto', MADINA_SEED_SCALE: 'tiny', MADINA_SIMULATOR: 'off', MQTT_PORT: String(mqttPort) } });
  const login = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'madina-demo-2026' }) });
  token = ((await login.json()) as { token: string }).token;
  // The seed runs in the background after start: wait for the Region entity, written last.
  const seeded = await until(() => fetch(`${server.url}/ngsi-ld/v1/entities/urn:ngsi-ld:Region:MA-06`).then((r) => r.status), (s) => s === 200, 150_000);
  expect(seeded).toBe(200);
}, 240_000);
afterAll(async () => {
  await server?.cleanup();
});

describe('lighting inventory import (black box)', () => {
  it('answers a CSV with errors with its report and imports nothing, then imports the valid rows when asked', async () => {
    const fixture = (n: string) => readFileSync(`test/fixtures/lighting/${n}`, 'utf8');
    expect((await api('POST', '/api/lighting/import?type=StreetlightControlCabinet', fixture('cabinets.csv'), 'text/csv')).status).toBe(200);
    const r = await api('POST', '/api/lighting/import?type=Streetlight', fixture('streetlights-with-errors.csv'), 'text/csv');
    expect(r.status).toBe(422);
    expect(r.type).toContain('application/problem+json');
    expect(r.body.report.problems.map((p: { row: number; field: string }) => `${p.row}:${p.field}`)).toEqual([
      '3:lat',
      '4:lampTechnology',
      '5:powerRating',
      '5:refStreetlightControlCabinet',
      '5:dateLastLampChange',
      '6:id',
      '8:id',
      '8:lampTechnology',
      '8:powerRating',
    ]);
    expect(r.body.report.warnings).toEqual([{ row: 1, field: 'colour', problem: 'unknown column, ignored' }]);
    expect((await fetch(`${server.url}/ngsi-ld/v1/entities/urn:ngsi-ld:Streetlight:sb-0101`)).status).toBe(404);
    const partial = await api('POST', '/api/lighting/import?type=Streetlight&mode=valid-only', fixture('streetlights-with-errors.csv'), 'text/csv');
    expect(partial.body).toMatchObject({ imported: 2, rejected: 5 });
    expect((await fetch(`${server.url}/ngsi-ld/v1/entities/urn:ngsi-ld:Streetlight:sb-0101`)).status).toBe(200);
  });
});

describe('faults from the simulator (black box)', () => {
  const lamps = generateAssets(loadRegionData(), { seed: SEED, scale: 0.01 }).filter((a) => a.kind === 'streetlight');

  /**
   * A seeded lamp and an episode where the simulator gives it `fault`, then none in the next episode. Episodes
   * start after now: the seed wrote each lamp's reading of the present, and older readings are taken as late.
   */
  function pick(fault: LampFault, taken: Set<string>): { lamp: Asset; from: number } {
    const first = Math.floor((Date.now() - 12 * 3_600_000) / EPISODE_MS) + 1;
    for (let e = first; e < first + 200; e++) {
      const from = e * EPISODE_MS + 12 * 3_600_000;
      const lamp = lamps.find((l) => !taken.has(l.deviceId) && lampFault(l.deviceId, from, SEED) === fault && lampFault(l.deviceId, from + EPISODE_MS, SEED) === 'none');
      if (lamp) {
        taken.add(lamp.deviceId);
        return { lamp, from };
      }
    }
    throw new Error(`the simulator gives no ${fault} in 2026 at this scale`);
  }

  it('raises alerts for simulated faults, streams them, and clears them when the simulator repairs the lamps', async () => {
    const taken = new Set<string>();
    // Night (00:00 UTC) for lamps dark or drifting, noon for a lamp burning by day; the same a 3-day episode later.
    const cases = [
      { ...pick('defectiveLamp', taken), offsetH: 12, kinds: ['offAtNight', 'reportedFailure'] },
      { ...pick('dayBurning', taken), offsetH: 24, kinds: ['onByDay'] },
      { ...pick('powerDrift', taken), offsetH: 12, kinds: ['powerDeviation'] },
    ];
    const events: { change: string; alert: { lampId: string; kind: string } }[] = [];
    const ctrl = new AbortController();
    const stream = await fetch(`${server.url}/api/lighting/alerts/stream`, { headers: { authorization: `Bearer ${token}` }, signal: ctrl.signal });
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const reading = (async () => {
      const dec = new TextDecoder();
      let buf = '';
      try {
        for await (const chunk of stream.body as unknown as AsyncIterable<Uint8Array>) {
          buf += dec.decode(chunk, { stream: true });
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = block.split('\n').find((l) => l.startsWith('data: '));
            if (data) events.push(JSON.parse(data.slice(6)));
          }
        }
      } catch {
        // aborted
      }
    })();

    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`);
    const publish = async (lamp: Asset, ms: number) => {
      const m = measureMessage(lamp, ms, SEED);
      await client.publishAsync(m.topic, m.payload);
    };
    try {
      for (const c of cases) await publish(c.lamp, c.from + c.offsetH * 3_600_000);
      // The seed's own readings (of the present) may already show faults of other lamps: look at ours.
      const ours = new Set(cases.map((c) => c.lamp.entityId));
      const mine = (items: { lampId: string; kind: string }[]) => items.filter((a) => ours.has(a.lampId)).map((a) => `${a.lampId} ${a.kind}`).sort();
      const open = await until(
        () => api('GET', '/api/lighting/alerts?open=true&limit=500'),
        (r) => mine(r.body.items).length >= 4,
      );
      expect(mine(open.body.items)).toEqual(cases.flatMap((c) => c.kinds.map((k) => `${c.lamp.entityId} ${k}`)).sort());

      // The next episode: the simulator has repaired them.
      for (const c of cases) await publish(c.lamp, c.from + EPISODE_MS + c.offsetH * 3_600_000);
      const after = await until(
        () => api('GET', '/api/lighting/alerts?open=true&limit=500'),
        (r) => mine(r.body.items).length === 0,
      );
      expect(mine(after.body.items)).toEqual([]);
      const closed = await api('GET', '/api/lighting/alerts?open=false&limit=500');
      expect(mine(closed.body.items)).toHaveLength(4);
      const streamed = () => events.filter((e) => ours.has(e.alert.lampId));
      await until(
        async () => streamed().length,
        (n) => n >= 8,
        5000,
      );
      expect(streamed().filter((e) => e.change === 'raised')).toHaveLength(4);
      expect(streamed().filter((e) => e.change === 'cleared')).toHaveLength(4);
    } finally {
      await client.endAsync();
      ctrl.abort();
      await reading;
    }
  });

  it('sends a dimming command to a seeded lamp over MQTT and shows the status the device reports', async () => {
    const lamp = lamps[0];
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`);
    const received: string[] = [];
    try {
      await client.subscribeAsync(`/madina-streetlight/${lamp.deviceId}/cmd`);
      client.on('message', (_t, p) => received.push(p.toString()));
      const sent = await api('POST', '/api/lighting/commands', { targetType: 'Streetlight', targetId: lamp.entityId, command: 'dim', value: 0.4 });
      expect(sent.status).toBe(202);
      expect(sent.body.devices).toEqual([{ deviceId: lamp.deviceId, entityId: lamp.entityId, status: 'PENDING' }]);
      await until(
        async () => received.length,
        (n) => n > 0,
        5000,
      );
      expect(JSON.parse(received[0])).toEqual({ dim: 0.4 });
      // The lamp answers on its command-result topic.
      await client.publishAsync(`/json/madina-streetlight/${lamp.deviceId}/cmdexe`, JSON.stringify({ dim: 'dimmed to 40%' }));
      const list = await until(
        () => api('GET', '/api/lighting/commands'),
        (r) => r.body.items[0]?.devices[0]?.status === 'OK',
      );
      expect(list.body.items[0]).toMatchObject({ command: 'dim', value: 0.4, counts: { OK: 1 } });
      expect(list.body.items[0].devices[0].info).toBe('dimmed to 40%');
    } finally {
      await client.endAsync();
    }
  });
});
