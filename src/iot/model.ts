/**
 * The FIWARE IoT Agent information model (iotagent-node-lib "config groups" and "devices"), as the
 * provisioning API carries it: snake_case fields, attribute lists of {object_id, name, type, metadata}.
 */

/** A measure the device sends: `object_id` is its key in the payload, `name` the entity attribute. */
export interface AttributeSpec {
  object_id?: string;
  name: string;
  type: string;
  metadata?: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface StaticAttributeSpec {
  name: string;
  type: string;
  value: unknown;
  metadata?: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface CommandSpec {
  name: string;
  type?: string;
  object_id?: string;
  [extra: string]: unknown;
}

/** A config group (a.k.a. service): devices sending with its apikey belong to its tenant. */
export interface GroupDoc {
  apikey: string;
  resource: string;
  entity_type?: string;
  attributes?: AttributeSpec[];
  lazy?: AttributeSpec[];
  commands?: CommandSpec[];
  static_attributes?: StaticAttributeSpec[];
  internal_attributes?: unknown[];
  explicitAttrs?: boolean;
  timestamp?: boolean;
  autoprovision?: boolean;
  transport?: string;
  /** Madina extension: seconds between two messages of a healthy device. */
  expected_period?: number;
  [extra: string]: unknown;
}

export interface DeviceDoc {
  device_id: string;
  entity_name?: string;
  entity_type?: string;
  apikey?: string;
  transport?: string;
  protocol?: string;
  endpoint?: string;
  timezone?: string;
  timestamp?: boolean;
  attributes?: AttributeSpec[];
  lazy?: AttributeSpec[];
  commands?: CommandSpec[];
  static_attributes?: StaticAttributeSpec[];
  internal_attributes?: unknown[];
  explicitAttrs?: boolean;
  /** Madina extension: seconds between two messages of a healthy device. */
  expected_period?: number;
  [extra: string]: unknown;
}

/** A stored config group: the document plus where it lives. */
export interface Group {
  tenant: string;
  servicePath: string;
  doc: GroupDoc;
}

export interface Device {
  tenant: string;
  servicePath: string;
  doc: DeviceDoc;
  createdAt: string;
  /** Last message received from the device (ISO), if any. */
  lastSeen?: string;
}

/** Default entity type when neither the device nor its group names one (iotagent-node-lib's default). */
export const DEFAULT_ENTITY_TYPE = 'Thing';
/** The resource of the JSON agent's HTTP southbound, used when a group does not name one. */
export const DEFAULT_RESOURCE = '/iot/json';
