/** A tiny HTTP client for the black-box tests: fetch, parse, and the ETSI @context preload. */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';

export const API = '/ngsi-ld/v1';
export const ETSI_COMPOUND_URL =
  'https://forge.etsi.org/rep/cim/ngsi-ld-test-suite/-/raw/develop/resources/jsonld-contexts/ngsi-ld-test-suite-compound.jsonld';
export const ETSI_TERMS_URL = 'https://forge.etsi.org/rep/cim/ngsi-ld-test-suite/-/raw/develop/resources/jsonld-contexts/ngsi-ld-test-suite.jsonld';
export const ETSI_NS = 'https://ngsi-ld-test-suite/context#';
export const CORE_CONTEXT_URL = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld';
export const LINK_REL = 'rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"';
export const etsiLink = `<${ETSI_COMPOUND_URL}>; ${LINK_REL}`;
export const ERR = 'https://uri.etsi.org/ngsi-ld/errors/';

export interface Res {
  status: number;
  headers: Headers;
  /** Parsed JSON when the body is JSON, the text otherwise, undefined when empty. */
  body: any;
  text: string;
}

export interface Req {
  body?: unknown;
  /** Sent as is (no JSON.stringify). */
  raw?: string;
  headers?: Record<string, string>;
  contentType?: string;
}

/** One request against `base` + /ngsi-ld/v1 + path (path may start with / or be absolute under the server). */
export async function call(base: string, method: string, path: string, req: Req = {}): Promise<Res> {
  const headers: Record<string, string> = { ...req.headers };
  let payload: string | undefined;
  if (req.raw !== undefined) payload = req.raw;
  else if (req.body !== undefined) payload = JSON.stringify(req.body);
  if (payload !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['Content-Type'] = req.contentType ?? 'application/json';
  }
  const url = path.startsWith('/health') ? base + path : `${base}${API}${path}`;
  const res = await fetch(url, { method, headers, body: payload });
  const text = await res.text();
  let body: any;
  if (text.length) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** Bound to one server. */
export function client(base: () => string) {
  return {
    get: (path: string, req?: Req) => call(base(), 'GET', path, req),
    post: (path: string, body?: unknown, req?: Req) => call(base(), 'POST', path, { body, ...req }),
    put: (path: string, body?: unknown, req?: Req) => call(base(), 'PUT', path, { body, ...req }),
    patch: (path: string, body?: unknown, req?: Req) => call(base(), 'PATCH', path, { body, ...req }),
    del: (path: string, req?: Req) => call(base(), 'DELETE', path, req),
  };
}

export const enc = encodeURIComponent;

const FIXTURES = new URL('../fixtures/etsi/', import.meta.url);

/** An ETSI payload from test/fixtures/etsi, with its placeholder id replaced. */
export function etsi(file: string, id?: string): Record<string, any> {
  const doc = JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8'));
  if (id !== undefined) doc.id = id;
  return doc;
}

export function etsiText(file: string): string {
  return readFileSync(new URL(file, FIXTURES), 'utf8');
}

/**
 * The air-gapped operator's preload: the test-suite term context first (the compound one references it),
 * then the compound context, each stored as the cached copy of its forge URL.
 */
export async function preloadEtsiContexts(base: string): Promise<void> {
  for (const [url, file] of [
    [ETSI_TERMS_URL, 'ngsi-ld-test-suite.jsonld'],
    [ETSI_COMPOUND_URL, 'ngsi-ld-test-suite-compound.jsonld'],
  ]) {
    const r = await call(base, 'POST', `/jsonldContexts?url=${enc(url)}`, { raw: etsiText(file) });
    if (r.status !== 201) throw new Error(`preloading ${url}: ${r.status} ${r.text}`);
  }
}

/** Asserts an NGSI-LD ProblemDetails (§5.5.3) of the given error type and status. */
export function expectProblem(r: Res, status: number, type: string): void {
  expect({ status: r.status, type: r.body?.type }, r.text).toEqual({ status, type: ERR + type });
  expect(r.headers.get('content-type')).toMatch(/^application\/(problem\+)?json/);
  expect(r.body.status).toBe(status);
  expect(typeof r.body.title).toBe('string');
}

/** Great-circle distance in metres (haversine, mean Earth radius 6 371 008.8 m). */
export function haversineM(a: [number, number], b: [number, number]): number {
  const R = 6_371_008.8;
  const rad = (d: number) => (d * Math.PI) / 180;
  const dLat = rad(b[1] - a[1]);
  const dLon = rad(b[0] - a[0]);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a[1])) * Math.cos(rad(b[1])) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(h));
}

/** A unique id per run, so tests in one file never collide. */
let seq = 0;
export function uid(kind: string): string {
  seq += 1;
  return `urn:ngsi-ld:${kind}:e2e-${process.pid}-${seq}`;
}
