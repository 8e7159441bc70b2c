import { describe, expect, it } from 'vitest';
import { RawJsonSet } from './raw-json.ts';

describe('RawJsonSet', () => {
  it('splices texts where their placeholders are, as JSON.stringify places values', () => {
    const raws = new RawJsonSet();
    const body = [{ id: 'a', v: { values: raws.add('[[1, "2024-01-01T00:00:00.000Z"]]') } }, { id: 'b', v: { values: raws.add('[]') } }];
    const text = raws.stringify(body);
    expect(JSON.parse(text)).toEqual([
      { id: 'a', v: { values: [[1, '2024-01-01T00:00:00.000Z']] } },
      { id: 'b', v: { values: [] } },
    ]);
  });

  it('leaves strings that look like another answer\'s placeholders alone', () => {
    const other = new RawJsonSet();
    const placeholder = JSON.parse(JSON.stringify({ x: other.add('"secret"') })).x as string;
    const raws = new RawJsonSet();
    const text = raws.stringify({ name: placeholder, v: raws.add('2') });
    expect(JSON.parse(text)).toEqual({ name: placeholder, v: 2 });
  });
});
