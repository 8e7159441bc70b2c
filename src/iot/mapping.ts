/**
 * Pure mapping from device measures to NGSI-LD attributes: which attribute a payload key feeds,
 * type coercion per the attribute's FIWARE type, observedAt and unitCode. No I/O.
 */
import { DEFAULT_ENTITY_TYPE, type AttributeSpec, type CommandSpec, type DeviceDoc, type GroupDoc, type StaticAttributeSpec } from './model.ts';

/** An attribute in NGSI-LD normalized form, as sent to the hub. */
export type NgsiAttribute = Record<string, unknown> & { type: 'Property' | 'GeoProperty' | 'Relationship' | 'LanguageProperty' };

/** Why a message was rejected (the keys of /api/iot/stats `rejected`). */
export type RejectReason =
  | 'malformed-json'
  | 'not-an-object'
  | 'wrong-type'
  | 'bad-timestamp'
  | 'oversize'
  | 'unknown-apikey'
  | 'unknown-device'
  | 'bad-topic'
  | 'unknown-command'
  | 'hub-error';

export class MeasureRejected extends Error {
  constructor(
    readonly reason: RejectReason,
    detail: string,
  ) {
    super(detail);
  }
}

/** Everything the hot path needs about a device, computed once from the device and its group. */
export interface CompiledDevice {
  tenant: string;
  deviceId: string;
  entityId: string;
  entityType: string;
  /** Measures by payload key (object_id, or name when no object_id). */
  byKey: Map<string, AttributeSpec>;
  commands: CommandSpec[];
  staticAttributes: StaticAttributeSpec[];
  explicitAttrs: boolean;
  expectedPeriodS?: number;
  transport: string;
  endpoint?: string;
}

const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"{}|\\^`]*$/;
// NGSI-LD 1.8 §4.6.2 forbidden characters in names, plus NGSI-LD's own members.
const FORBIDDEN_NAME = /[\u0000-\u0020<>"'=;()\u007f]/; // eslint-disable-line no-control-regex
const RESERVED = new Set(['id', 'type', '@context', 'scope', 'createdAt', 'modifiedAt', 'deletedAt', 'observedAt', 'TimeInstant']);

/** The entity id of a device: entity_name when it is a URI, else `urn:ngsi-ld:<type>:<entity_name or device_id>`. */
export function entityIdOf(doc: Pick<DeviceDoc, 'device_id' | 'entity_name'>, entityType: string): string {
  if (doc.entity_name && URI.test(doc.entity_name)) return doc.entity_name;
  return `urn:ngsi-ld:${entityType}:${doc.entity_name ?? doc.device_id}`;
}

/** The device's configuration merged over its group's (device fields win; lists are merged by name). */
export function compileDevice(tenant: string, doc: DeviceDoc, group: GroupDoc | undefined): CompiledDevice {
  const entityType = doc.entity_type ?? group?.entity_type ?? DEFAULT_ENTITY_TYPE;
  const byKey = new Map<string, AttributeSpec>();
  // Group first so that the device's own declarations override.
  for (const a of [...(group?.attributes ?? []), ...(doc.attributes ?? [])]) byKey.set(a.object_id ?? a.name, a);
  const byName = <T extends { name: string }>(...lists: (T[] | undefined)[]) => {
    const m = new Map<string, T>();
    for (const l of lists) for (const x of l ?? []) m.set(x.name, x);
    return [...m.values()];
  };
  return {
    tenant,
    deviceId: doc.device_id,
    entityId: entityIdOf(doc, entityType),
    entityType,
    byKey,
    commands: byName(group?.commands, doc.commands),
    staticAttributes: byName(group?.static_attributes, doc.static_attributes),
    explicitAttrs: doc.explicitAttrs ?? group?.explicitAttrs ?? false,
    expectedPeriodS: doc.expected_period ?? group?.expected_period,
    transport: (doc.transport ?? group?.transport ?? 'MQTT').toUpperCase(),
    endpoint: doc.endpoint,
  };
}

function numeric(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw === 'string' && raw.trim() !== '') {
    const n = Number(raw.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** "lat,lon" (FIWARE geo:point) to a GeoJSON Point [lon, lat]. */
export function geoPoint(raw: unknown): { type: 'Point'; coordinates: [number, number] } | undefined {
  let lat: number | undefined;
  let lon: number | undefined;
  if (typeof raw === 'string') {
    const parts = raw.split(',');
    if (parts.length !== 2) return undefined;
    lat = numeric(parts[0]);
    lon = numeric(parts[1]);
  } else if (Array.isArray(raw) && raw.length === 2) {
    lat = numeric(raw[0]);
    lon = numeric(raw[1]);
  }
  if (lat === undefined || lon === undefined || Math.abs(lat) > 90 || Math.abs(lon) > 180) return undefined;
  return { type: 'Point', coordinates: [lon, lat] };
}

const GEOJSON_TYPES = new Set(['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon']);

function geoJson(raw: unknown): Record<string, unknown> | undefined {
  let v = raw;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return undefined;
    }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const g = v as Record<string, unknown>;
  if (typeof g.type !== 'string' || !GEOJSON_TYPES.has(g.type) || !Array.isArray(g.coordinates)) return undefined;
  return g;
}

function isoDate(raw: unknown): string | undefined {
  if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
  if (typeof raw === 'string' && !/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(raw)) return undefined;
  const ms = typeof raw === 'number' ? raw : Date.parse(raw);
  if (!Number.isFinite(ms)) return undefined;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

const wrong = (name: string, type: string, raw: unknown) =>
  new MeasureRejected('wrong-type', `${name}: ${JSON.stringify(raw)?.slice(0, 60)} is not a valid ${type}`);

/**
 * One value as an NGSI-LD attribute, coerced per the FIWARE attribute type: Number/Float/Integer/
 * Boolean/Text/DateTime/geo:point/geo:json/Relationship; other types pass the JSON value through.
 * Throws MeasureRejected('wrong-type').
 */
export function coerce(name: string, type: string, raw: unknown): NgsiAttribute {
  switch (type.toLowerCase()) {
    case 'number':
    case 'float':
    case 'double':
    case 'decimal': {
      const n = numeric(raw);
      if (n === undefined) throw wrong(name, type, raw);
      return { type: 'Property', value: n };
    }
    case 'integer':
    case 'int': {
      const n = numeric(raw);
      if (n === undefined || !Number.isInteger(n)) throw wrong(name, type, raw);
      return { type: 'Property', value: n };
    }
    case 'boolean':
    case 'bool':
      if (typeof raw === 'boolean') return { type: 'Property', value: raw };
      if (raw === 'true' || raw === 'false') return { type: 'Property', value: raw === 'true' };
      throw wrong(name, type, raw);
    case 'text':
    case 'string':
      if (typeof raw === 'string') return { type: 'Property', value: raw };
      if (typeof raw === 'number' || typeof raw === 'boolean') return { type: 'Property', value: String(raw) };
      throw wrong(name, type, raw);
    case 'datetime':
    case 'date':
    case 'iso8601': {
      const d = isoDate(raw);
      if (!d) throw wrong(name, type, raw);
      return { type: 'Property', value: { '@type': 'DateTime', '@value': d } };
    }
    case 'geo:point': {
      const p = geoPoint(raw);
      if (!p) throw wrong(name, type, raw);
      return { type: 'GeoProperty', value: p };
    }
    case 'geo:json':
    case 'geoproperty':
    case 'point':
    case 'linestring':
    case 'polygon':
    case 'multipoint':
    case 'multilinestring':
    case 'multipolygon': {
      const g = geoJson(raw);
      if (!g) throw wrong(name, type, raw);
      return { type: 'GeoProperty', value: g };
    }
    case 'relationship':
      if (typeof raw !== 'string' || !URI.test(raw)) throw wrong(name, type, raw);
      return { type: 'Relationship', object: raw };
    default:
      if (raw === null || raw === undefined) throw wrong(name, type, raw);
      return { type: 'Property', value: raw };
  }
}

/** FIWARE metadata `{unitCode: {type, value}}` (or a bare string) becomes NGSI-LD unitCode; others sub-properties. */
function withMetadata(attr: NgsiAttribute, metadata: Record<string, unknown> | undefined): NgsiAttribute {
  if (!metadata) return attr;
  for (const [k, m] of Object.entries(metadata)) {
    const value = typeof m === 'object' && m !== null && 'value' in m ? (m as { value: unknown }).value : m;
    if (value === null || value === undefined) continue;
    if (k === 'unitCode') {
      if (typeof value === 'string') attr.unitCode = value;
    } else if (!RESERVED.has(k) && !FORBIDDEN_NAME.test(k) && !(k in attr)) {
      attr[k] = { type: 'Property', value };
    }
  }
  return attr;
}

/** The timestamp a payload carries (`TimeInstant`, FIWARE's convention), normalized; undefined if none. */
export function payloadTimestamp(measures: Record<string, unknown>): string | undefined {
  if (!('TimeInstant' in measures)) return undefined;
  const raw = measures.TimeInstant;
  const d = typeof raw === 'string' ? isoDate(raw) : undefined;
  if (!d || typeof raw !== 'string' || !raw.includes('T')) throw new MeasureRejected('bad-timestamp', `TimeInstant ${JSON.stringify(raw)?.slice(0, 60)} is not an ISO 8601 date-time`);
  return d;
}

/**
 * The NGSI-LD attributes of one measure set (`{"t": 21.5, "h": 40}`), all stamped with observedAt
 * (the payload's TimeInstant, else `receivedAt`). Throws MeasureRejected: one bad value rejects the
 * whole message, so an entity never gets half a measure set.
 */
export function mapMeasures(device: CompiledDevice, measures: unknown, receivedAt: string): Record<string, NgsiAttribute> {
  if (typeof measures !== 'object' || measures === null || Array.isArray(measures)) {
    throw new MeasureRejected('not-an-object', 'a measure set must be a JSON object');
  }
  const m = measures as Record<string, unknown>;
  const observedAt = payloadTimestamp(m) ?? receivedAt;
  const out: Record<string, NgsiAttribute> = {};
  for (const [key, raw] of Object.entries(m)) {
    if (raw === null || raw === undefined) continue;
    const spec = device.byKey.get(key);
    let attr: NgsiAttribute;
    let name: string;
    if (spec) {
      name = spec.name;
      if (RESERVED.has(name)) continue;
      attr = withMetadata(coerce(name, spec.type, raw), spec.metadata);
    } else {
      if (device.explicitAttrs || RESERVED.has(key)) continue;
      if (FORBIDDEN_NAME.test(key) || key.length > 256) throw new MeasureRejected('wrong-type', `measure name ${JSON.stringify(key).slice(0, 60)} is not a valid attribute name`);
      name = key;
      attr = { type: 'Property', value: raw };
    }
    attr.observedAt = observedAt;
    out[name] = attr;
  }
  return out;
}

/** The attributes a device's entity starts with: static attributes and, per command, the command and its status and info. */
export function provisionedAttributes(device: CompiledDevice): Record<string, NgsiAttribute> {
  const out: Record<string, NgsiAttribute> = {};
  for (const s of device.staticAttributes) {
    if (RESERVED.has(s.name)) continue;
    try {
      out[s.name] = withMetadata(coerce(s.name, s.type, s.value), s.metadata);
    } catch {
      // A static value that does not fit its declared type is stored as given.
      out[s.name] = { type: 'Property', value: s.value };
    }
  }
  for (const c of device.commands) {
    out[c.name] = { type: 'Property', value: '' };
    Object.assign(out, commandState(c.name, 'UNKNOWN', ''));
  }
  return out;
}

/** `<cmd>_status` and `<cmd>_info`, the attributes iotagent-node-lib keeps per command. */
export function commandState(command: string, status: string, info: unknown, observedAt?: string): Record<string, NgsiAttribute> {
  const stamp = observedAt ? { observedAt } : {};
  return {
    [`${command}_status`]: { type: 'Property', value: status, ...stamp },
    [`${command}_info`]: { type: 'Property', value: info === null || info === undefined ? '' : info, ...stamp },
  };
}
