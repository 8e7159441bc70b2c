/** The only SQL of citizen services. */
import type { Queryable } from '../../platform/db/db.ts';
import type { AttributeValue, ContactInput } from './open311.ts';
import type { MirroredRequest } from './indicators.ts';
import type { State } from './workflow.ts';

export interface RequestRow extends MirroredRequest {
  token: string;
  attributes: Record<string, AttributeValue>;
  photoId: string | null;
  assignee: string | null;
  source: RequestSource;
  assetDistanceM: number | null;
  /** The calling module's reference of an internal work request (e.g. a lighting alert id). */
  externalRef: string | null;
}

/** Modules that may open internal work requests (POST /api/citizen/work-requests). */
export const INTERNAL_SOURCES = ['lighting'] as const;
export type InternalSource = (typeof INTERNAL_SOURCES)[number];
export type RequestSource = 'open311' | 'web' | InternalSource;

const toRow = (r: any): RequestRow => ({
  id: r.id,
  token: r.token,
  serviceCode: r.service_code,
  state: r.state,
  note: r.note,
  description: r.description,
  address: r.address,
  addressId: r.address_id,
  attributes: r.attributes ?? {},
  lat: r.lat,
  lon: r.lon,
  communeCode: r.commune_code,
  arrondissementCode: r.arrondissement_code,
  scope: r.scope,
  agency: r.agency,
  assetId: r.asset_id,
  assetDistanceM: r.asset_distance_m,
  duplicateOf: r.duplicate_of,
  mediaUrl: r.media_url,
  photoId: r.photo_id,
  assignee: r.assignee,
  source: r.source,
  externalRef: r.external_ref ?? null,
  requestedAt: new Date(r.requested_at),
  updatedAt: new Date(r.updated_at),
  expectedAt: r.expected_at ? new Date(r.expected_at) : null,
  closedAt: r.closed_at ? new Date(r.closed_at) : null,
});

export type NewRequestRow = Omit<RequestRow, 'id' | 'closedAt'> & { apiKeyId: string | null };

export interface RequestFilter {
  ids?: string[];
  serviceCodes?: string[];
  states?: State[];
  communes?: string[];
  start?: Date;
  end?: Date;
  overdueAt?: Date;
  limit: number;
  offset: number;
}

export interface EventRow {
  at: Date;
  fromState: State | null;
  toState: State;
  note: string | null;
  actor: string;
}

export class CitizenStore {
  async insertRequest(q: Queryable, r: NewRequestRow): Promise<string> {
    const res = await q.query<{ id: string }>(
      `INSERT INTO citizen_requests (token, service_code, state, note, description, address, address_id, attributes, lat, lon, commune_code,
         arrondissement_code, scope, agency, asset_id, asset_distance_m, duplicate_of, media_url, photo_id, assignee, source, api_key_id,
         requested_at, updated_at, expected_at, external_ref)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26) RETURNING id`,
      [
        r.token, r.serviceCode, r.state, r.note, r.description, r.address, r.addressId, JSON.stringify(r.attributes), r.lat, r.lon, r.communeCode,
        r.arrondissementCode, r.scope, r.agency, r.assetId, r.assetDistanceM, r.duplicateOf, r.mediaUrl, r.photoId, r.assignee, r.source, r.apiKeyId,
        r.requestedAt, r.updatedAt, r.expectedAt, r.externalRef,
      ],
    );
    return res.rows[0].id;
  }

  async insertEvent(q: Queryable, requestId: string, e: EventRow): Promise<void> {
    await q.query('INSERT INTO citizen_request_events (request_id, at, from_state, to_state, note, actor) VALUES ($1, $2, $3, $4, $5, $6)', [
      requestId, e.at, e.fromState, e.toState, e.note, e.actor,
    ]);
  }

  async events(q: Queryable, requestId: string): Promise<EventRow[]> {
    const res = await q.query<any>('SELECT * FROM citizen_request_events WHERE request_id = $1 ORDER BY id', [requestId]);
    return res.rows.map((r) => ({ at: new Date(r.at), fromState: r.from_state, toState: r.to_state, note: r.note, actor: r.actor }));
  }

  async insertContact(q: Queryable, requestId: string, c: ContactInput): Promise<void> {
    await q.query('INSERT INTO citizen_contacts (request_id, email, first_name, last_name, phone, device_id, account_id) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      requestId, c.email ?? null, c.firstName ?? null, c.lastName ?? null, c.phone ?? null, c.deviceId ?? null, c.accountId ?? null,
    ]);
  }

  async contact(q: Queryable, requestId: string): Promise<ContactInput | undefined> {
    const r = (await q.query<any>('SELECT * FROM citizen_contacts WHERE request_id = $1', [requestId])).rows[0];
    if (!r) return undefined;
    const c: ContactInput = { email: r.email, firstName: r.first_name, lastName: r.last_name, phone: r.phone, deviceId: r.device_id, accountId: r.account_id };
    return Object.fromEntries(Object.entries(c).filter(([, v]) => v !== null)) as ContactInput;
  }

  /** Deletes contact details of requests closed before `closedBefore`; returns how many. */
  async deleteOldContacts(q: Queryable, closedBefore: Date): Promise<number> {
    const res = await q.query(
      `DELETE FROM citizen_contacts c USING citizen_requests r
        WHERE c.request_id = r.id AND r.closed_at IS NOT NULL AND r.closed_at < $1`,
      [closedBefore],
    );
    return res.rowCount;
  }

  async insertPhoto(q: Queryable, id: string, requestId: string, contentType: string, bytes: Uint8Array): Promise<void> {
    await q.query('INSERT INTO citizen_photos (id, request_id, content_type, bytes) VALUES ($1, $2, $3, $4)', [id, requestId, contentType, Buffer.from(bytes)]);
  }

  async photo(q: Queryable, id: string): Promise<{ contentType: string; bytes: Buffer } | undefined> {
    const r = (await q.query<any>('SELECT content_type, bytes FROM citizen_photos WHERE id = $1', [id])).rows[0];
    return r ? { contentType: r.content_type, bytes: Buffer.from(r.bytes) } : undefined;
  }

  async byId(q: Queryable, id: string): Promise<RequestRow | undefined> {
    const r = (await q.query('SELECT * FROM citizen_requests WHERE id = $1', [id])).rows[0];
    return r ? toRow(r) : undefined;
  }

  async forUpdate(q: Queryable, id: string): Promise<RequestRow | undefined> {
    const r = (await q.query('SELECT * FROM citizen_requests WHERE id = $1 FOR UPDATE', [id])).rows[0];
    return r ? toRow(r) : undefined;
  }

  async byExternalRef(q: Queryable, source: string, externalRef: string): Promise<RequestRow | undefined> {
    const r = (await q.query('SELECT * FROM citizen_requests WHERE source = $1 AND external_ref = $2', [source, externalRef])).rows[0];
    return r ? toRow(r) : undefined;
  }

  async byToken(q: Queryable, token: string): Promise<RequestRow | undefined> {
    const r = (await q.query('SELECT * FROM citizen_requests WHERE token = $1', [token])).rows[0];
    return r ? toRow(r) : undefined;
  }

  async byIds(q: Queryable, ids: string[]): Promise<RequestRow[]> {
    if (!ids.length) return [];
    return (await q.query('SELECT * FROM citizen_requests WHERE id = ANY($1::text[])', [ids])).rows.map(toRow);
  }

  /** Open requests of a category in a box around a point, filed since `since` (candidates for the duplicate rule). */
  async openNear(q: Queryable, serviceCode: string, lat: number, lon: number, dLat: number, dLon: number, since: Date): Promise<RequestRow[]> {
    const res = await q.query(
      `SELECT * FROM citizen_requests WHERE service_code = $1 AND closed_at IS NULL AND duplicate_of IS NULL AND requested_at >= $2
         AND lat BETWEEN $3 AND $4 AND lon BETWEEN $5 AND $6`,
      [serviceCode, since, lat - dLat, lat + dLat, lon - dLon, lon + dLon],
    );
    return res.rows.map(toRow);
  }

  async duplicatesOf(q: Queryable, id: string): Promise<string[]> {
    return (await q.query<{ id: string }>('SELECT id FROM citizen_requests WHERE duplicate_of = $1', [id])).rows.map((r) => r.id);
  }

  async search(q: Queryable, f: RequestFilter): Promise<{ rows: RequestRow[]; total: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (f.ids) where.push(`id = ANY(${p(f.ids)}::text[])`);
    if (f.serviceCodes) where.push(`service_code = ANY(${p(f.serviceCodes)}::text[])`);
    if (f.states) where.push(`state = ANY(${p(f.states)}::text[])`);
    if (f.communes) where.push(`commune_code = ANY(${p(f.communes)}::text[])`);
    if (f.start) where.push(`requested_at >= ${p(f.start)}`);
    if (f.end) where.push(`requested_at <= ${p(f.end)}`);
    if (f.overdueAt) where.push(`closed_at IS NULL AND expected_at < ${p(f.overdueAt)}`);
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = Number((await q.query<{ n: string }>(`SELECT count(*) AS n FROM citizen_requests ${w}`, params)).rows[0].n);
    const rows = (await q.query(`SELECT * FROM citizen_requests ${w} ORDER BY requested_at DESC, id DESC LIMIT ${p(f.limit)} OFFSET ${p(f.offset)}`, params)).rows.map(toRow);
    return { rows, total };
  }

  async setState(q: Queryable, id: string, s: { state: State; note: string | null; assignee: string | null; updatedAt: Date; closedAt: Date | null }): Promise<void> {
    await q.query('UPDATE citizen_requests SET state = $2, note = $3, assignee = $4, updated_at = $5, closed_at = $6, hub_synced = false WHERE id = $1', [
      id, s.state, s.note, s.assignee, s.updatedAt, s.closedAt,
    ]);
  }

  /** Duplicates follow their original: touching them makes their hub copy refresh. */
  async touch(q: Queryable, ids: string[], at: Date, closedAt: Date | null): Promise<void> {
    if (ids.length) await q.query('UPDATE citizen_requests SET updated_at = $2, closed_at = $3, hub_synced = false WHERE id = ANY($1::text[])', [ids, at, closedAt]);
  }

  async unsynced(q: Queryable, limit: number): Promise<RequestRow[]> {
    return (await q.query('SELECT * FROM citizen_requests WHERE NOT hub_synced ORDER BY id LIMIT $1', [limit])).rows.map(toRow);
  }

  async markSynced(q: Queryable, rows: { id: string; updatedAt: Date }[]): Promise<void> {
    // Only if unchanged since read: a change during the hub write keeps the row dirty.
    for (const r of rows) await q.query('UPDATE citizen_requests SET hub_synced = true WHERE id = $1 AND updated_at = $2', [r.id, r.updatedAt]);
  }

  async facts(q: Queryable, since: Date): Promise<{ communeCode: string; serviceCode: string; state: State; requestedAt: Date; closedAt: Date | null }[]> {
    const res = await q.query<any>('SELECT commune_code, service_code, state, requested_at, closed_at FROM citizen_requests WHERE requested_at >= $1', [since]);
    return res.rows.map((r) => ({ communeCode: r.commune_code, serviceCode: r.service_code, state: r.state, requestedAt: new Date(r.requested_at), closedAt: r.closed_at ? new Date(r.closed_at) : null }));
  }
}
