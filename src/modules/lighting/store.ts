/** The lighting module's SQL: alerts, saved scenarios, commands, baselines. */
import type { Queryable } from '../../platform/db/db.ts';
import type { FaultKind } from './faults.ts';

export interface AlertRow {
  id: string;
  lampId: string;
  kind: FaultKind;
  communeCode: string | null;
  scope: string | null;
  raisedAt: string;
  clearedAt: string | null;
  detail: Record<string, unknown>;
  /** The citizen-services work request opened for this alert, if any. */
  workRequestId: string | null;
}

export interface AlertFilter {
  open?: boolean;
  communeCode?: string;
  communes?: string[] | '*';
  kind?: string;
  limit: number;
  offset: number;
}

export interface CommandRow {
  id: string;
  targetType: string;
  targetId: string;
  command: string;
  value: unknown;
  devices: { deviceId: string; entityId: string; status: string; info?: string }[];
  createdBy: string;
  createdAt: string;
}

const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : v === null || v === undefined ? null : new Date(String(v)).toISOString());

function alertOf(r: Record<string, unknown>): AlertRow {
  return {
    id: String(r.id),
    lampId: String(r.lamp_id),
    kind: r.kind as FaultKind,
    communeCode: (r.commune_code as string | null) ?? null,
    scope: (r.scope as string | null) ?? null,
    raisedAt: iso(r.raised_at)!,
    clearedAt: iso(r.cleared_at),
    detail: (r.detail as Record<string, unknown>) ?? {},
    workRequestId: r.work_request_id === null || r.work_request_id === undefined ? null : String(r.work_request_id),
  };
}

export class LightingStore {
  /** Opens an alert unless one is open for this lamp and kind; returns it when new. */
  async raise(q: Queryable, a: { lampId: string; kind: FaultKind; communeCode?: string; scope?: string; at: string; detail: unknown }): Promise<AlertRow | undefined> {
    const r = await q.query(
      `INSERT INTO lighting_alerts (lamp_id, kind, commune_code, scope, raised_at, detail) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (lamp_id, kind) WHERE cleared_at IS NULL DO NOTHING RETURNING *`,
      [a.lampId, a.kind, a.communeCode ?? null, a.scope ?? null, a.at, JSON.stringify(a.detail)],
    );
    return r.rows[0] ? alertOf(r.rows[0]) : undefined;
  }

  /** Closes the open alert of this lamp and kind; returns it when there was one. */
  async clear(q: Queryable, lampId: string, kind: FaultKind, at: string): Promise<AlertRow | undefined> {
    const r = await q.query(
      `UPDATE lighting_alerts SET cleared_at = greatest($3::timestamptz, raised_at), updated_at = now()
       WHERE lamp_id = $1 AND kind = $2 AND cleared_at IS NULL RETURNING *`,
      [lampId, kind, at],
    );
    return r.rows[0] ? alertOf(r.rows[0]) : undefined;
  }

  async setWorkRequest(q: Queryable, alertId: string, workRequestId: string): Promise<void> {
    await q.query('UPDATE lighting_alerts SET work_request_id = $2, updated_at = now() WHERE id = $1', [alertId, workRequestId]);
  }

  async setWorkRequestResolved(q: Queryable, alertId: string): Promise<void> {
    await q.query('UPDATE lighting_alerts SET work_request_resolved_at = now(), updated_at = now() WHERE id = $1', [alertId]);
  }

  /** Cleared alerts whose work request was not marked fixed yet. */
  async unresolvedWorkRequests(q: Queryable): Promise<AlertRow[]> {
    return (
      await q.query('SELECT * FROM lighting_alerts WHERE cleared_at IS NOT NULL AND work_request_id IS NOT NULL AND work_request_resolved_at IS NULL')
    ).rows.map(alertOf);
  }

  async openAlerts(q: Queryable): Promise<AlertRow[]> {
    return (await q.query('SELECT * FROM lighting_alerts WHERE cleared_at IS NULL')).rows.map(alertOf);
  }

  async alerts(q: Queryable, f: AlertFilter): Promise<{ items: AlertRow[]; total: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.open !== undefined) where.push(f.open ? 'cleared_at IS NULL' : 'cleared_at IS NOT NULL');
    if (f.communeCode) where.push(`commune_code = $${params.push(f.communeCode)}`);
    // A principal's places are communes or arrondissements (scope /MA-06/<commune>/<arrondissement>).
    if (f.communes !== undefined && f.communes !== '*') {
      const n = params.push(f.communes);
      where.push(`(commune_code = ANY($${n}::text[]) OR split_part(scope, '/', 4) = ANY($${n}::text[]))`);
    }
    if (f.kind) where.push(`kind = $${params.push(f.kind)}`);
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = Number((await q.query<{ n: string }>(`SELECT count(*) AS n FROM lighting_alerts ${w}`, params)).rows[0].n);
    const rows = await q.query(`SELECT * FROM lighting_alerts ${w} ORDER BY raised_at DESC, id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`, [...params, f.limit, f.offset]);
    return { items: rows.rows.map(alertOf), total };
  }

  async saveScenario(q: Queryable, s: { id: string; name: string; request: unknown; summary: unknown; createdBy: string }): Promise<void> {
    await q.query('INSERT INTO lighting_scenarios (id, name, request, summary, created_by) VALUES ($1, $2, $3, $4, $5)', [s.id, s.name, JSON.stringify(s.request), JSON.stringify(s.summary), s.createdBy]);
  }

  async scenarios(q: Queryable, limit: number, offset: number) {
    const total = Number((await q.query<{ n: string }>('SELECT count(*) AS n FROM lighting_scenarios')).rows[0].n);
    const rows = await q.query('SELECT * FROM lighting_scenarios ORDER BY created_at DESC, id LIMIT $1 OFFSET $2', [limit, offset]);
    return { total, items: rows.rows.map((r) => ({ id: String(r.id), name: String(r.name), request: r.request, summary: r.summary, createdBy: String(r.created_by), createdAt: iso(r.created_at)! })) };
  }

  async scenario(q: Queryable, id: string) {
    const r = await q.query('SELECT * FROM lighting_scenarios WHERE id = $1', [id]);
    const row = r.rows[0];
    return row ? { id: String(row.id), name: String(row.name), request: row.request, summary: row.summary, createdBy: String(row.created_by), createdAt: iso(row.created_at)! } : undefined;
  }

  async addCommand(q: Queryable, c: Omit<CommandRow, 'createdAt'>): Promise<CommandRow> {
    const r = await q.query('INSERT INTO lighting_commands (id, target_type, target_id, command, value, devices, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created_at', [
      c.id,
      c.targetType,
      c.targetId,
      c.command,
      JSON.stringify(c.value ?? null),
      JSON.stringify(c.devices),
      c.createdBy,
    ]);
    return { ...c, createdAt: iso(r.rows[0].created_at)! };
  }

  async commands(q: Queryable, limit: number, offset: number): Promise<{ items: CommandRow[]; total: number }> {
    const total = Number((await q.query<{ n: string }>('SELECT count(*) AS n FROM lighting_commands')).rows[0].n);
    const rows = await q.query('SELECT * FROM lighting_commands ORDER BY created_at DESC, id LIMIT $1 OFFSET $2', [limit, offset]);
    return {
      total,
      items: rows.rows.map((r) => ({
        id: String(r.id),
        targetType: String(r.target_type),
        targetId: String(r.target_id),
        command: String(r.command),
        value: r.value,
        devices: r.devices as CommandRow['devices'],
        createdBy: String(r.created_by),
        createdAt: iso(r.created_at)!,
      })),
    };
  }

  async baselines(q: Queryable): Promise<Map<string, { energyKwh: number; lightPoints: number; takenAt: string }>> {
    const rows = await q.query('SELECT * FROM lighting_baselines');
    return new Map(rows.rows.map((r) => [String(r.commune_code), { energyKwh: Number(r.energy_kwh), lightPoints: Number(r.light_points), takenAt: iso(r.taken_at)! }]));
  }

  /** Records a baseline; `replace` false keeps an existing one. */
  async setBaseline(q: Queryable, communeCode: string, energyKwh: number, lightPoints: number, at: string, replace: boolean): Promise<void> {
    await q.query(
      `INSERT INTO lighting_baselines (commune_code, energy_kwh, light_points, taken_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (commune_code) DO ${replace ? 'UPDATE SET energy_kwh = EXCLUDED.energy_kwh, light_points = EXCLUDED.light_points, taken_at = EXCLUDED.taken_at' : 'NOTHING'}`,
      [communeCode, energyKwh, lightPoints, at],
    );
  }
}
