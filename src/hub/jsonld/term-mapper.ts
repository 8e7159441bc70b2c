/**
 * Fast term <-> IRI mapping compiled from an active context that the `jsonld` library processed.
 *
 * jsonld does the (slow, once per distinct context) JSON-LD 1.1 context processing; this module turns the
 * result into plain Maps so that expanding/compacting attribute names and types on every request is a
 * Map lookup. Per-term results are cached, so both directions are O(1) amortised.
 */

/** A term definition as produced by jsonld's context processing (only the fields used here). */
export interface ActiveTermDefinition {
  '@id'?: string | null;
  reverse?: boolean;
  _prefix?: boolean;
}

/** The part of a jsonld active context used here. */
export interface ActiveContext {
  mappings: Map<string, ActiveTermDefinition | null>;
  '@vocab'?: string | null;
}

export interface TermMapper {
  /** Term, compact IRI or IRI -> absolute IRI (or keyword, for keyword aliases such as `id` and `type`). */
  expand(term: string): string;
  /** Absolute IRI -> shortest term, else compact IRI, else @vocab-relative name, else the IRI. */
  compact(iri: string): string;
  /** The user-side @context value as given (URL string, object or array), for echoing in responses. */
  readonly context: unknown;
}

export interface CompileOptions {
  /** The user-side @context value, echoed as `TermMapper.context`. */
  context: unknown;
  /**
   * Terms defined by the core context. Where several terms map to the same IRI with the same length,
   * a term not in this set (a user term) is preferred.
   */
  coreTerms?: ReadonlySet<string>;
  /** Bound on each per-term cache; the cache is cleared when it exceeds this (default 10 000). */
  maxCacheEntries?: number;
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const KEYWORD = /^@[A-Za-z]+$/;

function better(a: string, b: string, coreTerms: ReadonlySet<string> | undefined): boolean {
  if (a.length !== b.length) return a.length < b.length;
  if (coreTerms) {
    const aCore = coreTerms.has(a);
    const bCore = coreTerms.has(b);
    if (aCore !== bCore) return !aCore;
  }
  return a < b;
}

class CompiledTermMapper implements TermMapper {
  private readonly terms = new Map<string, string>();
  private readonly prefixes: Array<[term: string, iri: string]> = [];
  private readonly prefixMap = new Map<string, string>();
  private readonly iriToTerm = new Map<string, string>();
  private readonly vocab: string | undefined;
  private readonly expandCache = new Map<string, string>();
  private readonly compactCache = new Map<string, string>();
  private readonly maxCache: number;

  constructor(active: ActiveContext, readonly context: unknown, coreTerms: ReadonlySet<string> | undefined, maxCache: number) {
    this.vocab = typeof active['@vocab'] === 'string' ? active['@vocab'] : undefined;
    this.maxCache = maxCache;
    for (const [term, def] of active.mappings) {
      const id = def?.['@id'];
      // A term explicitly mapped to null is treated as undefined (falls back to @vocab).
      if (typeof id !== 'string') continue;
      this.terms.set(term, id);
      if (def!._prefix && !def!.reverse) {
        this.prefixes.push([term, id]);
        this.prefixMap.set(term, id);
      }
      if (def!.reverse) continue;
      const current = this.iriToTerm.get(id);
      if (current === undefined || better(term, current, coreTerms)) this.iriToTerm.set(id, term);
    }
  }

  expand(term: string): string {
    let iri = this.expandCache.get(term);
    if (iri === undefined) {
      iri = this.expandUncached(term);
      if (this.expandCache.size >= this.maxCache) this.expandCache.clear();
      this.expandCache.set(term, iri);
    }
    return iri;
  }

  compact(iri: string): string {
    let term = this.compactCache.get(iri);
    if (term === undefined) {
      term = this.compactUncached(iri);
      if (this.compactCache.size >= this.maxCache) this.compactCache.clear();
      this.compactCache.set(iri, term);
    }
    return term;
  }

  private expandUncached(term: string): string {
    if (KEYWORD.test(term)) return term;
    const mapped = this.terms.get(term);
    if (mapped !== undefined) return mapped;
    const colon = term.indexOf(':');
    if (colon > 0) {
      const prefix = term.slice(0, colon);
      const suffix = term.slice(colon + 1);
      // Blank node identifiers and IRIs with an authority (`http://...`) are never compact IRIs.
      if (prefix === '_' || suffix.startsWith('//')) return term;
      const prefixIri = this.prefixMap.get(prefix);
      if (prefixIri !== undefined) return prefixIri + suffix;
      if (SCHEME.test(term)) return term; // absolute IRI such as urn:...
    }
    return this.vocab !== undefined ? this.vocab + term : term;
  }

  private compactUncached(iri: string): string {
    // 1. A term mapping to exactly this IRI (shortest; user terms before core terms).
    const exact = this.iriToTerm.get(iri);
    if (exact !== undefined) return exact;
    // 2. Relative to @vocab, when that name expands back to the same IRI.
    if (this.vocab !== undefined && iri.length > this.vocab.length && iri.startsWith(this.vocab)) {
      const rest = iri.slice(this.vocab.length);
      if (this.expandUncached(rest) === iri) return rest;
    }
    // 3. A compact IRI `prefix:suffix` (shortest, then lexicographically least).
    let best: string | undefined;
    for (const [term, prefixIri] of this.prefixes) {
      if (iri.length <= prefixIri.length || !iri.startsWith(prefixIri)) continue;
      const candidate = `${term}:${iri.slice(prefixIri.length)}`;
      if (this.terms.has(candidate)) continue;
      if (best === undefined || candidate.length < best.length || (candidate.length === best.length && candidate < best)) {
        if (this.expandUncached(candidate) === iri) best = candidate;
      }
    }
    if (best !== undefined) return best;
    // 4. The IRI itself.
    return iri;
  }
}

/** Compiles a processed active context (from `jsonld.processContext`, core context applied last). */
export function compileTermMapper(active: ActiveContext, opts: CompileOptions): TermMapper {
  return new CompiledTermMapper(active, opts.context, opts.coreTerms, opts.maxCacheEntries ?? 10_000);
}
