import { describe, it, expect } from 'vitest';
import { parseQuery, QuerySyntaxError, type QAst } from './q.ts';

function syntaxError(q: string): QuerySyntaxError {
  try {
    parseQuery(q);
  } catch (e) {
    expect(e).toBeInstanceOf(QuerySyntaxError);
    return e as QuerySyntaxError;
  }
  throw new Error(`expected QuerySyntaxError for ${JSON.stringify(q.slice(0, 80))}`);
}

const path = (attr: string, subAttrs: string[] = [], compound: string[] = []) => ({ attr, subAttrs, compound });

describe('parseQuery: terms and operators', () => {
  it('parses a bare attribute as exists and !attr as not-exists', () => {
    expect(parseQuery('brightness')).toEqual({ type: 'exists', path: path('brightness') });
    expect(parseQuery('!brightness')).toEqual({ type: 'notExists', path: path('brightness') });
  });

  it.each([
    ['==', 'a==1'],
    ['!=', 'a!=1'],
    ['>', 'a>1'],
    ['>=', 'a>=1'],
    ['<', 'a<1'],
    ['<=', 'a<=1'],
  ])('parses %s', (op, q) => {
    expect(parseQuery(q)).toEqual({ type: 'compare', path: path('a'), op, value: { kind: 'number', value: 1 } });
  });

  it('parses numbers: ints, decimals, negatives, exponents', () => {
    const v = (q: string) => (parseQuery(q) as { value: unknown }).value;
    expect(v('a==0')).toEqual({ kind: 'number', value: 0 });
    expect(v('a==-12')).toEqual({ kind: 'number', value: -12 });
    expect(v('a==3.25')).toEqual({ kind: 'number', value: 3.25 });
    expect(v('a==-1.5e3')).toEqual({ kind: 'number', value: -1500 });
    expect(v('a==2E-2')).toEqual({ kind: 'number', value: 0.02 });
  });

  it('parses quoted strings with escapes', () => {
    expect(parseQuery('a=="x\\"y\\\\z\\n\\u00e9"')).toMatchObject({ value: { kind: 'string', value: 'x"y\\z\né' } });
    expect(parseQuery('a=="semi;colon|pipe)paren"')).toMatchObject({ value: { value: 'semi;colon|pipe)paren' } });
    expect(parseQuery('a==""')).toMatchObject({ value: { kind: 'string', value: '' } });
  });

  it('parses booleans, dateTimes, dates, times and URIs', () => {
    const v = (q: string) => (parseQuery(q) as { value: unknown }).value;
    expect(v('a==true')).toEqual({ kind: 'boolean', value: true });
    expect(v('a==false')).toEqual({ kind: 'boolean', value: false });
    expect(v('a>2018-12-04T12:00:00Z')).toEqual({ kind: 'dateTime', value: '2018-12-04T12:00:00Z' });
    expect(v('a>2018-12-04T12:00:00.123+01:00')).toEqual({ kind: 'dateTime', value: '2018-12-04T12:00:00.123+01:00' });
    expect(v('a<2018-12-04')).toEqual({ kind: 'date', value: '2018-12-04' });
    expect(v('a>=12:30:00')).toEqual({ kind: 'time', value: '12:30:00' });
    expect(v('a==urn:ngsi-ld:Vehicle:A')).toEqual({ kind: 'uri', value: 'urn:ngsi-ld:Vehicle:A' });
    expect(v('a==https://example.org/x#y')).toEqual({ kind: 'uri', value: 'https://example.org/x#y' });
  });

  it('parses ranges of numbers, dates and strings', () => {
    expect(parseQuery('a==1..5')).toEqual({
      type: 'range', path: path('a'), op: '==', from: { kind: 'number', value: 1 }, to: { kind: 'number', value: 5 },
    });
    expect(parseQuery('a!=-1.5..2.5')).toMatchObject({ type: 'range', op: '!=', from: { value: -1.5 }, to: { value: 2.5 } });
    expect(parseQuery('a==2020-01-01T00:00:00Z..2021-01-01T00:00:00Z')).toMatchObject({
      type: 'range', from: { kind: 'dateTime' }, to: { kind: 'dateTime' },
    });
    expect(parseQuery('a=="a".."m"')).toMatchObject({ type: 'range', from: { value: 'a' }, to: { value: 'm' } });
  });

  it('parses value lists', () => {
    expect(parseQuery('a==1,2,3')).toEqual({
      type: 'list', path: path('a'), op: '==', values: [1, 2, 3].map((value) => ({ kind: 'number', value })),
    });
    expect(parseQuery('a!="x","y"')).toMatchObject({ type: 'list', op: '!=', values: [{ value: 'x' }, { value: 'y' }] });
    expect(parseQuery('a==urn:x:1,urn:x:2,true')).toMatchObject({ values: [{ kind: 'uri' }, { kind: 'uri' }, { kind: 'boolean' }] });
  });

  it('parses patterns, with (?i) and with characters that look like operators', () => {
    expect(parseQuery('name~=^Lam.*')).toEqual({ type: 'pattern', path: path('name'), negated: false, pattern: '^Lam.*', caseInsensitive: false });
    expect(parseQuery('name!~=(?i)lamp')).toMatchObject({ negated: true, pattern: 'lamp', caseInsensitive: true });
    expect(parseQuery('name~=(a|b);c')).toMatchObject({ type: 'and', terms: [{ pattern: '(a|b)' }, { type: 'exists' }] });
    expect(parseQuery('(name~=a[)]b)')).toMatchObject({ pattern: 'a[)]b' });
    expect(parseQuery('name~="x;y|z"')).toMatchObject({ pattern: 'x;y|z' });
  });
});

describe('parseQuery: attribute paths', () => {
  it('parses sub-attributes and metadata', () => {
    expect(parseQuery('a.b.c==1')).toMatchObject({ path: path('a', ['b', 'c']) });
    expect(parseQuery('a.observedAt>2020-01-01T00:00:00Z')).toMatchObject({ path: { attr: 'a', subAttrs: [], metadata: 'observedAt' } });
    expect(parseQuery('a.sub.unitCode=="CEL"')).toMatchObject({ path: { attr: 'a', subAttrs: ['sub'], metadata: 'unitCode' } });
    for (const m of ['createdAt', 'modifiedAt', 'datasetId']) {
      expect(parseQuery(`a.${m}`)).toMatchObject({ type: 'exists', path: { metadata: m } });
    }
  });

  it('parses compound members', () => {
    expect(parseQuery('address[streetAddress]=="x"')).toMatchObject({ path: path('address', [], ['streetAddress']) });
    expect(parseQuery('a[b.c]==1')).toMatchObject({ path: path('a', [], ['b', 'c']) });
    expect(parseQuery('a[b][c]==1')).toMatchObject({ path: path('a', [], ['b', 'c']) });
    expect(parseQuery('a.s[m]')).toMatchObject({ type: 'exists', path: path('a', ['s'], ['m']) });
  });

  it('accepts compact IRIs and full IRIs as attribute names', () => {
    expect(parseQuery('schema:name=="x"')).toMatchObject({ path: path('schema:name') });
    expect(parseQuery('https://example.org/attr>3')).toMatchObject({ path: path('https://example.org/attr'), op: '>' });
    expect(parseQuery('https://example.org/v1.0/temp.observedAt')).toMatchObject({
      path: { attr: 'https://example.org/v1.0/temp', metadata: 'observedAt' },
    });
    expect(parseQuery('http://ex.org/ns#attr.sub==1')).toMatchObject({ path: path('http://ex.org/ns#attr', ['sub']) });
    expect(parseQuery('schema:a.schema:b!=urn:x:y')).toMatchObject({ path: path('schema:a', ['schema:b']), value: { kind: 'uri' } });
  });
});

describe('parseQuery: logic', () => {
  it('gives AND precedence over OR', () => {
    const ast = parseQuery('a;b|c;d');
    expect(ast).toMatchObject({
      type: 'or',
      terms: [
        { type: 'and', terms: [{ path: { attr: 'a' } }, { path: { attr: 'b' } }] },
        { type: 'and', terms: [{ path: { attr: 'c' } }, { path: { attr: 'd' } }] },
      ],
    });
  });

  it('honours parentheses and flattens same-kind nesting', () => {
    expect(parseQuery('a;(b|c)')).toMatchObject({ type: 'and', terms: [{ type: 'exists' }, { type: 'or', terms: [{}, {}] }] });
    expect((parseQuery('(a;b);c') as { terms: QAst[] }).terms).toHaveLength(3);
    expect(parseQuery('((a))')).toEqual({ type: 'exists', path: path('a') });
  });

  it('tolerates whitespace between tokens', () => {
    expect(parseQuery(' a == 1 ; ( b | !c ) ')).toMatchObject({ type: 'and', terms: [{ type: 'compare' }, { type: 'or' }] });
  });
});

describe('parseQuery: errors', () => {
  it.each([
    ['', 'empty query'],
    ['   ', 'empty query'],
    ['a==', 'expected a value'],
    ['a;', 'expected a query term'],
    ['a|', 'expected a query term'],
    [';a', 'expected a query term'],
    ['a;;b', 'expected a query term'],
    ['(a', 'unbalanced "("'],
    ['a)', 'unbalanced ")"'],
    ['()', 'expected a query term'],
    ['a=="abc', 'unterminated string'],
    ['a=="abc\\', 'unterminated string'],
    ['a=="\\q"', 'bad escape'],
    ['a=="\\u12"', 'bad \\u escape'],
    ['a==1.2.3', 'bad number'],
    ['a==01', 'bad number'],
    ['a==1e999', 'out of range'],
    ['a==-', 'bad number'],
    ['a==lamp', 'strings must be quoted'],
    ['a>true', 'operator ">"'],
    ['a>urn:x:y', 'operator ">"'],
    ['a>1..2', 'range is only allowed'],
    ['a<1,2', 'value list is only allowed'],
    ['a==1..', 'expected a value'],
    ['a==1..urn:x', 'range bounds'],
    ['a==1.."x"', 'same type'],
    ['a==1,', 'expected a value'],
    ['a=1', 'unknown operator'],
    ['a~1', 'unknown operator'],
    ['!a==1', 'cannot be combined'],
    ['!', 'expected an attribute name'],
    ['==1', 'expected an attribute name'],
    ['a..b', 'empty segment'],
    ['a.', 'empty segment'],
    ['a[b', 'unterminated "["'],
    ['a[]', 'empty compound member'],
    ['a[b].observedAt', 'unexpected "."'],
    ['a~=', 'empty pattern'],
    ['a~=(', 'invalid regular expression'],
    ['a~=x\\', 'lone "\\"'],
    ['a=="x\\u0000"', 'NUL'],
    ['a==1 2', 'unexpected "2"'],
    ['a$b', 'unexpected "$"'],
    ['a=="\\ud800"', 'surrogate'],
  ])('rejects %j (%s)', (q, fragment) => {
    const e = syntaxError(q);
    expect(e.message).toContain(fragment);
    expect(e.message).toMatch(/at position \d+$/);
  });

  it('reports the character position', () => {
    expect(syntaxError('a==1;b=="x').position).toBe(8);
    expect(syntaxError('a==1;(b').position).toBe(5);
    expect(syntaxError('abc==1.2.3').position).toBe(5);
  });
});

describe('parseQuery: hostile input', () => {
  it('rejects queries over 8192 characters, including a 1 MB string', () => {
    expect(() => parseQuery('a'.repeat(8192))).not.toThrow();
    expect(syntaxError('a'.repeat(8193)).message).toContain('longer than 8192');
    expect(syntaxError(`a=="${'x'.repeat(1 << 20)}"`).message).toContain('longer than 8192');
  });

  it('caps nesting depth at 32 (no stack overflow on 10k parentheses)', () => {
    expect(() => parseQuery(`${'('.repeat(32)}a${')'.repeat(32)}`)).not.toThrow();
    expect(syntaxError(`${'('.repeat(33)}a${')'.repeat(33)}`).message).toContain('nested deeper than 32');
    const deep = `${'('.repeat(4000)}a${')'.repeat(4000)}`;
    expect(syntaxError(deep).message).toContain('nested deeper');
    expect(syntaxError('('.repeat(10_000)).message).toMatch(/longer than|nested deeper/);
  });

  it('caps the number of terms at 256', () => {
    expect(() => parseQuery(Array.from({ length: 256 }, (_, i) => `a${i}`).join(';'))).not.toThrow();
    expect(syntaxError(Array.from({ length: 257 }, (_, i) => `a${i}`).join('|')).message).toContain('more than 256');
    expect(syntaxError(`a==${Array.from({ length: 300 }, (_, i) => i).join(',')}`).message).toContain('more than 256');
  });

  it('fuzz: random garbage yields an AST or a QuerySyntaxError, never another exception', () => {
    // mulberry32, fixed seed: reproducible.
    let seed = 0x5eed1234;
    const rand = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const atoms = ['a', 'b.c', 'x[y]', '==', '!=', '>', '<=', '~=', '!~=', '!', ';', '|', '(', ')', '"', '\\', '1', '-2.5e3',
      '..', ',', '2020-01-01T00:00:00Z', 'urn:a:b', 'true', '.', '[', ']', ':', '/', '#', '$', ' ', '(?i)', '\u0000', '\ud800', 'é', '*', '{'];
    let asts = 0;
    let errors = 0;
    for (let i = 0; i < 20_000; i++) {
      const n = 1 + Math.floor(rand() * 12);
      let q = '';
      for (let j = 0; j < n; j++) {
        q += rand() < 0.8 ? atoms[Math.floor(rand() * atoms.length)] : String.fromCharCode(Math.floor(rand() * 0x3000));
      }
      try {
        parseQuery(q);
        asts++;
      } catch (e) {
        if (!(e instanceof QuerySyntaxError)) throw new Error(`non-syntax error for ${JSON.stringify(q)}: ${String(e)}`);
        errors++;
      }
    }
    expect(asts).toBeGreaterThan(100);
    expect(errors).toBeGreaterThan(100);
  });
});
