/**
 * Browser tests: the real server (seeded with the region at a tiny scale, simulator off) driven through
 * Debian's Chromium. Screenshots of every page in French and Arabic go to test-results/web/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startServer, type TestServer } from '../support/server.ts';
import { ensureWebBuilt, launchBrowser } from './web-support.ts';

const SHOTS = 'test-results/web';
const fr = JSON.parse(readFileSync('web/src/i18n/fr.json', 'utf8'));
const ar = JSON.parse(readFileSync('web/src/i18n/ar.json', 'utf8'));
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let server: TestServer;
let browser: Browser;
let mqttUrl: string;

async function json<T>(path: string): Promise<T> {
  const res = await fetch(server.url + path);
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return (await res.json()) as T;
}

async function newPage(lang = 'fr'): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: lang === 'ar' ? 'ar-MA' : 'fr-MA', reducedMotion: 'reduce' });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  return page;
}

async function mapReady(page: Page) {
  await page.waitForFunction(() => document.documentElement.dataset.mapReady === 'true', null, { timeout: 30_000 });
}

async function axe(page: Page): Promise<{ id: string; impact: string; nodes: string[] }[]> {
  await page.addScriptTag({ content: AXE });
  return page.evaluate(async () => {
    const w = window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } };
    const r = await w.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  ensureWebBuilt();
  const mqttPort = await freePort();
  mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
  server = await startServer({ env: { MADINA_SEED: 'auto', MADINA_SEED_SCALE: 'tiny', MADINA_SIMULATOR: 'off', MQTT_PORT: String(mqttPort) } });
  // The region seeds itself in the background; its Region entity is written last.
  const deadline = Date.now() + 120_000;
  while (!(await fetch(`${server.url}/ngsi-ld/v1/entities/urn:ngsi-ld:Region:MA-06`)).ok) {
    if (Date.now() > deadline) throw new Error(`region not seeded in time:\n${server.logs()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.cleanup();
});

describe('web app', () => {
  it('shows every commune of the region on the overview, in the table and on the map', async () => {
    const communes = await json<{ id: string; name: { languageMap: Record<string, string> } }[]>('/ngsi-ld/v1/entities?type=Commune&options=keyValues&limit=1000&pick=id,name');
    expect(communes.length).toBe(153);
    const page = await newPage();
    await page.goto(`${server.url}/`);
    await page.waitForSelector('table.data tbody tr');
    const names = await page.$$eval('table.data tbody th', (ths) => ths.map((t) => t.textContent));
    expect(names.length).toBe(153);
    expect(new Set(names)).toEqual(new Set(communes.map((c) => c.name.languageMap.fr)));
    // The KPI sums the table: 7,688,967 inhabitants in 2024 (HCP).
    expect(await page.textContent('.kpis div:first-child dd')).toBe((7688967).toLocaleString('fr-MA'));
    // Every commune is drawn, coloured from its indicator (no grey "no data" fill).
    await page.waitForFunction(() => {
      const map = (window as any).madina.maps.region;
      const codes = new Set(map.querySourceFeatures('communes').filter((f: any) => f.properties._color && f.properties._color !== '#d5d9db').map((f: any) => f.properties.code));
      return codes.size === 153;
    }, null, { timeout: 10_000 });
    await page.context().close();
  });

  it('switches to Arabic with a mirrored layout, translated labels, and keeps the choice', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/`);
    await page.waitForSelector('table.data tbody tr');
    await page.click('.lang-switch button[lang="ar"]');
    expect(await page.getAttribute('html', 'dir')).toBe('rtl');
    expect(await page.getAttribute('html', 'lang')).toBe('ar');
    expect(await page.textContent('h1')).toBe(ar.region.title);
    expect(await page.textContent('.main-nav a[href="/map"]')).toBe(ar.nav.map);
    const firstName = await page.textContent('table.data tbody th');
    expect(firstName).toBe('الدار البيضاء');
    // The sidebar-style layout mirrors: the KPI cards sit left of the title in Arabic.
    const h1 = await page.locator('h1').boundingBox();
    const kpis = await page.locator('.kpis').boundingBox();
    expect(kpis!.x).toBeLessThan(h1!.x);
    await page.reload();
    await page.waitForSelector('table.data tbody tr');
    expect(await page.getAttribute('html', 'dir')).toBe('rtl');
    await page.click('.lang-switch button[lang="fr"]');
    expect(await page.textContent('h1')).toBe(fr.region.title);
    await page.context().close();
  });

  it('opens a streetlight from the city map and shows its history, then updates it live from MQTT', async () => {
    const [light] = await json<{ id: string; deviceId: string; location: { coordinates: [number, number] } }[]>('/ngsi-ld/v1/entities?type=Streetlight&options=keyValues&limit=1&pick=id,deviceId,location');
    const page = await newPage();
    await page.goto(`${server.url}/map`);
    await mapReady(page);
    // Zoom to the streetlight (clusters open from zoom 16) and click it where the map draws it.
    const point = await page.evaluate(async (c) => {
      const map = (window as any).madina.maps.city;
      map.jumpTo({ center: c, zoom: 18 });
      await new Promise((r) => map.once('idle', r));
      const p = map.project(c);
      const box = map.getCanvas().getBoundingClientRect();
      return { x: box.x + p.x, y: box.y + p.y };
    }, light.location.coordinates);
    await page.mouse.click(point.x, point.y);
    await page.waitForSelector('#entity-title');
    expect(await page.textContent('.entity-id')).toBe(light.id);
    await page.waitForSelector('.chart canvas', { timeout: 15_000 });
    expect(await page.textContent('[data-testid="history-summary"]')).toMatch(/1 mesures|\d+ mesures/);

    // A measure published by the device over MQTT reaches the panel and the map without reload.
    const client = await mqtt.connectAsync(mqttUrl);
    const published = Date.now();
    await client.publishAsync(`/json/madina-streetlight/${light.deviceId}/attrs`, JSON.stringify({ powerConsumption: 87.5, status: 'defectiveLamp' }), { qos: 1 });
    await client.endAsync();
    await page.waitForFunction(() => document.querySelector('tr[data-attr="powerConsumption"] .attr-value')?.textContent?.includes('87,5'), null, { timeout: 10_000 });
    const latencyMs = Date.now() - published;
    await page.waitForFunction(
      (id) => (window as any).madina.layers.state('streetlights').features.get(id)?.properties.status === 'defectiveLamp',
      light.id,
      { timeout: 5_000 },
    );
    console.log(`live update on screen ${latencyMs} ms after the MQTT publish`);
    expect(latencyMs).toBeLessThan(5_000);
    await page.screenshot({ path: `${SHOTS}/map-entity-fr.png` });
    await page.context().close();
  });

  it('runs the main flows with the keyboard alone, with a visible focus', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/`);
    await page.waitForSelector('table.data tbody tr');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.className)).toBe('skip-link');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).not.toBe('none');
    // Through the navigation to the city map.
    let guard = 0;
    while ((await page.evaluate(() => document.activeElement?.getAttribute('href'))) !== '/map' && guard++ < 10) await page.keyboard.press('Tab');
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).not.toBe('none');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/map$/);
    await mapReady(page);
    // The streetlight table (the map's keyboard alternative), then one streetlight's panel, then Escape.
    guard = 0;
    while (!(await page.evaluate(() => document.activeElement?.textContent?.startsWith('Tableau') && document.activeElement.closest('.layer')?.querySelector('input')?.checked))) {
      await page.keyboard.press('Tab');
      if (guard++ > 20) throw new Error('no table button reached');
    }
    await page.keyboard.press('Enter');
    await page.waitForSelector('#layer-table tbody .row-button');
    guard = 0;
    while (!(await page.evaluate(() => document.activeElement?.classList.contains('row-button')))) {
      await page.keyboard.press('Tab');
      if (guard++ > 10) throw new Error('no row reached');
    }
    await page.keyboard.press('Enter');
    await page.waitForSelector('#entity-title');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('entity-title');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#entity-title', { state: 'detached' });
    // The language switch works from the keyboard too.
    await page.focus('.lang-switch button[lang="ar"]');
    await page.keyboard.press('Enter');
    expect(await page.getAttribute('html', 'dir')).toBe('rtl');
    await page.context().close();
  });

  it('has no serious or critical accessibility violations on any page, in French and Arabic', async () => {
    const pages = [
      ['/', 'region'],
      ['/map', 'map'],
      ['/alerts', 'alerts'],
      ['/about', 'about'],
    ] as const;
    const found: string[] = [];
    for (const lang of ['fr', 'ar']) {
      const page = await newPage(lang);
      for (const [path, name] of pages) {
        await page.goto(`${server.url}${path}?lang=${lang}`);
        if (name === 'map') await mapReady(page);
        else if (name === 'region') await page.waitForSelector('table.data tbody tr');
        else if (name === 'alerts') await page.waitForSelector('.alert-list, .alerts .muted');
        else await page.waitForSelector('h1');
        await page.waitForTimeout(300);
        await page.screenshot({ path: `${SHOTS}/${name}-${lang}.png` });
        for (const v of await axe(page)) found.push(`${lang} ${path}: ${v.impact} ${v.id} at ${v.nodes.join(', ')}`);
      }
      await page.context().close();
    }
    expect(found).toEqual([]);
  });
});
