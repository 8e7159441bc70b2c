/**
 * Browser test: a citizen files a report on a phone-sized screen (place chosen by keyboard through a
 * landmark, a photo attached), a second citizen reports the same problem and is linked to the first, an
 * agent handles it in the back office with a note, and the citizen sees the new state on the tracking page.
 * The indicators of the commune reach the hub.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startServer, type TestServer } from '../support/server.ts';
import { jpegWithGps } from './open311-support.ts';
import { ensureWebBuilt, launchBrowser } from './web-support.ts';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
let server: TestServer;
let browser: Browser;

/** Builds the web app when the built one predates the citizen pages. */
function ensureCitizenPagesBuilt() {
  ensureWebBuilt();
  if (!readdirSync('web/dist/assets').some((f) => f.startsWith('ReportPage'))) {
    execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
  }
}

async function phone(lang = 'fr'): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: lang === 'ar' ? 'ar-MA' : 'fr-MA', reducedMotion: 'reduce' });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  return page;
}

/** axe on the whole page, header included, at phone width. */
async function axe(page: Page) {
  await page.addScriptTag({ content: AXE });
  return page.evaluate(async () => {
    const w = window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } };
    const r = await w.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => ({ id: v.id, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
}

/** Fills the form as a keyboard user: the landmark is typed, searched with Enter and chosen with Tab + Enter. */
async function fileReport(page: Page, opts: { description: string; photo?: boolean; email?: string }) {
  await page.goto(`${server.url}/report?lang=fr`);
  await page.getByLabel('Repère proche').fill('Nations Unies');
  await page.getByLabel('Repère proche').press('Enter');
  const result = page.getByRole('button', { name: 'Place des Nations Unies' });
  await result.focus();
  await page.keyboard.press('Enter');
  await page.getByText(/Endroit choisi : Place des Nations Unies/).waitFor();
  await page.getByLabel(/Type de problème/).selectOption('eclairage-panne');
  await page.getByLabel(/Que constatez-vous/).selectOption('off');
  await page.getByLabel(/^Description/).fill(opts.description);
  if (opts.photo) await page.getByLabel(/^Photo/).setInputFiles({ name: 'lamp.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(jpegWithGps()) });
  if (opts.email) await page.getByLabel('Adresse e-mail').fill(opts.email);
  await page.getByRole('button', { name: 'Envoyer le signalement' }).click();
  await page.getByRole('heading', { name: /votre signalement est enregistré/ }).waitFor();
  return (await page.getByTestId('tracking-number').textContent())!.trim();
}

beforeAll(async () => {
  ensureCitizenPagesBuilt();
  // Lighting files work requests for the seed's defective lamps into the same desk; their number in the
  // commune's indicator would depend on when its fault scan ran. This file counts the citizens' reports.
  server = await startServer({
    env: { MADINA_SEED: 'auto', MADINA_SEED_SCALE: 'tiny', MADINA_SIMULATOR: 'off', MADINA_LIGHTING_WORK_REQUESTS: 'off', MQTT_PORT: String(await freePort()) },
  });
  const deadline = Date.now() + 120_000;
  while (!(await fetch(`${server.url}/ngsi-ld/v1/entities/urn:ngsi-ld:Region:MA-06`)).ok) {
    if (Date.now() > deadline) throw new Error(`region not seeded in time:\n${server.logs()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  browser = await launchBrowser();
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await server?.cleanup();
});

describe('citizen report, back office, tracking', () => {
  let first = '';

  it('files a report from a phone, by keyboard, with a photo, and gets a tracking number', async () => {
    const page = await phone();
    await page.goto(`${server.url}/report?lang=fr`);
    await page.getByLabel(/Type de problème/).waitFor();
    expect(await axe(page)).toEqual([]);
    // The form does not overflow sideways on a phone.
    expect(await page.evaluate(() => { const m = document.querySelector('.citizen-form')!; return m.scrollWidth <= m.clientWidth + 1; })).toBe(true);
    first = await fileReport(page, { description: 'Lampadaire éteint depuis lundi', photo: true, email: 'citoyen@example.ma' });
    expect(first).toMatch(/^\d+$/);
    await page.context().close();
  });

  it('links a second report of the same problem to the first', async () => {
    const page = await phone();
    await fileReport(page, { description: 'Toujours éteint' });
    await expect(page.getByText(`Le même problème avait déjà été signalé (n° ${first})`).isVisible()).resolves.toBe(true);
    await page.context().close();
  });

  it('lets an agent move the report on with a note the citizen then sees', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'fr-MA' });
    const page = await ctx.newPage();
    await page.goto(`${server.url}/citizen/office?lang=fr`);
    await page.getByLabel('Identifiant').fill('admin');
    await page.getByLabel('Mot de passe').fill('madina-demo-2026');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('heading', { name: 'Files par commune et par service' }).waitFor();
    await page.getByRole('button', { name: first, exact: true }).click();
    await page.getByLabel('Nouvel état').selectOption('in_progress');
    await page.getByLabel('Note visible par le citoyen').fill('Équipe sur place mardi');
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await page.getByText('Enregistré.').waitFor();
    // The contact is shown to staff only.
    expect(await page.getByText('citoyen@example.ma').isVisible()).toBe(true);
    await ctx.close();

    const citizen = await phone();
    await citizen.goto(`${server.url}/track?id=${first}&lang=fr`);
    await citizen.getByTestId('track-state').waitFor();
    expect((await citizen.getByTestId('track-state').textContent())?.trim()).toBe('En cours de traitement');
    expect(await citizen.getByText('Équipe sur place mardi').isVisible()).toBe(true);
    expect(await citizen.content()).not.toContain('citoyen@example.ma');
    const photo = await citizen.getByRole('img', { name: 'Photo jointe au signalement' }).getAttribute('src');
    const bytes = Buffer.from(await (await fetch(photo!)).arrayBuffer());
    expect(bytes.includes('GPSLatitude')).toBe(false);
    expect(await axe(citizen)).toEqual([]);
    // The duplicate's tracking number shows the original's progress.
    await citizen.goto(`${server.url}/track?id=${Number(first) + 1}&lang=fr`);
    await citizen.getByTestId('track-state').waitFor();
    expect((await citizen.getByTestId('track-state').textContent())?.trim()).toBe('En cours de traitement');
    await citizen.context().close();
  });

  it('speaks Arabic, right to left', async () => {
    const page = await phone('ar');
    await page.goto(`${server.url}/report?lang=ar`);
    await page.getByRole('heading', { name: 'الإبلاغ عن مشكل' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.dir)).toBe('rtl');
    await page.context().close();
  });

  it('publishes the commune’s indicators to the hub', async () => {
    const q = encodeURIComponent('process=="citizen-reports:reports-per-10k";serviceCategory=="eclairage-panne"');
    const deadline = Date.now() + 15_000;
    let kpis: { communeCode: string; reportCount: number; kpiValue: number }[] = [];
    while (!kpis.length && Date.now() < deadline) {
      kpis = await (await fetch(`${server.url}/ngsi-ld/v1/entities?type=KeyPerformanceIndicator&q=${q}&options=keyValues`)).json();
      if (!kpis.length) await new Promise((r) => setTimeout(r, 300));
    }
    const casa = kpis.find((k) => k.communeCode === '006141010')!;
    const commune = await (await fetch(`${server.url}/ngsi-ld/v1/entities/urn:ngsi-ld:Commune:006141010?options=keyValues`)).json();
    // One report (the second is a duplicate) per Casablanca's 2024 population.
    expect(casa.reportCount).toBe(1);
    expect(casa.kpiValue).toBeCloseTo((1 / commune.population2024) * 10_000, 3);
  });
});
