import { HubErrors } from '../errors.ts';
import type { TermMapper } from '../jsonld/term-mapper.ts';
import { validateGeoJsonGeometry } from '../query/geo.ts';
import { validateScope } from '../query/scope.ts';
import {
  ATTRIBUTE_KINDS,
  INSTANCE_META,
  NULL_URI,
  VALUE_MEMBER,
  type AttributeInstance,
  type AttributeKind,
} from './model.ts';
import { isPlainObject, isUri, isValidName, normaliseDateTime } from './validate.ts';

/** An entity as a request carries it, with names expanded; `null` attributes are deletions (merge only). */
export interface EntityInput {
  id?: string;
  types?: string[];
  scopes?: string[];
  /** `null` = delete this attribute (merge with urn:ngsi-ld:null). */
  attrs: Record<string, AttributeInstance[] | null>;
}

export interface ParseOptions {
  /** Merge-patch: `null` / urn:ngsi-ld:null delete instead of failing. */
  allowNull?: boolean;
}

const ENTITY_MEMBERS_IGNORED = new Set(['@context', 'createdAt', 'modifiedAt', 'deletedAt']);
const GEOMETRY_TYPES = new Set(['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon']);
const MAX_DEPTH = 6;

const bad = (detail: string) => HubErrors.badRequestData.with(detail);

/** Parses an entity body (normalized or concise, NGSI-LD 1.8 §4.5) into the stored shape. */
export function parseEntity(body: unknown, mapper: TermMapper, opts: ParseOptions = {}): EntityInput {
  if (!isPlainObject(body)) throw bad('An entity must be a JSON object');
  const out: EntityInput = { attrs: {} };
  for (const [key, raw] of Object.entries(body)) {
    if (ENTITY_MEMBERS_IGNORED.has(key)) continue;
    if (key === 'id' || key === '@id') {
      if (!isUri(raw)) throw bad(`Entity id must be a URI, got ${JSON.stringify(raw)}`);
      out.id = raw;
    } else if (key === 'type' || key === '@type') {
      out.types = parseTypes(raw, mapper);
    } else if (key === 'scope') {
      out.scopes = parseScopes(raw);
    } else {
      parseAttributeInto(out.attrs, key, raw, mapper, opts);
    }
  }
  return out;
}

/** Parses a body holding attributes only (append, update, partial update). */
export function parseAttributes(body: unknown, mapper: TermMapper, opts: ParseOptions = {}): EntityInput {
  if (!isPlainObject(body)) throw bad('The body must be a JSON object of attributes');
  const out = parseEntity(body, mapper, opts);
  return out;
}

export function parseTypes(raw: unknown, mapper: TermMapper): string[] {
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) throw bad('Entity type must not be empty');
  const types: string[] = [];
  for (const t of list) {
    if (!isValidName(t)) throw bad(`Invalid entity type ${JSON.stringify(t)}`);
    const iri = mapper.expand(t);
    if (!types.includes(iri)) types.push(iri);
  }
  return types;
}

function parseScopes(raw: unknown): string[] {
  const list = Array.isArray(raw) ? raw : [raw];
  const scopes: string[] = [];
  for (const s of list) {
    const problem = typeof s === 'string' ? validateScope(s) : 'a scope must be a string';
    if (problem) throw bad(`Invalid scope ${JSON.stringify(s)}: ${problem}`);
    if (!scopes.includes(s as string)) scopes.push(s as string);
  }
  return scopes;
}

function parseAttributeInto(
  attrs: EntityInput['attrs'],
  name: string,
  raw: unknown,
  mapper: TermMapper,
  opts: ParseOptions,
) {
  if (!isValidName(name)) throw bad(`Invalid attribute name ${JSON.stringify(name)}`);
  const iri = mapper.expand(name);
  if (iri in attrs) throw bad(`Attribute ${name} appears twice`);
  if (raw === null || raw === NULL_URI) {
    if (!opts.allowNull) throw bad(`Attribute ${name} must not be null`);
    attrs[iri] = null;
    return;
  }
  const instances = isInstanceArray(raw) ? (raw as unknown[]) : [raw];
  if (instances.length === 0) throw bad(`Attribute ${name} has no instances`);
  const parsed: AttributeInstance[] = [];
  const seen = new Set<string>();
  for (const r of instances) {
    const inst = parseInstance(name, r, mapper, opts, 0);
    const key = inst.datasetId ?? '';
    if (seen.has(key)) throw bad(`Attribute ${name} has two instances with datasetId ${inst.datasetId ?? '(default)'}`);
    seen.add(key);
    parsed.push(inst);
  }
  attrs[iri] = parsed;
}

/** A top-level array is multi-attribute (one instance per datasetId) when its items are attribute objects. */
function isInstanceArray(raw: unknown): boolean {
  return (
    Array.isArray(raw) &&
    raw.length > 0 &&
    raw.every(
      (x) =>
        isPlainObject(x) &&
        (ATTRIBUTE_KINDS.includes(x.type as AttributeKind) ||
          'datasetId' in x ||
          Object.values(VALUE_MEMBER).some((m) => m in x)),
    )
  );
}

function inferKind(raw: Record<string, unknown>): AttributeKind | undefined {
  if (typeof raw.type === 'string') return ATTRIBUTE_KINDS.includes(raw.type as AttributeKind) ? (raw.type as AttributeKind) : undefined;
  if ('value' in raw) return 'Property';
  if ('object' in raw) return 'Relationship';
  if ('languageMap' in raw) return 'LanguageProperty';
  if ('vocab' in raw) return 'VocabProperty';
  if ('valueList' in raw) return 'ListProperty';
  if ('objectList' in raw) return 'ListRelationship';
  if ('json' in raw) return 'JsonProperty';
  return undefined;
}

function isGeometry(v: unknown): boolean {
  return isPlainObject(v) && GEOMETRY_TYPES.has(v.type as string) && 'coordinates' in v;
}

function parseInstance(
  name: string,
  raw: unknown,
  mapper: TermMapper,
  opts: ParseOptions,
  depth: number,
): AttributeInstance {
  if (depth > MAX_DEPTH) throw bad(`Attribute ${name} nests sub-attributes too deeply`);
  // Concise form (§4.5.x): a bare value is a Property, a bare geometry a GeoProperty.
  let obj: Record<string, unknown>;
  if (isGeometry(raw)) obj = { type: 'GeoProperty', value: raw };
  else if (isPlainObject(raw) && inferKind(raw)) obj = raw;
  else if (isPlainObject(raw) && typeof raw.type === 'string' && !('coordinates' in raw))
    throw bad(`Attribute ${name} has an unknown type ${JSON.stringify(raw.type)}`);
  else obj = { type: 'Property', value: raw };

  const kind = inferKind(obj)!;
  const valueMember = VALUE_MEMBER[kind];
  if (!(valueMember in obj)) throw bad(`Attribute ${name} of type ${kind} needs a "${valueMember}" member`);
  const inst: AttributeInstance = { type: kind };
  inst[valueMember] = parseValue(name, kind, obj[valueMember], mapper);

  for (const [key, v] of Object.entries(obj)) {
    if (key === 'type' || key === valueMember) continue;
    switch (key) {
      case 'observedAt': {
        const at = normaliseDateTime(v);
        if (!at) throw bad(`observedAt of ${name} must be an ISO 8601 date-time, got ${JSON.stringify(v)}`);
        inst.observedAt = at;
        break;
      }
      case 'unitCode':
        if (typeof v !== 'string' || !v) throw bad(`unitCode of ${name} must be a non-empty string`);
        inst.unitCode = v;
        break;
      case 'datasetId':
        if (!isUri(v)) throw bad(`datasetId of ${name} must be a URI, got ${JSON.stringify(v)}`);
        inst.datasetId = v;
        break;
      case 'objectType':
        if (kind !== 'Relationship' && kind !== 'ListRelationship') throw bad(`objectType is only for relationships (${name})`);
        inst.objectType = Array.isArray(v) ? v.map((t) => mapper.expand(String(t))) : mapper.expand(String(v));
        break;
      case 'createdAt':
      case 'modifiedAt':
      case 'deletedAt':
      case 'instanceId':
      case 'lang':
        break; // system-generated or output-only members are ignored on input
      default: {
        if (INSTANCE_META.has(key)) throw bad(`Member ${key} is not allowed in a ${kind} (${name})`);
        if (!isValidName(key)) throw bad(`Invalid sub-attribute name ${JSON.stringify(key)} in ${name}`);
        if (v === null) throw bad(`Sub-attribute ${key} of ${name} must not be null`);
        inst[mapper.expand(key)] = parseInstance(`${name}.${key}`, v, mapper, opts, depth + 1);
      }
    }
  }
  return inst;
}

function parseValue(name: string, kind: AttributeKind, v: unknown, mapper: TermMapper): unknown {
  if (v === null || v === undefined) throw bad(`Attribute ${name} has a null value`);
  switch (kind) {
    case 'Property':
      return v;
    case 'GeoProperty': {
      const problem = validateGeoJsonGeometry(v);
      if (problem) throw bad(`Invalid geometry in ${name}: ${problem}`);
      return v;
    }
    case 'Relationship': {
      const list = Array.isArray(v) ? v : [v];
      if (!list.length || !list.every(isUri)) throw bad(`Relationship ${name} must point to URI(s), got ${JSON.stringify(v)}`);
      return v;
    }
    case 'ListRelationship': {
      if (!Array.isArray(v)) throw bad(`objectList of ${name} must be an array`);
      return v.map((o) => {
        const target = isPlainObject(o) ? o.object : o;
        if (!isUri(target)) throw bad(`objectList of ${name} must hold URIs, got ${JSON.stringify(o)}`);
        return target;
      });
    }
    case 'LanguageProperty': {
      if (!isPlainObject(v)) throw bad(`languageMap of ${name} must be an object of language tags`);
      for (const [lang, text] of Object.entries(v)) {
        if (!/^([A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*|@none)$/.test(lang)) throw bad(`Invalid language tag ${JSON.stringify(lang)} in ${name}`);
        const ok = typeof text === 'string' || (Array.isArray(text) && text.every((x) => typeof x === 'string'));
        if (!ok) throw bad(`languageMap of ${name} must hold strings`);
      }
      return v;
    }
    case 'VocabProperty': {
      const list = Array.isArray(v) ? v : [v];
      if (!list.length || !list.every((x) => typeof x === 'string' && x)) throw bad(`vocab of ${name} must be string(s)`);
      const expanded = list.map((x) => mapper.expand(x as string));
      return Array.isArray(v) ? expanded : expanded[0];
    }
    case 'ListProperty':
      if (!Array.isArray(v)) throw bad(`valueList of ${name} must be an array`);
      return v;
    case 'JsonProperty':
      if (typeof v !== 'object') throw bad(`json of ${name} must be a JSON object or array`);
      return v;
  }
}
