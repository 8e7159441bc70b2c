/**
 * Entity type selection (NGSI-LD 1.8 §4.17).
 *
 * Grammar (`;` = AND binds tighter than `,` / `|` = OR):
 *   expr    := andExpr ((',' | '|') andExpr)*
 *   andExpr := primary (';' primary)*
 *   primary := '(' expr ')' | name
 * A name is a non-empty run of characters other than `,;|()`, whitespace and control characters
 * (short names, compact IRIs and full IRIs).
 */
import type { SqlParams } from '../../platform/db/sql-params.ts';

export class TypeExpressionSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TypeExpressionSyntaxError';
  }
}

export type TypeAst =
  | { kind: 'or'; items: TypeAst[] }
  | { kind: 'and'; items: TypeAst[] }
  | { kind: 'type'; name: string };

export const MAX_TYPE_EXPRESSION_LENGTH = 4096;
export const MAX_TYPE_EXPRESSION_DEPTH = 16;

// eslint-disable-next-line no-control-regex
const BAD_NAME_CHAR = /[\s\u0000-\u001f\u007f]/u;

/** Parses a type selection expression. Throws TypeExpressionSyntaxError on any malformed input. */
export function parseTypeExpression(s: string): TypeAst {
  if (typeof s !== 'string') throw new TypeExpressionSyntaxError('type must be a string');
  if (s.length === 0) throw new TypeExpressionSyntaxError('type must not be empty');
  if (s.length > MAX_TYPE_EXPRESSION_LENGTH) {
    throw new TypeExpressionSyntaxError(`type expression exceeds ${MAX_TYPE_EXPRESSION_LENGTH} characters`);
  }
  let pos = 0;
  const peek = () => s[pos];

  const parseExpr = (depth: number): TypeAst => {
    const items = [parseAnd(depth)];
    while (peek() === ',' || peek() === '|') {
      pos++;
      items.push(parseAnd(depth));
    }
    return items.length === 1 ? items[0] : { kind: 'or', items: flatten('or', items) };
  };

  const parseAnd = (depth: number): TypeAst => {
    const items = [parsePrimary(depth)];
    while (peek() === ';') {
      pos++;
      items.push(parsePrimary(depth));
    }
    return items.length === 1 ? items[0] : { kind: 'and', items: flatten('and', items) };
  };

  const parsePrimary = (depth: number): TypeAst => {
    const c = peek();
    if (c === undefined) throw new TypeExpressionSyntaxError('unexpected end of type expression');
    if (c === '(') {
      if (depth >= MAX_TYPE_EXPRESSION_DEPTH) {
        throw new TypeExpressionSyntaxError(`type expression nesting exceeds ${MAX_TYPE_EXPRESSION_DEPTH} levels`);
      }
      pos++;
      const inner = parseExpr(depth + 1);
      if (peek() !== ')') throw new TypeExpressionSyntaxError(`expected ')' at position ${pos}`);
      pos++;
      return inner;
    }
    if (c === ')' || c === ',' || c === ';' || c === '|') {
      throw new TypeExpressionSyntaxError(`unexpected '${c}' at position ${pos}`);
    }
    const start = pos;
    while (pos < s.length && !'(),;|'.includes(s[pos])) pos++;
    const name = s.slice(start, pos);
    if (BAD_NAME_CHAR.test(name)) {
      throw new TypeExpressionSyntaxError(
        `type name at position ${start} contains whitespace or control characters`,
      );
    }
    return { kind: 'type', name };
  };

  const ast = parseExpr(0);
  if (pos !== s.length) throw new TypeExpressionSyntaxError(`unexpected '${s[pos]}' at position ${pos}`);
  return ast;
}

function flatten(kind: 'or' | 'and', items: TypeAst[]): TypeAst[] {
  return items.flatMap((i) => (i.kind === kind ? i.items : [i]));
}

/** All type names mentioned in the expression (unique, in order of first appearance). */
export function typeNames(ast: TypeAst): string[] {
  const out = new Set<string>();
  const walk = (n: TypeAst) => {
    if (n.kind === 'type') out.add(n.name);
    else n.items.forEach(walk);
  };
  walk(ast);
  return [...out];
}

/**
 * Boolean SQL fragment for a type expression against a text[] column of expanded type IRIs
 * (trusted SQL, default `types`). Plain names directly under an OR become one
 * `types && $n::text[]`; under an AND one `types @> $n::text[]` (both GIN-indexable).
 * `expand` maps a name as written to its expanded IRI.
 */
export function typeExpressionSql(
  ast: TypeAst,
  expand: (t: string) => string,
  params: SqlParams,
  typesColumnSql = 'types',
): string {
  if (ast.kind === 'type') {
    return `(${typesColumnSql} && ${params.add([expand(ast.name)])}::text[])`;
  }
  const names: string[] = [];
  const nested: TypeAst[] = [];
  for (const item of ast.items) {
    if (item.kind === 'type') {
      const iri = expand(item.name);
      if (!names.includes(iri)) names.push(iri);
    } else {
      nested.push(item);
    }
  }
  const parts: string[] = [];
  if (names.length > 0) {
    parts.push(`(${typesColumnSql} ${ast.kind === 'or' ? '&&' : '@>'} ${params.add(names)}::text[])`);
  }
  for (const item of nested) parts.push(typeExpressionSql(item, expand, params, typesColumnSql));
  return parts.length === 1 ? parts[0] : `(${parts.join(ast.kind === 'or' ? ' OR ' : ' AND ')})`;
}
