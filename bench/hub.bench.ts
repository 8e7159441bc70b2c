/**
 * npm run bench:hub — throughput and latency of the NGSI-LD hub against ceilings measured in the same run.
 *
 *   --driver pglite|postgres|both   (default both)
 *   --entities N                    entities loaded before the scenarios (default 100000)
 *   --duration S                    seconds per scenario (default 10)
 *   --connections C                 autocannon connections (default 50)
 *   --quick                         10,000 entities, 5 s per scenario
 *   --fresh                         PostgreSQL: measure right after the bulk load (default: VACUUM (ANALYZE)
 *                                   the hub's tables and CHECKPOINT first, the steady state autovacuum keeps)
 *   --keep                          PostgreSQL: keep the loaded database (madina_bench) for EXPLAIN and profiling
 *
 * Madina is started as a separate process (node bin/madina.js start); results go to
 * bench/results/hub-<driver>-<YYYYMMDD-HHMM>.json and the "Hub" section of docs/benchmarks.md.
 * See docs/benchmarks.md for what is measured.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { RequestParams } from 'autocannon';
import type { Db } from '../src/platform/db/db.ts';
import { migrate } from '../src/platform/db/migrator.ts';
import { openPglite } from '../src/platform/db/pglite.ts';
import { openPostgres } from '../src/platform/db/postgres.ts';
import { hubMigrations } from '../src/hub/index.ts';
import { ensurePgliteTemplate } from '../test/global-setup.ts';
import { abortLoad, runLoad } from './lib/cannon.ts';
import { freePort, installSignalHandlers, onCleanup, procStatus, RssSampler, runCleanups, startChild, waitHttp, type Child, madinaStartArgs, benchServerEnv } from './lib/proc.ts';
import { consoleTable, evaluateTargets, writeDocs, type HubBenchResult, type ScenarioName, type ScenarioResult } from './lib/report.ts';
import { measureStorageCeiling } from './lib/storage-ceiling.ts';
import { BBOX, entityId, prng, randomPoint, streetlight } from './lib/streetlight.ts';
import { gitCommit } from './lib/git.ts';

const ROOT = resolve(import.meta.dirname, '..');
const RESULTS_DIR = join(ROOT, 'bench', 'results');
const DOCS = join(ROOT, 'docs', 'benchmarks.md');
const TENANTS = ['bench1', 'bench2', 'bench3', 'bench4'];
const BATCH = 500; // 1,000 Streetlights (~1.3 MB) exceed the default 1 MB body limit
const BENCH_DB = 'madina_bench';
const SERVER_POOL = 20; // openPostgres' default pool size, the one the server uses

// ---- options
const { values: argv } = parseArgs({
  options: {
    driver: { type: 'string', default: 'both' },
    entities: { type: 'string' },
    duration: { type: 'string' },
    connections: { type: 'string', default: '50' },
    quick: { type: 'boolean', default: false },
    fresh: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (argv.help) {
  process.stdout.write('npm run bench:hub -- [--driver pglite|postgres|both] [--entities N] [--duration S] [--connections C] [--quick] [--fresh] [--keep]\n');
  process.exit(0);
}
const quick = argv.quick!;
const positiveInt = (name: string, raw: string | undefined, fallback: number): number => {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got "${raw}"`);
  return n;
};
const params = {
  entities: positiveInt('entities', argv.entities, quick ? 10_000 : 100_000),
  tenants: TENANTS.length,
  durationS: positiveInt('duration', argv.duration, quick ? 5 : 10),
  warmupS: quick ? 1 : 2,
  connections: positiveInt('connections', argv.connections, 50),
  batchSize: BATCH,
  quick,
  settle: !argv.fresh,
};
if (!['pglite', 'postgres', 'both'].includes(argv.driver!)) throw new Error('--driver must be pglite, postgres or both');
const drivers = (argv.driver === 'both' ? ['pglite', 'postgres'] : [argv.driver]) as ('pglite' | 'postgres')[];
const pgAdminUrl = process.env.MADINA_BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

installSignalHandlers(abortLoad);

const log = (msg: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const mb = (kb: number) => kb / 1024;

/** HEAD's commit, read from .git without running git. */
function dirSizeBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? dirSizeBytes(p) : e.isFile() ? statSync(p).size : 0;
  }
  return total;
}

async function adminQueryDb(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: Object.assign(new URL(pgAdminUrl), { pathname: `/${BENCH_DB}` }).toString() });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function adminQuery<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: pgAdminUrl });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

/** PostgreSQL: whether hub_entities has planner statistics yet (autovacuum or ANALYZE). */
async function pgTableStats(): Promise<Record<string, unknown> | undefined> {
  const c = new pg.Client({ connectionString: Object.assign(new URL(pgAdminUrl), { pathname: `/${BENCH_DB}` }).toString() });
  await c.connect();
  try {
    const r = await c.query(`SELECT n_live_tup::int AS live, n_dead_tup::int AS dead, n_mod_since_analyze::int AS "modSinceAnalyze",
      last_analyze AS "lastAnalyze", last_autoanalyze AS "lastAutoanalyze" FROM pg_stat_user_tables WHERE relname = 'hub_entities'`);
    return r.rows[0];
  } finally {
    await c.end();
  }
}

// ---- stores
interface Store {
  env: Record<string, string>;
  open(): Promise<Db>;
  sizeMb(): Promise<number | undefined>;
  version(): Promise<string>;
  drop: () => Promise<void>;
}

async function prepareStore(driver: 'pglite' | 'postgres'): Promise<Store> {
  if (driver === 'postgres') {
    await adminQuery(`DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`);
    await adminQuery(`CREATE DATABASE ${BENCH_DB}`);
    const drop = onCleanup('drop bench database', async () => {
      if (argv.keep) log(`kept database ${BENCH_DB} (--keep)`);
      else await adminQuery(`DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`);
    });
    const url = new URL(pgAdminUrl);
    url.pathname = `/${BENCH_DB}`;
    return {
      env: { DATABASE_URL: url.toString() },
      open: () => openPostgres(url.toString(), SERVER_POOL),
      async sizeMb() {
        const r = await adminQuery<{ n: string }>(`SELECT pg_database_size('${BENCH_DB}')::text AS n`);
        return Number(r[0].n) / 2 ** 20;
      },
      async version() {
        const r = await adminQuery<{ v: string; p: string }>(`SELECT current_setting('server_version') AS v,
          (SELECT default_version FROM pg_available_extensions WHERE name = 'postgis') AS p`);
        return `PostgreSQL ${r[0].v} + PostGIS ${r[0].p}`;
      },
      drop,
    };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'madina-bench-'));
  const drop = onCleanup('remove PGlite data dir', () => rmSync(dataDir, { recursive: true, force: true }));
  cpSync(await ensurePgliteTemplate(), join(dataDir, 'pg'), { recursive: true });
  log(`PGlite data dir ${dataDir} (copied from the test template)`);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'node_modules', '@electric-sql', 'pglite', 'package.json'), 'utf8')) as { version: string };
  return {
    env: { MADINA_DATA_DIR: dataDir },
    open: () => openPglite(join(dataDir, 'pg')),
    sizeMb: async () => dirSizeBytes(dataDir) / 2 ** 20,
    version: async () => `PGlite ${pkg.version}`,
    drop,
  };
}

// ---- children
async function startMadina(store: Store): Promise<{ child: Child; base: string; stop: () => Promise<void> }> {
  const port = await freePort();
  // Its own embedded-MQTT port too: the default 1883 may be taken by another Madina on the machine.
  const mqttPort = await freePort();
  const child = startChild(
    process.execPath,
    madinaStartArgs(),
    { ...store.env, ...benchServerEnv(port, { MQTT_PORT: String(mqttPort) }) },
    ROOT,
  );
  const stop = onCleanup('stop Madina', () => child.stop());
  const base = `http://127.0.0.1:${port}`;
  await waitHttp(`${base}/health`, child, 180_000);
  return { child, base, stop };
}

type HttpCeiling = Omit<HubBenchResult['ceilings']['http'], 'before' | 'after'>;

async function measureHttpCeiling(): Promise<HttpCeiling> {
  const port = await freePort();
  const child = startChild(process.execPath, ['--import', 'tsx', 'bench/ceiling-server.ts'], { PORT: String(port), HOST: '127.0.0.1' }, ROOT);
  const stop = onCleanup('stop ceiling server', () => child.stop());
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitHttp(`${url}/ping`, child, 60_000);
    const base = { method: 'GET', path: '/ping' };
    const r = await runLoad({ url, connections: params.connections, warmupS: params.warmupS, durationS: params.durationS, base });
    return { rps: r.rps, latency: r.latency, non2xx: r.non2xx, errors: r.errors + r.timeouts };
  } finally {
    await stop();
  }
}

// ---- load phase
async function loadEntities(base: string, total: number): Promise<HubBenchResult['load'] & { perTenant: number }> {
  const perTenant = Math.ceil(total / TENANTS.length);
  const jobs: { tenant: string; ti: number; from: number; to: number }[] = [];
  for (let from = 0; from < perTenant; from += BATCH) {
    for (const [ti, tenant] of TENANTS.entries()) jobs.push({ tenant, ti, from, to: Math.min(perTenant, from + BATCH) });
  }
  let loaded = 0;
  let failed = 0;
  const errorSamples: string[] = [];
  const t0 = performance.now();
  let lastLog = t0;
  const worker = async () => {
    for (let job = jobs.shift(); job; job = jobs.shift()) {
      const batch = [];
      for (let n = job.from; n < job.to; n++) batch.push(streetlight(job.tenant, n, job.ti * 10_000_000 + n + 1));
      const res = await fetch(`${base}/ngsi-ld/v1/entityOperations/create`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'NGSILD-Tenant': job.tenant },
        body: JSON.stringify(batch),
      });
      const text = await res.text();
      if (res.status === 201) {
        loaded += batch.length;
      } else {
        let ok = 0;
        try {
          ok = (JSON.parse(text) as { success?: unknown[] }).success?.length ?? 0;
        } catch {
          /* not JSON */
        }
        loaded += ok;
        failed += batch.length - ok;
        if (errorSamples.length < 5) errorSamples.push(`${res.status}: ${text.slice(0, 500)}`);
      }
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        log(`  loaded ${loaded.toLocaleString('en-US')} (${Math.round(loaded / ((lastLog - t0) / 1000))}/s)`);
      }
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  const seconds = (performance.now() - t0) / 1000;
  return { entities: loaded, seconds, perS: loaded / seconds, failed, errorSamples, rssPeakMb: 0, perTenant };
}

// ---- scenarios (tenant 1)
interface Scenario {
  name: ScenarioName;
  label: string;
  kind: 'write' | 'read';
  base: RequestParams;
  next: () => RequestParams;
}

/**
 * Creates run last, reads against the loaded store alone. Creates go into tenant 1, the tenant every
 * read queries: run first, their ~20,000 new Streetlights (10 s at ~2,000/s) nearly doubled tenant 1,
 * and the geo scenario then measured 1.75× the stated points per area (PostgreSQL time per geo request
 * +30 %, measured 2026-11-26), a figure that moved with the create throughput.
 */
function inRunOrder(list: Scenario[]): Scenario[] {
  return [...list.filter((s) => s.name !== 'create'), ...list.filter((s) => s.name === 'create')];
}

function scenarios(perTenant: number, runTag: string): Scenario[] {
  const tenant = TENANTS[0];
  const headers = { 'NGSILD-Tenant': tenant, 'Content-Type': 'application/json', Accept: 'application/json' };
  const rnd = prng(2024);
  const anyId = () => encodeURIComponent(entityId(tenant, Math.floor(rnd() * perTenant)));
  let created = 0;
  const enc = encodeURIComponent;
  return [
    {
      name: 'create',
      label: 'create (POST /entities)',
      kind: 'write',
      base: { method: 'POST', path: '/ngsi-ld/v1/entities', headers },
      next: () => {
        const n = created++;
        return { body: JSON.stringify(streetlight(tenant, `${runTag}-${n}`, 900_000_000 + n)) };
      },
    },
    {
      name: 'update',
      label: 'attribute update (PATCH …/attrs)',
      kind: 'write',
      base: { method: 'PATCH', path: '/ngsi-ld/v1/entities/x/attrs', headers },
      next: () => ({
        path: `/ngsi-ld/v1/entities/${anyId()}/attrs`,
        body: JSON.stringify({
          illuminanceLevel: { type: 'Property', value: Math.round(rnd() * 1000) / 1000, observedAt: new Date().toISOString() },
        }),
      }),
    },
    {
      name: 'get',
      label: 'GET by id',
      kind: 'read',
      base: { method: 'GET', path: '/ngsi-ld/v1/entities/x', headers: { 'NGSILD-Tenant': tenant, Accept: 'application/json' } },
      next: () => ({ path: `/ngsi-ld/v1/entities/${anyId()}` }),
    },
    {
      name: 'query',
      label: 'type+q query (limit 20)',
      kind: 'read',
      base: { method: 'GET', path: '/ngsi-ld/v1/entities', headers: { 'NGSILD-Tenant': tenant, Accept: 'application/json' } },
      next: () => {
        const x = (Math.round(rnd() * 90) / 100).toFixed(2);
        return { path: `/ngsi-ld/v1/entities?type=Streetlight&q=${enc(`illuminanceLevel>${x};powerState=="on"`)}&limit=20` };
      },
    },
    {
      name: 'geo',
      label: 'geo near 500 m (limit 20)',
      kind: 'read',
      base: { method: 'GET', path: '/ngsi-ld/v1/entities', headers: { 'NGSILD-Tenant': tenant, Accept: 'application/json' } },
      next: () => {
        const [lon, lat] = randomPoint(rnd);
        return {
          path:
            `/ngsi-ld/v1/entities?type=Streetlight&georel=${enc('near;maxDistance==500')}&geometry=Point` +
            `&coordinates=${enc(`[${lon},${lat}]`)}&limit=20`,
        };
      },
    },
  ];
}

/** A few requests by hand before the load: fail fast with the server's answer if a scenario is broken. */
async function smokeCheck(base: string, list: Scenario[]): Promise<void> {
  for (const s of list) {
    const req = { ...s.base, ...s.next() };
    const res = await fetch(base + req.path, { method: req.method, headers: req.headers, body: req.body as string | undefined });
    const text = await res.text();
    if (!res.ok) log(`!!! smoke check ${s.name}: ${res.status} ${text.slice(0, 500)}`);
    else if (s.name === 'query' || s.name === 'geo') {
      const n = (JSON.parse(text) as unknown[]).length;
      log(`  smoke ${s.name}: ${res.status}, ${n} entities`);
    }
  }
}

// ---- one driver
async function runDriver(driver: 'pglite' | 'postgres', httpBefore: HttpCeiling): Promise<HubBenchResult> {
  const startedAt = new Date();
  log(`=== ${driver}: ${params.entities.toLocaleString('en-US')} entities, ${params.durationS} s per scenario, ${params.connections} connections`);
  const store = await prepareStore(driver);
  try {
    // Storage ceiling first, while nothing else uses the store (PGlite allows one process).
    log('storage ceiling: raw upserts and PK selects through the Db driver');
    const db = await store.open();
    let storage;
    try {
      await migrate(db, [...hubMigrations()]);
      storage = await measureStorageCeiling(db, {
        durationS: params.durationS,
        inFlight: driver === 'postgres' ? params.connections : 1,
        keySpace: 20_000,
      });
    } finally {
      await db.close();
    }
    log(`  upserts ${Math.round(storage.upsertPerS)}/s, selects ${Math.round(storage.selectPerS)}/s`);

    log('starting Madina (node bin/madina.js start)');
    const t0 = performance.now();
    const server = await startMadina(store);
    log(`  listening at ${server.base} after ${((performance.now() - t0) / 1000).toFixed(1)} s, pid ${server.child.pid}`);
    const rss = new RssSampler(server.child.pid);
    const afterStartMb = mb(rss.sample());

    rss.setPhase('load');
    log(`loading ${params.entities.toLocaleString('en-US')} Streetlight entities over ${TENANTS.length} tenants`);
    const load = await loadEntities(server.base, params.entities);
    load.rssPeakMb = mb(rss.phasePeakKb.load ?? 0);
    log(`  ${load.entities.toLocaleString('en-US')} in ${load.seconds.toFixed(1)} s = ${Math.round(load.perS)}/s${load.failed ? `, ${load.failed} FAILED: ${load.errorSamples[0]}` : ''}`);
    rss.setPhase('');
    const afterLoadMb = mb(rss.sample());

    if (params.settle && driver === 'postgres') {
      // Steady state: statistics, hint bits and the visibility map set, and the load's WAL checkpointed,
      // so the scenarios do not pay for the bulk import (a checkpoint of ~2 GB mid-scenario, first reads
      // dirtying every page). A user's store gets there by autovacuum within minutes.
      for (const t of ['hub_entities', 'hub_attribute_instances', 'hub_temporal_series', 'hub_temporal_entities']) await adminQueryDb(`VACUUM (ANALYZE) ${t}`);
      await adminQueryDb('CHECKPOINT');
      log('  VACUUM (ANALYZE) and CHECKPOINT done (--fresh skips them)');
    } else if (params.settle) {
      // PGlite belongs to the server's process: its own maintenance (platform/db/maintenance.ts, a tick
      // every 10 s) analyzes, vacuums and checkpoints after the load. Wait for two ticks, so that work
      // does not land inside the first scenario (it did: create p99 ~1 s).
      await new Promise((r) => setTimeout(r, 25_000));
      log('  waited 25 s for the server\'s own maintenance after the load (--fresh skips it)');
    }
    const statsBefore = driver === 'postgres' ? await pgTableStats() : undefined;
    if (statsBefore) log(`  hub_entities statistics: ${statsBefore.lastAnalyze || statsBefore.lastAutoanalyze ? 'analyzed' : 'NOT analyzed yet (planner has no statistics)'}`);
    // The HTTP ceiling is measured before and after this driver's scenarios; ratios use the mean.
    const httpCeiling = httpBefore;
    const list = scenarios(load.perTenant, `r${Date.now().toString(36)}`);
    await smokeCheck(server.base, list);
    const results: ScenarioResult[] = [];
    for (const s of inRunOrder(list)) {
      rss.setPhase(s.name);
      log(`scenario ${s.label}: ${params.warmupS} s warm-up + ${params.durationS} s`);
      const r = await runLoad({ url: server.base, connections: params.connections, warmupS: params.warmupS, durationS: params.durationS, base: s.base, next: s.next });
      const storageCeil = s.kind === 'write' ? storage.upsertPerS : storage.selectPerS;
      results.push({ ...r, name: s.name, label: s.label, kind: s.kind, httpRatio: r.rps / httpCeiling.rps, storageRatio: r.rps / storageCeil, rssPeakMb: mb(rss.phasePeakKb[s.name] ?? 0) });
      const errs = r.non2xx + r.errors; // autocannon counts timeouts among errors
      log(`  ${Math.round(r.rps)}/s, p50 ${r.latency.p50.toFixed(1)} p95 ${r.latency.p95.toFixed(1)} p99 ${r.latency.p99.toFixed(1)} ms${errs ? `  !!! ${errs} ERRORS ${JSON.stringify(r.statusCodes)} ${r.errorSamples[0]?.body ?? ''}` : ''}`);
    }
    results.sort((a, b) => list.findIndex((s) => s.name === a.name) - list.findIndex((s) => s.name === b.name));
    rss.stop();
    const statsAfter = driver === 'postgres' ? await pgTableStats() : undefined;
    const hwm = procStatus(server.child.pid)?.hwmKb;
    const warnings = server.child.warnings();
    await server.stop();
    const storeSizeMb = await store.sizeMb().catch(() => undefined);
    log('HTTP ceiling again, after the scenarios');
    const httpAfter = await measureHttpCeiling();
    log(`  ${Math.round(httpAfter.rps)}/s, p99 ${httpAfter.latency.p99.toFixed(1)} ms`);
    const meanRps = (httpBefore.rps + httpAfter.rps) / 2;
    for (const s of results) s.httpRatio = s.rps / meanRps;
    const http = { ...httpBefore, rps: meanRps, before: httpBefore, after: httpAfter };
    const result: HubBenchResult = {
      benchmark: 'hub',
      formatVersion: 1,
      driver,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      commit: gitCommit(),
      params,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model.trim(),
        totalMemMb: Math.round(totalmem() / 2 ** 20),
        loadavgAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
        node: process.version,
        os: `${process.platform} ${release()}`,
        dbVersion: await store.version().catch(() => undefined),
        bbox: BBOX,
      },
      ceilings: { http, storage },
      load: { entities: load.entities, seconds: load.seconds, perS: load.perS, failed: load.failed, errorSamples: load.errorSamples, rssPeakMb: load.rssPeakMb },
      scenarios: results,
      rss: { peakMb: mb(rss.peakKb), hwmMb: hwm ? mb(hwm) : undefined, afterStartMb, afterLoadMb },
      storeSizeMb,
      tableStats: driver === 'postgres' ? { beforeScenarios: statsBefore, afterScenarios: statsAfter } : undefined,
      serverWarnings: { count: warnings.length, samples: warnings.slice(0, 10).map((w) => w.slice(0, 500)) },
      targets: evaluateTargets(results),
    };
    return result;
  } finally {
    await store.drop();
  }
}

function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}`;
}

async function main() {
  mkdirSync(RESULTS_DIR, { recursive: true });
  log(`bench:hub on ${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  let failures = 0;
  for (const driver of drivers) {
    log('HTTP ceiling: bare Fastify, fixed JSON');
    const http = await measureHttpCeiling();
    log(`  ${Math.round(http.rps)}/s, p99 ${http.latency.p99.toFixed(1)} ms`);
    let result: HubBenchResult;
    try {
      result = await runDriver(driver, http);
    } catch (err) {
      failures++;
      process.stderr.write(`\n${driver} run failed: ${(err as Error).stack ?? err}\n`);
      continue;
    }
    const file = join(RESULTS_DIR, `hub-${driver}-${stamp(new Date(result.startedAt))}.json`);
    writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(`\n${driver === 'postgres' ? 'PostgreSQL' : 'PGlite'} — ${file}\n\n${consoleTable(result)}\n\n`);
  }
  writeDocs(DOCS, RESULTS_DIR);
  log(`docs/benchmarks.md updated`);
  return failures;
}

let code = 0;
try {
  code = (await main()) ? 1 : 0;
} catch (err) {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  code = 1;
} finally {
  await runCleanups();
}
process.exit(code);
