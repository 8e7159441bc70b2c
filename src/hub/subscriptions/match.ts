/**
 * Whether a change of one entity notifies a subscription (NGSI-LD 1.8 §5.11.2 with the
 * notificationTrigger values of §5.2.12), evaluated in memory: entity selectors, watched attributes,
 * triggers, q, scopeQ and geoQ on the entity as it is after the change (before it, for a deletion).
 */
import type { AttributeMap, StoredEntity } from '../entities/model.ts';
import { LOCATION_IRI } from '../entities/model.ts';
import type { EntityChange } from '../entities/service.ts';
import { parseGeoQuery, type GeoQuery } from '../query/geo.ts';
import type { QueryTermResolver } from '../query/q-jsonpath.ts';
import { parseQuery } from '../query/q.ts';
import { parseScopeQuery, type ScopeAst } from '../query/scope.ts';
import { parseTypeExpression, type TypeAst } from '../query/type-expr.ts';
import { evaluateGeo } from './geo-eval.ts';
import type { SubscriptionDoc, Trigger } from './model.ts';
import { compileQEvaluator, type QEvaluator } from './q-eval.ts';

export interface Selector {
  id?: string;
  idPattern?: RegExp;
  /** Over expanded type IRIs. */
  type?: TypeAst;
}

/** A subscription's filter, compiled once (per subscription write), applied to every change. */
export interface Matcher {
  selectors?: Selector[];
  watched?: Set<string>;
  triggers: Set<Trigger>;
  q?: QEvaluator;
  scopeQ?: ScopeAst;
  geo?: { query: GeoQuery; iri: string };
}

export interface Match {
  reason: Trigger;
  /** Attributes (expanded) created, updated and deleted by the change, restricted to the watched ones. */
  created: string[];
  updated: string[];
  deleted: string[];
}

/** Compiles the filter of a stored subscription; `terms` expands the names in q with its @context. */
export function compileMatcher(doc: Pick<SubscriptionDoc, 'entities' | 'watchedAttributes' | 'notificationTrigger' | 'q' | 'scopeQ' | 'geoQ'>, terms: QueryTermResolver): Matcher {
  const m: Matcher = { triggers: new Set(doc.notificationTrigger) };
  if (doc.entities?.length) {
    m.selectors = doc.entities.map((s) => ({
      id: s.id,
      idPattern: s.id === undefined && s.idPattern !== undefined ? new RegExp(s.idPattern) : undefined,
      type: s.type ? parseTypeExpression(s.type) : undefined,
    }));
  }
  if (doc.watchedAttributes?.length) m.watched = new Set(doc.watchedAttributes);
  if (doc.q) m.q = compileQEvaluator(parseQuery(doc.q), terms);
  if (doc.scopeQ) m.scopeQ = parseScopeQuery(doc.scopeQ);
  if (doc.geoQ) {
    m.geo = {
      query: parseGeoQuery({ georel: doc.geoQ.georel, geometry: doc.geoQ.geometry, coordinates: doc.geoQ.coordinates }),
      iri: doc.geoQ.geoproperty ?? LOCATION_IRI,
    };
  }
  return m;
}

export function typeMatches(ast: TypeAst, types: readonly string[]): boolean {
  switch (ast.kind) {
    case 'type':
      return types.includes(ast.name);
    case 'and':
      return ast.items.every((i) => typeMatches(i, types));
    case 'or':
      return ast.items.some((i) => typeMatches(i, types));
  }
}

function scopeMatches(segments: string[], descendants: boolean, scope: string): boolean {
  const parts = scope.split('/').slice(1);
  if (parts.length < segments.length) return false;
  if (!descendants && parts.length !== segments.length) return false;
  return segments.every((s, i) => s === '+' || s === parts[i]);
}

export function scopeQMatches(ast: ScopeAst, scopes: readonly string[]): boolean {
  switch (ast.kind) {
    case 'and':
      return ast.items.every((i) => scopeQMatches(i, scopes));
    case 'or':
      return ast.items.some((i) => scopeQMatches(i, scopes));
    case 'scope':
      if (ast.segments.length === 0 && ast.descendants) return scopes.length > 0;
      return scopes.some((s) => scopeMatches(ast.segments, ast.descendants, s));
  }
}

/** Whether the entity (id, types) is selected by one of the selectors (none = any entity). */
export function selected(selectors: Selector[] | undefined, e: StoredEntity): boolean {
  if (!selectors) return true;
  return selectors.some(
    (s) =>
      (s.type === undefined || typeMatches(s.type, e.types)) &&
      (s.id === undefined || s.id === e.id) &&
      (s.idPattern === undefined || s.idPattern.test(e.id)),
  );
}

function geometryOf(attrs: AttributeMap, iri: string): unknown {
  const list = attrs[iri];
  const inst = list?.find((i) => !i.datasetId) ?? list?.[0];
  return inst?.type === 'GeoProperty' ? inst.value : undefined;
}

/** q, scopeQ and geoQ on one entity state. */
export function filtersMatch(m: Matcher, e: StoredEntity): boolean {
  if (m.q && !m.q(e.attrs)) return false;
  if (m.scopeQ && !scopeQMatches(m.scopeQ, e.scopes)) return false;
  if (m.geo && !evaluateGeo(m.geo.query, geometryOf(e.attrs, m.geo.iri))) return false;
  return true;
}

/** Attribute-level difference between two states (instances compared as JSON, so a re-stamp is an update). */
export function attributeDiff(before: AttributeMap | undefined, after: AttributeMap | undefined) {
  const created: string[] = [];
  const updated: string[] = [];
  const deleted: string[] = [];
  const b = before ?? {};
  const a = after ?? {};
  for (const k of Object.keys(a)) {
    if (!(k in b)) created.push(k);
    else if (b[k] !== a[k] && JSON.stringify(b[k]) !== JSON.stringify(a[k])) updated.push(k);
  }
  for (const k of Object.keys(b)) if (!(k in a)) deleted.push(k);
  return { created, updated, deleted };
}

/**
 * The reason a change notifies the subscription, or undefined.
 * - Creating an entity creates its attributes (attributeCreated fires with the default triggers).
 * - entityUpdated fires for any change of a watched attribute (any change at all without watchedAttributes,
 *   types and scopes included); entityCreated needs a watched attribute on the new entity.
 * - Deleting an entity fires only entityDeleted (not attributeDeleted).
 */
export function matchChange(m: Matcher, change: EntityChange): Match | undefined {
  const state = change.kind === 'deleted' ? change.before : change.after;
  if (!state || !selected(m.selectors, state)) return undefined;
  const watch = (list: string[]) => (m.watched ? list.filter((a) => m.watched!.has(a)) : list);
  let reason: Trigger | undefined;
  let diff = { created: [] as string[], updated: [] as string[], deleted: [] as string[] };
  if (change.kind === 'deleted') {
    if (!m.triggers.has('entityDeleted')) return undefined;
    reason = 'entityDeleted';
  } else {
    const raw = attributeDiff(change.kind === 'created' ? undefined : change.before?.attrs, change.after?.attrs);
    diff = { created: watch(raw.created), updated: watch(raw.updated), deleted: watch(raw.deleted) };
    const any = diff.created.length + diff.updated.length + diff.deleted.length > 0;
    if (change.kind === 'created') {
      if (m.triggers.has('entityCreated') && (!m.watched || any)) reason = 'entityCreated';
      else if (m.triggers.has('attributeCreated') && diff.created.length) reason = 'attributeCreated';
    } else {
      const coreChanged =
        !m.watched &&
        change.before !== undefined &&
        (change.before.types.join() !== change.after!.types.join() || change.before.scopes.join() !== change.after!.scopes.join());
      if (m.triggers.has('attributeCreated') && diff.created.length) reason = 'attributeCreated';
      else if (m.triggers.has('attributeUpdated') && diff.updated.length) reason = 'attributeUpdated';
      else if (m.triggers.has('attributeDeleted') && diff.deleted.length) reason = 'attributeDeleted';
      else if (m.triggers.has('entityUpdated') && (any || coreChanged)) reason = 'entityUpdated';
    }
  }
  if (!reason || !filtersMatch(m, state)) return undefined;
  return { reason, ...diff };
}
