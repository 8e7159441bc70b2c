import jsonld from 'jsonld';
import { describe, expect, it } from 'vitest';
import { coreContextDocument, CORE_CONTEXT_URL } from './core-context.ts';
import { compileTermMapper, type ActiveContext } from './term-mapper.ts';

const api = jsonld as unknown as {
  processContext(a: unknown, l: unknown, o: object): Promise<ActiveContext>;
};

async function active(local: unknown[]): Promise<ActiveContext> {
  const initial = await api.processContext(null, null, {});
  return api.processContext(initial, local, {
    documentLoader: async (url: string) => {
      const document = coreContextDocument(url);
      if (!document) throw new Error(`unexpected ${url}`);
      return { documentUrl: url, document: structuredClone(document) };
    },
  });
}

async function mapperFor(user: unknown[]) {
  const core = await active([CORE_CONTEXT_URL]);
  const coreTerms = new Set(core.mappings.keys());
  return compileTermMapper(await active([...user, CORE_CONTEXT_URL]), { context: user, coreTerms });
}

describe('compileTermMapper', () => {
  it('maps terms and compacts back (core + a user context with prefixes)', async () => {
    const m = await mapperFor([
      {
        ex: 'http://example.org/ns#',
        schema: 'https://schema.org/',
        speed: 'ex:speed',
        vel: 'ex:speed',
        gone: null,
      },
    ]);
    expect(m.expand('speed')).toBe('http://example.org/ns#speed');
    expect(m.compact('http://example.org/ns#speed')).toBe('vel'); // shortest, then least
    expect(m.expand('ex:foo')).toBe('http://example.org/ns#foo');
    expect(m.compact('http://example.org/ns#foo')).toBe('ex:foo');
    expect(m.expand('schema:name')).toBe('https://schema.org/name');
    expect(m.compact('https://schema.org/name')).toBe('schema:name');
    expect(m.compact('http://example.org/ns#')).toBe('ex');
    expect(m.expand('gone')).toBe('https://uri.etsi.org/ngsi-ld/default-context/gone');
    expect(m.expand('ngsi-ld:location')).toBe('https://uri.etsi.org/ngsi-ld/location');
    expect(m.compact('https://uri.etsi.org/ngsi-ld/location')).toBe('location');
    expect(m.compact('https://uri.etsi.org/ngsi-ld/somethingElse')).toBe('ngsi-ld:somethingElse');
    expect(m.context).toEqual([expect.objectContaining({ ex: 'http://example.org/ns#' })]);
  });

  it('keeps absolute IRIs, blank nodes and keywords; falls back to @vocab', async () => {
    const m = await mapperFor([]);
    expect(m.expand('urn:ngsi-ld:Vehicle:A1')).toBe('urn:ngsi-ld:Vehicle:A1');
    expect(m.expand('http://example.org/x')).toBe('http://example.org/x');
    expect(m.expand('_:b0')).toBe('_:b0');
    expect(m.expand('@id')).toBe('@id');
    expect(m.expand('id')).toBe('@id');
    expect(m.expand('type')).toBe('@type');
    expect(m.compact('@type')).toBe('type');
    expect(m.expand('temperature')).toBe('https://uri.etsi.org/ngsi-ld/default-context/temperature');
    expect(m.compact('https://uri.etsi.org/ngsi-ld/default-context/temperature')).toBe('temperature');
    expect(m.compact('urn:x:y')).toBe('urn:x:y');
    expect(m.compact('http://example.org/x')).toBe('http://example.org/x');
    // the @vocab remainder must round-trip; `location` is a core term, so not `location`
    expect(m.compact('https://uri.etsi.org/ngsi-ld/default-context/location')).toBe(
      'ngsi-ld:default-context/location',
    );
  });

  it('prefers user terms over core terms of the same length', async () => {
    const m = await mapperFor([{ site: 'https://uri.etsi.org/ngsi-ld/unitCode', lock: 'https://uri.etsi.org/ngsi-ld/location' }]);
    // core `unitCode` is longer than user `site`; for location the user term `lock` is shorter
    expect(m.compact('https://uri.etsi.org/ngsi-ld/unitCode')).toBe('site');
    expect(m.compact('https://uri.etsi.org/ngsi-ld/location')).toBe('lock');
    expect(m.expand('location')).toBe('https://uri.etsi.org/ngsi-ld/location');
    const longer = await mapperFor([{ geolocation: 'https://uri.etsi.org/ngsi-ld/location' }]);
    expect(longer.compact('https://uri.etsi.org/ngsi-ld/location')).toBe('location'); // shorter core term
    const tie = await mapperFor([{ slots: 'https://uri.etsi.org/ngsi-ld/attrs', placeXYZ: 'https://uri.etsi.org/ngsi-ld/location' }]);
    expect(tie.compact('https://uri.etsi.org/ngsi-ld/attrs')).toBe('slots'); // same length as core `attrs`
    expect(tie.compact('https://uri.etsi.org/ngsi-ld/location')).toBe('placeXYZ');
    expect(tie.expand('attrs')).toBe('https://uri.etsi.org/ngsi-ld/attrs');
  });

  it('caches per-term results', async () => {
    const m = await mapperFor([]);
    const a = m.expand('a'.repeat(10));
    expect(m.expand('a'.repeat(10))).toBe(a);
    expect(m.compact(a)).toBe('a'.repeat(10));
  });
});
