/**
 * Browser test of waste collection: a planner opens the page for a place of the seeded region, plans
 * tomorrow's collection, follows the progress, and sees the routes on the map — one line per truck
 * through numbered stops — with the plan's table, in French and in Arabic.
 */
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startServer, type TestServer } from '../support/server.ts';
import { adminLogin, axe, buildWeb, launchBrowser, openPage, shotsDir, webHasChunk } from './web-support.ts';

const SHOTS = shotsDir('waste');
const T: Record<string, any> = { fr: JSON.parse(readFileSync('web/src/modules/waste/i18n/fr.json', 'utf8')), ar: JSON.parse(readFileSync('web/src/modules/waste/i18n/ar.json', 'utf8')) };

let server: TestServer;
let browser: Browser;
let token: string;
let place: string;
let containerCount: number;

beforeAll(async () => {
  if (!webHasChunk('WastePage-')) buildWeb();
  server = await startServer({ env: { MADINA_SEED: 'auto', MADINA_SEED_SCALE: 'tiny', MADINA_SIMULATOR: 'off', MQTT_PORT: String(await freePort()) } });
  token = await adminLogin(server.url);
  const deadline = Date.now() + 150_000;
  while (Date.now() < deadline && (await fetch(`${server.url}/ngsi-ld/v1/entities/urn:ngsi-ld:Region:MA-06`)).status !== 200) await new Promise((r) => setTimeout(r, 1000));
  const bins = (await (await fetch(`${server.url}/ngsi-ld/v1/entities?type=WasteContainer&attrs=binCapacity&limit=1000&options=keyValues`)).json()) as { scope: string }[];
  const counts = new Map<string, number>();
  for (const b of bins) counts.set(String(b.scope).split('/').pop()!, (counts.get(String(b.scope).split('/').pop()!) ?? 0) + 1);
  [place, containerCount] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
  browser = await launchBrowser();
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await server?.cleanup();
});

describe.each(['fr', 'ar'])('waste collection in the browser (%s)', (lang) => {
  const t = T[lang];
  it('plans a collection for a place of the seeded region and shows the routes on the map', async () => {
    const errors: string[] = [];
    const page = await openPage(browser, { url: server.url, token, lang, viewport: { width: 1280, height: 900 }, onPageError: (e) => errors.push(e.message) });
    await page.goto(`${server.url}/waste?commune=${place}&lang=${lang}`);
    await page.getByRole('heading', { name: t.form.title }).waitFor();
    expect(await page.evaluate(() => document.documentElement.dir)).toBe(lang === 'ar' ? 'rtl' : 'ltr');
    const select = page.getByLabel(t.form.commune);
    await page.waitForFunction((code) => !!document.querySelector(`#waste-commune option[value="${code}"]`), place);
    expect(await select.inputValue()).toBe(place);

    // Collect everything (threshold 0): the stops on the map are then exactly the place's containers.
    await page.getByLabel(t.form.threshold).fill('0');
    await page.getByLabel(t.form.seconds).fill('1');
    await page.getByRole('button', { name: t.form.submit }).click();
    const title = page.getByRole('heading', { level: 2, name: new RegExp(t.plan.title.split('{{')[0].trim()) });
    await title.waitFor({ timeout: 60_000 });

    const onMap = await page.waitForFunction(
      () => {
        const map = (window as any).madina?.maps?.waste;
        const routes = map?.getSource('waste-routes')?.serialize().data;
        const stops = map?.getSource('waste-stops')?.serialize().data;
        return routes?.features?.length ? { routes: routes.features.length, stops: stops.features.length, colours: routes.features.map((f: any) => f.properties.colour) } : null;
      },
      undefined,
      { timeout: 30_000 },
    );
    const drawn = (await onMap.jsonValue()) as { routes: number; stops: number; colours: string[] };
    expect(drawn.stops).toBe(containerCount);
    expect(new Set(drawn.colours).size).toBe(drawn.routes);
    // Every stop has its number on the map, 1..n per truck.
    expect(await page.locator('.waste-stop-label').count()).toBe(containerCount);
    expect(await page.locator('.waste-route').count()).toBe(drawn.routes);
    // The map actually rendered (WebGL canvas present and sized).
    const size = await page.locator('.waste-map canvas').first().boundingBox();
    expect(size!.width).toBeGreaterThan(300);
    await page.screenshot({ path: `${SHOTS}/plan-${lang}.png` });
    expect(await axe(page, '.waste-page')).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
