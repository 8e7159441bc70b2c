/**
 * Black box: @context handling (§6.3.5) and /jsonldContexts (§6.29-6.30), tenants (§4.14, §6.3.14), and type
 * and attribute discovery (§6.25-6.28) on a tenant of its own so the expected lists are exact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startServer, type TestServer } from '../support/server.ts';
import {
  CORE_CONTEXT_URL,
  ETSI_COMPOUND_URL,
  ETSI_TERMS_URL,
  LINK_REL,
  client,
  enc,
  etsi,
  expectProblem,
  preloadEtsiContexts,
  uid,
} from './ngsi-client.ts';

let server: TestServer;
const http = client(() => server.url);
const CITY = 'https://madina.example/city#';
const CITY_CONTEXT = { '@context': { Lamp: `${CITY}Lamp`, lux: `${CITY}lux`, feeds: `${CITY}feeds` } };
const link = (url: string) => ({ headers: { Link: `<${url}>; ${LINK_REL}` } });
const DEFAULT_VOCAB = 'https://uri.etsi.org/ngsi-ld/default-context/';

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.cleanup();
});

describe('@context', () => {
  it('an application/ld+json body brings its own @context; reads use the Link header to compact', async () => {
    const id = uid('Lamp');
    const r = await http.post('/entities', { id, type: 'Lamp', lux: { type: 'Property', value: 120 }, ...CITY_CONTEXT }, { contentType: 'application/ld+json' });
    expect(r.status, r.text).toBe(201);
    const raw = await http.get(`/entities/${enc(id)}?options=keyValues`);
    expect(raw.body).toEqual({ id, type: `${CITY}Lamp`, [`${CITY}lux`]: 120 });
    // Without the user context, `lux` is a default-vocabulary term, not the stored attribute.
    const q = await http.get(`/entities?type=${enc(`${CITY}Lamp`)}&q=${enc('lux==120')}`);
    expect(q.body).toEqual([]);
  });

  it('a hosted context works by its URL in a Link header', async () => {
    const add = await http.post('/jsonldContexts', CITY_CONTEXT);
    expect(add.status, add.text).toBe(201);
    const location = add.headers.get('location')!;
    expect(location).toMatch(/^\/ngsi-ld\/v1\/jsonldContexts\/[0-9a-f-]{36}$/);
    const localId = location.split('/').pop()!;
    const details = await http.get(`/jsonldContexts/${localId}?details=true`);
    expect(details.body).toMatchObject({ localId, kind: 'Hosted', numberOfHits: 0 });
    const hostedUrl: string = details.body.URL;
    expect(hostedUrl.endsWith(location)).toBe(true);

    const id = uid('Lamp');
    const created = await http.post('/entities', { id, type: 'Lamp', lux: { type: 'Property', value: 80 }, feeds: { type: 'Relationship', object: 'urn:ngsi-ld:Lamp:x' } }, link(hostedUrl));
    expect(created.status, created.text).toBe(201);
    const back = await http.get(`/entities/${enc(id)}?options=keyValues`, link(hostedUrl));
    expect(back.body).toEqual({ id, type: 'Lamp', lux: 80, feeds: 'urn:ngsi-ld:Lamp:x' });
    expect(back.headers.get('link')).toBe(`<${hostedUrl}>; ${LINK_REL}`);
    const q = await http.get(`/entities?type=Lamp&q=${enc('lux>=80')}`, link(hostedUrl));
    expect(q.body.map((e: { id: string }) => e.id)).toContain(id);

    const after = await http.get(`/jsonldContexts/${localId}?details=true`);
    expect(after.body.numberOfHits).toBeGreaterThan(0);
    expect(Date.parse(after.body.lastUsage)).not.toBeNaN();
  });

  it('a Link header together with an application/ld+json body is 400', async () => {
    const r = await http.post('/entities', { id: uid('Lamp'), type: 'Lamp', ...CITY_CONTEXT }, { contentType: 'application/ld+json', ...link(CORE_CONTEXT_URL) });
    expectProblem(r, 400, 'BadRequestData');
  });

  it('an @context inside an application/json body is 400', async () => {
    const r = await http.post('/entities', { id: uid('Lamp'), type: 'Lamp', ...CITY_CONTEXT });
    expectProblem(r, 400, 'BadRequestData');
  });

  it('an application/ld+json body without @context is 400', async () => {
    const r = await http.post('/entities', { id: uid('Lamp'), type: 'Lamp' }, { contentType: 'application/ld+json' });
    expectProblem(r, 400, 'BadRequestData');
  });

  it('an unreachable @context URL is 503 LdContextNotAvailable', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/ctx.jsonld`;
    expectProblem(await http.get('/entities?type=Lamp', link(url)), 503, 'LdContextNotAvailable');
    const body = { id: uid('Lamp'), type: 'Lamp', '@context': url };
    const id = body.id;
    expectProblem(await http.post('/entities', body, { contentType: 'application/ld+json' }), 503, 'LdContextNotAvailable');
    expectProblem(await http.get(`/entities/${enc(id)}`), 404, 'ResourceNotFound');
  });

  it('preloading the ETSI contexts under their forge URLs makes the ETSI payloads work offline', async () => {
    // Before the preload the forge is unreachable from here.
    const before = await http.post('/entities', etsi('building-minimal.jsonld', uid('Building')), { contentType: 'application/ld+json' });
    expectProblem(before, 503, 'LdContextNotAvailable');

    await preloadEtsiContexts(server.url);
    const list = await http.get('/jsonldContexts?kind=Cached');
    expect(list.status).toBe(200);
    expect([...list.body].sort()).toEqual([ETSI_COMPOUND_URL, ETSI_TERMS_URL].sort());
    const id = uid('Building');
    const r = await http.post('/entities', etsi('building-simple-attributes.jsonld', id), { contentType: 'application/ld+json' });
    expect(r.status, r.text).toBe(201);
    expect((await http.get(`/entities/${enc(id)}?options=keyValues&attrs=name`, link(ETSI_COMPOUND_URL))).body.name).toBe('Eiffel Tower');
  });

  it('preloading the compound context before its term file is 503 (the reference cannot be resolved)', async () => {
    const url = 'https://forge.example/never-preloaded/compound.jsonld';
    const doc = { '@context': ['https://forge.example/never-preloaded/terms.jsonld', CORE_CONTEXT_URL] };
    expectProblem(await http.post(`/jsonldContexts?url=${enc(url)}`, doc), 503, 'LdContextNotAvailable');
  });
});

describe('/jsonldContexts', () => {
  it('lists, serves, and deletes a hosted context; a Link to a deleted one is 503', async () => {
    const doc = { '@context': { Kiosk: 'https://madina.example/kiosk#Kiosk' } };
    const add = await http.post('/jsonldContexts', doc);
    expect(add.status).toBe(201);
    const localId = add.headers.get('location')!.split('/').pop()!;

    const get = await http.get(`/jsonldContexts/${localId}`);
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toMatch(/^application\/ld\+json/);
    expect(get.body).toEqual(doc);

    const hosted = await http.get('/jsonldContexts?kind=Hosted&details=true');
    const mine = hosted.body.find((c: { localId: string }) => c.localId === localId);
    expect(mine).toMatchObject({ kind: 'Hosted', localId });
    const url: string = mine.URL;
    const all = await http.get('/jsonldContexts');
    expect(all.body).toContain(url);

    expect((await http.del(`/jsonldContexts/${localId}`)).status).toBe(204);
    expectProblem(await http.get(`/jsonldContexts/${localId}`), 404, 'ResourceNotFound');
    expectProblem(await http.del(`/jsonldContexts/${localId}`), 404, 'ResourceNotFound');
    expect((await http.get('/jsonldContexts')).body).not.toContain(url);
    expectProblem(await http.get('/entities?type=Kiosk', link(url)), 503, 'LdContextNotAvailable');
  });

  it('refuses a document without @context, an unknown kind, a non-http url and replacing the core context', async () => {
    expectProblem(await http.post('/jsonldContexts', { Lamp: 'x' }), 400, 'BadRequestData');
    expectProblem(await http.get('/jsonldContexts?kind=Remote'), 400, 'BadRequestData');
    expectProblem(await http.post(`/jsonldContexts?url=${enc('ftp://example.org/c.jsonld')}`, CITY_CONTEXT), 400, 'BadRequestData');
    expectProblem(await http.post(`/jsonldContexts?url=${enc(CORE_CONTEXT_URL)}`, CITY_CONTEXT), 400, 'BadRequestData');
  });

  it('a second preload of the same URL replaces the cached copy', async () => {
    const url = 'https://contexts.example/replace.jsonld';
    expect((await http.post(`/jsonldContexts?url=${enc(url)}`, { '@context': { Bench: 'https://a.example/Bench' } })).status).toBe(201);
    expect((await http.post(`/jsonldContexts?url=${enc(url)}`, { '@context': { Bench: 'https://b.example/Bench' } })).status).toBe(201);
    const cached = (await http.get('/jsonldContexts?kind=Cached&details=true')).body.filter((c: { URL: string }) => c.URL === url);
    expect(cached).toHaveLength(1);
    const id = uid('Bench');
    await http.post('/entities', { id, type: 'Bench' }, link(url));
    expect((await http.get(`/entities/${enc(id)}`)).body.type).toBe('https://b.example/Bench');
  });
});

describe('tenants', () => {
  const A = { headers: { 'NGSILD-Tenant': 'casa-anfa' } };
  const B = { headers: { 'NGSILD-Tenant': 'casa-maarif' } };

  it('a tenant is created on first write and isolates its entities', async () => {
    const id = uid('Streetlight');
    const created = await http.post('/entities', { id, type: 'Streetlight' }, A);
    expect(created.status).toBe(201);
    expect(created.headers.get('ngsild-tenant')).toBe('casa-anfa');
    expect((await http.post('/entities', { id: uid('Streetlight'), type: 'Streetlight' }, B)).status).toBe(201);

    expect((await http.get(`/entities/${enc(id)}`, A)).body.id).toBe(id);
    expectProblem(await http.get(`/entities/${enc(id)}`, B), 404, 'ResourceNotFound');
    expectProblem(await http.get(`/entities/${enc(id)}`), 404, 'ResourceNotFound');

    const inA = await http.get('/entities?type=Streetlight&count=true', A);
    expect(inA.body.map((e: { id: string }) => e.id)).toEqual([id]);
    expect(inA.headers.get('ngsild-results-count')).toBe('1');
    const inDefault = await http.get('/entities?type=Streetlight');
    expect(inDefault.body.map((e: { id: string }) => e.id)).not.toContain(id);
  });

  it('the same id can exist in two tenants with different content', async () => {
    const id = uid('Streetlight');
    await http.post('/entities', { id, type: 'Streetlight', status: { type: 'Property', value: 'on' } }, A);
    await http.post('/entities', { id, type: 'Streetlight', status: { type: 'Property', value: 'off' } }, B);
    expect((await http.get(`/entities/${enc(id)}?options=keyValues`, A)).body.status).toBe('on');
    expect((await http.get(`/entities/${enc(id)}?options=keyValues`, B)).body.status).toBe('off');
    expect((await http.del(`/entities/${enc(id)}`, A)).status).toBe(204);
    expect((await http.get(`/entities/${enc(id)}?options=keyValues`, B)).body.status).toBe('off');
  });

  it('reading from a tenant that was never written is 404 NonexistentTenant', async () => {
    const ghost = { headers: { 'NGSILD-Tenant': 'never-written' } };
    expectProblem(await http.get('/entities?type=Streetlight', ghost), 404, 'NonexistentTenant');
    expectProblem(await http.get(`/entities/${enc('urn:ngsi-ld:Streetlight:x')}`, ghost), 404, 'NonexistentTenant');
    expectProblem(await http.get('/types', ghost), 404, 'NonexistentTenant');
    expectProblem(await http.get('/attributes', ghost), 404, 'NonexistentTenant');
    expectProblem(await http.post('/entityOperations/delete', ['urn:ngsi-ld:Streetlight:x'], ghost), 404, 'NonexistentTenant');
  });

  it('a malformed tenant name is 400', async () => {
    expectProblem(await http.get('/entities?type=Streetlight', { headers: { 'NGSILD-Tenant': 'a/b' } }), 400, 'BadRequestData');
  });
});

describe('discovery', () => {
  const T = { headers: { 'NGSILD-Tenant': 'discovery' } };
  const point = (lon: number, lat: number) => ({ type: 'GeoProperty', value: { type: 'Point', coordinates: [lon, lat] } });
  const ENTITIES = [
    { id: 'urn:ngsi-ld:Streetlight:d1', type: 'Streetlight', powerW: { type: 'Property', value: 50 }, status: { type: 'Property', value: 'on' }, location: point(-7.6, 33.6) },
    { id: 'urn:ngsi-ld:Streetlight:d2', type: 'Streetlight', powerW: { type: 'Property', value: 70 }, feeds: { type: 'Relationship', object: 'urn:ngsi-ld:Cabinet:c1' } },
    { id: 'urn:ngsi-ld:WasteContainer:d3', type: 'WasteContainer', fillLevel: { type: 'Property', value: 0.5 }, location: point(-7.61, 33.59) },
  ];
  /** attribute -> the kinds, types and number of entities that carry it, from ENTITIES. */
  const expectedAttrs = () => {
    const m = new Map<string, { kinds: Set<string>; types: Set<string>; count: number }>();
    for (const e of ENTITIES) {
      for (const [k, v] of Object.entries(e)) {
        if (k === 'id' || k === 'type') continue;
        const a = m.get(k) ?? { kinds: new Set(), types: new Set(), count: 0 };
        a.kinds.add((v as { type: string }).type);
        a.types.add(e.type);
        a.count += 1;
        m.set(k, a);
      }
    }
    return m;
  };
  const sorted = (a: string[]) => [...a].sort();

  beforeAll(async () => {
    const r = await http.post('/entityOperations/create', ENTITIES, T);
    if (r.status !== 201) throw new Error(`${r.status} ${r.text}`);
  });

  it('GET /types lists the entity types', async () => {
    const r = await http.get('/types', T);
    expect(r.status).toBe(200);
    expect(r.body.type).toBe('EntityTypeList');
    expect(r.body.id).toMatch(/^urn:ngsi-ld:EntityTypeList:/);
    expect(sorted(r.body.typeList)).toEqual(sorted([...new Set(ENTITIES.map((e) => e.type))]));
  });

  it('GET /types?details=true gives each type with its attribute names', async () => {
    const r = await http.get('/types?details=true', T);
    const got = r.body.map((t: any) => ({ id: t.id, type: t.type, typeName: t.typeName, attributeNames: sorted(t.attributeNames) }));
    const expected = [...new Set(ENTITIES.map((e) => e.type))].map((type) => ({
      id: DEFAULT_VOCAB + type,
      type: 'EntityType',
      typeName: type,
      attributeNames: sorted([...expectedAttrs()].filter(([, a]) => a.types.has(type)).map(([k]) => k)),
    }));
    expect(got.sort((a: any, b: any) => a.typeName.localeCompare(b.typeName))).toEqual(expected.sort((a, b) => a.typeName.localeCompare(b.typeName)));
  });

  it('GET /types/{type} gives the entity count and attribute details', async () => {
    const r = await http.get('/types/Streetlight', T);
    expect(r.status).toBe(200);
    const attrs = [...expectedAttrs()].filter(([, a]) => a.types.has('Streetlight'));
    expect({ ...r.body, attributeDetails: undefined }).toEqual({
      id: `${DEFAULT_VOCAB}Streetlight`,
      type: 'EntityTypeInfo',
      typeName: 'Streetlight',
      entityCount: ENTITIES.filter((e) => e.type === 'Streetlight').length,
      attributeDetails: undefined,
    });
    const details = r.body.attributeDetails
      .map((a: any) => ({ name: a.attributeName, type: a.type, kinds: sorted(a.attributeTypes) }))
      .sort((a: any, b: any) => a.name.localeCompare(b.name));
    expect(details).toEqual(attrs.map(([k, a]) => ({ name: k, type: 'Attribute', kinds: sorted([...a.kinds]) })).sort((a, b) => a.name.localeCompare(b.name)));
    expectProblem(await http.get('/types/Bus', T), 404, 'ResourceNotFound');
  });

  it('GET /attributes lists the attribute names', async () => {
    const r = await http.get('/attributes', T);
    expect(r.body.type).toBe('AttributeList');
    expect(sorted(r.body.attributeList)).toEqual(sorted([...expectedAttrs().keys()]));
  });

  it('GET /attributes?details=true gives each attribute with the types that carry it', async () => {
    const r = await http.get('/attributes?details=true', T);
    const got = r.body.map((a: any) => ({ attributeName: a.attributeName, type: a.type, typeNames: sorted(a.typeNames) }));
    const expected = [...expectedAttrs()].map(([k, a]) => ({ attributeName: k, type: 'Attribute', typeNames: sorted([...a.types]) }));
    const byName = (a: { attributeName: string }, b: { attributeName: string }) => a.attributeName.localeCompare(b.attributeName);
    expect(got.sort(byName)).toEqual(expected.sort(byName));
  });

  it('GET /attributes/{attr} gives its count, kinds and types', async () => {
    for (const [name, a] of expectedAttrs()) {
      const r = await http.get(`/attributes/${name}`, T);
      expect(r.status).toBe(200);
      expect({ ...r.body, attributeTypes: sorted(r.body.attributeTypes), typeNames: sorted(r.body.typeNames) }).toEqual({
        // location and status are terms of the core context (ngsi-ld:); the others fall to the default vocabulary.
        id: ['location', 'status'].includes(name) ? `https://uri.etsi.org/ngsi-ld/${name}` : DEFAULT_VOCAB + name,
        type: 'Attribute',
        attributeName: name,
        attributeCount: a.count,
        attributeTypes: sorted([...a.kinds]),
        typeNames: sorted([...a.types]),
      });
    }
    expectProblem(await http.get('/attributes/colour', T), 404, 'ResourceNotFound');
  });

  it('answers discovery as application/ld+json with the @context', async () => {
    const r = await http.get('/types', { headers: { ...T.headers, Accept: 'application/ld+json' } });
    expect(r.headers.get('content-type')).toMatch(/^application\/ld\+json/);
    expect(r.body['@context']).toBe(CORE_CONTEXT_URL);
  });
});
