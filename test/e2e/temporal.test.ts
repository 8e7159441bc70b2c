/**
 * Black box: the temporal API (/ngsi-ld/v1/temporal, §6.18-6.24) on the real server. Attributes are
 * PATCHed over time with observedAt through the ordinary entity API; the temporal queries' answers
 * are compared with values computed here from the same measurements.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../support/server.ts';
import { client, enc, expectProblem } from './ngsi-client.ts';

let server: TestServer;
const http = client(() => server.url);

const H = 3_600_000;
const T0 = Date.UTC(2025, 0, 6, 0, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();
const ID = 'urn:ngsi-ld:AirQualityObserved:e2e-temporal-1';
const OTHER = 'urn:ngsi-ld:AirQualityObserved:e2e-temporal-2';

// NO2 every 20 minutes for 6 hours; a value pattern with repeats (for distinctCount).
const SERIES = Array.from({ length: 18 }, (_, i) => ({ t: T0 + i * 20 * 60_000, v: [12, 15.5, 9, 30, 12][i % 5] + Math.floor(i / 5) }));

beforeAll(async () => {
  // MQTT_PORT=0: the embedded broker on any free port, so parallel servers never collide on 1883.
  server = await startServer({ env: { MQTT_PORT: '0' } });
  const first = SERIES[0];
  for (const id of [ID, OTHER]) {
    const r = await http.post('/entities', { id, type: 'AirQualityObserved', no2: { type: 'Property', value: first.v, unitCode: 'GQ', observedAt: iso(first.t) } });
    expect(r.status, r.text).toBe(201);
  }
  for (const p of SERIES.slice(1)) {
    const r = await http.patch(`/entities/${enc(ID)}/attrs`, { no2: { type: 'Property', value: p.v, unitCode: 'GQ', observedAt: iso(p.t) } });
    expect(r.status, r.text).toBe(204);
  }
  // The other station changes once, three hours in.
  expect((await http.patch(`/entities/${enc(OTHER)}/attrs`, { no2: { type: 'Property', value: 99, observedAt: iso(T0 + 3 * H) } })).status).toBe(204);
}, 120_000);

afterAll(async () => {
  await server?.cleanup();
});

describe('temporal evolution of PATCHed attributes', () => {
  it('retrieves every change as an instance with its observedAt (normalized)', async () => {
    const r = await http.get(`/temporal/entities/${enc(ID)}`);
    expect(r.status, r.text).toBe(200);
    expect(r.body.no2.map((i: any) => [i.value, i.observedAt, i.unitCode])).toEqual(SERIES.map((p) => [p.v, iso(p.t), 'GQ']));
    expect(r.body.no2.every((i: any) => typeof i.instanceId === 'string')).toBe(true);
    expect(r.headers.get('link')).toMatch(/ngsi-ld-core-context/);
  });

  it('queries temporalValues of several entities between two instants', async () => {
    const from = T0 + H;
    const to = T0 + 4 * H;
    const r = await http.get(
      `/temporal/entities?type=AirQualityObserved&timerel=between&timeAt=${enc(iso(from))}&endTimeAt=${enc(iso(to))}&options=temporalValues`,
    );
    expect(r.status, r.text).toBe(200);
    expect(r.body.map((e: any) => e.id)).toEqual([ID, OTHER]);
    expect(r.body[0].no2.values).toEqual(SERIES.filter((p) => p.t >= from && p.t < to).map((p) => [p.v, iso(p.t)]));
    expect(r.body[1].no2.values).toEqual([[99, iso(T0 + 3 * H)]]);
  });

  it('answers a whole closed day (read from day packs) as computed here, in JSON and JSON-LD', async () => {
    // These observations are in the past, so each write rebuilt its day's pack: the day is served from it.
    const url = `/temporal/entities?type=AirQualityObserved&timerel=between&timeAt=${enc(iso(T0))}&endTimeAt=${enc(iso(T0 + 24 * H))}&options=temporalValues`;
    const expected = SERIES.map((p) => [p.v, iso(p.t)]);
    const json = await http.get(url);
    expect(json.status, json.text).toBe(200);
    expect(json.body[0].no2).toEqual({ type: 'Property', values: expected });
    const ld = await http.get(url, { headers: { Accept: 'application/ld+json' } });
    expect(ld.status, ld.text).toBe(200);
    expect(ld.headers.get('content-type')).toMatch(/^application\/ld\+json/);
    expect(ld.body[0]['@context']).toBeDefined();
    expect(ld.body[0].no2.values).toEqual(expected);
    expect(ld.body[1].no2.values).toEqual([
      [SERIES[0].v, iso(T0)],
      [99, iso(T0 + 3 * H)],
    ]);
  });

  it('returns lastN instances', async () => {
    const r = await http.get(`/temporal/entities/${enc(ID)}?lastN=3&options=temporalValues`);
    expect(r.body.no2.values).toEqual(SERIES.slice(-3).map((p) => [p.v, iso(p.t)]));
  });

  it('aggregates per hour as computed here', async () => {
    const r = await http.get(
      `/temporal/entities/${enc(ID)}?timerel=after&timeAt=${enc(iso(T0 - 1))}&options=aggregatedValues&aggrMethods=avg,max,totalCount,distinctCount&aggrPeriodDuration=PT1H`,
    );
    expect(r.status, r.text).toBe(200);
    // Periods start at timeAt (one millisecond before T0); "after" excludes nothing here.
    const origin = T0 - 1;
    const hours = new Map<number, number[]>();
    for (const p of SERIES) {
      const b = origin + Math.floor((p.t - origin) / H) * H;
      hours.set(b, [...(hours.get(b) ?? []), p.v]);
    }
    const want = [...hours.entries()].sort((a, b) => a[0] - b[0]);
    expect(r.body.no2.totalCount).toEqual(want.map(([b, vs]) => [vs.length, iso(b), iso(b + H)]));
    expect(r.body.no2.max.map((x: any) => x[0])).toEqual(want.map(([, vs]) => Math.max(...vs)));
    expect(r.body.no2.distinctCount.map((x: any) => x[0])).toEqual(want.map(([, vs]) => new Set(vs).size));
    r.body.no2.avg.forEach((x: any, i: number) => expect(x[0]).toBeCloseTo(want[i][1].reduce((a, b) => a + b, 0) / want[i][1].length, 9));
  });

  it('modifies one instance by instanceId', async () => {
    const before = await http.get(`/temporal/entities/${enc(ID)}`);
    const target = before.body.no2[4];
    const r = await http.patch(`/temporal/entities/${enc(ID)}/attrs/no2/${enc(target.instanceId)}`, { no2: { type: 'Property', value: 1000, observedAt: target.observedAt } });
    expect(r.status, r.text).toBe(204);
    const after = await http.get(`/temporal/entities/${enc(ID)}?options=temporalValues`);
    expect(after.body.no2.values[4]).toEqual([1000, target.observedAt]);
    expect(after.body.no2.values).toHaveLength(SERIES.length);
  });

  it('answers ProblemDetails to bad temporal queries', async () => {
    expectProblem(await http.get('/temporal/entities?type=AirQualityObserved&timerel=after'), 400, 'BadRequestData');
    expectProblem(await http.get(`/temporal/entities?type=AirQualityObserved&timeAt=${enc(iso(T0))}`), 400, 'BadRequestData');
    expectProblem(await http.get('/temporal/entities?type=AirQualityObserved&options=aggregatedValues&aggrMethods=median'), 400, 'BadRequestData');
    expectProblem(await http.get('/temporal/entities?type=AirQualityObserved&options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=1H'), 400, 'BadRequestData');
    expectProblem(await http.get('/temporal/entities?type=AirQualityObserved&q=no2>'), 400, 'BadRequestData');
    expectProblem(await http.get(`/temporal/entities/${enc('urn:ngsi-ld:X:none')}`), 404, 'ResourceNotFound');
  });

  it('keeps the history across a restart', async () => {
    await server.restart();
    const r = await http.get(`/temporal/entities/${enc(ID)}?lastN=1&options=temporalValues`);
    expect(r.status, r.text).toBe(200);
    expect(r.body.no2?.values, r.text).toEqual([[SERIES.at(-1)!.v, iso(SERIES.at(-1)!.t)]]);
  }, 90_000);
});
