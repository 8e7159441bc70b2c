/**
 * Browser-test support: builds the web app if needed, launches Debian's Chromium through playwright-core,
 * and seeds a small city through the NGSI-LD API (the real region boundaries, synthetic assets).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CHROMIUM = process.env.MADINA_CHROMIUM ?? '/usr/bin/chromium';

export function ensureWebBuilt() {
  execFileSync(process.execPath, ['web/build-if-missing.mjs'], { cwd: ROOT, stdio: 'inherit' });
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // WebGL in headless Chromium without a GPU runs on SwiftShader, which recent Chromium only enables when asked.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--enable-unsafe-swiftshader', '--use-angle=swiftshader'],
  });
}

/** Builds web/dist with vite (what the server serves). */
export function buildWeb() {
  execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
}

/** Whether web/dist holds a chunk whose name starts with the prefix (a lazily loaded page, e.g. `WastePage-`). */
export function webHasChunk(prefix: string): boolean {
  const assets = existsSync(`${ROOT}web/dist/assets`) ? readdirSync(`${ROOT}web/dist/assets`) : [];
  return assets.some((f) => f.startsWith(prefix));
}

/** Whether web/dist is missing or older than some web source. */
export function webStale(): boolean {
  const newest = (dir: string): number => Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)));
  return !existsSync(`${ROOT}web/dist/index.html`) || newest(`${ROOT}web/src`) > statSync(`${ROOT}web/dist/index.html`).mtimeMs;
}

/** The screenshot folder of a test (test-results/<name>), created. */
export function shotsDir(name: string): string {
  const dir = `test-results/${name}`;
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Signs in through the API; the session token. */
export async function login(url: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  return ((await res.json()) as { token: string }).token;
}

/** The demo administrator's session token. */
export const adminLogin = (url: string) => login(url, 'admin', 'madina-demo-2026');

/**
 * A page in a fresh browser context: the language's locale (ar-MA or fr-MA), reduced motion, signed in with
 * the session token; page errors go to onPageError (by default, logged).
 */
export async function openPage(
  browser: Browser,
  opts: { url: string; token: string; lang: string; viewport: { width: number; height: number }; acceptDownloads?: boolean; onPageError?: (e: Error) => void },
): Promise<Page> {
  const ctx = await browser.newContext({ viewport: opts.viewport, locale: opts.lang === 'ar' ? 'ar-MA' : 'fr-MA', reducedMotion: 'reduce', ...(opts.acceptDownloads ? { acceptDownloads: true } : {}) });
  await ctx.addCookies([{ name: 'madina_session', value: opts.token, url: opts.url }]);
  const page = await ctx.newPage();
  page.on('pageerror', opts.onPageError ?? ((e) => console.error('page error:', e.message)));
  return page;
}

let axeSource: string | undefined;

/** The serious and critical WCAG 2.1 A/AA violations axe finds under the selector, one line each. */
export async function axe(page: Page, selector: string): Promise<string[]> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.addScriptTag({ content: axeSource });
  return page.evaluate(async (sel) => {
    const w = window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } };
    const r = await w.axe.run(sel, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }, selector);
}

type Entity = Record<string, unknown> & { id: string; type: string };

async function upsert(url: string, entities: Entity[]) {
  for (let i = 0; i < entities.length; i += 500) {
    const res = await fetch(`${url}/ngsi-ld/v1/entityOperations/upsert`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(entities.slice(i, i + 500)),
    });
    if (res.status >= 300) throw new Error(`upsert answered ${res.status}: ${await res.text()}`);
  }
}

/** Deterministic pseudo-random numbers (mulberry32), so every run seeds the same city. */
export function rng(seed: number) {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The 153 communes of the region as `Commune` entities (the region seeder's contract), from the shipped data. */
export function communeEntities(): Entity[] {
  const fc = JSON.parse(readFileSync(`${ROOT}data/morocco/casablanca-settat-communes.geojson`, 'utf8')) as { features: { properties: Record<string, any>; geometry: unknown }[] };
  return fc.features.map(({ properties: p, geometry }) => {
    const e: Entity = {
      id: `urn:ngsi-ld:Commune:${p.code}`,
      type: 'Commune',
      scope: `/MA-06/${p.code}`,
      name: { type: 'LanguageProperty', languageMap: { fr: p.name_fr, ar: p.name_ar } },
      code: { type: 'Property', value: p.code },
      communeType: { type: 'Property', value: p.type },
      location: { type: 'GeoProperty', value: geometry },
    };
    const num = (k: string, v: unknown) => typeof v === 'number' && (e[k] = { type: 'Property', value: v });
    num('population2014', p.population_2014);
    num('population2024', p.population_2024);
    num('households2024', p.households_2024);
    num('populationChange', p.change_pct_2014_2024);
    num('areaKm2', p.area_km2);
    num('density2024', p.density_2024);
    return e;
  });
}

/** Synthetic assets around central Casablanca: n of each point type; every 10th lamp failed, every 7th bin full. */
export function assetEntities(n: number, seed = 6): Entity[] {
  const r = rng(seed);
  const at = () => ({ type: 'GeoProperty', value: { type: 'Point', coordinates: [-7.68 + r() * 0.16, 33.53 + r() * 0.08] } });
  const out: Entity[] = [];
  const pad = (i: number) => String(i).padStart(5, '0');
  for (let i = 0; i < n; i++) {
    out.push({
      id: `urn:ngsi-ld:Streetlight:test-${pad(i)}`,
      type: 'Streetlight',
      synthetic: { type: 'Property', value: true },
      powerState: { type: 'Property', value: i % 3 === 0 ? 'off' : 'on' },
      status: { type: 'Property', value: i % 10 === 0 ? 'defectiveLamp' : 'ok' },
      illuminanceLevel: { type: 'Property', value: Math.round(r() * 100) / 100, unitCode: 'P1' },
      powerConsumption: { type: 'Property', value: Math.round(60 + r() * 90), unitCode: 'WTT' },
      location: at(),
    });
    out.push({
      id: `urn:ngsi-ld:WasteContainer:test-${pad(i)}`,
      type: 'WasteContainer',
      synthetic: { type: 'Property', value: true },
      fillingLevel: { type: 'Property', value: i % 7 === 0 ? 0.95 : Math.round(r() * 85) / 100 },
      location: at(),
    });
    if (i % 20 === 0) {
      out.push({
        id: `urn:ngsi-ld:TrafficFlowObserved:test-${pad(i)}`,
        type: 'TrafficFlowObserved',
        synthetic: { type: 'Property', value: true },
        intensity: { type: 'Property', value: Math.round(r() * 2000) },
        congested: { type: 'Property', value: i % 60 === 0 },
        location: at(),
      });
      out.push({
        id: `urn:ngsi-ld:AirQualityObserved:test-${pad(i)}`,
        type: 'AirQualityObserved',
        synthetic: { type: 'Property', value: true },
        airQualityIndex: { type: 'Property', value: Math.round(20 + r() * 140) },
        no2: { type: 'Property', value: Math.round(r() * 80), unitCode: 'GQ' },
        location: at(),
      });
    }
  }
  return out;
}

export async function seedCity(url: string, opts: { assets: number }) {
  await upsert(url, communeEntities());
  await upsert(url, assetEntities(opts.assets));
}

export const webBuilt = () => existsSync(`${ROOT}web/dist/index.html`);
