/**
 * Open311 GeoReport v2 shapes: reading a POST (form-urlencoded as the standard says, or JSON), checking it
 * against the service definition, and writing services, definitions and requests. Pure.
 */
import type { AttributeDef, Lang, ServiceDef } from './catalogue.ts';
import { GROUPS } from './catalogue.ts';
import { CitizenErrors } from './errors.ts';
import { open311Status, statusNotes, type State } from './workflow.ts';

export const DESCRIPTION_MAX = 4000;

export interface ContactInput {
  email?: string;
  firstName?: string;
  lastName?: string;
  phone?: string;
  deviceId?: string;
  accountId?: string;
}

export interface ReportInput {
  serviceCode?: string;
  lat?: string;
  long?: string;
  addressString?: string;
  addressId?: string;
  description?: string;
  mediaUrl?: string;
  jurisdictionId?: string;
  apiKey?: string;
  /** attribute[code] (one value) and attribute[code][] (several). */
  attributes: Record<string, string[]>;
  contact: ContactInput;
}

const FIELDS: Record<string, keyof ReportInput | `contact.${keyof ContactInput}`> = {
  service_code: 'serviceCode',
  lat: 'lat',
  long: 'long',
  address_string: 'addressString',
  address_id: 'addressId',
  description: 'description',
  media_url: 'mediaUrl',
  jurisdiction_id: 'jurisdictionId',
  api_key: 'apiKey',
  email: 'contact.email',
  first_name: 'contact.firstName',
  last_name: 'contact.lastName',
  phone: 'contact.phone',
  device_id: 'contact.deviceId',
  account_id: 'contact.accountId',
};

const ATTRIBUTE_KEY = /^attribute\[([^\]]{1,100})\](\[\])?$/;

/** Reads POST fields from a list of [name, value] pairs (URLSearchParams, multipart fields, or flattened JSON). */
export function readReportInput(pairs: Iterable<[string, unknown]>): ReportInput {
  const input: ReportInput = { attributes: {}, contact: {} };
  for (const [name, raw] of pairs) {
    const values = Array.isArray(raw) ? raw : [raw];
    if (name === 'attribute' && raw && typeof raw === 'object' && !Array.isArray(raw)) {
      // JSON: "attribute": {"code": "value" | ["a", "b"]}
      for (const [code, v] of Object.entries(raw as Record<string, unknown>)) input.attributes[code] = (Array.isArray(v) ? v : [v]).map(scalar);
      continue;
    }
    const m = ATTRIBUTE_KEY.exec(name);
    if (m) {
      input.attributes[m[1]] = [...(input.attributes[m[1]] ?? []), ...values.map(scalar)];
      continue;
    }
    const field = FIELDS[name];
    if (!field) continue;
    const value = scalar(values[values.length - 1]);
    if (field.startsWith('contact.')) input.contact[field.slice(8) as keyof ContactInput] = value;
    else (input as unknown as Record<string, string>)[field] = value;
  }
  return input;
}

const scalar = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

export type AttributeValue = string | number | string[];

export interface ValidReport {
  serviceCode: string;
  lat: number;
  lon: number;
  address: string | null;
  addressId: string | null;
  description: string | null;
  mediaUrl: string | null;
  jurisdictionId: string | null;
  attributes: Record<string, AttributeValue>;
  contact: ContactInput;
}

const clean = (s: string | undefined) => {
  const v = s?.trim();
  return v ? v : null;
};

function checkLength(name: string, v: string | null, max: number) {
  if (v !== null && v.length > max) throw CitizenErrors.badField.with(`${name} is limited to ${max} characters`);
}

/** Checks one attribute against its definition; returns the stored value. */
export function checkAttribute(def: AttributeDef, values: string[]): AttributeValue {
  const present = values.map((v) => v.trim()).filter((v) => v !== '');
  const fail = (why: string) => CitizenErrors.badAttribute.with(`attribute[${def.code}]: ${why}`);
  if (def.datatype === 'multivaluelist') {
    const keys = new Set(def.values?.map((x) => x.key));
    const bad = present.filter((v) => !keys.has(v));
    if (bad.length) throw fail(`${bad.map((b) => JSON.stringify(b)).join(', ')} not in the list (${[...keys].join(', ')})`);
    return [...new Set(present)];
  }
  if (present.length > 1) throw fail('takes one value');
  const v = present[0];
  switch (def.datatype) {
    case 'singlevaluelist':
      if (!def.values?.some((x) => x.key === v)) throw fail(`${JSON.stringify(v)} is not in the list (${def.values?.map((x) => x.key).join(', ')})`);
      return v;
    case 'number': {
      const n = Number(v);
      if (!/^-?\d+(\.\d+)?$/.test(v) || !Number.isFinite(n)) throw fail(`${JSON.stringify(v)} is not a number`);
      return n;
    }
    case 'datetime': {
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(v) || Number.isNaN(Date.parse(v))) throw fail(`${JSON.stringify(v)} is not an ISO 8601 date-time with a time zone`);
      return new Date(v).toISOString();
    }
    case 'string':
      if (v.length > 255) throw fail('is limited to 255 characters');
      return v;
    case 'text':
      if (v.length > DESCRIPTION_MAX) throw fail(`is limited to ${DESCRIPTION_MAX} characters`);
      return v;
  }
}

/** Everything the standard and the service definition require; throws the Open311 error to answer. */
export function validateReport(input: ReportInput, service: ServiceDef | undefined, opts: { requireAttributes?: boolean } = {}): ValidReport {
  if (!clean(input.serviceCode)) throw CitizenErrors.missingServiceCode.with();
  if (!service) throw CitizenErrors.serviceCodeNotFound.with(`service_code ${JSON.stringify(input.serviceCode)} is not offered here`);
  const latS = clean(input.lat);
  const lonS = clean(input.long);
  if (latS === null || lonS === null) {
    if (clean(input.addressString) || clean(input.addressId)) {
      throw CitizenErrors.missingLocation.with('This server places reports by lat and long (it has no address geocoder); address_string is kept as a description of the place');
    }
    throw CitizenErrors.missingLocation.with();
  }
  const lat = Number(latS);
  const lon = Number(lonS);
  if (!/^-?\d+(\.\d+)?$/.test(latS) || !/^-?\d+(\.\d+)?$/.test(lonS) || Math.abs(lat) > 90 || Math.abs(lon) > 180) throw CitizenErrors.badLocation.with();
  const description = clean(input.description);
  if (description !== null && description.length > DESCRIPTION_MAX) throw CitizenErrors.descriptionTooLong.with(`description has ${description.length} characters; the limit is ${DESCRIPTION_MAX}`);
  const address = clean(input.addressString);
  checkLength('address_string', address, 500);
  const addressId = clean(input.addressId);
  checkLength('address_id', addressId, 100);
  const mediaUrl = clean(input.mediaUrl);
  if (mediaUrl !== null && (mediaUrl.length > 2048 || !/^https?:\/\/[^\s]+$/i.test(mediaUrl))) throw CitizenErrors.badField.with('media_url must be an http(s) URL');
  const contact: ContactInput = {};
  for (const [k, v] of Object.entries(input.contact) as [keyof ContactInput, string | undefined][]) {
    const c = clean(v);
    if (c === null) continue;
    checkLength(k, c, 200);
    contact[k] = c;
  }
  if (contact.email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(contact.email)) throw CitizenErrors.badField.with('email is not an e-mail address');
  if (contact.phone && !/^\+?[0-9 ().-]{6,25}$/.test(contact.phone)) throw CitizenErrors.badField.with('phone is not a phone number');

  const attributes: Record<string, AttributeValue> = {};
  const defs = new Map(service.attributes.filter((a) => a.variable).map((a) => [a.code, a]));
  for (const code of Object.keys(input.attributes)) {
    if (!defs.has(code)) throw CitizenErrors.badAttribute.with(`attribute[${code}] is not an attribute of service ${service.code}`);
  }
  for (const def of defs.values()) {
    const values = input.attributes[def.code] ?? [];
    if (values.every((v) => v.trim() === '')) {
      if (def.required && opts.requireAttributes !== false) throw CitizenErrors.badAttribute.with(`attribute[${def.code}] is required`);
      continue;
    }
    attributes[def.code] = checkAttribute(def, values);
  }
  return { serviceCode: service.code, lat, lon, address, addressId, description, mediaUrl, jurisdictionId: clean(input.jurisdictionId), attributes, contact };
}

/** GET services: one service (Open311 field names). */
export function serviceJson(s: ServiceDef, lang: Lang) {
  return {
    service_code: s.code,
    service_name: s.name[lang],
    description: s.description[lang],
    metadata: s.attributes.length > 0,
    type: 'realtime' as const,
    keywords: s.keywords.join(','),
    group: GROUPS[s.group]?.[lang] ?? s.group,
  };
}

/** GET services/{service_code}: the service definition. */
export function serviceDefinitionJson(s: ServiceDef, lang: Lang) {
  return {
    service_code: s.code,
    attributes: s.attributes.map((a, i) => ({
      variable: a.variable,
      code: a.code,
      datatype: a.datatype,
      required: a.required,
      datatype_description: a.datatypeDescription?.[lang] ?? null,
      order: i + 1,
      description: a.description[lang],
      ...(a.values ? { values: a.values.map((x) => ({ key: x.key, name: x.name[lang] })) } : {}),
    })),
  };
}

/** A stored request as the public sees it (no contact details, ever). */
export interface PublicRequest {
  id: string;
  serviceCode: string;
  state: State;
  note: string | null;
  description: string | null;
  address: string | null;
  addressId: string | null;
  lat: number;
  lon: number;
  communeCode: string;
  agency: string;
  requestedAt: Date;
  updatedAt: Date;
  expectedAt: Date | null;
  mediaUrl: string | null;
  duplicateOf: string | null;
}

export const isoSeconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * GET requests / requests/{id}. A duplicate follows its original: it shows the original's status and
 * notes, prefixed with the original's id.
 */
export function requestJson(r: PublicRequest, service: ServiceDef | undefined, lang: Lang, original?: PublicRequest) {
  const shown = original ?? r;
  const notes = statusNotes(shown.state, shown.note);
  return {
    service_request_id: r.id,
    status: open311Status(shown.state),
    status_notes: original ? `Duplicate of service request ${original.id}. ${notes}` : notes,
    service_name: service?.name[lang] ?? null,
    service_code: r.serviceCode,
    description: r.description,
    agency_responsible: r.agency,
    service_notice: service ? slaNotice(service, lang) : null,
    requested_datetime: isoSeconds(r.requestedAt),
    updated_datetime: isoSeconds(new Date(Math.max(r.updatedAt.getTime(), original?.updatedAt.getTime() ?? 0))),
    expected_datetime: shown.expectedAt ? isoSeconds(shown.expectedAt) : null,
    address: r.address,
    address_id: r.addressId,
    zipcode: null,
    lat: r.lat,
    long: r.lon,
    media_url: r.mediaUrl,
  };
}

export function slaNotice(s: ServiceDef, lang: Lang): string {
  const days = s.slaHours / 24;
  const span = s.slaHours < 48 ? { fr: `${s.slaHours} heures`, ar: `${s.slaHours} ساعة`, en: `${s.slaHours} hours` } : { fr: `${days} jours`, ar: `${days} أيام`, en: `${days} days` };
  return { fr: `Délai de traitement visé : ${span.fr}.`, ar: `أجل المعالجة المستهدف: ${span.ar}.`, en: `Target time to fix: ${span.en}.` }[lang];
}
