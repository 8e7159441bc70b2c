/**
 * Black box: every refusal is an NGSI-LD ProblemDetails (§5.5.2-5.5.3) with the right type and status;
 * hostile query strings are 400, never 500, and leave the data alone; a refused write writes nothing.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../support/server.ts';
import { client, enc, etsiText, expectProblem, uid } from './ngsi-client.ts';

let server: TestServer;
const http = client(() => server.url);
const SEED = Array.from({ length: 5 }, (_, i) => ({
  id: `urn:ngsi-ld:Streetlight:err-${i}`,
  type: 'Streetlight',
  name: { type: 'Property', value: `Light ${i}` },
  location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [-7.6 + i / 100, 33.6] } },
  scope: '/Casablanca/Anfa',
}));

async function total(): Promise<number> {
  const r = await http.get('/entities?limit=0&count=true');
  return Number(r.headers.get('ngsild-results-count'));
}

beforeAll(async () => {
  server = await startServer();
  const r = await http.post('/entityOperations/create', SEED);
  if (r.status !== 201) throw new Error(`${r.status} ${r.text}`);
});

afterAll(async () => {
  await server?.cleanup();
});

describe('malformed requests', () => {
  it('malformed JSON is 400 InvalidRequest (the ETSI invalid-json batch payload)', async () => {
    expectProblem(await http.post('/entityOperations/create', undefined, { raw: etsiText('batch-invalid-json.jsonld'), contentType: 'application/ld+json' }), 400, 'InvalidRequest');
    expectProblem(await http.post('/entities', undefined, { raw: '{"id": "urn:ngsi-ld:X:1", "type": ' }), 400, 'InvalidRequest');
  });

  it('an empty JSON body is 400 InvalidRequest (no entity)', async () => {
    expectProblem(await http.post('/entities', undefined, { raw: '', contentType: 'application/json' }), 400, 'InvalidRequest');
  });

  it('a body that is not JSON is 415 UnsupportedMediaType', async () => {
    expectProblem(await http.post('/entities', undefined, { raw: 'id=1', contentType: 'text/plain' }), 415, 'UnsupportedMediaType');
  });

  it('an entity id that is not a URI is 400 BadRequestData, in the body and in the path', async () => {
    expectProblem(await http.post('/entities', { id: 'streetlight 1', type: 'Streetlight' }), 400, 'BadRequestData');
    expectProblem(await http.get(`/entities/${enc('not a uri')}`), 400, 'BadRequestData');
    expectProblem(await http.get(`/entities?id=${enc('not a uri')}`), 400, 'BadRequestData');
  });

  it('an entity without type is 400 BadRequestData', async () => {
    expectProblem(await http.post('/entities', { id: uid('Streetlight') }), 400, 'BadRequestData');
  });

  it('invalid geometries are 400 BadRequestData: an unclosed polygon, latitude 200', async () => {
    const unclosed = { type: 'Polygon', coordinates: [[[-7.6, 33.6], [-7.5, 33.6], [-7.5, 33.7], [-7.6, 33.7]]] };
    const id1 = uid('Park');
    expectProblem(await http.post('/entities', { id: id1, type: 'Park', location: { type: 'GeoProperty', value: unclosed } }), 400, 'BadRequestData');
    const id2 = uid('Park');
    expectProblem(await http.post('/entities', { id: id2, type: 'Park', location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [-7.6, 200] } } }), 400, 'BadRequestData');
    expectProblem(await http.get(`/entities/${enc(id1)}`), 404, 'ResourceNotFound');
    expectProblem(await http.get(`/entities/${enc(id2)}`), 404, 'ResourceNotFound');
    // The same in a geo-query.
    expectProblem(await http.get(`/entities?georel=within&geometry=Polygon&coordinates=${enc(JSON.stringify(unclosed.coordinates))}`), 400, 'BadRequestData');
    expectProblem(await http.get(`/entities?georel=near;maxDistance==10&geometry=Point&coordinates=${enc('[-7.6,200]')}`), 400, 'BadRequestData');
  });

  it('an unknown options value is 400 BadRequestData', async () => {
    expectProblem(await http.get('/entities?type=Streetlight&options=prettyPrint'), 400, 'BadRequestData');
    expectProblem(await http.get(`/entities/${enc(SEED[0].id)}?options=keyValues,fast`), 400, 'BadRequestData');
    expectProblem(await http.post(`/entities/${enc(SEED[0].id)}/attrs?options=overwriteAll`, { name: { type: 'Property', value: 'x' } }), 400, 'BadRequestData');
  });

  it('limit over 1000 is 403 TooManyResults; a non-numeric limit is 400', async () => {
    expectProblem(await http.get('/entities?type=Streetlight&limit=1001'), 403, 'TooManyResults');
    expectProblem(await http.get('/entities?type=Streetlight&limit=ten'), 400, 'BadRequestData');
    const ok = await http.get('/entities?type=Streetlight&limit=1000');
    expect(ok.status).toBe(200);
    expect(ok.body).toHaveLength(SEED.length);
  });

  it('a body over the 4 MB default limit is 413 PayloadTooLarge', async () => {
    // Announce 5 MB but send only the start: the server must refuse on the declared length alone.
    // (Streaming all 5 MB races the server closing the socket after its 413: a client-side reset.)
    const id = uid('Streetlight');
    const head = JSON.stringify({ id, type: 'Streetlight', blob: { type: 'Property', value: 'x'.repeat(1000) } });
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const u = new URL(`${server.url}/ngsi-ld/v1/entities`);
      const req = request(
        { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': 5 * 1024 * 1024 } },
        (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.write(head);
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).type).toBe('https://uri.etsi.org/ngsi-ld/errors/PayloadTooLarge');
    expectProblem(await http.get(`/entities/${enc(id)}`), 404, 'ResourceNotFound');
  });

  it('an unknown path is 404 ResourceNotFound', async () => {
    expectProblem(await http.get('/subscriptionz'), 404, 'ResourceNotFound');
  });
});

describe('hostile query strings', () => {
  const DROP = "'); DROP TABLE hub_entities;--";
  const deep = (n: number) => `${'('.repeat(n)}name=="a"${')'.repeat(n)}`;
  const refused: [string, string][] = [
    ['q', deep(200)],
    ['q', deep(5000).slice(0, 7000)],
    ['q', `name==${DROP}`],
    ['q', DROP],
    ['q', 'name~="(unclosed"'],
    ['q', 'name=="a";;name=="b"'],
    ['scopeQ', DROP],
    ['scopeQ', `${'('.repeat(100)}/a${')'.repeat(100)}`],
    ['georel', `near;maxDistance==1${DROP}`],
    ['georel', 'near;maxDistance==-5'],
    ['idPattern', DROP],
    ['idPattern', '(unclosed'],
    ['idPattern', '[z-a]'],
    ['idPattern', 'a{2,1}'],
    ['type', DROP],
    ['type', `${'('.repeat(100)}Streetlight${')'.repeat(100)}`],
  ];
  for (const [param, value] of refused) {
    it(`${param}=${value.length > 60 ? `${value.slice(0, 60)}…` : value} is 400, not 500`, async () => {
      const extra = param === 'georel' ? '&geometry=Point&coordinates=%5B-7.6%2C33.6%5D' : '';
      const r = await http.get(`/entities?${param}=${enc(value)}${extra}`);
      expectProblem(r, 400, 'BadRequestData');
    });
  }

  it('the same hostile strings in a POST query body are 400', async () => {
    expectProblem(await http.post('/entityOperations/query', { type: 'Query', q: deep(200) }), 400, 'BadRequestData');
    expectProblem(await http.post('/entityOperations/query', { type: 'Query', entities: [{ idPattern: '(unclosed' }] }), 400, 'BadRequestData');
    expectProblem(await http.post('/entityOperations/query', { type: 'Query', scopeQ: DROP }), 400, 'BadRequestData');
  });

  it('an injection attempt inside a quoted value is only a value: 200 and no match', async () => {
    const r = await http.get(`/entities?q=${enc(`name==${JSON.stringify(DROP)}`)}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual([]);
    const attrs = await http.get(`/entities?attrs=${enc(DROP)}`);
    expect(attrs.status).toBe(200);
    expect(attrs.body).toEqual([]);
  });

  it('after every hostile request the data is still there and the server logged no error', async () => {
    expect(await total()).toBeGreaterThanOrEqual(SEED.length);
    for (const e of SEED) expect((await http.get(`/entities/${enc(e.id)}`)).status).toBe(200);
    expect(server.logs()).not.toMatch(/"level":(50|60)/);
  });
});

describe('a refused write writes nothing', () => {
  it('create with one bad attribute: 400, and the entity does not exist', async () => {
    const id = uid('Streetlight');
    const r = await http.post('/entities', {
      id,
      type: 'Streetlight',
      name: { type: 'Property', value: 'ok' },
      powerW: { type: 'Property', value: 50, observedAt: 'yesterday' },
    });
    expectProblem(r, 400, 'BadRequestData');
    expectProblem(await http.get(`/entities/${enc(id)}`), 404, 'ResourceNotFound');
  });

  it('a merge with one bad attribute leaves the entity as it was', async () => {
    const id = SEED[1].id;
    const before = await http.get(`/entities/${enc(id)}?options=sysAttrs`);
    const r = await http.patch(`/entities/${enc(id)}`, {
      name: { type: 'Property', value: 'changed' },
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [500, 0] } },
    });
    expectProblem(r, 400, 'BadRequestData');
    const after = await http.get(`/entities/${enc(id)}?options=sysAttrs`);
    expect(after.body).toEqual(before.body);
  });

  it('an append with an attribute of an unknown type leaves the entity as it was', async () => {
    const id = SEED[2].id;
    const before = await http.get(`/entities/${enc(id)}`);
    const r = await http.post(`/entities/${enc(id)}/attrs`, { status: { type: 'Property', value: 'on' }, colour: { type: 'Colour', value: 'red' } });
    expectProblem(r, 400, 'BadRequestData');
    expect((await http.get(`/entities/${enc(id)}`)).body).toEqual(before.body);
  });
});
