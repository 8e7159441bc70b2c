/** Real notification receivers for the black-box tests: an HTTP server, an MQTT subscriber, an SSE client. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import mqtt from 'mqtt';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
  at: number;
}

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface HttpReceiver {
  /** http://127.0.0.1:<port> */
  base: string;
  port: number;
  received: Received[];
  /** Notifications POSTed to one path (one path per subscription keeps tests apart). */
  at(path: string): Received[];
  /** Waits until `path` got at least `n` notifications; returns them. */
  waitFor(path: string, n: number, timeoutMs?: number): Promise<Received[]>;
  /** Status to answer with (default 204), and an optional delay before answering. */
  behave(b: { status?: number; delayMs?: number; statusFor?: (path: string, nth: number) => number }): void;
  /** Stop listening (the port becomes unreachable) / listen again on the same port. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function httpReceiver(port = 0): Promise<HttpReceiver> {
  const received: Received[] = [];
  const counts = new Map<string, number>();
  let behaviour: { status?: number; delayMs?: number; statusFor?: (path: string, nth: number) => number } = {};
  const sockets = new Set<import('node:net').Socket>();
  const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (text += d));
    req.on('end', () => {
      const path = req.url ?? '/';
      const nth = (counts.get(path) ?? 0) + 1;
      counts.set(path, nth);
      const status = behaviour.statusFor?.(path, nth) ?? behaviour.status ?? 204;
      const answer = () => {
        if (status >= 200 && status < 300) received.push({ path, headers: req.headers, body: JSON.parse(text), at: Date.now() });
        res.statusCode = status;
        res.end();
      };
      if (behaviour.delayMs) setTimeout(answer, behaviour.delayMs);
      else answer();
    });
  };
  let server: Server;
  const listen = (p: number) =>
    new Promise<number>((resolve, reject) => {
      server = createServer(handler);
      server.on('connection', (s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => resolve((server.address() as import('node:net').AddressInfo).port));
    });
  const bound = await listen(port);
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  const r: HttpReceiver = {
    base: `http://127.0.0.1:${bound}`,
    port: bound,
    received,
    at: (path) => received.filter((x) => x.path === path),
    waitFor: (path, n, timeoutMs = 10_000) =>
      until(`${n} notifications at ${path}`, timeoutMs, () => {
        const got = r.at(path);
        return got.length >= n ? got : undefined;
      }),
    behave: (b) => (behaviour = b),
    down: stop,
    up: async () => {
      await listen(bound);
    },
    close: stop,
  };
  return r;
}

export const MQTT_URL = process.env.MADINA_TEST_MQTT_URL || 'mqtt://127.0.0.1:1883';

export interface MqttReceiver {
  messages: { topic: string; payload: any; qos: number }[];
  waitFor(n: number, timeoutMs?: number): Promise<{ topic: string; payload: any; qos: number }[]>;
  close(): Promise<void>;
}

/** Subscribes to `topic` on the test broker (Mosquitto on 127.0.0.1:1883 unless MADINA_TEST_MQTT_URL). */
export async function mqttReceiver(topic: string, url = MQTT_URL): Promise<MqttReceiver> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  const messages: { topic: string; payload: any; qos: number }[] = [];
  client.on('message', (t, payload, packet) => messages.push({ topic: t, payload: JSON.parse(payload.toString()), qos: packet.qos }));
  await client.subscribeAsync(topic, { qos: 1 });
  return {
    messages,
    waitFor: (n, timeoutMs = 10_000) => until(`${n} MQTT messages on ${topic}`, timeoutMs, () => (messages.length >= n ? messages : undefined)),
    close: () => client.endAsync(),
  };
}

export interface SseEvent {
  id?: string;
  event?: string;
  data: any;
}

export interface SseClient {
  status: number;
  contentType: string | null;
  events: SseEvent[];
  waitFor(n: number, timeoutMs?: number): Promise<SseEvent[]>;
  close(): void;
}

/** Opens an SSE stream with fetch and parses events; resolves once the server's first comment arrived. */
export async function sseClient(url: string, headers: Record<string, string> = {}): Promise<SseClient & { body?: any }> {
  const ac = new AbortController();
  const res = await fetch(url, { headers: { Accept: 'text/event-stream', ...headers }, signal: ac.signal });
  const events: SseEvent[] = [];
  if (!res.ok) {
    const body = await res.json();
    return { status: res.status, contentType: res.headers.get('content-type'), events, body, waitFor: async () => events, close: () => ac.abort() };
  }
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  let opened!: () => void;
  const open = new Promise<void>((r) => (opened = r));
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev: SseEvent = { data: undefined };
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) opened();
            else if (line.startsWith('id: ')) ev.id = line.slice(4);
            else if (line.startsWith('event: ')) ev.event = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (data) {
            ev.data = JSON.parse(data);
            events.push(ev);
          }
        }
      }
    } catch {
      // aborted
    }
  })();
  await open;
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    events,
    waitFor: (n, timeoutMs = 10_000) => until(`${n} SSE events`, timeoutMs, () => (events.length >= n ? events : undefined)),
    close: () => ac.abort(),
  };
}

export { until };
