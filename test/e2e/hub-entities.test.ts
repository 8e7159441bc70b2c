/**
 * Black box: the entity and attribute endpoints of /ngsi-ld/v1 (§6.4-6.7), with ETSI test-suite payloads,
 * against the real server started as `madina start`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../support/server.ts';
import {
  API,
  CORE_CONTEXT_URL,
  ETSI_COMPOUND_URL,
  ETSI_NS,
  client,
  enc,
  etsi,
  etsiLink,
  expectProblem,
  preloadEtsiContexts,
  uid,
} from './ngsi-client.ts';

let server: TestServer;
const http = client(() => server.url);
const withEtsi = { headers: { Link: etsiLink } };
const ld = { contentType: 'application/ld+json' };
const DEFAULT_VOCAB = 'https://uri.etsi.org/ngsi-ld/default-context/';

beforeAll(async () => {
  server = await startServer();
  await preloadEtsiContexts(server.url);
});

afterAll(async () => {
  await server?.cleanup();
});

/** Creates an ETSI payload (application/ld+json, its own @context) under a fresh id; returns the id. */
async function createEtsi(file: string, kind: string): Promise<string> {
  const id = uid(kind);
  const r = await http.post('/entities', etsi(file, id), ld);
  expect(r.status, r.text).toBe(201);
  return id;
}

describe('create and retrieve', () => {
  it('creates an ETSI vehicle and answers 201 with the Location of the new entity', async () => {
    const id = uid('Vehicle');
    const r = await http.post('/entities', etsi('vehicle-simple-attributes.jsonld', id), ld);
    expect(r.status).toBe(201);
    expect(r.text).toBe('');
    expect(r.headers.get('location')).toBe(`${API}/entities/${enc(id)}`);
    const back = await http.get(r.headers.get('location')!.slice(API.length), withEtsi);
    expect(back.status).toBe(200);
    expect(back.body.id).toBe(id);
  });

  it('retrieves the normalized form with the terms of the Link context', async () => {
    const id = await createEtsi('vehicle-simple-attributes.jsonld', 'Vehicle');
    const r = await http.get(`/entities/${enc(id)}`, withEtsi);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.headers.get('link')).toBe(`<${ETSI_COMPOUND_URL}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`);
    expect(r.body).toEqual({
      id,
      type: 'Vehicle',
      brandName: { type: 'Property', value: 'Mercedes' },
      isParked: {
        type: 'Relationship',
        object: 'urn:ngsi-ld:OffStreetParking:Downtown1',
        observedAt: '2017-07-29T12:00:04.000Z',
        providedBy: { type: 'Relationship', object: 'urn:ngsi-ld:Person:Bob' },
      },
    });
  });

  it('without a Link header answers with expanded IRIs for terms outside the core context', async () => {
    const id = await createEtsi('vehicle-simple-attributes.jsonld', 'Vehicle');
    const r = await http.get(`/entities/${enc(id)}?options=keyValues`);
    expect(r.headers.get('link')).toBe(`<${CORE_CONTEXT_URL}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`);
    expect(r.body).toEqual({
      id,
      type: `${ETSI_NS}Vehicle`,
      [`${ETSI_NS}brandName`]: 'Mercedes',
      isParked: 'urn:ngsi-ld:OffStreetParking:Downtown1',
    });
  });

  it('the same payload as application/json with a Link header stores the same expanded terms', async () => {
    const id = uid('Vehicle');
    const r = await http.post('/entities', etsi('vehicle-simple-attributes.json', id), withEtsi);
    expect(r.status).toBe(201);
    const back = await http.get(`/entities/${enc(id)}?options=keyValues`);
    expect(back.body.type).toBe(`${ETSI_NS}Vehicle`);
    expect(back.body[`${ETSI_NS}brandName`]).toBe('Mercedes');
  });

  it('renders keyValues, concise and sysAttrs', async () => {
    const before = Date.now();
    const id = await createEtsi('vehicle-simple-attributes.jsonld', 'Vehicle');
    const after = Date.now();

    const kv = await http.get(`/entities/${enc(id)}?options=keyValues`, withEtsi);
    expect(kv.body).toEqual({ id, type: 'Vehicle', brandName: 'Mercedes', isParked: 'urn:ngsi-ld:OffStreetParking:Downtown1' });

    const concise = await http.get(`/entities/${enc(id)}?options=concise`, withEtsi);
    expect(concise.body).toEqual({
      id,
      type: 'Vehicle',
      brandName: 'Mercedes',
      isParked: {
        object: 'urn:ngsi-ld:OffStreetParking:Downtown1',
        observedAt: '2017-07-29T12:00:04.000Z',
        providedBy: { object: 'urn:ngsi-ld:Person:Bob' },
      },
    });

    const sys = await http.get(`/entities/${enc(id)}?options=sysAttrs`, withEtsi);
    const created = Date.parse(sys.body.createdAt);
    expect(created).toBeGreaterThanOrEqual(before - 1000);
    expect(created).toBeLessThanOrEqual(after + 1000);
    expect(sys.body.modifiedAt).toBe(sys.body.createdAt);
    expect(sys.body.brandName.createdAt).toBe(sys.body.createdAt);
    expect(sys.body.brandName.modifiedAt).toBe(sys.body.createdAt);
  });

  it('projects with attrs, pick and omit', async () => {
    const id = await createEtsi('building-simple-attributes.jsonld', 'Building');
    const attrs = await http.get(`/entities/${enc(id)}?attrs=name,almostFull&options=keyValues`, withEtsi);
    expect(attrs.body).toEqual({ id, type: 'Building', name: 'Eiffel Tower', almostFull: false });

    const pick = await http.get(`/entities/${enc(id)}?pick=id,subCategory&options=keyValues`, withEtsi);
    expect(pick.body).toEqual({ id, subCategory: 'tourism' });

    const omit = await http.get(`/entities/${enc(id)}?omit=type,airQualityLevel,name&options=keyValues`, withEtsi);
    expect(omit.body).toEqual({ id, subCategory: 'tourism', almostFull: false });

    const both = await http.get(`/entities/${enc(id)}?pick=id&omit=name`, withEtsi);
    expectProblem(both, 400, 'BadRequestData');
  });

  it('collapses a LanguageProperty to one string with lang', async () => {
    const id = await createEtsi('building-language-property.jsonld', 'Building');
    const full = await http.get(`/entities/${enc(id)}`, withEtsi);
    expect(full.body.street).toEqual({ type: 'LanguageProperty', languageMap: { fr: 'Grand Place', nl: 'Grote Markt' } });

    const nl = await http.get(`/entities/${enc(id)}?lang=nl`, withEtsi);
    expect(nl.body.street).toEqual({ type: 'Property', value: 'Grote Markt', lang: 'nl' });

    const kv = await http.get(`/entities/${enc(id)}?lang=fr&options=keyValues`, withEtsi);
    expect(kv.body.street).toBe('Grand Place');

    // No match for the first preference: the next one wins.
    const fallback = await http.get(`/entities/${enc(id)}?lang=de,nl`, withEtsi);
    expect(fallback.body.street).toEqual({ type: 'Property', value: 'Grote Markt', lang: 'nl' });
  });

  it('answers application/ld+json with the @context in the body and no Link header', async () => {
    const id = await createEtsi('vehicle-simple-attributes.jsonld', 'Vehicle');
    const r = await http.get(`/entities/${enc(id)}?options=keyValues`, { headers: { Link: etsiLink, Accept: 'application/ld+json' } });
    expect(r.headers.get('content-type')).toMatch(/^application\/ld\+json/);
    expect(r.headers.get('link')).toBeNull();
    expect(r.body).toEqual({
      id,
      type: 'Vehicle',
      brandName: 'Mercedes',
      isParked: 'urn:ngsi-ld:OffStreetParking:Downtown1',
      '@context': ETSI_COMPOUND_URL,
    });
  });

  it('answers application/geo+json with a Feature whose geometry is the location', async () => {
    const id = await createEtsi('building-location-polygon.jsonld', 'Building');
    const polygon = etsi('building-location-polygon.jsonld').location.value;
    const r = await http.get(`/entities/${enc(id)}?options=keyValues`, { headers: { Link: etsiLink, Accept: 'application/geo+json' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/geo\+json/);
    expect(r.body).toEqual({
      id,
      type: 'Feature',
      geometry: polygon,
      properties: { type: 'Building', name: 'Eiffel Tower', location: polygon },
      '@context': ETSI_COMPOUND_URL,
    });
  });

  it('refuses an Accept it cannot serve with 406 NotAcceptable', async () => {
    const id = await createEtsi('building-minimal.jsonld', 'Building');
    const r = await http.get(`/entities/${enc(id)}`, { headers: { Accept: 'text/html' } });
    expectProblem(r, 406, 'NotAcceptable');
  });

  it('answers 409 AlreadyExists to a second create of the same id and keeps the first', async () => {
    const id = await createEtsi('building-simple-attributes.jsonld', 'Building');
    const again = etsi('building-minimal.jsonld', id);
    const r = await http.post('/entities', again, ld);
    expectProblem(r, 409, 'AlreadyExists');
    const back = await http.get(`/entities/${enc(id)}?options=keyValues&attrs=name`, withEtsi);
    expect(back.body.name).toBe('Eiffel Tower');
  });

  it('keeps a location with an altitude (GeoJSON [lon, lat, alt]) and finds it by geo-query', async () => {
    const id = uid('Mast');
    const at = [-7.6183, 33.5951, 42.5];
    const r = await http.post('/entities', { id, type: 'Mast', location: { type: 'GeoProperty', value: { type: 'Point', coordinates: at } } });
    expect(r.status, r.text).toBe(201);
    const back = await http.get(`/entities/${enc(id)}?options=keyValues`);
    expect(back.body.location).toEqual({ type: 'Point', coordinates: at });
    const near = await http.get(`/entities?type=Mast&georel=${enc('near;maxDistance==50')}&geometry=Point&coordinates=${enc('[-7.6184,33.5951]')}`);
    expect(near.status, near.text).toBe(200);
    expect(near.body.map((e: { id: string }) => e.id)).toContain(id);
    const moved = await http.patch(`/entities/${enc(id)}/attrs`, { location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [-7.5, 33.5, 10] } } });
    expect(moved.status, moved.text).toBe(204);
  });

  it('answers 404 ResourceNotFound for an unknown id', async () => {
    const r = await http.get(`/entities/${enc('urn:ngsi-ld:Building:does-not-exist')}`);
    expectProblem(r, 404, 'ResourceNotFound');
  });

  it('deletes an entity: 204, then 404 on read and on a second delete', async () => {
    const id = await createEtsi('building-minimal.jsonld', 'Building');
    expect((await http.del(`/entities/${enc(id)}`)).status).toBe(204);
    expectProblem(await http.get(`/entities/${enc(id)}`), 404, 'ResourceNotFound');
    expectProblem(await http.del(`/entities/${enc(id)}`), 404, 'ResourceNotFound');
  });
});

describe('replace and merge', () => {
  it('PUT replaces every attribute', async () => {
    const id = await createEtsi('building-simple-attributes.jsonld', 'Building');
    const r = await http.put(`/entities/${enc(id)}`, { type: 'Building', name: { type: 'Property', value: 'Tour Eiffel' } }, withEtsi);
    expect(r.status, r.text).toBe(204);
    const back = await http.get(`/entities/${enc(id)}?options=keyValues`, withEtsi);
    expect(back.body).toEqual({ id, type: 'Building', name: 'Tour Eiffel' });
  });

  it('PUT with a different id in the body is 400', async () => {
    const id = await createEtsi('building-minimal.jsonld', 'Building');
    const r = await http.put(`/entities/${enc(id)}`, { id: 'urn:ngsi-ld:Building:other', type: 'Building' }, withEtsi);
    expectProblem(r, 400, 'BadRequestData');
  });

  it('PATCH merges: changes given members, keeps the others, urn:ngsi-ld:null deletes an attribute', async () => {
    const id = await createEtsi('building-simple-attributes.jsonld', 'Building');
    const r = await http.patch(
      `/entities/${enc(id)}`,
      { airQualityLevel: { type: 'Property', value: 7 }, almostFull: 'urn:ngsi-ld:null', height: { type: 'Property', value: 330 } },
      withEtsi,
    );
    expect(r.status, r.text).toBe(204);
    const back = await http.get(`/entities/${enc(id)}`, withEtsi);
    expect(back.body.almostFull).toBeUndefined();
    // Merge keeps unitCode and observedAt of the instance it patches (§5.6.17).
    expect(back.body.airQualityLevel).toEqual({ type: 'Property', value: 7, unitCode: 'C62', observedAt: '2020-09-09T16:40:00.000Z' });
    expect(back.body.height).toEqual({ type: 'Property', value: 330 });
    expect(back.body.name).toEqual({ type: 'Property', value: 'Eiffel Tower' });
  });

  it('PATCH merges a compound value as a JSON merge patch', async () => {
    const id = uid('Streetlight');
    await http.post('/entities', { id, type: 'Streetlight', address: { type: 'Property', value: { street: 'Bd Anfa', city: 'Casablanca', zip: '20000' } } });
    const r = await http.patch(`/entities/${enc(id)}`, { address: { type: 'Property', value: { street: 'Bd Zerktouni', zip: null } } });
    expect(r.status).toBe(204);
    const back = await http.get(`/entities/${enc(id)}?options=keyValues`);
    expect(back.body.address).toEqual({ street: 'Bd Zerktouni', city: 'Casablanca' });
  });

  it('PATCH on an unknown entity is 404', async () => {
    const r = await http.patch(`/entities/${enc('urn:ngsi-ld:Building:nobody')}`, { name: { type: 'Property', value: 'x' } });
    expectProblem(r, 404, 'ResourceNotFound');
  });
});

describe('attributes', () => {
  it('POST attrs appends new attributes and overwrites existing ones (204)', async () => {
    const id = await createEtsi('vehicle-simple-attributes.jsonld', 'Vehicle');
    const r = await http.post(`/entities/${enc(id)}/attrs`, { speed: { type: 'Property', value: 80 }, brandName: { type: 'Property', value: 'Volvo' } }, withEtsi);
    expect(r.status, r.text).toBe(204);
    const back = await http.get(`/entities/${enc(id)}?options=keyValues&attrs=speed,brandName`, withEtsi);
    expect(back.body).toEqual({ id, type: 'Vehicle', speed: 80, brandName: 'Volvo' });
  });

  it('POST attrs with options=noOverwrite keeps existing attributes and reports them in a 207', async () => {
    const id = await createEtsi('vehicle-simple-attributes.jsonld', 'Vehicle');
    const r = await http.post(
      `/entities/${enc(id)}/attrs?options=noOverwrite`,
      { speed: { type: 'Property', value: 80 }, brandName: { type: 'Property', value: 'Volvo' } },
      withEtsi,
    );
    expect(r.status).toBe(207);
    expect(r.body.updated).toEqual(['speed']);
    expect(r.body.notUpdated.map((n: { attributeName: string }) => n.attributeName)).toEqual(['brandName']);
    expect(typeof r.body.notUpdated[0].reason).toBe('string');
    const back = await http.get(`/entities/${enc(id)}?options=keyValues&attrs=speed,brandName`, withEtsi);
    expect(back.body).toEqual({ id, type: 'Vehicle', speed: 80, brandName: 'Mercedes' });
  });

  it('PATCH attrs updates existing attributes and answers 207 for unknown ones without creating them', async () => {
    const id = await createEtsi('vehicle-simple-attributes.jsonld', 'Vehicle');
    const ok = await http.patch(`/entities/${enc(id)}/attrs`, { brandName: { type: 'Property', value: 'Audi' } }, withEtsi);
    expect(ok.status).toBe(204);
    const partial = await http.patch(
      `/entities/${enc(id)}/attrs`,
      { brandName: { type: 'Property', value: 'BMW' }, fuelLevel: { type: 'Property', value: 0.5 } },
      withEtsi,
    );
    expect(partial.status).toBe(207);
    expect(partial.body.updated).toEqual(['brandName']);
    expect(partial.body.notUpdated.map((n: { attributeName: string }) => n.attributeName)).toEqual(['fuelLevel']);
    const back = await http.get(`/entities/${enc(id)}?options=keyValues`, withEtsi);
    expect(back.body.brandName).toBe('BMW');
    expect(back.body.fuelLevel).toBeUndefined();
  });

  it('PATCH attrs/{attr} replaces the given members and keeps the others', async () => {
    const id = await createEtsi('building-simple-attributes.jsonld', 'Building');
    const r = await http.patch(`/entities/${enc(id)}/attrs/airQualityLevel`, { value: 9, observedAt: '2024-05-01T10:00:00Z' }, withEtsi);
    expect(r.status, r.text).toBe(204);
    const back = await http.get(`/entities/${enc(id)}?attrs=airQualityLevel`, withEtsi);
    expect(back.body.airQualityLevel).toEqual({ type: 'Property', value: 9, unitCode: 'C62', observedAt: '2024-05-01T10:00:00.000Z' });
    const missing = await http.patch(`/entities/${enc(id)}/attrs/fuelLevel`, { value: 1 }, withEtsi);
    expectProblem(missing, 404, 'ResourceNotFound');
  });

  it('keeps one instance per datasetId and renders them as an array', async () => {
    const id = await createEtsi('building-multi-instances-attributes.jsonld', 'Building');
    const r = await http.get(`/entities/${enc(id)}`, withEtsi);
    const payload = etsi('building-multi-instances-attributes.jsonld');
    expect(r.body.name).toEqual(payload.name);
    expect(r.body.locatedAt).toEqual(payload.locatedAt);
    const kv = await http.get(`/entities/${enc(id)}?options=keyValues`, withEtsi);
    // keyValues shows the default instance.
    expect(kv.body.name).toBe('Eiffel Tower');
    expect(kv.body.locatedAt).toBe('urn:ngsi-ld:City:Paris');
  });

  it('DELETE attrs/{attr}?datasetId= removes that instance only; deleteAll=true removes every instance', async () => {
    const id = await createEtsi('vehicle-speed-two-datasetid.jsonld', 'Vehicle');
    const one = await http.del(`/entities/${enc(id)}/attrs/speed?datasetId=${enc('urn:ngsi-ld:Property:speedometer')}`, withEtsi);
    expect(one.status, one.text).toBe(204);
    let back = await http.get(`/entities/${enc(id)}?attrs=speed`, withEtsi);
    expect(back.body.speed).toEqual({
      type: 'Property',
      value: 54.5,
      source: { type: 'Property', value: 'GPS' },
      datasetId: 'urn:ngsi-ld:Property:gpsBxyz123-speed',
    });
    // The default instance does not exist: nothing to delete.
    expectProblem(await http.del(`/entities/${enc(id)}/attrs/speed`, withEtsi), 404, 'ResourceNotFound');

    await http.post(`/entities/${enc(id)}/attrs`, { speed: { type: 'Property', value: 12 } }, withEtsi);
    back = await http.get(`/entities/${enc(id)}?attrs=speed`, withEtsi);
    expect(back.body.speed).toHaveLength(2);
    const all = await http.del(`/entities/${enc(id)}/attrs/speed?deleteAll=true`, withEtsi);
    expect(all.status).toBe(204);
    back = await http.get(`/entities/${enc(id)}`, withEtsi);
    expect(back.body.speed).toBeUndefined();
    expect(back.body.brandName).toEqual({ type: 'Property', value: 'Mercedes' });
  });

  it('DELETE attrs/{attr} with a non-URI datasetId is 400', async () => {
    const id = await createEtsi('vehicle-speed-two-datasetid.jsonld', 'Vehicle');
    expectProblem(await http.del(`/entities/${enc(id)}/attrs/speed?datasetId=not%20a%20uri`, withEtsi), 400, 'BadRequestData');
  });
});

describe('attribute kinds', () => {
  it('round-trips a Relationship', async () => {
    const id = await createEtsi('building-relationship.jsonld', 'Building');
    const r = await http.get(`/entities/${enc(id)}`, withEtsi);
    expect(r.body.locatedAt).toEqual({ type: 'Relationship', object: 'urn:ngsi-ld:City:Paris' });
  });

  it('round-trips a GeoProperty polygon', async () => {
    const id = await createEtsi('building-location-polygon.jsonld', 'Building');
    const r = await http.get(`/entities/${enc(id)}`, withEtsi);
    expect(r.body.location).toEqual(etsi('building-location-polygon.jsonld').location);
  });

  it('round-trips a VocabProperty, stored as an IRI and compacted on output', async () => {
    const id = await createEtsi('building-vocab-property-string.jsonld', 'Building');
    const r = await http.get(`/entities/${enc(id)}`, withEtsi);
    expect(r.body.vocabProperty).toEqual({ type: 'VocabProperty', vocab: 'monument' });
    // The vocab term is an IRI in the store: q matches it by its expanded form too.
    const q = await http.get(`/entities?type=Building&q=${enc(`vocabProperty==${JSON.stringify(`${DEFAULT_VOCAB}monument`)}`)}`, withEtsi);
    expect(q.status, q.text).toBe(200);
    expect(q.body.map((e: { id: string }) => e.id)).toContain(id);
  });

  it('round-trips a ListProperty in order', async () => {
    const id = uid('Streetlight');
    const valueList = [3, 'two', { one: 1 }, [0]];
    expect((await http.post('/entities', { id, type: 'Streetlight', history: { type: 'ListProperty', valueList } })).status).toBe(201);
    const r = await http.get(`/entities/${enc(id)}`);
    expect(r.body.history).toEqual({ type: 'ListProperty', valueList });
    expect((await http.get(`/entities/${enc(id)}?options=keyValues`)).body.history).toEqual(valueList);
  });

  it('round-trips a JsonProperty verbatim, including members named id, type and null values', async () => {
    const id = await createEtsi('building-json-property-object.jsonld', 'Building');
    const r = await http.get(`/entities/${enc(id)}`, withEtsi);
    expect(r.body.jsonProperty).toEqual(etsi('building-json-property-object.jsonld').jsonProperty);
    expect(r.body.jsonProperty.json.null).toBeNull();
  });

  it('round-trips observedAt and unitCode (observedAt as the same instant in UTC)', async () => {
    const id = await createEtsi('building-simple-attributes.jsonld', 'Building');
    const sent = etsi('building-simple-attributes.jsonld').airQualityLevel;
    const r = await http.get(`/entities/${enc(id)}?attrs=airQualityLevel`, withEtsi);
    const got = r.body.airQualityLevel;
    expect(got.unitCode).toBe('C62');
    expect(got.value).toBe(4);
    expect(Date.parse(got.observedAt)).toBe(Date.parse(sent.observedAt));
    expect(got.observedAt).toBe(sent.observedAt);

    const tz = uid('Streetlight');
    await http.post('/entities', { id: tz, type: 'Streetlight', powerW: { type: 'Property', value: 60, observedAt: '2024-03-01T12:30:00+01:00', unitCode: 'WTT' } });
    const back = await http.get(`/entities/${enc(tz)}`);
    expect(back.body.powerW).toEqual({ type: 'Property', value: 60, observedAt: '2024-03-01T11:30:00.000Z', unitCode: 'WTT' });
  });
});
