import type { StoredEntity } from '../../src/hub/entities/model.ts';

/** A stored entity with one numeric Property `urn:a:count`: what the batchers' tests read and write. */
export function counterEntity(id: string, value: number, at = '2026-01-01T00:00:00.000Z'): StoredEntity {
  return { id, types: ['urn:t:Counter'], scopes: [], attrs: { 'urn:a:count': [{ type: 'Property', value }] }, createdAt: at, modifiedAt: at };
}
