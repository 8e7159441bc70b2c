/**
 * Sending one notification: HTTP(S) POST (NGSI-LD 1.8 §7.2) and MQTT publish (§7.3, payload
 * {metadata, body}). A send resolves when the receiver accepted it and rejects otherwise; the
 * dispatcher decides about retries.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { Pool, errors as undiciErrors } from 'undici';
import { disableNagle } from '../../platform/mqtt-nodelay.ts';
import type { EndpointDoc } from './model.ts';
import type { NotificationMessage } from './notification.ts';

export interface Transport {
  send(endpoint: EndpointDoc, message: NotificationMessage): Promise<void>;
  close(): Promise<void>;
}

export class DeliveryError extends Error {}

/**
 * HTTP(S) through one undici keep-alive pool per origin, `maxSockets` connections each. undici rather
 * than node:http: a notification is one small POST, and node:http's per-request bookkeeping (agent,
 * ClientRequest, header objects) was the largest cost left per notification (bench:notify profile).
 */
export class HttpTransport implements Transport {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly opts: { timeoutMs: number; maxSockets: number }) {}

  private pool(url: URL): Pool {
    let p = this.pools.get(url.origin);
    if (!p) {
      p = new Pool(url.origin, {
        connections: this.opts.maxSockets,
        pipelining: 1,
        headersTimeout: this.opts.timeoutMs,
        bodyTimeout: this.opts.timeoutMs,
        connect: { timeout: this.opts.timeoutMs },
      });
      this.pools.set(url.origin, p);
    }
    return p;
  }

  async send(endpoint: EndpointDoc, message: NotificationMessage): Promise<void> {
    const url = new URL(endpoint.uri);
    const payload = JSON.stringify(message.body);
    const headers = { ...message.headers };
    // Credentials in the URI (http://user:password@host/…) are sent as Basic authentication, as node:http did.
    if (url.username || url.password) {
      headers.Authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    }
    try {
      await this.post(url, payload, headers);
    } catch (err) {
      // A kept-alive connection the receiver closed or reset as we wrote is not the receiver failing: send
      // again at once (delivery is at-least-once, so a receiver may see it twice).
      if (connectionDropped(err)) return this.post(url, payload, headers);
      throw err;
    }
  }

  private async post(url: URL, payload: string, headers: Record<string, string>): Promise<void> {
    let res;
    try {
      res = await this.pool(url).request({ method: 'POST', path: url.pathname + url.search, headers, body: payload });
    } catch (err) {
      if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.ConnectTimeoutError) {
        throw new DeliveryError(`no answer within ${this.opts.timeoutMs} ms`);
      }
      throw err;
    }
    try {
      await res.body.dump();
    } catch {
      // The status is what counts; a body cut short does not undo an answer already given.
    }
    if (res.statusCode < 200 || res.statusCode >= 300) throw new DeliveryError(`receiver answered ${res.statusCode}`);
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)));
  }
}

/** undici reports a closed connection as a SocketError and a reset one with the socket's own error code. */
function connectionDropped(err: unknown): boolean {
  if (err instanceof undiciErrors.SocketError) return err.message !== 'bad response';
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
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
