import type { Db, Queryable } from '../../platform/db/db.ts';
import { HubErrors } from '../errors.ts';
import { mergeInstance } from '../entities/merge.ts';
import type { AttributeInstance } from '../entities/model.ts';
import type { EntityChange } from '../entities/service.ts';
import type { EntityFilter } from '../entities/store.ts';
import type { TermMapper } from '../jsonld/term-mapper.ts';
import { historyOf, instanceRecord, numericValue } from './history.ts';
import { groupSeries, pageSeries, pageValueSeries, renderAggregated, renderNormalized, renderTemporalValues, type PageRange } from './shape.ts';
import type { AggregateRow, InstanceRow, RegistryRow, TemporalStore, ValueSeriesRow } from './store.ts';
import type { TemporalQuery } from './temporal-query.ts';

/** A temporal entity as a request carries it: any number of instances per attribute (§5.6.11). */
export interface TemporalEntityInput {
  id?: string;
  types?: string[];
  scopes?: string[];
  attrs: Record<string, AttributeInstance[]>;
}

export interface TemporalResult {
  entities: Record<string, unknown>[];
  /** Set when some attribute had more instances than one page holds. */
  range?: PageRange;
  total?: number;
}

/** Entities per statement below which a read is not split. */
const SPLIT_FROM = 200;
/** Statements a large read is split into: history reads are per-entity index scans, so PostgreSQL can run the parts on as many cores. */
const READ_PARTS = 2;

/** Runs `read` over parts of `ids` concurrently (each on its own pooled connection) and joins the rows in order. */
async function inParallel<T>(ids: string[], read: (part: string[]) => Promise<T[]>): Promise<T[]> {
  if (ids.length < SPLIT_FROM) return read(ids);
  const size = Math.ceil(ids.length / READ_PARTS);
  const parts: string[][] = [];
  for (let i = 0; i < ids.length; i += size) parts.push(ids.slice(i, i + size));
  return (await Promise.all(parts.map(read))).flat();
}

const notFound = (id: string) => HubErrors.resourceNotFound.with(`No temporal entity ${id}`);

/** The temporal API's use cases (NGSI-LD 1.8 §5.6.11-16, §5.7.3-4) and the history writer. */
export class TemporalService {
  constructor(
    private readonly db: Db,
    private readonly store: TemporalStore,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** EntityService change listener: history rows written in the same transaction as the change. */
  readonly record = async (tx: Queryable, tenant: string, changes: EntityChange[]): Promise<void> => {
    const { instances, registry } = historyOf(changes);
    await this.store.upsertRegistry(tx, tenant, registry);
    await this.store.insertInstances(tx, tenant, instances);
  };

  private async assertTenant(tenant: string) {
    if (!(await this.store.tenantExists(this.db, tenant))) throw HubErrors.nonexistentTenant.with(`Tenant ${tenant} does not exist`);
  }

  /** Query Temporal Evolution of Entities (§5.7.4). `attrs` are expanded IRIs. */
  async query(
    tenant: string,
    filter: EntityFilter,
    page: { attrs?: string[]; limit: number; offset: number; count: boolean },
    tq: TemporalQuery,
    mapper: TermMapper,
  ): Promise<TemporalResult> {
    await this.assertTenant(tenant);
    const { entities, total } = await this.store.queryEntities(this.db, filter, page);
    const r = await this.render(tenant, entities, page.attrs, tq, mapper);
    return { ...r, total };
  }

  /** Retrieve Temporal Evolution of an Entity (§5.7.3). */
  async retrieve(tenant: string, id: string, attrs: string[] | undefined, tq: TemporalQuery, mapper: TermMapper): Promise<TemporalResult> {
    await this.assertTenant(tenant);
    const e = await this.store.getEntity(this.db, tenant, id);
    if (!e) throw notFound(id);
    return this.render(tenant, [e], attrs, tq, mapper);
  }

  private async render(tenant: string, entities: RegistryRow[], attrs: string[] | undefined, tq: TemporalQuery, mapper: TermMapper) {
    const ids = entities.map((e) => e.id);
    if (tq.format === 'aggregatedValues') {
      const rows = await inParallel(ids, (part) => this.store.aggregate(this.db, tenant, part, attrs, tq));
      const grouped = groupSeries<AggregateRow>(rows);
      return { entities: entities.map((e) => renderAggregated(e, grouped.get(e.id) ?? [], tq, mapper, tq.sysAttrs)) };
    }
    // lastN within the limit is the request itself, not a truncation: no extra row, no Content-Range.
    const extra = tq.lastN === undefined || tq.lastN > tq.instanceLimit;
    const limit = tq.instanceLimit + (extra ? 1 : 0);
    if (tq.format === 'temporalValues') {
      const series = await inParallel(ids, (part) => this.store.valueSeries(this.db, tenant, part, attrs, tq, limit));
      const range = pageValueSeries(series, tq, tq.instanceLimit, extra);
      const byEntity = new Map<string, ValueSeriesRow[]>();
      for (const s of series) byEntity.set(s.entityId, [...(byEntity.get(s.entityId) ?? []), s]);
      return { entities: entities.map((e) => renderTemporalValues(e, byEntity.get(e.id) ?? [], mapper, tq.sysAttrs)), range };
    }
    const rows = await inParallel(ids, (part) => this.store.instances(this.db, tenant, part, attrs, tq, limit));
    const grouped = groupSeries<InstanceRow>(rows);
    for (const list of grouped.values()) for (const s of list) s.rows.sort((a, b) => (tq.lastN !== undefined ? b.t - a.t : a.t - b.t));
    const range = pageSeries([...grouped.values()].flat(), tq, tq.instanceLimit, extra);
    return { entities: entities.map((e) => renderNormalized(e, grouped.get(e.id) ?? [], mapper, tq.sysAttrs)), range };
  }

  // ---- Provisioning (§5.6.11-16): writes go to the history only, never to the current entity.

  private stampAll(id: string, attrs: Record<string, AttributeInstance[]>, now: string) {
    const out = [];
    for (const [attr, list] of Object.entries(attrs)) {
      for (const inst of list) out.push(instanceRecord(id, attr, { ...inst, createdAt: now, modifiedAt: now }, now));
    }
    return out;
  }

  /** Create or Update Temporal Representation of an Entity (§5.6.11); true when created. */
  async createOrAdd(tenant: string, input: TemporalEntityInput): Promise<boolean> {
    if (!input.id) throw HubErrors.badRequestData.with('Entity id is required');
    const id = input.id;
    const now = this.clock().toISOString();
    return this.db.transaction(async (tx) => {
      await this.store.ensureTenant(tx, tenant);
      const existing = await this.store.getEntity(tx, tenant, id);
      if (!existing && !input.types?.length) throw HubErrors.badRequestData.with('Entity type is required');
      const types = existing ? [...new Set([...existing.types, ...(input.types ?? [])])] : input.types!;
      const scopes = input.scopes ?? existing?.scopes ?? [];
      await this.store.upsertRegistry(tx, tenant, [{ id, types, scopes, createdAt: existing?.createdAt ?? now, modifiedAt: now }]);
      await this.store.insertInstances(tx, tenant, this.stampAll(id, input.attrs, now));
      return !existing;
    });
  }

  /** Add Attributes to Temporal Representation of an Entity (§5.6.12). */
  async append(tenant: string, id: string, input: TemporalEntityInput): Promise<void> {
    await this.assertTenant(tenant);
    const now = this.clock().toISOString();
    await this.db.transaction(async (tx) => {
      const existing = await this.store.getEntity(tx, tenant, id);
      if (!existing) throw notFound(id);
      if (input.types?.length) {
        const types = [...new Set([...existing.types, ...input.types])];
        await this.store.upsertRegistry(tx, tenant, [{ ...existing, types, modifiedAt: now }]);
      }
      await this.store.insertInstances(tx, tenant, this.stampAll(id, input.attrs, now));
    });
  }

  /** Delete Temporal Representation of an Entity (§5.6.16). */
  async deleteEntity(tenant: string, id: string): Promise<void> {
    await this.assertTenant(tenant);
    const found = await this.db.transaction((tx) => this.store.deleteEntity(tx, tenant, id));
    if (!found) throw notFound(id);
  }

  /** Delete Attribute from Temporal Representation of an Entity (§5.6.13). */
  async deleteAttribute(tenant: string, id: string, attr: string, sel: { datasetId?: string; deleteAll?: boolean }): Promise<void> {
    await this.assertTenant(tenant);
    const n = await this.db.transaction(async (tx) => {
      if (!(await this.store.getEntity(tx, tenant, id))) throw notFound(id);
      return this.store.deleteAttribute(tx, tenant, id, attr, sel.deleteAll ? undefined : (sel.datasetId ?? ''));
    });
    if (!n) throw HubErrors.resourceNotFound.with(`Temporal entity ${id} has no such attribute${sel.datasetId ? ` with datasetId ${sel.datasetId}` : ''}`);
  }

  /** Modify Attribute Instance (§5.6.14): the given members replace the instance's, modifiedAt moves. */
  async modifyInstance(tenant: string, id: string, attr: string, instanceId: string, patch: AttributeInstance): Promise<void> {
    await this.assertTenant(tenant);
    const now = this.clock().toISOString();
    await this.db.transaction(async (tx) => {
      const current = await this.store.findInstance(tx, tenant, id, attr, instanceId);
      if (!current) throw HubErrors.resourceNotFound.with(`No instance ${instanceId} of that attribute of ${id}`);
      const before = { ...(current.value as AttributeInstance), ...(current.observedAt ? { observedAt: current.observedAt } : {}) };
      const { datasetId: _ds, ...members } = patch;
      const merged = mergeInstance(before, members as AttributeInstance);
      const rec = instanceRecord(id, attr, { ...merged, datasetId: current.datasetId || undefined, createdAt: current.createdAt, modifiedAt: now }, now, instanceId);
      rec.num = numericValue(merged);
      await this.store.replaceInstance(tx, tenant, rec);
    });
  }

  /** Delete Attribute Instance (§5.6.15). */
  async deleteInstance(tenant: string, id: string, attr: string, instanceId: string): Promise<void> {
    await this.assertTenant(tenant);
    const ok = await this.db.transaction((tx) => this.store.deleteInstance(tx, tenant, id, attr, instanceId));
    if (!ok) throw HubErrors.resourceNotFound.with(`No instance ${instanceId} of that attribute of ${id}`);
  }
}
