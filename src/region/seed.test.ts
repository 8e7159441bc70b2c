import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestServer } from '../../test/support/test-server.ts';
import { HubClient, type NgsiEntity } from '../hub/client/hub-client.ts';
import { inProcessTransport } from '../hub/client/transports.ts';
import { agentProvisioner } from './iot-provisioner.ts';
import { batchesOf, seededRegion, seedRegion } from './seed.ts';

describe('batchesOf', () => {
  it('cuts batches at 1000 entities or at the byte budget, keeping order', () => {
    const small = Array.from({ length: 2500 }, (_, i) => ({ id: `urn:x:${i}`, type: 'T' }) as NgsiEntity);
    expect(batchesOf(small).map((b) => b.length)).toEqual([1000, 1000, 500]);
    const big = Array.from({ length: 10 }, (_, i) => ({ id: `urn:x:${i}`, type: 'T', pad: 'x'.repeat(300) }) as NgsiEntity);
    // Each entity is 345 bytes of JSON (+1 separator): three fit in 1100 bytes, four do not.
    const batches = batchesOf(big, 1000, 1100);
    expect(batches.map((b) => b.length)).toEqual([3, 3, 3, 1]);
    expect(batches.flat().map((e) => e.id)).toEqual(big.map((e) => e.id));
  });
});

describe('seedRegion', () => {
  let ctx: Awaited<ReturnType<typeof buildTestServer>>;
  let hub: HubClient;

  beforeAll(async () => {
    ctx = await buildTestServer();
    hub = new HubClient(inProcessTransport(ctx.madina.app));
  });
  afterAll(async () => {
    await ctx?.close();
  });

  const total = async (q: { type?: string; q?: string; scopeQ?: string }) => (await hub.queryEntities('', { ...q, count: true, limit: 1 })).total;

  it('seeds places, transit and devices once; seeding again changes no count', async () => {
    expect(await seededRegion(hub)).toBeUndefined();
    const provisioner = agentProvisioner(ctx.madina.iot);
    const first = await seedRegion(hub, { seed: 5, scale: 0.01, provisioner, nowMs: Date.parse('2026-06-21T22:00:00Z') });
    expect(first.places).toBe(170);
    expect(first.transit).toBe(310);
    expect(first.devices).toBe(first.assets);
    expect(await seededRegion(hub)).toEqual({ seed: 5, scale: 0.01 });
    const types = 'Streetlight,StreetlightControlCabinet,WasteContainer,TrafficFlowObserved,ACMeasurement,AirQualityObserved';
    const counts = async () => ({
      communes: await total({ type: 'Commune' }),
      arrondissements: await total({ type: 'Arrondissement' }),
      assets: await total({ type: types }),
      synthetic: await total({ type: types, q: 'synthetic==true' }),
      devices: ctx.madina.iot.listDevices('').length,
    });
    const once = await counts();
    expect(once).toEqual({ communes: 153, arrondissements: 16, assets: first.assets, synthetic: first.assets, devices: first.assets });

    const second = await seedRegion(hub, { seed: 5, scale: 0.01, provisioner, nowMs: Date.parse('2026-06-21T22:05:00Z') });
    expect(second.assets).toBe(first.assets);
    expect(await counts()).toEqual(once);
  });

  it('provisions one config group per asset kind, keyed by its apikey', () => {
    const groups = ctx.madina.iot.listGroups('');
    expect(groups.map((g) => g.doc.apikey).sort()).toEqual(['madina-air', 'madina-cabinet', 'madina-energy', 'madina-streetlight', 'madina-traffic', 'madina-waste']);
    expect(groups.find((g) => g.doc.apikey === 'madina-streetlight')?.doc.entity_type).toBe('Streetlight');
  });
});
