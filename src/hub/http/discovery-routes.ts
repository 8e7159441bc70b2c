import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HubErrors } from '../errors.ts';
import type { EntityService } from '../entities/service.ts';
import type { ContextService } from '../jsonld/context-service.ts';
import { boolParam, decorate, requestMapper, responseType, tenantOf } from './request.ts';

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, unknown> }>;

const NGSI = 'https://uri.etsi.org/ngsi-ld/';
const listId = (kind: string) => `urn:ngsi-ld:${kind}:${Math.random().toString(36).slice(2, 12)}`;

/** Type and attribute discovery (§5.7.5-5.7.10, §6.25-6.28). */
export function discoveryRoutes(app: FastifyInstance, deps: { entities: EntityService; contexts: ContextService }) {
  const { entities, contexts } = deps;

  app.get('/types', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    await entities.assertTenant(tenant);
    const mapper = await requestMapper(req, contexts);
    const type = responseType(req);
    const rows = await entities.typeDetails(tenant);
    if (boolParam(req.query, 'details')) {
      const body = rows.map((r) => ({
        id: r.type,
        type: 'EntityType',
        typeName: mapper.compact(r.type),
        attributeNames: r.attrs.map((a) => mapper.compact(a)),
      }));
      return decorate(reply, type, mapper, body);
    }
    return decorate(reply, type, mapper, {
      id: listId('EntityTypeList'),
      type: 'EntityTypeList',
      typeList: rows.map((r) => mapper.compact(r.type)),
    });
  });

  app.get('/types/:type', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    await entities.assertTenant(tenant);
    const mapper = await requestMapper(req, contexts);
    const type = responseType(req);
    const iri = mapper.expand(req.params.type);
    const row = (await entities.typeDetails(tenant)).find((r) => r.type === iri);
    if (!row) throw HubErrors.resourceNotFound.with(`No entity of type ${req.params.type}`);
    const attrs = (await entities.attributeDetails(tenant)).filter((a) => row.attrs.includes(a.attr));
    return decorate(reply, type, mapper, {
      id: row.type,
      type: 'EntityTypeInfo',
      typeName: mapper.compact(row.type),
      entityCount: row.count,
      attributeDetails: attrs.map((a) => ({
        id: a.attr,
        type: 'Attribute',
        attributeName: mapper.compact(a.attr),
        attributeTypes: a.kinds,
      })),
    });
  });

  app.get('/attributes', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    await entities.assertTenant(tenant);
    const mapper = await requestMapper(req, contexts);
    const type = responseType(req);
    const rows = await entities.attributeDetails(tenant);
    if (boolParam(req.query, 'details')) {
      return decorate(
        reply,
        type,
        mapper,
        rows.map((a) => ({
          id: a.attr,
          type: 'Attribute',
          attributeName: mapper.compact(a.attr),
          typeNames: a.types.map((t) => mapper.compact(t)),
        })),
      );
    }
    return decorate(reply, type, mapper, {
      id: listId('EntityAttributeList'),
      type: 'AttributeList',
      attributeList: rows.map((a) => mapper.compact(a.attr)),
    });
  });

  app.get('/attributes/:attrId', async (req: Req, reply) => {
    const tenant = tenantOf(req);
    await entities.assertTenant(tenant);
    const mapper = await requestMapper(req, contexts);
    const type = responseType(req);
    const iri = mapper.expand(req.params.attrId);
    const a = (await entities.attributeDetails(tenant)).find((r) => r.attr === iri);
    if (!a) throw HubErrors.resourceNotFound.with(`No entity has attribute ${req.params.attrId}`);
    return decorate(reply, type, mapper, {
      id: a.attr,
      type: 'Attribute',
      attributeName: mapper.compact(a.attr),
      attributeCount: a.count,
      attributeTypes: a.kinds.map((k) => (k.startsWith(NGSI) ? k.slice(NGSI.length) : k)),
      typeNames: a.types.map((t) => mapper.compact(t)),
    });
  });
}
