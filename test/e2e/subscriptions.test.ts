/**
 * Black box: subscriptions and notifications with real receivers — an HTTP server, an MQTT subscriber on
 * the test broker (Mosquitto on 127.0.0.1:1883), an SSE client on /api/live.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../support/server.ts';
import { client, enc, expectProblem, uid, CORE_CONTEXT_URL } from './ngsi-client.ts';
import { httpReceiver, mqttReceiver, MQTT_URL, sseClient, until, type HttpReceiver } from './subscriptions-receivers.ts';

let server: TestServer;
let recv: HttpReceiver;
const http = client(() => server.url);

beforeAll(async () => {
  recv = await httpReceiver();
  server = await startServer({
    env: { MQTT_PORT: '0', MADINA_NOTIFY_BASE_BACKOFF_MS: '50', MADINA_NOTIFY_MAX_BACKOFF_MS: '300', MADINA_NOTIFY_TIMEOUT_MS: '2000' },
  });
});

afterAll(async () => {
  await server?.cleanup();
  await recv?.close();
});

let paths = 0;
/** A fresh receiver path per subscription. */
const path = () => `/n${++paths}`;

async function subscribe(body: Record<string, unknown>, headers?: Record<string, string>): Promise<string> {
  const r = await http.post('/subscriptions', { type: 'Subscription', ...body }, { headers });
  expect(r.status, r.text).toBe(201);
  return decodeURIComponent(r.headers.get('location')!.split('/').pop()!);
}

const endpoint = (p: string, extra: Record<string, unknown> = {}) => ({ endpoint: { uri: recv.base + p, ...extra } });
const bin = (id: string, fill: number, extra: Record<string, unknown> = {}) => ({ id, type: 'WasteContainer', fillingLevel: { type: 'Property', value: fill }, ...extra });
const setFill = (id: string, fill: number) => http.patch(`/entities/${enc(id)}/attrs`, { fillingLevel: { type: 'Property', value: fill } });
/** Lets in-flight notifications land, to assert that nothing more arrives. */
const settle = (ms = 600) => new Promise((r) => setTimeout(r, ms));
const datas = (got: { body: any }[]) => got.flatMap((n) => n.body.data);

describe('subscription resource', () => {
  it('creates, retrieves with status members, lists, updates and deletes a subscription', async () => {
    const p = path();
    const id = await subscribe({
      subscriptionName: 'bins',
      entities: [{ type: 'WasteContainer', idPattern: '^urn:ngsi-ld:WasteContainer:crud' }],
      watchedAttributes: ['fillingLevel'],
      q: 'fillingLevel>50',
      notification: { attributes: ['fillingLevel'], format: 'keyValues', ...endpoint(p) },
      expiresAt: '2099-01-01T00:00:00Z',
    });
    expect(id).toMatch(/^urn:ngsi-ld:Subscription:/);
    const got = await http.get(`/subscriptions/${enc(id)}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual({
      id,
      type: 'Subscription',
      subscriptionName: 'bins',
      entities: [{ type: 'WasteContainer', idPattern: '^urn:ngsi-ld:WasteContainer:crud' }],
      watchedAttributes: ['fillingLevel'],
      notificationTrigger: ['attributeCreated', 'attributeUpdated'],
      q: 'fillingLevel>50',
      notification: {
        attributes: ['fillingLevel'],
        format: 'keyValues',
        showChanges: false,
        sysAttrs: false,
        endpoint: { uri: recv.base + p, accept: 'application/json' },
        status: 'ok',
        timesSent: 0,
        timesFailed: 0,
      },
      expiresAt: '2099-01-01T00:00:00.000Z',
      isActive: true,
      status: 'active',
    });
    const list = await http.get('/subscriptions?count=true&limit=100');
    expect(list.status).toBe(200);
    expect(list.body.map((s: any) => s.id)).toContain(id);
    expect(Number(list.headers.get('ngsild-results-count'))).toBe(list.body.length);

    expect((await http.patch(`/subscriptions/${enc(id)}`, { isActive: false, notification: { format: 'concise' } })).status).toBe(204);
    const paused = await http.get(`/subscriptions/${enc(id)}`);
    expect(paused.body).toMatchObject({ isActive: false, status: 'paused', notification: { format: 'concise', attributes: ['fillingLevel'] } });

    expect((await http.del(`/subscriptions/${enc(id)}`)).status).toBe(204);
    expectProblem(await http.get(`/subscriptions/${enc(id)}`), 404, 'ResourceNotFound');
    expectProblem(await http.del(`/subscriptions/${enc(id)}`), 404, 'ResourceNotFound');
  });

  it('rejects bad subscriptions with a ProblemDetails', async () => {
    const ok = { type: 'Subscription', entities: [{ type: 'T' }], notification: endpoint('/x') };
    const bad = async (body: unknown, type = 'BadRequestData', status = 400) => expectProblem(await http.post('/subscriptions', body), status, type);
    await bad({ ...ok, notification: { endpoint: { uri: 'ftp://127.0.0.1/x' } } });
    await bad({ ...ok, notification: { endpoint: { uri: 'madina:internal' } } });
    await bad({ ...ok, notification: { endpoint: { uri: 'not a uri' } } });
    await bad({ ...ok, notification: { endpoint: { uri: 'mqtt://127.0.0.1:1883' } } });
    await bad({ ...ok, notification: {} });
    await bad({ type: 'Subscription', notification: endpoint('/x') });
    await bad({ ...ok, type: 'Registration' });
    await bad({ ...ok, q: 'fillingLevel>' });
    await bad({ ...ok, scopeQ: 'no-slash' });
    await bad({ ...ok, geoQ: { georel: 'near', geometry: 'Point', coordinates: [0, 0] } });
    await bad({ ...ok, expiresAt: '2001-01-01T00:00:00Z' });
    await bad({ ...ok, watchedAttributes: ['a'], timeInterval: 10 });
    await bad({ ...ok, throttling: -1 });
    await bad({ ...ok, notificationTrigger: ['entityExploded'] });
    await bad({ ...ok, notification: { ...endpoint('/x'), format: 'fancy' } });
    await bad({ ...ok, notification: endpoint('/x', { receiverInfo: [{ key: 'Transfer-Encoding', value: 'chunked' }] }) });
    await bad({ ...ok, notification: endpoint('/x', { receiverInfo: [{ key: 'X-Bad', value: 'a\r\nb' }] }) });
    await bad({ ...ok, entities: [{ type: 'T', idPattern: '(' }] });
    const id = uid('Subscription');
    expect((await http.post('/subscriptions', { ...ok, id })).status).toBe(201);
    await bad({ ...ok, id }, 'AlreadyExists', 409);
    expectProblem(await http.patch(`/subscriptions/${enc(id)}`, { notification: { endpoint: { uri: 'gopher://x/y' } } }), 400, 'BadRequestData');
    expectProblem(await http.get(`/subscriptions/${enc(uid('Subscription'))}`), 404, 'ResourceNotFound');
    expect((await http.del(`/subscriptions/${enc(id)}`)).status).toBe(204);
  });
});

describe('triggers', () => {
  it('notifies each trigger for its own kind of change', async () => {
    const kind = uid('TriggerBin').split(':').pop()!.replace(/[^A-Za-z0-9]/g, '');
    const type = `Bin${kind}`;
    const triggers = ['entityCreated', 'entityUpdated', 'entityDeleted', 'attributeCreated', 'attributeUpdated', 'attributeDeleted'];
    const at: Record<string, string> = {};
    for (const t of triggers) {
      at[t] = path();
      await subscribe({ entities: [{ type }], notificationTrigger: [t], notification: endpoint(at[t]) });
    }
    const id = uid(type);
    expect((await http.post('/entities', { id, type, fillingLevel: { type: 'Property', value: 1 } })).status).toBe(201);
    expect((await setFill(id, 2)).status).toBe(204);
    expect((await http.post(`/entities/${enc(id)}/attrs`, { temperature: { type: 'Property', value: 20 } })).status).toBe(204);
    expect((await http.del(`/entities/${enc(id)}/attrs/temperature`)).status).toBe(204);
    expect((await http.del(`/entities/${enc(id)}`)).status).toBe(204);

    const expected: Record<string, number> = {
      entityCreated: 1,
      // the value update, the attribute added, the attribute removed
      entityUpdated: 3,
      entityDeleted: 1,
      // the entity's first attribute, then temperature
      attributeCreated: 2,
      attributeUpdated: 1,
      attributeDeleted: 1,
    };
    for (const t of triggers) await recv.waitFor(at[t], expected[t]);
    await settle();
    for (const t of triggers) {
      const got = recv.at(at[t]);
      expect(got.length, t).toBe(expected[t]);
      for (const n of got) expect(n.body.triggerReason).toBe(t);
    }
    const deleted = recv.at(at.entityDeleted)[0].body.data[0];
    expect(deleted).toMatchObject({ id, type });
    expect(typeof deleted.deletedAt).toBe('string');
    const attrDeleted = recv.at(at.attributeDeleted)[0].body.data[0];
    expect(attrDeleted.temperature).toMatchObject({ type: 'Property', value: 'urn:ngsi-ld:null' });
    expect(recv.at(at.attributeUpdated)[0].body.data[0].fillingLevel.value).toBe(2);
  });
});

describe('filters', () => {
  it('applies q, idPattern, id, watchedAttributes, scopeQ and geoQ to each change', async () => {
    const type = `Filter${paths}`;
    const pq = path();
    const pPattern = path();
    const pId = path();
    const pWatched = path();
    const pScope = path();
    const pGeo = path();
    const a = uid(`${type}:alpha`);
    const b = uid(`${type}:beta`);
    await subscribe({ entities: [{ type }], q: 'fillingLevel>=80', notification: endpoint(pq) });
    await subscribe({ entities: [{ type, idPattern: 'alpha' }], notification: endpoint(pPattern) });
    await subscribe({ entities: [{ type, id: b }], notification: endpoint(pId) });
    await subscribe({ entities: [{ type }], watchedAttributes: ['status'], notification: endpoint(pWatched) });
    await subscribe({ entities: [{ type }], scopeQ: '/Casablanca/#', notification: endpoint(pScope) });
    await subscribe({
      entities: [{ type }],
      geoQ: { georel: 'near;maxDistance==1000', geometry: 'Point', coordinates: [-7.62, 33.59] },
      notification: endpoint(pGeo),
    });
    const here = { type: 'GeoProperty', value: { type: 'Point', coordinates: [-7.625, 33.59] } }; // ~463 m away
    const far = { type: 'GeoProperty', value: { type: 'Point', coordinates: [-7.5, 33.59] } };
    expect((await http.post('/entities', bin(a, 10, { type, location: here, scope: '/Casablanca/Anfa' }))).status).toBe(201);
    expect((await http.post('/entities', bin(b, 90, { type, location: far, scope: '/Rabat' }))).status).toBe(201);
    expect((await setFill(a, 85)).status).toBe(204);
    expect((await http.post(`/entities/${enc(b)}/attrs`, { status: { type: 'Property', value: 'full' } })).status).toBe(204);
    await settle(1000);
    const ids = (p: string) => datas(recv.at(p)).map((d: any) => `${d.id === a ? 'a' : 'b'}${d.fillingLevel?.value ?? ''}`);
    // b's new status attribute is a change too, and b still satisfies q.
    expect(ids(pq)).toEqual(['b90', 'a85', 'b90']);
    expect(ids(pPattern)).toEqual(['a10', 'a85']);
    expect(ids(pId)).toEqual(['b90', 'b90']);
    // watchedAttributes: only the change that touched status
    expect(ids(pWatched)).toEqual(['b90']);
    expect(ids(pScope)).toEqual(['a10', 'a85']);
    expect(ids(pGeo)).toEqual(['a10', 'a85']);
  });

  it('keeps tenants apart', async () => {
    const type = `Tenanted${paths}`;
    const p = path();
    await subscribe({ entities: [{ type }], notification: endpoint(p) }, { 'NGSILD-Tenant': 'casa' });
    expect((await http.post('/entities', bin(uid(type), 1, { type }))).status).toBe(201);
    const id = uid(type);
    expect((await http.post('/entities', bin(id, 2, { type }), { headers: { 'NGSILD-Tenant': 'casa' } })).status).toBe(201);
    await recv.waitFor(p, 1);
    await settle();
    expect(datas(recv.at(p)).map((d: any) => d.id)).toEqual([id]);
  });
});

describe('formats and headers', () => {
  it('renders keyValues, concise, normalized with sysAttrs, attributes, showChanges, receiverInfo and JSON-LD', async () => {
    const type = `Format${paths}`;
    const [pkv, pconcise, pnorm, pld] = [path(), path(), path(), path()];
    await subscribe({ entities: [{ type }], notification: { format: 'keyValues', ...endpoint(pkv) } });
    await subscribe({ entities: [{ type }], notification: { format: 'concise', attributes: ['fillingLevel'], ...endpoint(pconcise) } });
    await subscribe({
      entities: [{ type }],
      notification: { sysAttrs: true, showChanges: true, ...endpoint(pnorm, { receiverInfo: [{ key: 'X-City', value: 'Casablanca' }] }) },
    });
    await subscribe({ entities: [{ type }], notification: endpoint(pld, { accept: 'application/ld+json' }) });
    const id = uid(type);
    expect((await http.post('/entities', bin(id, 30, { type, name: { type: 'Property', value: 'Bin A' } }))).status).toBe(201);
    expect((await setFill(id, 40)).status).toBe(204);
    const [kv, concise, norm, ld] = await Promise.all([recv.waitFor(pkv, 2), recv.waitFor(pconcise, 2), recv.waitFor(pnorm, 2), recv.waitFor(pld, 2)]);

    expect(kv[1].body.data).toEqual([{ id, type, fillingLevel: 40, name: 'Bin A' }]);
    expect(concise[1].body.data).toEqual([{ id, type, fillingLevel: 40 }]);
    const n = norm[1].body;
    expect(n).toMatchObject({ type: 'Notification', subscriptionId: expect.stringMatching(/^urn:ngsi-ld:Subscription:/) });
    expect(n.id).toMatch(/^urn:ngsi-ld:Notification:/);
    expect(Date.parse(n.notifiedAt)).not.toBeNaN();
    expect(n.data[0].fillingLevel).toMatchObject({ type: 'Property', value: 40, previousValue: 30 });
    expect(typeof n.data[0].createdAt).toBe('string');
    expect(typeof n.data[0].fillingLevel.modifiedAt).toBe('string');
    expect(norm[1].headers['x-city']).toBe('Casablanca');
    expect(norm[1].headers['content-type']).toBe('application/json');
    expect(norm[1].headers.link).toContain(CORE_CONTEXT_URL);
    expect(ld[1].headers['content-type']).toBe('application/ld+json');
    expect(ld[1].body['@context']).toBe(CORE_CONTEXT_URL);
  });
});

describe('throttling and periodic notifications', () => {
  it('throttling spaces notifications and coalesces the changes in between to the latest state', async () => {
    const type = `Throttled${paths}`;
    const p = path();
    await subscribe({ entities: [{ type }], throttling: 1, notification: { format: 'keyValues', ...endpoint(p) } });
    const id = uid(type);
    expect((await http.post('/entities', bin(id, 0, { type }))).status).toBe(201);
    await recv.waitFor(p, 1);
    for (let i = 1; i <= 5; i++) expect((await setFill(id, i)).status).toBe(204);
    const got = await recv.waitFor(p, 2, 5000);
    await settle(1500);
    expect(recv.at(p).length).toBe(2);
    expect(got[1].at - got[0].at).toBeGreaterThanOrEqual(900);
    expect(got[1].body.data).toEqual([{ id, type, fillingLevel: 5 }]);
  });

  it('timeInterval notifies the current state periodically, without changes', async () => {
    const type = `Periodic${paths}`;
    const p = path();
    const id = uid(type);
    expect((await http.post('/entities', bin(id, 7, { type }))).status).toBe(201);
    await subscribe({ entities: [{ type }], timeInterval: 1, notification: { format: 'keyValues', ...endpoint(p) } });
    const got = await recv.waitFor(p, 2, 6000);
    for (const n of got) expect(n.body.data).toEqual([{ id, type, fillingLevel: 7 }]);
    expect(got[1].at - got[0].at).toBeGreaterThanOrEqual(800);
  });
});

describe('delivery', () => {
  it('retries a receiver that answers 500, marks the subscription failed, and recovers when it answers', async () => {
    const type = `Flaky${paths}`;
    const p = path();
    let failing = true;
    recv.behave({ statusFor: (reqPath) => (reqPath === p && failing ? 500 : 204) });
    const sid = await subscribe({ entities: [{ type }], notification: { format: 'keyValues', ...endpoint(p) } });
    const id = uid(type);
    expect((await http.post('/entities', bin(id, 1, { type }))).status).toBe(201);
    for (let i = 2; i <= 3; i++) expect((await setFill(id, i)).status).toBe(204);
    const status = async () => (await http.get(`/subscriptions/${enc(sid)}`)).body.notification;
    let s = await status();
    const deadline = Date.now() + 10_000;
    while (s.status !== 'failed' && Date.now() < deadline) {
      await settle(100);
      s = await status();
    }
    expect(s.status).toBe('failed');
    expect(s.timesFailed).toBeGreaterThanOrEqual(3);
    expect(s.lastFailure).toBeDefined();
    expect(recv.at(p)).toEqual([]);

    failing = false;
    await until('all three changes', 10_000, () => (datas(recv.at(p)).length >= 3 ? true : undefined));
    expect(datas(recv.at(p)).map((d: any) => d.fillingLevel)).toEqual([1, 2, 3]);
    await settle(200);
    s = await status();
    expect(s.status, JSON.stringify(s)).toBe('ok');
    expect(Date.parse(s.lastSuccess)).toBeGreaterThan(Date.parse(s.lastFailure));
    recv.behave({});
  });

  it('a slow receiver does not delay the others', async () => {
    const slow = await httpReceiver();
    try {
      slow.behave({ delayMs: 3000 });
      const type = `Slow${paths}`;
      const p = path();
      await subscribe({ entities: [{ type }], notification: { endpoint: { uri: `${slow.base}/slow` } } });
      await subscribe({ entities: [{ type }], notification: { endpoint: { uri: 'http://127.0.0.1:9/unreachable' } } });
      await subscribe({ entities: [{ type }], notification: endpoint(p) });
      const id = uid(type);
      const t0 = Date.now();
      expect((await http.post('/entities', bin(id, 1, { type }))).status).toBe(201);
      for (let i = 2; i <= 5; i++) expect((await setFill(id, i)).status).toBe(204);
      await until('five notifications at the fast receiver', 5000, () => (datas(recv.at(p)).length >= 5 ? true : undefined));
      expect(Date.now() - t0).toBeLessThan(2500);
      expect(slow.received.length).toBe(0);
    } finally {
      await slow.close();
    }
  });
});

describe('MQTT endpoint', () => {
  it('publishes {metadata, body} to the topic with the QoS asked for', async () => {
    const type = `Mqtt${paths}`;
    const topic = `madina/test/${process.pid}/${paths}`;
    const sub = await mqttReceiver(topic);
    try {
      const broker = new URL(MQTT_URL);
      await subscribe({
        entities: [{ type }],
        notification: {
          format: 'keyValues',
          endpoint: {
            uri: `mqtt://${broker.host}/${topic}`,
            notifierInfo: [
              { key: 'MQTT-QoS', value: '1' },
              { key: 'MQTT-Version', value: 'mqtt3.1.1' },
            ],
            receiverInfo: [{ key: 'X-Feed', value: 'bins' }],
          },
        },
      });
      const id = uid(type);
      expect((await http.post('/entities', bin(id, 3, { type }))).status).toBe(201);
      expect((await setFill(id, 4)).status).toBe(204);
      const msgs = await sub.waitFor(2);
      expect(msgs.map((m) => m.topic)).toEqual([topic, topic]);
      expect(msgs[0].qos).toBe(1);
      expect(msgs[0].payload.metadata).toMatchObject({ 'Content-Type': 'application/json', 'X-Feed': 'bins' });
      expect(msgs.map((m) => m.payload.body.data[0].fillingLevel)).toEqual([3, 4]);
      expect(msgs[0].payload.body.type).toBe('Notification');
    } finally {
      await sub.close();
    }
  });
});

describe('live feed (SSE at /api/live)', () => {
  it('streams committed changes filtered like a subscription', async () => {
    const type = `Live${paths}`;
    const sse = await sseClient(`${server.url}/api/live?type=${type}&q=${enc('fillingLevel>50')}&format=keyValues`);
    try {
      expect(sse.status).toBe(200);
      expect(sse.contentType).toMatch(/^text\/event-stream/);
      const id = uid(type);
      expect((await http.post('/entities', bin(id, 10, { type }))).status).toBe(201);
      expect((await setFill(id, 60)).status).toBe(204);
      expect((await http.post('/entities', bin(uid('Other'), 99))).status).toBe(201);
      expect((await setFill(id, 70)).status).toBe(204);
      const events = await sse.waitFor(2);
      await settle(300);
      expect(sse.events.length).toBe(2);
      expect(events.map((e) => e.data.data[0].fillingLevel)).toEqual([60, 70]);
      expect(events[0].event).toBe('notification');
      expect(events[0].data.triggerReason).toBe('entityUpdated');

      // Last-Event-ID: a reconnecting client gets what it missed.
      const again = await sseClient(`${server.url}/api/live?type=${type}&format=keyValues`, { 'Last-Event-ID': events[0].id! });
      try {
        await again.waitFor(1);
        expect(again.events.map((e) => e.data.data[0].fillingLevel)).toEqual([70]);
      } finally {
        again.close();
      }
    } finally {
      sse.close();
    }
  });

  it('answers a bad filter with RFC 9457 problem+json', async () => {
    const r = await sseClient(`${server.url}/api/live?q=${enc('fillingLevel>')}`);
    expect(r.status).toBe(400);
    expect(r.contentType).toMatch(/^application\/problem\+json/);
    expect(r.body).toMatchObject({ type: '/problems/live/invalid-filter', status: 400 });
  });
});
