/**
 * npm run bench:temporal — latency of the temporal API (/ngsi-ld/v1/temporal) over a loaded history.
 *
 *   --driver pglite|postgres|both   (default both)
 *   --duration S                    seconds per scenario (default 10)
 *   --connections C                 autocannon connections for the single-entity scenarios (default 1: latency, not throughput)
 *   --quick                         10,000 instances and 1,000 entities, 5 s per scenario
 *
 * The history is loaded directly through the store's tables (SQL generate_series, partitions created by
 * TemporalStore): one entity with 100,000 instances of one attribute (one a minute, ~69 days) and
 * 10,000 entities with 100 instances each (one every 15 minutes). Madina then runs as its own process
 * (node bin/madina.js start) and autocannon measures three queries over HTTP. Results go to
 * bench/results/temporal-<driver>-<YYYYMMDD-HHMM>.json and the "Temporal" section of docs/benchmarks.md.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { Db } from '../src/platform/db/db.ts';
import { migrate } from '../src/platform/db/migrator.ts';
import { openPglite } from '../src/platform/db/pglite.ts';
import { openPostgres } from '../src/platform/db/postgres.ts';
import { hubMigrations } from '../src/hub/index.ts';
import { TemporalStore } from '../src/hub/temporal/store.ts';
import { PackJob } from '../src/hub/temporal/packs.ts';
import { ensurePgliteTemplate } from '../test/global-setup.ts';
import { abortLoad, runLoad, type LoadResult } from './lib/cannon.ts';
import { freePort, installSignalHandlers, onCleanup, runCleanups, startChild, waitHttp, madinaStartArgs, benchServerEnv } from './lib/proc.ts';
import { writeDocSection } from './lib/docs.ts';
import { gitCommit } from './lib/git.ts';

const ROOT = resolve(import.meta.dirname, '..');
const RESULTS_DIR = join(ROOT, 'bench', 'results');
const DOCS = join(ROOT, 'docs', 'benchmarks.md');
const SECTION = '## Temporal (npm run bench:temporal)';
const BENCH_DB = 'madina_bench_temporal';
const ATTR = 'https://uri.etsi.org/ngsi-ld/default-context/temperature';
const BIG_ID = 'urn:ngsi-ld:BigSensor:b1';
const H = 3_600_000;
/** The history ends here (fixed, so partitions and windows are the same in every run). */
const END = Date.UTC(2025, 0, 1);

const { values: argv } = parseArgs({
  options: {
    driver: { type: 'string', default: 'both' },
    duration: { type: 'string' },
    connections: { type: 'string', default: '1' },
    quick: { type: 'boolean', default: false },
    report: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (argv.help) {
  process.stdout.write('npm run bench:temporal -- [--driver pglite|postgres|both] [--duration S] [--connections C] [--quick] [--keep: leave the loaded store for inspection] [--report: only rewrite docs from bench/results]\n');
  process.exit(0);
}
const quick = argv.quick!;
const params = {
  bigInstances: quick ? 10_000 : 100_000,
  entities: quick ? 1_000 : 10_000,
  instancesPerEntity: 100,
  durationS: Number(argv.duration ?? (quick ? 5 : 10)),
  connections: Number(argv.connections),
  quick,
};
if (!['pglite', 'postgres', 'both'].includes(argv.driver!)) throw new Error('--driver must be pglite, postgres or both');
const drivers = (argv.driver === 'both' ? ['pglite', 'postgres'] : [argv.driver]) as ('pglite' | 'postgres')[];
const pgAdminUrl = process.env.MADINA_BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

installSignalHandlers(abortLoad);
const log = (msg: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const iso = (ms: number) => new Date(ms).toISOString();

type ScenarioName = 'aggregated' | 'lastN' | 'read1000' | 'read1000Rows';
type TargetName = Exclude<ScenarioName, 'read1000Rows'>;
const TARGETS: Record<TargetName, { p95Ms: number; what: string }> = {
  aggregated: { p95Ms: 100, what: 'avg per hour over 24 h (aggregatedValues), 100,000-instance attribute' },
  lastN: { p95Ms: 20, what: 'lastN=100 of the 100,000-instance attribute' },
  read1000: { p95Ms: 300, what: '24 h temporalValues of 1,000 entities (closed day: day packs)' },
};
const SAMPLES: Record<ScenarioName, string> = {
  aggregated: 'GET /temporal/entities/{id}?timerel=between (24 h)&options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=PT1H',
  lastN: 'GET /temporal/entities/{id}?lastN=100&options=temporalValues',
  read1000: 'GET /temporal/entities?type=Sensor&limit=1000&timerel=between (24 h)&options=temporalValues',
  read1000Rows: 'GET /temporal/entities?type=Sensor&limit=1000&timerel=between (24 h)&options=temporalValues',
};
const WHAT: Record<ScenarioName, string> = {
  aggregated: TARGETS.aggregated.what,
  lastN: TARGETS.lastN.what,
  read1000: TARGETS.read1000.what,
  read1000Rows: 'the same read from rows, before packing (how the current day is read)',
};

interface TemporalBenchResult {
  bench: 'temporal';
  driver: 'pglite' | 'postgres';
  date: string;
  commit?: string;
  machine: { cpus: number; model: string; node: string; os: string; engine?: string; loadavg1: number[] };
  params: typeof params;
  load: { instances: number; seconds: number; perSecond: number };
  /** The day packer's first pass over the loaded history. */
  pack?: { packs: number; seconds: number; batches: number };
  scenarios: Record<ScenarioName, LoadResult & { connections: number; sample: string }>;
  targets: { scenario: TargetName; p95Ms: number; measuredMs: number; met: boolean }[];
}

/** Loads the history straight into the tables; returns the number of instances. */
async function load(db: Db): Promise<number> {
  const store = new TemporalStore();
  const months: number[] = [];
  for (let t = END - params.bigInstances * 60_000 - 31 * 24 * H; t <= END + 31 * 24 * H; t += 24 * H) months.push(t);
  await db.transaction((tx) => store.ensurePartitions(tx, months));
  const entityId = (i: number) => `urn:ngsi-ld:Sensor:s${String(i).padStart(5, '0')}`;
  await db.transaction(async (tx) => {
    const rows = [{ id: BIG_ID, types: ['https://uri.etsi.org/ngsi-ld/default-context/BigSensor'], scopes: [], createdAt: iso(END), modifiedAt: iso(END) }];
    for (let i = 1; i <= params.entities; i++) {
      rows.push({ id: entityId(i), types: ['https://uri.etsi.org/ngsi-ld/default-context/Sensor'], scopes: [], createdAt: iso(END), modifiedAt: iso(END) });
    }
    await store.upsertRegistry(tx, '', rows);
    await tx.query(
      `INSERT INTO hub_temporal_series (tenant, entity_id, attr, dataset_id)
       SELECT '', id, $1, '' FROM hub_temporal_entities WHERE tenant = ''`,
      [ATTR],
    );
  });
  const insert = `INSERT INTO hub_attribute_instances (tenant, entity_id, attr, dataset_id, instance_id, ts, observed_at, created_at, modified_at, kind, value, num)
    SELECT '', x.e, $1, '', 'urn:ngsi-ld:attribute-instance:' || x.e || ':' || x.k, x.ts, x.ts, x.ts, x.ts, 'Property',
           jsonb_build_object('type', 'Property', 'value', x.v), x.v
    FROM (SELECT e, k, ts, round((20 + 10 * sin(k / 50.0) + random())::numeric, 2)::float8 AS v FROM (`;
  await db.query(
    `${insert} SELECT $2::text AS e, g AS k, $3::timestamptz - (($4::int - g) * interval '1 minute') AS ts FROM generate_series(1, $4::int) g) y) x`,
    [ATTR, BIG_ID, iso(END), params.bigInstances],
  );
  const chunk = 1000;
  for (let first = 1; first <= params.entities; first += chunk) {
    await db.query(
      `${insert} SELECT 'urn:ngsi-ld:Sensor:s' || lpad(e::text, 5, '0') AS e, k, $2::timestamptz - ((100 - k) * interval '15 minutes') AS ts
         FROM generate_series($3::int, $4::int) e CROSS JOIN generate_series(1, ${params.instancesPerEntity}) k) y) x`,
      [ATTR, iso(END), first, Math.min(params.entities, first + chunk - 1)],
    );
  }
  // Steady state, as autovacuum leaves a table: statistics, hint bits and the visibility map (without them
  // the first reads of fresh rows write pages, and index-only scans are not possible).
  for (const t of ['hub_attribute_instances', 'hub_temporal_series', 'hub_temporal_entities']) await db.query(`VACUUM (ANALYZE) ${t}`);
  return params.bigInstances + params.entities * params.instancesPerEntity;
}

async function openStore(driver: 'pglite' | 'postgres'): Promise<{ env: Record<string, string>; open(): Promise<Db>; drop(): Promise<void> }> {
  if (driver === 'postgres') {
    const admin = new pg.Client({ connectionString: pgAdminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${BENCH_DB}`);
    await admin.end();
    const url = new URL(pgAdminUrl);
    url.pathname = `/${BENCH_DB}`;
    return {
      env: { DATABASE_URL: url.toString() },
      open: () => openPostgres(url.toString(), 5),
      async drop() {
        const a = new pg.Client({ connectionString: pgAdminUrl });
        await a.connect();
        await a.query(`DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`);
        await a.end();
      },
    };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'madina-bench-temporal-'));
  cpSync(await ensurePgliteTemplate(), join(dataDir, 'pg'), { recursive: true });
  return {
    env: { MADINA_DATA_DIR: dataDir },
    open: () => openPglite(join(dataDir, 'pg')),
    async drop() {
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function runDriver(driver: 'pglite' | 'postgres'): Promise<TemporalBenchResult> {
  log(`${driver}: preparing the store`);
  const store = await openStore(driver);
  const dropStore = argv.keep ? async () => {} : onCleanup(`${driver} store`, () => store.drop());
  const db = await store.open();
  let engine: string | undefined;
  let instances: number;
  const t0 = Date.now();
  try {
    await migrate(db, hubMigrations());
    engine = (await db.query<{ v: string }>('SELECT version() AS v')).rows[0].v.split(' on ')[0];
    log(`${driver}: loading the history`);
    instances = await load(db);
  } finally {
    await db.close();
  }
  const loadS = (Date.now() - t0) / 1000;
  log(`${driver}: ${instances.toLocaleString('en')} instances in ${loadS.toFixed(1)} s`);

  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const bigDays = Math.floor((params.bigInstances * 60_000) / (24 * H));
  const aggPath = () => {
    const from = END - (1 + Math.floor(rand() * Math.max(1, bigDays - 1))) * 24 * H;
    return `/ngsi-ld/v1/temporal/entities/${encodeURIComponent(BIG_ID)}?timerel=between&timeAt=${iso(from)}&endTimeAt=${iso(from + 24 * H)}&options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=PT1H`;
  };
  const lastNPath = `/ngsi-ld/v1/temporal/entities/${encodeURIComponent(BIG_ID)}?lastN=100&options=temporalValues&attrs=temperature`;
  const pages = Math.max(1, Math.floor(params.entities / 1000));
  const readPath = () =>
    `/ngsi-ld/v1/temporal/entities?type=Sensor&attrs=temperature&limit=1000&offset=${Math.floor(rand() * pages) * 1000}&timerel=between&timeAt=${iso(END - 24 * H)}&endTimeAt=${iso(END)}&options=temporalValues`;

  const scenarios = {} as TemporalBenchResult['scenarios'];
  const loads: number[] = [];
  /** Starts the server, runs the scenarios, stops it. */
  async function serve(plan: [ScenarioName, number, () => string][], env: Record<string, string>, check?: (base: string) => Promise<void>) {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const child = startChild(process.execPath, madinaStartArgs(), { ...store.env, ...benchServerEnv(port, { MQTT_PORT: '0', ...env }) }, ROOT);
    const stopChild = onCleanup(`${driver} server`, () => child.stop());
    await waitHttp(`${base}/health`, child, 120_000);
    await check?.(base);
    for (const [name, connections, path] of plan) {
      // Warm-up: a few sequential requests (plans, caches).
      for (let i = 0; i < 5; i++) await (await fetch(base + path())).arrayBuffer();
      const sampleSize = (await (await fetch(base + path())).text()).length;
      log(`${driver}: ${name} (${connections} connection${connections > 1 ? 's' : ''}, ${params.durationS} s)`);
      loads.push(loadavg()[0]);
      const r = await runLoad({ url: base, connections, durationS: params.durationS, base: { method: 'GET', path: path() }, next: () => ({ path: path() }) });
      scenarios[name] = { ...r, connections, sample: `${SAMPLES[name]} (~${(sampleSize / 1e6).toFixed(2)} MB)` };
      log(`  ${r.rps.toFixed(1)} req/s, p50 ${r.latency.p50.toFixed(1)} ms, p95 ${r.latency.p95.toFixed(1)} ms, p99 ${r.latency.p99.toFixed(1)} ms, non-2xx ${r.non2xx}`);
    }
    await stopChild();
  }

  // 1. The 1,000-entity read from rows, as the current day (never packed) is read: no packer in this server.
  await serve([['read1000Rows', 1, readPath]], { MADINA_TEMPORAL_PACKS: 'off' });

  // 2. The steady state of closed days: the packer has run (here directly on the store, as the server's would).
  log(`${driver}: packing the closed days`);
  const packDb = await store.open();
  let pack: TemporalBenchResult['pack'];
  try {
    const p0 = Date.now();
    const r = await new PackJob(packDb, new TemporalStore(), { pauseMs: 0 }).runOnce();
    const seconds = (Date.now() - p0) / 1000;
    await packDb.query('VACUUM (ANALYZE) hub_temporal_packs');
    const n = (await packDb.query<{ n: number }>('SELECT count(*)::int AS n FROM hub_temporal_packs')).rows[0].n;
    pack = { packs: n, seconds, batches: r.batches };
    log(`${driver}: ${n.toLocaleString('en')} day packs in ${seconds.toFixed(1)} s (${r.batches} statements)`);
  } finally {
    await packDb.close();
  }

  await serve(
    [
      ['aggregated', params.connections, aggPath],
      ['lastN', params.connections, () => lastNPath],
      ['read1000', 1, readPath],
    ],
    {},
    async (base) => {
      // Check the answers once before measuring.
      const agg = await (await fetch(base + aggPath())).json();
      if (agg.temperature?.avg?.length !== 24) throw new Error(`aggregated: expected 24 hourly periods, got ${JSON.stringify(agg).slice(0, 300)}`);
      const last = await (await fetch(base + lastNPath)).json();
      if (last.temperature?.values?.length !== 100) throw new Error(`lastN: expected 100 values, got ${JSON.stringify(last).slice(0, 300)}`);
      const readRes = await fetch(base + readPath());
      const read = await readRes.json();
      if (!Array.isArray(read) || read.length !== Math.min(1000, params.entities) || read[0].temperature.values.length !== 96) {
        throw new Error(`read1000: unexpected answer ${readRes.status} ${JSON.stringify(read).slice(0, 300)}`);
      }
    },
  );
  await dropStore();
  if (argv.keep) log(`${driver}: store kept: ${JSON.stringify(store.env)}`);

  const result: TemporalBenchResult = {
    bench: 'temporal',
    driver,
    date: new Date().toISOString(),
    commit: gitCommit(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? '?', node: process.version, os: release(), engine: driver === 'pglite' ? `PGlite (${engine})` : engine, loadavg1: loads },
    params,
    load: { instances, seconds: loadS, perSecond: instances / loadS },
    pack,
    scenarios,
    targets: (Object.keys(TARGETS) as TargetName[]).map((s) => ({
      scenario: s,
      p95Ms: TARGETS[s].p95Ms,
      measuredMs: scenarios[s].latency.p95,
      met: scenarios[s].ok > 0 && scenarios[s].latency.p95 < TARGETS[s].p95Ms && scenarios[s].non2xx === 0 && scenarios[s].timeouts === 0,
    })),
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = result.date.slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  writeFileSync(join(RESULTS_DIR, `temporal-${driver}-${stamp}.json`), JSON.stringify(result, null, 2) + '\n');
  return result;
}

function latest(): TemporalBenchResult[] {
  const byDriver = new Map<string, TemporalBenchResult>();
  for (const f of readdirSync(RESULTS_DIR).filter((f) => /^temporal-(pglite|postgres)-.*\.json$/.test(f)).sort()) {
    const r = JSON.parse(readFileSync(join(RESULTS_DIR, f), 'utf8')) as TemporalBenchResult;
    byDriver.set(r.driver, r);
  }
  return ['postgres', 'pglite'].map((d) => byDriver.get(d)).filter((r): r is TemporalBenchResult => !!r);
}

/** Observations kept with the table (what the numbers do not say by themselves). */
const NOTES = `
Reading the figures: the server runs without the demo seed and the simulator, on history vacuumed after the
bulk load (the steady state autovacuum keeps). aggregated and lastN are one index range scan each (1,440 and
100 instances). read1000 moves ~3.5 MB (96,000 values) per answer. The window is a closed day, so it is served
from day packs (hub/temporal/packs.ts): 1,000 rows of ~2.5 kB instead of 96,000 instances, their JSON text
spliced into the answer without being parsed (hub/temporal/raw-json.ts). A day becomes a pack an hour after it
closes (the packer runs every 10 minutes; here it ran once before the server started, timed above). read1000Rows is the same read before the packer ran, as a window in the current day is always read: one
index range scan per entity, values assembled per series by \`json_agg\` in SQL, the 1,000 entities split over two
statements that PostgreSQL runs side by side (PGlite runs one statement at a time, so the split does not help
there). Most of that time is SQL: ~100,000 instances visited, their values taken out of jsonb and assembled.
`;

const fmt = (n: number | null | undefined) => (n === null || n === undefined || Number.isNaN(n) ? '—' : n.toFixed(1));

function section(results: TemporalBenchResult[]): string {
  const p = results[0]?.params ?? params;
  const lines = [
    SECTION,
    '',
    `History loaded directly into the tables (not through HTTP): one entity with ${p.bigInstances.toLocaleString('en')} instances of one attribute (one a minute) and ${p.entities.toLocaleString('en')} entities with ${p.instancesPerEntity} instances each (one every 15 minutes), monthly partitions. Madina runs as its own process; autocannon sends the queries on loopback. Scenarios: **aggregated** avg per hour over a random 24 h window of the big attribute (\`aggregatedValues\`, \`aggrPeriodDuration=PT1H\`); **lastN** \`lastN=100\` of the big attribute (\`temporalValues\`); **read1000** a 24 h \`temporalValues\` read of 1,000 entities (one page of \`limit=1000\`, 96 values each, random page) over a closed day, after the day packer's pass; **read1000Rows** the same read before it (a server with \`MADINA_TEMPORAL_PACKS=off\` on the unpacked history). The machine has **2 cores shared with other agents**, and load generator, server and database run on it together: figures move by ±20 % or more between runs.`,
    '',
  ];
  for (const r of results) {
    lines.push(
      `### ${r.driver === 'postgres' ? 'PostgreSQL' : 'PGlite (embedded)'}`,
      '',
      `${r.date.slice(0, 16).replace('T', ' ')} UTC${r.commit ? `, commit \`${r.commit.slice(0, 10)}\`` : ''}${r.params.quick ? ' (**--quick run**)' : ''}; ${r.params.durationS} s per scenario; ${r.machine.cpus} × ${r.machine.model.split(' ').slice(0, 2).join(' ')}, Node ${r.machine.node}, ${r.machine.engine}.`,
      '',
      ...(r.machine.loadavg1?.length ? [`Load average (1 min) of the machine when each scenario started: ${r.machine.loadavg1.map((l) => l.toFixed(1)).join(', ')} (2 cores).`, ''] : []),
      '| scenario | connections | req/s | p50 ms | p95 ms | p99 ms | non-2xx / timeouts | target p95 |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    );
    const order: ScenarioName[] = ['aggregated', 'lastN', 'read1000', 'read1000Rows'];
    for (const name of order) {
      const s = r.scenarios[name];
      if (!s) continue;
      const t = r.targets.find((x) => x.scenario === name);
      lines.push(
        `| ${name}: ${WHAT[name]} | ${s.connections} | ${fmt(s.rps)} | ${fmt(s.latency.p50)} | ${fmt(s.latency.p95)} | ${fmt(s.latency.p99)} | ${s.non2xx} / ${s.timeouts} | ${t ? `< ${t.p95Ms} ms ${t.met ? '✅' : '❌'}` : '—'} |`,
      );
    }
    lines.push('', `Load: ${r.load.instances.toLocaleString('en')} instances in ${r.load.seconds.toFixed(1)} s (${Math.round(r.load.perSecond).toLocaleString('en')} instances/s, SQL bulk insert).`);
    if (r.pack) lines.push(`Day packer's first pass over it: ${r.pack.packs.toLocaleString('en')} packs in ${r.pack.seconds.toFixed(1)} s (${r.pack.batches} statements).`);
    lines.push('');
  }
  lines.push(
    'For scale: Stellio publishes 42 aggregated temporal queries/s with p95 321 ms at 100k instances on 8 vCPU.',
    '',
  );
  if (NOTES.trim()) lines.push(NOTES.trim(), '');
  return lines.join('\n');
}

function writeDocs(): void {
  writeDocSection(DOCS, SECTION, section(latest()));
}

try {
  if (!argv.report) for (const d of drivers) await runDriver(d);
  writeDocs();
  log(`results in ${RESULTS_DIR}, table in docs/benchmarks.md`);
} finally {
  await runCleanups();
}
