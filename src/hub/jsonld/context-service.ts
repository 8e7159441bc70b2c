/**
 * Resolves NGSI-LD @context values into fast TermMappers, and runs the /jsonldContexts operations.
 *
 * - Context processing is done by the `jsonld` library, once per distinct @context value; the result is
 *   compiled into Maps (term-mapper.ts) and kept in a bounded LRU keyed by the JSON of the value. The cached
 *   path never calls jsonld.
 * - The core context (v1.8, shipped) is always applied last, and is never fetched.
 * - URL resolution order: shipped core contexts -> hosted contexts (`.../ngsi-ld/v1/jsonldContexts/<id>`, from
 *   the store, never over HTTP) -> a stored copy of that URL -> one HTTP(S) fetch with timeout and size cap,
 *   stored as Cached. Remote contexts referenced inside contexts resolve the same way (jsonld documentLoader).
 */
import { randomUUID } from 'node:crypto';
import jsonld from 'jsonld';
import { CORE_CONTEXT_URL, coreContextDocument, isCoreContextUrl } from './core-context.ts';
import type { ContextStore, StoredContext, StoredContextKind } from './context-store.ts';
import { compileTermMapper, type ActiveContext, type TermMapper } from './term-mapper.ts';

/** A @context could not be obtained (unreachable, timeout, HTTP error, not JSON, too big, unknown hosted id). */
export class ContextUnavailableError extends Error {
  override readonly name = 'ContextUnavailableError';
  constructor(
    message: string,
    readonly url?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A @context is not valid (bad value, or a JSON-LD processing error such as an invalid term definition). */
export class InvalidContextError extends Error {
  override readonly name = 'InvalidContextError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface ContextServiceOptions {
  store: ContextStore;
  /** Base URL of this broker (scheme://host[:port]), used for the URLs of hosted contexts. */
  baseUrl?: () => string;
  /** Timeout of one remote @context fetch, headers and body (default 5000 ms). */
  fetchTimeoutMs?: number;
  /** Maximum size of a remote or posted @context document in bytes (default 1 MB). */
  maxContextBytes?: number;
  fetch?: typeof fetch;
  /** Maximum number of compiled mappers kept in memory (default 500). */
  maxCachedMappers?: number;
}

interface Resolved {
  document: unknown;
  /** Id of the stored context it came from. */
  storedId: string;
}

interface RemoteDocument {
  documentUrl: string;
  document: unknown;
}

interface JsonLdContextApi {
  processContext(
    activeCtx: unknown,
    localCtx: unknown,
    options: { documentLoader?: (url: string) => Promise<RemoteDocument> },
  ): Promise<ActiveContext>;
}

const HOSTED_PATH = /\/ngsi-ld\/v1\/jsonldContexts\/([^/?#]+)\/?$/;
const CORE_KEY = 'null';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function validateContextValue(context: unknown): void {
  const ok = (v: unknown) => typeof v === 'string' || isObject(v) || v === null;
  if (Array.isArray(context) ? !context.every(ok) : !ok(context)) {
    throw new InvalidContextError('@context must be a URL string, a JSON object, or an array of these');
  }
}

/** Our own errors travel through jsonld wrapped in JsonLdError ({details: {cause}}). */
function findOwnError(e: unknown): ContextUnavailableError | InvalidContextError | undefined {
  let cur: unknown = e;
  for (let depth = 0; depth < 8 && cur; depth++) {
    if (cur instanceof ContextUnavailableError || cur instanceof InvalidContextError) return cur;
    const c = cur as { details?: { cause?: unknown }; cause?: unknown };
    cur = c.details?.cause ?? c.cause;
  }
  return undefined;
}

function translateJsonLdError(e: unknown): Error {
  const own = findOwnError(e);
  if (own) return own;
  const err = e as { message?: string; details?: { code?: string; term?: string; url?: string } };
  const code = err.details?.code;
  const message = err.message ?? String(e);
  if (code === 'loading remote context failed') {
    return new ContextUnavailableError(`@context not available: ${message}`, err.details?.url, { cause: e });
  }
  const where = err.details?.term !== undefined ? ` (term "${err.details.term}")` : '';
  return new InvalidContextError(`invalid @context${where}: ${message}${code ? ` [${code}]` : ''}`, { cause: e });
}

export class ContextService {
  private readonly store: ContextStore;
  private readonly baseUrl: () => string;
  private readonly fetchTimeoutMs: number;
  private readonly maxContextBytes: number;
  private readonly fetchFn: typeof fetch;
  private readonly maxCachedMappers: number;
  /** LRU of compiled mappers (Map iteration order = least recently used first). Holds in-flight compiles too. */
  private readonly mappers = new Map<string, Promise<TermMapper>>();
  /** In-flight resolutions of non-core URLs, so concurrent users share one store lookup / fetch. */
  private readonly inflight = new Map<string, Promise<Resolved>>();
  /** Per stored id, the tail of its hit-count updates (serialised so that concurrent hits are not lost). */
  private readonly hitChains = new Map<string, Promise<void>>();
  private core: Promise<{ mapper: TermMapper; terms: ReadonlySet<string> }> | undefined;

  constructor(opts: ContextServiceOptions) {
    this.store = opts.store;
    this.baseUrl = opts.baseUrl ?? (() => 'http://localhost:1026');
    this.fetchTimeoutMs = opts.fetchTimeoutMs ?? 5000;
    this.maxContextBytes = opts.maxContextBytes ?? 1024 * 1024;
    this.fetchFn = opts.fetch ?? globalThis.fetch;
    this.maxCachedMappers = opts.maxCachedMappers ?? 500;
  }

  /**
   * The TermMapper for a @context value (URL string, object, or array of both); undefined/null = core only
   * (its `context` is then CORE_CONTEXT_URL). Throws ContextUnavailableError or InvalidContextError.
   */
  mapper(context: unknown | undefined): Promise<TermMapper> {
    let key: string;
    try {
      key = context === undefined || context === null ? CORE_KEY : JSON.stringify(context);
    } catch (e) {
      return Promise.reject(new InvalidContextError('@context is not JSON', { cause: e }));
    }
    const hit = this.mappers.get(key);
    if (hit !== undefined) {
      this.mappers.delete(key);
      this.mappers.set(key, hit);
      return hit;
    }
    const compiled = this.compile(context);
    this.mappers.set(key, compiled);
    if (this.mappers.size > this.maxCachedMappers) {
      this.mappers.delete(this.mappers.keys().next().value!);
    }
    compiled.catch(() => {
      if (this.mappers.get(key) === compiled) this.mappers.delete(key);
    });
    return compiled;
  }

  /**
   * Stores a @context document: Hosted (served at <base>/ngsi-ld/v1/jsonldContexts/<id>), or, when `url` is
   * given, a Cached copy of that remote URL (replacing an earlier copy), which is how operators preload
   * contexts for offline use. The document must be a JSON object with an `@context` member and must process.
   */
  async add(document: unknown, opts: { url?: string } = {}): Promise<StoredContext> {
    if (!isObject(document) || !('@context' in document)) {
      throw new InvalidContextError('a @context document must be a JSON object with an "@context" member');
    }
    if (Buffer.byteLength(JSON.stringify(document)) > this.maxContextBytes) {
      throw new InvalidContextError(`the @context document is larger than ${this.maxContextBytes} bytes`);
    }
    const { url } = opts;
    if (url !== undefined) {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new InvalidContextError(`"${url}" is not an absolute URL`);
      }
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
        throw new InvalidContextError(`"${url}" is not an http(s) URL`);
      }
      if (isCoreContextUrl(url)) {
        throw new InvalidContextError(`${url} is a core context shipped with the broker; it cannot be replaced`);
      }
    }
    const value = document['@context'];
    validateContextValue(value);
    // Validation only: referenced contexts are resolved, but this is not counted as a use of them.
    await this.process([...(Array.isArray(value) ? value : [value]), CORE_CONTEXT_URL], false);

    const now = new Date().toISOString();
    let entry: StoredContext;
    if (url !== undefined) {
      const existing = await this.store.getByUrl(url);
      entry = { id: existing?.id ?? randomUUID(), url, kind: 'Cached', document, createdAt: now, numberOfHits: 0 };
      await this.store.put(entry);
      this.invalidate();
    } else {
      const id = randomUUID();
      const base = this.baseUrl().replace(/\/+$/, '');
      entry = { id, url: `${base}/ngsi-ld/v1/jsonldContexts/${id}`, kind: 'Hosted', document, createdAt: now, numberOfHits: 0 };
      await this.store.put(entry);
    }
    return entry;
  }

  async list(opts: { kind?: StoredContextKind } = {}): Promise<StoredContext[]> {
    const all = await this.store.list();
    return opts.kind === undefined ? all : all.filter((c) => c.kind === opts.kind);
  }

  get(id: string): Promise<StoredContext | undefined> {
    return this.store.get(id);
  }

  async delete(id: string): Promise<boolean> {
    const deleted = await this.store.delete(id);
    if (deleted) this.invalidate();
    return deleted;
  }

  /** Drops all compiled mappers (after a stored context changed). */
  invalidate(): void {
    this.mappers.clear();
  }

  // ---------------------------------------------------------------------------------------------------------

  private async compile(context: unknown): Promise<TermMapper> {
    const core = await this.coreMapper();
    if (context === undefined || context === null) return core.mapper;
    validateContextValue(context);
    const list = Array.isArray(context) ? context : [context];
    const active = await this.process([...list, CORE_CONTEXT_URL]);
    return compileTermMapper(active, { context, coreTerms: core.terms });
  }

  private coreMapper(): Promise<{ mapper: TermMapper; terms: ReadonlySet<string> }> {
    if (!this.core) {
      this.core = (async () => {
        const active = await this.process([CORE_CONTEXT_URL]);
        const terms = new Set(active.mappings.keys());
        return { mapper: compileTermMapper(active, { context: CORE_CONTEXT_URL, coreTerms: terms }), terms };
      })();
      this.core.catch(() => {
        this.core = undefined;
      });
    }
    return this.core;
  }

  private async process(local: unknown[], countHits = true): Promise<ActiveContext> {
    // Called through the module object at call time (not destructured), so tests can observe it.
    const api = jsonld as unknown as JsonLdContextApi;
    try {
      const initial = await api.processContext(null, null, {});
      return await api.processContext(initial, local, { documentLoader: (url) => this.load(url, countHits) });
    } catch (e) {
      throw translateJsonLdError(e);
    }
  }

  /** jsonld documentLoader. */
  private async load(url: string, countHits: boolean): Promise<RemoteDocument> {
    let document = coreContextDocument(url);
    if (document === undefined) {
      const resolved = await this.resolveUrl(url);
      if (countHits) await this.countHit(resolved.storedId);
      document = resolved.document;
    }
    // jsonld rewrites relative URLs inside remote documents in place: hand it a copy.
    return { documentUrl: url, document: structuredClone(document) };
  }

  private resolveUrl(url: string): Promise<Resolved> {
    let pending = this.inflight.get(url);
    if (pending === undefined) {
      pending = this.resolveUncached(url).finally(() => this.inflight.delete(url));
      this.inflight.set(url, pending);
    }
    return pending;
  }

  private async resolveUncached(url: string): Promise<Resolved> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new InvalidContextError(`@context URL "${url}" is not an absolute URL`);
    }
    const hosted = HOSTED_PATH.exec(parsed.pathname);
    if (hosted) {
      let id: string;
      try {
        id = decodeURIComponent(hosted[1]);
      } catch {
        id = hosted[1];
      }
      const stored = (await this.store.get(id)) ?? (await this.store.getByUrl(url));
      if (!stored) throw new ContextUnavailableError(`hosted @context "${id}" not found (${url})`, url);
      return { document: stored.document, storedId: stored.id };
    }
    const cached = await this.store.getByUrl(url);
    if (cached) return { document: cached.document, storedId: cached.id };
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new ContextUnavailableError(`@context ${url} cannot be loaded: only http(s) URLs are fetched`, url);
    }
    const document = await this.fetchContext(url);
    const entry: StoredContext = { id: randomUUID(), url, kind: 'Cached', document, createdAt: new Date().toISOString(), numberOfHits: 0 };
    try {
      await this.store.put(entry);
    } catch (e) {
      // Lost a race with another writer of the same URL (e.g. an operator preload): that copy wins.
      const other = await this.store.getByUrl(url);
      if (!other) throw e;
      return { document: other.document, storedId: other.id };
    }
    return { document, storedId: entry.id };
  }

  /** numberOfHits + 1 and lastUsage = now, best effort (statistics never fail a request). */
  private countHit(id: string): Promise<void> {
    const previous = this.hitChains.get(id) ?? Promise.resolve();
    const next = previous.then(async () => {
      const current = await this.store.get(id);
      if (current) {
        await this.store.put({ ...current, numberOfHits: current.numberOfHits + 1, lastUsage: new Date().toISOString() });
      }
    }).catch(() => undefined);
    this.hitChains.set(id, next);
    void next.then(() => {
      if (this.hitChains.get(id) === next) this.hitChains.delete(id);
    });
    return next;
  }

  private async fetchContext(url: string): Promise<unknown> {
    const max = this.maxContextBytes;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.fetchTimeoutMs);
    const failed = (what: string, cause?: unknown) =>
      new ContextUnavailableError(
        controller.signal.aborted
          ? `@context ${url} not available: no complete answer within ${this.fetchTimeoutMs} ms`
          : `@context ${url} not available: ${what}`,
        url,
        { cause },
      );
    try {
      let res: Response;
      try {
        res = await this.fetchFn(url, {
          headers: { accept: 'application/ld+json, application/json;q=0.9, */*;q=0.1' },
          redirect: 'follow',
          signal: controller.signal,
        });
      } catch (e) {
        throw failed(`unreachable (${(e as Error).message})`, e);
      }
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        throw failed(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
      }
      const declared = Number(res.headers.get('content-length') ?? NaN);
      if (declared > max) {
        await res.body?.cancel().catch(() => undefined);
        throw failed(`larger than ${max} bytes`);
      }
      let text: string;
      try {
        text = await readCapped(res, max);
      } catch (e) {
        if (e instanceof TooBig) throw failed(`larger than ${max} bytes`);
        throw failed(`reading failed (${(e as Error).message})`, e);
      }
      let document: unknown;
      try {
        document = JSON.parse(text);
      } catch (e) {
        throw failed('the answer is not JSON', e);
      }
      if (!isObject(document)) throw failed('the answer is not a JSON object');
      return document;
    } finally {
      clearTimeout(timer);
    }
  }
}

class TooBig extends Error {}

async function readCapped(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw new TooBig();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
