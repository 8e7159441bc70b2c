/**
 * How the hub stores a subscription (NGSI-LD 1.8 §5.2.12): entity types, watched and notified attribute
 * names and the geoproperty are expanded IRIs; q and scopeQ are kept as written and read with the
 * subscription's own @context (stored beside it), which also renders its notifications.
 */

export const TRIGGERS = [
  'entityCreated',
  'entityUpdated',
  'entityDeleted',
  'attributeCreated',
  'attributeUpdated',
  'attributeDeleted',
] as const;
export type Trigger = (typeof TRIGGERS)[number];

/** NGSI-LD 1.8 §5.2.12: without notificationTrigger, attributes created or updated notify. */
export const DEFAULT_TRIGGERS: Trigger[] = ['attributeCreated', 'attributeUpdated'];

export type NotificationFormat = 'normalized' | 'concise' | 'keyValues';

export interface KeyValuePair {
  key: string;
  value: string;
}

export interface EndpointDoc {
  uri: string;
  accept: 'application/json' | 'application/ld+json';
  receiverInfo?: KeyValuePair[];
  notifierInfo?: KeyValuePair[];
}

export interface EntitySelectorDoc {
  id?: string;
  idPattern?: string;
  /** A type selection expression (§4.17) whose names are expanded IRIs. */
  type: string;
}

export interface GeoQDoc {
  geometry: string;
  coordinates: unknown;
  georel: string;
  /** Expanded IRI; absent = location. */
  geoproperty?: string;
}

export interface SubscriptionDoc {
  id: string;
  subscriptionName?: string;
  description?: string;
  entities?: EntitySelectorDoc[];
  /** Expanded IRIs. */
  watchedAttributes?: string[];
  notificationTrigger: Trigger[];
  q?: string;
  geoQ?: GeoQDoc;
  scopeQ?: string;
  notification: {
    /** Expanded IRIs; absent = all attributes. */
    attributes?: string[];
    format: NotificationFormat;
    showChanges: boolean;
    sysAttrs: boolean;
    endpoint: EndpointDoc;
  };
  /** Seconds. */
  throttling?: number;
  /** Seconds: a periodic subscription. */
  timeInterval?: number;
  expiresAt?: string;
  isActive: boolean;
  lang?: string;
  /** A dereferenceable @context URL for notifications (§5.2.12 jsonldContext). */
  jsonldContext?: string;
}

/** Delivery counters and state (NotificationParams status members). */
export interface DeliveryStatus {
  timesSent: number;
  timesFailed: number;
  lastNotification?: string;
  lastSuccess?: string;
  lastFailure?: string;
  failing: boolean;
}

export interface StoredSubscription {
  tenant: string;
  doc: SubscriptionDoc;
  /** The @context value the subscription was written with (undefined = core context). */
  context: unknown;
  status: DeliveryStatus;
  createdAt: string;
  modifiedAt: string;
  /** How many status flushes the row read holds (tells a read whether it saw a flush in progress). */
  statusSeq?: number;
}

/** What one outbox row carries to the receiver (the Notification without id and notifiedAt). */
export interface NotificationPayload {
  triggerReason?: Trigger | 'timeIntervalExpired';
  data: Record<string, unknown>[];
}

export const SUBSCRIPTION_URN = 'urn:ngsi-ld:Subscription:';
export const NOTIFICATION_URN = 'urn:ngsi-ld:Notification:';

/** Headers that frame the request or the connection: the HTTP client owns them, receiverInfo may not set them. */
export const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'host', 'expect', 'te', 'trailer', 'proxy-connection']);
