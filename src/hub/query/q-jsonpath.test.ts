import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { parseQuery, QuerySyntaxError } from './q.ts';
import { compileQuery, jsonpathString, type QueryTermResolver } from './q-jsonpath.ts';

const D = 'https://uri.etsi.org/ngsi-ld/default-context/';
const S = 'https://schema.org/';
const WEIRD_KEY = 'x"y\\z) || true || $."';

const terms: QueryTermResolver = {
  expandAttr(t) {
    if (t === 'weird') return WEIRD_KEY;
    if (t === 'weird2') return '") || true || ("';
    if (t.startsWith('schema:')) return S + t.slice(7);
    if (t.includes(':')) return t;
    return D + t;
  },
  expandVocab(t) {
    return t.includes(':') ? t : D + t;
  },
};

const P = (value: unknown, extra: Record<string, unknown> = {}) => ({ type: 'Property', value, ...extra });

const docs: Record<string, Record<string, unknown>> = {
  e1: {
    [`${D}brightness`]: [
      P(55, {
        observedAt: '2024-01-01T00:00:00Z',
        unitCode: 'CDL',
        createdAt: '2023-01-01T00:00:00Z',
        modifiedAt: '2024-01-02T00:00:00Z',
        [`${D}quality`]: P(0.9, { observedAt: '2024-01-01T00:00:00Z' }),
      }),
    ],
    [`${D}owner`]: [{ type: 'Relationship', object: 'urn:ngsi-ld:Person:1' }],
    [`${S}name`]: [{ type: 'LanguageProperty', languageMap: { fr: 'Lampe', ar: 'مصباح' } }],
    [`${D}category`]: [{ type: 'VocabProperty', vocab: `${D}street` }],
    [`${D}readings`]: [{ type: 'ListProperty', valueList: [1, 2, 3] }],
    [`${D}address`]: [P({ streetAddress: 'Bd Zerktouni', postalCode: 20000, geo: { zone: 'A' } })],
    [`${D}status`]: [P('on')],
    [`${D}active`]: [P(true)],
    [`${D}installedAt`]: [P('2019-05-01T08:00:00Z')],
  },
  e2: {
    [`${D}brightness`]: [P(10, { observedAt: '2023-06-01T00:00:00Z', unitCode: 'CDL', [`${D}quality`]: P(0.4) })],
    [`${D}owner`]: [{ type: 'Relationship', object: 'urn:ngsi-ld:Person:2' }],
    [`${S}name`]: [{ type: 'LanguageProperty', languageMap: { fr: 'Réverbère' } }],
    [`${D}category`]: [{ type: 'VocabProperty', vocab: `${D}park` }],
    [`${D}readings`]: [{ type: 'ListProperty', valueList: [10, 20] }],
    [`${D}address`]: [P({ streetAddress: 'Rue de Fès', postalCode: 20250 })],
    [`${D}status`]: [P('off')],
    [`${D}active`]: [P(false)],
    [`${D}installedAt`]: [P('2021-02-01T08:00:00Z')],
  },
  e3: {
    // multi-instance attribute (two datasetIds)
    [`${D}brightness`]: [
      P(5, { datasetId: 'urn:ds:a' }),
      P(80, { datasetId: 'urn:ds:b', observedAt: '2025-03-01T10:00:00Z', unitCode: 'LUX' }),
    ],
    [`${D}owner`]: [
      { type: 'ListRelationship', objectList: [{ object: 'urn:ngsi-ld:Person:1' }, { object: 'urn:ngsi-ld:Person:3' }] },
    ],
    [`${D}category`]: [{ type: 'VocabProperty', vocab: 'https://example.org/custom' }],
    [`${D}status`]: [P('On')],
  },
  e4: {
    [`${D}temperature`]: [P('55')],
    'https://example.org/attr': [P(7)],
    [WEIRD_KEY]: [P('v')],
    [`${D}status`]: [P('Lamp "quoted" \\ back')],
  },
  e5: {
    [`${D}brightness`]: [P([3, 60])],
    [`${D}tags`]: [P(['red', 'blue'])],
    [`${D}status`]: [P('on')],
  },
  e6: {},
};
const ALL = Object.keys(docs);

let db: PGlite;

beforeAll(async () => {
  db = new PGlite();
  await db.waitReady;
  await db.exec('CREATE TABLE t (id text PRIMARY KEY, doc jsonb NOT NULL)');
  for (const [id, doc] of Object.entries(docs)) {
    await db.query('INSERT INTO t (id, doc) VALUES ($1, $2::jsonb)', [id, JSON.stringify(doc)]);
  }
});

afterAll(async () => {
  await db?.close();
});

async function run(q: string): Promise<string[]> {
  const { path, vars } = compileQuery(parseQuery(q), terms);
  const res = await db.query<{ id: string }>(
    'SELECT id FROM t WHERE jsonb_path_exists(doc, $1::jsonpath, $2::jsonb) ORDER BY id',
    [path, JSON.stringify(vars)],
  );
  return res.rows.map((r) => r.id);
}

const cases: Array<[string, string[]]> = [
  // existence
  ['brightness', ['e1', 'e2', 'e3', 'e5']],
  ['!brightness', ['e4', 'e6']],
  ['nope', []],
  ['!nope', ALL],
  // comparison operators, numbers
  ['brightness==55', ['e1']],
  ['brightness>50', ['e1', 'e3', 'e5']],
  ['brightness>=55', ['e1', 'e3', 'e5']],
  ['brightness>=55.5', ['e3', 'e5']],
  ['brightness<10', ['e3', 'e5']],
  ['brightness<=10', ['e2', 'e3', 'e5']],
  ['brightness<=1e1', ['e2', 'e3', 'e5']],
  ['brightness>-1', ['e1', 'e2', 'e3', 'e5']],
  ['brightness!=55', ['e2', 'e3', 'e5']],
  ['brightness!=5', ['e1', 'e2', 'e5']], // e3 has an instance equal to 5
  // numbers vs strings
  ['brightness=="55"', []],
  ['temperature==55', []],
  ['temperature=="55"', ['e4']],
  ['temperature>50', []],
  // lists
  ['brightness==5,55', ['e1', 'e3']],
  ['brightness!=5,55', ['e2', 'e5']],
  ['status=="on","off"', ['e1', 'e2', 'e5']],
  ['status!="on","off"', ['e3', 'e4']],
  // ranges (bounds inclusive, same element)
  ['brightness==50..60', ['e1', 'e5']],
  ['brightness==55..55', ['e1']],
  ['brightness==6..9', []], // e5 [3,60] and e3 {5,80} straddle the range but no element is in it
  ['brightness!=50..60', ['e2', 'e3']],
  ['status=="a".."p"', ['e1', 'e2', 'e5']],
  ['installedAt==2019-01-01T00:00:00Z..2020-01-01T00:00:00Z', ['e1']],
  ['installedAt>2020-01-01T00:00:00Z', ['e2']],
  // booleans
  ['active==true', ['e1']],
  ['active==false', ['e2']],
  ['active!=true', ['e2']],
  // patterns
  ['status~=^on$', ['e1', 'e5']],
  ['status~=(?i)^on$', ['e1', 'e3', 'e5']],
  ['status!~=^o', ['e3', 'e4']],
  ['status!~=(?i)^o', ['e4']],
  ['status~=(n|f)$', ['e1', 'e2', 'e3', 'e5']],
  ['status~="^o(n|ff)$"', ['e1', 'e2', 'e5']],
  ['brightness~=5', []], // regex never matches numbers
  // metadata
  ['brightness.observedAt', ['e1', 'e2', 'e3']],
  ['brightness.observedAt>2023-12-31T00:00:00Z', ['e1', 'e3']],
  ['brightness.observedAt>=2024-01-01T00:00:00Z;brightness.observedAt<2025-01-01T00:00:00Z', ['e1']],
  ['brightness.observedAt==2023-01-01T00:00:00Z..2024-06-01T00:00:00Z', ['e1', 'e2']],
  ['brightness.unitCode=="LUX"', ['e3']],
  ['brightness.unitCode!="LUX"', ['e1', 'e2']],
  ['brightness.datasetId==urn:ds:b', ['e3']],
  ['brightness.createdAt<2024-01-01', ['e1']],
  ['brightness.modifiedAt', ['e1']],
  // sub-attributes
  ['brightness.quality', ['e1', 'e2']],
  ['brightness.quality>0.5', ['e1']],
  ['brightness.quality<=0.5', ['e2']],
  ['brightness.quality.observedAt', ['e1']],
  ['!brightness.quality', ['e3', 'e4', 'e5', 'e6']],
  // compound members
  ['address[postalCode]>20100', ['e2']],
  ['address[streetAddress]=="Bd Zerktouni"', ['e1']],
  ['address[streetAddress]~=(?i)^rue', ['e2']],
  ['address[geo.zone]=="A"', ['e1']],
  ['address[geo][zone]=="A"', ['e1']],
  ['address[geo]', ['e1']],
  ['address[postalCode]!=20000', ['e2']],
  ['address[nope]!=1', []],
  // relationships (object and objectList)
  ['owner==urn:ngsi-ld:Person:1', ['e1', 'e3']],
  ['owner=="urn:ngsi-ld:Person:2"', ['e2']],
  ['owner==urn:ngsi-ld:Person:3', ['e3']],
  ['owner!=urn:ngsi-ld:Person:1', ['e2']],
  ['owner~=Person:[23]$', ['e2', 'e3']],
  // languageMap
  ['schema:name=="Lampe"', ['e1']],
  ['schema:name=="مصباح"', ['e1']],
  ['schema:name~=(?i)^r', ['e2']],
  ['https://schema.org/name=="Lampe"', ['e1']],
  ['schema:name!="Lampe"', ['e2']],
  // vocab (raw IRI and expanded term)
  ['category=="street"', ['e1']],
  ['category==https://uri.etsi.org/ngsi-ld/default-context/park', ['e2']],
  ['category=="park","street"', ['e1', 'e2']],
  ['category==https://example.org/custom', ['e3']],
  ['category!="street"', ['e2', 'e3']],
  // valueList and array values
  ['readings==2', ['e1']],
  ['readings>15', ['e2']],
  ['readings==4..9', []],
  ['readings==2..3', ['e1']],
  ['readings!=2', ['e2']],
  ['tags=="blue"', ['e5']],
  // full IRI attribute names
  ['https://example.org/attr==7', ['e4']],
  ['https://example.org/attr.observedAt', []],
  // logic: precedence and parentheses
  ['status=="on";brightness>50', ['e1', 'e5']],
  ['status=="off"|brightness>70', ['e2', 'e3']],
  ['status=="on";brightness<50|active==false', ['e2', 'e5']],
  ['(status=="on";brightness<50)|active==false', ['e2', 'e5']],
  ['status=="on";(brightness<50|active==false)', ['e5']],
  ['!brightness|temperature', ['e4', 'e6']],
  ['((brightness>0;!tags);(owner|status=="on"))', ['e1', 'e2', 'e3']],
  // missing attributes are false, never an error
  ['nope==1', []],
  ['nope!=1', []],
  ['nope~=x', []],
  ['nope.observedAt>2020-01-01', []],
  ['nope.sub==1', []],
  ['nope[x]==1', []],
  ['nope|brightness==10', ['e2']],
];

describe('compileQuery against PostgreSQL (PGlite)', () => {
  it.each(cases)('%s', async (q, expected) => {
    expect(await run(q)).toEqual(expected);
  });
});

describe('compileQuery: injection attempts', () => {
  it.each<[string, string[]]>([
    // values travel as variables: whatever they contain, they are just strings
    ['status=="on\\") || true || (\\""', []],
    ['status=="$ ? (true)"', []],
    ['status=="Lamp \\"quoted\\" \\\\ back"', ['e4']],
    ['status=="\\n\\t\\u0001"', []],
    // patterns are embedded as escaped string literals
    // (this one is a regex with empty alternatives: it matches every string, as a regex should)
    ['status~="\\" || true || \\""', ['e1', 'e2', 'e3', 'e4', 'e5']],
    ['status~="x\\" flag \\"i"', []],
    ['status~="x\\"\\\\) \\\\|\\\\| exists\\\\(\\\\$\\\\) \\\\|\\\\| \\\\(@ like_regex \\"y"', []],
    ['status~="\\"quoted\\""', ['e4']],
    ['status~="\\\\\\\\ back$"', ['e4']],
    ['status~="^on$"', ['e1', 'e5']],
    ['status~="\\\\)"', []],
    ['status~="\\\\$"', []],
    ['status~="flag \\"i\\""', []],
    // attribute keys come from the resolver and are escaped
    ['weird=="v"', ['e4']],
    ['weird2', []],
    ['!weird2', ALL],
  ])('%s', async (q, expected) => {
    expect(await run(q)).toEqual(expected);
  });

  it('regex flavour gaps: a pattern is either rejected at parse time or accepted by PostgreSQL', async () => {
    const patterns = ['\\q', '\\p{L}', '(?<n>a)', '\\k<n>', 'x{', '{', 'a{2', 'a{300}', 'a{3,2}', 'a{2,3}', 'a**', '\\e',
      '\\y', '\\B', '\\/', '\\-', '[\\q]', '(?=a)', '(?<=a)b', '(?<!a)b', '\\1', '(a)\\1', '\\h', '\\z', '\\c',
      '\\cA', '\\x41', '\\u0041', '[^]', '[]', '[]a]', '[[:alpha:]]+', '[[:alpha:]', '^*', '\\', '(?:a)', '(?i)a',
      'a(?i)b', '\\Z', '[a-', '[z-a]', 'é+', '\\d{1,3}\\.\\d'];
    let rejected = 0;
    for (const p of patterns) {
      const q = `status~="${p.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
      let compiled;
      try {
        compiled = compileQuery(parseQuery(q), terms);
      } catch (e) {
        expect(e, p).toBeInstanceOf(QuerySyntaxError);
        rejected++;
        continue;
      }
      await expect(
        db.query('SELECT id FROM t WHERE jsonb_path_exists(doc, $1::jsonpath, $2::jsonb)', [compiled.path, JSON.stringify(compiled.vars)]),
        p,
      ).resolves.toBeDefined();
    }
    expect(rejected).toBeGreaterThan(10);
  });

  it('keeps user values out of the path text', () => {
    const { path, vars } = compileQuery(parseQuery('status=="SECRET";brightness==12345,678'), terms);
    expect(path).not.toContain('SECRET');
    expect(path).not.toContain('12345');
    expect(Object.values(vars)).toEqual(expect.arrayContaining(['SECRET', 12345, 678]));
  });

  it('rejects hostile attribute names and unbalanced patterns at parse time', () => {
    for (const q of ['status~="x\\") || true"', 'status"==1', 'a$.x', 'a)||true', 'status~=on)$', 'a") || true || ("', 'a[b"]==1', 'a\u0000b']) {
      expect(() => parseQuery(q), q).toThrow(QuerySyntaxError);
    }
  });

  it('escapes jsonpath string literals', () => {
    expect(jsonpathString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(jsonpathString('x\ny\u0001')).toBe('"x\\u000ay\\u0001"');
    expect(jsonpathString('$)é')).toBe('"$)é"');
  });

  it('works without expandVocab', () => {
    const { path } = compileQuery(parseQuery('category=="street"'), { expandAttr: (t) => D + t });
    expect(path.match(/"vocab"/g)).toHaveLength(1);
  });

  it('fuzz: every parseable random query compiles to a path PostgreSQL accepts', async () => {
    let seed = 42;
    const rand = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
    const attrs = ['brightness', 'status', 'owner', 'address[geo.zone]', 'brightness.quality', 'brightness.observedAt',
      'schema:name', 'https://example.org/attr', 'category', 'readings', 'nope', 'weird', 'weird2'];
    const values = ['1', '-2.5', '1e3', '"on"', '"a\\"b"', '"\\\\"', 'true', 'urn:x:y', '2020-01-01T00:00:00Z', '2020-01-01',
      '12:00:00', '1..5', '"a".."z"', '1,2,3', '"x","y"'];
    const patterns = ['^o', '(?i)ON', '"\\")"', '[)]', 'a{2}', '\\d+', '"$"', '(a|b)', '.*', '"\\\\w"', 'x{', '[[:alpha:]]'];
    const ops = ['==', '!=', '>', '>=', '<', '<='];
    const term = (): string => {
      const r = rand();
      if (r < 0.15) return pick(attrs);
      if (r < 0.25) return `!${pick(attrs)}`;
      if (r < 0.45) return `${pick(attrs)}${pick(['~=', '!~='])}${pick(patterns)}`;
      return `${pick(attrs)}${pick(ops)}${pick(values)}`;
    };
    const expr = (d: number): string => {
      const n = 1 + Math.floor(rand() * 3);
      const parts = Array.from({ length: n }, () => (d < 3 && rand() < 0.3 ? `(${expr(d + 1)})` : term()));
      return parts.reduce((acc, p) => `${acc}${pick([';', '|'])}${p}`);
    };
    let ran = 0;
    for (let i = 0; i < 400; i++) {
      const q = expr(0);
      let compiled;
      try {
        compiled = compileQuery(parseQuery(q), terms);
      } catch (e) {
        expect(e, q).toBeInstanceOf(QuerySyntaxError);
        continue;
      }
      await expect(
        db.query('SELECT count(*) FROM t WHERE jsonb_path_exists(doc, $1::jsonpath, $2::jsonb)', [
          compiled.path,
          JSON.stringify(compiled.vars),
        ]),
        q,
      ).resolves.toBeDefined();
      ran++;
    }
    expect(ran).toBeGreaterThan(200);
  });
});
