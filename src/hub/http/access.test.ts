import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestServer } from '../../../test/support/test-server.ts';
import { HubClient } from '../client/hub-client.ts';
import { inProcessTransport } from '../client/transports.ts';

const lamp = (n: number) => ({ id: `urn:ngsi-ld:Streetlight:access-${n}`, type: 'Streetlight', powerState: { type: 'Property', value: 'on' } });

/** A server under the policy, with an API key holding the operator role and one holding only planner. */
async function serverWithKeys(policy: 'write' | 'all') {
  const s = await buildTestServer({ MADINA_HUB_AUTH: policy });
  const operatorKey = (await s.madina.auth.createApiKey({ name: 'ops', roles: ['operator'] }, null)).key;
  const plannerKey = (await s.madina.auth.createApiKey({ name: 'plans', roles: ['planner'] }, null)).key;
  return { s, operatorKey, plannerKey };
}

describe('hub access policy MADINA_HUB_AUTH=write', () => {
  let s: Awaited<ReturnType<typeof buildTestServer>>;
  let operatorKey: string;
  let plannerKey: string;

  beforeAll(async () => {
    ({ s, operatorKey, plannerKey } = await serverWithKeys('write'));
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

describe('hub access policy MADINA_HUB_AUTH=all', () => {
  let s: Awaited<ReturnType<typeof buildTestServer>>;
  let operatorKey: string;
  let plannerKey: string;
  let base: string;

  beforeAll(async () => {
    ({ s, operatorKey, plannerKey } = await serverWithKeys('all'));
    base = await s.madina.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('refuses anonymous reads of the hub', async () => {
    expect((await s.madina.app.inject({ method: 'GET', url: '/ngsi-ld/v1/entities?type=Streetlight' })).statusCode).toBe(401);
  });

  it('guards the live feed like the hub reads: 401 anonymous, 403 without the role (RFC 9457), a stream for an operator', async () => {
    const anonymous = await s.madina.app.inject({ method: 'GET', url: '/api/live?type=Streetlight' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['content-type']).toContain('application/problem+json');
    const planner = await s.madina.app.inject({ method: 'GET', url: '/api/live?type=Streetlight', headers: { 'x-api-key': plannerKey } });
    expect(planner.statusCode).toBe(403);
    const ac = new AbortController();
    const res = await fetch(`${base}/api/live?type=Streetlight`, { headers: { 'x-api-key': operatorKey }, signal: ac.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    ac.abort();
  });
});
