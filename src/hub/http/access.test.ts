import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestServer } from '../../../test/support/test-server.ts';
import { HubClient } from '../client/hub-client.ts';
import { inProcessTransport } from '../client/transports.ts';

const lamp = (n: number) => ({ id: `urn:ngsi-ld:Streetlight:access-${n}`, type: 'Streetlight', powerState: { type: 'Property', value: 'on' } });

describe('hub access policy MADINA_HUB_AUTH=write', () => {
  let s: Awaited<ReturnType<typeof buildTestServer>>;
  let operatorKey: string;
  let plannerKey: string;

  beforeAll(async () => {
    s = await buildTestServer({ MADINA_HUB_AUTH: 'write' });
    operatorKey = (await s.madina.auth.createApiKey({ name: 'ops', roles: ['operator'] }, null)).key;
    plannerKey = (await s.madina.auth.createApiKey({ name: 'plans', roles: ['planner'] }, null)).key;
  });
  afterAll(async () => {
    await s?.close();
  });

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    s.madina.app.inject({ method: 'POST', url: '/ngsi-ld/v1/entities', payload: body as object, headers: { 'content-type': 'application/json', ...headers } });

  it('refuses anonymous writes with an NGSI-LD 401 and writes nothing', async () => {
    const r = await post(lamp(1));
    expect(r.statusCode).toBe(401);
    expect(r.json().type).toBe('https://uri.etsi.org/ngsi-ld/errors/Unauthorized');
    const get = await s.madina.app.inject({ method: 'GET', url: `/ngsi-ld/v1/entities/${lamp(1).id}` });
    expect(get.statusCode).toBe(404);
  });

  it('refuses a key without a writing role with 403', async () => {
    expect((await post(lamp(2), { 'x-api-key': plannerKey })).statusCode).toBe(403);
  });

  it('accepts an operator key, and reads stay open', async () => {
    expect((await post(lamp(3), { 'x-api-key': operatorKey })).statusCode).toBe(201);
    const get = await s.madina.app.inject({ method: 'GET', url: `/ngsi-ld/v1/entities/${lamp(3).id}` });
    expect(get.statusCode).toBe(200);
  });

  it('lets Madina modules write in-process as the system', async () => {
    const hub = new HubClient(inProcessTransport(s.madina.app));
    await hub.createEntity('', lamp(4));
    expect((await hub.getEntity('', lamp(4).id))?.id).toBe(lamp(4).id);
  });

  it('does not accept a forged internal header', async () => {
    expect((await post(lamp(5), { 'x-madina-internal': 'guess' })).statusCode).toBe(401);
  });
});
