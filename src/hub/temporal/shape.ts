/**
 * Temporal representations (NGSI-LD 1.8 §4.5.7 normalized, §4.5.9 simplified "temporalValues",
 * §4.5.19 aggregated) and temporal paging (§6.3.x Content-Range: date-time), from plain rows.
 */
import { isoFromEpochMs } from './iso-time.ts';
import type { AttributeInstance } from '../entities/model.ts';
import { renderEntity } from '../entities/render.ts';
import type { TermMapper } from '../jsonld/term-mapper.ts';
import type { RawJsonSet } from './raw-json.ts';
import type { AggregateRow, InstanceRow, RegistryRow, ValueSeriesRow } from './store.ts';
import type { TemporalQuery } from './temporal-query.ts';

type Json = Record<string, unknown>;

/** The member holding a series of values in the simplified temporal representation, per kind (§4.5.9). */
export const VALUES_MEMBER: Record<string, string> = {
  Property: 'values',
  GeoProperty: 'values',
  Relationship: 'objects',
  LanguageProperty: 'languageMaps',
  VocabProperty: 'vocabs',
  ListProperty: 'valueLists',
  ListRelationship: 'objectLists',
  JsonProperty: 'jsons',
};

const iso = isoFromEpochMs;

export interface Series<R> {
  entityId: string;
  attr: string;
  datasetId: string;
  rows: R[];
}

/** Groups rows by entity, then by (attribute, datasetId), keeping row order. */
export function groupSeries<R extends { entityId: string; attr: string; datasetId: string }>(rows: R[]): Map<string, Series<R>[]> {
  const byEntity = new Map<string, Map<string, Series<R>>>();
  for (const r of rows) {
    let e = byEntity.get(r.entityId);
    if (!e) byEntity.set(r.entityId, (e = new Map()));
    const k = `${r.attr}\u0000${r.datasetId}`;
    let s = e.get(k);
    if (!s) e.set(k, (s = { entityId: r.entityId, attr: r.attr, datasetId: r.datasetId, rows: [] }));
    s.rows.push(r);
  }
  const out = new Map<string, Series<R>[]>();
  for (const [id, m] of byEntity) out.set(id, [...m.values()]);
  return out;
}

export interface PageRange {
  /** Epoch ms: the range's first and last instant, in the order of the query (descending with lastN). */
  from: number;
  to: number;
  /** lastN when given, else unknown ('*'). */
  size: number | '*';
}

/**
 * Applies the per-attribute instance limit (§6.3.x temporal pagination). Each series was read with one
 * row more than `limit` (ascending) or, with lastN, in descending order. When a series overflows, all
 * series are cut at the same instant so the next page (timerel=after / before that instant) continues
 * every one of them without gap or repeat. Series rows end up in ascending time order.
 */
export function pageSeries(all: Series<{ t: number }>[], tq: TemporalQuery, limit: number, fetchedExtra: boolean): PageRange | undefined {
  const desc = tq.lastN !== undefined;
  let cut: number | undefined;
  if (fetchedExtra) {
    for (const s of all) {
      if (s.rows.length <= limit) continue;
      s.rows.length = limit;
      const edge = s.rows[limit - 1].t;
      cut = cut === undefined ? edge : desc ? Math.max(cut, edge) : Math.min(cut, edge);
    }
  }
  let first: number | undefined;
  for (const s of all) {
    if (cut !== undefined) s.rows = s.rows.filter((r) => (desc ? r.t >= cut! : r.t <= cut!));
    if (desc) s.rows.reverse();
    for (const r of s.rows) if (first === undefined || (desc ? r.t > first : r.t < first)) first = r.t;
  }
  if (cut === undefined) return undefined;
  let from = first ?? cut;
  if (!desc && (tq.timerel === 'after' || tq.timerel === 'between')) from = tq.timeAt!;
  if (desc && tq.timerel === 'before') from = tq.timeAt!;
  if (desc && tq.timerel === 'between') from = tq.endTimeAt!;
  return { from, to: cut, size: tq.lastN ?? '*' };
}

/** `Content-Range: date-time <from>-<to>/<size>` (§6.3.x). */
export function contentRange(r: PageRange): string {
  return `date-time ${iso(r.from)}-${iso(r.to)}/${r.size}`;
}

function entityHead(e: RegistryRow, mapper: TermMapper, sysAttrs: boolean): Json {
  const types = e.types.map((t) => mapper.compact(t));
  const out: Json = { id: e.id, type: types.length === 1 ? types[0] : types };
  if (e.scopes.length) out.scope = e.scopes.length === 1 ? e.scopes[0] : e.scopes;
  if (sysAttrs) {
    out.createdAt = e.createdAt;
    out.modifiedAt = e.modifiedAt;
  }
  return out;
}

/** Normalized temporal representation: each attribute an array of its instances, oldest first (§4.5.7). */
export function renderNormalized(e: RegistryRow, series: Series<InstanceRow>[], mapper: TermMapper, sysAttrs: boolean): Json {
  const attrs: Record<string, AttributeInstance[]> = {};
  for (const s of series) {
    const list = (attrs[s.attr] ??= []);
    for (const r of s.rows) {
      const inst = { ...(r.value as AttributeInstance) };
      if (r.observedAt !== undefined && r.observedAt !== null) inst.observedAt = iso(r.observedAt);
      if (s.datasetId) inst.datasetId = s.datasetId;
      inst.instanceId = r.instanceId;
      if (sysAttrs) {
        inst.createdAt = iso(r.createdAt!);
        inst.modifiedAt = iso(r.modifiedAt!);
      }
      list.push(inst);
    }
  }
  // Several datasets of one attribute: instances ordered by time across datasets.
  for (const list of Object.values(attrs)) if (new Set(list.map((i) => i.datasetId)).size > 1) list.sort((a, b) => timeOf(a) - timeOf(b));
  const rendered = renderEntity(
    { id: e.id, types: e.types, scopes: e.scopes, attrs, createdAt: e.createdAt, modifiedAt: e.modifiedAt },
    mapper,
    { format: 'normalized', sysAttrs },
  );
  const out = entityHead(e, mapper, sysAttrs);
  for (const [k, v] of Object.entries(rendered)) {
    if (k in out || k === 'scope') continue;
    out[k] = Array.isArray(v) ? v : [v];
  }
  return out;
}

const timeOf = (i: AttributeInstance) => Date.parse((i.observedAt ?? i.modifiedAt ?? '') as string) || 0;

function compactValue(kind: string, v: unknown, mapper: TermMapper): unknown {
  if (kind === 'VocabProperty') return Array.isArray(v) ? v.map((x) => mapper.compact(String(x))) : mapper.compact(String(v));
  return v;
}

function putSeries(out: Json, name: string, fragment: Json) {
  const current = out[name];
  if (current === undefined) out[name] = fragment;
  else if (Array.isArray(current)) current.push(fragment);
  else out[name] = [current, fragment];
}

/** Simplified temporal representation: `"values": [[value, time], ...]` per attribute and datasetId (§4.5.9). */
export function renderTemporalValues(e: RegistryRow, series: ValueSeriesRow[], mapper: TermMapper, sysAttrs: boolean, raw?: RawJsonSet): Json {
  const out = entityHead(e, mapper, sysAttrs);
  for (const s of series) {
    let values: unknown;
    if (s.packed) values = raw ? raw.add(s.packed.json) : JSON.parse(s.packed.json);
    else if (!s.values.length) continue;
    else if (s.kind === 'VocabProperty') values = s.values.map(([v, t]) => [compactValue(s.kind, v, mapper), iso(t)]);
    else values = s.values.map(([v, t]) => [v, iso(t)]);
    const fragment: Json = { type: s.kind, [VALUES_MEMBER[s.kind] ?? 'values']: values };
    if (s.datasetId) fragment.datasetId = s.datasetId;
    putSeries(out, mapper.compact(s.attr), fragment);
  }
  return out;
}

/** pageSeries for value series (oldest first, read with one value more than `limit` when paging). */
export function pageValueSeries(all: ValueSeriesRow[], tq: TemporalQuery, limit: number, fetchedExtra: boolean): PageRange | undefined {
  if (!fetchedExtra || !all.some((s) => s.values.length > limit)) return undefined;
  const desc = tq.lastN !== undefined;
  const series = all.map((s) => {
    const rows = s.values.map((v) => ({ t: v[1], v }));
    return { entityId: s.entityId, attr: s.attr, datasetId: s.datasetId, rows: desc ? rows.reverse() : rows };
  });
  const range = pageSeries(series, tq, limit, true);
  series.forEach((x, i) => (all[i].values = x.rows.map((r) => r.v)));
  return range;
}

/** Aggregated temporal representation: `"avg": [[value, start, end], ...]` per method (§4.5.19). */
export function renderAggregated(e: RegistryRow, series: Series<AggregateRow>[], tq: TemporalQuery, mapper: TermMapper, sysAttrs: boolean): Json {
  const out = entityHead(e, mapper, sysAttrs);
  for (const s of series) {
    if (!s.rows.length) continue;
    const rows = [...s.rows].sort((a, b) => a.start - b.start);
    const fragment: Json = { type: rows[rows.length - 1].kind };
    for (const m of tq.aggrMethods) {
      fragment[m] = rows.filter((r) => r.values[m] !== null && r.values[m] !== undefined).map((r) => [r.values[m], iso(r.start), iso(r.end)]);
    }
    if (s.datasetId) fragment.datasetId = s.datasetId;
    putSeries(out, mapper.compact(s.attr), fragment);
  }
  return out;
}
