import { allSettledOrThrow, type Db, type Queryable } from '../../platform/db/db.ts';
import { HubErrors } from '../errors.ts';
import { mergeInstance } from '../entities/merge.ts';
import type { AttributeInstance } from '../entities/model.ts';
import type { EntityChange } from '../entities/service.ts';
import type { EntityFilter } from '../entities/store.ts';
import type { TermMapper } from '../jsonld/term-mapper.ts';
import { historyOf, instanceRecord, numericValue, type InstanceRecord } from './history.ts';
import { closedDays, materialize, PackedRead, packHorizon, queryWindow } from './packs.ts';
import { RawJsonSet } from './raw-json.ts';
import { groupSeries, pageSeries, pageValueSeries, renderAggregated, renderNormalized, renderTemporalValues, type PageRange } from './shape.ts';
import { seriesKey, type AggregateRow, type InstanceRow, type RegistryRow, type SeriesDay, type TemporalStore, type ValueSeriesRow } from './store.ts';
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
  /** JSON texts the entities hold placeholders for: the answer is raw.stringify(entities). */
  raw?: RawJsonSet;
}

/** Entities per statement below which a read is not split. */
const SPLIT_FROM = 200;
/** Statements a large read is split into: history reads are per-entity index scans, so PostgreSQL can run the parts on as many cores. */
const READ_PARTS = 2;

/** Runs `read` over parts of `ids` concurrently (each on its own pooled connection) and joins the rows in order. */
async function inParallel<I, T>(ids: I[], read: (part: I[]) => Promise<T[]>): Promise<T[]> {
  if (ids.length < SPLIT_FROM) return read(ids);
  const size = Math.ceil(ids.length / READ_PARTS);
  const parts: I[][] = [];
  for (let i = 0; i < ids.length; i += size) parts.push(ids.slice(i, i + size));
  return (await Promise.all(parts.map(read))).flat();
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

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
    // Registry and history rows go out together; a repack (its planner settings, its lock) comes after both.
    const [, created] = await allSettledOrThrow([this.store.upsertRegistry(tx, tenant, registry), this.store.insertInstances(tx, tenant, instances)]);
    await this.repackLate(tx, tenant, instances, created);
  };

  /**
   * Inserts instances and rebuilds the packs of the closed days they land in (late data; packs.ts). A
   * series created by this insert has no pack to rebuild: its days are read from rows until packed, so a
   * new entity with old observedAt times costs no pack lock and no repack.
   */
  private async addInstances(tx: Queryable, tenant: string, records: InstanceRecord[]): Promise<void> {
    await this.repackLate(tx, tenant, records, await this.store.insertInstances(tx, tenant, records));
  }

  private async repackLate(tx: Queryable, tenant: string, records: InstanceRecord[], created: Set<string>): Promise<void> {
    const late = created.size ? records.filter((r) => !created.has(seriesKey(r))) : records;
    await this.repack(tx, tenant, closedDays(late, this.clock().getTime()));
  }

  private async repack(tx: Queryable, tenant: string, days: SeriesDay[]): Promise<void> {
    if (days.length) await this.store.repack(tx, tenant, days, packHorizon(this.clock().getTime()));
  }

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
      const series = await this.valueSeries(tenant, ids, attrs, tq, limit);
      // Paging cuts every series at one instant: then packed ones are needed as values too.
      if (series.some((s) => s.values.length > tq.instanceLimit)) series.forEach(materialize);
      const range = pageValueSeries(series, tq, tq.instanceLimit, extra);
      const raw = new RawJsonSet();
      const byEntity = new Map<string, ValueSeriesRow[]>();
      for (const s of series) {
        const list = byEntity.get(s.entityId);
        if (list) list.push(s);
        else byEntity.set(s.entityId, [s]);
      }
      // One order whichever way the series were read: by attribute, then datasetId.
      for (const list of byEntity.values()) list.sort((a, b) => (a.attr === b.attr ? cmp(a.datasetId, b.datasetId) : cmp(a.attr, b.attr)));
      return { entities: entities.map((e) => renderTemporalValues(e, byEntity.get(e.id) ?? [], mapper, tq.sysAttrs, raw)), range, raw };
    }
    const rows = await inParallel(ids, (part) => this.store.instances(this.db, tenant, part, attrs, tq, limit));
    const grouped = groupSeries<InstanceRow>(rows);
    for (const list of grouped.values()) for (const s of list) s.rows.sort((a, b) => (tq.lastN !== undefined ? b.t - a.t : a.t - b.t));
    const range = pageSeries([...grouped.values()].flat(), tq, tq.instanceLimit, extra);
    return { entities: entities.map((e) => renderNormalized(e, grouped.get(e.id) ?? [], mapper, tq.sysAttrs)), range };
  }

  /** The value series of these entities: from day packs where they cover the window (packs.ts), else from rows. */
  private async valueSeries(tenant: string, ids: string[], attrs: string[] | undefined, tq: TemporalQuery, limit: number): Promise<ValueSeriesRow[]> {
    if (!PackedRead.applies(tq, this.clock().getTime())) return inParallel(ids, (part) => this.store.valueSeries(this.db, tenant, part, attrs, tq, limit));
    const window = queryWindow(tq);
    const packs = await inParallel(ids, (part) => this.store.seriesWithPacks(this.db, tenant, part, attrs, window.from, window.to));
    // No pack in the window (not packed yet, or packing off): the read by entity is the cheaper one.
    if (!packs.some((p) => p.pack)) return inParallel(ids, (part) => this.store.valueSeries(this.db, tenant, part, attrs, tq, limit));
    const read = new PackedRead(packs, tq);
    if (!read.ranges.length) return read.merge([], limit);
    // Packs and rows both: read them again from one snapshot, or a write moving an instance between a
    // packed day and a day read from rows (between the two statements) would show it twice or not at all.
    return this.db.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      const again = new PackedRead(await this.store.seriesWithPacks(tx, tenant, ids, attrs, window.from, window.to), tq);
      return again.merge(await this.store.valueSeriesInRanges(tx, tenant, again.ranges, tq, limit), limit);
    });
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
      await this.addInstances(tx, tenant, this.stampAll(id, input.attrs, now));
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
      await this.addInstances(tx, tenant, this.stampAll(id, input.attrs, now));
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
      const moved = [current.ts, rec.ts].map((ts) => ({ entityId: id, attr, datasetId: current.datasetId, ts }));
      await this.repack(tx, tenant, closedDays(moved, this.clock().getTime()));
    });
  }

  /** Delete Attribute Instance (§5.6.15). */
  async deleteInstance(tenant: string, id: string, attr: string, instanceId: string): Promise<void> {
    await this.assertTenant(tenant);
    const ok = await this.db.transaction(async (tx) => {
      const deleted = await this.store.deleteInstance(tx, tenant, id, attr, instanceId);
      if (deleted) await this.repack(tx, tenant, closedDays([deleted], this.clock().getTime()));
      return !!deleted;
    });
    if (!ok) throw HubErrors.resourceNotFound.with(`No instance ${instanceId} of that attribute of ${id}`);
  }
}
