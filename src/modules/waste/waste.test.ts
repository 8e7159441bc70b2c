/**
 * /api/waste in process: containers with a history in the hub (entity + temporal API), a plan as a job
 * followed over SSE, stored versions, exports, collection, and the refusals that save nothing.
 */
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestServer } from '../../../test/support/test-server.ts';

type Server = Awaited<ReturnType<typeof buildTestServer>>;
let s: Server;
let token: string;

const H = 3_600_000;
const NOW = Date.now();
const TOMORROW = new Date(NOW + 24 * H).toISOString().slice(0, 10);
const PLACE = '064610115';
const SCOPE = `/MA-06/${PLACE}`;
const id = (k: string) => `urn:ngsi-ld:WasteContainer:wc-test-${k}`;
const iso = (t: number) => new Date(t).toISOString();

async function call(method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) {
  const r = await s.madina.app.inject({ method: method as InjectOptions['method'], url, payload: payload as InjectOptions['payload'], headers: { authorization: `Bearer ${token}`, ...headers } });
  const type = String(r.headers['content-type'] ?? '');
  return { status: r.statusCode, type, text: r.body, body: type.includes('json') && r.body ? JSON.parse(r.body) : undefined };
}

/** A container at (lon, lat) whose readings `hoursAgo → level` end with its current value. */
async function container(k: string, lon: number, lat: number, readings: [number, number][]) {
  const last = readings[readings.length - 1];
  const r = await call('POST', '/ngsi-ld/v1/entityOperations/upsert', [
    {
      id: id(k),
      type: 'WasteContainer',
      scope: SCOPE,
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [lon, lat] } },
      binCapacity: { type: 'Property', value: 1000 },
      fillingLevel: { type: 'Property', value: last[1], observedAt: iso(NOW - last[0] * H) },
    },
  ]);
  expect(r.status).toBeLessThan(300);
  const past = readings.slice(0, -1).map(([h, v]) => ({ type: 'Property', value: v, observedAt: iso(NOW - h * H) }));
  if (past.length) expect((await call('POST', `/ngsi-ld/v1/temporal/entities/${encodeURIComponent(id(k))}/attrs`, { fillingLevel: past })).status).toBe(204);
}

/** Starts a plan and reads its job's SSE stream to the end. */
async function planAndWait(body: Record<string, unknown>) {
  const started = await call('POST', '/api/waste/plans', body);
  if (started.status !== 202) return { started, events: [] as { event: string; data: any }[], done: undefined };
  const stream = await call('GET', started.body.links.events);
  expect(stream.type).toContain('text/event-stream');
  const events = stream.text
    .split('\n\n')
    .filter((b) => b.includes('event:'))
    .map((b) => ({ event: /event: (.*)/.exec(b)![1], data: JSON.parse(/data: (.*)/.exec(b)![1]) }));
  return { started, events, done: events.at(-1)!.data };
}

beforeAll(async () => {
  s = await buildTestServer();
  const login = await s.madina.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: 'madina-demo-2026' } });
  token = login.json().token;
  const poly = [
    [-7.63, 33.0],
    [-7.6, 33.0],
    [-7.6, 33.02],
    [-7.63, 33.02],
    [-7.63, 33.0],
  ];
  expect(
    (
      await call('POST', '/ngsi-ld/v1/entities', {
        id: `urn:ngsi-ld:Commune:${PLACE}`,
        type: 'Commune',
        scope: SCOPE,
        name: { type: 'LanguageProperty', languageMap: { fr: 'Settat', ar: 'سطات' } },
        code: { type: 'Property', value: PLACE },
        location: { type: 'GeoProperty', value: { type: 'Polygon', coordinates: [poly] } },
      })
    ).status,
  ).toBe(201);
  // A fills 0.03/h and reads 0.86 now: full at tomorrow's shift however late today the test runs (5 h
  // before it at midnight; from 0.8 it was 995 L after ~22:20 UTC). E is at 0.95; B crawls at 0.002/h from 0.1.
  await container('A', -7.61, 33.01, [20, 16, 12, 8, 4, 0].map((h) => [h, Math.round((0.86 - 0.03 * h) * 1000) / 1000]));
  await container('B', -7.62, 33.005, [20, 10, 0].map((h) => [h, Math.round((0.1 - 0.002 * h) * 1000) / 1000]));
  // C was emptied 7.5 h ago (0.9 → 0.05), then fills 0.01/h: without the reset it would look fast and full.
  await container('C', -7.605, 33.015, [
    [14, 0.7],
    [11, 0.8],
    [8, 0.9],
    [7, 0.05],
    [4, 0.08],
    [1, 0.11],
    [0, 0.12],
  ]);
  // D does not fill (stuck lid): only a citizen request brings a truck.
  await container('D', -7.615, 33.002, [
    [6, 0.2],
    [3, 0.2],
    [0, 0.2],
  ]);
  await container('E', -7.625, 33.018, [
    [6, 0.89],
    [3, 0.92],
    [0, 0.95],
  ]);
}, 120_000);

afterAll(async () => {
  await s?.close();
});

describe('waste plans', () => {
  let planId: string;

  it('forecasts each container, resets included', async () => {
    const r = await call('GET', `/api/waste/communes/${PLACE}/containers?at=${encodeURIComponent(iso(NOW + 10 * H))}`);
    expect(r.status).toBe(200);
    const by = Object.fromEntries(r.body.items.map((c: any) => [c.id, c]));
    expect(by[id('A')].ratePerDay).toBeCloseTo(0.72, 3);
    expect(by[id('A')].predictedLevel).toBe(1);
    expect(by[id('C')].ratePerDay).toBeCloseTo(0.24, 2);
    expect(by[id('C')].predictedLevel).toBeCloseTo(0.22, 2);
    expect(by[id('B')].method).toBe('theil-sen');
  });

  it('plans as a job: progress over SSE, then the saved plan with the containers that need it', async () => {
    const { started, events, done } = await planAndWait({ commune: PLACE, date: TOMORROW, threshold: 0.7, fleet: { trucks: 2 }, include: [id('D')], budget: { maxIterations: 200, seed: 7 } });
    expect(started.status).toBe(202);
    expect(events[0]).toEqual({ event: 'status', data: { status: 'queued' } });
    expect(events.some((e) => e.event === 'progress' && e.data.phase === 'forecast')).toBe(true);
    expect(done.status).toBe('succeeded');
    planId = done.result.planId;
    expect(done.result).toMatchObject({ version: 1, containersConsidered: 5, containersPlanned: 3, trucksUsed: 1, byReason: { threshold: 2, 'overflow-before-next': 0, requested: 1 } });

    const plan = await call('GET', `/api/waste/plans/${planId}`);
    expect(plan.status).toBe(200);
    expect(plan.body).toMatchObject({ placeCode: PLACE, communeCode: PLACE, date: TOMORROW, version: 1, status: 'planned' });
    const stops = plan.body.routes.flatMap((r: any) => r.stops);
    expect(stops.map((x: any) => x.containerId).sort()).toEqual([id('A'), id('D'), id('E')]);
    // D is collected on request at its own level (0.2 of 1000 L, not filling); A and E are full by then.
    expect(stops.find((x: any) => x.containerId === id('D'))).toMatchObject({ reason: 'requested', volumeL: 200 });
    expect(stops.find((x: any) => x.containerId === id('A')).volumeL).toBe(1000);
    // The default depot is the commune's centroid.
    expect(plan.body.depots[0].lon).toBeCloseTo(-7.615, 6);
    expect(plan.body.depots[0].lat).toBeCloseTo(33.01, 6);
  });

  it('exports the plan as GeoJSON and CSV for crews', async () => {
    const g = await call('GET', `/api/waste/plans/${planId}.geojson`);
    expect(g.status).toBe(200);
    expect(g.type).toContain('application/geo+json');
    const route = JSON.parse(g.text).features.find((f: any) => f.properties.kind === 'route');
    expect(route.geometry.coordinates).toHaveLength(5);
    const csv = await call('GET', `/api/waste/plans/${planId}?format=csv`);
    expect(csv.type).toContain('text/csv');
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe('truck,seq,container_id,lon,lat,predicted_level,volume_l,reason,arrival_min,depot_id');
    expect(lines).toHaveLength(4);
  });

  it('keeps versions when the same day is planned again', async () => {
    const { done } = await planAndWait({ commune: PLACE, date: TOMORROW, threshold: 0.9, budget: { maxIterations: 50 } });
    expect(done.result).toMatchObject({ planId, version: 2, containersPlanned: 2 });
    const v1 = await call('GET', `/api/waste/plans/${planId}?version=1`);
    expect(v1.body.routes.flatMap((r: any) => r.stops)).toHaveLength(3);
    const latest = await call('GET', `/api/waste/plans/${planId}`);
    expect(latest.body.versions.map((v: any) => v.version)).toEqual([1, 2]);
    const list = await call('GET', `/api/waste/plans?commune=${PLACE}`);
    expect(list.body.total).toBe(1);
    expect(list.body.items[0].latestVersion).toBe(2);
  });

  it('records a collection: containers emptied in the hub, kilometres kept, once', async () => {
    const r = await call('POST', `/api/waste/plans/${planId}/collect`, { actualKm: 12.5 });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ version: 2, containersReset: 2, actualKm: 12.5, simulated: false });
    const a = await call('GET', `/ngsi-ld/v1/entities/${encodeURIComponent(id('A'))}?options=keyValues`);
    expect(a.body.fillingLevel).toBe(0);
    const plan = await call('GET', `/api/waste/plans/${planId}`);
    expect(plan.body).toMatchObject({ status: 'collected', actualDistanceM: 12_500 });
    const again = await call('POST', `/api/waste/plans/${planId}/collect`, {});
    expect(again.status).toBe(409);
    expect(again.body.type).toBe('/problems/waste/already-collected');
  });
});

describe('refusals that save nothing', () => {
  it('answers an unknown commune at once', async () => {
    const r = await call('POST', '/api/waste/plans', { commune: '000000000' });
    expect(r.status).toBe(404);
    expect(r.type).toContain('application/problem+json');
    expect(r.body).toMatchObject({ type: '/problems/waste/unknown-commune', commune: '000000000' });
  });

  it('fails the job when the fleet is too small, listing the unserved containers', async () => {
    const before = (await call('GET', '/api/waste/plans')).body.total;
    // Reset by the collection above: only E (0.95 → full) and requested D remain; one 0.5 m³ truck (no compaction) takes 500 L.
    const { done } = await planAndWait({ commune: PLACE, date: '2030-01-01', include: [id('D')], fleet: { trucks: 1, capacityM3: 0.5, compactionFactor: 1 }, budget: { maxIterations: 10 } });
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ status: 422, type: '/problems/waste/fleet-too-small' });
    expect(done.error.unserved.length).toBeGreaterThan(0);
    expect((await call('GET', '/api/waste/plans')).body.total).toBe(before);
  });

  it('fails the job when a container cannot be reached within the shift', async () => {
    const { done } = await planAndWait({ commune: PLACE, date: '2030-01-02', include: [id('D')], depots: [{ id: 'far', lon: -6.5, lat: 33.0 }], budget: { maxIterations: 10 } });
    expect(done.error).toMatchObject({ status: 422, type: '/problems/waste/unreachable-within-shift' });
    expect(done.error.unreachable.map((u: any) => u.id)).toContain(id('D'));
  });

  it('refuses planners of another commune and bad input', async () => {
    const bad = await call('POST', '/api/waste/plans', { commune: PLACE, threshold: 2 });
    expect(bad.status).toBe(400);
    expect(bad.body.type).toBe('/problems/api/validation-failed');
    await call('POST', '/api/auth/users', { username: 'planner.casa', password: 'a-long-password', roles: ['planner'], communes: ['006141010'] });
    const login = await s.madina.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'planner.casa', password: 'a-long-password' } });
    const other = await s.madina.app.inject({ method: 'POST', url: '/api/waste/plans', payload: { commune: PLACE }, headers: { authorization: `Bearer ${login.json().token}` } });
    expect(other.statusCode).toBe(403);
    const list = await s.madina.app.inject({ method: 'GET', url: '/api/waste/plans', headers: { authorization: `Bearer ${login.json().token}` } });
    expect(list.json().total).toBe(0);
  });
});
