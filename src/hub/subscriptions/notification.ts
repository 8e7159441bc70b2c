/**
 * Notification content (NGSI-LD 1.8 §5.3.1): the changed entity rendered with the subscription's
 * @context, format, attributes, sysAttrs, lang and showChanges; the Notification envelope; and what
 * each binding sends (HTTP headers §7.2, MQTT {metadata, body} §7.3).
 */
import { randomUUID } from 'node:crypto';
import { VALUE_MEMBER, type AttributeInstance, type StoredEntity } from '../entities/model.ts';
import { renderEntity } from '../entities/render.ts';
import type { EntityChange } from '../entities/service.ts';
import { CORE_CONTEXT_URL } from '../jsonld/core-context.ts';
import type { TermMapper } from '../jsonld/term-mapper.ts';
import type { Match } from './match.ts';
import { FRAMING_HEADERS, NOTIFICATION_URN, type NotificationPayload, type SubscriptionDoc } from './model.ts';

type Json = Record<string, unknown>;

export const NULL_VALUE = 'urn:ngsi-ld:null';

const previousMember = (member: string) => `previous${member[0].toUpperCase()}${member.slice(1)}`;

/** The entity as the subscription shows it, for one change. */
export function renderChangedEntity(
  doc: SubscriptionDoc,
  mapper: TermMapper,
  change: EntityChange,
  match: Pick<Match, 'reason' | 'deleted' | 'updated'>,
  now: string,
): Json {
  const n = doc.notification;
  if (change.kind === 'deleted') {
    const e = change.before!;
    const types = e.types.map((t) => mapper.compact(t));
    return { id: e.id, type: types.length === 1 ? types[0] : types, deletedAt: now };
  }
  const after = change.after!;
  const onlyAttrs = n.attributes?.length ? new Set(n.attributes) : undefined;
  const out = renderEntity(after, mapper, { format: n.format, sysAttrs: n.sysAttrs, lang: doc.lang ? [doc.lang] : undefined, onlyAttrs });
  // §5.2.12 attributeDeleted: the deleted attribute is notified with the NGSI-LD null and deletedAt.
  for (const iri of match.deleted) {
    if (onlyAttrs && !onlyAttrs.has(iri)) continue;
    out[mapper.compact(iri)] = n.format === 'keyValues' ? NULL_VALUE : { type: 'Property', value: NULL_VALUE, deletedAt: now };
  }
  if (n.showChanges && n.format !== 'keyValues' && change.before) {
    for (const iri of match.updated) {
      if (onlyAttrs && !onlyAttrs.has(iri)) continue;
      addPrevious(out, mapper.compact(iri), change.before.attrs[iri], after.attrs[iri]);
    }
  }
  return out;
}

/** showChanges (§5.2.12): previousValue / previousObject / … on each updated instance. */
function addPrevious(out: Json, name: string, before: AttributeInstance[] | undefined, after: AttributeInstance[] | undefined) {
  if (!before || !after) return;
  const rendered = out[name];
  const list = Array.isArray(rendered) ? rendered : [rendered];
  after.forEach((inst, i) => {
    const prev = before.find((b) => (b.datasetId ?? '') === (inst.datasetId ?? ''));
    const target = list[i];
    if (!prev || typeof target !== 'object' || target === null) return;
    const member = VALUE_MEMBER[prev.type] ?? 'value';
    if (JSON.stringify(prev[member]) === JSON.stringify(inst[member])) return;
    (target as Json)[previousMember(member)] = prev[member];
  });
}

/** The payload of an outbox row for one change. */
export function changePayload(doc: SubscriptionDoc, mapper: TermMapper, change: EntityChange, match: Match, now: string): NotificationPayload {
  return { triggerReason: match.reason, data: [renderChangedEntity(doc, mapper, change, match, now)] };
}

/** The payload of a periodic notification (current state of the matching entities). */
export function periodicPayload(doc: SubscriptionDoc, mapper: TermMapper, entities: StoredEntity[]): NotificationPayload {
  const n = doc.notification;
  const onlyAttrs = n.attributes?.length ? new Set(n.attributes) : undefined;
  return {
    triggerReason: 'timeIntervalExpired',
    data: entities.map((e) => renderEntity(e, mapper, { format: n.format, sysAttrs: n.sysAttrs, lang: doc.lang ? [doc.lang] : undefined, onlyAttrs })),
  };
}

/**
 * Several payloads of one subscription as one notification: data concatenated in order, or — when
 * `coalesce` (throttled subscriptions) — only the latest state of each entity.
 */
export function mergePayloads(payloads: NotificationPayload[], coalesce: boolean): NotificationPayload {
  if (payloads.length === 1) return payloads[0];
  const data = payloads.flatMap((p) => p.data);
  const reason = payloads[payloads.length - 1].triggerReason;
  if (!coalesce) return { triggerReason: reason, data };
  const latest = new Map<unknown, Json>();
  for (const d of data) {
    latest.delete(d.id);
    latest.set(d.id, d);
  }
  return { triggerReason: reason, data: [...latest.values()] };
}

/** The context value notifications carry: jsonldContext, else the subscription's own, else the core one. */
export function notificationContext(doc: SubscriptionDoc, context: unknown): unknown {
  return doc.jsonldContext ?? context ?? CORE_CONTEXT_URL;
}

export interface NotificationMessage {
  /** JSON body (the Notification). */
  body: Json;
  /** HTTP headers, also MQTT metadata. */
  headers: Record<string, string>;
}

/** §5.3.1 Notification and its headers (§7.2: Content-Type, Link for JSON, receiverInfo headers). */
export function notificationMessage(doc: SubscriptionDoc, context: unknown, payload: NotificationPayload, notifiedAt: string): NotificationMessage {
  const ctx = notificationContext(doc, context);
  const ld = doc.notification.endpoint.accept === 'application/ld+json';
  const body: Json = {
    id: `${NOTIFICATION_URN}${randomUUID()}`,
    type: 'Notification',
    subscriptionId: doc.id,
    notifiedAt,
    data: payload.data,
  };
  if (payload.triggerReason) body.triggerReason = payload.triggerReason;
  const headers: Record<string, string> = {};
  for (const { key, value } of doc.notification.endpoint.receiverInfo ?? []) {
    // Content-Type and Link describe the body this hub writes: its own values win, in any letter case.
    // Framing headers are refused at creation; one stored before that is left out rather than fail every send.
    const k = key.toLowerCase();
    if (k !== 'content-type' && k !== 'link' && !FRAMING_HEADERS.has(k)) headers[key] = value;
  }
  headers['Content-Type'] = ld ? 'application/ld+json' : 'application/json';
  if (ld) body['@context'] = ctx;
  else if (typeof ctx === 'string') headers.Link = `<${ctx}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;
  return { body, headers };
}
