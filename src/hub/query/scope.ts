/**
 * NGSI-LD scopes and scopeQ (NGSI-LD 1.8 §4.18/§4.19).
 *
 * Grammar (`;` = AND binds tighter than `,` = OR):
 *   expr    := andExpr (',' andExpr)*
 *   andExpr := primary (';' primary)*
 *   primary := '(' expr ')' | term
 *   term    := '/#' | ('/' segment)+ ['/#']      segment := name | '+'
 */
import type { SqlParams } from '../../platform/db/sql-params.ts';

export class ScopeQuerySyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScopeQuerySyntaxError';
  }
}

export type ScopeAst =
  | { kind: 'or'; items: ScopeAst[] }
  | { kind: 'and'; items: ScopeAst[] }
  /**
   * One scope pattern. `segments` may contain '+' (exactly one level); `descendants` is true for
   * a trailing '/#'. `/#` alone is `{ segments: [], descendants: true }` (any scope).
   */
  | { kind: 'scope'; segments: string[]; descendants: boolean };

export const MAX_SCOPE_QUERY_LENGTH = 4096;
export const MAX_SCOPE_QUERY_DEPTH = 16;
export const MAX_SCOPE_LENGTH = 4096;

/** Characters that may not appear inside a segment name (operators, wildcards, whitespace, controls). */
// eslint-disable-next-line no-control-regex
const BAD_SEGMENT_CHAR = /[\s\u0000-\u001f\u007f#+,;()]/u;

/**
 * Validates a scope value on entity write. Returns an error message or null.
 * A scope starts with '/', has non-empty '/'-separated segments, and contains no '#', '+',
 * ',', ';', '(', ')', whitespace or control characters (those could not be queried with scopeQ).
 */
export function validateScope(s: string): string | null {
  if (typeof s !== 'string') return 'scope must be a string';
  if (s.length === 0) return 'scope must not be empty';
  if (s.length > MAX_SCOPE_LENGTH) return `scope exceeds ${MAX_SCOPE_LENGTH} characters`;
  if (!s.startsWith('/')) return "scope must start with '/'";
  const segs = s.slice(1).split('/');
  for (const seg of segs) {
    if (seg.length === 0) return 'scope segments must not be empty';
    if (BAD_SEGMENT_CHAR.test(seg)) {
      return "scope segments must not contain '#', '+', ',', ';', '(', ')', whitespace or control characters";
    }
  }
  return null;
}

function parseTerm(text: string, at: number): ScopeAst {
  if (!text.startsWith('/')) {
    throw new ScopeQuerySyntaxError(`scope pattern at position ${at} must start with '/'`);
  }
  if (text === '/#') return { kind: 'scope', segments: [], descendants: true };
  const segs = text.slice(1).split('/');
  let descendants = false;
  if (segs[segs.length - 1] === '#') {
    descendants = true;
    segs.pop();
  }
  for (const seg of segs) {
    if (seg.length === 0) throw new ScopeQuerySyntaxError(`empty segment in scope pattern at position ${at}`);
    if (seg === '+') continue;
    if (seg === '#') {
      throw new ScopeQuerySyntaxError(`'#' is only allowed as the last segment (position ${at})`);
    }
    if (BAD_SEGMENT_CHAR.test(seg)) {
      throw new ScopeQuerySyntaxError(
        `invalid character in scope segment at position ${at}; '+' and '#' must be whole segments`,
      );
    }
  }
  return { kind: 'scope', segments: segs, descendants };
}

/** Parses a scopeQ expression. Throws ScopeQuerySyntaxError on any malformed input. */
export function parseScopeQuery(s: string): ScopeAst {
  if (typeof s !== 'string') throw new ScopeQuerySyntaxError('scopeQ must be a string');
  if (s.length === 0) throw new ScopeQuerySyntaxError('scopeQ must not be empty');
  if (s.length > MAX_SCOPE_QUERY_LENGTH) {
    throw new ScopeQuerySyntaxError(`scopeQ exceeds ${MAX_SCOPE_QUERY_LENGTH} characters`);
  }
  let pos = 0;

  const peek = () => s[pos];

  const parseExpr = (depth: number): ScopeAst => {
    const items = [parseAnd(depth)];
    while (peek() === ',') {
      pos++;
      items.push(parseAnd(depth));
    }
    return items.length === 1 ? items[0] : { kind: 'or', items: flatten('or', items) };
  };

  const parseAnd = (depth: number): ScopeAst => {
    const items = [parsePrimary(depth)];
    while (peek() === ';') {
      pos++;
      items.push(parsePrimary(depth));
    }
    return items.length === 1 ? items[0] : { kind: 'and', items: flatten('and', items) };
  };

  const parsePrimary = (depth: number): ScopeAst => {
    const c = peek();
    if (c === undefined) throw new ScopeQuerySyntaxError('unexpected end of scopeQ');
    if (c === '(') {
      if (depth >= MAX_SCOPE_QUERY_DEPTH) {
        throw new ScopeQuerySyntaxError(`scopeQ nesting exceeds ${MAX_SCOPE_QUERY_DEPTH} levels`);
      }
      pos++;
      const inner = parseExpr(depth + 1);
      if (peek() !== ')') throw new ScopeQuerySyntaxError(`expected ')' at position ${pos}`);
      pos++;
      return inner;
    }
    if (c === ')' || c === ',' || c === ';') {
      throw new ScopeQuerySyntaxError(`unexpected '${c}' at position ${pos}`);
    }
    const start = pos;
    while (pos < s.length && !'(),;'.includes(s[pos])) pos++;
    return parseTerm(s.slice(start, pos), start);
  };

  const ast = parseExpr(0);
  if (pos !== s.length) throw new ScopeQuerySyntaxError(`unexpected '${s[pos]}' at position ${pos}`);
  return ast;
}

function flatten(kind: 'or' | 'and', items: ScopeAst[]): ScopeAst[] {
  return items.flatMap((i) => (i.kind === kind ? i.items : [i]));
}

/** Escapes every ASCII non-alphanumeric character so it is literal in a PostgreSQL ARE. */
function escapeRegex(text: string): string {
  return text.replace(/[^A-Za-z0-9_\u0080-\uffff]/g, (ch) => `\\${ch}`);
}

function scopeRegex(segments: string[], descendants: boolean): string {
  const body = segments.map((seg) => '/' + (seg === '+' ? '[^/]+' : escapeRegex(seg))).join('');
  return `^${body}${descendants ? '(/.*)?' : ''}$`;
}

/**
 * Boolean SQL fragment for a scopeQ AST against a text[] column (trusted SQL, default `scopes`).
 * Exact scopes use `= ANY(...)`; wildcards use a regex built from escaped user text.
 */
export function scopeQuerySql(ast: ScopeAst, params: SqlParams, scopesColumnSql = 'scopes'): string {
  switch (ast.kind) {
    case 'or':
    case 'and':
      return `(${ast.items.map((i) => scopeQuerySql(i, params, scopesColumnSql)).join(ast.kind === 'or' ? ' OR ' : ' AND ')})`;
    case 'scope': {
      if (ast.segments.length === 0 && ast.descendants) return `(cardinality(${scopesColumnSql}) > 0)`;
      if (!ast.descendants && !ast.segments.includes('+')) {
        return `(${params.add('/' + ast.segments.join('/'))}::text = ANY(${scopesColumnSql}))`;
      }
      const re = params.add(scopeRegex(ast.segments, ast.descendants));
      return `EXISTS (SELECT 1 FROM unnest(${scopesColumnSql}) AS scope_q(v) WHERE scope_q.v ~ ${re}::text)`;
    }
  }
}
