/**
 * The NGSI-LD core @context files shipped with Madina (data/ngsi-ld/contexts/). They are served for their
 * canonical URLs and are NEVER fetched over the network.
 */
import { readFileSync } from 'node:fs';

/** Madina's default core context (ETSI GS CIM 009 v1.8). It is always applied last. */
export const CORE_CONTEXT_URL = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld';

const CONTEXTS_DIR = new URL('../../../data/ngsi-ld/contexts/', import.meta.url);

let index: ReadonlyMap<string, string> | undefined;
const documents = new Map<string, unknown>();

function loadIndex(): ReadonlyMap<string, string> {
  if (!index) {
    const raw = JSON.parse(readFileSync(new URL('index.json', CONTEXTS_DIR), 'utf8')) as Record<string, string>;
    index = new Map(Object.entries(raw));
  }
  return index;
}

/** Canonical URL for a core context URL; the `http:` form of a canonical URL is accepted too. */
function canonical(url: string): string | undefined {
  const idx = loadIndex();
  if (idx.has(url)) return url;
  if (url.startsWith('http://')) {
    const https = 'https://' + url.slice('http://'.length);
    if (idx.has(https)) return https;
  }
  return undefined;
}

/** The canonical URLs of all shipped core contexts (all versions). */
export function coreContextUrls(): string[] {
  return [...loadIndex().keys()];
}

export function isCoreContextUrl(url: string): boolean {
  return canonical(url) !== undefined;
}

/**
 * The shipped document (`{"@context": {...}}`) for a core context URL, or undefined when the URL is not one of
 * the canonical URLs of index.json. The returned object is shared: callers must not mutate it.
 */
export function coreContextDocument(url: string = CORE_CONTEXT_URL): unknown | undefined {
  const key = canonical(url);
  if (key === undefined) return undefined;
  let doc = documents.get(key);
  if (doc === undefined) {
    const file = loadIndex().get(key)!;
    doc = JSON.parse(readFileSync(new URL(file, CONTEXTS_DIR), 'utf8')) as unknown;
    documents.set(key, doc);
  }
  return doc;
}
