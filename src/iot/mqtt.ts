/**
 * MQTT for the agent: the embedded broker (aedes on MQTT_PORT) when no MQTT_URL is set, and the agent's
 * own client, which subscribes to the southbound topics and publishes commands.
 */
import { createServer, type Server } from 'node:net';
import { disableNagle } from '../platform/mqtt-nodelay.ts';
import { randomUUID } from 'node:crypto';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../platform/log.ts';
import { SUBSCRIPTIONS } from './topics.ts';

export interface EmbeddedBroker {
  port: number;
  /**
   * The agent inside the broker: subscribes to the southbound topics and publishes commands without a
   * loopback connection (one MQTT parse per message instead of three on the server's event loop).
   */
  attachAgent(onMessage: (topic: string, payload: Buffer) => void): Promise<AgentLink>;
  close(): Promise<void>;
}

/** aedes on a TCP port (0 = any free port). */
export async function startEmbeddedBroker(port: number, host: string, log: Logger): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker({ drainTimeout: 30_000, concurrency: 1000 });
  broker.on('clientError', (client, err) => log.debug({ client: client.id, err: err.message }, 'mqtt: client error'));
  // noDelay: notifications and commands are small messages that must not wait for the previous one's ACK.
  const server: Server = createServer({ noDelay: true }, broker.handle as unknown as (socket: import('node:net').Socket) => void);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  return {
    port: actual,
    async attachAgent(onMessage) {
      const deliver = (packet: { topic: string; payload: Buffer | string }, cb: () => void) => {
        onMessage(packet.topic, typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload);
        cb();
      };
      for (const topic of SUBSCRIPTIONS) await new Promise<void>((resolve) => broker.subscribe(topic, deliver, resolve));
      return {
        publish: (topic, payload) =>
          new Promise<void>((resolve, reject) =>
            broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false }, (err) => (err ? reject(err) : resolve())),
          ),
        async close() {
          for (const topic of SUBSCRIPTIONS) await new Promise<void>((resolve) => broker.unsubscribe(topic, deliver, resolve));
        },
      };
    },
    async close() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface AgentLink {
  publish(topic: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Connects the agent to the broker at `url`, subscribes (again after every reconnect) and hands every
 * message to `onMessage`. Waits up to `waitMs` for the first connection, then keeps retrying in the
 * background: a broker that starts after Madina is picked up without a restart.
 */
export async function connectAgent(url: string, onMessage: (topic: string, payload: Buffer) => void, log: Logger, waitMs = 5000): Promise<AgentLink> {
  const client: MqttClient = disableNagle(
    mqtt.connect(url, {
      clientId: `madina-iot-${randomUUID().slice(0, 12)}`,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
    }),
  );
  client.on('message', (topic, payload) => onMessage(topic, payload));
  client.on('error', (err) => log.warn({ err: err.message, url }, 'mqtt: agent client error'));
  const subscribed = new Promise<void>((resolve) => {
    client.on('connect', (ack) => {
      if (ack.sessionPresent) return resolve();
      client
        .subscribeAsync(SUBSCRIPTIONS, { qos: 0 })
        .then(() => {
          log.info({ url }, 'mqtt: agent subscribed');
          resolve();
        })
        .catch((err) => log.error({ err }, 'mqtt: could not subscribe'));
    });
  });
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), waitMs).unref());
  if ((await Promise.race([subscribed, timeout])) === 'timeout') {
    log.error({ url }, 'mqtt: broker not reachable yet; the agent keeps retrying every second');
  }
  return {
    async publish(topic, payload) {
      if (!client.connected) throw new Error('the MQTT broker is not connected');
      await client.publishAsync(topic, payload, { qos: 1 });
    },
    async close() {
      await client.endAsync();
    },
  };
}
