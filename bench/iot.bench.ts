/**
 * npm run bench:iot — end-to-end ingestion of the IoT agent: MQTT publish (from this process) to the
 * value visible in the hub, with the embedded broker (aedes) and with Mosquitto.
 *
 *   --broker embedded|mosquitto|both   (default both)
 *   --driver pglite|postgres           store of the server (default pglite)
 *   --devices N                        provisioned devices (default 1000)
 *   --rates a,b,c                      offered measures/s, one step each (default 1000,2500,5000,7500,10000)
 *   --duration S                       seconds per step (default 10)
 *   --quick                            rates 1000,5000 and 5 s per step
 *
 * Madina runs as its own process (node bin/madina.js start). Each step publishes at a fixed rate over
 * 4 MQTT connections (QoS 0, one measure set {l, s} per message, devices round-robin) and, every 50 ms,
 * a marker measure whose arrival in the hub is polled (GET /entities?type=BenchMarker every ~20 ms):
 * the latency is marker publish -> value visible. Accepted/rejected/dropped come from /api/iot/stats.
 * Every step runs (so overload behaviour is measured too). A step is sustained when every message was accepted, nothing dropped, the buffer drained within 1 s
 * of the step's end and p99 < 1 s. Results: bench/results/iot-<driver>-<date>.json and the
 * "IoT ingestion" section of docs/benchmarks.md.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { disableNagle } from '../src/platform/mqtt-nodelay.ts';
import { ensurePgliteTemplate } from '../test/global-setup.ts';
import { benchServerEnv, freePort, installSignalHandlers, madinaStartArgs, onCleanup, procStatus, RssSampler, runCleanups, startChild, waitHttp, type Child } from './lib/proc.ts';
import { writeDocSubsection } from './lib/docs.ts';
import { gitCommit } from './lib/git.ts';

const ROOT = resolve(import.meta.dirname, '..');
const RESULTS_DIR = join(ROOT, 'bench', 'results');
const DOCS = join(ROOT, 'docs', 'benchmarks.md');
const TENANT = 'bench';
const MARKERS = 5;
const PUBLISHERS = 4;

const { values: argv } = parseArgs({
  options: {
    broker: { type: 'string', default: 'both' },
    driver: { type: 'string', default: 'pglite' },
    devices: { type: 'string', default: '1000' },
    rates: { type: 'string' },
    duration: { type: 'string' },
    quick: { type: 'boolean', default: false },
    report: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (argv.help) {
  process.stdout.write('npm run bench:iot -- [--broker embedded|mosquitto|both] [--driver pglite|postgres] [--devices N] [--rates 1000,5000] [--duration S] [--quick] [--report]\n');
  process.exit(0);
}
const quick = argv.quick!;
const devices = Number(argv.devices);
const rates = (argv.rates ?? (quick ? '1000,5000' : '1000,2500,5000,7500,10000')).split(',').map(Number);
const durationS = Number(argv.duration ?? (quick ? 5 : 10));
if (!Number.isInteger(devices) || devices < 1 || rates.some((r) => !Number.isFinite(r) || r <= 0) || !(durationS > 0)) throw new Error('bad --devices, --rates or --duration');
if (!['embedded', 'mosquitto', 'both'].includes(argv.broker!)) throw new Error('--broker must be embedded, mosquitto or both');
if (!['pglite', 'postgres'].includes(argv.driver!)) throw new Error('--driver must be pglite or postgres');
const brokers = (argv.broker === 'both' ? ['embedded', 'mosquitto'] : [argv.broker]) as ('embedded' | 'mosquitto')[];
const driver = argv.driver as 'pglite' | 'postgres';
const mosquittoUrl = process.env.MADINA_BENCH_MQTT_URL || 'mqtt://127.0.0.1:1883';
const pgAdminUrl = process.env.MADINA_BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

let aborted = false;
installSignalHandlers(() => (aborted = true));
const log = (msg: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function adminQuery(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: pgAdminUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** A fresh store for the server: a copy of the PGlite template, or a new PostgreSQL database. */
async function freshStore(): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  if (driver === 'postgres') {
    const name = `madina_bench_iot_${process.pid}`;
    await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await adminQuery(`CREATE DATABASE ${name}`);
    const url = new URL(pgAdminUrl);
    url.pathname = `/${name}`;
    return { env: { DATABASE_URL: url.toString() }, drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
  }
  const template = await ensurePgliteTemplate();
  const dir = mkdtempSync(join(tmpdir(), 'madina-bench-iot-'));
  cpSync(template, join(dir, 'pg'), { recursive: true });
  return { env: { MADINA_DATA_DIR: dir }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

interface Stats {
  received: number;
  accepted: number;
  rejected: { total: number };
  dropped: { total: number };
  buffer: { pendingEntities: number; flushingEntities: number };
  hubUpserts: { count: number; entities: number; avgMs: number };
}

interface StepResult {
  offeredPerS: number;
  publishedPerS: number;
  published: number;
  accepted: number;
  acceptedPerS: number;
  rejected: number;
  dropped: number;
  drainAfterEndMs: number;
  latencyMs: { samples: number; p50: number; p99: number; max: number };
  /** Hub batch upserts of the step: how many, mean entities per upsert, mean duration. */
  hub: { upserts: number; entitiesPerUpsert: number; msPerUpsert: number };
  sustained: boolean;
}

interface ModeResult {
  broker: 'embedded' | 'mosquitto';
  steps: StepResult[];
  maxSustainedPerS: number;
  peakRssMb: number;
  provisionMs: number;
}

const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN);

async function json(url: string, init?: RequestInit): Promise<any> {
  const r = await fetch(url, init);
  const text = await r.text();
  if (r.status >= 400) throw new Error(`${init?.method ?? 'GET'} ${url}: ${r.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

async function runMode(broker: 'embedded' | 'mosquitto'): Promise<ModeResult> {
  const store = await freshStore();
  const dropStore = onCleanup('store', () => store.drop());
  const port = await freePort();
  const mqttPort = await freePort();
  const mqttUrl = broker === 'embedded' ? `mqtt://127.0.0.1:${mqttPort}` : mosquittoUrl;
  const env: Record<string, string> = {
    ...store.env,
    ...benchServerEnv(port, broker === 'embedded' ? { MQTT_PORT: String(mqttPort) } : { MQTT_URL: mosquittoUrl }),
  };
  log(`${broker}: starting Madina (${driver}) on :${port}, MQTT ${mqttUrl}`);
  const child: Child = startChild(process.execPath, madinaStartArgs(), env, ROOT);
  const stopChild = onCleanup('server', () => child.stop());
  const base = `http://127.0.0.1:${port}`;
  await waitHttp(`${base}/health`, child, 120_000);
  const rss = new RssSampler(child.pid, 200);

  // Provision with the FIWARE API: one group per run (unique apikey: Mosquitto may be shared), N devices.
  const apikey = `bench${randomUUID().slice(0, 8)}`;
  const h = { 'content-type': 'application/json', 'fiware-service': TENANT, 'fiware-servicepath': '/' };
  const t0 = Date.now();
  await json(`${base}/iot/groups`, {
    method: 'POST',
    headers: h,
    body: JSON.stringify({
      groups: [
        {
          apikey,
          resource: '/iot/json',
          entity_type: 'Streetlight',
          attributes: [
            { object_id: 'l', name: 'illuminanceLevel', type: 'Number', metadata: { unitCode: { type: 'Text', value: 'LUX' } } },
            { object_id: 's', name: 'seq', type: 'Integer' },
          ],
        },
      ],
    }),
  });
  const ids = Array.from({ length: devices }, (_, i) => `lamp-${i}`);
  for (let i = 0; i < ids.length; i += 1000) {
    const batch = ids.slice(i, i + 1000).map((device_id) => ({ device_id }));
    await json(`${base}/iot/devices`, { method: 'POST', headers: h, body: JSON.stringify({ devices: batch }) });
  }
  const markers = Array.from({ length: MARKERS }, (_, i) => ({ device_id: `marker-${i}`, entity_type: 'BenchMarker' }));
  await json(`${base}/iot/devices`, { method: 'POST', headers: h, body: JSON.stringify({ devices: markers }) });
  const provisionMs = Date.now() - t0;
  log(`${broker}: provisioned ${devices} devices + ${MARKERS} markers in ${provisionMs} ms`);

  const clients: MqttClient[] = [];
  for (let i = 0; i < PUBLISHERS; i++) clients.push(disableNagle(await mqtt.connectAsync(mqttUrl, { clientId: `bench-${randomUUID().slice(0, 8)}`, reconnectPeriod: 0 })));
  const closeClients = onCleanup('mqtt clients', async () => {
    for (const c of clients) await c.endAsync(true).catch(() => {});
  });
  const stats = (): Promise<Stats> => json(`${base}/api/iot/stats`);

  const steps: StepResult[] = [];
  let markerSeq = 0;
  for (const rate of rates) {
    if (aborted) break;
    rss.setPhase(`rate-${rate}`);
    const before = await stats();
    const pending = new Map<string, { seq: number; at: number }[]>();
    const latencies: number[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        try {
          const r = await fetch(`${base}/ngsi-ld/v1/entities?type=BenchMarker&attrs=seq&options=keyValues&limit=100`, { headers: { 'NGSILD-Tenant': TENANT } });
          const now = performance.now();
          if (r.ok) {
            for (const e of (await r.json()) as { id: string; seq?: number }[]) {
              const list = pending.get(e.id);
              if (!list || e.seq === undefined) continue;
              while (list.length && list[0].seq <= e.seq) latencies.push(now - list.shift()!.at);
            }
          }
        } catch {
          /* the server is busy: try again */
        }
        await sleep(Number(process.env.BENCH_POLL_MS ?? 20));
      }
    })();

    let published = 0;
    let lastMarker = 0;
    let n = 0;
    const start = performance.now();
    const endAt = start + durationS * 1000;
    while (!aborted) {
      const now = performance.now();
      if (now >= endAt) break;
      const due = Math.floor(((now - start) / 1000) * rate);
      while (published < due) {
        const dev = ids[n++ % ids.length];
        clients[published % PUBLISHERS].publish(`/json/${apikey}/${dev}/attrs`, `{"l":${(published % 1000) / 10},"s":${published}}`, { qos: 0 });
        published++;
      }
      if (now - lastMarker >= 50) {
        lastMarker = now;
        const m = markerSeq++;
        const dev = `marker-${m % MARKERS}`;
        const id = `urn:ngsi-ld:BenchMarker:${dev}`;
        if (!pending.has(id)) pending.set(id, []);
        pending.get(id)!.push({ seq: m, at: performance.now() });
        clients[0].publish(`/json/${apikey}/${dev}/attrs`, `{"s":${m}}`, { qos: 0 });
        published++;
      }
      await sleep(5);
    }
    const publishEnd = performance.now();
    const publishedPerS = published / ((publishEnd - start) / 1000);
    // Drain: everything received is accepted, rejected or dropped, and the buffer is empty.
    let after = await stats();
    const drainDeadline = Date.now() + 30_000;
    while (Date.now() < drainDeadline) {
      after = await stats();
      const settled = after.accepted + after.rejected.total + after.dropped.total - (before.accepted + before.rejected.total + before.dropped.total);
      if (settled >= published && after.buffer.pendingEntities === 0 && after.buffer.flushingEntities === 0) break;
      await sleep(20);
    }
    const drained = performance.now();
    await sleep(100);
    polling = false;
    await poller;
    const accepted = after.accepted - before.accepted;
    const sorted = [...latencies].sort((a, b) => a - b);
    const lost = [...pending.values()].reduce((a, l) => a + l.length, 0);
    const step: StepResult = {
      offeredPerS: rate,
      publishedPerS: Math.round(publishedPerS),
      published,
      accepted,
      acceptedPerS: Math.round(accepted / ((drained - start) / 1000)),
      rejected: after.rejected.total - before.rejected.total,
      dropped: after.dropped.total - before.dropped.total,
      drainAfterEndMs: Math.round(drained - publishEnd),
      latencyMs: { samples: sorted.length, p50: Math.round(pct(sorted, 50)), p99: Math.round(pct(sorted, 99)), max: Math.round(sorted.at(-1) ?? NaN) },
      hub: {
        upserts: after.hubUpserts.count - before.hubUpserts.count,
        entitiesPerUpsert: Math.round((after.hubUpserts.entities - before.hubUpserts.entities) / Math.max(1, after.hubUpserts.count - before.hubUpserts.count)),
        msPerUpsert:
          Math.round(
            (after.hubUpserts.avgMs * after.hubUpserts.count - before.hubUpserts.avgMs * before.hubUpserts.count) / Math.max(1, after.hubUpserts.count - before.hubUpserts.count),
          ),
      },
      sustained: false,
    };
    step.sustained = accepted >= published && step.dropped === 0 && lost === 0 && step.drainAfterEndMs <= 1000 && step.latencyMs.p99 < 1000;
    steps.push(step);
    log(
      `${broker}: offered ${rate}/s published ${step.publishedPerS}/s accepted ${step.acceptedPerS}/s (${accepted}/${published}) ` +
        `dropped ${step.dropped} rejected ${step.rejected} drain +${step.drainAfterEndMs} ms p50 ${step.latencyMs.p50} ms p99 ${step.latencyMs.p99} ms ` +
        `(${step.latencyMs.samples} markers${lost ? `, ${lost} never seen` : ''}) hub: ${step.hub.upserts} upserts of ${step.hub.entitiesPerUpsert} in ${step.hub.msPerUpsert} ms ` +
        `${step.sustained ? 'SUSTAINED' : 'not sustained'}`,
    );
  }
  rss.stop();
  const peakRssMb = Math.round((Math.max(rss.peakKb, procStatus(child.pid)?.hwmKb ?? 0) / 1024) * 10) / 10;
  await closeClients();
  await stopChild();
  await dropStore();
  return { broker, steps, maxSustainedPerS: Math.max(0, ...steps.filter((s) => s.sustained).map((s) => s.acceptedPerS)), peakRssMb, provisionMs };
}

type IotResult = { date: string; commit?: string; driver: string; machine: string; node: string; params: Record<string, unknown>; modes: ModeResult[] };

const HEADING = '## IoT ingestion (npm run bench:iot)';

function intro(devices: unknown): string {
  return [
    'End to end: MQTT publish from the benchmark process to the value visible in the hub. Madina runs as its own process (no demo seed, no simulator); ' +
      `the benchmark provisions a config group and ${devices} devices with the FIWARE provisioning API, then publishes at fixed offered rates over ` +
      `${PUBLISHERS} MQTT connections (QoS 0, one measure set \`{"l": <illuminance>, "s": <seq>}\` per message, devices round-robin), ` +
      'each step for a fixed time. Every 50 ms a marker measure is published and the hub is polled (~every 20 ms) until its value is visible: ' +
      'that is the ingest-to-visible latency. Accepted, rejected and dropped counts come from `/api/iot/stats`. A step is **sustained** when ' +
      'every message was accepted, none dropped, the buffer drained within 1 s of the end and p99 < 1 s. Peak RSS is the server process ' +
      '(VmHWM; with the embedded broker it includes aedes; Mosquitto runs in its own process; on PGlite it includes the database). The publisher, the broker, Madina and its store ' +
      'share the **2-core, shared** machine, so the figures are a floor, not a ceiling. Target: ≥ 5,000 measures/s sustained with p99 < 1 s.',
    '',
    'Re-run: `npm run bench:iot` (both brokers, PGlite), `-- --driver postgres`, `-- --broker mosquitto`, `-- --quick`, `-- --rates 2000,4000 --duration 20`; `-- --report` rewrites this section from the latest results.',
  ].join('\n');
}

function driverBody(r: IotResult): string {
  const lines = [`${r.date} UTC, commit \`${(r.commit ?? 'unknown').slice(0, 10)}\`; ${r.params.durationS} s per step; ${r.machine}, Node ${r.node}.`, ''];
  for (const m of r.modes) {
    lines.push(`#### ${m.broker === 'embedded' ? 'Embedded broker (aedes)' : 'Mosquitto (MQTT_URL)'}`, '');
    lines.push(`Max sustained: **${m.maxSustainedPerS.toLocaleString('en-US')} measures/s**; peak RSS ${m.peakRssMb} MB; provisioning ${r.params.devices} devices: ${m.provisionMs} ms.`, '');
    lines.push('| offered/s | published/s | accepted/s | accepted / published | dropped | drain after end ms | p50 ms | p99 ms | max ms | sustained |');
    lines.push('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |');
    for (const s of m.steps) {
      lines.push(
        `| ${s.offeredPerS.toLocaleString('en-US')} | ${s.publishedPerS.toLocaleString('en-US')} | ${s.acceptedPerS.toLocaleString('en-US')} | ${s.accepted}/${s.published} | ${s.dropped} | ${s.drainAfterEndMs} | ${s.latencyMs.p50} | ${s.latencyMs.p99} | ${s.latencyMs.max} | ${s.sustained ? 'yes' : 'no'} |`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}

function writeDocs(r: IotResult): void {
  writeDocSubsection(DOCS, HEADING, intro(r.params.devices), `### ${r.driver === 'postgres' ? 'PostgreSQL' : 'PGlite (embedded)'}`, driverBody(r));
}

/** --report: the section again from the latest full (non --quick) result of each store. */
function report(): void {
  for (const d of ['postgres', 'pglite']) {
    const files = readdirSync(RESULTS_DIR).filter((f) => f.startsWith(`iot-${d}-`) && f.endsWith('.json')).sort();
    const results = files.map((f) => JSON.parse(readFileSync(join(RESULTS_DIR, f), 'utf8')) as IotResult);
    const pick = results.filter((r) => !r.params.quick).at(-1) ?? results.at(-1);
    if (pick) writeDocs(pick);
  }
}

async function main() {
  if (argv.report) {
    report();
    log(`updated ${DOCS}`);
    return;
  }
  const modes: ModeResult[] = [];
  for (const b of brokers) {
    if (aborted) break;
    modes.push(await runMode(b));
  }
  const now = new Date();
  const stamp = now.toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  const result = {
    date: now.toISOString().slice(0, 16).replace('T', ' '),
    commit: gitCommit(),
    driver,
    machine: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}`,
    node: process.version,
    params: { devices, rates, durationS, publishers: PUBLISHERS, markers: MARKERS, quick },
    modes,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `iot-${driver}-${stamp}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  log(`results: ${file}`);
  if (!aborted) {
    writeDocs(result);
    log(`updated ${DOCS}`);
  }
}

main()
  .catch((err) => {
    process.stderr.write(`${err?.stack ?? err}\n`);
    process.exitCode = 1;
  })
  .finally(() => runCleanups());
