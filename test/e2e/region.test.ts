/**
 * Black box: `madina start` on an empty store seeds Casablanca-Settat (small asset scale, so the test is
 * quick) and runs the simulator through the embedded MQTT broker and the IoT agent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAssets } from '../../src/region/assets.ts';
import { pointInGeometry, type PolygonGeometry } from '../../src/region/point-in-polygon.ts';
import { loadRegionData } from '../../src/region/region-data.ts';
import { freePort, startServer, type TestServer } from '../support/server.ts';
import { call } from './ngsi-client.ts';

const SEED = 777;
const ASSET_TYPES = 'Streetlight,StreetlightControlCabinet,WasteContainer,TrafficFlowObserved,ACMeasurement,AirQualityObserved';
// Sidi Moumen, Casablanca's most populous arrondissement.
const SIDI_MOUMEN = '061410153';
const CASA = '006141010';

let server: TestServer;
const get = (path: string) => call(server.url, 'GET', path);
const count = async (query: string) => {
  const r = await get(`/entities?${query}&count=true&limit=1`);
  expect(r.status).toBe(200);
  return Number(r.headers.get('ngsild-results-count'));
};

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${server.logs().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

beforeAll(async () => {
  server = await startServer({
    env: {
      MADINA_SEED: 'auto',
      MADINA_SEED_SCALE: 'small',
      MADINA_SEED_VALUE: String(SEED),
      MADINA_SIMULATOR: 'on',
      MADINA_SIMULATOR_RATE: '300',
      MQTT_PORT: String(await freePort()),
      LOG_LEVEL: 'info',
    },
  });
  // The seed runs in the background once the server listens; the Region entity is written last.
  await eventually(async () => ((await get('/entities/urn:ngsi-ld:Region:MA-06')).status === 200 ? true : undefined), 180_000, 'the seed');
}, 240_000);

afterAll(async () => {
  await server?.cleanup();
});

describe('the region after a fresh start', () => {
  it('has the 153 communes of Casablanca-Settat with their census and scope', async () => {
    expect(await count('type=Commune')).toBe(153);
    const casa = (await get(`/entities/urn:ngsi-ld:Commune:${CASA}?options=keyValues`)).body;
    expect(casa.population2024).toBe(3_215_935);
    expect(casa.households2024).toBe(909_228);
    expect(casa.scope).toBe(`/MA-06/${CASA}`);
    expect(casa.location.type).toMatch(/Polygon$/);
    const settat = (await get(`/entities?type=Commune&q=code=="064610115"&options=keyValues&lang=ar`)).body[0];
    expect(settat.name).toBe('سطات');
  });

  it("has Casablanca's 16 arrondissements, each scoped under Casablanca", async () => {
    const r = await get('/entities?type=Arrondissement&limit=100&options=keyValues');
    expect(r.body).toHaveLength(16);
    for (const a of r.body) {
      expect(a.scope).toBe(`/MA-06/${CASA}/${a.code}`);
      expect(a.refCommune).toBe(`urn:ngsi-ld:Commune:${CASA}`);
    }
    expect(r.body.reduce((s: number, a: { population2024: number }) => s + a.population2024, 0)).toBe(3_215_935);
  });

  it('has the tram and busway lines and stops', async () => {
    expect(await count('type=TransitLine')).toBe(12);
    expect(await count('type=TransitStop')).toBe(298);
    const t1 = (await get('/entities/urn:ngsi-ld:TransitLine:T1:1?options=keyValues')).body;
    expect(t1).toMatchObject({ ref: 'T1', mode: 'tram', colour: '#F38230', osmId: 'relation/4497427' });
    expect(t1.location.type).toBe('LineString');
    expect(await count('type=TransitLine&q=mode=="busway"')).toBe(4);
  });

  it('has the synthetic assets the generator promises, all labelled synthetic', async () => {
    const expected = generateAssets(loadRegionData(), { seed: SEED, scale: 0.05 });
    expect(await count(`type=${ASSET_TYPES}`)).toBe(expected.length);
    expect(await count(`type=${ASSET_TYPES}&q=synthetic==true`)).toBe(expected.length);
    expect(await count('type=StreetlightModel&q=synthetic==true')).toBe(7);
    const lamp = expected.find((a) => a.kind === 'streetlight')!;
    const e = (await get(`/entities/${encodeURIComponent(lamp.entityId)}?options=keyValues`)).body;
    expect(e.dataProvider).toBe('Madina synthetic generator');
    expect(e.location.coordinates).toEqual([lamp.lon, lamp.lat]);
    expect(e.scope).toBe(lamp.scope);
  });

  it("selects exactly one arrondissement's assets with scopeQ, all inside its boundary", async () => {
    const expected = generateAssets(loadRegionData(), { seed: SEED, scale: 0.05 }).filter((a) => a.arrondissementCode === SIDI_MOUMEN);
    expect(expected.length).toBeGreaterThan(20);
    const scope = `/MA-06/${CASA}/${SIDI_MOUMEN}`;
    const r = await get(`/entities?type=${ASSET_TYPES}&scopeQ=${encodeURIComponent(scope)}&limit=1000&options=keyValues&count=true`);
    expect(Number(r.headers.get('ngsild-results-count'))).toBe(expected.length);
    expect(r.body.map((e: { id: string }) => e.id).sort()).toEqual(expected.map((a) => a.entityId).sort());
    const boundary = (await get(`/entities/urn:ngsi-ld:Arrondissement:${SIDI_MOUMEN}?options=keyValues`)).body.location as PolygonGeometry;
    for (const e of r.body) {
      expect(e.scope).toBe(scope);
      expect(pointInGeometry(e.location.coordinates[0], e.location.coordinates[1], boundary)).toBe(true);
    }
    // `/#` selects all of Casablanca: its arrondissements' assets and more than Sidi Moumen's.
    const casa = await count(`type=${ASSET_TYPES}&scopeQ=${encodeURIComponent(`/MA-06/${CASA}/#`)}`);
    const casaExpected = generateAssets(loadRegionData(), { seed: SEED, scale: 0.05 }).filter((a) => a.communeCode === CASA).length;
    expect(casa).toBe(casaExpected);
  });

  it('receives simulated telemetry over MQTT: values change within seconds', async () => {
    const snapshot = async () => {
      const r = await get('/entities?type=TrafficFlowObserved&limit=100&attrs=intensity');
      return new Map<string, { value: number; observedAt: string }>(r.body.map((e: any) => [e.id, { value: e.intensity.value, observedAt: e.intensity.observedAt }]));
    };
    const before = await snapshot();
    expect(before.size).toBeGreaterThan(5);
    const changed = await eventually(
      async () => {
        const now = await snapshot();
        const moved = [...now].filter(([id, v]) => v.observedAt > before.get(id)!.observedAt && v.value !== before.get(id)!.value);
        return moved.length >= 3 ? moved : undefined;
      },
      20_000,
      'traffic intensities to change',
    );
    expect(changed.length).toBeGreaterThanOrEqual(3);
  });

  it('does not seed again on restart', async () => {
    const before = await count(`type=${ASSET_TYPES}`);
    const seededAt = (await get('/entities/urn:ngsi-ld:Region:MA-06?options=keyValues')).body.seededAt;
    await server.restart();
    const region = (await get('/entities/urn:ngsi-ld:Region:MA-06?options=keyValues')).body;
    expect(region.seededAt).toEqual(seededAt);
    expect(await count(`type=${ASSET_TYPES}`)).toBe(before);
  });
});
