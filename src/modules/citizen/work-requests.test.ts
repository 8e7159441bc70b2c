/** /api/citizen/work-requests: internal work requests other modules open in-process (idempotent, validated). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestServer } from '../../../test/support/test-server.ts';
import { INTERNAL_HEADER } from '../../platform/auth/plugin.ts';
import type { Madina } from '../../server.ts';

// Sidi Belyout, Casablanca (commune 006141010).
const AT = { lat: 33.589, long: -7.633 };
let madina: Madina;
let close: () => Promise<void>;

const internal = (method: 'POST' | 'GET', url: string, body?: unknown) =>
  madina.app.inject({ method, url, headers: { [INTERNAL_HEADER]: madina.app.internalToken, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, payload: body === undefined ? undefined : JSON.stringify(body) });
const fault = { service_code: 'eclairage-panne', ...AT, description: 'Off at night (telemetry)', asset_id: 'urn:ngsi-ld:Streetlight:wr-1', source: 'lighting', external_ref: '41' };

beforeAll(async () => {
  const s = await buildTestServer({ MADINA_SEED: 'off' });
  madina = s.madina;
  close = s.close;
  await madina.app.ready();
});
afterAll(async () => close?.());

describe('internal work requests', () => {
  it('refuses callers that are neither the system nor an operator', async () => {
    const r = await madina.app.inject({ method: 'POST', url: '/api/citizen/work-requests', payload: fault });
    expect(r.statusCode).toBe(401);
    expect(r.headers['content-type']).toContain('application/problem+json');
  });

  it('opens one acknowledged request per external_ref, without contact, and gives it back when asked again', async () => {
    const first = await internal('POST', '/api/citizen/work-requests', fault);
    expect(first.statusCode).toBe(201);
    const wr = first.json();
    expect(wr).toMatchObject({ created: true, source: 'lighting', external_ref: '41', service_code: 'eclairage-panne', state: 'acknowledged', commune_code: '006141010', asset_id: fault.asset_id, duplicate_of: null });
    const again = await internal('POST', '/api/citizen/work-requests', { ...fault, description: 'seen again' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ created: false, service_request_id: wr.service_request_id });
    expect((await internal('GET', '/api/citizen/requests?service_code=eclairage-panne')).json().total).toBe(1);
    const detail = (await internal('GET', `/api/citizen/requests/${wr.service_request_id}`)).json();
    expect(detail).toMatchObject({ contact: null, source: 'lighting', externalRef: '41', assetId: fault.asset_id, description: 'Off at night (telemetry)' });
    expect((await internal('GET', '/api/citizen/work-requests/lighting/41')).json().service_request_id).toBe(wr.service_request_id);
    // Another reference at the same place is linked to the first as a duplicate.
    const other = (await internal('POST', '/api/citizen/work-requests', { ...fault, external_ref: '42' })).json();
    expect(other).toMatchObject({ created: true, state: 'duplicate', duplicate_of: wr.service_request_id });
  });

  it('moves the request to fixed with a public note when resolved, once', async () => {
    const r = await internal('POST', '/api/citizen/work-requests/lighting/41/resolve', { note: 'The lamp reports normally again.' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ state: 'fixed', note: 'The lamp reports normally again.' });
    const again = await internal('POST', '/api/citizen/work-requests/lighting/41/resolve', { note: 'again' });
    expect(again.json()).toMatchObject({ state: 'fixed', note: 'The lamp reports normally again.' });
    const track = (await madina.app.inject(`/api/citizen/reports/${r.json().service_request_id}`)).json();
    expect(track.history.map((h: { state: string }) => h.state)).toEqual(['acknowledged', 'fixed']);
    const missing = await internal('POST', '/api/citizen/work-requests/lighting/999/resolve', {});
    expect(missing.statusCode).toBe(404);
    expect(missing.json().type).toBe('/problems/citizen/request-not-found');
  });

  it('validates the body with RFC 9457 problems', async () => {
    const cases: [Record<string, unknown>, number, string][] = [
      [{ ...fault, external_ref: undefined }, 400, '/problems/api/validation-failed'],
      [{ ...fault, external_ref: 'has space' }, 400, '/problems/api/validation-failed'],
      [{ ...fault, source: 'web' }, 400, '/problems/api/validation-failed'],
      [{ ...fault, lat: 'north' }, 400, '/problems/api/validation-failed'],
      [{ ...fault, external_ref: '50', service_code: 'nope' }, 400, '/problems/citizen/service-code-not-found'],
      [{ ...fault, external_ref: '51', lat: 48.85, long: 2.35 }, 400, '/problems/citizen/outside-region'],
      [{ ...fault, external_ref: '52', attributes: { fault: 'exploded' } }, 400, '/problems/citizen/bad-attribute'],
    ];
    for (const [body, status, type] of cases) {
      const r = await internal('POST', '/api/citizen/work-requests', body);
      expect([r.statusCode, r.json().type], JSON.stringify(body)).toEqual([status, type]);
      expect(r.headers['content-type']).toContain('application/problem+json');
    }
    expect((await internal('GET', '/api/citizen/work-requests/lighting/50')).statusCode).toBe(404);
  });
});
