import { INSTANCE_META, type AttributeInstance, type AttributeMap } from './model.ts';
import { isPlainObject } from './validate.ts';

/** An attribute that an operation left alone, as NGSI-LD's UpdateResult reports it. */
export interface NotUpdated {
  attributeName: string;
  reason: string;
}

export interface AttrChange {
  attrs: AttributeMap;
  updated: string[];
  notUpdated: NotUpdated[];
}

function stamp(inst: AttributeInstance, now: string, createdAt?: string): AttributeInstance {
  return { ...inst, createdAt: createdAt ?? now, modifiedAt: now };
}

/** Stamps createdAt/modifiedAt on every instance of a fresh entity. */
export function stampAll(attrs: Record<string, AttributeInstance[] | null>, now: string): AttributeMap {
  const out: AttributeMap = {};
  for (const [iri, list] of Object.entries(attrs)) if (list) out[iri] = list.map((i) => stamp(i, now));
  return out;
}

const sameDataset = (a: AttributeInstance, b: AttributeInstance) => (a.datasetId ?? '') === (b.datasetId ?? '');

/**
 * Append Attributes (§5.6.3) and, with onlyExisting, Update Attributes (§5.6.2):
 * instances replace the instance with the same datasetId; with noOverwrite existing ones stay.
 */
export function applyAttributes(
  existing: AttributeMap,
  input: Record<string, AttributeInstance[] | null>,
  now: string,
  mode: { noOverwrite?: boolean; onlyExisting?: boolean },
): AttrChange {
  const attrs: AttributeMap = { ...existing };
  const updated: string[] = [];
  const notUpdated: NotUpdated[] = [];
  for (const [iri, list] of Object.entries(input)) {
    if (!list) continue;
    const current = attrs[iri];
    if (!current) {
      if (mode.onlyExisting) {
        notUpdated.push({ attributeName: iri, reason: 'attribute does not exist' });
        continue;
      }
      attrs[iri] = list.map((i) => stamp(i, now));
      updated.push(iri);
      continue;
    }
    const next = [...current];
    let changed = false;
    for (const inst of list) {
      const at = next.findIndex((c) => sameDataset(c, inst));
      if (at < 0) {
        if (mode.onlyExisting) {
          notUpdated.push({ attributeName: iri, reason: `no instance with datasetId ${inst.datasetId ?? '(default)'}` });
          continue;
        }
        next.push(stamp(inst, now));
        changed = true;
      } else if (mode.noOverwrite) {
        notUpdated.push({ attributeName: iri, reason: 'attribute exists and noOverwrite was asked' });
      } else {
        next[at] = stamp(inst, now, next[at].createdAt);
        changed = true;
      }
    }
    if (changed) {
      attrs[iri] = next;
      updated.push(iri);
    }
  }
  return { attrs, updated, notUpdated };
}

/**
 * Merge Entity (§5.6.17): attributes merged per datasetId; members of an existing instance are
 * merged (compound values by JSON merge patch); null (urn:ngsi-ld:null) deletes.
 */
export function mergeAttributes(
  existing: AttributeMap,
  input: Record<string, AttributeInstance[] | null>,
  now: string,
): AttributeMap {
  const attrs: AttributeMap = { ...existing };
  for (const [iri, list] of Object.entries(input)) {
    if (list === null) {
      delete attrs[iri];
      continue;
    }
    const next = [...(attrs[iri] ?? [])];
    for (const inst of list) {
      const at = next.findIndex((c) => sameDataset(c, inst));
      if (at < 0) next.push(stamp(inst, now));
      else next[at] = stamp(mergeInstance(next[at], inst), now, next[at].createdAt);
    }
    attrs[iri] = next;
  }
  return attrs;
}

/** Partial Attribute Update (§5.6.4) and merge of one instance: given members win, others stay. */
export function mergeInstance(current: AttributeInstance, patch: AttributeInstance): AttributeInstance {
  const out: AttributeInstance = { ...current };
  if (patch.type !== current.type) {
    // A different kind replaces the value members entirely.
    for (const k of Object.keys(out)) if (INSTANCE_META.has(k) && k !== 'createdAt' && k !== 'datasetId') delete out[k];
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k === 'value' && isPlainObject(v) && isPlainObject(out.value) && patch.type === current.type && out.type === 'Property') {
      out.value = mergePatch(out.value, v);
    } else {
      out[k] = v;
    }
  }
  return out;
}

/** RFC 7396 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Delete Attribute (§5.6.5): one instance by datasetId, the default one, or all. Returns false if absent. */
export function deleteAttribute(
  attrs: AttributeMap,
  iri: string,
  sel: { datasetId?: string; deleteAll?: boolean },
): AttributeMap | undefined {
  const current = attrs[iri];
  if (!current) return undefined;
  const out = { ...attrs };
  if (sel.deleteAll) {
    delete out[iri];
    return out;
  }
  const keep = current.filter((i) => (i.datasetId ?? '') !== (sel.datasetId ?? ''));
  if (keep.length === current.length) return undefined;
  if (keep.length) out[iri] = keep;
  else delete out[iri];
  return out;
}
