import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestServer } from '../../../test/support/test-server.ts';
import { HubClient, HubClientError } from './hub-client.ts';
import { httpTransport, inProcessTransport } from './transports.ts';

// One suite, run against both transports: modules must not notice which one they have.
let server: Awaited<ReturnType<typeof buildTestServer>>;
let baseUrl: string;

beforeAll(async () => {
  server = await buildTestServer();
  baseUrl = await server.madina.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await server?.close();
});

describe.each([
  ['in-process', () => new HubClient(inProcessTransport(server.madina.app))],
  ['http', () => new HubClient(httpTransport(baseUrl))],
])('HubClient over %s', (name, makeClient) => {
  const tenant = `client-${name}`;
  const lamp = (n: number, power: number) => ({
    id: `urn:ngsi-ld:Streetlight:${name}:${n}`,
    type: 'Streetlight',
    powerState: { type: 'Property', value: power > 0 ? 'on' : 'off' },
    power: { type: 'Property', value: power, unitCode: 'WTT' },
    location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [-7.6 + n * 0.001, 33.58] } },
  });

  it('creates, reads back and queries entities', async () => {
    const hub = makeClient();
    await hub.createEntity(tenant, lamp(1, 60));
    const e = await hub.getEntity(tenant, lamp(1, 60).id, { format: 'keyValues' });
    expect(e).toEqual({
      id: lamp(1, 60).id,
      type: 'Streetlight',
      powerState: 'on',
      power: 60,
      location: { type: 'Point', coordinates: [-7.6 + 0.001, 33.58] },
    });
    expect(await hub.getEntity(tenant, 'urn:ngsi-ld:Streetlight:none')).toBeUndefined();
  });

  it('upserts in batches and pages through every match', async () => {
    const hub = makeClient();
    const lamps = Array.from({ length: 25 }, (_, i) => lamp(100 + i, i % 2 ? 0 : 150));
    const r = await hub.upsertEntities(tenant, lamps);
    expect(r.errors).toEqual([]);
    const on: string[] = [];
    for await (const e of hub.queryAll(tenant, { type: 'Streetlight', q: 'power>=150', format: 'keyValues' }, 4)) on.push(e.id);
    expect(on.sort()).toEqual(lamps.filter((_, i) => i % 2 === 0).map((l) => l.id).sort());
    const counted = await hub.queryEntities(tenant, { type: 'Streetlight', count: true, limit: 0 });
    expect(counted.total).toBe(26);
  });

  it('updates attributes and reports the ones it could not', async () => {
    const hub = makeClient();
    const id = lamp(1, 60).id;
    const notUpdated = await hub.updateAttributes(tenant, id, { power: { type: 'Property', value: 0 }, nothing: { type: 'Property', value: 1 } });
    expect(notUpdated).toEqual(['nothing']);
    expect((await hub.getEntity(tenant, id, { format: 'keyValues' }))?.power).toBe(0);
  });

  it('surfaces the hub problem details on errors', async () => {
    const hub = makeClient();
    const err = await hub.createEntity(tenant, { id: 'not a uri', type: 'X' }).catch((e) => e);
    expect(err).toBeInstanceOf(HubClientError);
    expect(err.status).toBe(400);
    expect(err.problem.type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
  });

  it('treats an unknown tenant as empty and deletes entities', async () => {
    const hub = makeClient();
    expect(await hub.queryEntities(`${tenant}-nobody`, { type: 'Streetlight' })).toEqual({ entities: [], total: undefined });
    expect(await hub.deleteEntity(tenant, lamp(1, 60).id)).toBe(true);
    expect(await hub.deleteEntity(tenant, lamp(1, 60).id)).toBe(false);
  });
});
