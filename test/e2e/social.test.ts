/**
 * Black box: the social desk as a user meets it — `madina start` in demo mode seeds the synthetic
 * centres, a desk agent takes an intake with consent, refers the person, the centre's live inbox
 * hears of it, the centre accepts; refusals are audited and `madina audit verify` checks the chain.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../src/platform/db/pglite.ts';
import { openPostgres } from '../../src/platform/db/postgres.ts';
import { createTestStore } from '../support/test-db.ts';
import { freePort, startServer, type TestServer } from '../support/server.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ANFA = '061410101';
const REHAB = 'demo-centre-009';
let server: TestServer;
const tokens: Record<string, string> = {};

async function api(who: string | null, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(who ? { authorization: `Bearer ${tokens[who]}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}

async function login(username: string, password: string) {
  tokens[username] = (await api(null, 'POST', '/api/auth/login', { username, password })).body.token;
}

beforeAll(async () => {
  server = await startServer({ env: { MADINA_SEED: 'auto', MADINA_SEED_SCALE: 'tiny', MADINA_SIMULATOR: 'off', MQTT_PORT: String(await freePort()) } });
  await login('admin', 'madina-demo-2026');
  for (const [username, roles, communes, centreId] of [
    ['agent', ['desk-agent'], [ANFA], 'demo-centre-001'],
    ['worker', ['centre-worker'], [], REHAB],
  ] as const) {
    const r = await api('admin', 'POST', '/api/auth/users', { username, password: 'a-long-password', roles, communes, centreId });
    expect(r.status).toBe(201);
    await login(username, 'a-long-password');
  }
}, 120_000);
afterAll(async () => {
  await server?.cleanup();
});

describe('social desk, black box', () => {
  it('lists the synthetic demo centres and shows them on the hub', async () => {
    const centres = await api('agent', 'GET', '/api/social/centres');
    expect(centres.body.total).toBe(30);
    const deadline = Date.now() + 30_000;
    let n = 0;
    while (Date.now() < deadline) {
      const r = await fetch(`${server.url}/ngsi-ld/v1/entities?type=SocialCentre&count=true&limit=1`, { headers: { authorization: `Bearer ${tokens.admin}` } });
      n = Number(r.headers.get('ngsild-results-count') ?? 0);
      if (n === 30) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(n).toBe(30);
  });

  it('answers 401 as problem+json without a session', async () => {
    const r = await api(null, 'GET', '/api/social/cases');
    expect(r.status).toBe(401);
    expect(r.type).toMatch(/application\/problem\+json/);
  });

  it('goes from intake to an accepted referral, the centre inbox hearing it live', async () => {
    const intake = await api('agent', 'POST', '/api/social/cases', {
      person: { givenName: 'Amina', familyName: 'Synthétique', birthDate: '1985-05-05', placeCode: ANFA, phone: '+212 600 000 002' },
      data: { needs: ['physiotherapy'], functioning: { mobility: 'a-lot' } },
      consents: [{ purpose: 'referral', fields: ['person.givenName', 'case.needs'], givenOn: '2026-03-01', givenBy: 'person' }],
    });
    expect(intake.status).toBe(201);

    const stream = await fetch(`${server.url}/api/social/centres/${REHAB}/inbox/stream`, { headers: { authorization: `Bearer ${tokens.worker}` } });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = stream.body!.getReader();
    let text = '';
    const heard = (async () => {
      while (!text.includes('event: referral')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
    })();

    const sent = await api('agent', 'POST', `/api/social/cases/${intake.body.id}/referrals`, { toCentreId: REHAB, reason: 'physiotherapy', services: ['physiotherapy'], sharedFields: ['person.givenName', 'case.needs'] });
    expect(sent.status).toBe(201);
    await Promise.race([heard, new Promise((_, reject) => setTimeout(() => reject(new Error(`no event; got: ${text}`)), 10_000))]);
    const event = JSON.parse(text.split('event: referral\ndata: ')[1].split('\n')[0]);
    expect(event).toEqual({ referralId: sent.body.id, kind: 'referral', state: 'pending', toCentreId: REHAB, fromCentreId: 'demo-centre-001' });
    expect(text).not.toContain('Amina');
    await reader.cancel();

    const inbox = await api('worker', 'GET', `/api/social/centres/${REHAB}/referrals?state=pending`);
    expect(inbox.body.items.map((i: any) => [i.id, i.person])).toEqual([[sent.body.id, { givenName: 'Amina' }]]);
    expect((await api('worker', 'POST', `/api/social/referrals/${sent.body.id}/accept`, {})).body.state).toBe('accepted');
    expect((await api('agent', 'GET', `/api/social/cases/${intake.body.id}`)).body.referrals[0].state).toBe('accepted');
  });

  it('keeps the audit chain intact', async () => {
    const r = await api('admin', 'GET', '/api/social/audit/verify');
    expect(r.body.ok).toBe(true);
    expect(r.body.entries).toBeGreaterThan(5);
    const entries = await api('admin', 'GET', '/api/social/audit?limit=1000');
    expect(entries.body.items.some((e: any) => e.action === 'access.denied' && e.outcome === 'unauthenticated')).toBe(true);
  });
});

describe('madina audit verify', () => {
  it('says the chain is intact, then finds the entry someone edited (exit code 1)', async () => {
    const store = await createTestStore();
    try {
      const port = await freePort();
      const env = { ...process.env, LOG_LEVEL: 'warn', MADINA_SEED: 'off', MADINA_SIMULATOR: 'off', MQTT_PORT: String(await freePort()), ...store.env, PORT: String(port), HOST: '127.0.0.1' };
      const child = spawn(process.execPath, ['bin/madina.js', 'start'], { cwd: ROOT, env, stdio: 'ignore' });
      const exited = new Promise((r) => child.once('exit', r));
      for (let i = 0; i < 600; i++) {
        const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok).catch(() => false);
        if (ok) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      for (let i = 0; i < 3; i++) expect((await fetch(`http://127.0.0.1:${port}/api/social/cases`)).status).toBe(401);
      await new Promise((r) => setTimeout(r, 300));
      child.kill('SIGTERM');
      await exited;

      const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/madina.js', 'audit', ...args], { cwd: ROOT, env, encoding: 'utf8' });
      const ok = cli('verify');
      expect(ok.stdout).toMatch(/^audit log: intact, 3 entries, head [0-9a-f]{64}\n$/);
      expect(ok.status).toBe(0);

      const db = store.env.DATABASE_URL ? await openPostgres(store.env.DATABASE_URL, 1) : await openPglite(join(store.env.MADINA_DATA_DIR, 'pg'));
      await db.exec("ALTER TABLE case_audit DISABLE TRIGGER case_audit_no_change; UPDATE case_audit SET at = '2020-01-01T00:00:00.000Z' WHERE seq = 2; ALTER TABLE case_audit ENABLE TRIGGER case_audit_no_change;");
      await db.close();
      const broken = cli('verify', '--json');
      expect(JSON.parse(broken.stdout)).toMatchObject({ ok: false, brokenAt: 2 });
      expect(broken.status).toBe(1);
      expect(cli('check').status).toBe(2);
    } finally {
      await store.drop();
    }
  }, 120_000);
});
