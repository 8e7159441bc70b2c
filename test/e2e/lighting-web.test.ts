/**
 * Browser test of the lighting page: a planner builds two master-plan scenarios for an arrondissement,
 * compares them (table, chart), downloads the comparison as CSV — in French and in Arabic, through Debian's
 * Chromium, controls found by their labels; the numbers shown are the API's, and the page passes axe.
 */
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../support/server.ts';
import { adminLogin, axe, buildWeb, launchBrowser, login, openPage, shotsDir, webHasChunk } from './web-support.ts';

const SHOTS = shotsDir('lighting');
const T: Record<string, any> = { fr: JSON.parse(readFileSync('web/src/modules/lighting/i18n/fr.json', 'utf8')), ar: JSON.parse(readFileSync('web/src/modules/lighting/i18n/ar.json', 'utf8')) };
const SIDI_BELYOUT = '061410107';

let server: TestServer;
let browser: Browser;
let planner: string;

async function api(token: string, method: string, path: string, body?: string | object, contentType = 'application/json') {
  const res = await fetch(server.url + path, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': contentType } : {}) }, body: typeof body === 'string' ? body : body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  return { status: res.status, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}

beforeAll(async () => {
  if (!webHasChunk('LightingPage-')) buildWeb();
  server = await startServer();
  const admin = await adminLogin(server.url);
  expect((await api(admin, 'POST', '/api/auth/users', { username: 'planner', password: 'a-long-password', roles: ['planner'], communes: ['*'] })).status).toBe(201);
  planner = await login(server.url, 'planner', 'a-long-password');
  // A small inventory: one cabinet and five lamps (HPS, MH, LED) in Sidi Belyout.
  for (const [type, file] of [
    ['StreetlightControlCabinet', 'cabinets.csv'],
    ['Streetlight', 'streetlights.csv'],
  ]) {
    expect((await api(planner, 'POST', `/api/lighting/import?type=${type}`, readFileSync(`test/fixtures/lighting/${file}`, 'utf8'), 'text/csv')).status).toBe(200);
  }
  browser = await launchBrowser();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await server?.cleanup();
});

describe.each(['fr', 'ar'])('lighting master plan in the browser (%s)', (lang) => {
  const t = T[lang];
  it('builds two scenarios, compares them and downloads the comparison', async () => {
    const page = await openPage(browser, { url: server.url, token: planner, lang, viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
    await page.goto(`${server.url}/lighting?view=plan&lang=${lang}`);
    await page.getByRole('heading', { level: 1, name: t.title }).waitFor();
    expect(await page.evaluate(() => document.documentElement.dir)).toBe(lang === 'ar' ? 'rtl' : 'ltr');

    // The area.
    await page.getByLabel(t.plan.area, { exact: true }).selectOption(SIDI_BELYOUT);
    await page.getByRole('button', { name: t.plan.addArea }).click();

    // Scenario 1: HPS and MH to 60 W LED, all night. Scenario 2: the same with 50% from 23:00 to 05:00 and new cabinets.
    const s1 = page.locator('fieldset[data-scenario-index="0"]');
    const s2 = page.locator('fieldset[data-scenario-index="1"]');
    await s1.getByLabel(t.plan.name, { exact: true }).fill('LED 60 W');
    await s1.getByLabel(t.plan.retrofitTech.replace('{{tech}}', 'HPS'), { exact: true }).fill('60');
    await s1.getByLabel(t.plan.retrofitTech.replace('{{tech}}', 'MH'), { exact: true }).fill('60');
    await s1.getByLabel(t.plan.profile, { exact: true }).selectOption('full');
    await s2.getByLabel(t.plan.name, { exact: true }).fill('LED + 50%');
    await s2.getByLabel(t.plan.retrofitTech.replace('{{tech}}', 'HPS'), { exact: true }).fill('60');
    await s2.getByLabel(t.plan.retrofitTech.replace('{{tech}}', 'MH'), { exact: true }).fill('');
    await s2.getByLabel(t.plan.profile, { exact: true }).selectOption('dim2305');
    await s2.getByLabel(t.plan.cabinets).check();

    await page.getByRole('button', { name: t.plan.compare }).click();
    const table = page.locator('table.lighting-table');
    await table.locator('tr[data-scenario="LED + 50%"]').waitFor();
    await page.screenshot({ path: `${SHOTS}/plan-${lang}.png`, fullPage: true });

    // The numbers on screen are the API's for the same inputs.
    const expected = await api(planner, 'POST', '/api/lighting/scenarios/evaluate', {
      areas: [{ kind: 'arrondissement', code: SIDI_BELYOUT }],
      scenarios: [
        { name: 'LED 60 W', retrofit: [{ technology: 'HPS', toWattW: 60 }, { technology: 'MH', toWattW: 60 }], profile: [{ start: 'dusk', level: 1 }], replaceCabinets: false },
        { name: 'LED + 50%', retrofit: [{ technology: 'HPS', toWattW: 60 }], profile: [{ start: 'dusk', level: 1 }, { start: '23:00', level: 0.5 }, { start: '05:00', level: 1 }], replaceCabinets: true },
      ],
    });
    expect(expected.status).toBe(200);
    const digits = (s: string) => Number(s.replace(/[^\d]/g, ''));
    for (const r of expected.body.results) {
      const cells = await table.locator(`tr[data-scenario="${r.scenario.name}"] td`).allTextContents();
      expect(digits(cells[0])).toBe(Math.round(r.total.scenario.energyKwh));
      expect(digits(cells[3])).toBe(Math.round(r.total.scenario.investmentMad));
    }
    // Both burn less than today; the second keeps the metal-halide lamp, so it saves less despite dimming.
    const [a, b] = expected.body.results.map((r: { total: { scenario: { energyKwh: number } } }) => r.total.scenario.energyKwh);
    expect(a).toBeLessThan(b);
    expect(b).toBeLessThan(expected.body.results[0].total.baseline.energyKwh);
    expect(await table.locator('tbody tr').count()).toBe(3);
    // The chart: one bar per scenario and one for today, labelled for assistive technology.
    const chart = page.getByRole('img', { name: t.plan.chartTitle });
    expect(await chart.locator('g[data-scenario]').count()).toBe(3);

    // The comparison as CSV.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: t.plan.downloadCsv }).click()]);
    const csv = readFileSync((await download.path())!, 'utf8').trim().split('\r\n');
    expect(csv[0]).toBe('scenario,area,name,lamps,energyKwh,costMad,co2T,investmentMad,savedKwh,savedMad,savedCo2T,paybackYears,npvMad');
    expect(csv.filter((l) => l.startsWith('LED 60 W,total,'))).toHaveLength(1);
    expect(csv.filter((l) => l.startsWith('LED + 50%,total,'))).toHaveLength(1);

    expect(await axe(page, '.lighting-page')).toEqual([]);
    await page.context().close();
  });
});

describe('lighting operations in the browser (fr)', () => {
  const t = T.fr;
  it('shows a new fault alert live, and the lamps on the map, accessibly', async () => {
    const page = await openPage(browser, { url: server.url, token: planner, lang: 'fr', viewport: { width: 1280, height: 1000 } });
    await page.goto(`${server.url}/lighting?view=alerts&lang=fr`);
    await page.getByRole('heading', { name: t.alerts.title }).waitFor();
    await page.getByText(t.alerts.empty).waitFor();
    expect(await axe(page, '.lighting-page')).toEqual([]);

    // Lamp sb-0001 becomes an HTTP device and reports being off in the middle of a January night.
    expect((await api(planner, 'POST', '/iot/groups', { groups: [{ apikey: 'web-lamps', resource: '/iot/json', entity_type: 'Streetlight' }] })).status).toBe(201);
    expect((await api(planner, 'POST', '/iot/devices', { devices: [{ device_id: 'sb-0001', entity_name: 'urn:ngsi-ld:Streetlight:sb-0001', apikey: 'web-lamps', transport: 'HTTP' }] })).status).toBe(201);
    expect((await api(planner, 'POST', '/iot/json?k=web-lamps&i=sb-0001', { powerState: 'off', powerConsumption: 0.4, TimeInstant: '2027-01-15T23:00:00Z' })).status).toBe(200);
    // It appears without reloading (server-sent events).
    await page.locator('tr[data-kind="offAtNight"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('tr[data-kind="offAtNight"] code').textContent()).toBe('sb-0001');
    await page.screenshot({ path: `${SHOTS}/alerts-fr.png`, fullPage: true });

    await page.getByRole('navigation', { name: t.tabs.label }).getByRole('link', { name: t.tabs.map, exact: true }).click();
    await page.getByLabel(t.map.place, { exact: true }).selectOption(SIDI_BELYOUT);
    await page.getByText(t.map.count.replace('{{count}}', '5')).waitFor({ timeout: 30_000 });
    await page.getByLabel(t.map.byTechnology).check();
    await page.screenshot({ path: `${SHOTS}/map-fr.png` });
    expect(await axe(page, '.lighting-page')).toEqual([]);
    await page.context().close();
  });
});
