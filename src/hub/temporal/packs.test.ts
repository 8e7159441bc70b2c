/**
 * Day packs (packs.ts): the helpers, and over the hub on the test store, that a read served from packs
 * answers exactly what the rows answer, and that every write into a packed day keeps its pack exact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHubApp, qs as q, type HubApp } from '../../../test/support/hub-app.ts';
import type { TestDb } from '../../../test/support/test-db.ts';
import { testDriver } from '../../../test/support/test-env.ts';
import type { Hub } from '../index.ts';
import { closedDays, materialize, PackedRead, packHorizon, PackJob, queryWindow } from './packs.ts';
import { RetentionJob } from './retention.ts';
import { DAY_MS } from './store.ts';
import { parseTemporalQuery } from './temporal-query.ts';
import { watchedDb } from '../../../test/support/watched-db.ts';

const H = 3_600_000;
const D0 = Date.UTC(2024, 4, 10); // 2024-05-10T00:00Z, a closed day whatever the clock says
const iso = (ms: number) => new Date(ms).toISOString();
const TV = new Set(['temporalValues']);

describe('pack helpers', () => {
  it('finds the closed days of instances, once each', () => {
    const now = D0 + 2 * DAY_MS + 5 * H;
    const s = { entityId: 'urn:e', attr: 'https://x/a', datasetId: '' };
    const days = closedDays(
      [
        { ...s, ts: D0 + H },
        { ...s, ts: D0 + 2 * H },
        { ...s, ts: D0 + DAY_MS + 23 * H },
        { ...s, ts: now - H }, // today: no pack
        { ...s, datasetId: 'urn:ds', ts: D0 },
      ],
      now,
    );
    expect(days.map((d) => [d.datasetId, d.day])).toEqual([
      ['', D0],
      ['', D0 + DAY_MS],
      ['urn:ds', D0],
    ]);
  });

  it('packs a day only an hour after it closed', () => {
    expect(packHorizon(D0 + 30 * 60_000)).toBe(D0 - DAY_MS);
    expect(packHorizon(D0 + H)).toBe(D0);
  });

  it('reads packed days from packs and only the rest from rows', () => {
    const tq = parseTemporalQuery({ timerel: 'between', timeAt: iso(D0 + 12 * H), endTimeAt: iso(D0 + 3 * DAY_MS + 6 * H) }, TV);
    expect(queryWindow(tq)).toEqual({ from: D0 + 12 * H, to: D0 + 3 * DAY_MS + 6 * H });
    const s = { entityId: 'urn:e', attr: 'https://x/a', datasetId: '' };
    const pack = (day: number, ts: number[]) => ({ ...s, pack: { day, n: ts.length, kind: 'Property', mixed: false, vals: JSON.stringify(ts.map((t) => [t / H, iso(t)])) } });
    const unpacked = { ...s, attr: 'https://x/b' };
    // Packs for the first and third day of the window; the second and the fourth are read from rows, and
    // all of the window for the series without packs.
    const read = new PackedRead([pack(D0 + 2 * DAY_MS, [D0 + 2 * DAY_MS + H]), unpacked, pack(D0, [D0 + H, D0 + 13 * H, D0 + 20 * H])], tq);
    expect(read.ranges.map((r) => [r.attr, r.from, r.to])).toEqual([
      [s.attr, D0 + DAY_MS, D0 + 2 * DAY_MS],
      [s.attr, D0 + 3 * DAY_MS, D0 + 3 * DAY_MS + 6 * H],
      [unpacked.attr, D0 + 12 * H, D0 + 3 * DAY_MS + 6 * H],
    ]);
    const rows = [
      { ...s, kind: 'Property', from: D0 + 3 * DAY_MS, values: [[0, D0 + 3 * DAY_MS + H]] as [unknown, number][] },
      { ...s, kind: 'Property', from: D0 + DAY_MS, values: [[0, D0 + DAY_MS + 2 * H]] as [unknown, number][] },
    ];
    const merged = read.merge(rows, 4);
    // The first pack is cut to the window (D0 + 1 h is before it); the limit keeps the first four values.
    expect(merged[0].values.map((v) => v[1])).toEqual([D0 + 13 * H, D0 + 20 * H, D0 + DAY_MS + 2 * H, D0 + 2 * DAY_MS + H]);
    expect(merged[0].packed).toBeUndefined();
  });

  it('keeps a series made of whole packs as their JSON text, joined', () => {
    const tq = parseTemporalQuery({ timerel: 'between', timeAt: iso(D0), endTimeAt: iso(D0 + 2 * DAY_MS) }, TV);
    const s = { entityId: 'urn:e', attr: 'https://x/a', datasetId: '' };
    const pack = (day: number, v: number) => ({ ...s, pack: { day, n: 1, kind: 'Property', mixed: false, vals: `[[${v}, "${iso(day + H)}"]]` } });
    const read = new PackedRead([pack(D0 + DAY_MS, 2), pack(D0, 1)], tq);
    expect(read.ranges).toEqual([]);
    const [one] = read.merge([], 1001);
    expect(one.packed).toEqual({ json: `[[1, "${iso(D0 + H)}"], [2, "${iso(D0 + DAY_MS + H)}"]]`, n: 2 });
    materialize(one);
    expect(one.values).toEqual([
      [1, D0 + H],
      [2, D0 + DAY_MS + H],
    ]);
    // More values than the page holds: values, cut to the limit.
    expect(new PackedRead([pack(D0 + DAY_MS, 2), pack(D0, 1)], tq).merge([], 2)[0]).toMatchObject({ values: [[1, D0 + H], [2, D0 + DAY_MS + H]] });
  });

  it('is not used for lastN, other time properties or windows of today', () => {
    const now = D0 + 10 * DAY_MS + 12 * H;
    expect(PackedRead.applies(parseTemporalQuery({}, TV), now)).toBe(true);
    expect(PackedRead.applies(parseTemporalQuery({ lastN: '5' }, TV), now)).toBe(false);
    expect(PackedRead.applies(parseTemporalQuery({ timeproperty: 'modifiedAt' }, TV), now)).toBe(false);
    expect(PackedRead.applies(parseTemporalQuery({}, new Set()), now)).toBe(false);
    expect(PackedRead.applies(parseTemporalQuery({ timerel: 'after', timeAt: iso(now - 2 * H) }, TV), now)).toBe(false);
  });
});

// ---- Over the hub

let h: HubApp;
let t: TestDb;
let hub: Hub;
const req: HubApp['req'] = (...args) => h.req(...args);
const A = 'urn:ngsi-ld:Meter:pack-a';
const B = 'urn:ngsi-ld:Meter:pack-b';
// 'status' is a term of the core context.
const STATUS = 'https://uri.etsi.org/ngsi-ld/status';

// Four days of readings: A every 5 minutes in two datasets, B every hour with a text attribute too.
const every = (from: number, to: number, step: number) => Array.from({ length: Math.floor((to - from) / step) }, (_, i) => from + i * step);
const aTimes = every(D0, D0 + 4 * DAY_MS, 5 * 60_000);
const bTimes = every(D0 + 6 * H, D0 + 4 * DAY_MS, H);

/** Queries whose answers must not change when packs serve them. */
const QUERIES = [
  `/temporal/entities?${q({ type: 'Meter', options: 'temporalValues' })}`,
  `/temporal/entities?${q({ type: 'Meter', options: 'temporalValues', timerel: 'between', timeAt: iso(D0 + DAY_MS), endTimeAt: iso(D0 + 2 * DAY_MS) })}`,
  `/temporal/entities?${q({ type: 'Meter', options: 'temporalValues', timerel: 'between', timeAt: iso(D0 + 7 * H), endTimeAt: iso(D0 + 2 * DAY_MS + 20 * 60_000) })}`,
  `/temporal/entities?${q({ type: 'Meter', options: 'temporalValues', timerel: 'after', timeAt: iso(D0 + 2 * DAY_MS) })}`,
  `/temporal/entities?${q({ type: 'Meter', options: 'temporalValues', timerel: 'before', timeAt: iso(D0 + DAY_MS + 40 * 60_000) })}`,
  `/temporal/entities/${encodeURIComponent(A)}?${q({ options: 'temporalValues', attrs: 'power' })}`,
  `/temporal/entities/${encodeURIComponent(B)}?${q({ options: 'temporalValues', timerel: 'after', timeAt: iso(D0 + 30 * H) })}`,
];

async function answers() {
  const out: unknown[] = [];
  for (const url of QUERIES) {
    const r = await req('GET', url);
    expect(r.status).toBeLessThan(300);
    out.push({ status: r.status, body: r.body, range: r.headers['content-range'] ?? null });
  }
  return out;
}

async function packCount(): Promise<number> {
  return (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM hub_temporal_packs')).rows[0].n;
}

beforeAll(async () => {
  h = await openHubApp();
  ({ t, hub } = h);
  const created = await req('POST', '/temporal/entities', {
    id: A,
    type: 'Meter',
    power: [
      ...aTimes.map((t, i) => ({ type: 'Property', value: i, observedAt: iso(t) })),
      ...aTimes.filter((_, i) => i % 3 === 0).map((t, i) => ({ type: 'Property', value: -i, observedAt: iso(t), datasetId: 'urn:ngsi-ld:Dataset:backup' })),
    ],
  });
  expect(created.status).toBe(201);
  const b = await req('POST', '/temporal/entities', {
    id: B,
    type: 'Meter',
    power: bTimes.map((t, i) => ({ type: 'Property', value: i % 7 === 0, observedAt: iso(t) })),
    status: bTimes.map((t, i) => ({ type: 'Property', value: `s${i}`, observedAt: iso(t) })),
  });
  expect(b.status).toBe(201);
});

afterAll(async () => {
  await h?.close();
});

describe('packed reads', () => {
  it('answer exactly what the rows answer, paging included', async () => {
    // Late writes rebuilt the packs of the days they landed in: drop them to have a read from rows alone.
    await t.db.query('DELETE FROM hub_temporal_packs');
    const fromRows = await answers();
    // The whole history of A is more than one page (Content-Range).
    expect(fromRows.filter((x: any) => x.range).length).toBeGreaterThan(0);
    // Statements outside the packing transactions: the months after May 2024 have no partition, so the
    // job skips them at once instead of looking at each week up to today.
    let statements = 0;
    const counting = watchedDb(t.db, { query: () => statements++ });
    const job = new PackJob(counting, hub.temporal.store, { pauseMs: 0, batch: 2 });
    const run = await job.runOnce();
    expect(run.batches).toBeGreaterThan(1);
    expect(statements).toBeLessThan(30);
    // 4 days × (A's two datasets + B's two attributes).
    expect(await packCount()).toBe(16);
    expect(await answers()).toEqual(fromRows);
    // Everything closed is packed: the next pass has nothing to do.
    expect((await job.runOnce()).days).toBe(0);
  });

  it('are really served from the packs', async () => {
    const day = D0 + DAY_MS;
    const url = `/temporal/entities/${encodeURIComponent(B)}?${q({ options: 'temporalValues', attrs: 'status', timerel: 'between', timeAt: iso(day), endTimeAt: iso(day + DAY_MS) })}`;
    const before = await req('GET', url);
    const pack = { entityId: B, attr: STATUS, datasetId: '', day };
    const changed = await t.db.query(`UPDATE hub_temporal_packs SET vals = $1 WHERE entity_id = $2 AND attr = $3 AND day = $4`, [JSON.stringify([['from-the-pack', iso(day + H)]]), B, STATUS, iso(day)]);
    expect(changed.rowCount).toBe(1);
    expect((await req('GET', url)).body.status.values).toEqual([['from-the-pack', iso(day + H)]]);
    // A repack from the rows restores it.
    await t.db.transaction((tx) => hub.temporal.store.repack(tx, '', [pack], Date.now()));
    expect((await req('GET', url)).body).toEqual(before.body);
  });
});

describe('packs and rows together', () => {
  const get = async (id: string, params: Record<string, string | number>) => (await req('GET', `/temporal/entities/${encodeURIComponent(id)}?${q({ options: 'temporalValues', ...params })}`)).body;

  it('a day with several attribute types is read from rows when the window cuts it', async () => {
    const id = 'urn:ngsi-ld:Meter:pack-mixed';
    const day = Date.UTC(2024, 4, 20);
    const properties = [1, 2, 3].map((h) => ({ type: 'Property', value: h, observedAt: iso(day + h * H) }));
    const relationships = [13, 14].map((h) => ({ type: 'Relationship', object: `urn:ngsi-ld:X:${h}`, observedAt: iso(day + h * H) }));
    expect((await req('POST', '/temporal/entities', { id, type: 'Meter', link: properties })).status).toBe(201);
    // The second write lands in a closed day of a series that exists: it (re)builds the day's pack.
    expect((await req('POST', `/temporal/entities/${encodeURIComponent(id)}/attrs`, { link: relationships })).status).toBe(204);
    const pack = await t.db.query<{ mixed: boolean }>('SELECT mixed FROM hub_temporal_packs WHERE entity_id = $1', [id]);
    expect(pack.rows).toEqual([{ mixed: true }]);
    expect((await get(id, { timerel: 'before', timeAt: iso(day + 6 * H) })).link).toEqual({
      type: 'Property',
      values: [1, 2, 3].map((h) => [h, iso(day + h * H)]),
    });
  });

  it('history before 1970 keeps its order when a day without pack precedes a packed one', async () => {
    const id = 'urn:ngsi-ld:Meter:pack-1969';
    const d1 = Date.UTC(1969, 11, 29);
    const d2 = Date.UTC(1969, 11, 30);
    const obs = [d1 + H, d1 + 2 * H, d2 + H].map((ts, i) => ({ type: 'Property', value: i, observedAt: iso(ts) }));
    expect((await req('POST', '/temporal/entities', { id, type: 'Meter', p: obs })).status).toBe(201);
    // The first day's pack is gone (as if written before it closed): that day comes from rows.
    await t.db.query('DELETE FROM hub_temporal_packs WHERE entity_id = $1 AND day = $2', [id, iso(d1)]);
    expect((await get(id, {})).p.values).toEqual([
      [0, iso(d1 + H)],
      [1, iso(d1 + 2 * H)],
      [2, iso(d2 + H)],
    ]);
  });

  it('an entity deleted while the packer packs it leaves no pack behind', async () => {
    const id = 'urn:ngsi-ld:Meter:pack-race';
    const day = Date.UTC(2024, 4, 25);
    expect((await req('POST', '/temporal/entities', { id, type: 'Meter', p: [1, 2].map((h) => ({ type: 'Property', value: h, observedAt: iso(day + h * H) })) })).status).toBe(201);
    await t.db.query('DELETE FROM hub_temporal_packs WHERE entity_id = $1', [id]);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let packed!: () => void;
    const didPack = new Promise<void>((r) => (packed = r));
    // A packer batch that has written its (uncommitted) packs and not committed yet.
    const packer = t.db.transaction(async (tx) => {
      await hub.temporal.store.packBatch(tx, day, day + DAY_MS, undefined, 100_000);
      packed();
      await gate;
    });
    await didPack;
    const deleted = req('DELETE', `/temporal/entities/${encodeURIComponent(id)}`);
    await new Promise((r) => setTimeout(r, 300));
    release();
    await packer;
    expect((await deleted).status).toBe(204);
    expect((await t.db.query('SELECT 1 FROM hub_temporal_packs WHERE entity_id = $1', [id])).rows).toHaveLength(0);
  });

  it.skipIf(testDriver() === 'postgres')('rebuilds a late day as 24 hours whatever the session time zone (PGlite: one session)', async () => {
    const id = 'urn:ngsi-ld:Meter:pack-dst';
    const day = Date.UTC(2024, 2, 31); // clocks change in Europe/Paris
    await t.db.query("SET TIME ZONE 'Europe/Paris'");
    try {
      const hours = Array.from({ length: 24 }, (_, h) => ({ type: 'Property', value: h, observedAt: iso(day + h * H + 30 * 60_000) }));
      const created = await req('POST', '/temporal/entities', { id, type: 'Meter', p: hours.slice(0, 23) });
      expect(created.status, created.text).toBe(201);
      // The last hour as late data into the existing series: the day's pack is rebuilt from all 24.
      const late = await req('POST', `/temporal/entities/${encodeURIComponent(id)}/attrs`, { p: hours.slice(23) });
      expect(late.status, late.text).toBe(204);
      const pack = await t.db.query<{ n: number }>('SELECT n FROM hub_temporal_packs WHERE entity_id = $1', [id]);
      expect(pack.rows).toEqual([{ n: 24 }]);
      expect((await get(id, { timerel: 'between', timeAt: iso(day), endTimeAt: iso(day + DAY_MS) })).p.values).toHaveLength(24);
    } finally {
      await t.db.query("SET TIME ZONE 'UTC'");
    }
  });
});

describe('series registry', () => {
  it('a write that rolls back takes its new series back, so its retry registers them', async () => {
    const store = hub.temporal.store;
    const at = iso(D0 + 5 * H);
    const rec = { entityId: 'urn:ngsi-ld:Meter:rolled-back', attr: 'https://example.org/p', datasetId: '', instanceId: 'urn:ngsi-ld:Instance:rb-1', ts: at, observedAt: at, createdAt: at, modifiedAt: at, kind: 'Property', value: { value: 1 }, num: 1 };
    // A batch whose transaction fails after the history insert (the batcher then retries its writes one by one).
    await expect(
      t.db.transaction(async (tx) => {
        await store.insertInstances(tx, '', [rec]);
        throw new Error('batch failed');
      }),
    ).rejects.toThrow('batch failed');
    const created = await t.db.transaction((tx) => store.insertInstances(tx, '', [{ ...rec, instanceId: 'urn:ngsi-ld:Instance:rb-2' }]));
    expect(created.size).toBe(1);
    const series = await t.db.query('SELECT 1 FROM hub_temporal_series WHERE entity_id = $1', [rec.entityId]);
    expect(series.rows).toHaveLength(1);
  });
});

describe('writes into packed days', () => {
  const dayUrl = (id: string, day: number) =>
    `/temporal/entities/${encodeURIComponent(id)}?${q({ options: 'temporalValues', attrs: 'power', timerel: 'between', timeAt: iso(day), endTimeAt: iso(day + DAY_MS) })}`;

  it('late data through the temporal API and through entity updates land in the pack', async () => {
    const late = D0 + DAY_MS + 7 * H + 30_000;
    expect((await req('POST', `/temporal/entities/${encodeURIComponent(A)}/attrs`, { power: [{ type: 'Property', value: 1000, observedAt: iso(late) }] })).status).toBe(204);
    // An entity write with an old observedAt (a gateway catching up) goes to the history too.
    expect((await req('POST', '/entities', { id: A, type: 'Meter', power: { type: 'Property', value: 2000, observedAt: iso(late + 60_000) } })).status).toBe(201);
    const r = await req('GET', dayUrl(A, D0 + DAY_MS));
    const values = r.body.power.find((s: any) => !s.datasetId).values as [number, string][];
    const expected = [...aTimes.filter((x) => x >= D0 + DAY_MS && x < D0 + 2 * DAY_MS).map((x) => [aTimes.indexOf(x), iso(x)]), [1000, iso(late)], [2000, iso(late + 60_000)]];
    expect(values).toEqual(expected.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0)));
    const pack = await t.db.query<{ n: number }>(`SELECT n FROM hub_temporal_packs WHERE entity_id = $1 AND dataset_id = '' AND day = $2`, [A, iso(D0 + DAY_MS)]);
    expect(pack.rows[0].n).toBe(expected.length);
  });

  it('a new series with old times is read from rows, and packed by its next late write', async () => {
    const C = 'urn:ngsi-ld:Meter:pack-new';
    const day = D0 + DAY_MS;
    const packsOfC = async () => (await t.db.query<{ n: number }>('SELECT n FROM hub_temporal_packs WHERE entity_id = $1', [C])).rows.map((r) => r.n);
    expect((await req('POST', '/entities', { id: C, type: 'Meter', power: { type: 'Property', value: 5, observedAt: iso(day + 3 * H) } })).status).toBe(201);
    // Created by this write: no pack to rebuild (and no pack lock taken); the day comes from rows.
    expect(await packsOfC()).toEqual([]);
    expect((await req('GET', dayUrl(C, day))).body.power.values).toEqual([[5, iso(day + 3 * H)]]);
    // The series exists now: a late write into the same day rebuilds (here: builds) its pack.
    expect((await req('POST', `/temporal/entities/${encodeURIComponent(C)}/attrs`, { power: [{ type: 'Property', value: 6, observedAt: iso(day + 4 * H) }] })).status).toBe(204);
    expect(await packsOfC()).toEqual([2]);
    expect((await req('GET', dayUrl(C, day))).body.power.values).toEqual([[5, iso(day + 3 * H)], [6, iso(day + 4 * H)]]);
  });

  it('modifying an instance moves its value in the packs of both days', async () => {
    const normalized = await req('GET', `/temporal/entities/${encodeURIComponent(B)}?${q({ attrs: 'power', timerel: 'between', timeAt: iso(D0 + 2 * DAY_MS), endTimeAt: iso(D0 + 2 * DAY_MS + H) })}`);
    const inst = normalized.body.power[0];
    const to = D0 + 3 * DAY_MS + 30 * 60_000;
    const patch = await req('PATCH', `/temporal/entities/${encodeURIComponent(B)}/attrs/power/${encodeURIComponent(inst.instanceId)}`, { power: { type: 'Property', value: 'moved', observedAt: iso(to) } });
    expect(patch.status).toBe(204);
    const was = (await req('GET', dayUrl(B, D0 + 2 * DAY_MS))).body.power.values as [unknown, string][];
    expect(was.map((v) => v[1])).not.toContain(inst.observedAt);
    const now = (await req('GET', dayUrl(B, D0 + 3 * DAY_MS))).body.power.values as [unknown, string][];
    expect(now).toContainEqual(['moved', iso(to)]);
    expect(now.map((v) => v[1])).toEqual([...now.map((v) => v[1])].sort());
  });

  it('deleting an instance removes it from its pack', async () => {
    const day = D0 + 3 * DAY_MS;
    const normalized = await req('GET', `/temporal/entities/${encodeURIComponent(A)}?${q({ attrs: 'power', timerel: 'between', timeAt: iso(day), endTimeAt: iso(day + DAY_MS) })}`);
    const victim = normalized.body.power.find((i: any) => !i.datasetId);
    expect((await req('DELETE', `/temporal/entities/${encodeURIComponent(A)}/attrs/power/${encodeURIComponent(victim.instanceId)}`)).status).toBe(204);
    const values = (await req('GET', dayUrl(A, day))).body.power.find((s: any) => !s.datasetId).values as [unknown, string][];
    expect(values.map((v) => v[1])).not.toContain(victim.observedAt);
    expect(values).toHaveLength(normalized.body.power.filter((i: any) => !i.datasetId).length - 1);
  });

  it('deleting an attribute or an entity deletes its packs', async () => {
    expect((await req('DELETE', `/temporal/entities/${encodeURIComponent(B)}/attrs/status`)).status).toBe(204);
    const left = await t.db.query<{ attr: string }>('SELECT DISTINCT attr FROM hub_temporal_packs WHERE entity_id = $1', [B]);
    expect(left.rows.map((r) => r.attr)).toEqual(['https://uri.etsi.org/ngsi-ld/default-context/power']);
    expect((await req('DELETE', `/temporal/entities/${encodeURIComponent(B)}`)).status).toBe(204);
    expect((await t.db.query('SELECT 1 FROM hub_temporal_packs WHERE entity_id = $1', [B])).rows).toHaveLength(0);
  });

  it('retention deletes the packs with the rows', async () => {
    const job = new RetentionJob(t.db, hub.temporal.store, { days: 1, clock: () => new Date(D0 + 3 * DAY_MS + 12 * H) });
    await job.runOnce();
    const days = await t.db.query<{ d: string }>(`SELECT DISTINCT to_char(day AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS d FROM hub_temporal_packs WHERE entity_id = $1 ORDER BY 1`, [A]);
    // Cutoff 2024-05-12T12:00Z: the packs of the 10th, 11th and 12th go (the 12th lost rows), the 13th stays.
    expect(days.rows.map((r) => r.d)).toEqual(['2024-05-13']);
    const r = await req('GET', `/temporal/entities/${encodeURIComponent(A)}?${q({ options: 'temporalValues', attrs: 'power' })}`);
    const main = r.body.power.find((s: any) => !s.datasetId).values as [unknown, string][];
    expect(main[0][1] >= iso(D0 + 2 * DAY_MS + 12 * H)).toBe(true);
    expect(main.some((v) => v[1] < iso(D0 + 3 * DAY_MS))).toBe(true);
  });
});
