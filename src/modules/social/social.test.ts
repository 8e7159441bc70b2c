import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestServer } from '../../../test/support/test-server.ts';
import type { Role } from '../../platform/auth/principal.ts';

/*
 * The desk through its HTTP API on a real store: permissions, consent, field filtering, referral
 * states, audit. Centres are the synthetic demo network (seeded in demo mode).
 */
let s: Awaited<ReturnType<typeof buildTestServer>>;
const tokens: Record<string, string> = {};
const ANFA = '061410101';
const AGENT_CENTRE = 'demo-centre-001';
const REHAB = 'demo-centre-009';
const OTHER_REHAB = 'demo-centre-016';

async function call(who: string | null, method: InjectOptions['method'], url: string, payload?: unknown, headers: Record<string, string> = {}) {
  const r = await s.madina.app.inject({ method, url, payload: payload as InjectOptions['payload'], headers: { ...(who ? { authorization: `Bearer ${tokens[who]}` } : {}), ...headers } });
  return { status: r.statusCode, body: r.body ? (String(r.headers['content-type'] ?? '').includes('json') ? r.json() : r.body) : undefined, headers: r.headers };
}

async function user(name: string, roles: Role[], communes: string[], centreId?: string) {
  await s.madina.auth.createUser({ username: name, password: 'a-long-password', roles, communes, centreId });
  const r = await s.madina.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: name, password: 'a-long-password' } });
  tokens[name] = r.json().token;
}

const intake = (over: Record<string, any> = {}) => ({
  person: { givenName: 'Zineb', familyName: 'El Amrani', birthDate: '1990-04-02', sex: 'female', phone: '+212 600 000 001', address: '12 rue fictive', placeCode: ANFA, nationalId: 'BK123456', ...over.person },
  data: { needs: ['physiotherapy', 'speech-therapy'], functioning: { mobility: 'a-lot', communication: 'some' }, livingSituation: 'with-family', story: 'Synthetic test person.', ...over.data },
  consents: over.consents ?? [{ purpose: 'referral', fields: ['person.givenName', 'person.familyName', 'case.needs', 'case.functioning'], givenOn: '2026-03-01', givenBy: 'person' }],
});

async function count(table: string): Promise<number> {
  return Number((await s.t.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
}

async function auditWhere(where: string): Promise<any[]> {
  return (await s.t.db.query(`SELECT * FROM case_audit WHERE ${where} ORDER BY seq`)).rows;
}

beforeAll(async () => {
  s = await buildTestServer({ MADINA_SEED: 'auto' });
  await user('agent', ['desk-agent'], [ANFA], AGENT_CENTRE);
  await user('worker', ['centre-worker'], [], REHAB);
  await user('manager', ['centre-manager'], [], REHAB);
  await user('manager2', ['centre-manager'], [], OTHER_REHAB);
  await user('supervisor', ['supervisor'], ['*']);
  await user('planner', ['planner'], ['*']);
  const admin = await s.madina.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: 'madina-demo-2026' } });
  tokens.admin = admin.json().token;
  // Mobility data: two stops of one tram line, one near Anfa's reference point, one near Sidi Belyout's centre.
  const stop = (id: string, coordinates: number[]) => ({ id: `urn:ngsi-ld:TransitStop:${id}`, type: 'TransitStop', lines: { type: 'Property', value: ['T1'] }, location: { type: 'GeoProperty', value: { type: 'Point', coordinates } } });
  const up = await call('admin', 'POST', '/ngsi-ld/v1/entityOperations/upsert', [stop('anfa', [-7.6905, 33.5812]), stop('belyout', [-7.6150, 33.6005])]);
  expect(up.status).toBeLessThan(300);
});
afterAll(async () => {
  await s?.close();
});

describe('centres network', () => {
  it('seeds 30 synthetic centres and publishes them to the hub without personal data', async () => {
    const list = await call('agent', 'GET', '/api/social/centres');
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(30);
    expect(list.body.items.every((c: any) => c.synthetic === true)).toBe(true);
    let hub: any[] = [];
    for (let i = 0; i < 50 && hub.length < 30; i++) {
      await new Promise((r) => setTimeout(r, 100));
      hub = (await call('admin', 'GET', '/ngsi-ld/v1/entities?type=SocialCentre&limit=100&options=keyValues')).body;
    }
    expect(hub).toHaveLength(30);
    const e = hub.find((x) => x.id === `urn:ngsi-ld:SocialCentre:${REHAB}`);
    expect(e).toMatchObject({ centreType: 'rehabilitation', synthetic: true, location: { type: 'Point' } });
    expect(e.services).toContain('physiotherapy');
    expect(Object.keys(e).sort()).toEqual(
      ['accessibility', 'availablePlaces', 'averageWaitDays', 'capacity', 'centreType', 'communeCode', 'dataProvider', 'functioningDomains', 'id', 'location', 'name', 'occupancy', 'openingHours', 'placeCode', 'scope', 'services', 'synthetic', 'type', 'waitingList'].sort(),
    );
  });

  it('lets the manager of a centre update it (and no one else of the desk)', async () => {
    expect((await call('manager', 'PATCH', `/api/social/centres/${REHAB}`, { waitingList: 3 })).body.waitingList).toBe(3);
    expect((await call('manager', 'PATCH', `/api/social/centres/${OTHER_REHAB}`, { waitingList: 3 })).status).toBe(403);
    expect((await call('worker', 'PATCH', `/api/social/centres/${REHAB}`, { waitingList: 3 })).status).toBe(403);
    const bad = await call('manager', 'PATCH', `/api/social/centres/${REHAB}`, { services: ['juggling'] });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ pointer: '/services/0', detail: expect.stringMatching(/must be one of/) }]);
  });
});

describe('authentication and permission refusals', () => {
  it('answers 401 without a session and 403 without the role, and audits both', async () => {
    const before = (await auditWhere("action = 'access.denied'")).length;
    expect((await call(null, 'GET', '/api/social/cases')).status).toBe(401);
    expect((await call('planner', 'GET', '/api/social/cases')).status).toBe(403);
    await new Promise((r) => setTimeout(r, 200));
    const rows = (await auditWhere("action = 'access.denied'")).slice(before).filter((r) => r.details.route === '/api/social/cases');
    // Refusals are audited without holding the answer back: on PostgreSQL the two may commit in either order.
    const byOutcome = (a: string[], b: string[]) => a[0].localeCompare(b[0]);
    expect(rows.map((r) => [r.outcome, r.actor_name, r.details.route]).sort(byOutcome)).toEqual([
      ['denied', 'planner', '/api/social/cases'],
      ['unauthenticated', 'anonymous', '/api/social/cases'],
    ]);
  });
});

let caseId: string;
let consentId: string;

describe('intake', () => {
  it('rejects invalid data with one error per field and saves nothing', async () => {
    const before = [await count('case_persons'), await count('case_cases'), await count('case_consents'), await count('case_audit')];
    const r = await call('agent', 'POST', '/api/social/cases', intake({ person: { placeCode: '999999999', nationalId: '??' }, data: { needs: ['juggling'], functioning: { mobility: 'very' } } }));
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toMatch(/problem\+json/);
    expect(r.body.errors.map((e: any) => e.pointer).sort()).toEqual(['/data/functioning/mobility', '/data/needs/0', '/person/nationalId', '/person/placeCode']);
    expect([await count('case_persons'), await count('case_cases'), await count('case_consents'), await count('case_audit')]).toEqual(before);
  });

  it('refuses an intake outside the agent communes', async () => {
    expect((await call('agent', 'POST', '/api/social/cases', intake({ person: { placeCode: '063710101' } }))).status).toBe(403);
  });

  it('opens a case with its consent, keeps only a keyed hash of the national id, and audits it', async () => {
    const r = await call('agent', 'POST', '/api/social/cases', intake());
    expect(r.status).toBe(201);
    caseId = r.body.id;
    consentId = r.body.consents[0].id;
    expect(r.body).toMatchObject({ state: 'open', ownerCentreId: AGENT_CENTRE, form: { id: 'social-desk-intake', version: 1 }, person: { givenName: 'Zineb', placeCode: ANFA }, possibleDuplicates: [] });
    expect(JSON.stringify(r.body)).not.toContain('BK123456');
    const stored = (await s.t.db.query<any>('SELECT * FROM case_persons WHERE given_name = $1', ['Zineb'])).rows[0];
    expect(stored.national_id_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain('123456');
    expect((await auditWhere(`case_id = '${caseId}' AND action = 'case.create'`)).map((a) => [a.actor_name, a.outcome])).toEqual([['agent', 'ok']]);
  });

  it('flags a possible duplicate at intake (same national id written differently)', async () => {
    const r = await call('agent', 'POST', '/api/social/cases', intake({ person: { givenName: 'Z.', nationalId: 'bk 123-456' }, consents: [] }));
    expect(r.status).toBe(201);
    expect(r.body.possibleDuplicates).toEqual([{ caseId, reasons: ['same-national-id'] }]);
    const again = await call('agent', 'GET', `/api/social/cases/${caseId}`);
    expect(again.body.possibleDuplicates).toEqual([{ caseId: r.body.id, reasons: ['same-national-id'] }]);
  });

  it('audits every read of a case with who and why', async () => {
    await call('agent', 'GET', `/api/social/cases/${caseId}`, undefined, { 'x-madina-reason': 'preparing the orientation' });
    const reads = await auditWhere(`case_id = '${caseId}' AND action = 'case.read'`);
    expect(reads.at(-1)).toMatchObject({ actor_name: 'agent', reason: 'preparing the orientation', outcome: 'ok' });
  });
});

describe('field-level permissions', () => {
  it('gives a supervisor no names, phone or story: absent from the response', async () => {
    const r = await call('supervisor', 'GET', `/api/social/cases/${caseId}`);
    expect(r.status).toBe(200);
    expect(r.body.person).toEqual({ sex: 'female', placeCode: ANFA });
    expect(Object.keys(r.body.data).sort()).toEqual(['functioning', 'needs']);
    expect(r.body).not.toHaveProperty('notes');
    expect(r.body).not.toHaveProperty('attachments');
    expect(JSON.stringify(r.body)).not.toMatch(/Zineb|Amrani|600 000|fictive|Synthetic test person/);
  });

  it('keeps a centre that received nothing out of the case', async () => {
    expect((await call('worker', 'GET', `/api/social/cases/${caseId}`)).status).toBe(403);
  });
});

let referralId: string;

describe('referrals and consent', () => {
  it('refuses a referral that no consent covers', async () => {
    const r = await call('agent', 'POST', `/api/social/cases/${caseId}/referrals`, { toCentreId: REHAB, reason: 'physiotherapy', services: ['physiotherapy'], sharedFields: ['person.givenName', 'person.phone'] });
    expect(r.status).toBe(409);
    expect(r.body.type).toBe('/problems/cases/consent-required');
    expect(await count('case_referrals')).toBe(0);
  });

  it('sends a referral within the consent; the case becomes referred', async () => {
    const r = await call('agent', 'POST', `/api/social/cases/${caseId}/referrals`, { toCentreId: REHAB, reason: 'physiotherapy twice a week', services: ['physiotherapy'], sharedFields: ['person.givenName', 'case.needs'] });
    expect(r.status).toBe(201);
    referralId = r.body.id;
    expect(r.body).toMatchObject({ state: 'pending', consentId, fromCentreId: AGENT_CENTRE, toCentreId: REHAB });
    expect((await call('agent', 'GET', `/api/social/cases/${caseId}`)).body.state).toBe('referred');
  });

  it('shows the receiving centre only the fields the referral shares, in its inbox and on the case', async () => {
    const inbox = await call('worker', 'GET', `/api/social/centres/${REHAB}/referrals?state=pending`);
    expect(inbox.status).toBe(200);
    expect(inbox.body.items).toHaveLength(1);
    expect(inbox.body.items[0]).toMatchObject({ id: referralId, person: { givenName: 'Zineb' }, data: { needs: ['physiotherapy', 'speech-therapy'] } });
    expect(inbox.body.items[0].person).toEqual({ givenName: 'Zineb' });
    expect(inbox.body.items[0].data).toEqual({ needs: ['physiotherapy', 'speech-therapy'] });
    const c = await call('worker', 'GET', `/api/social/cases/${caseId}`);
    expect(c.status).toBe(200);
    expect(c.body.person).toEqual({ givenName: 'Zineb' });
    expect(c.body.data).toEqual({ needs: ['physiotherapy', 'speech-therapy'] });
    expect(c.body).not.toHaveProperty('notes');
    expect(c.body.access.fields).toEqual(['case.needs', 'person.givenName']);
    expect((await call('worker', 'GET', `/api/social/centres/${OTHER_REHAB}/referrals`)).status).toBe(403);
  });

  it('lets only a manager decline, and only with a reason', async () => {
    expect((await call('worker', 'POST', `/api/social/referrals/${referralId}/decline`, { reason: 'full' })).status).toBe(403);
    const noReason = await call('manager', 'POST', `/api/social/referrals/${referralId}/decline`, {});
    expect(noReason.status).toBe(400);
    expect(noReason.body.errors).toEqual([{ pointer: '/reason', detail: 'is required' }]);
    expect((await call('manager2', 'POST', `/api/social/referrals/${referralId}/accept`, {})).status).toBe(403);
  });

  it('accepts, records a service, completes with an outcome; state rules hold', async () => {
    expect((await call('worker', 'POST', `/api/social/referrals/${referralId}/complete`, { outcome: 'done' })).status).toBe(409);
    const acc = await call('worker', 'POST', `/api/social/referrals/${referralId}/accept`, {});
    expect(acc.body.state).toBe('accepted');
    expect((await call('worker', 'POST', `/api/social/referrals/${referralId}/accept`, {})).status).toBe(409);
    expect((await call('worker', 'POST', `/api/social/cases/${caseId}/services`, { service: 'physiotherapy', deliveredOn: '2026-03-05', referralId })).status).toBe(201);
    expect((await call('worker', 'POST', `/api/social/referrals/${referralId}/complete`, {})).status).toBe(400);
    const done = await call('worker', 'POST', `/api/social/referrals/${referralId}/complete`, { outcome: '10 sessions of physiotherapy' });
    expect(done.body).toMatchObject({ state: 'completed', outcome: '10 sessions of physiotherapy' });
    expect((await call('worker', 'POST', `/api/social/referrals/${referralId}/decline`, { reason: 'x' })).status).toBe(403);
    expect((await call('manager', 'POST', `/api/social/referrals/${referralId}/decline`, { reason: 'x' })).status).toBe(409);
    expect((await call('agent', 'GET', `/api/social/cases/${caseId}`)).body.state).toBe('active');
  });

  it('stops sharing at once when the consent is withdrawn', async () => {
    const r2 = await call('agent', 'POST', `/api/social/cases/${caseId}/referrals`, { toCentreId: REHAB, reason: 'speech therapy', services: ['speech-therapy'], sharedFields: ['person.givenName', 'case.functioning'] });
    expect(r2.status).toBe(201);
    expect((await call('worker', 'POST', `/api/social/referrals/${r2.body.id}/accept`, {})).status).toBe(200);
    const r3 = await call('agent', 'POST', `/api/social/cases/${caseId}/referrals`, { toCentreId: OTHER_REHAB, reason: 'second opinion', services: ['physiotherapy'], sharedFields: ['person.givenName'] });
    expect(r3.status).toBe(201);
    expect((await call('worker', 'GET', `/api/social/cases/${caseId}`)).body.person).toEqual({ givenName: 'Zineb' });

    const w = await call('agent', 'POST', `/api/social/cases/${caseId}/consents/${consentId}/withdraw`, { reason: 'the person asked' });
    expect(w.status).toBe(200);
    expect(w.body.cancelledReferrals).toEqual([r3.body.id]);

    const seen = await call('worker', 'GET', `/api/social/cases/${caseId}`);
    expect(seen.body.person).toEqual({});
    expect(seen.body.data).toEqual({});
    const inbox = await call('worker', 'GET', `/api/social/centres/${REHAB}/referrals?state=accepted`);
    expect(inbox.body.items[0]).toMatchObject({ id: r2.body.id, consentActive: false, person: {}, data: {} });
    const again = await call('agent', 'POST', `/api/social/cases/${caseId}/referrals`, { toCentreId: REHAB, reason: 'again', services: ['physiotherapy'], sharedFields: ['person.givenName'] });
    expect(again.status).toBe(409);
    await call('worker', 'POST', `/api/social/referrals/${r2.body.id}/complete`, { outcome: 'stopped' });
  });

  it('transfers ownership only when the receiver accepts, with a transfer consent', async () => {
    const noConsent = await call('agent', 'POST', `/api/social/cases/${caseId}/transfers`, { toCentreId: OTHER_REHAB, reason: 'moves to Sidi Belyout', sharedFields: ['person.givenName'] });
    expect(noConsent.status).toBe(409);
    const c = await call('agent', 'POST', `/api/social/cases/${caseId}/consents`, { purpose: 'transfer', fields: ['person.givenName', 'person.familyName'], centreIds: [OTHER_REHAB], givenOn: '2026-03-10', givenBy: 'person' });
    expect(c.status).toBe(201);
    const t = await call('agent', 'POST', `/api/social/cases/${caseId}/transfers`, { toCentreId: OTHER_REHAB, reason: 'moves to Sidi Belyout', sharedFields: ['person.givenName'] });
    expect(t.status).toBe(201);
    expect((await call('agent', 'GET', `/api/social/cases/${caseId}`)).body.ownerCentreId).toBe(AGENT_CENTRE);
    expect((await call('manager2', 'GET', `/api/social/cases/${caseId}`)).body.person).toEqual({ givenName: 'Zineb' });
    // No role may "complete" a transfer (it ends when accepted); an administrator meets the state rule.
    expect((await call('manager2', 'POST', `/api/social/referrals/${t.body.id}/complete`, { outcome: 'x' })).status).toBe(403);
    expect((await call('admin', 'POST', `/api/social/referrals/${t.body.id}/complete`, { outcome: 'x' })).status).toBe(409);
    expect((await call('manager2', 'POST', `/api/social/referrals/${t.body.id}/accept`, {})).body.state).toBe('accepted');
    const owned = await call('manager2', 'GET', `/api/social/cases/${caseId}`);
    expect(owned.body.ownerCentreId).toBe(OTHER_REHAB);
    expect(owned.body.person).toMatchObject({ givenName: 'Zineb', familyName: 'El Amrani', phone: '+212 600 000 001' });
  });
});

describe('orientation', () => {
  let caseB: string;
  it('ranks centres with the contribution of each factor', async () => {
    const r = await call('agent', 'POST', '/api/social/cases', intake({ person: { givenName: 'Youssef', familyName: 'Test', nationalId: 'AB99999', birthDate: '2001-01-01' }, data: { needs: ['physiotherapy'], functioning: { mobility: 'cannot' } } }));
    caseB = r.body.id;
    const o = await call('agent', 'GET', `/api/social/cases/${caseB}/orientation`);
    expect(o.status).toBe(200);
    const recs = o.body.recommendations;
    expect(recs.length).toBeGreaterThan(3);
    for (const rec of recs) {
      expect(rec.contributions.map((c: any) => c.factor)).toEqual(['services', 'domains', 'availability', 'proximity', 'accessibility']);
      const sum = rec.contributions.reduce((s: number, c: any) => s + c.weight * c.score, 0);
      expect(rec.score).toBeCloseTo(sum, 0);
    }
    expect(recs.map((r: any) => r.score)).toEqual([...recs.map((r: any) => r.score)].sort((a: number, b: number) => b - a));
    expect(recs[0].contributions[0].detail.offered).toContain('physiotherapy');
    // Sidi Belyout's centre is served by the tram from Anfa: its proximity is a transit time.
    const belyout = recs.find((r: any) => r.centreId === OTHER_REHAB);
    const proximity = belyout.contributions.find((c: any) => c.factor === 'proximity');
    expect(proximity.detail.basis).toBe('transit-time');
    expect(proximity.detail.travelTimeMin).toBeGreaterThan(20);
    expect(proximity.detail.travelTimeMin).toBeLessThan(60);
    expect(recs.find((r: any) => r.contributions.find((c: any) => c.factor === 'proximity').detail.basis === 'distance')).toBeDefined();
  });

  it('keeps an override with its reason, and refuses one without', async () => {
    const o = await call('agent', 'GET', `/api/social/cases/${caseB}/orientation`);
    const second = o.body.recommendations[1].centreId;
    const noReason = await call('agent', 'POST', `/api/social/cases/${caseB}/orientation`, { centreId: second });
    expect(noReason.status).toBe(400);
    expect(noReason.body.errors[0].pointer).toBe('/reason');
    const ok = await call('agent', 'POST', `/api/social/cases/${caseB}/orientation`, { centreId: second, reason: 'closer to the family' });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ overridden: true, overrideReason: 'closer to the family', chosenCentreId: second, recommendedCentreId: o.body.recommendations[0].centreId });
    const top = await call('agent', 'POST', `/api/social/cases/${caseB}/orientation`, { centreId: o.body.recommendations[0].centreId });
    expect(top.body.overridden).toBe(false);
    const hist = await call('agent', 'GET', `/api/social/cases/${caseB}/orientation`);
    expect(hist.body.history.map((h: any) => [h.overridden, h.overrideReason])).toEqual([
      [true, 'closer to the family'],
      [false, null],
    ]);
  });
});

describe('case lifecycle, notes, follow-ups, attachments', () => {
  it('closes and reopens; a closed case takes no new referral', async () => {
    const r = await call('agent', 'POST', '/api/social/cases', intake({ person: { givenName: 'Karim', nationalId: 'CD11111', birthDate: '1980-02-02' } }));
    const id = r.body.id;
    expect((await call('agent', 'POST', `/api/social/cases/${id}/state`, { to: 'closed' })).body.state).toBe('closed');
    expect((await call('agent', 'POST', `/api/social/cases/${id}/state`, { to: 'closed' })).status).toBe(409);
    expect((await call('agent', 'POST', `/api/social/cases/${id}/referrals`, { toCentreId: REHAB, reason: 'x', services: [], sharedFields: [] })).status).toBe(409);
    expect((await call('agent', 'POST', `/api/social/cases/${id}/state`, { to: 'reopened' })).body.state).toBe('reopened');
    expect((await call('agent', 'POST', `/api/social/cases/${id}/notes`, { body: 'called the family' })).status).toBe(201);
    expect((await call('agent', 'POST', `/api/social/cases/${id}/followups`, { title: 'call back', dueOn: '2026-04-01' })).status).toBe(201);
    const c = await call('agent', 'GET', `/api/social/cases/${id}`);
    expect(c.body.notes.map((n: any) => n.body)).toEqual(['called the family']);
    expect(c.body.followups.map((f: any) => [f.title, f.dueOn, f.doneAt])).toEqual([['call back', '2026-04-01', null]]);
    const bad = await call('agent', 'PUT', `/api/social/cases/${id}/data`, { needs: [], functioning: {} });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ pointer: '/data/needs', detail: 'must NOT have fewer than 1 items' }]);
  });

  it('checks attachment type and size', async () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(100, 32)]).toString('base64');
    const ok = await call('agent', 'POST', `/api/social/cases/${caseId}/attachments`, { name: 'report.pdf', mediaType: 'application/pdf', contentBase64: pdf });
    expect(ok.status).toBe(201);
    const dl = await s.madina.app.inject({ method: 'GET', url: `/api/social/cases/${caseId}/attachments/${ok.body.id}`, headers: { authorization: `Bearer ${tokens.agent}` } });
    expect(dl.statusCode).toBe(200);
    expect(dl.rawPayload.subarray(0, 4).toString()).toBe('%PDF');
    expect((await call('agent', 'POST', `/api/social/cases/${caseId}/attachments`, { name: 'x.exe', mediaType: 'application/x-msdownload', contentBase64: pdf })).status).toBe(415);
    expect((await call('agent', 'POST', `/api/social/cases/${caseId}/attachments`, { name: 'fake.pdf', mediaType: 'application/pdf', contentBase64: Buffer.from('MZ...').toString('base64') })).status).toBe(415);
    const big = Buffer.concat([Buffer.from('%PDF'), Buffer.alloc(2 * 1024 * 1024)]).toString('base64');
    expect((await call('agent', 'POST', `/api/social/cases/${caseId}/attachments`, { name: 'big.pdf', mediaType: 'application/pdf', contentBase64: big })).status).toBe(413);
  });
});

describe('supervision', () => {
  it('gives the supervisor aggregates without identifiers; others get 403', async () => {
    const d = await call('supervisor', 'GET', '/api/social/dashboard');
    expect(d.status).toBe(200);
    expect(d.body.referrals.referral).toEqual({ completed: 2, cancelled: 1 });
    expect(d.body.referrals.transfer).toEqual({ accepted: 1 });
    expect(d.body.timeToFirstService.cases).toBe(1);
    expect(d.body.unmetNeeds.find((n: any) => n.need === 'physiotherapy')).toMatchObject({ placeCode: ANFA, cases: 4, met: 1, unmet: 3 });
    expect(JSON.stringify(d.body)).not.toMatch(/Zineb|Youssef|Karim/);
    expect((await call('agent', 'GET', '/api/social/dashboard')).status).toBe(403);
  });

  it('publishes indicators per commune to the hub, small counts suppressed', async () => {
    // Anfa has 4 cases so far: one more makes 5, the threshold.
    expect((await call('agent', 'POST', '/api/social/cases', intake({ person: { givenName: 'Salma', nationalId: 'EE22222', birthDate: '1999-09-09' }, consents: [] }))).status).toBe(201);
    const r = await call('supervisor', 'POST', '/api/social/indicators/publish');
    expect(r.status).toBe(200);
    const kpis = (await call('admin', 'GET', '/ngsi-ld/v1/entities?type=KeyPerformanceIndicator&limit=100&options=keyValues')).body.filter((k: any) => k.id.includes(':social-desk:'));
    const cases = kpis.find((k: any) => k.id.endsWith(`${ANFA}:cases`));
    expect(cases).toMatchObject({ kpiValue: 5, suppressed: false });
    const referrals = kpis.find((k: any) => k.id.endsWith(`${ANFA}:referrals`));
    expect(referrals).toMatchObject({ suppressed: true });
    expect(referrals).not.toHaveProperty('kpiValue');
    expect(JSON.stringify(kpis)).not.toMatch(/Zineb|Youssef|Karim|BK123/);
  });
});

describe('identity key', () => {
  it('takes MADINA_IDENTITY_KEY, refuses production without one, and keeps a generated demo key', async () => {
    const { loadIdentityKey, CaseStore } = await import('../cases/index.ts');
    const { ConfigError } = await import('../../platform/config.ts');
    const store = new CaseStore();
    const key = 'k'.repeat(40);
    expect((await loadIdentityKey(s.t.db, store, 'production', key)).toString()).toBe(key);
    await expect(loadIdentityKey(s.t.db, store, 'production', undefined)).rejects.toBeInstanceOf(ConfigError);
    await expect(loadIdentityKey(s.t.db, store, 'demo', 'short')).rejects.toThrow(/at least 32/);
    const demo = await loadIdentityKey(s.t.db, store, 'demo', undefined);
    expect(demo.length).toBeGreaterThanOrEqual(32);
    expect((await loadIdentityKey(s.t.db, store, 'demo', undefined)).equals(demo)).toBe(true);
  });
});

describe('madina audit verify (CLI core)', () => {
  it('prints an intact chain and exits 0', async () => {
    const { runAuditCli } = await import('../cases/index.ts');
    let out = '';
    const io = { stdout: (t: string) => void (out += t), stderr: (t: string) => void (out += t) };
    const db = { ...s.t.db, query: s.t.db.query.bind(s.t.db), exec: s.t.db.exec.bind(s.t.db), transaction: s.t.db.transaction.bind(s.t.db), close: async () => {} };
    expect(await runAuditCli(['verify'], io, async () => db)).toBe(0);
    expect(out).toMatch(/^audit log: intact, \d+ entries, head [0-9a-f]{64}\n$/);
    expect(await runAuditCli(['nonsense'], io, async () => db)).toBe(2);
  });
});

describe('audit chain', () => {
  it('verifies, then detects an edited entry', async () => {
    const ok = await call('supervisor', 'GET', '/api/social/audit/verify');
    expect(ok.body).toMatchObject({ ok: true });
    expect(ok.body.entries).toBe(await count('case_audit'));
    expect((await call('agent', 'GET', '/api/social/audit/verify')).status).toBe(403);
    // Someone with database access edits a row (after disabling the append-only trigger).
    await s.t.db.exec("ALTER TABLE case_audit DISABLE TRIGGER case_audit_no_change; UPDATE case_audit SET actor_name = 'nobody' WHERE seq = 5; ALTER TABLE case_audit ENABLE TRIGGER case_audit_no_change;");
    const bad = await call('admin', 'GET', '/api/social/audit/verify');
    expect(bad.body).toMatchObject({ ok: false, brokenAt: 5 });
  });

  it('refuses updates and deletes of audit rows in the database', async () => {
    await expect(s.t.db.query('DELETE FROM case_audit WHERE seq = 1')).rejects.toThrow(/append-only/);
  });
});
