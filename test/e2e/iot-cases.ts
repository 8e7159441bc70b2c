/**
 * Black-box cases of the IoT agent, run once per broker (embedded aedes, Mosquitto): provisioning with
 * the FIWARE IoT Agent API's own bodies, measures over MQTT and HTTP read back from the hub, commands.
 */
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../support/server.ts';

export interface IotCtx {
  server: TestServer;
  mqttUrl: string;
}

export const uniq = (p: string) => `${p}${randomUUID().replace(/-/g, '').slice(0, 10)}`;

export async function iotCall(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, body: json, text, headers: res.headers };
}

/** Polls until `check` returns a value (not undefined) or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function connectDevice(url: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, { clientId: uniq('dev-'), reconnectPeriod: 0 });
}

/** Starts a server for the cases; `env(port)` gives the broker settings. */
export function iotServer(env: () => Promise<{ env: Record<string, string>; mqttUrl: string }>): IotCtx {
  const ctx = {} as IotCtx;
  beforeAll(async () => {
    const e = await env();
    ctx.server = await startServer({ env: e.env });
    ctx.mqttUrl = e.mqttUrl;
  });
  afterAll(async () => {
    await ctx.server?.cleanup();
  });
  return ctx;
}

export function iotCases(ctx: IotCtx) {
  const http = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => iotCall(ctx.server.url, method, path, body, headers);
  const entity = (tenant: string, id: string) =>
    http('GET', `/ngsi-ld/v1/entities/${encodeURIComponent(id)}?options=normalized`, undefined, tenant ? { 'NGSILD-Tenant': tenant } : {});
  /** The entity once `ready(entity)` holds. */
  const entityWhen = (tenant: string, id: string, ready: (e: any) => boolean) =>
    eventually(async () => {
      const r = await entity(tenant, id);
      return r.status === 200 && ready(r.body) ? r.body : undefined;
    });

  describe('provisioning API (FIWARE IoT Agent JSON)', () => {
    it('creates a config group with the legacy /iot/services body and lists it', async () => {
      const service = uniq('svc');
      const apikey = uniq('key');
      const h = { 'fiware-service': service, 'fiware-servicepath': '/' };
      const body = { services: [{ apikey, cbroker: 'http://orion:1026', entity_type: 'Thing', resource: '/iot/json' }] };
      expect((await http('POST', '/iot/services', body, h)).status).toBe(201);
      const list = await http('GET', '/iot/services', undefined, h);
      expect(list.status).toBe(200);
      expect(list.body.count).toBe(1);
      expect(list.body.services[0]).toMatchObject({ apikey, resource: '/iot/json', entity_type: 'Thing', service, subservice: '/' });
      const groups = await http('GET', '/iot/groups', undefined, h);
      expect(groups.body).toMatchObject({ count: 1, groups: [{ apikey }] });
    });

    it('answers a duplicate group and a duplicate device with the FIWARE error body', async () => {
      const h = { 'fiware-service': uniq('svc') };
      const apikey = uniq('key');
      expect((await http('POST', '/iot/groups', { groups: [{ apikey, resource: '/iot/json', entity_type: 'Bin' }] }, h)).status).toBe(201);
      const dup = await http('POST', '/iot/groups', { groups: [{ apikey, resource: '/iot/json' }] }, h);
      expect(dup.status).toBe(409);
      expect(dup.body.name).toBe('DUPLICATE_GROUP');
      expect(typeof dup.body.message).toBe('string');
      expect((await http('POST', '/iot/devices', { devices: [{ device_id: 'b1', entity_type: 'Bin' }] }, h)).status).toBe(201);
      const again = await http('POST', '/iot/devices', { devices: [{ device_id: 'b1' }] }, h);
      expect(again.status).toBe(409);
      expect(again.body.name).toBe('DUPLICATE_DEVICE_ID');
    });

    it('shows a provisioned device with its resolved entity name, and 404s an unknown one', async () => {
      const tenant = uniq('svc');
      const h = { 'fiware-service': tenant.toUpperCase(), 'fiware-servicepath': '/garden' };
      const device = {
        device_id: 'motion001',
        entity_name: 'urn:ngsi-ld:Motion:001',
        entity_type: 'Motion',
        timezone: 'Africa/Casablanca',
        transport: 'MQTT',
        attributes: [{ object_id: 'c', name: 'count', type: 'Integer' }],
        static_attributes: [{ name: 'refStore', type: 'Relationship', value: 'urn:ngsi-ld:Store:001' }],
      };
      expect((await http('POST', '/iot/devices', { devices: [device] }, h)).status).toBe(201);
      const got = await http('GET', '/iot/devices/motion001', undefined, h);
      expect(got.status).toBe(200);
      expect(got.body).toMatchObject({ ...device, service: tenant, service_path: '/garden' });
      const list = await http('GET', '/iot/devices', undefined, h);
      expect(list.body.count).toBe(1);
      // fiware-service is lowercased into the hub tenant; the entity exists with its static attribute.
      const e = await entity(tenant, 'urn:ngsi-ld:Motion:001');
      expect(e.status).toBe(200);
      expect(e.body.refStore).toMatchObject({ type: 'Relationship', object: 'urn:ngsi-ld:Store:001' });
      const missing = await http('GET', '/iot/devices/nope', undefined, h);
      expect(missing.status).toBe(404);
      expect(missing.body.name).toBe('DEVICE_NOT_FOUND');
    });

    it('rejects a body that is not the FIWARE shape with WRONG_SYNTAX', async () => {
      const r = await http('POST', '/iot/devices', { device_id: 'x' }, { 'fiware-service': uniq('svc') });
      expect(r.status).toBe(400);
      expect(r.body.name).toBe('WRONG_SYNTAX');
      const r2 = await http('POST', '/iot/groups', { groups: [{ resource: '/iot/json' }] });
      expect(r2.status).toBe(400);
    });

    it('updates and deletes a device and a group', async () => {
      const h = { 'fiware-service': uniq('svc') };
      const apikey = uniq('key');
      await http('POST', '/iot/groups', { groups: [{ apikey, resource: '/iot/json', entity_type: 'Meter' }] }, h);
      await http('POST', '/iot/devices', { devices: [{ device_id: 'm1' }] }, h);
      expect((await http('PUT', '/iot/devices/m1', { attributes: [{ object_id: 'e', name: 'energy', type: 'Number' }] }, h)).status).toBe(204);
      expect((await http('GET', '/iot/devices/m1', undefined, h)).body.attributes).toEqual([{ object_id: 'e', name: 'energy', type: 'Number' }]);
      expect((await http('PUT', `/iot/groups?resource=/iot/json&apikey=${apikey}`, { entity_type: 'EnergyMeter' }, h)).status).toBe(204);
      expect((await http('GET', '/iot/groups', undefined, h)).body.groups[0].entity_type).toBe('EnergyMeter');
      expect((await http('DELETE', '/iot/devices/m1', undefined, h)).status).toBe(204);
      expect((await http('GET', '/iot/devices/m1', undefined, h)).status).toBe(404);
      expect((await http('DELETE', `/iot/groups?resource=/iot/json&apikey=${apikey}`, undefined, h)).status).toBe(204);
      expect((await http('GET', '/iot/groups', undefined, h)).body).toEqual({ count: 0, groups: [] });
    });

    it('answers /iot/about', async () => {
      const r = await http('GET', '/iot/about');
      expect(r.status).toBe(200);
      expect(r.body).toHaveProperty('libVersion');
    });
  });

  describe('southbound', () => {
    let dev: MqttClient;
    beforeAll(async () => {
      dev = await connectDevice(ctx.mqttUrl);
    });
    afterAll(async () => {
      await dev?.endAsync();
    });

    /** A tenant with one bin-sensor group (fill level in percent, temperature) and one device. */
    async function binTenant(groupExtra: Record<string, unknown> = {}) {
      const tenant = uniq('t');
      const apikey = uniq('k');
      const h = { 'fiware-service': tenant };
      const group = {
        apikey,
        resource: '/iot/json',
        entity_type: 'WasteContainer',
        attributes: [
          { object_id: 'f', name: 'fillingLevel', type: 'Number', metadata: { unitCode: { type: 'Text', value: 'P1' } } },
          { object_id: 't', name: 'temperature', type: 'Float', metadata: { unitCode: { type: 'Text', value: 'CEL' } } },
        ],
        static_attributes: [{ name: 'location', type: 'geo:point', value: '33.5731,-7.5898' }],
        ...groupExtra,
      };
      expect((await http('POST', '/iot/groups', { groups: [group] }, h)).status).toBe(201);
      expect((await http('POST', '/iot/devices', { devices: [{ device_id: 'bin1', entity_name: 'urn:ngsi-ld:WasteContainer:bin1' }] }, h)).status).toBe(201);
      return { tenant, apikey, id: 'urn:ngsi-ld:WasteContainer:bin1' };
    }

    it('turns an MQTT measure into typed NGSI-LD attributes with observedAt and unitCode', async () => {
      const { tenant, apikey, id } = await binTenant();
      await dev.publishAsync(`/json/${apikey}/bin1/attrs`, JSON.stringify({ f: '72', t: 24.5, TimeInstant: '2026-03-01T10:00:00Z' }), { qos: 1 });
      const e = await entityWhen(tenant, id, (x) => x.fillingLevel?.value === 72);
      expect(e.type).toBe('WasteContainer');
      expect(e.fillingLevel).toMatchObject({ type: 'Property', value: 72, unitCode: 'P1', observedAt: '2026-03-01T10:00:00.000Z' });
      expect(e.temperature).toMatchObject({ type: 'Property', value: 24.5, unitCode: 'CEL', observedAt: '2026-03-01T10:00:00.000Z' });
      expect(e.location).toMatchObject({ type: 'GeoProperty', value: { type: 'Point', coordinates: [-7.5898, 33.5731] } });
    });

    it('reads the single-attribute topic and the legacy topic without /json', async () => {
      const { tenant, apikey, id } = await binTenant();
      await dev.publishAsync(`/json/${apikey}/bin1/attrs/f`, '55', { qos: 1 });
      await entityWhen(tenant, id, (x) => x.fillingLevel?.value === 55);
      await dev.publishAsync(`/${apikey}/bin1/attrs`, JSON.stringify({ f: 56 }), { qos: 1 });
      await entityWhen(tenant, id, (x) => x.fillingLevel?.value === 56);
    });

    it('autoprovisions an unknown device of a group and creates its entity', async () => {
      const { tenant, apikey } = await binTenant();
      await dev.publishAsync(`/json/${apikey}/bin-new/attrs`, JSON.stringify({ f: 10 }), { qos: 1 });
      const e = await entityWhen(tenant, 'urn:ngsi-ld:WasteContainer:bin-new', (x) => x.fillingLevel?.value === 10);
      expect(e.location.value.coordinates).toEqual([-7.5898, 33.5731]);
      const d = await http('GET', '/iot/devices/bin-new', undefined, { 'fiware-service': tenant });
      expect(d.status).toBe(200);
      expect(d.body.entity_type).toBe('WasteContainer');
    });

    it('does not autoprovision when the group says so', async () => {
      const { tenant, apikey } = await binTenant({ autoprovision: false });
      await dev.publishAsync(`/json/${apikey}/stranger/attrs`, JSON.stringify({ f: 10 }), { qos: 1 });
      // A later message of a known device is visible, so the stranger's was processed before it.
      await dev.publishAsync(`/json/${apikey}/bin1/attrs`, JSON.stringify({ f: 11 }), { qos: 1 });
      await entityWhen(tenant, 'urn:ngsi-ld:WasteContainer:bin1', (x) => x.fillingLevel?.value === 11);
      expect((await entity(tenant, 'urn:ngsi-ld:WasteContainer:stranger')).status).toBe(404);
      expect((await http('GET', '/iot/devices/stranger', undefined, { 'fiware-service': tenant })).status).toBe(404);
    });

    it('accepts HTTP measures on /iot/json?k=&i= and answers once they are in the hub', async () => {
      const { tenant, apikey, id } = await binTenant();
      const r = await http('POST', `/iot/json?k=${apikey}&i=bin1`, { f: 33 });
      expect(r.status).toBe(200);
      expect((await entity(tenant, id)).body.fillingLevel.value).toBe(33);
      const unknown = await http('POST', `/iot/json?k=${uniq('nokey')}&i=bin1`, { f: 1 });
      expect(unknown.status).toBe(404);
      expect(unknown.body.name).toBe('DEVICE_GROUP_NOT_FOUND');
      const wrong = await http('POST', `/iot/json?k=${apikey}&i=bin1`, { f: 'full' });
      expect(wrong.status).toBe(400);
      expect((await entity(tenant, id)).body.fillingLevel.value).toBe(33);
    });

    it('never writes part of a message that has one wrong value', async () => {
      const { tenant, apikey, id } = await binTenant();
      await dev.publishAsync(`/json/${apikey}/bin1/attrs`, JSON.stringify({ f: 1, t: 10 }), { qos: 1 });
      await entityWhen(tenant, id, (x) => x.temperature?.value === 10);
      await dev.publishAsync(`/json/${apikey}/bin1/attrs`, JSON.stringify({ t: 99, f: 'not a number' }), { qos: 1 });
      await dev.publishAsync(`/json/${apikey}/bin1/attrs`, JSON.stringify({ f: 2 }), { qos: 1 });
      const e = await entityWhen(tenant, id, (x) => x.fillingLevel?.value === 2);
      expect(e.temperature.value).toBe(10);
    });
  });

  describe('commands', () => {
    it('publishes a command updated in the hub and records the device s answer', async () => {
      const tenant = uniq('t');
      const apikey = uniq('k');
      const h = { 'fiware-service': tenant };
      await http('POST', '/iot/groups', { groups: [{ apikey, resource: '/iot/json', entity_type: 'Streetlight' }] }, h);
      const device = { device_id: 'lamp1', entity_name: 'urn:ngsi-ld:Streetlight:lamp1', entity_type: 'Streetlight', transport: 'MQTT', commands: [{ name: 'switch', type: 'command' }] };
      expect((await http('POST', '/iot/devices', { devices: [device] }, h)).status).toBe(201);
      const e0 = await entity(tenant, device.entity_name);
      expect(e0.body.switch_status.value).toBe('UNKNOWN');

      const lamp = await connectDevice(ctx.mqttUrl);
      try {
        const received: { topic: string; payload: any }[] = [];
        lamp.on('message', (topic, payload) => {
          const cmd = JSON.parse(payload.toString());
          received.push({ topic, payload: cmd });
          void lamp.publishAsync(`/json/${apikey}/lamp1/cmdexe`, JSON.stringify({ switch: `switched ${cmd.switch}` }), { qos: 1 });
        });
        await lamp.subscribeAsync(`/${apikey}/lamp1/cmd`, { qos: 1 });

        // A client of the hub updates the command attribute (NGSI-LD Update Attributes).
        const patch = await http('PATCH', `/ngsi-ld/v1/entities/${encodeURIComponent(device.entity_name)}/attrs`, { switch: { type: 'Property', value: 'on' } }, {
          'NGSILD-Tenant': tenant,
        });
        expect(patch.status).toBe(204);
        const done = await entityWhen(tenant, device.entity_name, (x) => x.switch_status?.value === 'OK');
        expect(done.switch_info.value).toBe('switched on');
        expect(received).toEqual([{ topic: `/${apikey}/lamp1/cmd`, payload: { switch: 'on' } }]);

        // Madina's own API sends the same way.
        const sent = await http('POST', '/api/iot/commands', { deviceId: 'lamp1', command: 'switch', value: 'off' }, { 'NGSILD-Tenant': tenant });
        expect(sent.status).toBe(202);
        expect(sent.body).toMatchObject({ deviceId: 'lamp1', command: 'switch', status: 'PENDING' });
        await entityWhen(tenant, device.entity_name, (x) => x.switch_info?.value === 'switched off');
        expect(received.length).toBe(2);

        const bad = await http('POST', '/api/iot/commands', { deviceId: 'lamp1', command: 'explode' }, { 'NGSILD-Tenant': tenant });
        expect(bad.status).toBe(422);
        expect(bad.headers.get('content-type')).toContain('application/problem+json');
      } finally {
        await lamp.endAsync();
      }
    });
  });
}
