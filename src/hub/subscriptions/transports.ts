/**
 * Sending one notification: HTTP(S) POST (NGSI-LD 1.8 §7.2) and MQTT publish (§7.3, payload
 * {metadata, body}). A send resolves when the receiver accepted it and rejects otherwise; the
 * dispatcher decides about retries.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import mqtt, { type MqttClient } from 'mqtt';
import { disableNagle } from '../../platform/mqtt-nodelay.ts';
import type { EndpointDoc } from './model.ts';
import type { NotificationMessage } from './notification.ts';

export interface Transport {
  send(endpoint: EndpointDoc, message: NotificationMessage): Promise<void>;
  close(): Promise<void>;
}

export class DeliveryError extends Error {}

/** HTTP(S) with one keep-alive agent per origin, `maxSockets` = the endpoint's concurrency. */
export class HttpTransport implements Transport {
  private readonly agents = new Map<string, HttpAgent | HttpsAgent>();
  private readonly inflight = new Set<{ destroy(): void }>();

  constructor(private readonly opts: { timeoutMs: number; maxSockets: number }) {}

  private agent(url: URL) {
    let a = this.agents.get(url.origin);
    if (!a) {
      const o = { keepAlive: true, maxSockets: this.opts.maxSockets };
      a = url.protocol === 'https:' ? new HttpsAgent(o) : new HttpAgent(o);
      this.agents.set(url.origin, a);
    }
    return a;
  }

  async send(endpoint: EndpointDoc, message: NotificationMessage): Promise<void> {
    const url = new URL(endpoint.uri);
    const payload = Buffer.from(JSON.stringify(message.body));
    try {
      await this.post(url, payload, message.headers);
    } catch (err) {
      // A kept-alive socket the receiver closed meanwhile is not the receiver failing: send again at once.
      if ((err as { reusedSocket?: boolean }).reusedSocket) return this.post(url, payload, message.headers);
      throw err;
    }
  }

  private post(url: URL, payload: Buffer, headers: Record<string, string>): Promise<void> {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(url, {
        method: 'POST',
        agent: this.agent(url),
        headers: { ...headers, 'Content-Length': payload.length },
        timeout: this.opts.timeoutMs,
      });
      this.inflight.add(req);
      const done = (err?: Error) => {
        this.inflight.delete(req);
        if (err) reject(err);
        else resolve();
      };
      req.on('response', (res) => {
        res.resume();
        const ok = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300;
        res.on('end', () => done(ok ? undefined : new DeliveryError(`receiver answered ${res.statusCode}`)));
        res.on('error', (e) => done(e));
      });
      req.on('timeout', () => req.destroy(new DeliveryError(`no answer within ${this.opts.timeoutMs} ms`)));
      req.on('error', (e: NodeJS.ErrnoException & { reusedSocket?: boolean }) => {
        if (req.reusedSocket && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) e.reusedSocket = true;
        done(e);
      });
      req.end(payload);
    });
  }

  async close(): Promise<void> {
    for (const r of this.inflight) r.destroy();
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }
}

function info(endpoint: EndpointDoc, key: string): string | undefined {
  return endpoint.notifierInfo?.find((kv) => kv.key === key)?.value;
}

/** MQTT: one client per broker (URL without the topic, plus protocol version), reconnecting on its own. */
export class MqttTransport implements Transport {
  private readonly clients = new Map<string, MqttClient>();

  constructor(private readonly opts: { timeoutMs: number }) {}

  private client(url: URL, version: string): MqttClient {
    const key = `${url.protocol}//${url.username}@${url.host}|${version}`;
    let c = this.clients.get(key);
    if (!c) {
      c = disableNagle(mqtt.connect(`${url.protocol}//${url.host}`, {
        username: url.username ? decodeURIComponent(url.username) : undefined,
        password: url.password ? decodeURIComponent(url.password) : undefined,
        protocolVersion: version === 'mqtt5.0' ? 5 : 4,
        reconnectPeriod: 1000,
        connectTimeout: this.opts.timeoutMs,
        // Never park a notification in the client: a broker that is away is a failed delivery (retried).
        queueQoSZero: false,
        clean: true,
      }));
      c.on('error', () => {
        // Reported through the failed publishes; the client reconnects by itself.
      });
      this.clients.set(key, c);
    }
    return c;
  }

  async send(endpoint: EndpointDoc, message: NotificationMessage): Promise<void> {
    const url = new URL(endpoint.uri);
    const version = info(endpoint, 'MQTT-Version') ?? 'mqtt5.0';
    const qos = Number(info(endpoint, 'MQTT-QoS') ?? '0') as 0 | 1 | 2;
    const topic = decodeURIComponent(url.pathname.slice(1));
    const c = this.client(url, version);
    if (!c.connected) await this.waitConnected(c);
    // §7.3: the MQTT message carries the would-be HTTP headers as metadata and the notification as body.
    const body = JSON.stringify({ metadata: message.headers, body: message.body });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new DeliveryError(`MQTT publish not acknowledged within ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs);
      c.publish(topic, body, { qos }, (err) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      });
    });
  }

  private waitConnected(c: MqttClient): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        c.off('connect', onConnect);
        reject(new DeliveryError('MQTT broker not reachable'));
      }, Math.min(this.opts.timeoutMs, 2000));
      const onConnect = () => {
        clearTimeout(timer);
        resolve();
      };
      c.once('connect', onConnect);
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.endAsync(true).catch(() => undefined)));
    this.clients.clear();
  }
}
