import type { OutgoingHttpHeaders } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { createHub, registerHub, type Hub } from '../../src/hub/index.ts';
import type { TestDb } from './test-db.ts';
import { openHubTestDb } from './hub-db.ts';

const API = '/ngsi-ld/v1';

export interface HubReply {
  status: number;
  headers: OutgoingHttpHeaders;
  text: string;
  body: any;
}

export interface HubApp {
  t: TestDb;
  app: FastifyInstance;
  hub: Hub;
  /** An in-process request to /ngsi-ld/v1 + `url`, JSON in and out. */
  req(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<HubReply>;
  close(): Promise<void>;
}

/** The hub alone (no other module) on a fresh test store, answering through app.inject. */
export async function openHubApp(): Promise<HubApp> {
  const t = await openHubTestDb();
  const app = Fastify();
  const hub = createHub(t.db, { baseUrl: () => 'http://localhost' });
  await registerHub(app, hub);
  return {
    t,
    app,
    hub,
    async req(method, url, body, headers = {}) {
      const r = await app.inject({
        method: method as 'GET',
        url: API + url,
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        payload: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: r.statusCode, headers: r.headers, text: r.body, body: r.body ? JSON.parse(r.body) : undefined };
    },
    async close() {
      await app.close();
      await t.drop();
    },
  };
}

/** A query string from plain values. */
export const qs = (params: Record<string, string | number>) => new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
