import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import jsonld from 'jsonld';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ContextService, ContextUnavailableError, InvalidContextError } from './context-service.ts';
import { InMemoryContextStore } from './context-store.ts';
import { CORE_CONTEXT_URL } from './core-context.ts';

const FIXTURES = new URL('../../../test/fixtures/jsonld/', import.meta.url);
const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));
const FORGE = 'https://forge.etsi.org/rep/cim/ngsi-ld-test-suite/-/raw/develop/resources/jsonld-contexts/';
const TS = 'https://ngsi-ld-test-suite/context#';
const NGSI = 'https://uri.etsi.org/ngsi-ld/';
const DEFAULT = 'https://uri.etsi.org/ngsi-ld/default-context/';

const noFetch = (() => {
  throw new Error('no network in this test');
}) as unknown as typeof fetch;

function offlineService() {
  const store = new InMemoryContextStore();
  return { store, service: new ContextService({ store, fetch: noFetch, baseUrl: () => 'http://broker.test/' }) };
}

describe('ContextService: core context only', () => {
  it('maps core terms, @vocab terms, and compacts back', async () => {
    const { service } = offlineService();
    const m = await service.mapper(undefined);
    expect(m.context).toBe(CORE_CONTEXT_URL);
    expect(m.expand('name')).toBe(`${DEFAULT}name`);
    expect(m.expand('location')).toBe(`${NGSI}location`);
    expect(m.expand('observedAt')).toBe(`${NGSI}observedAt`);
    expect(m.expand('Property')).toBe(`${NGSI}Property`);
    expect(m.expand('Relationship')).toBe(`${NGSI}Relationship`);
    expect(m.expand('value')).toBe(`${NGSI}hasValue`);
    expect(m.expand('Point')).toBe('https://purl.org/geojson/vocab#Point');
    expect(m.expand('title')).toBe('http://purl.org/dc/terms/title');
    for (const t of ['name', 'location', 'observedAt', 'Property', 'value', 'createdAt', 'Vehicle', 'unitCode', 'type']) {
      expect(m.compact(m.expand(t))).toBe(t);
    }
    expect(await service.mapper(null)).toBe(m);
  });

  it('serves all shipped core versions without network', async () => {
    const { service } = offlineService();
    for (const v of ['', '-v1.6', '-v1.7', '-v1.8']) {
      const m = await service.mapper(`https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context${v}.jsonld`);
      expect(m.expand('location')).toBe(`${NGSI}location`);
    }
  });
});

describe('ContextService: user contexts (ETSI test-suite contexts, preloaded for offline use)', () => {
  it('resolves the compound context from Cached copies, core applied last', async () => {
    const { service, store } = offlineService();
    const terms = await service.add(fixture('ngsi-ld-test-suite.jsonld'), { url: `${FORGE}ngsi-ld-test-suite.jsonld` });
    await service.add(fixture('ngsi-ld-test-suite-compound.jsonld'), { url: `${FORGE}ngsi-ld-test-suite-compound.jsonld` });
    expect(terms.kind).toBe('Cached');
    expect(terms.numberOfHits).toBe(0);

    const url = `${FORGE}ngsi-ld-test-suite-compound.jsonld`;
    const m = await service.mapper(url);
    expect(m.context).toBe(url);
    expect(m.expand('name')).toBe(`${TS}name`);
    expect(m.expand('Vehicle')).toBe(`${TS}Vehicle`);
    expect(m.expand('speed')).toBe(`${TS}speed`);
    expect(m.expand('location')).toBe(`${NGSI}location`);
    expect(m.expand('observedAt')).toBe(`${NGSI}observedAt`);
    expect(m.expand('unknownAttr')).toBe(`${DEFAULT}unknownAttr`);
    for (const t of ['name', 'Vehicle', 'brandName', 'location', 'observedAt', 'unknownAttr']) {
      expect(m.compact(m.expand(t))).toBe(t);
    }
    // `name` means the test-suite IRI here, so the default-context IRI compacts with the ngsi-ld prefix
    expect(m.compact(`${DEFAULT}name`)).toBe('ngsi-ld:default-context/name');
    expect(m.expand('ngsi-ld:default-context/name')).toBe(`${DEFAULT}name`);
    expect((await store.getByUrl(`${FORGE}ngsi-ld-test-suite.jsonld`))!.numberOfHits).toBe(1);

    // inline object + array forms
    const inline = await service.mapper([fixture('ngsi-ld-test-suite.jsonld')['@context'], CORE_CONTEXT_URL]);
    expect(inline.expand('fuelLevel')).toBe(`${TS}fuelLevel`);
  });

  it('never lets a user context override core terms', async () => {
    const { service } = offlineService();
    const m = await service.mapper({ location: 'http://example.org/myLocation', observedAt: 'http://example.org/t', temperature: 'http://example.org/temperature' });
    expect(m.expand('location')).toBe(`${NGSI}location`);
    expect(m.expand('observedAt')).toBe(`${NGSI}observedAt`);
    expect(m.expand('temperature')).toBe('http://example.org/temperature');
    expect(m.compact('http://example.org/temperature')).toBe('temperature');
  });

  it('rejects invalid contexts with InvalidContextError', async () => {
    const { service } = offlineService();
    await expect(service.mapper({ bad: { '@id': 5 } })).rejects.toBeInstanceOf(InvalidContextError);
    await expect(service.mapper({ bad: { '@id': 5 } })).rejects.toThrow(/invalid @context/);
    await expect(service.mapper(42)).rejects.toBeInstanceOf(InvalidContextError);
    await expect(service.mapper(['relative/context.jsonld'])).rejects.toBeInstanceOf(InvalidContextError);
    await expect(service.add({ nope: 1 })).rejects.toBeInstanceOf(InvalidContextError);
    await expect(service.add({ '@context': {} }, { url: CORE_CONTEXT_URL })).rejects.toBeInstanceOf(InvalidContextError);
  });

  it('does not call jsonld on the cached path', async () => {
    const { service } = offlineService();
    const ctx = { foo: 'http://example.org/foo' };
    const first = await service.mapper(ctx);
    const spy = vi.spyOn(jsonld as unknown as { processContext: () => unknown }, 'processContext');
    try {
      for (let i = 0; i < 100; i++) expect(await service.mapper({ foo: 'http://example.org/foo' })).toBe(first);
      expect(spy).not.toHaveBeenCalled();
      await service.mapper({ bar: 'http://example.org/bar' });
      expect(spy).toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it('bounds the mapper cache (LRU)', async () => {
    const store = new InMemoryContextStore();
    const service = new ContextService({ store, fetch: noFetch, maxCachedMappers: 2 });
    const a = await service.mapper({ a: 'http://e.org/a' });
    await service.mapper({ b: 'http://e.org/b' });
    expect(await service.mapper({ a: 'http://e.org/a' })).toBe(a); // refreshes a
    await service.mapper({ c: 'http://e.org/c' }); // evicts b
    expect(await service.mapper({ a: 'http://e.org/a' })).toBe(a);
  });
});

describe('ContextService: hosted contexts', () => {
  it('resolves hosted contexts from the store, never over HTTP, and counts hits', async () => {
    const { service, store } = offlineService();
    const hosted = await service.add({ '@context': { shelter: 'https://madina.example/ns#shelter' } });
    expect(hosted.kind).toBe('Hosted');
    expect(hosted.url).toBe(`http://broker.test/ngsi-ld/v1/jsonldContexts/${hosted.id}`);
    expect(await service.get(hosted.id)).toMatchObject({ id: hosted.id, kind: 'Hosted' });
    expect((await service.list({ kind: 'Hosted' })).map((c) => c.id)).toEqual([hosted.id]);
    expect(await service.list({ kind: 'Cached' })).toEqual([]);

    // any host: the id decides
    const m = await service.mapper(['https://other-name.example:8443/ngsi-ld/v1/jsonldContexts/' + hosted.id]);
    expect(m.expand('shelter')).toBe('https://madina.example/ns#shelter');
    expect(m.expand('location')).toBe(`${NGSI}location`);
    expect((await store.get(hosted.id))!.numberOfHits).toBe(1);
    expect((await store.get(hosted.id))!.lastUsage).toBeTypeOf('string');

    // nested reference to a hosted context
    const outer = await service.add({ '@context': [hosted.url, { cap: 'https://madina.example/ns#capacity' }] });
    const m2 = await service.mapper(outer.url);
    expect(m2.expand('shelter')).toBe('https://madina.example/ns#shelter');
    expect(m2.expand('cap')).toBe('https://madina.example/ns#capacity');

    await expect(service.mapper('http://broker.test/ngsi-ld/v1/jsonldContexts/nope')).rejects.toBeInstanceOf(ContextUnavailableError);

    expect(await service.delete(hosted.id)).toBe(true);
    expect(await service.delete(hosted.id)).toBe(false);
    await expect(service.mapper(hosted.url)).rejects.toThrow(/not found/);
  });
});

describe('ContextService: remote contexts', () => {
  let server: http.Server;
  let base: string;
  const hits = new Map<string, number>();
  let flaky = true;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const path = req.url ?? '/';
      hits.set(path, (hits.get(path) ?? 0) + 1);
      const json = (body: unknown) => {
        res.writeHead(200, { 'content-type': 'application/ld+json' });
        res.end(JSON.stringify(body));
      };
      switch (path) {
        case '/ctx.jsonld':
          setTimeout(() => json({ '@context': { windSpeed: 'https://weather.example/windSpeed', location: 'https://weather.example/loc' } }), 50);
          return;
        case '/nested.jsonld':
          return json({ '@context': [`${base}/ctx.jsonld`, { gust: 'https://weather.example/gust' }] });
        case '/bad-term.jsonld':
          return json({ '@context': { broken: { '@id': 5 } } });
        case '/array.json':
          return json([1, 2]);
        case '/not-json':
          res.writeHead(200, { 'content-type': 'text/html' });
          res.end('<html>hello</html>');
          return;
        case '/big.jsonld':
          res.writeHead(200, { 'content-type': 'application/ld+json' });
          res.end(JSON.stringify({ '@context': { big: 'x'.repeat(5000) } }));
          return;
        case '/flaky.jsonld':
          if (flaky) {
            res.writeHead(500);
            res.end();
            return;
          }
          return json({ '@context': { flake: 'https://flaky.example/flake' } });
        case '/never':
          return; // never answers
        default:
          res.writeHead(404);
          res.end('not found');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const remoteService = (opts: { fetchTimeoutMs?: number; maxContextBytes?: number } = {}) => {
    const store = new InMemoryContextStore();
    return { store, service: new ContextService({ store, ...opts }) };
  };

  it('fetches a remote context once across many concurrent mapper() calls, then serves it from the store', async () => {
    const { service, store } = remoteService();
    const url = `${base}/ctx.jsonld`;
    const mappers = await Promise.all([
      ...Array.from({ length: 20 }, () => service.mapper(url)),
      ...Array.from({ length: 10 }, (_, i) => service.mapper([url, { [`extra${i}`]: `https://x.example/${i}` }])),
    ]);
    expect(hits.get('/ctx.jsonld')).toBe(1);
    expect(new Set(mappers.slice(0, 20)).size).toBe(1);
    expect(mappers[0].expand('windSpeed')).toBe('https://weather.example/windSpeed');
    expect(mappers[0].expand('location')).toBe(`${NGSI}location`); // core wins
    expect(mappers[25].expand('extra5')).toBe('https://x.example/5');

    const stored = await store.getByUrl(url);
    // one hit per compiled context using it (1 + 10); cached mappers do not touch the store
    expect(stored).toMatchObject({ kind: 'Cached', url, numberOfHits: 11 });
    await service.mapper(url);
    expect((await store.getByUrl(url))!.numberOfHits).toBe(11);

    // nested reference, new mapper: resolved from the Cached copy, not fetched again
    const nested = await service.mapper(`${base}/nested.jsonld`);
    expect(nested.expand('windSpeed')).toBe('https://weather.example/windSpeed');
    expect(nested.expand('gust')).toBe('https://weather.example/gust');
    expect(hits.get('/ctx.jsonld')).toBe(1);
    expect((await store.getByUrl(url))!.numberOfHits).toBe(12);

    // after deleting the Cached copy it is fetched again
    expect(await service.delete(stored!.id)).toBe(true);
    await service.mapper(url);
    expect(hits.get('/ctx.jsonld')).toBe(2);
  });

  it('times out on a server that never answers', async () => {
    const { service } = remoteService({ fetchTimeoutMs: 150 });
    const started = Date.now();
    const err = await service.mapper(`${base}/never`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContextUnavailableError);
    expect((err as Error).message).toMatch(/within 150 ms/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('reports HTTP errors, non-JSON, non-objects and oversize documents as ContextUnavailableError', async () => {
    const { service, store } = remoteService({ maxContextBytes: 1000 });
    await expect(service.mapper(`${base}/missing.jsonld`)).rejects.toThrow(/HTTP 404/);
    await expect(service.mapper(`${base}/missing.jsonld`)).rejects.toBeInstanceOf(ContextUnavailableError);
    await expect(service.mapper(`${base}/not-json`)).rejects.toThrow(/not JSON/);
    await expect(service.mapper(`${base}/array.json`)).rejects.toThrow(/not a JSON object/);
    await expect(service.mapper(`${base}/big.jsonld`)).rejects.toThrow(/larger than 1000 bytes/);
    await expect(service.mapper(`http://127.0.0.1:1/unreachable.jsonld`)).rejects.toThrow(/unreachable/);
    await expect(service.mapper(`${base}/bad-term.jsonld`)).rejects.toBeInstanceOf(InvalidContextError);
    expect((await store.list()).map((c) => c.url)).toEqual([`${base}/bad-term.jsonld`]);
  });

  it('does not cache failures', async () => {
    const { service } = remoteService();
    const url = `${base}/flaky.jsonld`;
    await expect(service.mapper(url)).rejects.toThrow(/HTTP 500/);
    flaky = false;
    expect((await service.mapper(url)).expand('flake')).toBe('https://flaky.example/flake');
  });

  it('uses an operator-preloaded copy instead of fetching', async () => {
    const { service } = remoteService();
    const url = `${base}/preloaded.jsonld`; // 404 on the server
    await service.add({ '@context': { pre: 'https://pre.example/pre' } }, { url });
    expect((await service.mapper(url)).expand('pre')).toBe('https://pre.example/pre');
    expect(hits.get('/preloaded.jsonld')).toBeUndefined();
    // replacing the copy keeps its id and drops compiled mappers
    const before = await service.list({ kind: 'Cached' });
    await service.add({ '@context': { pre: 'https://pre.example/v2' } }, { url });
    expect((await service.list({ kind: 'Cached' })).map((c) => c.id)).toEqual(before.map((c) => c.id));
    expect((await service.mapper(url)).expand('pre')).toBe('https://pre.example/v2');
  });
});
