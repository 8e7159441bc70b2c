import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../platform/db/migrator.ts';
import { openTestDb, type TestDb } from '../../test/support/test-db.ts';
import { iotMigrations } from './index.ts';
import { IotStore } from './store.ts';

let t: TestDb;
const store = new IotStore();

beforeAll(async () => {
  t = await openTestDb();
  await migrate(t.db, iotMigrations());
});
afterAll(async () => {
  await t?.drop();
});

describe('IotStore', () => {
  it('keeps (resource, apikey) unique across tenants', async () => {
    const taken = await store.insertGroups(t.db, [{ tenant: 'a', servicePath: '/', doc: { apikey: 'k1', resource: '/iot/json', entity_type: 'Bin' } }]);
    expect([...taken]).toEqual(['/iot/json\u0000k1']);
    const again = await store.insertGroups(t.db, [
      { tenant: 'b', servicePath: '/', doc: { apikey: 'k1', resource: '/iot/json' } },
      { tenant: 'b', servicePath: '/', doc: { apikey: 'k1', resource: '/iot/d' } },
    ]);
    expect([...again]).toEqual(['/iot/d\u0000k1']);
    const all = await store.allGroups(t.db);
    expect(all.map((g) => [g.tenant, g.doc.resource])).toEqual([
      ['a', '/iot/json'],
      ['b', '/iot/d'],
    ]);
    expect(await store.updateGroup(t.db, { tenant: 'a', servicePath: '/', doc: { apikey: 'k1', resource: '/iot/json', entity_type: 'Bin2' } })).toBe(true);
    expect((await store.allGroups(t.db))[0].doc.entity_type).toBe('Bin2');
    expect(await store.deleteGroup(t.db, 'b', '/iot/json', 'k1')).toBe(false);
  });

  it('inserts devices once per tenant and records lastSeen in one batch, never going back in time', async () => {
    const ins = await store.insertDevices(t.db, 'a', '/', [{ device_id: 'd1' }, { device_id: 'd2', entity_type: 'Lamp' }]);
    expect([...ins.keys()].sort()).toEqual(['d1', 'd2']);
    expect((await store.insertDevices(t.db, 'a', '/', [{ device_id: 'd1' }])).size).toBe(0);
    expect((await store.insertDevices(t.db, 'b', '/x', [{ device_id: 'd1' }])).size).toBe(1);
    await store.touchDevices(t.db, [
      { tenant: 'a', deviceId: 'd1', at: '2026-01-01T10:00:00.000Z' },
      { tenant: 'a', deviceId: 'd2', at: '2026-01-01T11:00:00.000Z' },
      { tenant: 'a', deviceId: 'ghost', at: '2026-01-01T11:00:00.000Z' },
    ]);
    await store.touchDevices(t.db, [{ tenant: 'a', deviceId: 'd1', at: '2026-01-01T09:00:00.000Z' }]);
    const byKey = new Map((await store.allDevices(t.db)).map((d) => [`${d.tenant}/${d.doc.device_id}`, d]));
    expect(byKey.get('a/d1')?.lastSeen).toBe('2026-01-01T10:00:00.000Z');
    expect(byKey.get('a/d2')?.lastSeen).toBe('2026-01-01T11:00:00.000Z');
    expect(byKey.get('b/d1')?.lastSeen).toBeUndefined();
    expect(byKey.get('b/d1')?.servicePath).toBe('/x');
    expect(await store.updateDevice(t.db, 'a', { device_id: 'd1', entity_type: 'Lamp' })).toBe(true);
    expect(await store.deleteDevice(t.db, 'a', 'd2')).toBe(true);
    expect((await store.allDevices(t.db)).length).toBe(2);
  });
});
