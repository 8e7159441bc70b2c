/** Request input of the temporal API: temporal entity bodies and the entity part of temporal queries. */
import { HubErrors } from '../errors.ts';
import type { AttributeInstance } from '../entities/model.ts';
import { parseAttributes, parseEntity } from '../entities/parse.ts';
import { isPlainObject } from '../entities/validate.ts';
import type { TermMapper } from '../jsonld/term-mapper.ts';
import type { EntityQuery } from '../query/entity-filter.ts';
import { parseGeoQuery } from '../query/geo.ts';
import { parseQuery } from '../query/q.ts';
import { parseScopeQuery } from '../query/scope.ts';
import { parseTypeExpression } from '../query/type-expr.ts';
import type { TemporalEntityInput } from './service.ts';
import { syntax } from '../http/entity-query.ts';

const CORE = new Set(['id', '@id', 'type', '@type', 'scope', '@context', 'createdAt', 'modifiedAt', 'deletedAt']);
const MAX_INSTANCES_PER_REQUEST = 10_000;

/**
 * A temporal entity (§4.5.7): each attribute an instance or an array of instances, several of them
 * possibly with the same datasetId (they are points in time). Each instance is checked by the entity parser.
 */
export function parseTemporalEntity(body: unknown, mapper: TermMapper): TemporalEntityInput {
  if (!isPlainObject(body)) throw HubErrors.badRequestData.with('A temporal entity must be a JSON object');
  const core: Record<string, unknown> = {};
  for (const k of CORE) if (k in body) core[k] = body[k];
  const head = parseEntity(core, mapper);
  const out: TemporalEntityInput = { id: head.id, types: head.types, scopes: head.scopes, attrs: {} };
  let count = 0;
  for (const [name, raw] of Object.entries(body)) {
    if (CORE.has(name)) continue;
    const items = Array.isArray(raw) && raw.length > 0 && raw.every(isPlainObject) ? raw : [raw];
    for (const item of items) {
      const parsed = parseAttributes({ [name]: item }, mapper);
      for (const [iri, list] of Object.entries(parsed.attrs)) {
        if (!list) continue;
        (out.attrs[iri] ??= []).push(...list);
        count += list.length;
      }
    }
  }
  if (count > MAX_INSTANCES_PER_REQUEST) throw HubErrors.badRequestData.with(`At most ${MAX_INSTANCES_PER_REQUEST} instances per request`);
  return out;
}

/** The body of Modify Attribute Instance (§6.22.3.1): `{ "<attr>": {instance} }`, or the instance itself. */
export function parseInstancePatch(body: unknown, attrName: string, mapper: TermMapper): AttributeInstance {
  if (!isPlainObject(body)) throw HubErrors.badRequestData.with('The body must be an attribute instance fragment');
  const keys = Object.keys(body).filter((k) => k !== '@context');
  const iri = mapper.expand(attrName);
  const named = keys.length === 1 && mapper.expand(keys[0]) === iri ? body[keys[0]] : body;
  const one = Array.isArray(named) && named.length === 1 ? named[0] : named;
  const fragment = isPlainObject(one) ? Object.fromEntries(Object.entries(one).filter(([k]) => k !== '@context')) : one;
  const parsed = parseAttributes({ [attrName]: fragment }, mapper);
  const inst = parsed.attrs[iri]?.[0];
  if (!inst) throw HubErrors.badRequestData.with('The body must describe the attribute instance');
  return inst;
}

/**
 * POST /temporal/entityOperations/query (§6.24): a Query body with `temporalQ`; returns the entity
 * query, attrs, and the temporal part flattened into query parameters.
 */
export function temporalQueryFromBody(body: unknown): { query: EntityQuery; attrs?: string[]; params: Record<string, unknown> } {
  if (!isPlainObject(body) || body.type !== 'Query') throw HubErrors.badRequestData.with('The body must be a Query object ("type": "Query")');
  const params: Record<string, unknown> = {};
  const query: EntityQuery = {};
  if (body.entities !== undefined) {
    if (!Array.isArray(body.entities) || body.entities.length !== 1 || !isPlainObject(body.entities[0])) {
      throw HubErrors.badRequestData.with('entities must be an array with one EntitySelector');
    }
    const s = body.entities[0];
    if (s.type !== undefined) query.type = syntax(() => parseTypeExpression(String(s.type)));
    if (s.id !== undefined) query.ids = [String(s.id)];
    if (s.idPattern !== undefined) query.idPattern = String(s.idPattern);
  }
  let attrs: string[] | undefined;
  if (body.attrs !== undefined) {
    if (!Array.isArray(body.attrs) || !body.attrs.every((a) => typeof a === 'string')) throw HubErrors.badRequestData.with('attrs must be an array of strings');
    attrs = body.attrs as string[];
  }
  if (body.q !== undefined) query.q = syntax(() => parseQuery(String(body.q)));
  if (body.scopeQ !== undefined) query.scopeQ = syntax(() => parseScopeQuery(String(body.scopeQ)));
  if (body.geoQ !== undefined) {
    if (!isPlainObject(body.geoQ)) throw HubErrors.badRequestData.with('geoQ must be an object');
    const g = body.geoQ;
    query.geo = syntax(() =>
      parseGeoQuery({ georel: g.georel as string, geometry: g.geometry as string, coordinates: g.coordinates, geoproperty: g.geoproperty as string | undefined }),
    );
  }
  if (body.temporalQ !== undefined) {
    if (!isPlainObject(body.temporalQ)) throw HubErrors.badRequestData.with('temporalQ must be an object');
    for (const [k, v] of Object.entries(body.temporalQ)) {
      if (!['timerel', 'timeAt', 'endTimeAt', 'timeproperty', 'lastN', 'aggrMethods', 'aggrPeriodDuration'].includes(k)) {
        throw HubErrors.badRequestData.with(`Unknown temporalQ member ${k}`);
      }
      params[k] = Array.isArray(v) ? v.join(',') : String(v);
    }
  }
  return { query, attrs, params };
}
