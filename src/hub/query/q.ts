/**
 * NGSI-LD query language (`q` parameter) parser — ETSI GS CIM 009 v1.8, clause 4.9.
 *
 * Pure: string in, AST out. Every malformed or hostile input ends as a
 * {@link QuerySyntaxError} naming what went wrong and where (0-based character
 * position in the already URL-decoded query string).
 *
 * Grammar accepted (informal):
 *
 *   Query      = Or
 *   Or         = And *( "|" And )                 ; AND binds tighter than OR
 *   And        = Primary *( ";" Primary )
 *   Primary    = "(" Or ")" / Term
 *   Term       = Attribute                        ; attribute exists
 *              / "!" Attribute                    ; attribute does not exist (v1.8)
 *              / Attribute ("==" / "!=") EqValue  ; value, list (a,b,c) or range (a..b)
 *              / Attribute (">" / ">=" / "<" / "<=") Comparable
 *              / Attribute ("~=" / "!~=") RegExp
 *   Attribute  = name *( "." name ) *( "[" name *( "." name ) "]" )
 *
 * Attribute names may be short names, compact IRIs (`schema:name`) or full IRIs
 * (`https://example.org/attr`). The operator characters `= ! < > ~` never occur
 * in a name, so operators are always found. Because a full IRI can itself
 * contain dots, a name that starts with `scheme://` extends up to its last `/`
 * or `#` before any dot splits it into sub-attribute/metadata segments
 * (`https://example.org/v1.0/temp.observedAt` → `https://example.org/v1.0/temp`
 * + `observedAt`).
 *
 * Values: numbers (JSON-like, with optional exponent), quoted strings with JSON
 * escapes, `true`/`false`, unquoted ISO 8601 dateTime/date/time and unquoted
 * URIs (`urn:ngsi-ld:Vehicle:A`). Unquoted bare words are rejected (strings must
 * be quoted, clause 4.9). Whitespace between tokens is tolerated.
 */

export class QuerySyntaxError extends Error {
  readonly position: number;
  constructor(message: string, position: number) {
    super(`Invalid q query: ${message} at position ${position}`);
    this.name = 'QuerySyntaxError';
    this.position = position;
  }
}

export const MAX_QUERY_LENGTH = 8192;
export const MAX_NESTING_DEPTH = 32;
export const MAX_TERMS = 256;

/** Metadata members that may appear as the last dotted segment of a path. */
export const METADATA_NAMES: ReadonlySet<string> = new Set([
  'observedAt',
  'createdAt',
  'modifiedAt',
  'unitCode',
  'datasetId',
]);

export interface AttrPath {
  /** The attribute name as written (short name, compact IRI or IRI). */
  attr: string;
  /** Sub-attribute names (unexpanded), outermost first. */
  subAttrs: string[];
  /** Metadata member targeted instead of the value, if any. */
  metadata?: string;
  /** Compound-value member path inside `value` (never expanded). */
  compound: string[];
}

export type QValue =
  | { kind: 'number'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'dateTime'; value: string }
  | { kind: 'date'; value: string }
  | { kind: 'time'; value: string }
  | { kind: 'uri'; value: string };

export type CompareOp = '==' | '!=' | '>' | '>=' | '<' | '<=';

export type QTerm =
  | { type: 'exists'; path: AttrPath }
  | { type: 'notExists'; path: AttrPath }
  | { type: 'compare'; path: AttrPath; op: CompareOp; value: QValue }
  | { type: 'list'; path: AttrPath; op: '==' | '!='; values: QValue[] }
  | { type: 'range'; path: AttrPath; op: '==' | '!='; from: QValue; to: QValue }
  | { type: 'pattern'; path: AttrPath; negated: boolean; pattern: string; caseInsensitive: boolean };

export type QAst = QTerm | { type: 'and'; terms: QAst[] } | { type: 'or'; terms: QAst[] };

// ---------------------------------------------------------------------------

const NAME_CHAR = /[\p{L}\p{N}_\-:/#@%+]/u;
const NUMBER_RE = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
const TIME_PART = '(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\\.[0-9]{1,9})?)?';
const ZONE_PART = '(?:Z|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9])';
const DATE_PART = '[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])';
const DATETIME_RE = new RegExp(`^${DATE_PART}T${TIME_PART}${ZONE_PART}?$`);
const DATE_RE = new RegExp(`^${DATE_PART}$`);
const TIME_RE = new RegExp(`^${TIME_PART}${ZONE_PART}?$`);
const URI_RE = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s"<>\\^`{}]+$/;
const FULL_IRI_START = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** Characters that end an unquoted value token. */
const VALUE_STOP = new Set([';', '|', '(', ')', ',', ' ', '\t', '\n', '\r', '"']);

export function parseQuery(q: string): QAst {
  if (typeof q !== 'string') throw new QuerySyntaxError('query must be a string', 0);
  if (q.length > MAX_QUERY_LENGTH) {
    throw new QuerySyntaxError(`query longer than ${MAX_QUERY_LENGTH} characters`, MAX_QUERY_LENGTH);
  }
  checkText(q, 0);
  return new Parser(q).parse();
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** PostgreSQL text/jsonb/jsonpath cannot hold NUL or unpaired UTF-16 surrogates. */
function checkText(text: string, at: number): void {
  const nul = text.indexOf('\u0000');
  if (nul >= 0) throw new QuerySyntaxError('NUL character not allowed', at === 0 ? nul : at);
  const m = LONE_SURROGATE.exec(text);
  if (m) throw new QuerySyntaxError('unpaired UTF-16 surrogate', at === 0 ? m.index : at);
}

class Parser {
  private pos = 0;
  private terms = 0;
  constructor(private readonly s: string) {}

  parse(): QAst {
    this.ws();
    if (this.pos >= this.s.length) throw this.err('empty query');
    const ast = this.parseOr(0);
    this.ws();
    if (this.pos < this.s.length) {
      const c = this.s[this.pos];
      if (c === ')') throw this.err('unbalanced ")"');
      throw this.err(`unexpected "${c}"`);
    }
    return ast;
  }

  private err(msg: string, at: number = this.pos): QuerySyntaxError {
    return new QuerySyntaxError(msg, at);
  }

  private ws(): void {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos])) this.pos++;
  }

  private parseOr(depth: number): QAst {
    const terms = [this.parseAnd(depth)];
    for (;;) {
      this.ws();
      if (this.s[this.pos] !== '|') break;
      this.pos++;
      terms.push(this.parseAnd(depth));
    }
    return terms.length === 1 ? terms[0] : { type: 'or', terms: flatten('or', terms) };
  }

  private parseAnd(depth: number): QAst {
    const terms = [this.parsePrimary(depth)];
    for (;;) {
      this.ws();
      if (this.s[this.pos] !== ';') break;
      this.pos++;
      terms.push(this.parsePrimary(depth));
    }
    return terms.length === 1 ? terms[0] : { type: 'and', terms: flatten('and', terms) };
  }

  private parsePrimary(depth: number): QAst {
    this.ws();
    if (this.pos >= this.s.length) throw this.err('expected a query term but the query ended');
    const c = this.s[this.pos];
    if (c === '(') {
      if (depth + 1 > MAX_NESTING_DEPTH) {
        throw this.err(`parentheses nested deeper than ${MAX_NESTING_DEPTH}`);
      }
      const open = this.pos;
      this.pos++;
      const inner = this.parseOr(depth + 1);
      this.ws();
      if (this.s[this.pos] !== ')') {
        if (this.pos >= this.s.length) throw this.err('unbalanced "(" (no matching ")")', open);
        throw this.err(`expected ")" but found "${this.s[this.pos]}"`);
      }
      this.pos++;
      return inner;
    }
    if (c === ';' || c === '|' || c === ')') throw this.err(`expected a query term but found "${c}"`);
    return this.parseTerm();
  }

  private parseTerm(): QTerm {
    const start = this.pos;
    if (++this.terms > MAX_TERMS) throw this.err(`more than ${MAX_TERMS} query terms`);
    let negatedExists = false;
    if (this.s[this.pos] === '!') {
      negatedExists = true;
      this.pos++;
      this.ws();
    }
    const path = this.parseAttribute();
    this.ws();
    const op = this.parseOperator();
    if (negatedExists) {
      if (op !== undefined) throw this.err('"!" (not exists) cannot be combined with an operator', start);
      return { type: 'notExists', path };
    }
    if (op === undefined) return { type: 'exists', path };
    this.ws();
    if (op === '~=' || op === '!~=') {
      const patPos = this.pos;
      let pattern = this.parsePattern();
      let caseInsensitive = false;
      if (pattern.startsWith('(?i)')) {
        caseInsensitive = true;
        pattern = pattern.slice(4);
      }
      validateRegex(pattern, patPos);
      return { type: 'pattern', path, negated: op === '!~=', pattern, caseInsensitive };
    }
    const first = this.parseValue();
    this.ws();
    if (this.s.startsWith('..', this.pos)) {
      if (op !== '==' && op !== '!=') throw this.err(`a range is only allowed with "==" or "!=", not "${op}"`);
      this.pos += 2;
      this.ws();
      const second = this.parseValue();
      for (const v of [first, second]) {
        if (!isComparable(v.value)) {
          throw this.err(`range bounds must be numbers, strings or date/times, not ${v.value.kind}`, v.at);
        }
      }
      if (first.value.kind !== second.value.kind) {
        throw this.err(`range bounds must have the same type (${first.value.kind} vs ${second.value.kind})`, second.at);
      }
      return { type: 'range', path, op, from: first.value, to: second.value };
    }
    if (this.s[this.pos] === ',') {
      if (op !== '==' && op !== '!=') throw this.err(`a value list is only allowed with "==" or "!=", not "${op}"`);
      const values = [first.value];
      while (this.s[this.pos] === ',') {
        this.pos++;
        this.ws();
        if (++this.terms > MAX_TERMS) throw this.err(`more than ${MAX_TERMS} query terms/values`);
        values.push(this.parseValue().value);
        this.ws();
      }
      return { type: 'list', path, op, values };
    }
    if (op !== '==' && op !== '!=' && !isComparable(first.value)) {
      throw this.err(`operator "${op}" needs a number, string or date/time, not ${first.value.kind}`, first.at);
    }
    return { type: 'compare', path, op, value: first.value };
  }

  private parseOperator(): CompareOp | '~=' | '!~=' | undefined {
    const s = this.s;
    const p = this.pos;
    const ops = ['!~=', '==', '!=', '>=', '<=', '~=', '>', '<'] as const;
    for (const op of ops) {
      if (s.startsWith(op, p)) {
        this.pos += op.length;
        return op;
      }
    }
    const c = s[p];
    if (c === '=' || c === '!' || c === '~') throw this.err(`unknown operator starting with "${c}"`);
    return undefined;
  }

  /** name *( "." name ) *( "[" name *( "." name ) "]" ) */
  private parseAttribute(): AttrPath {
    const start = this.pos;
    const s = this.s;
    let end = this.pos;
    while (end < s.length && (s[end] === '.' || NAME_CHAR.test(s[end]))) end++;
    const raw = s.slice(start, end);
    if (raw.length === 0) {
      if (end >= s.length) throw this.err('expected an attribute name but the query ended');
      throw this.err(`expected an attribute name but found "${s[end]}"`);
    }
    const segments = splitPath(raw, start);
    this.pos = end;

    const compound: string[] = [];
    while (s[this.pos] === '[') {
      const open = this.pos;
      this.pos++;
      let e = this.pos;
      while (e < s.length && (s[e] === '.' || NAME_CHAR.test(s[e]))) e++;
      if (s[e] !== ']') {
        if (e >= s.length) throw this.err('unterminated "[" in attribute path', open);
        throw this.err(`unexpected "${s[e]}" in compound member path`, e);
      }
      const inner = s.slice(this.pos, e);
      const parts = inner.split('.');
      if (parts.some((p) => p.length === 0)) throw this.err('empty compound member name', this.pos);
      compound.push(...parts);
      this.pos = e + 1;
    }
    if (this.pos < s.length && (s[this.pos] === ']' || s[this.pos] === '.')) {
      throw this.err(`unexpected "${s[this.pos]}" in attribute path`);
    }

    const [attr, ...rest] = segments;
    let metadata: string | undefined;
    if (rest.length > 0 && METADATA_NAMES.has(rest[rest.length - 1])) {
      metadata = rest.pop();
      if (compound.length > 0) throw this.err('a metadata member cannot be combined with a compound member path', start);
    }
    const path: AttrPath = { attr, subAttrs: rest, compound };
    if (metadata !== undefined) path.metadata = metadata;
    return path;
  }

  /** Regex after ~= / !~=: a quoted string, or raw text up to a top-level `;`, `|` or unmatched `)`. */
  private parsePattern(): string {
    const s = this.s;
    if (s[this.pos] === '"') return this.parseQuoted();
    const start = this.pos;
    let parens = 0;
    let inClass = false;
    let i = this.pos;
    for (; i < s.length; i++) {
      const c = s[i];
      if (c === '\\') {
        i++;
        continue;
      }
      if (inClass) {
        if (c === ']') inClass = false;
        continue;
      }
      if (c === '[') inClass = true;
      else if (c === '(') parens++;
      else if (c === ')') {
        if (parens === 0) break;
        parens--;
      } else if ((c === ';' || c === '|') && parens === 0) break;
    }
    if (i > s.length) throw this.err('pattern ends with a lone "\\"', s.length - 1);
    const pattern = s.slice(start, i).trimEnd();
    if (pattern.length === 0) throw this.err('empty pattern after "~="');
    this.pos = i;
    return pattern;
  }

  private parseValue(): { value: QValue; at: number } {
    const s = this.s;
    const at = this.pos;
    if (this.pos >= s.length) throw this.err('expected a value but the query ended');
    if (s[this.pos] === '"') return { value: { kind: 'string', value: this.parseQuoted() }, at };
    let end = this.pos;
    while (end < s.length && !VALUE_STOP.has(s[end]) && !s.startsWith('..', end)) end++;
    const tok = s.slice(this.pos, end);
    if (tok.length === 0) throw this.err(`expected a value but found "${s[this.pos]}"`);
    this.pos = end;
    return { value: classify(tok, at), at };
  }

  private parseQuoted(): string {
    const s = this.s;
    const open = this.pos;
    let i = this.pos + 1;
    let out = '';
    for (;;) {
      if (i >= s.length) throw this.err('unterminated string', open);
      const c = s[i];
      if (c === '"') break;
      if (c === '\\') {
        const e = s[i + 1];
        if (e === undefined) throw this.err('unterminated string', open);
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case "'": out += "'"; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            const hex = s.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw this.err('bad \\u escape in string', i);
            out += String.fromCharCode(parseInt(hex, 16));
            i += 4;
            break;
          }
          default:
            throw this.err(`bad escape "\\${e}" in string`, i);
        }
        i += 2;
        continue;
      }
      out += c;
      i++;
    }
    this.pos = i + 1;
    // PostgreSQL jsonb/jsonpath cannot hold NUL or unpaired surrogates.
    checkText(out, open);
    return out;
  }
}

function flatten(type: 'and' | 'or', terms: QAst[]): QAst[] {
  const out: QAst[] = [];
  for (const t of terms) {
    if (t.type === type) out.push(...t.terms);
    else out.push(t);
  }
  return out;
}

function isComparable(v: QValue): boolean {
  return v.kind !== 'boolean' && v.kind !== 'uri';
}

function classify(tok: string, at: number): QValue {
  if (/^-?[0-9]/.test(tok) && NUMBER_RE.test(tok)) {
    const n = Number(tok);
    if (!Number.isFinite(n)) throw new QuerySyntaxError(`number "${tok}" out of range`, at);
    return { kind: 'number', value: n };
  }
  if (DATETIME_RE.test(tok)) return { kind: 'dateTime', value: tok };
  if (DATE_RE.test(tok)) return { kind: 'date', value: tok };
  if (TIME_RE.test(tok)) return { kind: 'time', value: tok };
  if (tok === 'true' || tok === 'false') return { kind: 'boolean', value: tok === 'true' };
  if (URI_RE.test(tok) && !/^-?[0-9]/.test(tok)) return { kind: 'uri', value: tok };
  if (/^[-+.0-9]/.test(tok)) throw new QuerySyntaxError(`bad number or date "${short(tok)}"`, at);
  throw new QuerySyntaxError(
    `bad value "${short(tok)}" (strings must be quoted, e.g. "${short(tok)}")`,
    at,
  );
}

function short(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** Split a raw dotted attribute path into segments, keeping full IRIs whole. */
function splitPath(raw: string, at: number): string[] {
  let head = '';
  let rest = raw;
  if (FULL_IRI_START.test(raw)) {
    const cut = Math.max(raw.lastIndexOf('/'), raw.lastIndexOf('#'));
    const dot = raw.indexOf('.', cut + 1);
    if (dot < 0) return [raw];
    head = raw.slice(0, dot);
    rest = raw.slice(dot + 1);
    if (rest.length === 0) throw new QuerySyntaxError('empty sub-attribute name', at + dot + 1);
    const tail = rest.split('.');
    if (tail.some((p) => p.length === 0)) throw new QuerySyntaxError('empty segment in attribute path', at);
    return [head, ...tail];
  }
  const parts = rest.split('.');
  let off = at;
  for (const p of parts) {
    if (p.length === 0) throw new QuerySyntaxError('empty segment in attribute path', off);
    off += p.length + 1;
  }
  return parts;
}

/** Escapes (after `\`) that PostgreSQL's ARE engine accepts; others are errors there. */
const PG_ESCAPES = new Set('aAbBdDefmMnrsStuUvwWxyYZ0'.split(''));

/**
 * Best-effort check that `like_regex` will accept the pattern. JavaScript's
 * RegExp catches structural errors (unbalanced groups, bad quantifiers); the
 * scan below catches what JS allows but PostgreSQL's ARE flavour rejects
 * (unknown letter escapes such as `\p`/`\k`/`\z`, named groups, `[]`,
 * malformed or >255 `{m,n}` bounds, back-references to missing groups).
 * Callers should still map SQLSTATE 2201B (invalid_regular_expression) to 400.
 */
function validateRegex(pattern: string, at: number): void {
  if (pattern.length === 0) throw new QuerySyntaxError('empty pattern', at);
  checkText(pattern, at);
  try {
    new RegExp(pattern);
  } catch (e) {
    throw new QuerySyntaxError(`invalid regular expression (${(e as Error).message})`, at);
  }
  const bad = (what: string, i: number) =>
    new QuerySyntaxError(`unsupported regular expression: ${what}`, at + i);
  let groups = 0;
  for (let i = 0; i < pattern.length; i++) if (pattern[i] === '(' && pattern[i + 1] !== '?' && pattern[i - 1] !== '\\') groups++;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const e = pattern[i + 1] ?? '';
      if (/[A-Za-z]/.test(e) && !PG_ESCAPES.has(e) && e !== 'c') throw bad(`escape "\\${e}"`, i);
      if (e === 'c' && !/[A-Za-z]/.test(pattern[i + 2] ?? '')) throw bad('escape "\\c"', i);
      if (/[1-9]/.test(e) && (inClass || Number(e) > groups)) throw bad(`back-reference "\\${e}"`, i);
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      else if (c === '[' && /[:.=]/.test(pattern[i + 1] ?? '')) {
        const close = pattern.indexOf(`${pattern[i + 1]}]`, i + 2);
        if (close < 0) throw bad('unterminated bracket class', i);
        i = close + 1;
      }
      continue;
    }
    if (c === '[') {
      inClass = true;
      if (pattern[i + 1] === '^') i++;
      if (pattern[i + 1] === ']') i++; // leading "]" is a literal in POSIX brackets
      continue;
    }
    if (c === '(' && pattern.startsWith('(?<', i) && !/[=!]/.test(pattern[i + 3] ?? '')) throw bad('named group', i);
    if (c === '{' && /[0-9]/.test(pattern[i + 1] ?? '')) {
      const m = /^\{([0-9]+)(,([0-9]*))?\}/.exec(pattern.slice(i));
      if (!m) throw bad('malformed {m,n} bound', i);
      const lo = Number(m[1]);
      const hi = m[3] ? Number(m[3]) : lo;
      if (lo > 255 || hi > 255 || lo > hi) throw bad('repetition bound over 255 or out of order', i);
    }
  }
  if (inClass) throw bad('unterminated bracket class', pattern.length);
}
