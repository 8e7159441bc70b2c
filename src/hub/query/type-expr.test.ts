import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { SqlParams } from '../../platform/db/sql-params.ts';
import {
  MAX_TYPE_EXPRESSION_LENGTH,
  TypeExpressionSyntaxError,
  parseTypeExpression,
  typeExpressionSql,
  typeNames,
  type TypeAst,
} from './type-expr.ts';

function outcome(s: string): TypeAst | TypeExpressionSyntaxError {
  try {
    return parseTypeExpression(s);
  } catch (e) {
    if (e instanceof TypeExpressionSyntaxError) return e;
    throw e;
  }
}

const t = (name: string): TypeAst => ({ kind: 'type', name });
const NS = 'https://example.org/ns#';
const expand = (n: string) => (n.includes(':') ? n : NS + n);

describe('parseTypeExpression', () => {
  it('parses names, OR, AND, parentheses', () => {
    expect(parseTypeExpression('Building')).toEqual(t('Building'));
    expect(parseTypeExpression('https://schema.org/Place')).toEqual(t('https://schema.org/Place'));
    expect(parseTypeExpression('A,B')).toEqual({ kind: 'or', items: [t('A'), t('B')] });
    expect(parseTypeExpression('A|B,C')).toEqual({ kind: 'or', items: [t('A'), t('B'), t('C')] });
    expect(parseTypeExpression('A;B')).toEqual({ kind: 'and', items: [t('A'), t('B')] });
    expect(parseTypeExpression('A;B|C')).toEqual({
      kind: 'or',
      items: [{ kind: 'and', items: [t('A'), t('B')] }, t('C')],
    });
    expect(parseTypeExpression('(A|B);C')).toEqual({
      kind: 'and',
      items: [{ kind: 'or', items: [t('A'), t('B')] }, t('C')],
    });
    expect(parseTypeExpression('((A;B);C)')).toEqual({ kind: 'and', items: [t('A'), t('B'), t('C')] });
  });

  it('typeNames lists unique names in order', () => {
    expect(typeNames(parseTypeExpression('(A|B);C,A;(D|B)'))).toEqual(['A', 'B', 'C', 'D']);
  });

  it('rejects malformed expressions', () => {
    for (const s of [
      '',
      ',',
      'A,',
      ',A',
      'A;;B',
      'A||B',
      '()',
      '(A',
      'A)',
      'A(B)',
      '(A)B',
      'A B',
      'A\nB',
      '\u0000',
      "'); DROP TABLE x;--",
      "A'); DROP TABLE x;--",
    ]) {
      expect(outcome(s), JSON.stringify(s)).toBeInstanceOf(TypeExpressionSyntaxError);
    }
  });

  it('enforces length and depth caps', () => {
    expect(outcome('A'.repeat(MAX_TYPE_EXPRESSION_LENGTH + 1))).toBeInstanceOf(TypeExpressionSyntaxError);
    expect(outcome('A'.repeat(10_000_000))).toBeInstanceOf(TypeExpressionSyntaxError);
    expect(outcome('A'.repeat(MAX_TYPE_EXPRESSION_LENGTH))).toEqual(t('A'.repeat(MAX_TYPE_EXPRESSION_LENGTH)));
    expect(outcome('('.repeat(16) + 'A' + ')'.repeat(16))).toEqual(t('A'));
    expect(outcome('('.repeat(17) + 'A' + ')'.repeat(17))).toBeInstanceOf(TypeExpressionSyntaxError);
    expect(outcome('('.repeat(4096))).toBeInstanceOf(TypeExpressionSyntaxError);
    expect(outcome('(A;'.repeat(1000) + 'A' + ')'.repeat(1000))).toBeInstanceOf(TypeExpressionSyntaxError);
  });

  it('fuzz: random inputs yield an AST or TypeExpressionSyntaxError only', () => {
    let seed = 3;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const alphabet = ['A', 'B', ',', ';', '|', '(', ')', "'", '"', '{', '}', '\\', ':', ' '];
    for (let i = 0; i < 5000; i++) {
      let s = '';
      const len = Math.floor(rnd() * 30);
      for (let j = 0; j < len; j++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      const r = outcome(s);
      if (!(r instanceof TypeExpressionSyntaxError)) typeExpressionSql(r, expand, new SqlParams());
    }
  });
});

describe('typeExpressionSql (text)', () => {
  it('groups plain names into && / @> arrays', () => {
    let p = new SqlParams();
    expect(typeExpressionSql(parseTypeExpression('A'), expand, p)).toBe('(types && $1::text[])');
    expect(p.values).toEqual([[NS + 'A']]);

    p = new SqlParams();
    expect(typeExpressionSql(parseTypeExpression('A,B|A'), expand, p)).toBe('(types && $1::text[])');
    expect(p.values).toEqual([[NS + 'A', NS + 'B']]);

    p = new SqlParams();
    expect(typeExpressionSql(parseTypeExpression('A;B,(C|D);E;F'), expand, p, 'e.types')).toBe(
      '((e.types @> $1::text[]) OR ((e.types @> $2::text[]) AND (e.types && $3::text[])))',
    );
    expect(p.values).toEqual([[NS + 'A', NS + 'B'], [NS + 'E', NS + 'F'], [NS + 'C', NS + 'D']]);
  });
});

describe('type expressions on PostgreSQL (PGlite)', () => {
  let db: PGlite;
  beforeAll(async () => {
    db = new PGlite();
    await db.exec('CREATE TABLE e (id text PRIMARY KEY, types text[])');
    const rows: [string, string[]][] = [
      ['b', ['Building']],
      ['p', ['Parking']],
      ['bp', ['Building', 'Parking']],
      ['bps', ['Building', 'Parking', 'Shop']],
      ['s', ['Shop']],
      ['w', ['WaterMeter']],
      ['weird', ['x"}{,\\\'y']],
    ];
    for (const [id, ts] of rows) {
      await db.query('INSERT INTO e VALUES ($1, $2::text[])', [id, ts.map(expand)]);
    }
  }, 60_000);
  afterAll(async () => {
    await db?.close();
  });

  async function ids(q: string): Promise<string[]> {
    const p = new SqlParams();
    const where = typeExpressionSql(parseTypeExpression(q), expand, p);
    const r = await db.query<{ id: string }>(`SELECT id FROM e WHERE ${where} ORDER BY id`, p.values);
    return r.rows.map((x) => x.id);
  }

  it('OR / AND / parentheses', async () => {
    expect(await ids('Building')).toEqual(['b', 'bp', 'bps']);
    expect(await ids('Building,Shop')).toEqual(['b', 'bp', 'bps', 's']);
    expect(await ids('Building|Shop')).toEqual(['b', 'bp', 'bps', 's']);
    expect(await ids('Building;Parking')).toEqual(['bp', 'bps']);
    expect(await ids('Building;Parking;Shop')).toEqual(['bps']);
    expect(await ids('Building;Parking,WaterMeter')).toEqual(['bp', 'bps', 'w']);
    expect(await ids('(Building|Shop);Parking')).toEqual(['bp', 'bps']);
    expect(await ids('(Building;Shop)|(Parking;Building)')).toEqual(['bp', 'bps']);
    expect(await ids('Nothing')).toEqual([]);
    expect(await ids('Nothing;Building')).toEqual([]);
  });

  it('array-literal and SQL metacharacters in names are inert data', async () => {
    expect(await ids('x"}{')).toEqual([]);
    expect(await ids('x"}{|Shop')).toEqual(['bps', 's']);
    // The stored weird type round-trips exactly through the array parameter.
    const p = new SqlParams();
    const where = typeExpressionSql(t('x"}{,\\\'y'), expand, p);
    const r = await db.query<{ id: string }>(`SELECT id FROM e WHERE ${where}`, p.values);
    expect(r.rows.map((x) => x.id)).toEqual(['weird']);
    expect(await ids("Building'--")).toEqual([]);
    const n = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM e');
    expect(n.rows[0].n).toBe(7);
  });
});
