/**
 * Black box: waste collection on the seeded region (tiny scale) — `madina plan waste` against the
 * running server draws its progress bar and prints the plan; the API plans as a job followed over SSE,
 * exports GeoJSON and CSV, records a collection that empties the containers in the hub, refuses what it
 * cannot serve without saving anything, and compares a simulated month with a fixed schedule.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startServer, type TestServer } from '../support/server.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let server: TestServer;
let token: string;
let place: string;
let containerCount: number;

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(server.url + path, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, type, text, body: type.includes('json') && text ? JSON.parse(text) : undefined };
}

/** Reads a job's SSE stream to its end over a real socket. */
async function follow(eventsPath: string) {
  const res = await fetch(server.url + eventsPath, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } });
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((b) => b.includes('event:'))
    .map((b) => ({ id: Number(/id: (\d+)/.exec(b)?.[1]), event: /event: (.*)/.exec(b)![1], data: JSON.parse(/data: (.*)/.exec(b)![1]) }));
}

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/madina.js', ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  server = await startServer({ env: { MADINA_SEED: 'auto', MADINA_SEED_SCALE: 'tiny', MADINA_SIMULATOR: 'off', MQTT_PORT: String(await freePort()) } });
  const login = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'madina-demo-2026' }) });
  token = ((await login.json()) as { token: string }).token;
  // The seed runs in the background: wait for the Region entity (written last).
  const deadline = Date.now() + 150_000;
  while (Date.now() < deadline) {
    const r = await fetch(`${server.url}/ngsi-ld/v1/entities/urn:ngsi-ld:Region:MA-06`);
    if (r.status === 200) break;
    await new Promise((res) => setTimeout(res, 1000));
  }
  // The place with the most containers.
  const bins = (await api('GET', '/ngsi-ld/v1/entities?type=WasteContainer&attrs=binCapacity&limit=1000&options=keyValues')).body as { scope: string }[];
  const counts = new Map<string, number>();
  for (const b of bins) {
    const code = String(b.scope).split('/').pop()!;
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  [place, containerCount] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
}, 200_000);

afterAll(async () => {
  await server?.cleanup();
});

describe('waste collection, black box', () => {
  it('plans from the command line with a progress bar', async () => {
    const r = await cli(['plan', 'waste', '--commune', place, '--url', server.url, '--threshold', '0', '--time', '1', '--date', '2030-06-01']);
    expect(r.stderr).toMatch(/\[#+\.*\]\s+\d+% /);
    expect(r.stderr).toContain('100%');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`for ${place} on 2030-06-01: ${containerCount} of ${containerCount} containers, 1 truck\\(s\\)`));
    expect(r.stdout).toMatch(/truck 1 from centroid-\d{9}: \d+ stops/);
  });

  it('explains an unknown commune on the command line', async () => {
    const r = await cli(['plan', 'waste', '--commune', '999999999', '--url', server.url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('No commune or arrondissement');
  });

  it('plans over the API as a job, exports the plan and records a collection', async () => {
    const started = await api('POST', '/api/waste/plans', { commune: place, date: '2030-06-02', threshold: 0, budget: { timeLimitMs: 500 } });
    expect(started.status).toBe(202);
    const events = await follow(started.body.links.events);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    expect(done.data.status).toBe('succeeded');
    const { planId } = done.data.result;
    // The job itself answers GET too.
    expect((await api('GET', started.body.links.job)).body).toMatchObject({ status: 'succeeded', result: { planId } });

    const geo = await api('GET', `/api/waste/plans/${planId}.geojson`);
    const fc = JSON.parse(geo.text);
    expect(fc.features.filter((f: any) => f.properties.kind === 'stop')).toHaveLength(containerCount);
    const csv = await api('GET', `/api/waste/plans/${planId}.csv`);
    expect(csv.text.trim().split('\r\n')).toHaveLength(containerCount + 1);

    const collected = await api('POST', `/api/waste/plans/${planId}/collect`, {});
    expect(collected.body).toMatchObject({ containersReset: containerCount, simulated: true });
    const levels = (await api('GET', `/ngsi-ld/v1/entities?type=WasteContainer&scopeQ=${encodeURIComponent(`/MA-06/#`)}&q=fillingLevel==0&limit=1000&count=true&options=keyValues`)).body as { id: string }[];
    const stopIds = fc.features.filter((f: any) => f.properties.kind === 'stop').map((f: any) => f.properties.containerId);
    expect(stopIds.every((id: string) => levels.some((l) => l.id === id))).toBe(true);
  });

  it('refuses a fleet too small, lists what cannot be served, and saves nothing', async () => {
    const before = (await api('GET', '/api/waste/plans')).body.total;
    const started = await api('POST', '/api/waste/plans', { commune: place, date: '2030-06-03', threshold: 0, include: [], fleet: { trucks: 1, capacityM3: 0.2, compactionFactor: 1 }, budget: { maxIterations: 10 } });
    const done = (await follow(started.body.links.events)).at(-1)!;
    expect(done.data.status).toBe('failed');
    expect(done.data.error).toMatchObject({ status: 422, type: '/problems/waste/fleet-too-small' });
    expect(done.data.error.unserved.length).toBeGreaterThan(0);
    expect((await api('GET', '/api/waste/plans')).body.total).toBe(before);
  });

  it('compares a simulated month with a fixed daily schedule', async () => {
    const started = await api('POST', '/api/waste/simulations', { commune: place, days: 10, threshold: 0.7, seed: 3, iterations: 10 });
    expect(started.status).toBe(202);
    const done = (await follow(started.body.links.events)).at(-1)!;
    expect(done.data.status).toBe('succeeded');
    const r = done.data.result;
    expect(r.days).toBe(10);
    expect(r.fixed.collections).toBe(10 * containerCount);
    expect(r.threshold.collections).toBeLessThanOrEqual(r.fixed.collections);
    expect(r.daily).toHaveLength(10);
  });
});
