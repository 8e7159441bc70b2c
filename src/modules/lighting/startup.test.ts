/** The lighting module's start and stop around its first read of the lamps from the hub. */
import Fastify from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openTestDb, type TestDb } from '../../../test/support/test-db.ts';
import { createHub, hubMigrations, registerHub } from '../../hub/index.ts';
import { migrate } from '../../platform/db/migrator.ts';
import type { Logger } from '../../platform/log.ts';
import { lightingMigrations, registerLighting } from './index.ts';

let t: TestDb | undefined;
afterEach(async () => {
  await t?.drop();
  t = undefined;
});

async function lightingApp(log: Logger) {
  t = await openTestDb();
  await migrate(t.db, [...hubMigrations(), ...lightingMigrations()]);
  const app = Fastify();
  const hub = createHub(t.db, { baseUrl: () => 'http://localhost' });
  await registerHub(app, hub);
  const lighting = await registerLighting(app, t.db, hub, undefined, log, { MADINA_LIGHTING_WORK_REQUESTS: 'off' });
  return { app, lighting };
}

const spyLog = () => {
  const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn(), trace: vi.fn(), fatal: vi.fn() };
  return Object.assign(log, { child: () => log }) as unknown as Logger & typeof log;
};

describe('lighting start and stop', () => {
  it('a shutdown during the first read of the lamps is an interruption, not an error', async () => {
    const log = spyLog();
    const { app, lighting } = await lightingApp(log);
    let release!: () => void;
    const closed = new Promise<void>((r) => (release = r));
    // The read is in flight when the server closes, and fails because it did.
    const prime = vi.spyOn(lighting.service, 'primeFromHub').mockImplementation(async () => {
      await closed;
      throw new Error('Fastify has already been closed and cannot be reopened');
    });
    // Closing has begun (hooks run in the order they were added: the module's first) when the read fails.
    app.addHook('preClose', async () => release());
    await app.ready();
    await vi.waitFor(() => expect(prime).toHaveBeenCalled());
    await app.close();
    expect(log.error).not.toHaveBeenCalled();
    expect(log.info).toHaveBeenCalledWith(expect.stringContaining('interrupted by shutdown'));
  });

  it('a failed read while running is an error', async () => {
    const log = spyLog();
    const { app, lighting } = await lightingApp(log);
    vi.spyOn(lighting.service, 'primeFromHub').mockRejectedValue(new Error('hub unreachable'));
    await app.ready();
    await vi.waitFor(() => expect(log.error).toHaveBeenCalledWith(expect.objectContaining({ err: expect.any(Error) }), 'lighting: reading lamps from the hub failed'));
    await app.close();
  });
});
