import { describe, expect, it } from 'vitest';
import { CORE_CONTEXT_URL, coreContextDocument, coreContextUrls, isCoreContextUrl } from './core-context.ts';

describe('shipped core contexts', () => {
  it('serves every canonical URL of index.json from local files', () => {
    const urls = coreContextUrls();
    expect(urls).toContain(CORE_CONTEXT_URL);
    expect(urls).toHaveLength(5);
    for (const url of urls) {
      const doc = coreContextDocument(url) as { '@context': Record<string, unknown> };
      expect(doc['@context']).toBeTypeOf('object');
      expect(isCoreContextUrl(url)).toBe(true);
    }
  });

  it('defaults to v1.8, with @vocab = default-context', () => {
    const doc = coreContextDocument() as { '@context': Record<string, unknown> };
    expect(doc).toBe(coreContextDocument(CORE_CONTEXT_URL));
    expect(doc['@context']['@vocab']).toBe('https://uri.etsi.org/ngsi-ld/default-context/');
    expect(doc['@context'].VocabProperty).toBe('ngsi-ld:VocabProperty');
  });

  it('knows nothing else', () => {
    expect(coreContextDocument('https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-non-existing.jsonld')).toBeUndefined();
    expect(isCoreContextUrl('https://example.org/context.jsonld')).toBe(false);
    expect(isCoreContextUrl('http://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld')).toBe(true);
  });
});
