import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { SqlParams } from '../../platform/db/sql-params.ts';
import {
  MAX_SCOPE_QUERY_LENGTH,
  ScopeQuerySyntaxError,
  parseScopeQuery,
  scopeQuerySql,
  validateScope,
  type ScopeAst,
} from './scope.ts';

function outcome(s: string): ScopeAst | ScopeQuerySyntaxError {
  try {
    return parseScopeQuery(s);
  } catch (e) {
    if (e instanceof ScopeQuerySyntaxError) return e;
    throw e;
  }
}

const sc = (segments: string[], descendants = false): ScopeAst => ({ kind: 'scope', segments, descendants });

describe('parseScopeQuery', () => {
  it('parses terms', () => {
    expect(parseScopeQuery('/Madina/Casablanca/Anfa')).toEqual(sc(['Madina', 'Casablanca', 'Anfa']));
    expect(parseScopeQuery('/a/b/#')).toEqual(sc(['a', 'b'], true));
    expect(parseScopeQuery('/a/+/c')).toEqual(sc(['a', '+', 'c']));
    expect(parseScopeQuery('/#')).toEqual(sc([], true));
    expect(parseScopeQuery('/+/#')).toEqual(sc(['+'], true));
    expect(parseScopeQuery('/Région/Dār-al-Bayḍā’')).toEqual(sc(['Région', 'Dār-al-Bayḍā’']));
  });

  it('parses operators with AND binding tighter than OR', () => {
    expect(parseScopeQuery('/a,/b;/c')).toEqual({ kind: 'or', items: [sc(['a']), { kind: 'and', items: [sc(['b']), sc(['c'])] }] });
    expect(parseScopeQuery('(/a,/b);/c')).toEqual({
      kind: 'and',
      items: [{ kind: 'or', items: [sc(['a']), sc(['b'])] }, sc(['c'])],
    });
    expect(parseScopeQuery('/a,(/b,/c)')).toEqual({ kind: 'or', items: [sc(['a']), sc(['b']), sc(['c'])] });
    expect(parseScopeQuery('((/a))')).toEqual(sc(['a']));
  });

  it('rejects malformed expressions', () => {
    for (const s of [
      '',
      'a',
      '/',
      '//',
      '/a/',
      '/a//b',
      '/a/#/b',
      '/a#',
      '/a+',
      '/a/b+c',
      '/#/#',
      '/a b',
      '/a\tb',
      '/a\u0000',
      '/a,',
      ',/a',
      '/a;;/b',
      '()',
      '(/a',
      '/a)',
      '(/a))',
      '/a(/b)',
      "/a'); DROP TABLE x;--",
      "'); DROP TABLE x;--",
    ]) {
      expect(outcome(s), JSON.stringify(s)).toBeInstanceOf(ScopeQuerySyntaxError);
    }
  });

  it('enforces length and depth caps', () => {
    expect(outcome('/a'.repeat(MAX_SCOPE_QUERY_LENGTH))).toBeInstanceOf(ScopeQuerySyntaxError);
    expect(outcome('/a'.repeat(2048))).not.toBeInstanceOf(ScopeQuerySyntaxError);
    expect(outcome('('.repeat(16) + '/a' + ')'.repeat(16))).toEqual(sc(['a']));
    expect(outcome('('.repeat(17) + '/a' + ')'.repeat(17))).toBeInstanceOf(ScopeQuerySyntaxError);
    expect(outcome('('.repeat(100_000))).toBeInstanceOf(ScopeQuerySyntaxError);
    expect(outcome('('.repeat(2000) + '/a' + ')'.repeat(2000))).toBeInstanceOf(ScopeQuerySyntaxError);
    expect(outcome('/a,'.repeat(1000) + '/a')).not.toBeInstanceOf(ScopeQuerySyntaxError);
  });

  it('fuzz: random inputs yield an AST or ScopeQuerySyntaxError only', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const alphabet = ['/', 'a', 'b', '#', '+', ',', ';', '(', ')', '.', '*', '\\', '$', "'", ' ', 'é'];
    for (let i = 0; i < 5000; i++) {
      let s = '';
      const len = Math.floor(rnd() * 30);
      for (let j = 0; j < len; j++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      const r = outcome(s);
      if (!(r instanceof ScopeQuerySyntaxError)) {
        // Whatever parses also compiles to SQL.
        scopeQuerySql(r, new SqlParams());
      }
    }
  });
});

describe('validateScope', () => {
  it('accepts good scopes', () => {
    for (const s of ['/Madina', '/Madina/Casablanca/Anfa', '/a.b/c*d/[x]', '/Région']) expect(validateScope(s), s).toBeNull();
  });
  it('rejects bad scopes', () => {
    for (const s of ['', 'Madina', '/', '/a/', '//a', '/a/#', '/a/+', '/a b', '/a,b', '/a;b', '/(a)', '/a\n', 'x'.repeat(5000)]) {
      expect(typeof validateScope(s), JSON.stringify(s)).toBe('string');
    }
    expect(typeof validateScope(5 as unknown as string)).toBe('string');
  });
});

describe('scopeQuerySql (text)', () => {
  it('exact uses = ANY, wildcards use an escaped regex param', () => {
    const p = new SqlParams();
    expect(scopeQuerySql(parseScopeQuery('/a/b'), p)).toBe('($1::text = ANY(scopes))');
    expect(scopeQuerySql(parseScopeQuery('/a.b/+/c$/#'), p, 'e.scopes')).toBe(
      'EXISTS (SELECT 1 FROM unnest(e.scopes) AS scope_q(v) WHERE scope_q.v ~ $2::text)',
    );
    expect(p.values).toEqual(['/a/b', '^/a\\.b/[^/]+/c\\$(/.*)?$']);
    expect(scopeQuerySql(parseScopeQuery('/#'), new SqlParams())).toBe('(cardinality(scopes) > 0)');
  });
});

describe('scopeQ on PostgreSQL (PGlite)', () => {
  let db: PGlite;
  beforeAll(async () => {
    db = new PGlite();
    await db.exec('CREATE TABLE e (id text PRIMARY KEY, scopes text[])');
    const rows: [string, string[] | null][] = [
      ['anfa', ['/Madina/Casablanca/Anfa']],
      ['maarif', ['/Madina/Casablanca/Maarif']],
      ['casa', ['/Madina/Casablanca']],
      ['settat', ['/Madina/Settat/Centre']],
      ['both', ['/Madina/Casablanca/Anfa', '/Energy/Water']],
      ['dots', ['/a.b/c']],
      ['dotsx', ['/aXb/c']],
      ['meta', ['/x$^*?[]{}|\\.y/z']],
      ['deep', ['/Madina/Casablanca/Anfa/Racine/Bourgogne']],
      ['none', null],
      ['empty', []],
    ];
    for (const [id, s] of rows) {
      if (s) for (const x of s) expect(validateScope(x), x).toBeNull();
      await db.query('INSERT INTO e VALUES ($1, $2::text[])', [id, s]);
    }
  }, 60_000);
  afterAll(async () => {
    await db?.close();
  });

  async function ids(q: string): Promise<string[]> {
    const p = new SqlParams();
    const where = scopeQuerySql(parseScopeQuery(q), p);
    const r = await db.query<{ id: string }>(`SELECT id FROM e WHERE ${where} ORDER BY id`, p.values);
    return r.rows.map((x) => x.id);
  }

  it('exact, descendants, one-level wildcard, any', async () => {
    expect(await ids('/Madina/Casablanca/Anfa')).toEqual(['anfa', 'both']);
    expect(await ids('/Madina/Casablanca')).toEqual(['casa']);
    expect(await ids('/Madina/Casablanca/#')).toEqual(['anfa', 'both', 'casa', 'deep', 'maarif']);
    expect(await ids('/Madina/+')).toEqual(['casa']);
    expect(await ids('/Madina/+/Anfa')).toEqual(['anfa', 'both']);
    expect(await ids('/Madina/+/+')).toEqual(['anfa', 'both', 'maarif', 'settat']);
    expect(await ids('/+/+/Anfa/#')).toEqual(['anfa', 'both', 'deep']);
    expect(await ids('/#')).toEqual(['anfa', 'both', 'casa', 'deep', 'dots', 'dotsx', 'maarif', 'meta', 'settat']);
    expect(await ids('/Madina/Casa/#')).toEqual([]);
  });

  it('AND / OR / parentheses', async () => {
    expect(await ids('/Madina/Casablanca/Anfa;/Energy/#')).toEqual(['both']);
    expect(await ids('/Madina/Settat/#,/Energy/Water')).toEqual(['both', 'settat']);
    expect(await ids('(/Madina/Settat/#,/Madina/Casablanca/Anfa);/Energy/+')).toEqual(['both']);
    expect(await ids('/Madina/Settat/#,/Madina/Casablanca/Anfa;/Energy/+')).toEqual(['both', 'settat']);
  });

  it('regex metacharacters in user text are literal', async () => {
    expect(await ids('/a.b/+')).toEqual(['dots']);
    expect(await ids('/a.b/#')).toEqual(['dots']);
    expect(await ids('/x$^*?[]{}|\\.y/+')).toEqual(['meta']);
    expect(await ids('/x$^*?[]{}|\\.y/#')).toEqual(['meta']);
    expect(await ids('/x$^*?[]{}|\\.y/z')).toEqual(['meta']);
    for (const q of ['/.*/#', '/[a-z]*/+', '/a.b|.*/+', '/Madina/.*', '/Madina/Casablanca/.*/#', '/\\w*/#', '/.{0}/+', '/a.b/.?', '/^/#']) {
      expect(await ids(q), q).toEqual([]);
    }
  });

  it('injection attempts are inert', async () => {
    expect(await ids("/x'OR'1'='1--/#")).toEqual([]);
    expect(await ids("/Madina/Casablanca/Anfa'--")).toEqual([]);
    const n = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM e');
    expect(n.rows[0].n).toBe(11);
  });
});
