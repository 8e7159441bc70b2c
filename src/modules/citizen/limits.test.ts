import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestServer } from '../../../test/support/test-server.ts';
import { HubClient } from '../../hub/client/hub-client.ts';
import { inProcessTransport } from '../../hub/client/transports.ts';
import { createLogger } from '../../platform/log.ts';
import type { Madina } from '../../server.ts';
import { citizenConfig } from './config.ts';
import { CitizenPlaces } from './places.ts';
import { CitizenService } from './service.ts';
import { CitizenStore } from './store.ts';

let madina: Madina;
let close: () => Promise<void>;

beforeAll(async () => {
  // The module reads its settings from the process environment (this file runs in its own worker).
  Object.assign(process.env, { MADINA_CITIZEN_RATE_IP: '5', MADINA_CITIZEN_RATE_KEY: '2' });
  const s = await buildTestServer({ MADINA_SEED: 'off' });
  madina = s.madina;
  close = s.close;
  await madina.app.ready();
});
afterAll(async () => close?.());

const open311 = (apiKey: string) =>
  madina.app.inject({ method: 'POST', url: '/open311/v2/requests.json', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `api_key=${apiKey}&lat=33.59&long=-7.61` });

describe('abuse limits and demo key', () => {
  it('does not enable the demo key when demo data is off', async () => {
    expect((await open311('demo')).statusCode).toBe(403);
  });

  it('answers 429 with the Open311 error array past the per-key rate, then 429 problem+json past the per-address rate', async () => {
    const { key } = await madina.auth.createApiKey({ name: 'app', roles: ['open311-client'] }, null);
    // The demo-key call above used one token of this address's 5.
    expect((await open311(key)).statusCode).toBe(400);
    expect((await open311(key)).statusCode).toBe(400);
    const limited = await open311(key);
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toEqual([{ code: 429, description: expect.stringContaining('Too many requests') }]);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // 4 of 5 tokens of the address are used: one more form post, then 429.
    const web = () => madina.app.inject({ method: 'POST', url: '/api/citizen/reports', payload: { lat: 33.59, long: -7.61 } });
    expect((await web()).statusCode).toBe(400);
    const r = await web();
    expect(r.statusCode).toBe(429);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(r.json().type).toBe('/problems/citizen/too-many-requests');
  });
});

describe('retention of reporters’ contact details', () => {
  it('deletes contacts of requests closed longer ago than the retention, and keeps the others', async () => {
    const cfg = citizenConfig({ MADINA_CITIZEN_CONTACT_RETENTION_DAYS: '30', MADINA_CITIZEN_RATE_IP: '0' });
    const hub = new HubClient(inProcessTransport(madina.app));
    let now = new Date('2026-01-01T10:00:00Z');
    const svc = new CitizenService(madina.db, new CitizenStore(), hub, new CitizenPlaces(), cfg, createLogger('silent'), () => now);
    const file = (lat: number) =>
      svc.submit({ serviceCode: 'mobilier-banc', lat: String(lat), long: '-7.6189', attributes: {}, contact: { email: 'x@example.ma', phone: '0600000000' } }, { source: 'web', apiKeyId: null, lang: 'fr' });
    const a = await file(33.5928);
    const b = await file(33.5828);
    const admin = { kind: 'user' as const, id: 'u', name: 'admin', roles: ['administrator' as const], communes: ['*'] };
    await svc.transition(admin, a.service_request_id, { state: 'closed', note: 'Done' });
    now = new Date('2026-01-31T09:00:00Z'); // 29 days 23 h after closing: kept
    expect(await svc.purgeContacts()).toBe(0);
    now = new Date('2026-01-31T11:00:00Z'); // 30 days 1 h: deleted; b is still open: kept
    expect(await svc.purgeContacts()).toBe(1);
    const left = await madina.db.query<{ request_id: string }>('SELECT request_id FROM citizen_contacts ORDER BY request_id');
    expect(left.rows.map((r) => r.request_id)).toEqual([b.service_request_id]);
    await svc.stop();
  });
});
