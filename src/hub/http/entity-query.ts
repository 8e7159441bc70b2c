import { Problem } from '../../platform/http/problem.ts';
import { HubErrors } from '../errors.ts';
import { isUri } from '../entities/validate.ts';
import type { EntityQuery } from '../query/entity-filter.ts';
import { parseGeoQuery } from '../query/geo.ts';
import { parseQuery } from '../query/q.ts';
import { parseScopeQuery } from '../query/scope.ts';
import { parseTypeExpression } from '../query/type-expr.ts';
import { listParam, stringParam } from './request.ts';

/** Runs a parser; its syntax errors become BadRequestData. */
export function syntax<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof Problem) throw err;
    throw HubErrors.badRequestData.with((err as Error).message);
  }
}

/**
 * The entity selection of GET /entities (§6.4.3.2) and GET /temporal/entities (§6.18.3.1): type, id,
 * idPattern, q, scopeQ, geo. With `attrsFilter`, `attrs` also selects entities having one of them
 * (Query Entities); the temporal API uses `attrs` only to project attributes.
 */
export function entityQueryFromParams(query: Record<string, unknown>, opts: { attrsFilter: boolean }): EntityQuery {
  const q: EntityQuery = {};
  const type = stringParam(query, 'type');
  if (type !== undefined) q.type = syntax(() => parseTypeExpression(type));
  const ids = listParam(query, 'id');
  if (ids) {
    for (const id of ids) if (!isUri(id)) throw HubErrors.badRequestData.with(`id ${JSON.stringify(id)} is not a URI`);
    q.ids = ids;
  }
  q.idPattern = stringParam(query, 'idPattern');
  if (opts.attrsFilter) q.attrs = listParam(query, 'attrs');
  const qs = stringParam(query, 'q');
  if (qs !== undefined) q.q = syntax(() => parseQuery(qs));
  const scopeQ = stringParam(query, 'scopeQ');
  if (scopeQ !== undefined) q.scopeQ = syntax(() => parseScopeQuery(scopeQ));
  const georel = stringParam(query, 'georel');
  const geometry = stringParam(query, 'geometry');
  const coordinates = stringParam(query, 'coordinates');
  const geoproperty = stringParam(query, 'geoproperty');
  if (georel !== undefined || geometry !== undefined || coordinates !== undefined) {
    q.geo = syntax(() => parseGeoQuery({ georel, geometry, coordinates, geoproperty }));
  }
  return q;
}
