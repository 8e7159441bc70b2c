import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestServer } from '../../../test/support/test-server.ts';
import { open311Validators } from '../../../test/fixtures/open311/open311-schemas.ts';
import type { Madina } from '../../server.ts';

// Sidi Belyout, Casablanca (commune 006141010, arrondissement 061410107).
const AT = { lat: 33.5928, lon: -7.6189 };
const M = 1 / 111_195; // a metre of latitude in degrees

let madina: Madina;
let close: () => Promise<void>;
let key: string;
let operatorToken: string;
const v = open311Validators();

const form = (fields: Record<string, string | string[]>) => {
  const p = new URLSearchParams();
  for (const [k, val] of Object.entries(fields)) for (const x of Array.isArray(val) ? val : [val]) p.append(k, x);
  return p.toString();
};
const post = (fields: Record<string, string | string[]>, apiKey = key) =>
  madina.app.inject({ method: 'POST', url: '/open311/v2/requests.json', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form({ api_key: apiKey, ...fields }) });

beforeAll(async () => {
  // The module reads its settings from the process environment (this file runs in its own worker).
  Object.assign(process.env, { MADINA_CITIZEN_RATE_IP: '0', MADINA_CITIZEN_RATE_READ: '0' });
  const s = await buildTestServer({ MADINA_SEED: 'off' });
  madina = s.madina;
  close = s.close;
  await madina.app.ready();
  key = (await madina.auth.createApiKey({ name: 'app', roles: ['open311-client'] }, null)).key;
  await madina.auth.createUser({ username: 'casa-op', password: 'operator-pass-1', roles: ['operator'], communes: ['006141010'] });
  operatorToken = (await madina.auth.login('casa-op', 'operator-pass-1', 'test')).token;
  // A streetlight 12 m north of the report point, another 40 m south.
  const res = await madina.app.inject({
    method: 'POST',
    url: '/ngsi-ld/v1/entityOperations/upsert',
    headers: { 'content-type': 'application/json' },
    payload: [
      { id: 'urn:ngsi-ld:Streetlight:near', type: 'Streetlight', location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [AT.lon, AT.lat + 12 * M] } } },
      { id: 'urn:ngsi-ld:Streetlight:far', type: 'Streetlight', location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [AT.lon, AT.lat - 40 * M] } } },
    ],
  });
  expect(res.statusCode).toBeLessThan(300);
});
afterAll(async () => close?.());

describe('Open311 on the in-process server', () => {
  it('lists services and definitions that validate against the Open311 schemas', async () => {
    const services = (await madina.app.inject('/open311/v2/services.json?locale=en')).json();
    expect(v.services(services)).toEqual([]);
    expect(services.find((s: any) => s.service_code === 'eclairage-panne')).toMatchObject({ service_name: 'Streetlight out', group: 'Street lighting', metadata: true });
    const def = (await madina.app.inject('/open311/v2/services/dechets-depot-sauvage.json')).json();
    expect(v.serviceDefinition(def)).toEqual([]);
    expect(def.attributes.map((a: any) => a.datatype)).toEqual(['multivaluelist', 'number']);
  });

  it('files a report placed in its arrondissement and linked to the nearest streetlight', async () => {
    const res = await post({ service_code: 'eclairage-panne', lat: String(AT.lat), long: String(AT.lon), 'attribute[fault]': 'off', description: 'Dark since Monday', email: 'amina@example.ma' });
    expect(res.statusCode).toBe(201);
    const [created] = res.json();
    const detail = (await madina.app.inject({ url: `/api/citizen/requests/${created.service_request_id}`, headers: { authorization: `Bearer ${operatorToken}` } })).json();
    expect(detail).toMatchObject({ communeCode: '006141010', arrondissementCode: '061410107', assetId: 'urn:ngsi-ld:Streetlight:near', contact: { email: 'amina@example.ma' } });
    expect(detail.assetDistanceM).toBeCloseTo(12, 0);
    const pub = await madina.app.inject(`/open311/v2/requests/${created.service_request_id}.json`);
    expect(v.requests(pub.json())).toEqual([]);
    expect(pub.body).not.toContain('amina');
    expect(pub.json()[0]).toMatchObject({ status: 'open', status_notes: 'Submitted', agency_responsible: 'Commune Casablanca – Arrondissement Sidi Belyout – Service de l’éclairage public' });
  });

  it('links a report 20 m away to the open one as a duplicate, and the duplicate follows it', async () => {
    const [first] = (await post({ service_code: 'mobilier-banc', lat: String(AT.lat + 100 * M), long: String(AT.lon) })).json();
    const [second] = (await post({ service_code: 'mobilier-banc', lat: String(AT.lat + 120 * M), long: String(AT.lon) })).json();
    const [other] = (await post({ service_code: 'mobilier-banc', lat: String(AT.lat + 140 * M), long: String(AT.lon) })).json(); // 40 m from the first
    expect(second.service_notice).toContain(`demande ${first.service_request_id}`);
    expect(other.service_notice).not.toContain('déjà été signalé');
    const t = await madina.app.inject({
      method: 'POST',
      url: `/api/citizen/requests/${first.service_request_id}/transition`,
      headers: { authorization: `Bearer ${operatorToken}` },
      payload: { state: 'fixed', note: 'New slats fitted' },
    });
    expect(t.statusCode).toBe(200);
    const [dup] = (await madina.app.inject(`/open311/v2/requests/${second.service_request_id}.json`)).json();
    expect(dup).toMatchObject({ status: 'closed', status_notes: `Duplicate of service request ${first.service_request_id}. Fixed: New slats fitted` });
  });

  it('refuses bad input with the Open311 error array and stores nothing', async () => {
    const before = (await madina.db.query<{ n: string }>('SELECT count(*) AS n FROM citizen_requests')).rows[0].n;
    const cases: [Record<string, string | string[]>, number, RegExp][] = [
      [{ lat: '33.59', long: '-7.61' }, 400, /service_code is required/],
      [{ service_code: 'mobilier-banc' }, 400, /location is required/],
      [{ service_code: 'jetpack', lat: '33.59', long: '-7.61' }, 400, /service_code/],
      [{ service_code: 'eclairage-panne', lat: '33.59', long: '-7.61', 'attribute[fault]': 'melted' }, 400, /"melted" is not in the list/],
      [{ service_code: 'mobilier-banc', lat: '33.59', long: '-7.61', description: 'x'.repeat(4001) }, 400, /4,000/],
      [{ service_code: 'mobilier-banc', lat: '34.02', long: '-6.83' }, 400, /outside the Casablanca-Settat region/],
      [{ service_code: 'mobilier-banc', lat: '33.59', long: '-7.61', jurisdiction_id: '999999999' }, 404, /jurisdiction_id/],
    ];
    for (const [fields, status, text] of cases) {
      const res = await post(fields);
      expect(res.statusCode, JSON.stringify(fields).slice(0, 80)).toBe(status);
      const body = res.json();
      expect(body).toHaveLength(1);
      expect(body[0].code).toBe(status);
      expect(body[0].description).toMatch(text);
    }
    const noKey = await post({ service_code: 'mobilier-banc', lat: '33.59', long: '-7.61' }, 'wrong');
    expect(noKey.statusCode).toBe(403);
    expect(noKey.json()).toEqual([{ code: 403, description: 'api_key was not provided or is not valid' }]);
    const after = (await madina.db.query<{ n: string }>('SELECT count(*) AS n FROM citizen_requests')).rows[0].n;
    expect(after).toBe(before);
  });

  it('mirrors requests to the hub without personal data, and publishes indicators', async () => {
    // Sync and indicators run after each change; wait for them through the public hub API.
    let entities: any[] = [];
    for (let i = 0; i < 50 && entities.length < 4; i++) {
      entities = (await madina.app.inject('/ngsi-ld/v1/entities?type=Open311ServiceRequest&options=keyValues&limit=100')).json();
      if (entities.length < 4) await new Promise((r) => setTimeout(r, 100));
    }
    expect(entities).toHaveLength(4);
    expect(JSON.stringify(entities)).not.toMatch(/amina|Dark since Monday/);
    const lamp = entities.find((e) => e.service_code === 'eclairage-panne');
    expect(lamp).toMatchObject({ status: 'open', jurisdiction_id: '006141010', refAsset: 'urn:ngsi-ld:Streetlight:near', scope: '/MA-06/006141010/061410107' });
    let kpis: any[] = [];
    for (let i = 0; i < 50 && !kpis.length; i++) {
      kpis = (await madina.app.inject(`/ngsi-ld/v1/entities?type=KeyPerformanceIndicator&q=${encodeURIComponent('process=="citizen-reports:reports-per-10k"')}&options=keyValues&limit=100`)).json();
      if (!kpis.length) await new Promise((r) => setTimeout(r, 100));
    }
    const all = kpis.find((k) => k.serviceCategory === 'all' && k.communeCode === '006141010');
    // 3 reports that are not duplicates (the lamp, the bench and the bench 40 m away), Casablanca's 2024 population from the shipped census.
    const pop = JSON.parse((await import('node:fs')).readFileSync(new URL('../../../data/morocco/casablanca-settat-communes.geojson', import.meta.url), 'utf8')).features.find((f: any) => f.properties.code === '006141010').properties.population_2024;
    expect(all.reportCount).toBe(3);
    expect(all.kpiValue).toBeCloseTo((3 / pop) * 10_000, 3);
    const dup = entities.find((e) => e.refDuplicateOf);
    expect(dup.workflowState).toBe('duplicate');
  });
});
