/** The IoT agent's SQL: config groups and devices. The only file of src/iot that speaks SQL. */
import type { Queryable } from '../platform/db/db.ts';
import type { Device, DeviceDoc, Group, GroupDoc } from './model.ts';

interface GroupRow {
  tenant: string;
  service_path: string;
  doc: GroupDoc;
}

interface DeviceRow {
  tenant: string;
  service_path: string;
  doc: DeviceDoc;
  created_at: Date | string;
  last_seen: Date | string | null;
}

const iso = (v: Date | string): string => (v instanceof Date ? v : new Date(v)).toISOString();

const toDevice = (r: DeviceRow): Device => ({
  tenant: r.tenant,
  servicePath: r.service_path,
  doc: r.doc,
  createdAt: iso(r.created_at),
  ...(r.last_seen ? { lastSeen: iso(r.last_seen) } : {}),
});

export class IotStore {
  async allGroups(db: Queryable): Promise<Group[]> {
    const r = await db.query<GroupRow>('SELECT tenant, service_path, doc FROM iot_groups ORDER BY created_at, apikey');
    return r.rows.map((x) => ({ tenant: x.tenant, servicePath: x.service_path, doc: x.doc }));
  }

  /** Inserts the groups whose (resource, apikey) is free; returns the keys that were taken. */
  async insertGroups(db: Queryable, groups: Group[]): Promise<Set<string>> {
    if (!groups.length) return new Set();
    const r = await db.query<{ resource: string; apikey: string }>(
      `INSERT INTO iot_groups (resource, apikey, tenant, service_path, doc)
       SELECT g.doc->>'resource', g.doc->>'apikey', g.tenant, g.service_path, g.doc
       FROM jsonb_to_recordset($1::jsonb) AS g(tenant text, service_path text, doc jsonb)
       ON CONFLICT (resource, apikey) DO NOTHING
       RETURNING resource, apikey`,
      [JSON.stringify(groups.map((g) => ({ tenant: g.tenant, service_path: g.servicePath, doc: g.doc })))],
    );
    return new Set(r.rows.map((x) => `${x.resource}\u0000${x.apikey}`));
  }

  async updateGroup(db: Queryable, group: Group): Promise<boolean> {
    const r = await db.query('UPDATE iot_groups SET doc = $4 WHERE resource = $1 AND apikey = $2 AND tenant = $3', [
      group.doc.resource,
      group.doc.apikey,
      group.tenant,
      JSON.stringify(group.doc),
    ]);
    return r.rowCount > 0;
  }

  async deleteGroup(db: Queryable, tenant: string, resource: string, apikey: string): Promise<boolean> {
    const r = await db.query('DELETE FROM iot_groups WHERE resource = $1 AND apikey = $2 AND tenant = $3', [resource, apikey, tenant]);
    return r.rowCount > 0;
  }

  async allDevices(db: Queryable): Promise<Device[]> {
    const r = await db.query<DeviceRow>('SELECT tenant, service_path, doc, created_at, last_seen FROM iot_devices');
    return r.rows.map(toDevice);
  }

  /** Inserts the devices whose (tenant, device_id) is free; returns the ids inserted. */
  async insertDevices(db: Queryable, tenant: string, servicePath: string, docs: DeviceDoc[]): Promise<Map<string, string>> {
    if (!docs.length) return new Map();
    const r = await db.query<{ device_id: string; created_at: Date | string }>(
      `INSERT INTO iot_devices (tenant, device_id, service_path, doc)
       SELECT $1, d.doc->>'device_id', $2, d.doc FROM jsonb_to_recordset($3::jsonb) AS d(doc jsonb)
       ON CONFLICT (tenant, device_id) DO NOTHING
       RETURNING device_id, created_at`,
      [tenant, servicePath, JSON.stringify(docs.map((doc) => ({ doc })))],
    );
    return new Map(r.rows.map((x) => [x.device_id, iso(x.created_at)]));
  }

  async updateDevice(db: Queryable, tenant: string, doc: DeviceDoc): Promise<boolean> {
    const r = await db.query('UPDATE iot_devices SET doc = $3 WHERE tenant = $1 AND device_id = $2', [tenant, doc.device_id, JSON.stringify(doc)]);
    return r.rowCount > 0;
  }

  async deleteDevice(db: Queryable, tenant: string, deviceId: string): Promise<boolean> {
    const r = await db.query('DELETE FROM iot_devices WHERE tenant = $1 AND device_id = $2', [tenant, deviceId]);
    return r.rowCount > 0;
  }

  /** One statement for many devices: lastSeen is written in batches, never per message. */
  async touchDevices(db: Queryable, seen: { tenant: string; deviceId: string; at: string }[]): Promise<void> {
    if (!seen.length) return;
    await db.query(
      `UPDATE iot_devices d SET last_seen = GREATEST(d.last_seen, s.at)
       FROM jsonb_to_recordset($1::jsonb) AS s(tenant text, device_id text, at timestamptz)
       WHERE d.tenant = s.tenant AND d.device_id = s.device_id`,
      [JSON.stringify(seen.map((s) => ({ tenant: s.tenant, device_id: s.deviceId, at: s.at })))],
    );
  }
}
