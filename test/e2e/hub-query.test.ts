/**
 * Black box: Query Entities (GET /entities, POST /entityOperations/query, §6.4.3.2, §6.23) on a small
 * Casablanca dataset. Every expected id list is computed from the dataset in the test by a plain JS filter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../support/server.ts';
import { client, enc, expectProblem, haversineM } from './ngsi-client.ts';

let server: TestServer;
const http = client(() => server.url);

type Pos = [number, number];
interface Light {
  id: string;
  types: string[];
  status?: string;
  powerW?: number;
  powerObservedAt?: string;
  powerSource?: string;
  name?: string;
  zip?: string;
  fillLevel?: number;
  at?: Pos;
  scope?: string[];
}

const CENTER: Pos = [-7.62, 33.59];
const DATA: Light[] = [
  { id: 'urn:ngsi-ld:Streetlight:q01', types: ['Streetlight'], status: 'on', powerW: 50, powerObservedAt: '2024-01-10T00:00:00Z', powerSource: 'meter', name: 'Anfa 1', zip: '20000', at: [-7.62, 33.595], scope: ['/Casablanca/Anfa'] },
  { id: 'urn:ngsi-ld:Streetlight:q02', types: ['Streetlight', 'Smart'], status: 'off', powerW: 120, powerObservedAt: '2024-06-01T00:00:00Z', powerSource: 'estimate', name: 'anfa 2', zip: '20050', at: [-7.63, 33.59], scope: ['/Casablanca/Anfa/Racine'] },
  { id: 'urn:ngsi-ld:Streetlight:q03', types: ['Streetlight'], status: 'dimmed', powerW: 150, name: 'Maarif 1', at: [-7.6, 33.61], scope: ['/Casablanca/Maarif'] },
  { id: 'urn:ngsi-ld:Streetlight:q04', types: ['Streetlight', 'Smart'], status: 'on', powerW: 200, name: 'Centre 1', at: [-7.5, 33.5], scope: ['/Mohammedia/Centre'] },
  { id: 'urn:ngsi-ld:WasteContainer:q05', types: ['WasteContainer'], fillLevel: 0.8, at: [-7.615, 33.588], scope: ['/Casablanca/Anfa'] },
  { id: 'urn:ngsi-ld:WasteContainer:q06', types: ['WasteContainer', 'Smart'], fillLevel: 0.2, at: [-7.7, 33.55] },
];
// A park: the rectangle lon -7.66..-7.65, lat 33.57..33.58 (no point of DATA inside).
const PARK_ID = 'urn:ngsi-ld:Park:q07';
const PARK: number[][][] = [[[-7.66, 33.57], [-7.65, 33.57], [-7.65, 33.58], [-7.66, 33.58], [-7.66, 33.57]]];
const ALL_IDS = [...DATA.map((d) => d.id), PARK_ID].sort();

function toEntity(d: Light): Record<string, unknown> {
  const e: Record<string, unknown> = { id: d.id, type: d.types.length === 1 ? d.types[0] : d.types };
  if (d.scope) e.scope = d.scope;
  if (d.status) e.status = { type: 'Property', value: d.status };
  if (d.powerW !== undefined) {
    e.powerW = {
      type: 'Property',
      value: d.powerW,
      unitCode: 'WTT',
      ...(d.powerObservedAt ? { observedAt: d.powerObservedAt } : {}),
      ...(d.powerSource ? { source: { type: 'Property', value: d.powerSource } } : {}),
    };
  }
  if (d.name) e.name = { type: 'Property', value: d.name };
  if (d.zip) e.address = { type: 'Property', value: { city: 'Casablanca', zip: d.zip } };
  if (d.fillLevel !== undefined) e.fillLevel = { type: 'Property', value: d.fillLevel };
  if (d.at) e.location = { type: 'GeoProperty', value: { type: 'Point', coordinates: d.at } };
  return e;
}

const ids = (body: { id: string }[]) => body.map((e) => e.id).sort();
const where = (f: (d: Light) => boolean) => DATA.filter(f).map((d) => d.id).sort();

async function query(params: string): Promise<string[]> {
  const r = await http.get(`/entities?${params}`);
  expect(r.status, r.text).toBe(200);
  return ids(r.body);
}

beforeAll(async () => {
  server = await startServer();
  const park = { id: PARK_ID, type: 'Park', location: { type: 'GeoProperty', value: { type: 'Polygon', coordinates: PARK } } };
  const r = await http.post('/entityOperations/create', [...DATA.map(toEntity), park]);
  if (r.status !== 201) throw new Error(`dataset: ${r.status} ${r.text}`);
});

afterAll(async () => {
  await server?.cleanup();
});

describe('type, id and attrs', () => {
  it('a type list A,B matches entities of either type', async () => {
    expect(await query('type=Streetlight,WasteContainer')).toEqual(where((d) => d.types.includes('Streetlight') || d.types.includes('WasteContainer')));
  });

  it('A;B matches entities that have both types', async () => {
    expect(await query('type=Streetlight;Smart')).toEqual(where((d) => d.types.includes('Streetlight') && d.types.includes('Smart')));
  });

  it('parentheses group type expressions', async () => {
    const expected = where((d) => (d.types.includes('Streetlight') && d.types.includes('Smart')) || d.types.includes('WasteContainer'));
    expect(await query(`type=${enc('(Streetlight;Smart),WasteContainer')}`)).toEqual(expected);
    expect(expected).toHaveLength(4);
  });

  it('an unknown type matches nothing', async () => {
    expect(await query('type=Bus')).toEqual([]);
  });

  it('an id list returns exactly those entities', async () => {
    const wanted = ['urn:ngsi-ld:Streetlight:q03', 'urn:ngsi-ld:WasteContainer:q06', 'urn:ngsi-ld:Streetlight:nope'];
    expect(await query(`id=${wanted.map(enc).join(',')}`)).toEqual(wanted.slice(0, 2).sort());
  });

  it('idPattern is a regular expression on the id', async () => {
    const pattern = '^urn:ngsi-ld:Streetlight:q0[12]$';
    expect(await query(`idPattern=${enc(pattern)}`)).toEqual(where((d) => new RegExp(pattern).test(d.id)));
  });

  it('attrs selects entities that have one of the attributes and projects them', async () => {
    const r = await http.get('/entities?attrs=fillLevel&options=keyValues');
    expect(ids(r.body)).toEqual(where((d) => d.fillLevel !== undefined));
    for (const e of r.body) expect(Object.keys(e).filter((k) => k !== 'scope').sort()).toEqual(['fillLevel', 'id', 'type']);
  });
});

describe('q', () => {
  const cases: [string, (d: Light) => boolean][] = [
    ['powerW>100', (d) => d.powerW !== undefined && d.powerW > 100],
    ['powerW<=120', (d) => d.powerW !== undefined && d.powerW <= 120],
    ['powerW==100..160', (d) => d.powerW !== undefined && d.powerW >= 100 && d.powerW <= 160],
    ['status=="on","dimmed"', (d) => d.status === 'on' || d.status === 'dimmed'],
    ['status!="on"', (d) => d.status !== undefined && d.status !== 'on'],
    ['name~="(?i)^anfa"', (d) => !!d.name && /^anfa/i.test(d.name)],
    ['name~="^anfa"', (d) => !!d.name && /^anfa/.test(d.name)],
    ['status=="on";powerW<100', (d) => d.status === 'on' && (d.powerW ?? Infinity) < 100],
    ['status=="off"|fillLevel>0.5', (d) => d.status === 'off' || (d.fillLevel ?? 0) > 0.5],
    ['(status=="on"|status=="off");powerW>=100', (d) => (d.status === 'on' || d.status === 'off') && (d.powerW ?? 0) >= 100],
    ['powerW.source=="meter"', (d) => d.powerSource === 'meter'],
    ['powerW.observedAt>=2024-03-01T00:00:00Z', (d) => !!d.powerObservedAt && d.powerObservedAt >= '2024-03-01T00:00:00Z'],
    ['powerW.unitCode=="WTT"', (d) => d.powerW !== undefined],
    ['address[zip]=="20000"', (d) => d.zip === '20000'],
    ['fillLevel', (d) => d.fillLevel !== undefined],
  ];
  for (const [q, f] of cases) {
    it(`q=${q} selects what a JS filter selects`, async () => {
      const expected = where(f);
      expect(expected.length).toBeGreaterThan(0);
      expect(await query(`q=${enc(q)}`)).toEqual(expected);
    });
  }

  it('a q term on a missing attribute is false, not an error', async () => {
    expect(await query(`q=${enc('colour=="red"')}`)).toEqual([]);
  });

  it('combines q with a type', async () => {
    expect(await query(`type=Smart&q=${enc('powerW>100')}`)).toEqual(where((d) => d.types.includes('Smart') && (d.powerW ?? 0) > 100));
  });
});

describe('queries at once', () => {
  // Queries of one shape that arrive together are answered by one statement (query-batcher.ts): each must
  // still get exactly its own answer.
  it('many q and geo queries sent together each get what a JS filter selects', async () => {
    const asks: { params: string; expected: string[] }[] = [];
    for (let round = 0; round < 4; round++) {
      for (const w of [0, 50, 100, 120, 150, 199, 250]) {
        asks.push({ params: `type=Streetlight&q=${enc(`powerW>${w}`)}`, expected: where((d) => d.types.includes('Streetlight') && (d.powerW ?? -1) > w) });
        asks.push({ params: `q=${enc(`status=="on";powerW>=${w}`)}`, expected: where((d) => d.status === 'on' && (d.powerW ?? -1) >= w) });
      }
      for (const [i, d] of DATA.entries()) {
        if (!d.at) continue;
        const m = 300 + 400 * i;
        const near = DATA.filter((o) => o.at && haversineM(d.at!, o.at) <= m).map((o) => o.id).sort();
        asks.push({ params: `type=${d.types[0]}&georel=${enc(`near;maxDistance==${m}`)}&geometry=Point&coordinates=${enc(JSON.stringify(d.at))}`, expected: where((o) => near.includes(o.id) && o.types.includes(d.types[0])) });
      }
    }
    // Shuffled, so that queries of one shape but different values sit side by side.
    asks.sort((a, b) => (a.params.length * 7 + b.params.length) % 5 - 2 || a.params.localeCompare(b.params));
    const got = await Promise.all(asks.map((a) => query(a.params)));
    got.forEach((ids, i) => expect(ids, asks[i].params).toEqual(asks[i].expected));
    expect(new Set(asks.map((a) => a.expected.join())).size).toBeGreaterThan(5);
  });
});

describe('scopeQ', () => {
  const has = (d: Light, f: (s: string) => boolean) => (d.scope ?? []).some(f);
  const cases: [string, (d: Light) => boolean][] = [
    ['/Casablanca/Anfa', (d) => has(d, (s) => s === '/Casablanca/Anfa')],
    ['/Casablanca/Anfa/#', (d) => has(d, (s) => s === '/Casablanca/Anfa' || s.startsWith('/Casablanca/Anfa/'))],
    ['/Casablanca/+', (d) => has(d, (s) => /^\/Casablanca\/[^/]+$/.test(s))],
    ['/#', (d) => (d.scope ?? []).length > 0],
    ['/Casablanca/Maarif,/Mohammedia/#', (d) => has(d, (s) => s === '/Casablanca/Maarif' || s.startsWith('/Mohammedia'))],
  ];
  for (const [scopeQ, f] of cases) {
    it(`scopeQ=${scopeQ} selects what a JS filter selects`, async () => {
      const expected = where(f);
      expect(expected.length).toBeGreaterThan(0);
      expect(await query(`scopeQ=${enc(scopeQ)}`)).toEqual(expected);
    });
  }

  it('returns the scope of each entity', async () => {
    const r = await http.get(`/entities?id=${enc('urn:ngsi-ld:Streetlight:q02')}&options=keyValues&attrs=status`);
    expect(r.body).toEqual([{ id: 'urn:ngsi-ld:Streetlight:q02', type: ['Streetlight', 'Smart'], scope: '/Casablanca/Anfa/Racine', status: 'off' }]);
  });
});

describe('geo-queries', () => {
  const point = (c: Pos) => enc(JSON.stringify(c));
  // The park's nearest point to CENTER (north-east of it) is its north-east corner.
  const distances = [
    ...DATA.filter((d) => d.at).map((d) => ({ id: d.id, m: haversineM(CENTER, d.at!) })),
    { id: PARK_ID, m: haversineM(CENTER, [-7.65, 33.58]) },
  ];

  for (const maxM of [700, 1500, 5000]) {
    it(`near;maxDistance==${maxM} returns the points within ${maxM} m (haversine)`, async () => {
      // PostGIS measures on the spheroid; keep every point well away from the threshold.
      for (const d of distances) expect(Math.abs(d.m - maxM) / maxM).toBeGreaterThan(0.02);
      const expected = distances.filter((d) => d.m <= maxM).map((d) => d.id).sort();
      expect(expected.length).toBeGreaterThan(0);
      expect(await query(`georel=${enc(`near;maxDistance==${maxM}`)}&geometry=Point&coordinates=${point(CENTER)}`)).toEqual(expected);
    });
  }

  it('near;minDistance returns the points at least that far (haversine)', async () => {
    const minM = 1500;
    for (const d of distances) expect(Math.abs(d.m - minM) / minM).toBeGreaterThan(0.02);
    const expected = distances.filter((d) => d.m >= minM).map((d) => d.id).sort();
    expect(await query(`georel=${enc(`near;minDistance==${minM}`)}&geometry=Point&coordinates=${point(CENTER)}`)).toEqual(expected);
  });

  it('within a polygon returns the points inside it', async () => {
    const [w, s, e, n] = [-7.64, 33.585, -7.61, 33.6];
    const box = [[[w, s], [e, s], [e, n], [w, n], [w, s]]];
    const expected = DATA.filter((d) => d.at && d.at[0] > w && d.at[0] < e && d.at[1] > s && d.at[1] < n).map((d) => d.id).sort();
    expect(expected.length).toBe(3);
    expect(await query(`georel=within&geometry=Polygon&coordinates=${enc(JSON.stringify(box))}`)).toEqual(expected);
  });

  it('intersects finds the park from a point inside it and from a line crossing it', async () => {
    expect(await query(`georel=intersects&geometry=Point&coordinates=${point([-7.655, 33.575])}`)).toEqual([PARK_ID]);
    const line = [[-7.67, 33.575], [-7.64, 33.575]];
    expect(await query(`georel=intersects&geometry=LineString&coordinates=${enc(JSON.stringify(line))}`)).toEqual([PARK_ID]);
    expect(await query(`georel=intersects&geometry=Point&coordinates=${point([-7.645, 33.575])}`)).toEqual([]);
  });

  it('answers GeoJSON as a FeatureCollection with each location as geometry', async () => {
    const r = await http.get('/entities?type=WasteContainer&options=keyValues', { headers: { Accept: 'application/geo+json' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/geo\+json/);
    expect(r.body.type).toBe('FeatureCollection');
    const expected = DATA.filter((d) => d.types.includes('WasteContainer'))
      .map((d) => ({ id: d.id, geometry: { type: 'Point', coordinates: d.at }, fillLevel: d.fillLevel }))
      .sort((a, b) => a.id.localeCompare(b.id));
    const got = r.body.features
      .map((f: any) => ({ id: f.id, geometry: f.geometry, fillLevel: f.properties.fillLevel, type: f.type }))
      .sort((a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id));
    expect(got).toEqual(expected.map((e) => ({ ...e, type: 'Feature' })));
  });
});

describe('paging', () => {
  it('limit/offset pages cover every entity once and count=true gives the total', async () => {
    const seen: string[] = [];
    for (let offset = 0; offset < ALL_IDS.length + 2; offset += 3) {
      const r = await http.get(`/entities?limit=3&offset=${offset}&count=true`);
      expect(r.status).toBe(200);
      expect(r.headers.get('ngsild-results-count')).toBe(String(ALL_IDS.length));
      expect(r.body.length).toBe(Math.min(3, Math.max(0, ALL_IDS.length - offset)));
      seen.push(...r.body.map((e: { id: string }) => e.id));
    }
    expect(seen.sort()).toEqual(ALL_IDS);
  });

  it('limit=0 with count=true returns only the count of the filtered set', async () => {
    const r = await http.get('/entities?type=Streetlight&limit=0&count=true');
    expect(r.status).toBe(200);
    expect(r.body).toEqual([]);
    expect(r.headers.get('ngsild-results-count')).toBe(String(where((d) => d.types.includes('Streetlight')).length));
  });

  it('without count there is no NGSILD-Results-Count header', async () => {
    const r = await http.get('/entities?type=Streetlight');
    expect(r.headers.get('ngsild-results-count')).toBeNull();
  });

  it('limit=0 without count is 400', async () => {
    expectProblem(await http.get('/entities?limit=0'), 400, 'BadRequestData');
  });
});

describe('POST /entityOperations/query', () => {
  it('answers the same as GET for a Query body with type, q and attrs', async () => {
    const r = await http.post('/entityOperations/query?options=keyValues', { type: 'Query', entities: [{ type: 'Streetlight' }], q: 'powerW>100', attrs: ['powerW'] });
    expect(r.status, r.text).toBe(200);
    const expected = DATA.filter((d) => d.types.includes('Streetlight') && (d.powerW ?? 0) > 100)
      .map((d) => ({ id: d.id, type: d.types.length === 1 ? d.types[0] : d.types, scope: d.scope![0], powerW: d.powerW }))
      .sort((a, b) => a.id.localeCompare(b.id));
    expect([...r.body].sort((a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id))).toEqual(expected);
  });

  it('takes a geoQ and a scopeQ', async () => {
    const maxM = 1500;
    const r = await http.post('/entityOperations/query', {
      type: 'Query',
      geoQ: { georel: `near;maxDistance==${maxM}`, geometry: 'Point', coordinates: CENTER },
      scopeQ: '/Casablanca/#',
    });
    expect(r.status, r.text).toBe(200);
    const expected = DATA.filter((d) => d.at && haversineM(CENTER, d.at) <= maxM && (d.scope ?? []).some((s) => s.startsWith('/Casablanca/')))
      .map((d) => d.id)
      .sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(ids(r.body)).toEqual(expected);
  });

  it('selects by a list of ids', async () => {
    const r = await http.post('/entityOperations/query', { type: 'Query', entities: [{ id: 'urn:ngsi-ld:Streetlight:q01' }, { id: 'urn:ngsi-ld:WasteContainer:q05' }] });
    expect(ids(r.body)).toEqual(['urn:ngsi-ld:Streetlight:q01', 'urn:ngsi-ld:WasteContainer:q05']);
  });

  it('refuses a body that is not a Query', async () => {
    expectProblem(await http.post('/entityOperations/query', { type: 'Subscription' }), 400, 'BadRequestData');
  });
});
