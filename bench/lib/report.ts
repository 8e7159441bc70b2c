/** Result format of bench:hub, the console table and the docs/benchmarks.md section. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadResult } from './cannon.ts';
import type { StorageCeiling } from './storage-ceiling.ts';
import { writeDocSection } from './docs.ts';

export type ScenarioName = 'create' | 'update' | 'get' | 'query' | 'geo';

export interface ScenarioResult extends LoadResult {
  name: ScenarioName;
  label: string;
  kind: 'write' | 'read';
  httpRatio: number;
  storageRatio: number;
  rssPeakMb: number;
}

export interface Target {
  what: string;
  scenario: ScenarioName;
  metric: 'rps' | 'p99';
  op: '>=' | '<';
  value: number;
}

/** The issue's targets (PostgreSQL, 2 cores, 50 connections). */
export const TARGETS: Target[] = [
  { what: 'attribute updates ≥ 2,000/s', scenario: 'update', metric: 'rps', op: '>=', value: 2000 },
  { what: 'GET by id ≥ 5,000/s', scenario: 'get', metric: 'rps', op: '>=', value: 5000 },
  { what: 'type+q queries ≥ 1,500/s', scenario: 'query', metric: 'rps', op: '>=', value: 1500 },
  { what: 'geo near ≥ 1,000/s', scenario: 'geo', metric: 'rps', op: '>=', value: 1000 },
  ...(['create', 'update', 'get', 'query', 'geo'] as const).map(
    (s): Target => ({ what: `${s} p99 < 50 ms`, scenario: s, metric: 'p99', op: '<', value: 50 }),
  ),
];

export interface HubBenchResult {
  benchmark: 'hub';
  formatVersion: 1;
  driver: 'pglite' | 'postgres';
  startedAt: string;
  finishedAt: string;
  commit?: string;
  params: { entities: number; tenants: number; durationS: number; warmupS: number; connections: number; batchSize: number; quick: boolean; analyze?: boolean; settle?: boolean };
  machine: Record<string, unknown>;
  ceilings: {
    /** rps: mean of the measurements before and after the scenarios (the machine is shared and noisy). */
    http: {
      rps: number;
      latency: LoadResult['latency'];
      non2xx: number;
      errors: number;
      before?: { rps: number; latency: LoadResult['latency'] };
      after?: { rps: number; latency: LoadResult['latency'] };
    };
    storage: StorageCeiling;
  };
  load: { entities: number; seconds: number; perS: number; failed: number; errorSamples: string[]; rssPeakMb: number };
  scenarios: ScenarioResult[];
  rss: { peakMb: number; hwmMb?: number; afterStartMb: number; afterLoadMb: number };
  storeSizeMb?: number;
  /** PostgreSQL: pg_stat_user_tables for hub_entities (were planner statistics there?). */
  tableStats?: { beforeScenarios?: Record<string, unknown>; afterScenarios?: Record<string, unknown> };
  serverWarnings: { count: number; samples: string[] };
  targets: (Target & { actual: number; met: boolean })[];
}

export function evaluateTargets(scenarios: ScenarioResult[]): HubBenchResult['targets'] {
  return TARGETS.map((t) => {
    const s = scenarios.find((x) => x.name === t.scenario);
    const actual = s ? (t.metric === 'rps' ? s.rps : s.latency.p99) : NaN;
    const clean = !!s && s.non2xx === 0 && s.errors === 0 && s.timeouts === 0;
    const met = clean && (t.op === '>=' ? actual >= t.value : actual < t.value);
    return { ...t, actual, met };
  });
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const ms = (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(1) : Math.round(n).toString()) : '–');
const ratio = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '–');
const pad = (s: string, n: number, right = false) => (right ? s.padStart(n) : s.padEnd(n));

/** autocannon counts timeouts among errors too. */
function errCell(s: { non2xx: number; errors: number; timeouts: number }): string {
  const e = s.non2xx + s.errors;
  return e ? `${int(e)} ⚠${s.timeouts ? ` (${int(s.timeouts)} timeouts)` : ''}` : '0';
}

export function consoleTable(r: HubBenchResult): string {
  const head = ['scenario', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', '÷HTTP ceil', '÷store ceil', 'peak RSS MB'];
  const rows: string[][] = [
    ['HTTP ceiling (bare Fastify)', int(r.ceilings.http.rps), ms(r.ceilings.http.latency.p50), ms(r.ceilings.http.latency.p95), ms(r.ceilings.http.latency.p99), errCell({ ...r.ceilings.http, timeouts: 0 }), '1.00', '', ''],
    ['storage ceiling: upserts', int(r.ceilings.storage.upsertPerS), '', '', '', '', '', '1.00', ''],
    ['storage ceiling: PK selects', int(r.ceilings.storage.selectPerS), '', '', '', '', '', '1.00', ''],
    ...r.scenarios.map((s) => [s.label, int(s.rps), ms(s.latency.p50), ms(s.latency.p95), ms(s.latency.p99), errCell(s), ratio(s.httpRatio), ratio(s.storageRatio), int(s.rssPeakMb)]),
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i], i > 0)).join('  ');
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  out.push('');
  out.push(`load: ${int(r.load.entities)} entities in ${r.load.seconds.toFixed(1)} s = ${int(r.load.perS)}/s${r.load.failed ? `, ${int(r.load.failed)} FAILED` : ''}`);
  out.push(`server peak RSS ${int(r.rss.peakMb)} MB (VmHWM ${r.rss.hwmMb ? int(r.rss.hwmMb) : '–'} MB; after start ${int(r.rss.afterStartMb)} MB, after load ${int(r.rss.afterLoadMb)} MB)`);
  if (r.storeSizeMb !== undefined) out.push(`store size after the run: ${int(r.storeSizeMb)} MB`);
  if (r.ceilings.http.before && r.ceilings.http.after) out.push(`HTTP ceiling ${int(r.ceilings.http.before.rps)}/s before, ${int(r.ceilings.http.after.rps)}/s after the scenarios (ratios use the mean)`);
  const st = statsNote(r);
  if (st) out.push(st);
  out.push('');
  out.push(`targets (issue: PostgreSQL, 2 cores, ${r.params.connections} connections)${r.driver === 'pglite' ? ' — shown for information on PGlite' : ''}:`);
  for (const t of r.targets) out.push(`  ${t.met ? 'MET   ' : 'NOT MET'} ${t.what}: ${t.metric === 'rps' ? `${int(t.actual)}/s` : `${ms(t.actual)} ms`}`);
  const bad = r.scenarios.filter((s) => s.non2xx + s.errors > 0);
  for (const s of bad) {
    out.push('');
    out.push(`!!! ${s.label}: ${s.non2xx} non-2xx, ${s.errors} errors of which ${s.timeouts} timeouts (10 s); status codes ${JSON.stringify(s.statusCodes)}`);
    for (const e of s.errorSamples) out.push(`    ${e.status}: ${e.body}`);
  }
  if (r.serverWarnings.count) out.push(`\nserver logged ${r.serverWarnings.count} warning/error lines, e.g.:\n  ${r.serverWarnings.samples.slice(0, 3).join('\n  ')}`);
  return out.join('\n');
}

// ---- docs/benchmarks.md
const SECTION = '## Hub (npm run bench:hub)';

const INTRO = `# Benchmarks

Measured performance of Madina. Every figure comes from the development machine: **2 cores, shared
and noisy**, with the load generator, the server and (for PostgreSQL) the database on the same host.
Absolute numbers therefore move from run to run by ±20 % or more; what is comparable is each figure's
**ratio to a ceiling measured in the same run on the same machine** (a bare HTTP server for HTTP
throughput, raw SQL through the same database driver for storage). Tests never assert timings.

Re-run and regenerate the tables below:

\`\`\`sh
npm run bench:hub                        # PGlite and PostgreSQL, 100,000 entities, 10 s per scenario
npm run bench:hub -- --driver postgres   # one driver (pglite | postgres | both)
npm run bench:hub -- --quick             # 10,000 entities, 5 s per scenario (smoke run)
\`\`\`

Options: \`--entities N\`, \`--duration S\` (per scenario), \`--connections C\` (default 50).
PostgreSQL is reached at \`MADINA_BENCH_PG_URL\` (default \`postgres://postgres@127.0.0.1:5432/postgres\`); the
benchmark creates and finally drops a database \`madina_bench\`. Raw results are kept as JSON in
\`bench/results/\`.
`;

function loadResults(dir: string): HubBenchResult[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^hub-(pglite|postgres)-\d{8}-\d{4}\.json$/.test(f))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as HubBenchResult)
    .filter((r) => r.benchmark === 'hub' && r.formatVersion === 1);
}

/** Latest result per driver, preferring full (non --quick) runs. */
export function latestPerDriver(dir: string): HubBenchResult[] {
  const all = loadResults(dir).sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  const out: HubBenchResult[] = [];
  for (const driver of ['postgres', 'pglite'] as const) {
    const mine = all.filter((r) => r.driver === driver);
    const full = mine.filter((r) => !r.params.quick);
    const pick = (full.length ? full : mine).at(-1);
    if (pick) out.push(pick);
  }
  return out;
}

function statsNote(r: HubBenchResult): string | undefined {
  const b = r.tableStats?.beforeScenarios;
  if (!b) return undefined;
  const analyzed = !!(b.lastAnalyze || b.lastAutoanalyze);
  return `hub_entities planner statistics before the scenarios: ${analyzed ? `present (${b.lastAnalyze ? (r.params.settle ? 'VACUUM (ANALYZE) after the load' : 'ANALYZE by --analyze') : 'autovacuum'})` : 'ABSENT (autovacuum had not analyzed the table after the load)'}`;
}

function driverSection(r: HubBenchResult): string {
  const name = r.driver === 'postgres' ? 'PostgreSQL' : 'PGlite (embedded)';
  const m = r.machine as { cpus?: number; cpuModel?: string; node?: string; dbVersion?: string; loadavgAtEnd?: number[] };
  const L: string[] = [];
  L.push(`### ${name}`);
  L.push('');
  L.push(
    `${r.startedAt.slice(0, 16).replace('T', ' ')} UTC${r.commit ? `, commit \`${r.commit.slice(0, 10)}\`` : ''}; ` +
      `${int(r.params.entities)} entities over ${r.params.tenants} tenants, ${r.params.connections} connections, ` +
      `${r.params.durationS} s per scenario after ${r.params.warmupS} s warm-up on the same connections${r.params.quick ? ' (**--quick run**)' : ''}${r.params.analyze ? ', `--analyze`' : ''}${r.params.settle ? (r.driver === 'postgres' ? ', tables vacuumed and checkpointed after the load' : ', 25 s after the load for the server\'s own maintenance (analyze, vacuum, checkpoint)') : r.params.settle === false ? ', `--fresh` (measured right after the load)' : ''}; ` +
      `${m.cpus} × ${m.cpuModel ?? 'cpu'}, Node ${m.node}${m.dbVersion ? `, ${m.dbVersion}` : ''}` +
      `${m.loadavgAtEnd ? `; machine load average at the end ${m.loadavgAtEnd.join(' / ')} (1/5/15 min, other jobs included)` : ''}.`,
  );
  L.push('');
  L.push('| scenario | req/s | p50 ms | p95 ms | p99 ms | errors | ÷ HTTP ceiling | ÷ storage ceiling |');
  L.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const h = r.ceilings.http;
  const spread = h.before && h.after ? ` (${int(h.before.rps)} before, ${int(h.after.rps)} after)` : '';
  L.push(`| *HTTP ceiling: bare Fastify, fixed JSON*${spread} | ${int(h.rps)} | ${ms(h.latency.p50)} | ${ms(h.latency.p95)} | ${ms(h.latency.p99)} | ${h.non2xx + h.errors} | 1.00 | |`);
  L.push(`| *storage ceiling: raw upserts* (${r.ceilings.storage.inFlight} in flight) | ${int(r.ceilings.storage.upsertPerS)} | | | | | | 1.00 |`);
  L.push(`| *storage ceiling: raw PK selects* | ${int(r.ceilings.storage.selectPerS)} | | | | | | 1.00 |`);
  for (const s of r.scenarios) {
    L.push(`| ${s.label} | ${int(s.rps)} | ${ms(s.latency.p50)} | ${ms(s.latency.p95)} | ${ms(s.latency.p99)} | ${errCell(s)} | ${ratio(s.httpRatio)} | ${ratio(s.storageRatio)} |`);
  }
  L.push('');
  L.push(
    `Load: ${int(r.load.entities)} entities in ${r.load.seconds.toFixed(1)} s (**${int(r.load.perS)} entities/s**` +
      `${r.load.failed ? `, ${int(r.load.failed)} failed` : ''}). Server peak RSS **${int(r.rss.peakMb)} MB**` +
      ` (${int(r.rss.afterStartMb)} MB after start, ${int(r.rss.afterLoadMb)} MB after the load)` +
      `${r.driver === 'postgres' ? '; PostgreSQL backends not included' : '; includes the embedded database'}` +
      `${r.storeSizeMb !== undefined ? `. Store size ${int(r.storeSizeMb)} MB` : ''}.`,
  );
  const st = statsNote(r);
  if (st) L.push('', st.charAt(0).toUpperCase() + st.slice(1) + '.');
  L.push('');
  L.push(`Targets (set for PostgreSQL${r.driver === 'pglite' ? '; informative here' : ''}): ` +
    r.targets.map((t) => `${t.what} ${t.met ? '✅' : '❌'} (${t.metric === 'rps' ? `${int(t.actual)}/s` : `${ms(t.actual)} ms`})`).join('; ') + '.');
  const bad = r.scenarios.filter((s) => s.non2xx + s.errors > 0);
  if (bad.length) {
    L.push('');
    L.push(`**Errors:** ${bad.map((s) => `${s.label}: ${JSON.stringify(s.statusCodes)}${s.errors ? `, ${s.errors} errors of which ${s.timeouts} timeouts (no answer within 10 s)` : ''}`).join('; ')}.`);
  }
  return L.join('\n');
}

/** What the tables do not say by themselves (measured with profiles and EXPLAIN on this machine). */
const NOTES = `
Reading the figures: on these 2 cores the server, PostgreSQL and autocannon share the CPU, so a scenario's
rate is bounded by the CPU one request costs in all three, and the same build measures ±20 % from one run
to the next; the machine itself also changes from day to day (the bare-Fastify ceiling was 33,000-40,000/s
on 2026-11-26 before 05:00 and 12,000-16,000/s after 06:00), so compare ratios to the ceilings of the same
run, not figures across days.

What changed, why, and what each session measured: the next section, written by hand. A run rewrites this
section only, never that one.
`

export function hubSection(results: HubBenchResult[]): string {
  const L: string[] = [SECTION, ''];
  L.push(
    'Streetlight entities in the Smart Data Models shape (normalized, ~15 attributes: location Point in Casablanca, ' +
      'powerState, illuminanceLevel, status, refStreetlightModel …) are loaded over 4 tenants with ' +
      '`POST /entityOperations/create` (batches of 500); then each scenario runs autocannon against tenant 1 on ' +
      'loopback, every request aimed at a different entity or point. Madina runs as its own process (`node bin/madina.js start`), ' +
      'exactly as a user starts it. Scenarios: **create** `POST /entities` (new ids); **update** ' +
      '`PATCH /entities/{id}/attrs` (new illuminanceLevel + observedAt); **get** `GET /entities/{id}`; ' +
      '**query** `GET /entities?type=Streetlight&q=illuminanceLevel>x;powerState=="on"&limit=20` (x varies); ' +
      '**geo** `GET /entities?type=Streetlight&georel=near;maxDistance==500&geometry=Point&coordinates=[lon,lat]&limit=20` (random points). ' +
      'They run in the order update, get, query, geo, create: the reads see the loaded store alone, not the ~20,000 entities ' +
      'the create scenario adds to tenant 1 (until 2026-11-26 create ran first, and the geo figures were measured on a ' +
      'tenant 1 of ~45,000 entities instead of 25,000).',
  );
  L.push('');
  L.push(
    'Ceilings, measured in the same run: **HTTP** — a bare Fastify process answering a fixed JSON document the size of ' +
      'an entity, under the same autocannon load; **storage** — single-row parameterised upserts and primary-key selects ' +
      'through the same `Db` driver into a scratch table `LIKE hub_entities INCLUDING ALL` (same indexes), with the ' +
      "server's pool size (20 connections) and 50 statements in flight on PostgreSQL, one at a time on PGlite. " +
      'PostgreSQL runs with its stock Debian settings (shared_buffers 128 MB, synchronous_commit on). Writes are divided by the upsert ' +
      'ceiling, reads by the select ceiling. Each scenario is one autocannon run: its warm-up seconds, then the measured ones ' +
      'on the same connections; latency percentiles cover every response to a request sent after the warm-up.',
  );
  if (!results.length) L.push('', '_No results yet: run `npm run bench:hub`._');
  for (const r of results) L.push('', driverSection(r));
  L.push('', NOTES.trim());
  return L.join('\n') + '\n';
}

export function writeDocs(docsPath: string, resultsDir: string): void {
  writeDocSection(docsPath, SECTION, hubSection(latestPerDriver(resultsDir)), INTRO);
}
