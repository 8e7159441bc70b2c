import type { Queryable } from '../../platform/db/db.ts';
import type { ChurnReport } from '../../platform/db/maintenance.ts';
import type { DeliveryStatus, NotificationPayload, StoredSubscription, SubscriptionDoc } from './model.ts';

interface SubscriptionRow {
  tenant: string;
  doc: SubscriptionDoc;
  context: unknown;
  times_sent: string | number;
  times_failed: string | number;
  last_notification: Date | string | null;
  last_success: Date | string | null;
  last_failure: Date | string | null;
  failing: boolean;
  created_at: Date | string;
  modified_at: Date | string;
  status_seq: string | number;
}

/** One subscription across tenants, as a map key (the dispatcher's, and applyStatus's answer). */
export const subscriptionKey = (tenant: string, id: string) => `${tenant}\u0000${id}`;

const iso = (d: Date | string) => (d instanceof Date ? d.toISOString() : new Date(d).toISOString());
const isoOpt = (d: Date | string | null) => (d === null ? undefined : iso(d));
const COLUMNS = 'tenant, doc, context, times_sent, times_failed, last_notification, last_success, last_failure, failing, created_at, modified_at, status_seq';

function toSubscription(r: SubscriptionRow): StoredSubscription {
  const status: DeliveryStatus = { timesSent: Number(r.times_sent), timesFailed: Number(r.times_failed), failing: r.failing };
  const ln = isoOpt(r.last_notification);
  const ls = isoOpt(r.last_success);
  const lf = isoOpt(r.last_failure);
  if (ln) status.lastNotification = ln;
  if (ls) status.lastSuccess = ls;
  if (lf) status.lastFailure = lf;
  return { tenant: r.tenant, doc: r.doc, context: r.context ?? undefined, status, createdAt: iso(r.created_at), modifiedAt: iso(r.modified_at), statusSeq: Number(r.status_seq) };
}

/** One row of the notification outbox. */
export interface OutboxRow {
  id: number;
  tenant: string;
  subscriptionId: string;
  endpoint: string;
  payload: NotificationPayload;
}

export interface OutboxInsert {
  tenant: string;
  subscriptionId: string;
  endpoint: string;
  payload: NotificationPayload;
}

/** A batch of counter changes for one subscription. */
export interface StatusDelta {
  tenant: string;
  id: string;
  sent: number;
  failed: number;
  lastNotification?: string;
  lastSuccess?: string;
  lastFailure?: string;
  failing?: boolean;
}

/** The only SQL of subscriptions and their outbox. */
export class SubscriptionStore {
  /**
   * `onWrite(table, changed, deadMaking)` reports churn to DbMaintenance: the outbox (a row in, a row out
   * per notification) and the status counters (rewritten every flush) are the hub's churniest tables,
   * and on PGlite nothing else would ever vacuum them.
   */
  constructor(private readonly onWrite?: ChurnReport) {}

  async insert(db: Queryable, s: StoredSubscription): Promise<boolean> {
    const r = await db.query(
      `INSERT INTO hub_subscriptions (tenant, id, doc, context, created_at, modified_at)
       VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, $5) ON CONFLICT (tenant, id) DO NOTHING RETURNING id`,
      [s.tenant, s.doc.id, JSON.stringify(s.doc), s.context === undefined ? null : JSON.stringify(s.context), s.createdAt],
    );
    return r.rows.length === 1;
  }

  async update(db: Queryable, tenant: string, doc: SubscriptionDoc, context: unknown, modifiedAt: string): Promise<boolean> {
    const r = await db.query(
      `UPDATE hub_subscriptions SET doc = $3::jsonb, context = $4::jsonb, modified_at = $5 WHERE tenant = $1 AND id = $2 RETURNING id`,
      [tenant, doc.id, JSON.stringify(doc), context === undefined ? null : JSON.stringify(context), modifiedAt],
    );
    return r.rows.length === 1;
  }

  /** Deletes the subscription and its pending notifications. */
  async delete(db: Queryable, tenant: string, id: string): Promise<boolean> {
    const r = await db.query('DELETE FROM hub_subscriptions WHERE tenant = $1 AND id = $2 RETURNING id', [tenant, id]);
    await db.query('DELETE FROM hub_notification_outbox WHERE tenant = $1 AND subscription_id = $2', [tenant, id]);
    return r.rows.length === 1;
  }

  async get(db: Queryable, tenant: string, id: string): Promise<StoredSubscription | undefined> {
    const r = await db.query<SubscriptionRow>(`SELECT ${COLUMNS} FROM hub_subscriptions WHERE tenant = $1 AND id = $2`, [tenant, id]);
    return r.rows[0] && toSubscription(r.rows[0]);
  }

  async list(db: Queryable, tenant: string, limit: number, offset: number): Promise<{ subscriptions: StoredSubscription[]; total: number }> {
    const c = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM hub_subscriptions WHERE tenant = $1', [tenant]);
    const r = await db.query<SubscriptionRow>(
      `SELECT ${COLUMNS} FROM hub_subscriptions WHERE tenant = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3`,
      [tenant, limit, offset],
    );
    return { subscriptions: r.rows.map(toSubscription), total: c.rows[0].n };
  }

  async all(db: Queryable, tenant: string): Promise<StoredSubscription[]> {
    const r = await db.query<SubscriptionRow>(`SELECT ${COLUMNS} FROM hub_subscriptions WHERE tenant = $1`, [tenant]);
    return r.rows.map(toSubscription);
  }

  /** Periodic subscriptions of every tenant (their timers start with the server). */
  async periodic(db: Queryable): Promise<StoredSubscription[]> {
    const r = await db.query<SubscriptionRow>(`SELECT ${COLUMNS} FROM hub_subscriptions WHERE doc ? 'timeInterval'`);
    return r.rows.map(toSubscription);
  }

  async ensureTenant(db: Queryable, tenant: string): Promise<void> {
    if (tenant === '') return;
    await db.query('INSERT INTO hub_tenants (name) VALUES ($1) ON CONFLICT DO NOTHING', [tenant]);
  }

  async tenantExists(db: Queryable, tenant: string): Promise<boolean> {
    if (tenant === '') return true;
    const r = await db.query('SELECT 1 FROM hub_tenants WHERE name = $1', [tenant]);
    return r.rows.length > 0;
  }

  /** Adds outbox rows; returns them with their ids, in the order given. */
  async addToOutbox(db: Queryable, rows: OutboxInsert[]): Promise<OutboxRow[]> {
    if (!rows.length) return [];
    const r = await db.query<{ id: string | number; n: number }>(
      `WITH input AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(n int, tenant text, subscription_id text, endpoint text, payload jsonb)
       ), ins AS (
         INSERT INTO hub_notification_outbox (tenant, subscription_id, endpoint, payload)
         SELECT tenant, subscription_id, endpoint, payload FROM input ORDER BY n
         RETURNING id
       )
       SELECT id FROM ins ORDER BY id`,
      [JSON.stringify(rows.map((x, n) => ({ n, tenant: x.tenant, subscription_id: x.subscriptionId, endpoint: x.endpoint, payload: x.payload })))],
    );
    this.onWrite?.('hub_notification_outbox', rows.length, 0);
    // Ids of one INSERT ... SELECT ... ORDER BY come from the sequence in that order.
    return r.rows.map((row, i) => ({ id: Number(row.id), ...rows[i] }));
  }

  /** Endpoints with pending notifications (at start-up). */
  async pendingEndpoints(db: Queryable): Promise<string[]> {
    const r = await db.query<{ endpoint: string }>('SELECT DISTINCT endpoint FROM hub_notification_outbox');
    return r.rows.map((x) => x.endpoint);
  }

  /** Endpoints whose oldest pending row is older than `ageMs` (the safety sweep). */
  async oldestPending(db: Queryable, ageMs: number): Promise<{ endpoint: string; minId: number }[]> {
    const r = await db.query<{ endpoint: string; min_id: string | number }>(
      `SELECT endpoint, min(id) AS min_id FROM hub_notification_outbox
       WHERE created_at < now() - ($1::int * interval '1 millisecond') GROUP BY endpoint`,
      [ageMs],
    );
    return r.rows.map((x) => ({ endpoint: x.endpoint, minId: Number(x.min_id) }));
  }

  async loadOutbox(db: Queryable, endpoint: string, afterId: number, limit: number): Promise<OutboxRow[]> {
    const r = await db.query<{ id: string | number; tenant: string; subscription_id: string; endpoint: string; payload: NotificationPayload }>(
      `SELECT id, tenant, subscription_id, endpoint, payload FROM hub_notification_outbox
       WHERE endpoint = $1 AND id > $2 ORDER BY id LIMIT $3`,
      [endpoint, afterId, limit],
    );
    return r.rows.map((x) => ({ id: Number(x.id), tenant: x.tenant, subscriptionId: x.subscription_id, endpoint: x.endpoint, payload: x.payload }));
  }

  async deleteFromOutbox(db: Queryable, ids: number[]): Promise<void> {
    if (!ids.length) return;
    await db.query('DELETE FROM hub_notification_outbox WHERE id = ANY($1::bigint[])', [ids]);
    this.onWrite?.('hub_notification_outbox', ids.length, ids.length);
  }

  /** Adds the deltas to the rows and counts the flush in each; returns each row's new count by subscriptionKey. */
  async applyStatus(db: Queryable, deltas: StatusDelta[]): Promise<Map<string, number>> {
    if (!deltas.length) return new Map();
    const r = await db.query<{ tenant: string; id: string; seq: string | number }>(
      `UPDATE hub_subscriptions s SET
         times_sent = s.times_sent + d.sent,
         times_failed = s.times_failed + d.failed,
         last_notification = COALESCE(d.last_notification, s.last_notification),
         last_success = COALESCE(d.last_success, s.last_success),
         last_failure = COALESCE(d.last_failure, s.last_failure),
         failing = COALESCE(d.failing, s.failing),
         status_seq = s.status_seq + 1
       FROM jsonb_to_recordset($1::jsonb) AS d(tenant text, id text, sent int, failed int, last_notification timestamptz,
                                              last_success timestamptz, last_failure timestamptz, failing boolean)
       WHERE s.tenant = d.tenant AND s.id = d.id
       RETURNING s.tenant, s.id, s.status_seq AS seq`,
      [
        JSON.stringify(
          deltas.map((d) => ({
            tenant: d.tenant,
            id: d.id,
            sent: d.sent,
            failed: d.failed,
            last_notification: d.lastNotification ?? null,
            last_success: d.lastSuccess ?? null,
            last_failure: d.lastFailure ?? null,
            failing: d.failing ?? null,
          })),
        ),
      ],
    );
    this.onWrite?.('hub_subscriptions', deltas.length, deltas.length);
    return new Map(r.rows.map((x) => [subscriptionKey(x.tenant, x.id), Number(x.seq)]));
  }
}
