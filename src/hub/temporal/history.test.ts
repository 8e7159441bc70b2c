import { describe, expect, it } from 'vitest';
import type { StoredEntity } from '../entities/model.ts';
import { historyOf, newInstanceId, timeOrderedUuid } from './history.ts';

const P = 'https://x/power';
const S = 'https://x/status';
const entity = (attrs: StoredEntity['attrs'], types = ['https://x/Lamp']): StoredEntity => ({
  id: 'urn:lamp:1',
  types,
  scopes: [],
  attrs,
  createdAt: '2024-01-01T00:00:00.000Z',
  modifiedAt: '2024-01-02T00:00:00.000Z',
});

describe('historyOf', () => {
  const t1 = '2024-01-01T00:00:00.000Z';
  const t2 = '2024-01-02T00:00:00.000Z';
  const before = entity({
    [P]: [{ type: 'Property', value: 5, createdAt: t1, modifiedAt: t1, observedAt: '2023-12-31T23:00:00.000Z' }],
    [S]: [{ type: 'Property', value: 'on', createdAt: t1, modifiedAt: t1 }],
  });

  it('records every instance of a created entity, time = observedAt else modifiedAt', () => {
    const { instances, registry } = historyOf([{ kind: 'created', after: before }]);
    expect(instances.map((i) => [i.attr, i.ts, i.num, i.value])).toEqual([
      [P, '2023-12-31T23:00:00.000Z', 5, { type: 'Property', value: 5 }],
      [S, t1, null, { type: 'Property', value: 'on' }],
    ]);
    expect(registry).toEqual([expect.objectContaining({ id: 'urn:lamp:1', keep: false })]);
  });

  it('records only the instances an update rewrote, each dataset on its own', () => {
    const after = entity({
      [P]: [
        { type: 'Property', value: 6, createdAt: t1, modifiedAt: t2 },
        { type: 'Property', value: true, datasetId: 'urn:ds:x', createdAt: t2, modifiedAt: t2 },
      ],
      [S]: before.attrs[S],
    });
    const { instances, registry } = historyOf([{ kind: 'updated', before, after }]);
    expect(instances.map((i) => [i.attr, i.datasetId, i.ts, i.num])).toEqual([
      [P, '', t2, 6],
      [P, 'urn:ds:x', t2, 1],
    ]);
    expect(registry[0].keep).toBe(true);
  });

  it('rewrites the registry row when the types change, keeps history on delete', () => {
    const retyped = { ...before, types: ['https://x/Lamp', 'https://x/Smart'] };
    expect(historyOf([{ kind: 'updated', before, after: retyped }]).registry[0].keep).toBe(false);
    expect(historyOf([{ kind: 'deleted', before }])).toEqual({ instances: [], registry: [] });
  });
});

describe('timeOrderedUuid', () => {
  it('is a version-7 UUID whose first 48 bits are the milliseconds', () => {
    const t = Date.UTC(2026, 10, 26, 14, 0, 0, 123);
    const id = timeOrderedUuid(t);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(t);
  });

  it('sorts by time, as text (the instance-id index grows at its right edge)', () => {
    const ids = [0, 1, 255, 256, 4096, Date.UTC(2001, 0, 1), Date.UTC(2026, 0, 1), 2 ** 48 - 1].map((t) => timeOrderedUuid(t));
    expect([...ids].sort()).toEqual(ids);
  });

  it('differs within one millisecond', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => timeOrderedUuid(42)));
    expect(ids.size).toBe(1000);
  });

  it('names attribute instances as URNs', () => {
    expect(newInstanceId()).toMatch(/^urn:ngsi-ld:attribute-instance:[0-9a-f-]{36}$/);
  });
});
