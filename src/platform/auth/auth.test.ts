import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestServer } from '../../../test/support/test-server.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { DEMO_ADMIN } from './service.ts';

describe('password hashing', () => {
  it('verifies the right password only, with a fresh salt each time', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterz', a)).toBe(false);
    expect(await verifyPassword('anything', 'md5$abc')).toBe(false);
  });
});

describe('auth API', () => {
  let s: Awaited<ReturnType<typeof buildTestServer>>;
  const inject = (opts: InjectOptions) => s.madina.app.inject(opts);
  let adminToken: string;

  beforeAll(async () => {
    s = await buildTestServer();
    const r = await inject({ method: 'POST', url: '/api/auth/login', payload: { username: DEMO_ADMIN.username, password: DEMO_ADMIN.password } });
    expect(r.statusCode).toBe(200);
    adminToken = r.json().token;
    expect(r.headers['set-cookie']).toMatch(/madina_session=ms_.*HttpOnly/);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('answers 401 problem+json without credentials', async () => {
    const r = await inject({ method: 'GET', url: '/api/auth/me' });
    expect(r.statusCode).toBe(401);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(r.json()).toMatchObject({ type: '/problems/auth/unauthenticated', status: 401 });
  });

  it('knows the signed-in user by bearer token and by cookie', async () => {
    const bearer = await inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${adminToken}` } });
    expect(bearer.json()).toMatchObject({ kind: 'user', name: 'admin', roles: ['administrator'], communes: ['*'] });
    const cookie = await inject({ method: 'GET', url: '/api/auth/me', cookies: { madina_session: adminToken } });
    expect(cookie.json().name).toBe('admin');
  });

  it('refuses a wrong password and then throttles the address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: `wrong-${i}` } });
      statuses.push(r.statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('lets an administrator create users; others get 403', async () => {
    const created = await inject({
      method: 'POST',
      url: '/api/auth/users',
      headers: { authorization: `Bearer ${adminToken}` },
      payload: { username: 'agent.anfa', password: 'a-long-password', roles: ['desk-agent'], communes: ['061410101'] },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).not.toHaveProperty('password_hash');
    const login = await inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'agent.anfa', password: 'a-long-password' } });
    const agentToken = login.json().token;
    const denied = await inject({ method: 'GET', url: '/api/auth/users', headers: { authorization: `Bearer ${agentToken}` } });
    expect(denied.statusCode).toBe(403);
    const dup = await inject({
      method: 'POST',
      url: '/api/auth/users',
      headers: { authorization: `Bearer ${adminToken}` },
      payload: { username: 'agent.anfa', password: 'another-long-one', roles: [] },
    });
    expect(dup.statusCode).toBe(409);
  });

  it('validates user input with a per-field problem', async () => {
    const r = await inject({ method: 'POST', url: '/api/auth/users', headers: { authorization: `Bearer ${adminToken}` }, payload: { username: 'x' } });
    expect(r.statusCode).toBe(400);
    expect(r.json().type).toBe('/problems/api/validation-failed');
    const weak = await inject({
      method: 'POST',
      url: '/api/auth/users',
      headers: { authorization: `Bearer ${adminToken}` },
      payload: { username: 'weak.user', password: 'short', roles: [] },
    });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().detail).toMatch(/at least 10/);
  });

  it('issues API keys that work until revoked', async () => {
    const r = await inject({ method: 'POST', url: '/api/auth/api-keys', headers: { authorization: `Bearer ${adminToken}` }, payload: { name: 'sensor gateway', roles: ['device'] } });
    expect(r.statusCode).toBe(201);
    const { id, key } = r.json();
    expect(key).toMatch(/^mk_/);
    const me = await inject({ method: 'GET', url: '/api/auth/me', headers: { 'x-api-key': key } });
    expect(me.json()).toMatchObject({ kind: 'apiKey', name: 'sensor gateway', roles: ['device'] });
    const list = await inject({ method: 'GET', url: '/api/auth/api-keys', headers: { authorization: `Bearer ${adminToken}` } });
    expect(JSON.stringify(list.json())).not.toContain(key);
    expect((await inject({ method: 'DELETE', url: `/api/auth/api-keys/${id}`, headers: { authorization: `Bearer ${adminToken}` } })).statusCode).toBe(204);
    expect((await inject({ method: 'GET', url: '/api/auth/me', headers: { 'x-api-key': key } })).statusCode).toBe(401);
  });

  it('ends a session on logout', async () => {
    const login = await inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'agent.anfa', password: 'a-long-password' } });
    const token = login.json().token;
    expect((await inject({ method: 'POST', url: '/api/auth/logout', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(204);
    expect((await inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
  });

  it('answers unknown /api paths with a problem, not the web app', async () => {
    const r = await inject({ method: 'GET', url: '/api/no-such-module/thing' });
    expect(r.statusCode).toBe(404);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(r.json().type).toBe('/problems/api/not-found');
  });

  it('serves the OpenAPI document of its own APIs', async () => {
    const r = await inject({ method: 'GET', url: '/docs/json' });
    expect(r.statusCode).toBe(200);
    expect(Object.keys(r.json().paths)).toContain('/api/auth/login');
  });
});

describe('production mode', () => {
  it('refuses to start while the demo administrator password works', async () => {
    const demo = await buildTestServer();
    const env = demo.t.env;
    await demo.madina.app.close();
    // Same store, now in production: the demo admin created above must block the start.
    const { loadConfig } = await import('../config.ts');
    const { buildServer } = await import('../../server.ts');
    const { createLogger } = await import('../log.ts');
    await expect(buildServer(loadConfig({ ...env, MADINA_MODE: 'production', LOG_LEVEL: 'silent' }), demo.t.db, createLogger('silent'))).rejects.toThrow(/demo administrator/);
    await demo.t.drop();
  });
});
