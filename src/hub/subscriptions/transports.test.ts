import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { EndpointDoc } from './model.ts';
import { DeliveryError, HttpTransport } from './transports.ts';

interface Received {
  method?: string;
  url?: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const servers: Server[] = [];
const transports: HttpTransport[] = [];

afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A receiver on loopback; `answer` decides what each request gets (after its body was read). */
async function receiver(answer: (req: IncomingMessage, res: ServerResponse, n: number) => void) {
  const received: Received[] = [];
  const srv = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body });
      answer(req, res, received.length);
    });
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return { base: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, received, server: srv };
}

const transport = (timeoutMs = 2000, maxSockets = 4) => {
  const t = new HttpTransport({ timeoutMs, maxSockets });
  transports.push(t);
  return t;
};
const to = (uri: string): EndpointDoc => ({ uri, accept: 'application/json' });
const message = (n = 1) => ({ body: { type: 'Notification', data: [{ id: `urn:x:${n}` }] }, headers: { 'Content-Type': 'application/json', 'X-City': 'Casablanca' } });

describe('HttpTransport', () => {
  it('POSTs the notification with its headers to the path and query, and resolves on 2xx', async () => {
    const r = await receiver((_q, res) => res.writeHead(204).end());
    await transport().send(to(`${r.base}/notify/here?tenant=a&x=1`), message());
    expect(r.received).toHaveLength(1);
    const got = r.received[0];
    expect(got.method).toBe('POST');
    expect(got.url).toBe('/notify/here?tenant=a&x=1');
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['x-city']).toBe('Casablanca');
    expect(Number(got.headers['content-length'])).toBe(Buffer.byteLength(got.body));
    expect(JSON.parse(got.body)).toEqual(message().body);
  });

  it('keeps connections alive: one connection per origin carries sequential sends', async () => {
    const sockets = new Set<Socket>();
    const r = await receiver((req, res) => {
      sockets.add(req.socket);
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('thanks');
    });
    const t = transport(2000, 1);
    for (let i = 0; i < 5; i++) await t.send(to(`${r.base}/n`), message(i));
    expect(r.received.map((x) => JSON.parse(x.body).data[0].id)).toEqual([0, 1, 2, 3, 4].map((i) => `urn:x:${i}`));
    expect(sockets.size).toBe(1);
  });

  it('rejects with a DeliveryError when the receiver answers outside 2xx', async () => {
    const r = await receiver((_q, res) => res.writeHead(500).end('boom'));
    await expect(transport().send(to(`${r.base}/n`), message())).rejects.toThrow(new DeliveryError('receiver answered 500'));
    const r3 = await receiver((_q, res) => res.writeHead(302, { Location: '/elsewhere' }).end());
    await expect(transport().send(to(`${r3.base}/n`), message())).rejects.toThrow('receiver answered 302');
  });

  it('rejects when the receiver does not answer in time', async () => {
    const r = await receiver(() => undefined);
    const started = Date.now();
    await expect(transport(300).send(to(`${r.base}/n`), message())).rejects.toThrow(/no answer within 300 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('rejects when nobody listens', async () => {
    const r = await receiver((_q, res) => res.end());
    const base = r.base;
    servers.splice(servers.indexOf(r.server), 1);
    await new Promise((done) => r.server.close(done));
    await expect(transport().send(to(`${base}/n`), message())).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  // The second request arrives on the connection that carried the first: the receiver drops it unanswered.
  it.each([
    ['closed', (socket: Socket) => socket.destroy()],
    ['reset', (socket: Socket) => socket.resetAndDestroy()],
  ])('sends again at once when the receiver %s the kept-alive connection the request went out on', async (_how, drop) => {
    const served = new WeakSet<Socket>();
    const r = await receiver((req, res, n) => {
      if (n === 2 && served.has(req.socket)) {
        drop(req.socket);
        return;
      }
      served.add(req.socket);
      res.writeHead(204).end();
    });
    const t = transport(2000, 1);
    await t.send(to(`${r.base}/n`), message(1));
    await t.send(to(`${r.base}/n`), message(2));
    expect(r.received.map((x) => JSON.parse(x.body).data[0].id)).toEqual(['urn:x:1', 'urn:x:2', 'urn:x:2']);
  });

  it('sends the credentials of the URI as Basic authentication, not in the request line', async () => {
    const r = await receiver((_q, res) => res.writeHead(204).end());
    const base = r.base.replace('http://', 'http://city%40ops:p%C3%A4ss@');
    await transport().send(to(`${base}/n`), message());
    expect(r.received[0].headers.authorization).toBe(`Basic ${Buffer.from('city@ops:päss').toString('base64')}`);
    expect(r.received[0].url).toBe('/n');
  });

  it('abandons in-flight sends when closed', async () => {
    const r = await receiver(() => undefined);
    const t = transport(60_000);
    const pending = t.send(to(`${r.base}/n`), message());
    await new Promise((done) => setTimeout(done, 50));
    await t.close();
    await expect(pending).rejects.toThrow();
  });
});
