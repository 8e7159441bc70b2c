import { describe, expect, it } from 'vitest';
import { schemaProblems, validateFormData, type FormDefinition } from './form-schema.ts';

const v1: FormDefinition = {
  id: 'intake',
  version: 1,
  title: { fr: 'Accueil', ar: 'استقبال' },
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['needs', 'functioning'],
    properties: {
      needs: { type: 'array', minItems: 1, items: { enum: ['physiotherapy', 'speech-therapy'] } },
      functioning: { type: 'object', properties: { mobility: { enum: ['none', 'some', 'a-lot', 'cannot'] } } },
      notes: { type: 'string', maxLength: 20 },
    },
  },
};
const v2: FormDefinition = { ...v1, version: 2, schema: { ...v1.schema, required: ['needs', 'functioning', 'livingSituation'], properties: { ...(v1.schema.properties as object), livingSituation: { type: 'string' } } } };

describe('form validation', () => {
  it('accepts valid data', () => {
    expect(validateFormData(v1, { needs: ['physiotherapy'], functioning: { mobility: 'a-lot' } })).toEqual([]);
  });

  it('reports one error per field with a JSON pointer', () => {
    const errors = validateFormData(v1, { needs: ['juggling'], functioning: { mobility: 'very' }, notes: 'x'.repeat(21), extra: 1 }, '/data');
    const byPointer = (a: { pointer: string }, b: { pointer: string }) => a.pointer.localeCompare(b.pointer);
    expect([...errors].sort(byPointer)).toEqual([
      { pointer: '/data/needs/0', detail: 'must be one of: physiotherapy, speech-therapy' },
      { pointer: '/data/functioning/mobility', detail: 'must be one of: none, some, a-lot, cannot' },
      { pointer: '/data/notes', detail: 'must NOT have more than 20 characters' },
      { pointer: '/data/extra', detail: 'is not a field of this form' },
    ].sort(byPointer));
  });

  it('points at a missing field', () => {
    expect(validateFormData(v1, { needs: ['physiotherapy'] })).toEqual([{ pointer: '/functioning', detail: 'is required' }]);
  });

  it('keeps old cases valid under their own version', () => {
    const old = { needs: ['physiotherapy'], functioning: {} };
    expect(validateFormData(v1, old)).toEqual([]);
    expect(validateFormData(v2, old)).toEqual([{ pointer: '/livingSituation', detail: 'is required' }]);
  });

  it('tells a schema that does not compile', () => {
    expect(schemaProblems({ type: 'object' })).toBeUndefined();
    expect(schemaProblems({ type: 'nonsense' })).toMatch(/type/);
  });
});
