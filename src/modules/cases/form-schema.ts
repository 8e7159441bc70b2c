/**
 * Configurable case forms: a JSON Schema (draft-07) per form, versioned. A case keeps the version it
 * was opened with, so changing a form never invalidates old cases. Validation gives one error per
 * field as RFC 9457 `errors: [{ pointer, detail }]` (JSON Pointer into the submitted data). Pure.
 */
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';

const Ajv = (AjvModule as unknown as { default?: typeof AjvModule }).default ?? AjvModule;

export interface FormDefinition {
  id: string;
  version: number;
  title: { fr: string; ar: string; en?: string };
  /** JSON Schema of the case data. */
  schema: Record<string, unknown>;
}

export interface FieldError {
  pointer: string;
  detail: string;
}

const ajv = new (Ajv as unknown as new (o: object) => { compile(s: object): ValidateFunction })({ allErrors: true, strict: false });
const compiled = new Map<string, ValidateFunction>();

function validatorFor(form: FormDefinition): ValidateFunction {
  const key = `${form.id}@${form.version}`;
  let v = compiled.get(key);
  if (!v) {
    v = ajv.compile(form.schema);
    compiled.set(key, v);
  }
  return v;
}

const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/** One error per field, pointing at the field (a missing field points at where it should be). */
export function toFieldErrors(errors: readonly ErrorObject[], base = ''): FieldError[] {
  const out = new Map<string, string>();
  for (const e of errors) {
    let pointer = e.instancePath;
    if (e.keyword === 'required') pointer += `/${escapePointer((e.params as { missingProperty: string }).missingProperty)}`;
    if (e.keyword === 'additionalProperties') pointer += `/${escapePointer((e.params as { additionalProperty: string }).additionalProperty)}`;
    const detail =
      e.keyword === 'required' ? 'is required' : e.keyword === 'additionalProperties' ? 'is not a field of this form' : e.keyword === 'enum' ? `must be one of: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` : (e.message ?? 'is not valid');
    const p = `${base}${pointer || ''}` || '/';
    if (!out.has(p)) out.set(p, detail);
  }
  return [...out].map(([pointer, detail]) => ({ pointer, detail }));
}

/** Validates case data against its form version; `base` prefixes pointers (e.g. "/data"). */
export function validateFormData(form: FormDefinition, data: unknown, base = ''): FieldError[] {
  const v = validatorFor(form);
  if (v(data)) return [];
  return toFieldErrors(v.errors ?? [], base);
}

/** Checks that a schema compiles (for new form versions). */
export function schemaProblems(schema: Record<string, unknown>): string | undefined {
  try {
    ajv.compile(schema);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
