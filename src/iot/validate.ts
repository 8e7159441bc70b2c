/** Checks provisioning bodies the way iotagent-node-lib's JSON schemas do; failures are WRONG_SYNTAX. */
import { IotaErrors } from './errors.ts';
import { DEFAULT_RESOURCE, type AttributeSpec, type CommandSpec, type DeviceDoc, type GroupDoc, type StaticAttributeSpec } from './model.ts';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
// NGSI-LD 1.8 §4.6.2: names must not hold these characters.
const FORBIDDEN_NAME = /[\u0000-\u0020<>"'=;()\u007f]/; // eslint-disable-line no-control-regex
const ID = /^[^\s/?#]{1,256}$/;

const bad = (msg: string) => IotaErrors.wrongSyntax(msg);

function name(v: unknown, where: string): string {
  if (typeof v !== 'string' || !v || v.length > 256 || FORBIDDEN_NAME.test(v)) throw bad(`${where} must be a non-empty name without spaces or <>"'=;()`);
  return v;
}

function str(v: unknown, where: string, max = 1024): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length > max) throw bad(`${where} must be a string`);
  return v;
}

function bool(v: unknown, where: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v;
  // Older tutorials send booleans as strings.
  if (v === 'true' || v === 'false') return v === 'true';
  throw bad(`${where} must be a boolean`);
}

function period(v: unknown, where: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw bad(`${where} must be a positive number of seconds`);
  return v;
}

function list<T>(v: unknown, where: string, item: (x: unknown, at: string) => T): T[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw bad(`${where} must be an array`);
  if (v.length > 1000) throw bad(`${where} holds more than 1000 items`);
  return v.map((x, i) => item(x, `${where}[${i}]`));
}

function metadata(v: unknown, where: string): Record<string, unknown> | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v)) throw bad(`${where}.metadata must be an object`);
  return v;
}

function attribute(v: unknown, where: string): AttributeSpec {
  if (!isObject(v)) throw bad(`${where} must be an object`);
  const out: AttributeSpec = { ...v, name: name(v.name, `${where}.name`), type: typeOf(v.type, where) };
  if (v.object_id !== undefined) out.object_id = name(String(v.object_id), `${where}.object_id`);
  const md = metadata(v.metadata, where);
  if (md) out.metadata = md;
  return out;
}

function typeOf(v: unknown, where: string): string {
  if (v === undefined) return 'Property';
  if (typeof v !== 'string' || !v || v.length > 256) throw bad(`${where}.type must be a string`);
  return v;
}

function staticAttribute(v: unknown, where: string): StaticAttributeSpec {
  if (!isObject(v)) throw bad(`${where} must be an object`);
  if (!('value' in v) || v.value === null) throw bad(`${where}.value is required`);
  const out: StaticAttributeSpec = { ...v, name: name(v.name, `${where}.name`), type: typeOf(v.type, where), value: v.value };
  const md = metadata(v.metadata, where);
  if (md) out.metadata = md;
  return out;
}

function command(v: unknown, where: string): CommandSpec {
  if (!isObject(v)) throw bad(`${where} must be an object`);
  return { ...v, name: name(v.name, `${where}.name`), type: typeOf(v.type ?? 'command', where) };
}

function common(v: Record<string, unknown>, where: string) {
  const out: Record<string, unknown> = {};
  const put = (k: string, x: unknown) => {
    if (x !== undefined) out[k] = x;
  };
  put('entity_type', v.entity_type === undefined ? undefined : name(v.entity_type, `${where}.entity_type`));
  put('attributes', list(v.attributes, `${where}.attributes`, attribute));
  put('lazy', list(v.lazy, `${where}.lazy`, attribute));
  put('commands', list(v.commands, `${where}.commands`, command));
  put('static_attributes', list(v.static_attributes, `${where}.static_attributes`, staticAttribute));
  put('internal_attributes', list(v.internal_attributes, `${where}.internal_attributes`, (x) => x));
  put('explicitAttrs', bool(v.explicitAttrs, `${where}.explicitAttrs`));
  put('timestamp', bool(v.timestamp, `${where}.timestamp`));
  put('transport', str(v.transport, `${where}.transport`, 32));
  put('expected_period', period(v.expected_period, `${where}.expected_period`));
  for (const k of ['timezone', 'endpoint', 'protocol', 'description', 'ngsiVersion', 'payloadType', 'expressionLanguage', 'entityNameExp', 'trust', 'cbHost']) {
    put(k, str(v[k], `${where}.${k}`, 2048));
  }
  return out;
}

/** One config group of a POST /iot/groups (or /iot/services) body. */
export function validateGroup(v: unknown, where = 'group'): GroupDoc {
  if (!isObject(v)) throw bad(`${where} must be an object`);
  if (typeof v.apikey !== 'string' || !ID.test(v.apikey) || v.apikey.includes('+')) throw bad(`${where}.apikey is required (no spaces, "/", "+", "#" or "?")`);
  const resource = v.resource === undefined || v.resource === '' ? DEFAULT_RESOURCE : str(v.resource, `${where}.resource`, 256)!;
  const doc: GroupDoc = { apikey: v.apikey, resource, ...common(v, where) };
  const autoprovision = bool(v.autoprovision, `${where}.autoprovision`);
  if (autoprovision !== undefined) doc.autoprovision = autoprovision;
  return doc;
}

/** One device of a POST /iot/devices body. */
export function validateDevice(v: unknown, where = 'device'): DeviceDoc {
  if (!isObject(v)) throw bad(`${where} must be an object`);
  if (typeof v.device_id !== 'string' || !ID.test(v.device_id) || v.device_id.includes('+')) {
    throw bad(`${where}.device_id is required (no spaces, "/", "+", "#" or "?")`);
  }
  const doc: DeviceDoc = { device_id: v.device_id, ...common(v, where) };
  if (v.entity_name !== undefined) doc.entity_name = name(v.entity_name, `${where}.entity_name`);
  if (v.apikey !== undefined && v.apikey !== '') {
    if (typeof v.apikey !== 'string' || !ID.test(v.apikey) || v.apikey.includes('+')) throw bad(`${where}.apikey must be a key without spaces or "/"`);
    doc.apikey = v.apikey;
  }
  if (doc.transport !== undefined && !['MQTT', 'HTTP', 'AMQP'].includes(doc.transport.toUpperCase())) throw bad(`${where}.transport must be MQTT or HTTP`);
  return doc;
}

/** A PUT body: the fields it carries replace the stored ones; identity fields cannot change. */
export function validateDeviceUpdate(current: DeviceDoc, v: unknown): DeviceDoc {
  if (!isObject(v)) throw bad('the body must be an object');
  if (v.device_id !== undefined && v.device_id !== current.device_id) throw bad('device_id cannot be changed');
  return validateDevice({ ...current, ...v, device_id: current.device_id });
}

export function validateGroupUpdate(current: GroupDoc, v: unknown): GroupDoc {
  if (!isObject(v)) throw bad('the body must be an object');
  return validateGroup({ ...current, ...v, apikey: current.apikey, resource: current.resource });
}

/** `{"groups": [...]}` or its legacy alias `{"services": [...]}`. */
export function groupsOf(body: unknown, key: 'groups' | 'services'): GroupDoc[] {
  if (!isObject(body) || !Array.isArray(body[key])) throw bad(`the body must be {"${key}": [...]}`);
  const items = body[key] as unknown[];
  if (!items.length) throw bad(`"${key}" is empty`);
  return items.map((g, i) => validateGroup(g, `${key}[${i}]`));
}

export function devicesOf(body: unknown): DeviceDoc[] {
  if (!isObject(body) || !Array.isArray(body.devices)) throw bad('the body must be {"devices": [...]}');
  if (!body.devices.length) throw bad('"devices" is empty');
  if (body.devices.length > 10_000) throw bad('at most 10000 devices per request');
  const docs = body.devices.map((d, i) => validateDevice(d, `devices[${i}]`));
  const seen = new Set<string>();
  for (const d of docs) {
    if (seen.has(d.device_id)) throw IotaErrors.duplicateDeviceId(d.device_id);
    seen.add(d.device_id);
  }
  return docs;
}
