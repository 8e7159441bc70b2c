/** A stored subscription as the API shows it (§5.2.12), names compacted with the reader's @context. */
import type { TermMapper } from '../jsonld/term-mapper.ts';
import type { StoredSubscription } from './model.ts';
import { mapTypeExpression } from './parse.ts';

type Json = Record<string, unknown>;

export function renderSubscription(s: StoredSubscription, mapper: TermMapper, state: string, sysAttrs: boolean): Json {
  const d = s.doc;
  const out: Json = { id: d.id, type: 'Subscription' };
  if (d.subscriptionName) out.subscriptionName = d.subscriptionName;
  if (d.description) out.description = d.description;
  if (d.entities) {
    out.entities = d.entities.map((e) => {
      const sel: Json = { type: mapTypeExpression(e.type, (n) => mapper.compact(n)) };
      if (e.id) sel.id = e.id;
      if (e.idPattern) sel.idPattern = e.idPattern;
      return sel;
    });
  }
  if (d.watchedAttributes) out.watchedAttributes = d.watchedAttributes.map((a) => mapper.compact(a));
  out.notificationTrigger = d.notificationTrigger;
  if (d.q) out.q = d.q;
  if (d.geoQ) {
    const g: Json = { geometry: d.geoQ.geometry, coordinates: d.geoQ.coordinates, georel: d.geoQ.georel };
    if (d.geoQ.geoproperty) g.geoproperty = mapper.compact(d.geoQ.geoproperty);
    out.geoQ = g;
  }
  if (d.scopeQ) out.scopeQ = d.scopeQ;
  const n = d.notification;
  const notification: Json = {};
  if (n.attributes) notification.attributes = n.attributes.map((a) => mapper.compact(a));
  notification.format = n.format;
  notification.showChanges = n.showChanges;
  notification.sysAttrs = n.sysAttrs;
  notification.endpoint = { ...n.endpoint };
  notification.status = s.status.failing ? 'failed' : 'ok';
  notification.timesSent = s.status.timesSent;
  notification.timesFailed = s.status.timesFailed;
  if (s.status.lastNotification) notification.lastNotification = s.status.lastNotification;
  if (s.status.lastSuccess) notification.lastSuccess = s.status.lastSuccess;
  if (s.status.lastFailure) notification.lastFailure = s.status.lastFailure;
  out.notification = notification;
  if (d.throttling !== undefined) out.throttling = d.throttling;
  if (d.timeInterval !== undefined) out.timeInterval = d.timeInterval;
  if (d.expiresAt) out.expiresAt = d.expiresAt;
  out.isActive = d.isActive;
  out.status = state;
  if (d.lang) out.lang = d.lang;
  if (d.jsonldContext) out.jsonldContext = d.jsonldContext;
  if (sysAttrs) {
    out.createdAt = s.createdAt;
    out.modifiedAt = s.modifiedAt;
  }
  return out;
}
