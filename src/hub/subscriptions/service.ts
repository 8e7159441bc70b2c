import type { Db, Queryable } from '../../platform/db/db.ts';
import type { Logger } from '../../platform/log.ts';
import { HubErrors } from '../errors.ts';
import type { StoredEntity } from '../entities/model.ts';
import type { EntityChange, EntityService } from '../entities/service.ts';
import type { EntityStore } from '../entities/store.ts';
import type { ContextService } from '../jsonld/context-service.ts';
import type { TermMapper } from '../jsonld/term-mapper.ts';
import { buildEntityFilter, type EntityQuery } from '../query/entity-filter.ts';
import { parseGeoQuery } from '../query/geo.ts';
import { parseQuery } from '../query/q.ts';
import { parseScopeQuery } from '../query/scope.ts';
import { parseTypeExpression } from '../query/type-expr.ts';
import { DEFAULT_DISPATCHER_OPTIONS, Dispatcher, type DeliveryTarget, type DispatcherOptions, type QueuedRow } from './dispatcher.ts';
import { compileMatcher, matchChange, type Matcher } from './match.ts';
import type { DeliveryStatus, StoredSubscription, SubscriptionDoc } from './model.ts';
import { changePayload, periodicPayload } from './notification.ts';
import { mergeUpdate, parseSubscription } from './parse.ts';
import { subscriptionKey, type OutboxInsert, type SubscriptionStore } from './store.ts';
import type { Transport } from './transports.ts';

/** A subscription ready to match changes: its filter compiled, its @context loaded. */
export interface ActiveSubscription {
  sub: StoredSubscription;
  mapper: TermMapper;
  matcher: Matcher;
}

export type SubscriptionState = 'active' | 'paused' | 'expired';

export interface SubscriptionServiceDeps {
  db: Db;
  store: SubscriptionStore;
  entities: EntityService;
  entityStore: EntityStore;
  contexts: ContextService;
  transports: { http: Transport; mqtt: Transport };
  log: Logger;
  dispatcher?: Partial<DispatcherOptions>;
  clock?: () => Date;
}

const notFound = (id: string) => HubErrors.resourceNotFound.with(`Subscription ${id} not found`);
const PERIODIC_LIMIT = 1000;

/**
 * Subscription use cases (NGSI-LD 1.8 §5.8) and the notification outbox writer: every entity write
 * calls `onChange` inside its transaction, which matches the change against the tenant's subscriptions
 * (held in memory: all of them are loaded at start, and kept current by the writes here) and adds one
 * outbox row per match; after the commit the rows go straight to the dispatcher.
 */
export class SubscriptionService {
  readonly dispatcher: Dispatcher;
  /** tenant -> id -> subscription. Complete after start(): a tenant absent here has none. */
  private readonly cache = new Map<string, Map<string, ActiveSubscription>>();
  private readonly committedRows = new WeakMap<EntityChange[], QueuedRow[]>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly clock: () => Date;
  private started = false;

  constructor(private readonly deps: SubscriptionServiceDeps) {
    this.clock = deps.clock ?? (() => new Date());
    this.dispatcher = new Dispatcher(
      {
        db: deps.db,
        store: deps.store,
        lookup: (tenant, id) => this.lookup(tenant, id),
        transports: deps.transports,
        log: deps.log,
      },
      { ...DEFAULT_DISPATCHER_OPTIONS, ...deps.dispatcher },
    );
    deps.entities.onChange((tx, tenant, changes) => this.onChange(tx, tenant, changes));
    deps.entities.onCommitted((_tenant, changes) => this.onCommitted(changes));
  }

  /** Loads every subscription, starts periodic timers and resumes delivery of the outbox. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const r = await this.deps.db.query<{ tenant: string }>('SELECT DISTINCT tenant FROM hub_subscriptions');
    for (const { tenant } of r.rows) {
      const map = new Map<string, ActiveSubscription>();
      for (const sub of await this.deps.store.all(this.deps.db, tenant)) {
        try {
          map.set(sub.doc.id, await this.compile(sub));
        } catch (err) {
          this.deps.log.error({ err, tenant, subscription: sub.doc.id }, 'subscription cannot be loaded; it will not notify');
        }
      }
      this.cache.set(tenant, map);
    }
    for (const map of this.cache.values()) for (const a of map.values()) this.schedulePeriodic(a);
    await this.dispatcher.start();
  }

  async stop(): Promise<void> {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await this.dispatcher.stop();
    await Promise.all([this.deps.transports.http.close(), this.deps.transports.mqtt.close()]);
    this.started = false;
  }

  private async compile(sub: StoredSubscription): Promise<ActiveSubscription> {
    const mapper = await this.deps.contexts.mapper(sub.context);
    const matcher = compileMatcher(sub.doc, { expandAttr: (t) => mapper.expand(t), expandVocab: (t) => mapper.expand(t) });
    return { sub, mapper, matcher };
  }

  private async lookup(tenant: string, id: string): Promise<DeliveryTarget | undefined> {
    const a = this.cache.get(tenant)?.get(id);
    return a && { doc: a.sub.doc, context: a.sub.context };
  }

  state(doc: SubscriptionDoc, now = this.clock()): SubscriptionState {
    if (doc.expiresAt && Date.parse(doc.expiresAt) <= now.getTime()) return 'expired';
    return doc.isActive ? 'active' : 'paused';
  }

  private notifies(a: ActiveSubscription, nowMs: number): boolean {
    const d = a.sub.doc;
    return d.isActive && d.timeInterval === undefined && !(d.expiresAt && Date.parse(d.expiresAt) <= nowMs);
  }

  // ---- The outbox writer (inside the entity write's transaction).

  private async onChange(tx: Queryable, tenant: string, changes: EntityChange[]): Promise<void> {
    const subs = this.cache.get(tenant);
    if (!subs?.size) return;
    const now = this.clock();
    const nowIso = now.toISOString();
    const rows: OutboxInsert[] = [];
    const throttles: number[] = [];
    for (const change of changes) {
      for (const a of subs.values()) {
        if (!this.notifies(a, now.getTime())) continue;
        const m = matchChange(a.matcher, change);
        if (!m) continue;
        rows.push({ tenant, subscriptionId: a.sub.doc.id, endpoint: a.sub.doc.notification.endpoint.uri, payload: changePayload(a.sub.doc, a.mapper, change, m, nowIso) });
        throttles.push((a.sub.doc.throttling ?? 0) * 1000);
      }
    }
    if (!rows.length) return;
    const inserted = await this.deps.store.addToOutbox(tx, rows);
    this.committedRows.set(changes, inserted.map((r, i) => ({ ...r, throttleMs: throttles[i] })));
  }

  private onCommitted(changes: EntityChange[]): void {
    const rows = this.committedRows.get(changes);
    if (!rows) return;
    this.committedRows.delete(changes);
    this.dispatcher.enqueue(rows);
  }

  // ---- Periodic notifications (timeInterval).

  private schedulePeriodic(a: ActiveSubscription): void {
    const key = subscriptionKey(a.sub.tenant, a.sub.doc.id);
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    const seconds = a.sub.doc.timeInterval;
    if (!this.started || seconds === undefined) return;
    const timer = setTimeout(async () => {
      const current = this.cache.get(a.sub.tenant)?.get(a.sub.doc.id);
      if (current !== a) return;
      try {
        await this.periodicTick(a);
      } catch (err) {
        this.deps.log.error({ err, subscription: a.sub.doc.id }, 'periodic notification failed');
      }
      if (this.cache.get(a.sub.tenant)?.get(a.sub.doc.id) === a) this.schedulePeriodic(a);
    }, seconds * 1000);
    timer.unref();
    this.timers.set(key, timer);
  }

  private async periodicTick(a: ActiveSubscription): Promise<void> {
    const d = a.sub.doc;
    if (this.state(d) !== 'active') return;
    const entities = await this.currentEntities(a);
    if (!entities.length) return;
    const row: OutboxInsert = { tenant: a.sub.tenant, subscriptionId: d.id, endpoint: d.notification.endpoint.uri, payload: periodicPayload(d, a.mapper, entities) };
    const inserted = await this.deps.db.transaction((tx) => this.deps.store.addToOutbox(tx, [row]));
    this.dispatcher.enqueue(inserted.map((r) => ({ ...r, throttleMs: 0 })));
  }

  /** The entities a periodic subscription reports: one query per entity selector, united by id. */
  private async currentEntities(a: ActiveSubscription): Promise<StoredEntity[]> {
    const d = a.sub.doc;
    const base: EntityQuery = {};
    if (d.q) base.q = parseQuery(d.q);
    if (d.scopeQ) base.scopeQ = parseScopeQuery(d.scopeQ);
    if (d.geoQ) base.geo = parseGeoQuery({ georel: d.geoQ.georel, geometry: d.geoQ.geometry, coordinates: d.geoQ.coordinates, geoproperty: d.geoQ.geoproperty });
    const found = new Map<string, StoredEntity>();
    for (const s of d.entities ?? []) {
      const query: EntityQuery = { ...base, type: parseTypeExpression(s.type) };
      if (s.id) query.ids = [s.id];
      else if (s.idPattern) query.idPattern = s.idPattern;
      const r = await this.deps.entityStore.query(this.deps.db, buildEntityFilter(a.sub.tenant, query, a.mapper), { limit: PERIODIC_LIMIT, offset: 0, count: false });
      for (const e of r.entities) found.set(e.id, e);
    }
    return [...found.values()].sort((x, y) => (x.id < y.id ? -1 : 1));
  }

  // ---- Use cases (§5.8.1-5.8.5).

  private async assertTenant(tenant: string): Promise<void> {
    if (!(await this.deps.store.tenantExists(this.deps.db, tenant))) throw HubErrors.nonexistentTenant.with(`Tenant ${tenant} does not exist`);
  }

  private install(a: ActiveSubscription): void {
    let map = this.cache.get(a.sub.tenant);
    if (!map) {
      map = new Map();
      this.cache.set(a.sub.tenant, map);
    }
    map.set(a.sub.doc.id, a);
    this.schedulePeriodic(a);
  }

  /** Create Subscription: the body is read with `mapper` (the request's @context), kept for notifications. */
  async create(tenant: string, body: unknown, mapper: TermMapper): Promise<StoredSubscription> {
    const now = this.clock();
    const doc = parseSubscription(body, mapper, now);
    const sub: StoredSubscription = {
      tenant,
      doc,
      context: mapper.context,
      status: { timesSent: 0, timesFailed: 0, failing: false },
      createdAt: now.toISOString(),
      modifiedAt: now.toISOString(),
    };
    const active = { sub, mapper, matcher: compileMatcher(doc, { expandAttr: (t) => mapper.expand(t), expandVocab: (t) => mapper.expand(t) }) };
    const inserted = await this.deps.db.transaction(async (tx) => {
      await this.deps.store.ensureTenant(tx, tenant);
      return this.deps.store.insert(tx, sub);
    });
    if (!inserted) throw HubErrors.alreadyExists.with(`Subscription ${doc.id} already exists`);
    this.install(active);
    return sub;
  }

  async retrieve(tenant: string, id: string): Promise<StoredSubscription> {
    await this.assertTenant(tenant);
    const s = await this.deps.store.get(this.deps.db, tenant, id);
    if (!s) throw notFound(id);
    return this.withPending(s);
  }

  async list(tenant: string, limit: number, offset: number): Promise<{ subscriptions: StoredSubscription[]; total: number }> {
    await this.assertTenant(tenant);
    const r = await this.deps.store.list(this.deps.db, tenant, limit, offset);
    return { subscriptions: r.subscriptions.map((s) => this.withPending(s)), total: r.total };
  }

  /** Counters not yet written are added, so a read right after a notification sees it. */
  private withPending(s: StoredSubscription): StoredSubscription {
    const p = this.dispatcher.pendingStatus(s.tenant, s.doc.id, s.statusSeq);
    if (!p) return s;
    const status: DeliveryStatus = {
      timesSent: s.status.timesSent + p.sent,
      timesFailed: s.status.timesFailed + p.failed,
      lastNotification: p.lastNotification ?? s.status.lastNotification,
      lastSuccess: p.lastSuccess ?? s.status.lastSuccess,
      lastFailure: p.lastFailure ?? s.status.lastFailure,
      failing: p.failing ?? s.status.failing,
    };
    return { ...s, status };
  }

  /** Update Subscription (§5.8.2): members replaced, notification members merged; re-validated whole. */
  async update(tenant: string, id: string, patch: unknown, mapper: TermMapper, contextGiven: boolean): Promise<void> {
    await this.assertTenant(tenant);
    const current = await this.deps.store.get(this.deps.db, tenant, id);
    if (!current) throw notFound(id);
    const now = this.clock();
    const doc = parseSubscription(mergeUpdate(current.doc, patch), mapper, now);
    // The @context of the update applies from now on when one was sent; otherwise the stored one stays.
    const context = contextGiven ? mapper.context : current.context;
    const ctxMapper = contextGiven ? mapper : await this.deps.contexts.mapper(current.context);
    const active = { sub: { ...current, doc, context, modifiedAt: now.toISOString() }, mapper: ctxMapper, matcher: compileMatcher(doc, { expandAttr: (t) => ctxMapper.expand(t), expandVocab: (t) => ctxMapper.expand(t) }) };
    if (!(await this.deps.store.update(this.deps.db, tenant, doc, context, now.toISOString()))) throw notFound(id);
    this.install(active);
  }

  async delete(tenant: string, id: string): Promise<void> {
    await this.assertTenant(tenant);
    const deleted = await this.deps.db.transaction((tx) => this.deps.store.delete(tx, tenant, id));
    if (!deleted) throw notFound(id);
    this.cache.get(tenant)?.delete(id);
    const key = subscriptionKey(tenant, id);
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.dispatcher.forget(tenant, id);
  }

  /** Active subscriptions of a tenant (in-process readers, diagnostics). */
  active(tenant: string): ActiveSubscription[] {
    return [...(this.cache.get(tenant)?.values() ?? [])];
  }
}

