import { SqlParams } from '../../platform/db/sql-params.ts';
import { HubErrors } from '../errors.ts';
import type { EntityFilter } from '../entities/store.ts';
import { LOCATION_IRI } from '../entities/model.ts';
import type { TermMapper } from '../jsonld/term-mapper.ts';
import { geoPropertySql, geoQuerySql, type GeoQuery } from './geo.ts';
import { compileQuery } from './q-jsonpath.ts';
import type { QAst } from './q.ts';
import { scopeQuerySql, type ScopeAst } from './scope.ts';
import { typeExpressionSql, type TypeAst } from './type-expr.ts';

/** A Query Entities request (§5.7.2) after parsing, terms not yet expanded. */
export interface EntityQuery {
  type?: TypeAst;
  ids?: string[];
  idPattern?: string;
  /** Entities must carry at least one of these (compact names). */
  attrs?: string[];
  q?: QAst;
  scopeQ?: ScopeAst;
  geo?: GeoQuery;
}

const MAX_ID_PATTERN = 1024;

/** Turns a parsed query into SQL over hub_entities; every user value becomes a bind parameter. */
export function buildEntityFilter(tenant: string, query: EntityQuery, mapper: TermMapper): EntityFilter {
  const params = new SqlParams();
  // The primary key (tenant, id) serves the tenant and the id order; with a geo-query the spatial indexes
  // on (tenant, location) do (migration 005).
  const where = [`tenant = ${params.add(tenant)}`];
  if (query.type) where.push(typeExpressionSql(query.type, (t) => mapper.expand(t), params));
  if (query.ids?.length) where.push(`id = ANY(${params.add(query.ids)}::text[])`);
  if (query.idPattern !== undefined) {
    if (query.idPattern.length > MAX_ID_PATTERN) throw HubErrors.badRequestData.with('idPattern is too long');
    where.push(`id ~ ${params.add(query.idPattern)}`);
  }
  if (query.attrs?.length) where.push(`doc ?| ${params.add(query.attrs.map((a) => mapper.expand(a)))}::text[]`);
  if (query.q) {
    const compiled = compileQuery(query.q, { expandAttr: (t) => mapper.expand(t), expandVocab: (t) => mapper.expand(t) });
    // Per query: one statement can answer queries of one shape with different q values (query-batcher.ts).
    const path = params.addPerQuery(compiled.path, 'jsonpath');
    where.push(`jsonb_path_exists(doc, ${path}::jsonpath, ${params.addPerQuery(JSON.stringify(compiled.vars), 'jsonb')}::jsonb)`);
  }
  if (query.scopeQ) where.push(scopeQuerySql(query.scopeQ, params));
  if (query.geo) {
    const iri = mapper.expand(query.geo.geoproperty || 'location');
    const column = iri === LOCATION_IRI ? 'location' : geoPropertySql(iri, params);
    where.push(geoQuerySql(query.geo, params, column));
  }
  return { where, params };
}
