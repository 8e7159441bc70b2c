import { describe, expect, it } from 'vitest';
import { ContextService } from '../jsonld/context-service.ts';
import { InMemoryContextStore } from '../jsonld/context-store.ts';
import { CORE_CONTEXT_URL } from '../jsonld/core-context.ts';
import type { StoredEntity } from '../entities/model.ts';
import type { SubscriptionDoc } from './model.ts';
import { mergePayloads, notificationMessage, renderChangedEntity } from './notification.ts';
import { parseSubscription } from './parse.ts';

const mapper = await new ContextService({ store: new InMemoryContextStore() }).mapper(undefined);
const DC = 'https://uri.etsi.org/ngsi-ld/default-context/';
const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:01:00.000Z';

const bin = (fill: number, extra: Record<string, unknown> = {}): StoredEntity => ({
  id: 'urn:ngsi-ld:Bin:1',
  types: [`${DC}Bin`],
  scopes: [],
  attrs: { [`${DC}fill`]: [{ type: 'Property', value: fill, createdAt: T0, modifiedAt: T1 }], ...extra } as StoredEntity['attrs'],
  createdAt: T0,
  modifiedAt: T1,
});

const doc = (notification: Record<string, unknown>, rest: Record<string, unknown> = {}): SubscriptionDoc =>
  parseSubscription({ type: 'Subscription', id: 'urn:ngsi-ld:Subscription:s', entities: [{ type: 'Bin' }], notification: { endpoint: { uri: 'http://r/n' }, ...notification }, ...rest }, mapper, new Date(T0));

describe('notification data', () => {
  it('shows previousValue with showChanges and the NGSI-LD null for a deleted attribute', () => {
    const before = bin(10, { [`${DC}temp`]: [{ type: 'Property', value: 20 }] });
    const after = bin(40);
    const out = renderChangedEntity(doc({ showChanges: true }), mapper, { kind: 'updated', before, after }, { reason: 'attributeUpdated', updated: [`${DC}fill`], deleted: [`${DC}temp`] }, T1);
    expect(out).toEqual({
      id: 'urn:ngsi-ld:Bin:1',
      type: 'Bin',
      fill: { type: 'Property', value: 40, previousValue: 10 },
      temp: { type: 'Property', value: 'urn:ngsi-ld:null', deletedAt: T1 },
    });
  });

  it('renders keyValues with only the notified attributes, and a deletion as id, type and deletedAt', () => {
    const d = doc({ format: 'keyValues', attributes: ['fill'] });
    const withName = bin(5, { [`${DC}name`]: [{ type: 'Property', value: 'A' }] });
    expect(renderChangedEntity(d, mapper, { kind: 'created', after: withName }, { reason: 'attributeCreated', updated: [], deleted: [] }, T1)).toEqual({ id: 'urn:ngsi-ld:Bin:1', type: 'Bin', fill: 5 });
    expect(renderChangedEntity(d, mapper, { kind: 'deleted', before: withName }, { reason: 'entityDeleted', updated: [], deleted: [] }, T1)).toEqual({ id: 'urn:ngsi-ld:Bin:1', type: 'Bin', deletedAt: T1 });
  });

  it('coalesces a throttled backlog to the latest state per entity, in order of last change', () => {
    const p = (id: string, v: number) => ({ triggerReason: 'attributeUpdated' as const, data: [{ id, v }] });
    expect(mergePayloads([p('a', 1), p('b', 1), p('a', 2)], true).data).toEqual([{ id: 'b', v: 1 }, { id: 'a', v: 2 }]);
    expect(mergePayloads([p('a', 1), p('b', 1), p('a', 2)], false).data).toEqual([{ id: 'a', v: 1 }, { id: 'b', v: 1 }, { id: 'a', v: 2 }]);
  });
});

describe('notification message', () => {
  it('builds the §5.3.1 envelope with receiverInfo headers and a Link for JSON', () => {
    const d = doc({ endpoint: { uri: 'http://r/n', receiverInfo: [{ key: 'X-Key', value: 'k' }] } });
    const m = notificationMessage(d, CORE_CONTEXT_URL, { triggerReason: 'attributeCreated', data: [{ id: 'x' }] }, T1);
    expect(m.body).toMatchObject({ type: 'Notification', subscriptionId: 'urn:ngsi-ld:Subscription:s', notifiedAt: T1, triggerReason: 'attributeCreated', data: [{ id: 'x' }] });
    expect(m.body.id).toMatch(/^urn:ngsi-ld:Notification:[0-9a-f-]{36}$/);
    expect(m.headers).toEqual({ 'X-Key': 'k', 'Content-Type': 'application/json', Link: `<${CORE_CONTEXT_URL}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"` });
  });

  it('keeps its own Content-Type and Link whatever receiverInfo says, in any letter case', () => {
    const d = doc({ endpoint: { uri: 'http://r/n', receiverInfo: [{ key: 'content-type', value: 'text/plain' }, { key: 'LINK', value: '<x>' }, { key: 'X-Key', value: 'k' }] } });
    const m = notificationMessage(d, CORE_CONTEXT_URL, { data: [] }, T1);
    expect(Object.keys(m.headers).map((k) => k.toLowerCase()).sort()).toEqual(['content-type', 'link', 'x-key']);
    expect(m.headers['Content-Type']).toBe('application/json');
    expect(m.headers.Link).toContain(CORE_CONTEXT_URL);
  });

  it('leaves out framing headers a subscription stored before they were refused still carries', () => {
    const d = doc({ endpoint: { uri: 'http://r/n', receiverInfo: [{ key: 'X-Key', value: 'k' }] } });
    d.notification.endpoint.receiverInfo!.push({ key: 'Transfer-Encoding', value: 'chunked' }, { key: 'connection', value: 'close' });
    const m = notificationMessage(d, CORE_CONTEXT_URL, { data: [] }, T1);
    expect(Object.keys(m.headers).sort()).toEqual(['Content-Type', 'Link', 'X-Key']);
  });

  it('puts the @context in the body for application/ld+json, jsonldContext first', () => {
    const d = doc({ endpoint: { uri: 'http://r/n', accept: 'application/ld+json' } }, { jsonldContext: 'https://example.org/ctx.jsonld' });
    const m = notificationMessage(d, CORE_CONTEXT_URL, { data: [] }, T1);
    expect(m.headers).toEqual({ 'Content-Type': 'application/ld+json' });
    expect(m.body['@context']).toBe('https://example.org/ctx.jsonld');
  });
});
