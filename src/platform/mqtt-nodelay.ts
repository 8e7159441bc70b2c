import type { MqttClient } from 'mqtt';

/**
 * Turns Nagle's algorithm off on an mqtt.js client's socket, again after every reconnect. mqtt.js opens
 * its TCP socket with Node's default (Nagle on), so a small publish can wait for the previous one's ACK,
 * which the peer delays by up to 40 ms: messages are small and latency matters more than packet count.
 */
export function disableNagle(client: MqttClient): MqttClient {
  const apply = () => (client.stream as { setNoDelay?: (on: boolean) => unknown } | undefined)?.setNoDelay?.(true);
  if (client.connected) apply();
  client.on('connect', apply);
  return client;
}
