/**
 * Black box: a committed change is never lost. The receiver is down while changes are written, the server
 * is killed with SIGKILL right after the acknowledgements, restarted, and every notification arrives once
 * the receiver is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../support/server.ts';
import { client, enc, uid } from './ngsi-client.ts';
import { httpReceiver, until, type HttpReceiver } from './subscriptions-receivers.ts';

let server: TestServer;
let recv: HttpReceiver;
const http = client(() => server.url);

beforeAll(async () => {
  recv = await httpReceiver();
  server = await startServer({ env: { MQTT_PORT: '0', MADINA_NOTIFY_BASE_BACKOFF_MS: '50', MADINA_NOTIFY_MAX_BACKOFF_MS: '300' } });
});

afterAll(async () => {
  await server?.cleanup();
  await recv?.close();
});

describe('at-least-once delivery across kill -9', () => {
  it('delivers every change committed while the receiver was down, after kill -9 and restart', async () => {
    const type = 'DurableBin';
    const r = await http.post('/subscriptions', {
      type: 'Subscription',
      entities: [{ type }],
      notification: { format: 'keyValues', endpoint: { uri: `${recv.base}/durable` } },
    });
    expect(r.status).toBe(201);
    await recv.down();

    const ids = Array.from({ length: 10 }, () => uid(type));
    const expected = new Set<string>();
    for (const [i, id] of ids.entries()) {
      expect((await http.post('/entities', { id, type, fillingLevel: { type: 'Property', value: i * 100 } })).status).toBe(201);
      expected.add(`${id}@${i * 100}`);
    }
    // Single-entity updates (group-committed) and one batch, all acknowledged before the kill.
    for (let k = 1; k <= 3; k++) {
      await Promise.all(
        ids.map(async (id, i) => {
          expect((await http.patch(`/entities/${enc(id)}/attrs`, { fillingLevel: { type: 'Property', value: i * 100 + k } })).status).toBe(204);
        }),
      );
      for (const [i, id] of ids.entries()) expected.add(`${id}@${i * 100 + k}`);
    }
    const batch = await http.post(
      '/entityOperations/upsert?options=update',
      ids.map((id, i) => ({ id, type, fillingLevel: { type: 'Property', value: i * 100 + 50 } })),
    );
    expect([201, 204]).toContain(batch.status);
    for (const [i, id] of ids.entries()) expected.add(`${id}@${i * 100 + 50}`);

    await server.kill9();
    await server.restart();
    await recv.up();

    const seen = () => new Set(recv.at('/durable').flatMap((n) => n.body.data.map((d: any) => `${d.id}@${d.fillingLevel}`)));
    await until(`all ${expected.size} notifications`, 30_000, () => ([...expected].every((x) => seen().has(x)) ? true : undefined));
    expect([...seen()].filter((x) => !expected.has(x))).toEqual([]);

    // Delivered rows are acknowledged: after a graceful restart nothing is sent again. At-least-once
    // after kill -9 may still be re-sending rows delivered but not acknowledged before the kill: count
    // once the receiver has been quiet for a second.
    await until('the receiver to be quiet for 1 s', 30_000, () => (Date.now() - Math.max(...recv.at('/durable').map((n) => n.at)) > 1000 ? true : undefined));
    const before = recv.at('/durable').length;
    await server.restart();
    await new Promise((res) => setTimeout(res, 1500));
    expect(recv.at('/durable').length).toBe(before);
  }, 240_000);
});
