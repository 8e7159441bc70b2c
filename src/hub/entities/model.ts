/**
 * How the hub stores an entity: attribute names and types are expanded IRIs, every attribute
 * is an array of instances (one per datasetId), sub-attributes are single instances keyed by
 * expanded IRI inside their parent. Metadata members keep their NGSI-LD names.
 */
export type AttributeKind =
  | 'Property'
  | 'Relationship'
  | 'GeoProperty'
  | 'LanguageProperty'
  | 'VocabProperty'
  | 'ListProperty'
  | 'ListRelationship'
  | 'JsonProperty';

export const ATTRIBUTE_KINDS: readonly AttributeKind[] = [
  'Property',
  'Relationship',
  'GeoProperty',
  'LanguageProperty',
  'VocabProperty',
  'ListProperty',
  'ListRelationship',
  'JsonProperty',
];

/** The member holding the attribute's value, per kind (NGSI-LD 1.8 §4.5). */
export const VALUE_MEMBER: Record<AttributeKind, string> = {
  Property: 'value',
  Relationship: 'object',
  GeoProperty: 'value',
  LanguageProperty: 'languageMap',
  VocabProperty: 'vocab',
  ListProperty: 'valueList',
  ListRelationship: 'objectList',
  JsonProperty: 'json',
};

/** Members of an attribute instance that are not sub-attributes. */
export const INSTANCE_META = new Set([
  'type',
  'value',
  'object',
  'objectType',
  'languageMap',
  'vocab',
  'valueList',
  'objectList',
  'json',
  'observedAt',
  'unitCode',
  'datasetId',
  'createdAt',
  'modifiedAt',
  'deletedAt',
  'instanceId',
  'previousValue',
  'lang',
]);

export interface AttributeInstance {
  type: AttributeKind;
  datasetId?: string;
  observedAt?: string;
  unitCode?: string;
  createdAt?: string;
  modifiedAt?: string;
  [member: string]: unknown;
}

/** Stored attributes: expanded IRI -> instances (at most one per datasetId; no datasetId = default). */
export type AttributeMap = Record<string, AttributeInstance[]>;

export interface StoredEntity {
  id: string;
  /** Expanded type IRIs. */
  types: string[];
  scopes: string[];
  attrs: AttributeMap;
  createdAt: string;
  modifiedAt: string;
}

export const NGSI_LD = 'https://uri.etsi.org/ngsi-ld/';
/** The GeoProperty stored in its own indexed column. */
export const LOCATION_IRI = `${NGSI_LD}location`;
export const CORE_GEO_IRIS = new Set([LOCATION_IRI, `${NGSI_LD}observationSpace`, `${NGSI_LD}operationSpace`]);
export const NULL_URI = 'urn:ngsi-ld:null';
