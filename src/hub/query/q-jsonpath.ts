/**
 * Compile an NGSI-LD `q` AST (see ./q.ts, ETSI GS CIM 009 v1.8 clause 4.9)
 * into a PostgreSQL SQL/JSON path, for
 *
 *   jsonb_path_exists(doc, $1::jsonpath, $2::jsonb)
 *
 * where `doc` holds one entity: top-level keys are expanded attribute IRIs whose
 * values are ARRAYS of attribute instances (one per datasetId); sub-attributes
 * are expanded-IRI keys holding a single instance object; metadata members
 * (observedAt, unitCode, datasetId, createdAt, modifiedAt) are unexpanded;
 * compound members inside `value` are unexpanded.
 *
 * Every literal goes into `vars` (`$v1`, `$v2`, ...), never into the path text.
 * The exceptions are attribute keys (quoted `$."<iri>"`) and `like_regex`
 * patterns, which PostgreSQL only accepts as string literals; both are emitted
 * through {@link jsonpathString}, which escapes `\`, `"` and control chars.
 *
 * Semantics:
 *  - A term compares the instance's value member whatever the attribute kind:
 *    `value` (Property; array values match on any element, lax mode),
 *    `object` (Relationship), `vocab` (VocabProperty: raw term and
 *    `expandVocab(term)`), any value of `languageMap` (LanguageProperty),
 *    any element of `valueList` / `objectList` (or its `object` member). The term holds if ANY instance
 *    (any datasetId) matches. A missing attribute makes the term false.
 *  - `attr.meta` (metadata name last) compares that instance member;
 *    `attr.sub` compares the sub-attribute's value member; `attr[a.b]`
 *    compares `value."a"."b"`.
 *  - Ranges `a==x..y` mean x <= v <= y on the same element.
 *  - Negative operators (`!=` value, `!=` list, `!=` range, `!~=`): clause 4.9
 *    defines them as the negation of the positive match on an existing target.
 *    We evaluate them as "the target exists AND no instance/element matches the
 *    positive form" — so `a!=5` is false if any instance of `a` equals 5, and
 *    false when `a` is absent.
 *  - Date/time literals are compared as strings (ISO 8601 UTC in a uniform
 *    format sorts lexicographically); values of different JSON types never
 *    compare equal/ordered (lax-mode comparisons on mismatched types are
 *    "unknown", i.e. not a match) — so `a==55` does not match `"55"`.
 *  - `~=` uses `like_regex`; a leading `(?i)` becomes `flag "i"`.
 */
import type { AttrPath, QAst, QTerm, QValue } from './q.ts';

export interface QueryTermResolver {
  expandAttr(term: string): string;
  expandVocab?(term: string): string;
}

export interface CompiledQuery {
  path: string;
  vars: Record<string, unknown>;
}

/** Encode `s` as a SQL/JSON path string literal (double-quoted). */
export function jsonpathString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (c < 0x20 || c === 0x7f || c === 0x2028 || c === 0x2029) {
      out += `\\u${c.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return out + '"';
}

/** Leaves of an attribute instance that hold its comparable value(s). */
const VALUE_LEAVES = ['."value"', '."object"', '."languageMap".*', '."valueList"[*]', '."objectList"[*]',
  // ListRelationship elements may be plain IRIs or {"object": iri} objects.
  '."objectList"[*]."object"'];

/** The leaves that can hold a number or a boolean. */
const SCALAR_LEAVES = ['."value"', '."valueList"[*]'];

type Lit = (v: QValue) => string;

export function compileQuery(ast: QAst, terms: QueryTermResolver): CompiledQuery {
  const c = new Compiler(terms);
  const expr = c.node(ast);
  return { path: `lax $ ? (${expr})`, vars: c.vars };
}

class Compiler {
  readonly vars: Record<string, unknown> = {};
  private readonly memo = new Map<string, string>();
  private n = 0;
  constructor(private readonly terms: QueryTermResolver) {}

  node(ast: QAst): string {
    if (ast.type === 'and') return ast.terms.map((t) => `(${this.node(t)})`).join(' && ');
    if (ast.type === 'or') return ast.terms.map((t) => `(${this.node(t)})`).join(' || ');
    return this.term(ast);
  }

  private variable(value: unknown): string {
    const key = JSON.stringify(value);
    let name = this.memo.get(key);
    if (name === undefined) {
      name = `v${++this.n}`;
      this.vars[name] = value;
      this.memo.set(key, name);
    }
    return `$${name}`;
  }

  private readonly rawLit: Lit = (v) => this.variable(v.value);

  private readonly vocabLit: Lit = (v) => {
    const expand = this.terms.expandVocab;
    if ((v.kind === 'string' || v.kind === 'uri') && expand) return this.variable(expand.call(this.terms, v.value));
    return this.variable(v.value);
  };

  private key(iri: string): string {
    return `.${jsonpathString(iri)}`;
  }

  /** Path to the instance(s) addressed by the attribute and sub-attribute names. */
  private base(p: AttrPath): string {
    let s = `$${this.key(this.terms.expandAttr(p.attr))}[*]`;
    for (const sub of p.subAttrs) s += this.key(this.terms.expandAttr(sub));
    return s;
  }

  /** The node whose existence the term is about (for exists / negative ops). */
  private target(p: AttrPath): string {
    const b = this.base(p);
    if (p.metadata !== undefined) return b + this.key(p.metadata);
    if (p.compound.length > 0) return b + '."value"' + p.compound.map((m) => this.key(m)).join('');
    return b;
  }

  /**
   * True if any comparable leaf of the target satisfies `pred` (a filter on `@`). The attribute is looked up
   * once and its instances' leaves tested inside one filter. A number or boolean never compares with a
   * string (lax mode: unknown, not a match), so with only such literals just `value` and `valueList` can
   * match and the string-only leaves (object, languageMap, objectList, vocab) are not tested.
   */
  private anyLeaf(p: AttrPath, pred: (lit: Lit) => string, literals: QValue[]): string {
    if (p.metadata !== undefined || p.compound.length > 0) {
      return `exists(${this.target(p)} ? (${pred(this.rawLit)}))`;
    }
    const scalarOnly = literals.length > 0 && literals.every((v) => v.kind === 'number' || v.kind === 'boolean');
    const leaves = scalarOnly ? SCALAR_LEAVES : VALUE_LEAVES;
    const raw = pred(this.rawLit);
    const parts = leaves.map((leaf) => `exists(@${leaf} ? (${raw}))`);
    if (!scalarOnly) {
      parts.push(`exists(@."vocab" ? (${raw}))`);
      if (this.terms.expandVocab) {
        const expanded = pred(this.vocabLit);
        if (expanded !== raw) parts.push(`exists(@."vocab" ? (${expanded}))`);
      }
    }
    return `exists(${this.base(p)} ? (${parts.join(' || ')}))`;
  }

  private negate(p: AttrPath, positive: string): string {
    return `(exists(${this.target(p)}) && !(${positive}))`;
  }

  private term(t: QTerm): string {
    switch (t.type) {
      case 'exists':
        return `exists(${this.target(t.path)})`;
      case 'notExists':
        return `!(exists(${this.target(t.path)}))`;
      case 'compare': {
        const { op, value } = t;
        if (op === '!=') return this.negate(t.path, this.anyLeaf(t.path, (lit) => `@ == ${lit(value)}`, [value]));
        return this.anyLeaf(t.path, (lit) => `@ ${op} ${lit(value)}`, [value]);
      }
      case 'list': {
        const pos = this.anyLeaf(t.path, (lit) => t.values.map((v) => `@ == ${lit(v)}`).join(' || '), t.values);
        return t.op === '==' ? pos : this.negate(t.path, pos);
      }
      case 'range': {
        const pos = this.anyLeaf(t.path, (lit) => `@ >= ${lit(t.from)} && @ <= ${lit(t.to)}`, [t.from, t.to]);
        return t.op === '==' ? pos : this.negate(t.path, pos);
      }
      case 'pattern': {
        const re = `@ like_regex ${jsonpathString(t.pattern)}${t.caseInsensitive ? ' flag "i"' : ''}`;
        const pos = this.anyLeaf(t.path, () => re, []);
        return t.negated ? this.negate(t.path, pos) : pos;
      }
    }
  }
}
