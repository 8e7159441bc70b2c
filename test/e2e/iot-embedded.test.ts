/** Black box: the IoT agent with its embedded MQTT broker (aedes on a free MQTT_PORT); exact rejection counters. */
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/server.ts';
import { connectDevice, eventually, iotCall, iotCases, iotServer, uniq } from './iot-cases.ts';

const ctx = iotServer(async () => {
  const port = await freePort();
  return { env: { MQTT_PORT: String(port), MADINA_IOT_MAX_PAYLOAD: '2048' }, mqttUrl: `mqtt://127.0.0.1:${port}` };
});

iotCases(ctx);

describe('bad input on the embedded broker', () => {
  it('rejects and counts malformed JSON, unknown apikeys, wrong types and oversize payloads, and keeps serving', async () => {
    const http = (m: string, p: string, b?: unknown, h?: Record<string, string>) => iotCall(ctx.server.url, m, p, b, h);
    const tenant = uniq('t');
    const apikey = uniq('k');
    await http('POST', '/iot/groups', { groups: [{ apikey, resource: '/iot/json', entity_type: 'AirQualityObserved', attributes: [{ object_id: 'no2', name: 'NO2', type: 'Number' }] }] }, { 'fiware-service': tenant });
    const before = (await http('GET', '/api/iot/stats')).body;
    const dev = await connectDevice(ctx.mqttUrl);
    try {
      await dev.publishAsync(`/json/${apikey}/aq1/attrs`, '{"no2": ', { qos: 1 });
      await dev.publishAsync(`/json/${uniq('nokey')}/aq1/attrs`, '{"no2": 1}', { qos: 1 });
      await dev.publishAsync(`/json/${apikey}/aq1/attrs`, '{"no2": "high"}', { qos: 1 });
      await dev.publishAsync(`/json/${apikey}/aq1/attrs`, JSON.stringify({ no2: 1, pad: 'x'.repeat(3000) }), { qos: 1 });
      await dev.publishAsync(`/json/${apikey}/aq1/attrs`, '[]', { qos: 1 });
      await dev.publishAsync(`/json/${apikey}/aq1/attrs`, '{"no2": 41}', { qos: 1 });
    } finally {
      await dev.endAsync();
    }
    const e = await eventually(async () => {
      const r = await http('GET', `/ngsi-ld/v1/entities/${encodeURIComponent('urn:ngsi-ld:AirQualityObserved:aq1')}`, undefined, { 'NGSILD-Tenant': tenant });
      return r.status === 200 && r.body.NO2?.value === 41 ? r.body : undefined;
    });
    expect(e.NO2.value).toBe(41);
    const after = await eventually(async () => {
      const s = (await http('GET', '/api/iot/stats')).body;
      return s.accepted > before.accepted ? s : undefined;
    });
    const delta = (r: string) => (after.rejected.byReason[r] ?? 0) - (before.rejected.byReason[r] ?? 0);
    expect(delta('malformed-json')).toBe(1);
    expect(delta('unknown-apikey')).toBe(1);
    expect(delta('wrong-type')).toBe(1);
    expect(delta('oversize')).toBe(1);
    expect(delta('not-an-object')).toBe(1);
    expect(after.received - before.received).toBe(6);
    expect(after.accepted - before.accepted).toBe(1);
  });

  it('lists devices silent longer than their expected period', async () => {
    const http = (m: string, p: string, b?: unknown, h?: Record<string, string>) => iotCall(ctx.server.url, m, p, b, h);
    const tenant = uniq('t');
    const h = { 'fiware-service': tenant };
    await http('POST', '/iot/groups', { groups: [{ apikey: uniq('k'), resource: '/iot/json', entity_type: 'TrafficFlowObserved' }] }, h);
    await http('POST', '/iot/devices', { devices: [{ device_id: 'quick', expected_period: 1 }, { device_id: 'slow', expected_period: 3600 }] }, h);
    const silent = await eventually(async () => {
      const r = await http('GET', '/api/iot/devices?silent=true', undefined, { 'NGSILD-Tenant': tenant });
      return r.body.total === 1 ? r.body : undefined;
    }, 5000);
    expect(silent.devices.map((d: any) => d.deviceId)).toEqual(['quick']);
    expect(silent.devices[0]).toMatchObject({ entityId: 'urn:ngsi-ld:TrafficFlowObserved:quick', expectedPeriodS: 1, lastSeen: null, silent: true });
    const all = await http('GET', '/api/iot/devices', undefined, { 'NGSILD-Tenant': tenant });
    expect(all.body.total).toBe(2);
  });
});
