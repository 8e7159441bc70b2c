/**
 * Evaluates a parsed NGSI-LD `q` (query/q.ts) against one stored entity in JavaScript, with the same
 * semantics as the SQL/JSON path compiled by query/q-jsonpath.ts (its header lists them): any instance
 * matching is enough, a missing attribute makes a term false, `a!=x` needs `a` to exist, values of
 * different JSON types never compare, date/times compare as strings.
 * Used to match one changed entity against many subscriptions without a query per subscription.
 */
import type { AttributeInstance, AttributeMap } from '../entities/model.ts';
import type { QueryTermResolver } from '../query/q-jsonpath.ts';
import type { AttrPath, QAst, QTerm, QValue } from '../query/q.ts';

type Leaf = unknown;

/** A compiled q: the AST plus regexes built once. */
export interface QEvaluator {
  (attrs: AttributeMap): boolean;
}

export function compileQEvaluator(ast: QAst, terms: QueryTermResolver): QEvaluator {
  const regexes = new Map<QTerm, RegExp>();
  const collect = (n: QAst) => {
    if (n.type === 'and' || n.type === 'or') n.terms.forEach(collect);
    else if (n.type === 'pattern') regexes.set(n, new RegExp(n.pattern, n.caseInsensitive ? 'i' : ''));
  };
  collect(ast);
  const ev = (n: QAst, attrs: AttributeMap): boolean => {
    if (n.type === 'and') return n.terms.every((t) => ev(t, attrs));
    if (n.type === 'or') return n.terms.some((t) => ev(t, attrs));
    return term(n, attrs, terms, regexes);
  };
  return (attrs) => ev(ast, attrs);
}

/** The instances (or sub-attribute instances) addressed by the attribute path. */
function instances(p: AttrPath, attrs: AttributeMap, terms: QueryTermResolver): AttributeInstance[] {
  let list: AttributeInstance[] = attrs[terms.expandAttr(p.attr)] ?? [];
  for (const sub of p.subAttrs) {
    const iri = terms.expandAttr(sub);
    list = list.map((i) => i[iri] as AttributeInstance | undefined).filter((i): i is AttributeInstance => isObject(i));
  }
  return list;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Lax-mode unwrapping: an array stands for its elements. */
function unwrap(v: unknown): unknown[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** Targets of metadata/compound paths, or undefined when the path is about the attribute itself. */
function targets(p: AttrPath, list: AttributeInstance[]): unknown[] | undefined {
  if (p.metadata !== undefined) return list.flatMap((i) => unwrap(i[p.metadata!]));
  if (p.compound.length > 0) {
    return list.flatMap((i) => {
      let cur: unknown[] = unwrap(i.value);
      for (const m of p.compound) cur = cur.flatMap((c) => (isObject(c) ? unwrap(c[m]) : []));
      return cur;
    });
  }
  return undefined;
}

/** The comparable leaves of an instance, whatever its kind (value, object, languageMap, lists, vocab). */
function valueLeaves(i: AttributeInstance, terms: QueryTermResolver, expandVocab: boolean): Leaf[] {
  const out: Leaf[] = [];
  out.push(...unwrap(i.value), ...unwrap(i.object));
  if (isObject(i.languageMap)) out.push(...Object.values(i.languageMap).flatMap(unwrap));
  out.push(...unwrap(i.valueList));
  for (const o of unwrap(i.objectList)) out.push(isObject(o) ? o.object : o);
  for (const v of unwrap(i.vocab)) {
    out.push(v);
    if (expandVocab && terms.expandVocab && typeof v === 'string') out.push(terms.expandVocab(v));
  }
  return out;
}

function literal(v: QValue): unknown {
  return v.value;
}

function compare(a: unknown, op: string, b: unknown): boolean {
  if (typeof a !== typeof b || a === null || typeof a === 'object') return false;
  switch (op) {
    case '==':
      return a === b;
    case '>':
      return (a as number | string) > (b as number | string);
    case '>=':
      return (a as number | string) >= (b as number | string);
    case '<':
      return (a as number | string) < (b as number | string);
    case '<=':
      return (a as number | string) <= (b as number | string);
  }
  return false;
}

function term(t: QTerm, attrs: AttributeMap, terms: QueryTermResolver, regexes: Map<QTerm, RegExp>): boolean {
  const list = instances(t.path, attrs, terms);
  const tg = targets(t.path, list);
  const exists = tg ? tg.length > 0 : list.length > 0;
  if (t.type === 'exists') return exists;
  if (t.type === 'notExists') return !exists;
  // Vocab leaves are also compared with the expanded literal (a VocabProperty holds IRIs).
  const anyLeaf = (pred: (leaf: unknown, lit: (v: QValue) => unknown) => boolean): boolean => {
    if (tg) return tg.some((leaf) => pred(leaf, literal));
    return list.some((i) => {
      if (valueLeaves(i, terms, false).some((leaf) => pred(leaf, literal))) return true;
      if (i.vocab === undefined || !terms.expandVocab) return false;
      const expandLit = (v: QValue) => (v.kind === 'string' || v.kind === 'uri' ? terms.expandVocab!(v.value) : v.value);
      return unwrap(i.vocab).some((leaf) => pred(leaf, expandLit));
    });
  };
  const negate = (positive: boolean) => exists && !positive;
  switch (t.type) {
    case 'compare': {
      if (t.op === '!=') return negate(anyLeaf((leaf, lit) => compare(leaf, '==', lit(t.value))));
      return anyLeaf((leaf, lit) => compare(leaf, t.op, lit(t.value)));
    }
    case 'list': {
      const pos = anyLeaf((leaf, lit) => t.values.some((v) => compare(leaf, '==', lit(v))));
      return t.op === '==' ? pos : negate(pos);
    }
    case 'range': {
      const pos = anyLeaf((leaf, lit) => compare(leaf, '>=', lit(t.from)) && compare(leaf, '<=', lit(t.to)));
      return t.op === '==' ? pos : negate(pos);
    }
    case 'pattern': {
      const re = regexes.get(t)!;
      const pos = anyLeaf((leaf) => typeof leaf === 'string' && re.test(leaf));
      return t.negated ? negate(pos) : pos;
    }
  }
}
