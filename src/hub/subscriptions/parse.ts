/**
 * Subscription input (NGSI-LD 1.8 §5.2.12) into the stored shape: validated, terms expanded with the
 * request's @context. Every violation is a 400 BadRequestData naming the member.
 */
import { randomUUID } from 'node:crypto';
import { HubErrors } from '../errors.ts';
import { isPlainObject, isUri, isValidName, normaliseDateTime } from '../entities/validate.ts';
import type { TermMapper } from '../jsonld/term-mapper.ts';
import { parseGeoQuery } from '../query/geo.ts';
import { parseQuery } from '../query/q.ts';
import { parseScopeQuery } from '../query/scope.ts';
import { parseTypeExpression, type TypeAst } from '../query/type-expr.ts';
import {
  DEFAULT_TRIGGERS,
  FRAMING_HEADERS,
  SUBSCRIPTION_URN,
  TRIGGERS,
  type EndpointDoc,
  type EntitySelectorDoc,
  type KeyValuePair,
  type NotificationFormat,
  type SubscriptionDoc,
  type Trigger,
} from './model.ts';

/** Endpoint schemes Madina delivers to (§5.2.15: HTTP binding; §7.3: MQTT binding). */
export const ENDPOINT_SCHEMES = ['http:', 'https:', 'mqtt:', 'mqtts:'];
const FORMATS: Record<string, NotificationFormat> = { normalized: 'normalized', concise: 'concise', keyValues: 'keyValues', simplified: 'keyValues' };
const MAX_SELECTORS = 100;

const bad = (detail: string) => HubErrors.badRequestData.with(detail);

function syntax<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw bad(`${what}: ${(err as Error).message}`);
  }
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length === 0) throw bad(`${what} must be a non-empty string`);
  return v;
}

function bool(v: unknown, what: string, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw bad(`${what} must be true or false`);
  return v;
}

function positive(v: unknown, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw bad(`${what} must be a positive number of seconds`);
  return v;
}

function names(v: unknown, what: string, mapper: TermMapper): string[] {
  if (!Array.isArray(v) || v.length === 0) throw bad(`${what} must be a non-empty array of attribute names`);
  return [...new Set(v.map((n) => {
    if (!isValidName(n)) throw bad(`${what}: ${JSON.stringify(n)} is not a valid attribute name`);
    return mapper.expand(n);
  }))];
}

function typeAstToString(ast: TypeAst, top = true): string {
  if (ast.kind === 'type') return ast.name;
  const s = ast.items.map((i) => typeAstToString(i, false)).join(ast.kind === 'or' ? '|' : ';');
  return top ? s : `(${s})`;
}

function mapTypeAst(ast: TypeAst, f: (name: string) => string): TypeAst {
  return ast.kind === 'type' ? { kind: 'type', name: f(ast.name) } : { kind: ast.kind, items: ast.items.map((i) => mapTypeAst(i, f)) };
}

/** A type expression with every name passed through `f` (expand on input, compact on output). */
export function mapTypeExpression(expr: string, f: (name: string) => string): string {
  return typeAstToString(mapTypeAst(parseTypeExpression(expr), f));
}

function selectors(v: unknown, mapper: TermMapper): EntitySelectorDoc[] {
  if (!Array.isArray(v) || v.length === 0) throw bad('entities must be a non-empty array of EntitySelectors');
  if (v.length > MAX_SELECTORS) throw bad(`entities must have at most ${MAX_SELECTORS} selectors`);
  return v.map((s, i) => {
    if (!isPlainObject(s)) throw bad(`entities[${i}] must be an object`);
    if (s.type === undefined) throw bad(`entities[${i}].type is required`);
    const typeExpr = str(s.type, `entities[${i}].type`);
    const out: EntitySelectorDoc = { type: syntax(`entities[${i}].type`, () => mapTypeExpression(typeExpr, (n) => mapper.expand(n))) };
    if (s.id !== undefined) {
      if (!isUri(s.id)) throw bad(`entities[${i}].id must be a URI`);
      out.id = s.id;
    }
    if (s.idPattern !== undefined) {
      const p = str(s.idPattern, `entities[${i}].idPattern`);
      if (p.length > 1024) throw bad(`entities[${i}].idPattern is too long`);
      syntax(`entities[${i}].idPattern`, () => new RegExp(p));
      out.idPattern = p;
    }
    return out;
  });
}

function keyValues(v: unknown, what: string): KeyValuePair[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw bad(`${what} must be an array of {key, value}`);
  return v.map((kv, i) => {
    if (!isPlainObject(kv) || typeof kv.key !== 'string' || !kv.key || typeof kv.value !== 'string') {
      throw bad(`${what}[${i}] must be {"key": string, "value": string}`);
    }
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(kv.key) || /[\r\n\0]/.test(kv.value)) throw bad(`${what}[${i}] is not a valid header`);
    if (what.endsWith('receiverInfo') && FRAMING_HEADERS.has(kv.key.toLowerCase())) {
      throw bad(`${what}[${i}]: "${kv.key}" frames the HTTP message and is set by the hub, not by receiverInfo`);
    }
    return { key: kv.key, value: kv.value };
  });
}

function endpoint(v: unknown): EndpointDoc {
  if (!isPlainObject(v)) throw bad('notification.endpoint is required');
  if (!isUri(v.uri)) throw bad('notification.endpoint.uri must be a URI');
  let url: URL;
  try {
    url = new URL(v.uri);
  } catch {
    throw bad('notification.endpoint.uri is not a valid URL');
  }
  if (!ENDPOINT_SCHEMES.includes(url.protocol)) {
    throw bad(`notification.endpoint.uri scheme "${url.protocol}" is not supported; use ${ENDPOINT_SCHEMES.map((s) => s.slice(0, -1)).join(', ')}`);
  }
  if (!url.hostname) throw bad('notification.endpoint.uri must name a host');
  const mqtt = url.protocol.startsWith('mqtt');
  if (mqtt && url.pathname.length <= 1) throw bad('an MQTT endpoint.uri must name a topic: mqtt://host[:port]/topic');
  const accept = v.accept ?? 'application/json';
  if (accept !== 'application/json' && accept !== 'application/ld+json') {
    throw bad('notification.endpoint.accept must be application/json or application/ld+json');
  }
  const out: EndpointDoc = { uri: v.uri, accept };
  const receiverInfo = keyValues(v.receiverInfo, 'notification.endpoint.receiverInfo');
  const notifierInfo = keyValues(v.notifierInfo, 'notification.endpoint.notifierInfo');
  for (const { key, value } of notifierInfo ?? []) {
    if (key === 'MQTT-QoS' && !['0', '1', '2'].includes(value)) throw bad('notifierInfo MQTT-QoS must be 0, 1 or 2');
    if (key === 'MQTT-Version' && !['mqtt3.1.1', 'mqtt5.0'].includes(value)) throw bad('notifierInfo MQTT-Version must be mqtt3.1.1 or mqtt5.0');
  }
  if (receiverInfo) out.receiverInfo = receiverInfo;
  if (notifierInfo) out.notifierInfo = notifierInfo;
  return out;
}

/**
 * Validates a whole subscription (create, or the result of merging an update into the stored one).
 * `now` rejects an expiresAt in the past.
 */
export function parseSubscription(body: unknown, mapper: TermMapper, now: Date): SubscriptionDoc {
  if (!isPlainObject(body)) throw bad('The body must be a Subscription object');
  if (body.type !== 'Subscription') throw bad('type must be "Subscription"');
  let id = body.id;
  if (id === undefined) id = `${SUBSCRIPTION_URN}${randomUUID()}`;
  if (!isUri(id)) throw bad('id must be a URI');

  const n = body.notification;
  if (!isPlainObject(n)) throw bad('notification is required');
  const format = n.format === undefined ? 'normalized' : FORMATS[n.format as string];
  if (!format) throw bad('notification.format must be normalized, concise or keyValues');
  const doc: SubscriptionDoc = {
    id,
    notificationTrigger: DEFAULT_TRIGGERS,
    notification: {
      format,
      showChanges: bool(n.showChanges, 'notification.showChanges', false),
      sysAttrs: bool(n.sysAttrs, 'notification.sysAttrs', false),
      endpoint: endpoint(n.endpoint),
    },
    isActive: bool(body.isActive, 'isActive', true),
  };
  if (n.attributes !== undefined) doc.notification.attributes = names(n.attributes, 'notification.attributes', mapper);
  if (body.subscriptionName !== undefined) doc.subscriptionName = str(body.subscriptionName, 'subscriptionName');
  if (body.description !== undefined) doc.description = str(body.description, 'description');
  if (body.entities !== undefined) doc.entities = selectors(body.entities, mapper);
  if (body.watchedAttributes !== undefined) doc.watchedAttributes = names(body.watchedAttributes, 'watchedAttributes', mapper);
  if (body.notificationTrigger !== undefined) {
    const t = body.notificationTrigger;
    if (!Array.isArray(t) || t.length === 0) throw bad('notificationTrigger must be a non-empty array');
    for (const x of t) if (!TRIGGERS.includes(x as Trigger)) throw bad(`notificationTrigger: unknown trigger ${JSON.stringify(x)}; allowed: ${TRIGGERS.join(', ')}`);
    doc.notificationTrigger = [...new Set(t as Trigger[])];
  }
  if (body.q !== undefined) {
    const q = str(body.q, 'q');
    syntax('q', () => parseQuery(q));
    doc.q = q;
  }
  if (body.scopeQ !== undefined) {
    const s = str(body.scopeQ, 'scopeQ');
    syntax('scopeQ', () => parseScopeQuery(s));
    doc.scopeQ = s;
  }
  if (body.geoQ !== undefined) {
    const g = body.geoQ;
    if (!isPlainObject(g)) throw bad('geoQ must be an object');
    const parsed = syntax('geoQ', () =>
      parseGeoQuery({
        georel: g.georel as string,
        geometry: g.geometry as string,
        coordinates: g.coordinates,
        geoproperty: g.geoproperty as string | undefined,
      }),
    );
    doc.geoQ = { geometry: parsed.geometry.type, coordinates: parsed.geometry.coordinates, georel: g.georel as string };
    if (g.geoproperty !== undefined) doc.geoQ.geoproperty = mapper.expand(parsed.geoproperty);
  }
  doc.throttling = positive(body.throttling, 'throttling');
  doc.timeInterval = positive(body.timeInterval, 'timeInterval');
  if (doc.throttling === undefined) delete doc.throttling;
  if (doc.timeInterval === undefined) delete doc.timeInterval;
  if (body.expiresAt !== undefined) {
    const at = normaliseDateTime(body.expiresAt);
    if (!at) throw bad('expiresAt must be an ISO 8601 date-time with a time zone');
    if (Date.parse(at) <= now.getTime()) throw bad('expiresAt is in the past');
    doc.expiresAt = at;
  }
  if (body.lang !== undefined) doc.lang = str(body.lang, 'lang');
  if (body.jsonldContext !== undefined) {
    if (!isUri(body.jsonldContext)) throw bad('jsonldContext must be a URI');
    doc.jsonldContext = body.jsonldContext;
  }

  // §5.2.12 consistency rules.
  if (!doc.entities && !doc.watchedAttributes) throw bad('A subscription needs entities or watchedAttributes');
  if (doc.timeInterval !== undefined) {
    if (doc.watchedAttributes) throw bad('timeInterval and watchedAttributes cannot be used together');
    if (doc.throttling !== undefined) throw bad('timeInterval and throttling cannot be used together');
    if (!doc.entities) throw bad('A periodic subscription (timeInterval) needs entities');
  }
  return doc;
}

/** The stored subscription as input again (names are IRIs, which expand to themselves), for updates. */
export function docAsInput(doc: SubscriptionDoc): Record<string, unknown> {
  const { notification, ...rest } = doc;
  return { type: 'Subscription', ...rest, notification: { ...notification } };
}

/** Members an update may not change. */
const FIXED = new Set(['id', '@context']);

/** §5.8.2 Update Subscription: top-level members replaced, notification members merged. */
export function mergeUpdate(stored: SubscriptionDoc, patch: unknown): Record<string, unknown> {
  if (!isPlainObject(patch)) throw bad('The body must be a Subscription fragment');
  if (patch.id !== undefined && patch.id !== stored.id) throw bad('The subscription id cannot be changed');
  if (patch.type !== undefined && patch.type !== 'Subscription') throw bad('type must be "Subscription"');
  const merged = docAsInput(stored);
  for (const [k, v] of Object.entries(patch)) {
    if (FIXED.has(k)) continue;
    if (k === 'notification') {
      if (!isPlainObject(v)) throw bad('notification must be an object');
      merged.notification = { ...(merged.notification as object), ...v };
    } else if (v === null) delete merged[k];
    else merged[k] = v;
  }
  return merged;
}
