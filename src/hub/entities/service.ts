import { allSettledOrThrow, type Db, type Queryable } from '../../platform/db/db.ts';
import { HubErrors } from '../errors.ts';
import { deleteAttribute, applyAttributes, mergeAttributes, mergeInstance, stampAll, type NotUpdated } from './merge.ts';
import type { AttributeInstance, StoredEntity } from './model.ts';
import type { EntityInput } from './parse.ts';
import type { EntityFilter, EntityStore } from './store.ts';
import { ReadBatcher } from './read-batcher.ts';
import { QueryBatcher } from './query-batcher.ts';
import { WriteBatcher } from './write-batcher.ts';
import { EntityReadCache, QueryHitRates, type EntityView } from './read-cache.ts';
import type { Problem } from '../../platform/http/problem.ts';

/** What changed in one entity, given to change listeners inside the writing transaction. */
export interface EntityChange {
  kind: 'created' | 'updated' | 'deleted';
  before?: StoredEntity;
  after?: StoredEntity;
}

/** Called inside the writing transaction, so an outbox row commits or rolls back with the change. */
export type ChangeListener = (tx: Queryable, tenant: string, changes: EntityChange[]) => Promise<void>;

/** Called after the transaction committed (live feeds, in-process reactions); must not throw. */
export type CommittedListener = (tenant: string, changes: EntityChange[]) => void;

export interface BatchResult {
  success: string[];
  errors: { entityId: string; error: Problem }[];
  created: string[];
}

export interface UpdateResult {
  updated: string[];
  notUpdated: NotUpdated[];
}

export type UpsertMode = 'replace' | 'update';

const notFound = (id: string) => HubErrors.resourceNotFound.with(`Entity ${id} not found`);

/** The hub's entity use cases over expanded inputs (NGSI-LD 1.8 §5.6, §5.9). */
export class EntityService {
  private readonly listeners: ChangeListener[] = [];
  private readonly committedListeners: CommittedListener[] = [];
  private readonly writes: WriteBatcher;
  private readonly reads: ReadBatcher;
  /** Query pages grouped by shape (query-batcher.ts): ids and versions, or documents too. */
  private readonly pageVersions: QueryBatcher<{ id: string; v: string }[]>;
  private readonly pageDocuments: QueryBatcher<{ id: string; version: string; entity: () => StoredEntity }[]>;
  /** Per query shape, how often the read cache answers (see queryJson). */
  private readonly queryHits = new QueryHitRates();

  constructor(
    private readonly db: Db,
    private readonly store: EntityStore,
    private readonly clock: () => Date = () => new Date(),
    /** Rendered entities by row version (read-cache.ts); size 0 = every read renders. */
    readonly readCache = new EntityReadCache(0),
  ) {
    this.reads = new ReadBatcher(db, store);
    const grouping = { maxInFlight: db.driver === 'postgres' ? 2 : 1 };
    this.pageVersions = new QueryBatcher((filters, page) => store.queryVersionsMany(db, filters, page), grouping);
    this.pageDocuments = new QueryBatcher((filters, page) => store.queryWithVersionsMany(db, filters, page), grouping);
    this.writes = new WriteBatcher(db, store, {
      clock,
      notify: (tx, tenant, changes) => this.notify(tx, tenant, changes),
      afterCommit: (tenant, changes) => this.emitCommitted(tenant, changes),
    });
  }

  /** Listeners run inside each writing transaction (durable outboxes, history rows). */
  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  /** Listeners run after each commit. */
  onCommitted(listener: CommittedListener): void {
    this.committedListeners.push(listener);
  }

  private emitCommitted(tenant: string, changes: EntityChange[]) {
    if (!changes.length) return;
    if (this.readCache.enabled) for (const c of changes) this.readCache.forget(tenant, (c.after ?? c.before)!.id);
    for (const l of this.committedListeners) {
      try {
        l(tenant, changes);
      } catch {
        // A reader's failure must never undo or fail a committed write.
      }
    }
  }

  private now(): string {
    return this.clock().toISOString();
  }

  private async notify(tx: Queryable, tenant: string, changes: EntityChange[]) {
    if (!changes.length) return;
    await allSettledOrThrow(this.listeners.map((l) => l(tx, tenant, changes)));
  }

  async assertTenant(tenant: string): Promise<void> {
    if (!(await this.store.tenantExists(this.db, tenant))) {
      throw HubErrors.nonexistentTenant.with(`Tenant ${tenant} does not exist`);
    }
  }

  newEntity(input: EntityInput, now: string): StoredEntity {
    if (!input.id) throw HubErrors.badRequestData.with('Entity id is required');
    if (!input.types?.length) throw HubErrors.badRequestData.with('Entity type is required');
    return { id: input.id, types: input.types, scopes: input.scopes ?? [], attrs: stampAll(input.attrs, now), createdAt: now, modifiedAt: now };
  }

  async create(tenant: string, input: EntityInput): Promise<StoredEntity> {
    const entity = this.newEntity(input, this.now());
    return this.writes.submit<StoredEntity>(tenant, entity.id, { kind: 'create', entity });
  }

  async retrieve(tenant: string, id: string): Promise<StoredEntity> {
    await this.assertTenant(tenant);
    const e = await this.store.get(this.db, tenant, id);
    if (!e) throw notFound(id);
    return e;
  }

  /** Retrieve Entity as JSON text in `view`, rendered again only when the stored entity changed. */
  async retrieveJson(tenant: string, id: string, view: EntityView<StoredEntity>): Promise<string> {
    await this.assertTenant(tenant);
    const cached = this.readCache.enabled ? this.readCache.peek(tenant, id, view.key) : undefined;
    const found = await this.reads.get(tenant, id, cached?.version ?? '');
    if (!found) throw notFound(id);
    if (!found.entity) {
      this.readCache.confirmHit();
      return cached!.json;
    }
    return this.renderAndKeep(tenant, found.entity, found.version, view);
  }

  /** Renders an entity in `view` and keeps the JSON in the read cache under its stored version. */
  private renderAndKeep(tenant: string, entity: StoredEntity, version: string, view: EntityView<StoredEntity>): string {
    const json = view.render(entity);
    this.readCache.put(tenant, entity.id, version, view.key, json);
    return json;
  }

  async delete(tenant: string, id: string): Promise<void> {
    await this.assertTenant(tenant);
    await this.writes.submit(tenant, id, { kind: 'delete' });
  }

  /** Read-modify-write of one entity under a row lock; `change` returns the new state. */
  /** Read-modify-write of one entity, group-committed with concurrent writes; `change` returns the new state. */
  private async modify<T>(
    tenant: string,
    id: string,
    change: (current: StoredEntity, now: string) => { next?: StoredEntity; result: T },
  ): Promise<T> {
    await this.assertTenant(tenant);
    return this.writes.submit<T>(tenant, id, { kind: 'modify', change });
  }

  /** Replace Entity (§5.6.18): all attributes replaced; types replaced when given. */
  replace(tenant: string, id: string, input: EntityInput): Promise<void> {
    return this.modify(tenant, id, (current, now) => ({
      next: {
        ...current,
        types: input.types ?? current.types,
        scopes: input.scopes ?? [],
        attrs: stampAll(input.attrs, now),
        modifiedAt: now,
      },
      result: undefined,
    }));
  }

  /** Merge Entity (§5.6.17). */
  merge(tenant: string, id: string, input: EntityInput): Promise<void> {
    return this.modify(tenant, id, (current, now) => ({
      next: {
        ...current,
        types: input.types ? [...new Set([...current.types, ...input.types])] : current.types,
        scopes: input.scopes ?? current.scopes,
        attrs: mergeAttributes(current.attrs, input.attrs, now),
        modifiedAt: now,
      },
      result: undefined,
    }));
  }

  /** Append (§5.6.3) or Update (§5.6.2) Entity Attributes. */
  updateAttrs(tenant: string, id: string, input: EntityInput, mode: { noOverwrite?: boolean; onlyExisting?: boolean }): Promise<UpdateResult> {
    return this.modify(tenant, id, (current, now) => {
      const change = applyAttributes(current.attrs, input.attrs, now, mode);
      const types = input.types && !mode.onlyExisting ? [...new Set([...current.types, ...input.types])] : current.types;
      const scopes = input.scopes && !mode.onlyExisting ? input.scopes : current.scopes;
      const changed = change.updated.length > 0 || types.length !== current.types.length || scopes !== current.scopes;
      return {
        next: changed ? { ...current, types, scopes, attrs: change.attrs, modifiedAt: now } : undefined,
        result: { updated: change.updated, notUpdated: change.notUpdated },
      };
    });
  }

  /** Partial Attribute Update (§5.6.4): members of the matching instance are replaced. */
  partialUpdate(tenant: string, id: string, attrIri: string, patch: AttributeInstance): Promise<void> {
    return this.modify(tenant, id, (current, now) => {
      const list = current.attrs[attrIri];
      const at = list?.findIndex((i) => (i.datasetId ?? '') === (patch.datasetId ?? '')) ?? -1;
      if (!list || at < 0) throw HubErrors.resourceNotFound.with(`Entity ${id} has no such attribute instance`);
      const next = [...list];
      next[at] = { ...mergeInstance(list[at], patch), createdAt: list[at].createdAt, modifiedAt: now };
      return { next: { ...current, attrs: { ...current.attrs, [attrIri]: next }, modifiedAt: now }, result: undefined };
    });
  }

  /** Delete Entity Attribute (§5.6.5). */
  deleteAttr(tenant: string, id: string, attrIri: string, sel: { datasetId?: string; deleteAll?: boolean }): Promise<void> {
    return this.modify(tenant, id, (current, now) => {
      const attrs = deleteAttribute(current.attrs, attrIri, sel);
      if (!attrs) throw HubErrors.resourceNotFound.with(`Entity ${id} has no such attribute${sel.datasetId ? ` with datasetId ${sel.datasetId}` : ''}`);
      return { next: { ...current, attrs, modifiedAt: now }, result: undefined };
    });
  }

  async query(tenant: string, filter: EntityFilter, page: { limit: number; offset: number; count: boolean }) {
    await this.assertTenant(tenant);
    return this.store.query(this.db, filter, page);
  }

  /**
   * Query Entities as JSON texts in `view`. The store answers with ids and versions; only entities the
   * read cache does not hold at that version are fetched and rendered. If one changed between the two
   * statements, the page is read again in one statement, so every entity shown matched the filter.
   */
  async queryJson(
    tenant: string,
    filter: EntityFilter,
    page: { limit: number; offset: number; count: boolean },
    view: EntityView<StoredEntity>,
  ): Promise<{ json: string[]; total?: number }> {
    if (!this.readCache.enabled) {
      const r = await this.query(tenant, filter, page);
      return { json: r.entities.map((e) => view.render(e)), total: r.total };
    }
    await this.assertTenant(tenant);
    // Which query this is (its SQL without values) and the view: how often its answers were cached.
    const shape = `${view.key}\u0000${filter.where.join(' AND ')}`;
    if (!this.queryHits.likely(shape)) {
      // Mostly misses (a geo-query at random points): documents with the ids, one statement instead of two.
      const { rows, total } = page.count
        ? await this.store.queryWithVersions(this.db, filter, page)
        : { rows: await this.pageDocuments.query(filter, page), total: undefined };
      let hits = 0;
      const json = rows.map(({ id, version, entity }) => {
        const hit = this.readCache.get(tenant, id, version, view.key);
        if (hit === undefined) return this.renderAndKeep(tenant, entity(), version, view);
        hits++;
        return hit;
      });
      this.queryHits.note(shape, hits, rows.length);
      return { json, total };
    }
    const { rows, total } = page.count
      ? await this.store.queryVersions(this.db, filter, page)
      : { rows: await this.pageVersions.query(filter, page), total: undefined };
    const json: string[] = new Array(rows.length);
    const missing: number[] = [];
    rows.forEach((r, i) => {
      const hit = this.readCache.get(tenant, r.id, r.v, view.key);
      if (hit === undefined) missing.push(i);
      else json[i] = hit;
    });
    this.queryHits.note(shape, rows.length - missing.length, rows.length);
    if (!missing.length) return { json, total };
    const fetched = await this.store.getManyVersioned(this.db, tenant, missing.map((i) => rows[i].id));
    for (const i of missing) {
      const f = fetched.get(rows[i].id);
      if (!f || f.version !== rows[i].v) {
        const again = await this.store.query(this.db, filter, { ...page, count: false });
        return { json: again.entities.map((e) => view.render(e)), total };
      }
      json[i] = this.renderAndKeep(tenant, f.entity, f.version, view);
    }
    return { json, total };
  }

  // ---- Batch operations (§5.6.7-10, §5.6.20): one transaction; per-entity errors reported, not thrown.

  /** Inputs that failed to parse are passed in as errors so the result keeps request order. */
  async batchCreate(tenant: string, inputs: (EntityInput | Problem)[]): Promise<BatchResult> {
    const now = this.now();
    const result: BatchResult = { success: [], errors: [], created: [] };
    const fresh: StoredEntity[] = [];
    const seen = new Set<string>();
    let committed: EntityChange[] = [];
    for (const input of inputs) {
      const e = this.tryEntity(input, now, result);
      if (!e) continue;
      if (seen.has(e.id)) {
        result.errors.push({ entityId: e.id, error: HubErrors.alreadyExists.with(`Entity ${e.id} appears twice in the batch`) });
        continue;
      }
      seen.add(e.id);
      fresh.push(e);
    }
    await this.db.transaction(async (tx) => {
      await this.store.ensureTenant(tx, tenant);
      const inserted = await this.store.insertMany(tx, tenant, fresh);
      for (const e of fresh) {
        if (inserted.has(e.id)) result.success.push(e.id);
        else result.errors.push({ entityId: e.id, error: HubErrors.alreadyExists.with(`Entity ${e.id} already exists`) });
      }
      result.created = [...result.success];
      committed = fresh.filter((e) => inserted.has(e.id)).map((after) => ({ kind: 'created' as const, after }));
      await this.notify(tx, tenant, committed);
    });
    this.emitCommitted(tenant, committed);
    return result;
  }

  private tryEntity(input: EntityInput | Problem, now: string, result: BatchResult): StoredEntity | undefined {
    if (input instanceof Error) {
      result.errors.push({ entityId: (input.extensions.entityId as string) ?? '', error: input });
      return undefined;
    }
    try {
      return this.newEntity(input, now);
    } catch (err) {
      result.errors.push({ entityId: input.id ?? '', error: err as Problem });
      return undefined;
    }
  }

  /** Upsert (§5.6.8): create what is new; replace or update (merge attributes into) what exists. */
  async batchUpsert(tenant: string, inputs: (EntityInput | Problem)[], mode: UpsertMode): Promise<BatchResult> {
    return this.batchModify(tenant, inputs, { upsert: mode });
  }

  /** Update (§5.6.9): append attributes to existing entities (noOverwrite keeps existing ones). */
  async batchUpdate(tenant: string, inputs: (EntityInput | Problem)[], noOverwrite: boolean): Promise<BatchResult> {
    await this.assertTenant(tenant);
    return this.batchModify(tenant, inputs, { noOverwrite });
  }

  /** Merge (§5.6.20). */
  async batchMerge(tenant: string, inputs: (EntityInput | Problem)[]): Promise<BatchResult> {
    await this.assertTenant(tenant);
    return this.batchModify(tenant, inputs, { merge: true });
  }

  private async batchModify(
    tenant: string,
    inputs: (EntityInput | Problem)[],
    how: { upsert?: UpsertMode; noOverwrite?: boolean; merge?: boolean },
  ): Promise<BatchResult> {
    const result: BatchResult = { success: [], errors: [], created: [] };
    const valid: EntityInput[] = [];
    const changes: EntityChange[] = [];
    for (const input of inputs) {
      if (input instanceof Error) {
        result.errors.push({ entityId: (input.extensions.entityId as string) ?? '', error: input });
      } else if (!input.id) {
        result.errors.push({ entityId: '', error: HubErrors.badRequestData.with('Entity id is required') });
      } else valid.push(input);
    }
    await this.db.transaction(async (tx) => {
      if (how.upsert) await this.store.ensureTenant(tx, tenant);
      const now = this.now();
      const current = await this.store.getMany(tx, tenant, [...new Set(valid.map((v) => v.id!))], true);
      const toInsert: StoredEntity[] = [];
      const toUpdate = new Map<string, StoredEntity>();
      for (const input of valid) {
        const id = input.id!;
        const before = toUpdate.get(id) ?? current.get(id) ?? toInsert.find((e) => e.id === id);
        try {
          if (!before) {
            if (!how.upsert) throw notFound(id);
            const e = this.newEntity(input, now);
            toInsert.push(e);
            result.created.push(id);
            result.success.push(id);
            continue;
          }
          let next: StoredEntity;
          if (how.upsert === 'replace') {
            next = { ...before, types: input.types ?? before.types, scopes: input.scopes ?? [], attrs: stampAll(input.attrs, now), modifiedAt: now };
          } else if (how.merge) {
            next = { ...before, types: input.types ? [...new Set([...before.types, ...input.types])] : before.types, attrs: mergeAttributes(before.attrs, input.attrs, now), modifiedAt: now };
          } else {
            // Batch update (§5.6.9): with noOverwrite, attributes that exist are kept; that is what was asked, not an error.
            const change = applyAttributes(before.attrs, input.attrs, now, { noOverwrite: how.noOverwrite });
            next = { ...before, types: input.types ? [...new Set([...before.types, ...input.types])] : before.types, attrs: change.attrs, modifiedAt: now };
          }
          const fresh = toInsert.find((e) => e.id === id);
          if (fresh) Object.assign(fresh, next);
          else toUpdate.set(id, next);
          result.success.push(id);
        } catch (err) {
          result.errors.push({ entityId: id, error: err as Problem });
        }
      }
      await this.store.insertMany(tx, tenant, toInsert);
      await this.store.updateMany(tx, tenant, [...toUpdate.values()]);
      for (const e of toInsert) changes.push({ kind: 'created', after: e });
      for (const e of toUpdate.values()) changes.push({ kind: 'updated', before: current.get(e.id), after: e });
      await this.notify(tx, tenant, changes);
    });
    this.emitCommitted(tenant, changes);
    result.success = [...new Set(result.success)];
    return result;
  }

  /** Delete (§5.6.10). */
  async batchDelete(tenant: string, ids: string[]): Promise<BatchResult> {
    await this.assertTenant(tenant);
    const result: BatchResult = { success: [], errors: [], created: [] };
    let committed: EntityChange[] = [];
    await this.db.transaction(async (tx) => {
      const before = await this.store.getMany(tx, tenant, ids, true);
      const deleted = await this.store.deleteMany(tx, tenant, ids);
      for (const id of ids) {
        if (deleted.has(id)) result.success.push(id);
        else if (!result.success.includes(id)) result.errors.push({ entityId: id, error: notFound(id) });
      }
      committed = [...deleted].map((id) => ({ kind: 'deleted' as const, before: before.get(id) }));
      await this.notify(tx, tenant, committed);
    });
    this.emitCommitted(tenant, committed);
    return result;
  }

  typeDetails(tenant: string) {
    return this.store.typeDetails(this.db, tenant);
  }

  attributeDetails(tenant: string) {
    return this.store.attributeDetails(this.db, tenant);
  }
}
