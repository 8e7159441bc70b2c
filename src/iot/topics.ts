/**
 * MQTT topics of the FIWARE IoT Agent for JSON: `/json/<apikey>/<device_id>/attrs` (a JSON object of
 * measures), `/json/<apikey>/<device_id>/attrs/<object_id>` (one raw value), `.../cmdexe` (command
 * results), each also without the `/json` prefix (the agent's legacy topics). Commands go out on
 * `/<apikey>/<device_id>/cmd`.
 */
export type TopicKind = 'attrs' | 'attr' | 'cmdexe';

export interface ParsedTopic {
  kind: TopicKind;
  apikey: string;
  deviceId: string;
  /** For `attr`: the measure's object_id. */
  objectId?: string;
}

/** What the agent subscribes to (no two patterns match the same topic unless an id is literally "attrs"). */
export const SUBSCRIPTIONS = ['/json/+/+/attrs', '/json/+/+/attrs/+', '/json/+/+/cmdexe', '/+/+/attrs', '/+/+/attrs/+', '/+/+/cmdexe'];

/** The topic parsed, or undefined when it is not one of the agent's. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  if (!topic.startsWith('/')) return undefined;
  let parts = topic.slice(1).split('/');
  if (parts[0] === 'json' && parts.length >= 4) parts = parts.slice(1);
  const [apikey, deviceId, kind, objectId] = parts;
  if (!apikey || !deviceId) return undefined;
  if (parts.length === 3 && kind === 'attrs') return { kind: 'attrs', apikey, deviceId };
  if (parts.length === 3 && kind === 'cmdexe') return { kind: 'cmdexe', apikey, deviceId };
  if (parts.length === 4 && kind === 'attrs' && objectId) return { kind: 'attr', apikey, deviceId, objectId };
  return undefined;
}

/** Where a device listens for commands. */
export function commandTopic(apikey: string, deviceId: string): string {
  return `/${apikey}/${deviceId}/cmd`;
}
