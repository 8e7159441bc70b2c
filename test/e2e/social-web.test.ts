/**
 * Browser test of the social desk: from intake to an accepted referral, in French and in Arabic, through
 * Debian's Chromium — a desk agent fills the wizard (keyboard-reachable controls found by their labels),
 * refers the person to the first recommended centre, and that centre's worker accepts it in the inbox.
 */
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startServer, type TestServer } from '../support/server.ts';
import { adminLogin, axe, buildWeb, launchBrowser, login, openPage, shotsDir, webStale } from './web-support.ts';

const SHOTS = shotsDir('social');
const T: Record<string, any> = { fr: JSON.parse(readFileSync('web/src/modules/social/i18n/fr.json', 'utf8')), ar: JSON.parse(readFileSync('web/src/modules/social/i18n/ar.json', 'utf8')) };
const ANFA = '061410101';

let server: TestServer;
let browser: Browser;
let adminToken: string;

async function api(token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(server.url + path, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function userToken(username: string, roles: string[], communes: string[], centreId?: string): Promise<string> {
  const created = await api(adminToken, 'POST', '/api/auth/users', { username, password: 'a-long-password', roles, communes, centreId });
  expect(created.status).toBe(201);
  return login(server.url, username, 'a-long-password');
}

const pageAs = (token: string, lang: string): Promise<Page> => openPage(browser, { url: server.url, token, lang, viewport: { width: 1280, height: 900 } });

beforeAll(async () => {
  // The server serves web/dist: rebuild it when any web source is newer than the build.
  if (webStale()) buildWeb();
  server = await startServer({ env: { MADINA_SEED: 'auto', MADINA_SEED_SCALE: 'tiny', MADINA_SIMULATOR: 'off', MQTT_PORT: String(await freePort()) } });
  adminToken = await adminLogin(server.url);
  browser = await launchBrowser();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await server?.cleanup();
});

describe('social centres on the city map', () => {
  it('offers the synthetic centres as a map layer', async () => {
    const page = await pageAs(adminToken, 'fr');
    await page.goto(`${server.url}/map?lang=fr`);
    const toggle = page.getByRole('checkbox', { name: /Centres sociaux \(démo fictive\)/ }).first();
    await toggle.waitFor({ timeout: 30_000 });
    await page.context().close();
  }, 60_000);
});

describe.each(['fr', 'ar'])('social desk in the browser (%s)', (lang) => {
  const t = T[lang];
  it('goes from intake to an accepted referral', async () => {
    const agentToken = await userToken(`agent.${lang}`, ['desk-agent'], [ANFA], 'demo-centre-001');
    const agent = await pageAs(agentToken, lang);
    await agent.goto(`${server.url}/social?view=intake&lang=${lang}`);
    await agent.getByRole('heading', { name: t.wizard.title }).waitFor();
    expect(await agent.evaluate(() => document.documentElement.dir)).toBe(lang === 'ar' ? 'rtl' : 'ltr');
    expect(await axe(agent, '.social-page')).toEqual([]);

    // Next without the required fields: an error summary lists them, focus moves to it.
    await agent.getByRole('button', { name: t.common.next }).click();
    const alert = agent.locator('.social-error-summary');
    await alert.waitFor();
    expect(await alert.locator('li').count()).toBe(3);
    expect(await agent.evaluate(() => document.activeElement?.classList.contains('social-error-summary'))).toBe(true);

    // Step 1, by keyboard: type into the focused fields.
    await agent.locator('#f-person-givenName').focus();
    await agent.keyboard.type(lang === 'ar' ? 'أمينة' : 'Amina');
    await agent.keyboard.press('Tab');
    await agent.keyboard.type(lang === 'ar' ? 'التجريبية' : 'Fictive');
    await agent.locator('#f-person-birthDate').fill('1988-08-08');
    await agent.getByRole('radio', { name: t.person.female }).check();
    await agent.locator('#f-person-phone').fill('+212 600 000 003');
    await agent.locator('#f-person-placeCode').selectOption(ANFA);
    await agent.getByRole('button', { name: t.common.next }).click();

    // Step 2: needs.
    await agent.getByRole('heading', { name: new RegExp(t.wizard.steps.needs) }).waitFor();
    expect(await agent.evaluate(() => document.activeElement?.classList.contains('social-step-title'))).toBe(true);
    await agent.getByRole('checkbox', { name: t.services.physiotherapy }).check();
    await agent.getByLabel(t.needs.story).fill(lang === 'ar' ? 'شخص تجريبي.' : 'Personne fictive de test.');
    await agent.getByRole('button', { name: t.common.next }).click();

    // Step 3: functioning.
    await agent.getByRole('group', { name: t.domains.mobility }).getByRole('radio', { name: t.functioning.level['a-lot'] }).check();
    await agent.getByRole('button', { name: t.common.next }).click();

    // Step 4: consent.
    await agent.getByRole('checkbox', { name: t.wizard.consentGiven }).check();
    await agent.getByRole('button', { name: t.common.next }).click();

    // Step 5: review and save.
    await agent.getByRole('button', { name: t.wizard.submit }).click();
    await agent.getByRole('status').filter({ hasText: t.wizard.saved }).waitFor();
    const first = agent.locator('.social-recs > li').first();
    await first.waitFor();
    const centreId = (await first.getAttribute('data-centre'))!;
    expect(await first.locator('.social-factors tr').count()).toBe(5);
    await agent.screenshot({ path: `${SHOTS}/orientation-${lang}.png`, fullPage: true });
    expect(await axe(agent, '.social-page')).toEqual([]);

    const workerToken = await userToken(`worker.${lang}`, ['centre-worker'], [], centreId);
    await first.getByRole('button', { name: t.orientation.choose }).click();
    await agent.getByRole('status').filter({ hasText: t.orientation.sent.split('{{')[0].trim() }).waitFor();

    // The centre's worker sees the referral in the live inbox and accepts it.
    const worker = await pageAs(workerToken, lang);
    await worker.goto(`${server.url}/social?view=inbox&lang=${lang}`);
    const item = worker.locator('.social-inbox > li[data-state="pending"]').filter({ hasText: lang === 'ar' ? 'أمينة' : 'Amina' });
    await item.waitFor();
    // The birth date was not in the consent's scope: the centre does not get it.
    expect(await item.textContent()).not.toContain('1988');
    await worker.screenshot({ path: `${SHOTS}/inbox-${lang}.png`, fullPage: true });
    expect(await axe(worker, '.social-page')).toEqual([]);
    await item.getByRole('button', { name: t.inbox.accept }).click();
    await worker.locator('.social-inbox > li[data-state="accepted"]').filter({ hasText: lang === 'ar' ? 'أمينة' : 'Amina' }).waitFor();

    const cases = await api(agentToken, 'GET', '/api/social/cases');
    const mine = cases.body.items.find((c: any) => c.person.givenName === (lang === 'ar' ? 'أمينة' : 'Amina'));
    const full = await api(agentToken, 'GET', `/api/social/cases/${mine.id}`);
    expect(full.body.referrals.map((r: any) => [r.toCentreId, r.state])).toEqual([[centreId, 'accepted']]);
    await agent.context().close();
    await worker.context().close();
  }, 120_000);
});
