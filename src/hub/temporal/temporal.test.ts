/**
 * The temporal API over the whole server (app.inject) on the test store: history written by entity
 * writes, provisioning, and every query checked against values computed here independently.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHubApp, qs as q, type HubApp } from '../../../test/support/hub-app.ts';
import type { TestDb } from '../../../test/support/test-db.ts';
import type { Hub } from '../index.ts';
import { RetentionJob } from './retention.ts';

// The hub alone (not the whole server): this suite is about the hub's temporal API.
let h: HubApp;
let t: TestDb;
let hub: Hub;

const H = 3_600_000;
const T0 = Date.UTC(2024, 2, 10, 0, 0, 0); // 2024-03-10T00:00Z
const iso = (ms: number) => new Date(ms).toISOString();

const req: HubApp['req'] = (...args) => h.req(...args);

/** A deterministic pseudo-random series (mulberry32). */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// 300 speed observations over 30 hours, at random instants, values with one decimal.
const rand = prng(42);
const SENSOR = 'urn:ngsi-ld:Vehicle:temporal-1';
const points = Array.from({ length: 300 }, (_, i) => ({ t: T0 + Math.floor(i * 360_000 + rand() * 300_000), v: Math.round(rand() * 1000) / 10 }));

beforeAll(async () => {
  h = await openHubApp();
  ({ t, hub } = h);
  const r = await req('POST', '/temporal/entities', {
    id: SENSOR,
    type: 'Vehicle',
    speed: points.map((p) => ({ type: 'Property', value: p.v, observedAt: iso(p.t) })),
  });
  expect(r.status).toBe(201);
});

afterAll(async () => {
  await h?.close();
});

/** Independent aggregation of the points in [from, to), bucketed from `from` by `stepMs`. */
function expectedBuckets(from: number, to: number, stepMs: number) {
  const buckets = new Map<number, number[]>();
  for (const p of points) {
    if (p.t < from || p.t >= to) continue;
    const b = from + Math.floor((p.t - from) / stepMs) * stepMs;
    if (!buckets.has(b)) buckets.set(b, []);
    buckets.get(b)!.push(p.v);
  }
  return [...buckets.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([start, vs]) => {
      const n = vs.length;
      const sum = vs.reduce((a, b) => a + b, 0);
      const avg = sum / n;
      const sumsq = vs.reduce((a, b) => a + b * b, 0);
      const stddev = n > 1 ? Math.sqrt(vs.reduce((a, b) => a + (b - avg) ** 2, 0) / (n - 1)) : null;
      return { start, end: start + stepMs, n, distinct: new Set(vs).size, sum, avg, min: Math.min(...vs), max: Math.max(...vs), sumsq, stddev };
    });
}

describe('temporal queries', () => {
  it('returns every instance in time order with instanceId (normalized)', async () => {
    const r = await req('GET', `/temporal/entities/${encodeURIComponent(SENSOR)}`);
    expect(r.status).toBe(200);
    expect(r.body.id).toBe(SENSOR);
    expect(r.body.type).toBe('Vehicle');
    const sorted = [...points].sort((a, b) => a.t - b.t);
    expect(r.body.speed.map((i: any) => [i.value, i.observedAt])).toEqual(sorted.map((p) => [p.v, iso(p.t)]));
    expect(r.body.speed[0]).toMatchObject({ type: 'Property' });
    expect(r.body.speed[0].instanceId).toMatch(/^urn:ngsi-ld:attribute-instance:/);
    expect(new Set(r.body.speed.map((i: any) => i.instanceId)).size).toBe(points.length);
  });

  it('filters by timerel between and answers temporalValues', async () => {
    const from = T0 + 5 * H;
    const to = T0 + 9 * H;
    const r = await req('GET', `/temporal/entities?${q({ type: 'Vehicle', timerel: 'between', timeAt: iso(from), endTimeAt: iso(to), options: 'temporalValues' })}`);
    expect(r.status).toBe(200);
    expect(r.body).toHaveLength(1);
    const expected = points.filter((p) => p.t >= from && p.t < to).sort((a, b) => a.t - b.t);
    expect(r.body[0].speed).toEqual({ type: 'Property', values: expected.map((p) => [p.v, iso(p.t)]) });
  });

  it('honours before and after as strict bounds', async () => {
    const at = points[100].t;
    const before = await req('GET', `/temporal/entities/${encodeURIComponent(SENSOR)}?${q({ timerel: 'before', timeAt: iso(at), options: 'temporalValues' })}`);
    const after = await req('GET', `/temporal/entities/${encodeURIComponent(SENSOR)}?${q({ timerel: 'after', timeAt: iso(at), options: 'temporalValues' })}`);
    expect(before.body.speed.values).toHaveLength(points.filter((p) => p.t < at).length);
    expect(after.body.speed.values).toHaveLength(points.filter((p) => p.t > at).length);
  });

  it('returns the last N instances, oldest first', async () => {
    const r = await req('GET', `/temporal/entities/${encodeURIComponent(SENSOR)}?${q({ lastN: 7, options: 'temporalValues' })}`);
    expect(r.status).toBe(200);
    expect(r.headers['content-range']).toBeUndefined();
    const last = [...points].sort((a, b) => a.t - b.t).slice(-7);
    expect(r.body.speed.values).toEqual(last.map((p) => [p.v, iso(p.t)]));
  });

  it('aggregates per hour in SQL exactly as computed here', async () => {
    const from = T0 + 2 * H;
    const to = T0 + 26 * H;
    const r = await req(
      'GET',
      `/temporal/entities?${q({
        type: 'Vehicle',
        timerel: 'between',
        timeAt: iso(from),
        endTimeAt: iso(to),
        options: 'aggregatedValues',
        aggrMethods: 'totalCount,distinctCount,sum,avg,min,max,stddev,sumsq',
        aggrPeriodDuration: 'PT1H',
      })}`,
    );
    expect(r.status).toBe(200);
    const got = r.body[0].speed;
    const want = expectedBuckets(from, to, H);
    expect(want).toHaveLength(24);
    expect(got.type).toBe('Property');
    expect(got.totalCount).toEqual(want.map((b) => [b.n, iso(b.start), iso(b.end)]));
    expect(got.distinctCount.map((x: any) => x[0])).toEqual(want.map((b) => b.distinct));
    for (const m of ['sum', 'avg', 'min', 'max', 'sumsq'] as const) {
      expect(got[m].map((x: any) => x[1])).toEqual(want.map((b) => iso(b.start)));
      got[m].forEach((x: any, i: number) => expect(x[0]).toBeCloseTo(want[i][m], 6));
    }
    const sd = want.filter((b) => b.stddev !== null);
    expect(got.stddev).toHaveLength(sd.length);
    got.stddev.forEach((x: any, i: number) => expect(x[0]).toBeCloseTo(sd[i].stddev!, 6));
  });

  it('aggregates the whole window when no period is given', async () => {
    const from = T0;
    const to = T0 + 40 * H;
    const r = await req(
      'GET',
      `/temporal/entities/${encodeURIComponent(SENSOR)}?${q({ timerel: 'between', timeAt: iso(from), endTimeAt: iso(to), options: 'aggregatedValues', aggrMethods: 'avg,totalCount' })}`,
    );
    const [b] = expectedBuckets(from, to, 40 * H);
    expect(r.body.speed.totalCount).toEqual([[points.length, iso(from), iso(to)]]);
    expect(r.body.speed.avg[0][0]).toBeCloseTo(b.avg, 9);
  });

  it('pages instances beyond the limit with Content-Range and continues without gap', async () => {
    const id = 'urn:ngsi-ld:Vehicle:temporal-paging';
    const n = 1500;
    const base = Date.UTC(2024, 4, 1);
    const created = await req('POST', '/temporal/entities', {
      id,
      type: 'Vehicle',
      speed: Array.from({ length: n }, (_, i) => ({ type: 'Property', value: i, observedAt: iso(base + i * 1000) })),
      heading: [{ type: 'Property', value: 7, observedAt: iso(base + 5000) }],
    });
    expect(created.status).toBe(201);
    const first = await req('GET', `/temporal/entities/${encodeURIComponent(id)}?${q({ options: 'temporalValues' })}`);
    expect(first.status).toBe(206);
    expect(first.body.speed.values).toHaveLength(1000);
    const lastT = base + 999 * 1000;
    expect(first.headers['content-range']).toBe(`date-time ${iso(base)}-${iso(lastT)}/*`);
    expect(first.body.heading.values).toEqual([[7, iso(base + 5000)]]);
    const next = await req('GET', `/temporal/entities/${encodeURIComponent(id)}?${q({ timerel: 'after', timeAt: iso(lastT), options: 'temporalValues' })}`);
    expect(next.status).toBe(200);
    expect(next.body.speed.values.map((v: any) => v[0])).toEqual(Array.from({ length: 500 }, (_, i) => 1000 + i));
  });

  it('buckets by calendar month', async () => {
    const id = 'urn:ngsi-ld:Meter:temporal-months';
    const days = [Date.UTC(2023, 10, 30, 23), Date.UTC(2023, 11, 1), Date.UTC(2023, 11, 31, 23, 59), Date.UTC(2024, 0, 15), Date.UTC(2024, 1, 29, 12)];
    await req('POST', '/temporal/entities', { id, type: 'Meter', energy: days.map((t, i) => ({ type: 'Property', value: i + 1, observedAt: iso(t) })) });
    const r = await req('GET', `/temporal/entities/${encodeURIComponent(id)}?${q({ options: 'aggregatedValues', aggrMethods: 'sum', aggrPeriodDuration: 'P1M' })}`);
    expect(r.status).toBe(200);
    expect(r.body.energy.sum).toEqual([
      [1, '2023-11-01T00:00:00.000Z', '2023-12-01T00:00:00.000Z'],
      [5, '2023-12-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z'],
      [4, '2024-01-01T00:00:00.000Z', '2024-02-01T00:00:00.000Z'],
      [5, '2024-02-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z'],
    ]);
  });
});

describe('history of entity writes', () => {
  const id = 'urn:ngsi-ld:Streetlight:temporal-hist';

  it('keeps every attribute change as an instance, observedAt or modifiedAt as its time', async () => {
    expect((await req('POST', '/entities', { id, type: 'Streetlight', power: { type: 'Property', value: 10, observedAt: '2024-06-01T10:00:00Z' }, status: { type: 'Property', value: 'on' } })).status).toBe(201);
    for (const [v, at] of [
      [20, '2024-06-01T11:00:00Z'],
      [30, '2024-06-01T12:00:00Z'],
    ] as const) {
      expect((await req('PATCH', `/entities/${encodeURIComponent(id)}/attrs`, { power: { type: 'Property', value: v, observedAt: at } })).status).toBe(204);
    }
    // An unchanged attribute adds no instance; a datasetId is its own series.
    expect((await req('POST', `/entities/${encodeURIComponent(id)}/attrs`, { power: { type: 'Property', value: 1, datasetId: 'urn:ds:b', observedAt: '2024-06-01T11:30:00Z' } })).status).toBe(204);
    const r = await req('GET', `/temporal/entities/${encodeURIComponent(id)}?${q({ options: 'sysAttrs' })}`);
    expect(r.status).toBe(200);
    expect(r.body.power.map((i: any) => [i.value, i.observedAt, i.datasetId])).toEqual([
      [10, '2024-06-01T10:00:00.000Z', undefined],
      [20, '2024-06-01T11:00:00.000Z', undefined],
      [1, '2024-06-01T11:30:00.000Z', 'urn:ds:b'],
      [30, '2024-06-01T12:00:00.000Z', undefined],
    ]);
    expect(r.body.status).toHaveLength(1);
    expect(r.body.status[0].value).toBe('on');
    expect(typeof r.body.status[0].modifiedAt).toBe('string');
    const tv = await req('GET', `/temporal/entities/${encodeURIComponent(id)}?${q({ options: 'temporalValues', attrs: 'power' })}`);
    expect(tv.body.power).toEqual([
      { type: 'Property', values: [[10, '2024-06-01T10:00:00.000Z'], [20, '2024-06-01T11:00:00.000Z'], [30, '2024-06-01T12:00:00.000Z']] },
      { type: 'Property', values: [[1, '2024-06-01T11:30:00.000Z']], datasetId: 'urn:ds:b' },
    ]);
    expect(tv.body.status).toBeUndefined();
  });

  it('keeps the history after the entity is deleted, selects by q on the current state', async () => {
    const r1 = await req('GET', `/temporal/entities?${q({ type: 'Streetlight', q: 'power>25' })}`);
    expect(r1.body.map((e: any) => e.id)).toEqual([id]);
    const r2 = await req('GET', `/temporal/entities?${q({ type: 'Streetlight', q: 'power>35' })}`);
    expect(r2.body).toEqual([]);
    expect((await req('DELETE', `/entities/${encodeURIComponent(id)}`)).status).toBe(204);
    const r3 = await req('GET', `/temporal/entities?${q({ type: 'Streetlight', count: 'true' })}`);
    expect(r3.headers['ngsild-results-count']).toBe('1');
    expect(r3.body[0].power).toHaveLength(4);
  });
});

describe('provisioning', () => {
  const id = 'urn:ngsi-ld:Sensor:temporal-prov';
  const path = `/temporal/entities/${encodeURIComponent(id)}`;

  it('creates, adds instances, modifies and deletes one instance by instanceId', async () => {
    expect((await req('POST', '/temporal/entities', { id, type: 'Sensor', temp: [{ type: 'Property', value: 1, observedAt: '2024-07-01T00:00:00Z' }] })).status).toBe(201);
    expect((await req('POST', '/temporal/entities', { id, type: 'Sensor', temp: [{ type: 'Property', value: 2, observedAt: '2024-07-01T01:00:00Z' }] })).status).toBe(204);
    expect((await req('POST', `${path}/attrs`, { temp: [{ type: 'Property', value: 3, observedAt: '2024-07-01T02:00:00Z' }], hum: { type: 'Property', value: 50, observedAt: '2024-07-01T02:00:00Z' } })).status).toBe(204);
    let r = await req('GET', path);
    expect(r.body.temp.map((i: any) => i.value)).toEqual([1, 2, 3]);
    const second = r.body.temp[1].instanceId;
    // Moving its observedAt to another month moves the row to another partition.
    expect((await req('PATCH', `${path}/attrs/temp/${encodeURIComponent(second)}`, { temp: { type: 'Property', value: 20, observedAt: '2024-08-01T00:00:00Z' } })).status).toBe(204);
    r = await req('GET', `${path}?${q({ options: 'temporalValues' })}`);
    expect(r.body.temp.values).toEqual([[1, '2024-07-01T00:00:00.000Z'], [3, '2024-07-01T02:00:00.000Z'], [20, '2024-08-01T00:00:00.000Z']]);
    expect((await req('DELETE', `${path}/attrs/temp/${encodeURIComponent(second)}`)).status).toBe(204);
    expect((await req('DELETE', `${path}/attrs/temp/${encodeURIComponent(second)}`)).status).toBe(404);
    r = await req('GET', `${path}?${q({ options: 'temporalValues' })}`);
    expect(r.body.temp.values.map((v: any) => v[0])).toEqual([1, 3]);
  });

  it('deletes an attribute, then the entity', async () => {
    expect((await req('DELETE', `${path}/attrs/hum`)).status).toBe(204);
    expect((await req('DELETE', `${path}/attrs/hum`)).status).toBe(404);
    const r = await req('GET', path);
    expect(r.body.hum).toBeUndefined();
    expect(r.body.temp).toHaveLength(2);
    expect((await req('DELETE', path)).status).toBe(204);
    expect((await req('GET', path)).status).toBe(404);
  });
});

describe('bad input', () => {
  const cases: [string, RegExp][] = [
    [q({ type: 'Vehicle', timerel: 'after' }), /timeAt/],
    [q({ type: 'Vehicle', timerel: 'between', timeAt: iso(T0) }), /endTimeAt/],
    [q({ type: 'Vehicle', options: 'aggregatedValues', aggrMethods: 'avg', aggrPeriodDuration: 'PT1X' }), /duration/],
    [q({ type: 'Vehicle', options: 'aggregatedValues', aggrMethods: 'mean' }), /aggrMethod/],
    [q({ type: 'Vehicle', q: '>5' }), /./],
    [q({ type: 'Vehicle', lastN: 'x' }), /lastN/],
    [q({ type: 'Vehicle', options: 'nonsense' }), /options/],
  ];
  it.each(cases)('answers 400 BadRequestData to %s', async (query, detail) => {
    const r = await req('GET', `/temporal/entities?${query}`);
    expect(r.status).toBe(400);
    expect(r.body.type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
    expect(r.body.detail).toMatch(detail);
  });

  it('answers 404 for an unknown tenant and entity', async () => {
    expect((await req('GET', '/temporal/entities?type=Vehicle', undefined, { 'NGSILD-Tenant': 'nobody' })).body.type).toBe('https://uri.etsi.org/ngsi-ld/errors/NonexistentTenant');
    expect((await req('GET', '/temporal/entities/urn:ngsi-ld:X:none')).status).toBe(404);
  });
});

describe('retention', () => {
  it('drops whole partitions past the retention and older rows of the boundary one', async () => {
    const id = 'urn:ngsi-ld:Sensor:temporal-retention';
    const now = Date.UTC(2030, 5, 15, 12);
    const times = [Date.UTC(2030, 2, 3), Date.UTC(2030, 4, 1), Date.UTC(2030, 4, 20), Date.UTC(2030, 5, 14)];
    await req('POST', '/temporal/entities', { id, type: 'Sensor', x: times.map((t, i) => ({ type: 'Property', value: i, observedAt: iso(t) })) });
    const job = new RetentionJob(t.db, hub.temporal.store, { days: 30, clock: () => new Date(now) });
    const r = await job.runOnce();
    expect(r.dropped).toContain('hub_attribute_instances_p203003');
    expect(r.dropped).not.toContain('hub_attribute_instances_p203005');
    const left = await req('GET', `/temporal/entities/${encodeURIComponent(id)}?${q({ options: 'temporalValues' })}`);
    // Cutoff 2030-05-16T12:00Z: 2030-05-20 and 2030-06-14 stay.
    expect(left.body.x.values.map((v: any) => v[0])).toEqual([2, 3]);
  });
});
