import type { TermMapper } from '../jsonld/term-mapper.ts';
import { INSTANCE_META, VALUE_MEMBER, type AttributeInstance, type StoredEntity } from './model.ts';

export type Format = 'normalized' | 'concise' | 'keyValues';

export interface RenderOptions {
  format: Format;
  sysAttrs: boolean;
  /** Language preference (NGSI-LD `lang`): LanguageProperties collapse to one string. */
  lang?: string[];
  /** Expanded attribute IRIs to keep (attrs / pick); undefined = all. */
  onlyAttrs?: Set<string>;
  /** Expanded attribute IRIs to drop (omit). */
  omitAttrs?: Set<string>;
  /** Core members to drop via omit/pick (id, type, scope). */
  omitCore?: Set<string>;
}

type Json = Record<string, unknown>;

/** Renders a stored entity in the requested representation with the request's terms. */
export function renderEntity(e: StoredEntity, mapper: TermMapper, o: RenderOptions): Json {
  const out: Json = {};
  if (!o.omitCore?.has('id')) out.id = e.id;
  if (!o.omitCore?.has('type')) {
    const types = e.types.map((t) => mapper.compact(t));
    out.type = types.length === 1 ? types[0] : types;
  }
  if (e.scopes.length && !o.omitCore?.has('scope')) out.scope = e.scopes.length === 1 ? e.scopes[0] : e.scopes;
  if (o.sysAttrs) {
    out.createdAt = e.createdAt;
    out.modifiedAt = e.modifiedAt;
  }
  for (const [iri, instances] of Object.entries(e.attrs)) {
    if (o.onlyAttrs && !o.onlyAttrs.has(iri)) continue;
    if (o.omitAttrs?.has(iri)) continue;
    const name = mapper.compact(iri);
    if (o.format === 'keyValues') {
      // Simplified: the default instance's value (or the first one's).
      const inst = instances.find((i) => !i.datasetId) ?? instances[0];
      out[name] = simpleValue(inst, mapper, o);
    } else {
      const rendered = instances.map((i) => renderInstance(i, mapper, o));
      out[name] = rendered.length === 1 ? rendered[0] : rendered;
    }
  }
  return out;
}

function pickLanguage(map: Record<string, unknown>, prefs: string[]): [string, unknown] {
  for (const p of prefs) {
    if (p === '*') break;
    const hit = Object.keys(map).find((k) => k.toLowerCase() === p.toLowerCase() || k.toLowerCase().startsWith(`${p.toLowerCase()}-`));
    if (hit) return [hit, map[hit]];
  }
  if ('@none' in map) return ['@none', map['@none']];
  const first = Object.keys(map)[0];
  return [first, map[first]];
}

function compactVocab(v: unknown, mapper: TermMapper): unknown {
  return Array.isArray(v) ? v.map((x) => mapper.compact(String(x))) : mapper.compact(String(v));
}

function simpleValue(inst: AttributeInstance, mapper: TermMapper, o: RenderOptions): unknown {
  switch (inst.type) {
    case 'LanguageProperty':
      return o.lang ? pickLanguage(inst.languageMap as Record<string, unknown>, o.lang)[1] : { languageMap: inst.languageMap };
    case 'VocabProperty':
      return compactVocab(inst.vocab, mapper);
    case 'Relationship':
      return inst.object;
    case 'ListRelationship':
      return inst.objectList;
    case 'ListProperty':
      return inst.valueList;
    case 'JsonProperty':
      return inst.json;
    default:
      return inst.value;
  }
}

function renderInstance(inst: AttributeInstance, mapper: TermMapper, o: RenderOptions): unknown {
  const out: Json = {};
  const member = VALUE_MEMBER[inst.type];
  let type: string = inst.type;
  if (inst.type === 'LanguageProperty' && o.lang) {
    // §4.15: with lang, a LanguageProperty is returned as a Property holding one string.
    const [tag, text] = pickLanguage(inst.languageMap as Record<string, unknown>, o.lang);
    type = 'Property';
    out.value = text;
    out.lang = tag;
  } else if (inst.type === 'VocabProperty') {
    out.vocab = compactVocab(inst.vocab, mapper);
  } else if (inst.type === 'ListRelationship') {
    out.objectList = (inst.objectList as string[]).map((object) => ({ object }));
  } else {
    out[member] = inst[member];
  }
  let hasExtra = false;
  for (const [key, v] of Object.entries(inst)) {
    if (key === 'type' || key === member) continue;
    if (key === 'createdAt' || key === 'modifiedAt') {
      if (o.sysAttrs) out[key] = v;
      continue;
    }
    if (key === 'objectType') {
      out.objectType = Array.isArray(v) ? v.map((t) => mapper.compact(String(t))) : mapper.compact(String(v));
      hasExtra = true;
      continue;
    }
    if (INSTANCE_META.has(key)) {
      out[key] = v;
      hasExtra = true;
      continue;
    }
    out[mapper.compact(key)] = renderInstance(v as AttributeInstance, mapper, o);
    hasExtra = true;
  }
  if (o.format === 'concise') {
    // §4.5.x concise: drop "type"; a Property or GeoProperty without other members is its bare value.
    if ((type === 'Property' || type === 'GeoProperty') && !hasExtra && !out.lang && !o.sysAttrs) return out.value;
    return out;
  }
  return { type, ...out };
}

/** GeoJSON Feature representation (§4.5.x): geometry from the chosen GeoProperty. */
export function toFeature(e: StoredEntity, rendered: Json, geometryIri: string, contextValue?: unknown): Json {
  const geo = e.attrs[geometryIri]?.find((i) => !i.datasetId) ?? e.attrs[geometryIri]?.[0];
  const { id, ...properties } = rendered;
  const feature: Json = { id, type: 'Feature', geometry: geo?.value ?? null, properties };
  if (contextValue !== undefined) feature['@context'] = contextValue;
  return feature;
}
