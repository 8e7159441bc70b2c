import { describe, expect, it } from 'vitest';
import type { Db } from '../../platform/db/db.ts';
import type { Logger } from '../../platform/log.ts';
import { ContextService } from '../jsonld/context-service.ts';
import { InMemoryContextStore } from '../jsonld/context-store.ts';
import { DEFAULT_DISPATCHER_OPTIONS, Dispatcher } from './dispatcher.ts';
import { parseSubscription } from './parse.ts';
import { subscriptionKey, type StatusDelta, type SubscriptionStore } from './store.ts';
import type { Transport } from './transports.ts';

const mapper = await new ContextService({ store: new InMemoryContextStore() }).mapper(undefined);
const SUB = 'urn:ngsi-ld:Subscription:flaky';
const ENDPOINT = 'http://receiver.invalid/n';
const doc = parseSubscription({ type: 'Subscription', id: SUB, entities: [{ type: 'Bin' }], notification: { endpoint: { uri: ENDPOINT } } }, mapper, new Date());
const quiet = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger;

/** A dispatcher over fakes: a receiver that fails while `failing`, and a table whose writes wait for `release()`. */
function makeRig() {
  const rig = {
    failing: true,
    failWrites: false,
    written: [] as StatusDelta[][],
    gate: undefined as Promise<void> | undefined,
    release: () => {},
    hold() {
      rig.gate = new Promise<void>((r) => (rig.release = r));
    },
  };
  const transport: Transport = {
    send: async () => {
      if (rig.failing) throw new Error('receiver answered 500');
    },
    close: async () => {},
  };
  const store = {
    pendingEndpoints: async () => [],
    deleteFromOutbox: async () => {},
    // Each flush counts once in the row (status_seq): 1 after the first, 2 after the second...
    applyStatus: async (_tx: unknown, deltas: StatusDelta[]) => {
      if (rig.failWrites) throw new Error('database away');
      rig.written.push(deltas);
      return new Map(deltas.map((d) => [subscriptionKey(d.tenant, d.id), rig.written.length]));
    },
    oldestPending: async () => [],
  } as unknown as SubscriptionStore;
  const db = {
    driver: 'postgres',
    // The statements run at once; the commit waits for the gate.
    transaction: async (fn: (tx: unknown) => Promise<unknown>) => {
      const result = await fn({});
      await rig.gate;
      return result;
    },
  } as unknown as Db;
  const dispatcher = new Dispatcher(
    { db, store, lookup: async () => ({ doc, context: undefined }), transports: { http: transport, mqtt: transport }, log: quiet },
    { ...DEFAULT_DISPATCHER_OPTIONS, baseBackoffMs: 2, maxBackoffMs: 4, failuresBeforeFailed: 1, flushEveryMs: 3_600_000, sweepEveryMs: 3_600_000 },
  );
  return { rig, dispatcher };
}

const until = async (what: string, ok: () => boolean) => {
  const deadline = Date.now() + 5000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
};

/** A started dispatcher whose subscription's first notification has failed; stopped after `body`. */
async function withFailedSubscription(body: (rig: ReturnType<typeof makeRig>['rig'], dispatcher: Dispatcher) => Promise<void>) {
  const { rig, dispatcher } = makeRig();
  await dispatcher.start();
  try {
    dispatcher.enqueue([{ id: 1, tenant: '', subscriptionId: SUB, endpoint: ENDPOINT, payload: { data: [{ id: 'urn:x:1' }] }, throttleMs: 0 }]);
    await until('a failure', () => dispatcher.pendingStatus('', SUB)?.failing === true);
    await body(rig, dispatcher);
  } finally {
    rig.release();
    await dispatcher.stop();
  }
}

describe('Dispatcher status', () => {
  it('a subscription deleted while its flush fails does not get its counters back', async () => {
    await withFailedSubscription(async (rig, dispatcher) => {
      rig.failWrites = true;
      rig.hold();
      const flushing = dispatcher.flush();
      dispatcher.forget('', SUB);
      rig.release();
      await flushing;
      expect(dispatcher.pendingStatus('', SUB)).toBeUndefined();
    });
  });

  it('shows a recovery at once, also while the flush that writes it is still running', async () => {
    await withFailedSubscription(async (rig, dispatcher) => {
      await dispatcher.flush();
      rig.failing = false;
      await until('the delivery', () => dispatcher.pendingStatus('', SUB)?.failing === false);
      const recovered = dispatcher.pendingStatus('', SUB)!;
      expect(recovered.lastSuccess).toBeDefined();

      // The flush carrying the recovery has written its rows but not committed yet.
      rig.hold();
      const flushing = dispatcher.flush();
      await until('the flush to write', () => rig.written.length === 2);
      // A read of the row as the first flush left it (status_seq 1) still needs this one, counters too...
      expect(dispatcher.pendingStatus('', SUB, 1)).toMatchObject({ failing: false, lastSuccess: recovered.lastSuccess, sent: 1, failed: 0 });
      // ...while a read that saw this flush's write (status_seq 2) has it all already.
      expect(dispatcher.pendingStatus('', SUB, 2)).toBeUndefined();
      rig.release();
      await flushing;
      // After the commit, a read sent before it (and answered late) still gets the flush's changes once.
      expect(dispatcher.pendingStatus('', SUB, 1)).toMatchObject({ failing: false, sent: 1 });
      expect(dispatcher.pendingStatus('', SUB, 2)).toBeUndefined();
      expect(rig.written.at(-1)).toEqual([expect.objectContaining({ id: SUB, sent: 1, failed: 0, failing: false })]);
    });
  });
});
