/**
 * Black box: Open311 GeoReport v2 as an Open311 app meets it — `madina start` in demo mode (the region seeded
 * at tiny scale, the `demo` key on), every method in .json and .xml, JSON validated against the Open311
 * organisation's schemas, XML read back and compared with JSON, errors as the standard's array.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open311Validators } from '../fixtures/open311/open311-schemas.ts';
import { freePort, startServer, type TestServer } from '../support/server.ts';
import { formBody, jpegWithGps, parseXml, plainOf, xmlToPlain } from './open311-support.ts';

let server: TestServer;
const v = open311Validators();
const V2 = () => `${server.url}/open311/v2`;
// Sidi Belyout, Casablanca.
const AT = { lat: 33.5928, lon: -7.6189 };
const M = 1 / 111_195;

async function get(path: string) {
  const res = await fetch(`${V2()}${path}`);
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, json: () => JSON.parse(text), headers: res.headers };
}

async function postForm(format: 'json' | 'xml', fields: Record<string, string | string[]>) {
  const res = await fetch(`${V2()}/requests.${format}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: formBody(fields) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, json: () => JSON.parse(text) };
}

async function waitFor<T>(what: string, f: () => Promise<T | undefined>, ms = 120_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const x = await f();
    if (x !== undefined) return x;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  server = await startServer({
    // Seeded lamps that start faulty would add lighting work requests to the counts asserted here.
    env: { MADINA_SEED: 'auto', MADINA_SEED_SCALE: 'tiny', MADINA_SIMULATOR: 'off', MADINA_LIGHTING_WORK_REQUESTS: 'off', MQTT_PORT: String(await freePort()), MADINA_CITIZEN_RATE_IP: '0', MADINA_CITIZEN_PHOTO_MAX_BYTES: '100000' },
  });
  await waitFor('the region seed', async () => ((await fetch(`${server.url}/ngsi-ld/v1/entities/urn:ngsi-ld:Region:MA-06`)).ok ? true : undefined));
}, 180_000);
afterAll(async () => server?.cleanup());

describe('discovery and services', () => {
  it('answers discovery in both formats', async () => {
    const j = await get('/discovery.json');
    expect(j.json().endpoints[0]).toMatchObject({ specification: 'http://wiki.open311.org/GeoReport_v2', url: `${V2()}`, formats: ['application/json', 'text/xml'] });
    const x = await get('/discovery.xml');
    expect(x.type).toMatch(/^text\/xml/);
    expect(xmlToPlain(parseXml(x.text))).toEqual(plainOf(j.json()));
  });

  it('lists services in fr, ar and en, valid against services.json, the same in XML', async () => {
    for (const locale of ['fr', 'ar', 'en']) {
      const j = await get(`/services.json?locale=${locale}`);
      expect(j.status).toBe(200);
      expect(v.services(j.json())).toEqual([]);
      const x = await get(`/services.xml?locale=${locale}`);
      const tree = parseXml(x.text);
      expect(tree.name).toBe('services');
      expect(xmlToPlain(tree)).toEqual(plainOf(j.json()));
    }
    const ar = (await get('/services.json?locale=ar')).json();
    expect(ar.find((s: any) => s.service_code === 'dechets-conteneur-plein')).toMatchObject({ service_name: 'حاوية ممتلئة أو فائضة', group: 'النفايات والنظافة', metadata: true, type: 'realtime' });
    expect((await get('/services.json?jurisdiction_id=006141010')).status).toBe(200);
  });

  it('gives every service definition valid against service-definition.json, the same in XML', async () => {
    const services = (await get('/services.json')).json() as { service_code: string; metadata: boolean }[];
    const datatypes = new Set<string>();
    for (const s of services) {
      const j = await get(`/services/${s.service_code}.json`);
      expect(v.serviceDefinition(j.json())).toEqual([]);
      expect(j.json().attributes.length > 0).toBe(s.metadata);
      for (const a of j.json().attributes) datatypes.add(a.datatype);
      const x = await get(`/services/${s.service_code}.xml`);
      const plain = xmlToPlain(parseXml(x.text)) as Record<string, unknown>;
      // An empty list is an empty element in XML.
      expect({ ...plain, attributes: plain.attributes || [] }).toEqual(plainOf(j.json()));
    }
    expect([...datatypes].sort()).toEqual(['datetime', 'multivaluelist', 'number', 'singlevaluelist', 'string', 'text']);
  });
});

describe('requests', () => {
  const ids: string[] = [];

  it('takes a form-urlencoded POST with the demo key, in JSON and in XML', async () => {
    const j = await postForm('json', {
      api_key: 'demo',
      service_code: 'dechets-depot-sauvage',
      lat: String(AT.lat),
      long: String(AT.lon),
      'attribute[kinds][]': ['rubble', 'bulky'],
      'attribute[volume_m3]': '3',
      description: 'Gravats devant l’école <b>',
      address_string: 'Rue de Foucauld',
      email: 'reporter@example.ma',
      first_name: 'Amina',
      phone: '+212 600 000 000',
    });
    expect(j.status).toBe(201);
    const [created] = j.json();
    expect(created).toMatchObject({ service_request_id: expect.stringMatching(/^\d+$/), token: expect.stringMatching(/^[0-9a-f]{32}$/) });
    ids.push(created.service_request_id);

    const x = await postForm('xml', { api_key: 'demo', service_code: 'voirie-nid-de-poule', lat: String(AT.lat + 500 * M), long: String(AT.lon), 'attribute[size]': 'large' });
    expect(x.status).toBe(201);
    const tree = parseXml(x.text);
    expect(tree.name).toBe('service_requests');
    expect(tree.children[0].name).toBe('request');
    ids.push((xmlToPlain(tree) as { service_request_id: string }[])[0].service_request_id);

    // JSON bodies are accepted too.
    const res = await fetch(`${V2()}/requests.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ api_key: 'demo', service_code: 'mobilier-banc', lat: AT.lat + 900 * M, long: AT.lon, description: 'Banc cassé' }),
    });
    expect(res.status).toBe(201);
    ids.push(((await res.json()) as { service_request_id: string }[])[0].service_request_id);

    // The token resolves to the id.
    const t = await get(`/tokens/${created.token}.json`);
    expect(t.json()).toEqual([{ service_request_id: created.service_request_id, token: created.token }]);
    expect(xmlToPlain(parseXml((await get(`/tokens/${created.token}.xml`)).text))).toEqual(plainOf(t.json()));
  });

  it('returns a request valid against requests.json, without contact details, the same in XML', async () => {
    const j = await get(`/requests/${ids[0]}.json`);
    expect(v.requests(j.json())).toEqual([]);
    const [r] = j.json();
    expect(r).toMatchObject({
      service_request_id: ids[0],
      status: 'open',
      service_code: 'dechets-depot-sauvage',
      description: 'Gravats devant l’école <b>',
      address: 'Rue de Foucauld',
      lat: AT.lat,
      long: AT.lon,
      agency_responsible: expect.stringContaining('Sidi Belyout'),
    });
    expect(j.text).not.toMatch(/reporter@example|Amina|600 000/);
    const x = await get(`/requests/${ids[0]}.xml`);
    expect(xmlToPlain(parseXml(x.text))).toEqual(plainOf(j.json()));
    expect(x.text).toContain('&lt;b&gt;');
  });

  it('filters by id list, service_code, dates and status, and pages', async () => {
    const byIds = (await get(`/requests.json?service_request_id=${ids[0]},${ids[2]}`)).json();
    expect(byIds.map((r: any) => r.service_request_id).sort()).toEqual([ids[0], ids[2]].sort());
    expect(v.requests(byIds)).toEqual([]);
    const pothole = (await get('/requests.json?service_code=voirie-nid-de-poule')).json();
    expect(pothole.map((r: any) => r.service_request_id)).toEqual([ids[1]]);
    const future = (await get(`/requests.json?start_date=${new Date(Date.now() + 3_600_000).toISOString()}`)).json();
    expect(future).toEqual([]);
    const recent = await get(`/requests.json?start_date=${new Date(Date.now() - 3_600_000).toISOString()}&end_date=${new Date(Date.now() + 60_000).toISOString()}&status=open`);
    expect(recent.json()).toHaveLength(3);
    expect((await get('/requests.json?status=closed')).json()).toEqual([]);
    const page1 = (await get('/requests.json?page_size=2&page=1')).json();
    const page2 = await get('/requests.json?page_size=2&page=2');
    expect(page1).toHaveLength(2);
    expect(page2.json()).toHaveLength(1);
    expect(page2.headers.get('x-total-count')).toBe('3');
    expect(new Set([...page1, ...page2.json()].map((r: any) => r.service_request_id))).toEqual(new Set(ids));
    const xml = parseXml((await get('/requests.xml?service_code=voirie-nid-de-poule')).text);
    expect(xmlToPlain(xml)).toEqual(plainOf(pothole));
    expect((await get('/requests.json?jurisdiction_id=006141010')).json()).toHaveLength(3);
  });

  it('links a streetlight report to the nearest seeded Streetlight', async () => {
    const lights = (await (await fetch(`${server.url}/ngsi-ld/v1/entities?type=Streetlight&scopeQ=/MA-06/006141010/%23&options=keyValues&attrs=location&limit=1`)).json()) as { id: string; location: { coordinates: number[] } }[];
    expect(lights.length).toBe(1);
    const [lon, lat] = lights[0].location.coordinates;
    const j = await postForm('json', { api_key: 'demo', service_code: 'eclairage-panne', lat: String(lat + 3 * M), long: String(lon), 'attribute[fault]': 'flickering' });
    expect(j.status).toBe(201);
    const id = j.json()[0].service_request_id;
    const mirrored = await waitFor('the hub mirror', async () => {
      const res = await fetch(`${server.url}/ngsi-ld/v1/entities/urn:ngsi-ld:Open311ServiceRequest:madina-${id}?options=keyValues`);
      return res.ok ? ((await res.json()) as Record<string, unknown>) : undefined;
    }, 10_000);
    expect(mirrored.refAsset).toBe(lights[0].id);
  });

  it('accepts a photo (multipart media), strips its GPS metadata and serves it from media_url', async () => {
    const body = new FormData();
    for (const [k, val] of Object.entries({ api_key: 'demo', service_code: 'espaces-verts-arbre', lat: String(AT.lat - 1500 * M), long: String(AT.lon) })) body.append(k, val);
    body.append('media', new Blob([jpegWithGps() as BlobPart], { type: 'image/jpeg' }), 'tree.jpg');
    const res = await fetch(`${V2()}/requests.json`, { method: 'POST', body });
    expect(res.status).toBe(201);
    const id = ((await res.json()) as { service_request_id: string }[])[0].service_request_id;
    const [r] = (await get(`/requests/${id}.json`)).json();
    expect(v.requests([r])).toEqual([]);
    expect(r.media_url).toMatch(new RegExp(`^${server.url}/api/citizen/photos/`));
    const photo = await fetch(r.media_url);
    expect(photo.headers.get('content-type')).toBe('image/jpeg');
    const bytes = Buffer.from(await photo.arrayBuffer());
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(bytes.includes('GPSLatitude')).toBe(false);
  });
});

describe('errors', () => {
  const count = async () => (await get('/requests.json?page_size=1000')).json().length;

  it('answers bad input with the Open311 error array in both formats, storing nothing', async () => {
    const before = await count();
    const cases: [Record<string, string | string[]>, number][] = [
      [{ lat: '33.59', long: '-7.61' }, 400],
      [{ service_code: 'mobilier-banc' }, 400],
      [{ service_code: 'teleportation', lat: '33.59', long: '-7.61' }, 400],
      [{ service_code: 'eclairage-panne', lat: '33.59', long: '-7.61', 'attribute[fault]': 'sparkles' }, 400],
      [{ service_code: 'dechets-depot-sauvage', lat: '33.59', long: '-7.61', 'attribute[kinds][]': ['rubble', 'uranium'] }, 400],
      [{ service_code: 'mobilier-banc', lat: '33.59', long: '-7.61', description: 'é'.repeat(4001) }, 400],
      [{ service_code: 'mobilier-banc', lat: '48.85', long: '2.35' }, 400],
    ];
    for (const [fields, status] of cases) {
      for (const format of ['json', 'xml'] as const) {
        const r = await postForm(format, { api_key: 'demo', ...fields });
        expect(r.status, `${format} ${JSON.stringify(fields).slice(0, 60)}`).toBe(status);
        const errors = format === 'json' ? r.json() : xmlToPlain(parseXml(r.text));
        expect(errors).toEqual([{ code: format === 'json' ? status : String(status), description: expect.any(String) }]);
      }
    }
    const outside = (await postForm('json', { api_key: 'demo', service_code: 'mobilier-banc', lat: '48.85', long: '2.35' })).json();
    expect(outside[0].description).toMatch(/outside the Casablanca-Settat region/);
    // Oversize photo (the limit is 100,000 bytes here).
    const big = new FormData();
    for (const [k, val] of Object.entries({ api_key: 'demo', service_code: 'mobilier-banc', lat: '33.59', long: '-7.61' })) big.append(k, val);
    big.append('media', new Blob([jpegWithGps(150_000) as BlobPart], { type: 'image/jpeg' }), 'big.jpg');
    const tooBig = await fetch(`${V2()}/requests.json`, { method: 'POST', body: big });
    expect(tooBig.status).toBe(413);
    expect(((await tooBig.json()) as { code: number }[])[0].code).toBe(413);
    expect(await count()).toBe(before);
  });

  it('answers 403 without a valid api_key and 404 for unknown things', async () => {
    const r = await postForm('xml', { service_code: 'mobilier-banc', lat: '33.59', long: '-7.61' });
    expect(r.status).toBe(403);
    expect(xmlToPlain(parseXml(r.text))).toEqual([{ code: '403', description: 'api_key was not provided or is not valid' }]);
    expect((await postForm('json', { api_key: 'nope', service_code: 'mobilier-banc', lat: '33.59', long: '-7.61' })).status).toBe(403);
    for (const path of ['/requests/999999.json', '/services/teleportation.json', '/tokens/abc.json', '/services.json?jurisdiction_id=123']) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(res.json()).toEqual([{ code: 404, description: expect.any(String) }]);
    }
    const x = await get('/requests/999999.xml');
    expect(xmlToPlain(parseXml(x.text))).toEqual([{ code: '404', description: expect.stringContaining('999999') }]);
    expect((await get('/requests.json?start_date=yesterday')).status).toBe(400);
  });
});
