/** Black box: batch entity operations (§6.14-6.17, §6.31): create, upsert, update, merge, delete. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../support/server.ts';
import { ERR, client, enc, etsi, etsiLink, expectProblem, preloadEtsiContexts, uid } from './ngsi-client.ts';

let server: TestServer;
const http = client(() => server.url);
const withEtsi = { headers: { Link: etsiLink } };

beforeAll(async () => {
  server = await startServer();
  await preloadEtsiContexts(server.url);
});

afterAll(async () => {
  await server?.cleanup();
});

const light = (id: string, attrs: Record<string, unknown> = {}) => ({ id, type: 'Streetlight', ...attrs });
const prop = (value: unknown) => ({ type: 'Property', value });

async function keyValues(id: string, req = {}): Promise<any> {
  const r = await http.get(`/entities/${enc(id)}?options=keyValues`, req);
  return r.status === 200 ? r.body : r.status;
}

interface BatchError {
  entityId: string;
  error: { type: string; status: number; title: string };
}
const errorsById = (body: { errors: BatchError[] }) =>
  Object.fromEntries(body.errors.map((e) => [e.entityId, { type: e.error.type, status: e.error.status }]));

describe('batch create', () => {
  it('creates ETSI payloads sent as application/ld+json and answers 201 with the ids', async () => {
    const a = uid('Building');
    const b = uid('Building');
    const r = await http.post('/entityOperations/create', [etsi('building-simple-attributes.jsonld', a), etsi('building-relationship.jsonld', b)], {
      contentType: 'application/ld+json',
    });
    expect(r.status, r.text).toBe(201);
    expect(r.body).toEqual([a, b]);
    expect((await keyValues(a, withEtsi)).name).toBe('Eiffel Tower');
    expect((await keyValues(b, withEtsi)).locatedAt).toBe('urn:ngsi-ld:City:Paris');
  });

  it('answers 207 with a ProblemDetails per failed entity and still creates the valid ones', async () => {
    const existing = uid('Streetlight');
    await http.post('/entities', light(existing));
    const ok1 = uid('Streetlight');
    const ok2 = uid('Streetlight');
    const noType = uid('Streetlight');
    const badGeo = uid('Streetlight');
    const r = await http.post('/entityOperations/create', [
      light(ok1, { powerW: prop(50) }),
      light(existing),
      { id: noType, powerW: prop(1) },
      light(badGeo, { location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [10, 200] } } }),
      light(ok2),
      light(ok1),
    ]);
    expect(r.status, r.text).toBe(207);
    expect(r.body.success).toEqual([ok1, ok2]);
    expect(r.body.errors).toHaveLength(4);
    const byId = r.body.errors.map((e: BatchError) => [e.entityId, e.error.type, e.error.status]);
    expect(byId).toEqual(
      expect.arrayContaining([
        [existing, `${ERR}AlreadyExists`, 409],
        [noType, `${ERR}BadRequestData`, 400],
        [badGeo, `${ERR}BadRequestData`, 400],
        [ok1, `${ERR}AlreadyExists`, 409],
      ]),
    );
    for (const e of r.body.errors as BatchError[]) expect(typeof e.error.title).toBe('string');
    expect((await keyValues(ok1)).powerW).toBe(50);
    expect(await keyValues(ok2)).toEqual({ id: ok2, type: 'Streetlight' });
    expect(await keyValues(noType)).toBe(404);
    expect(await keyValues(badGeo)).toBe(404);
  });

  it('refuses a body that is not an array, and an empty array', async () => {
    expectProblem(await http.post('/entityOperations/create', light(uid('Streetlight'))), 400, 'BadRequestData');
    expectProblem(await http.post('/entityOperations/create', []), 400, 'BadRequestData');
  });
});

describe('batch upsert', () => {
  it('options=update creates what is new (201 with its ids) and merges attributes into what exists', async () => {
    const old = uid('Streetlight');
    await http.post('/entities', light(old, { powerW: prop(50), status: prop('on') }));
    const fresh = uid('Streetlight');
    const r = await http.post('/entityOperations/upsert?options=update', [light(old, { powerW: prop(75) }), light(fresh, { status: prop('off') })]);
    expect(r.status, r.text).toBe(201);
    expect(r.body).toEqual([fresh]);
    expect(await keyValues(old)).toEqual({ id: old, type: 'Streetlight', powerW: 75, status: 'on' });
    expect(await keyValues(fresh)).toEqual({ id: fresh, type: 'Streetlight', status: 'off' });
  });

  it('options=replace replaces existing entities entirely and answers 204 when nothing is new', async () => {
    const a = uid('Streetlight');
    const b = uid('Streetlight');
    await http.post('/entityOperations/create', [light(a, { powerW: prop(50), status: prop('on') }), light(b, { powerW: prop(60) })]);
    const r = await http.post('/entityOperations/upsert?options=replace', [light(a, { status: prop('off') }), light(b, { name: prop('B') })]);
    expect(r.status, r.text).toBe(204);
    expect(await keyValues(a)).toEqual({ id: a, type: 'Streetlight', status: 'off' });
    expect(await keyValues(b)).toEqual({ id: b, type: 'Streetlight', name: 'B' });
  });

  it('without options replaces (the default) and reports an invalid entity in a 207', async () => {
    const a = uid('Streetlight');
    await http.post('/entities', light(a, { powerW: prop(50) }));
    const r = await http.post('/entityOperations/upsert', [light(a, { status: prop('on') }), { id: 'not a uri', type: 'Streetlight' }]);
    expect(r.status, r.text).toBe(207);
    expect(r.body.success).toEqual([a]);
    expect(r.body.errors.map((e: BatchError) => e.error.type)).toEqual([`${ERR}BadRequestData`]);
    expect(await keyValues(a)).toEqual({ id: a, type: 'Streetlight', status: 'on' });
  });

  it('refuses options=update,replace together and unknown options', async () => {
    expectProblem(await http.post('/entityOperations/upsert?options=update,replace', [light(uid('Streetlight'))]), 400, 'BadRequestData');
    expectProblem(await http.post('/entityOperations/upsert?options=sideways', [light(uid('Streetlight'))]), 400, 'BadRequestData');
  });
});

describe('batch update', () => {
  it('appends and overwrites attributes of existing entities (204)', async () => {
    const a = uid('Streetlight');
    await http.post('/entities', light(a, { powerW: prop(50) }));
    const r = await http.post('/entityOperations/update', [light(a, { powerW: prop(70), status: prop('on') })]);
    expect(r.status, r.text).toBe(204);
    expect(await keyValues(a)).toEqual({ id: a, type: 'Streetlight', powerW: 70, status: 'on' });
  });

  it('options=noOverwrite keeps existing attributes and still adds new ones', async () => {
    const a = uid('Streetlight');
    await http.post('/entities', light(a, { powerW: prop(50) }));
    const r = await http.post('/entityOperations/update?options=noOverwrite', [light(a, { powerW: prop(70), status: prop('on') })]);
    // Keeping existing attributes is what noOverwrite asks for: a success, not an error (§5.6.9).
    expect(r.status).toBe(204);
    expect(await keyValues(a)).toEqual({ id: a, type: 'Streetlight', powerW: 50, status: 'on' });
  });

  it('reports unknown entities as ResourceNotFound in a 207 and updates the others', async () => {
    const a = uid('Streetlight');
    const ghost = uid('Streetlight');
    await http.post('/entities', light(a));
    const r = await http.post('/entityOperations/update', [light(ghost, { status: prop('on') }), light(a, { status: prop('on') })]);
    expect(r.status).toBe(207);
    expect(r.body.success).toEqual([a]);
    expect(errorsById(r.body)).toEqual({ [ghost]: { type: `${ERR}ResourceNotFound`, status: 404 } });
    expect((await keyValues(a)).status).toBe('on');
    expect(await keyValues(ghost)).toBe(404);
  });
});

describe('batch merge', () => {
  it('merges attributes, urn:ngsi-ld:null deletes one, and unknown ids are a 207', async () => {
    const a = uid('Streetlight');
    const ghost = uid('Streetlight');
    await http.post('/entities', light(a, { powerW: prop(50), status: prop('on'), address: prop({ street: 'Bd Anfa', zip: '20000' }) }));
    const r = await http.post('/entityOperations/merge', [light(a, { status: 'urn:ngsi-ld:null', address: prop({ zip: '20050' }) }), light(ghost, { status: prop('x') })]);
    expect(r.status, r.text).toBe(207);
    expect(r.body.success).toEqual([a]);
    expect(errorsById(r.body)).toEqual({ [ghost]: { type: `${ERR}ResourceNotFound`, status: 404 } });
    expect(await keyValues(a)).toEqual({ id: a, type: 'Streetlight', powerW: 50, address: { street: 'Bd Anfa', zip: '20050' } });
  });

  it('answers 204 when every entity merged', async () => {
    const a = uid('Streetlight');
    await http.post('/entities', light(a, { powerW: prop(50) }));
    const r = await http.post('/entityOperations/merge', [light(a, { name: prop('A') })]);
    expect(r.status).toBe(204);
    expect(await keyValues(a)).toEqual({ id: a, type: 'Streetlight', powerW: 50, name: 'A' });
  });
});

describe('batch delete', () => {
  it('deletes every listed entity (204)', async () => {
    const a = uid('Streetlight');
    const b = uid('Streetlight');
    await http.post('/entityOperations/create', [light(a), light(b)]);
    const r = await http.post('/entityOperations/delete', [a, b]);
    expect(r.status, r.text).toBe(204);
    expect(await keyValues(a)).toBe(404);
    expect(await keyValues(b)).toBe(404);
  });

  it('answers 207 naming unknown and malformed ids, and deletes the rest', async () => {
    const a = uid('Streetlight');
    const ghost = uid('Streetlight');
    await http.post('/entities', light(a));
    const r = await http.post('/entityOperations/delete', [ghost, a, 'not a uri']);
    expect(r.status).toBe(207);
    expect(r.body.success).toEqual([a]);
    expect(errorsById(r.body)).toEqual({
      [ghost]: { type: `${ERR}ResourceNotFound`, status: 404 },
      'not a uri': { type: `${ERR}BadRequestData`, status: 400 },
    });
    expect(await keyValues(a)).toBe(404);
  });
});
