/**
 * `madina plan waste --commune <code>`: asks a running Madina to plan a collection (the same job as
 * POST /api/waste/plans), draws the job's progress on stderr from its SSE stream, prints the plan.
 */
import { parseArgs } from 'node:util';

export const PLAN_WASTE_USAGE = `Usage: madina plan waste --commune CODE [options]

Plans a commune's (or arrondissement's) waste collection on a running Madina and prints the plan.

  --commune CODE        9-digit HCP code of a commune or a Casablanca arrondissement (required)
  --date YYYY-MM-DD     collection day (default tomorrow, UTC)
  --threshold X         collect containers predicted at or above X (0..1, default 0.7)
  --trucks N            trucks available (default 3)
  --capacity-m3 X       body volume per truck, m³ (default 16)
  --shift-hours X       shift length (default 7)
  --time S              solver time budget in seconds (default 5)
  --seed N              solver seed (default 1)
  --format F            what to print: summary (default), json, geojson, csv
  --url URL             Madina's address (default http://127.0.0.1:$PORT, PORT default 8080)
  --api-key KEY         API key (default $MADINA_API_KEY); or --user NAME with $MADINA_PASSWORD;
                        with neither, the demo administrator is tried (demo mode only)
`;

export interface PlanCliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  fetch: typeof fetch;
  /** True when stderr is a terminal (redraw the bar in place). */
  tty: boolean;
  signal?: AbortSignal;
}

/** A text progress bar: `[#######.............]  35% solve  best 42.1 km`. */
export function progressBar(fraction: number, label: string, width = 30): string {
  const f = Math.max(0, Math.min(1, fraction));
  const filled = Math.round(f * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(f * 100)).padStart(3)}% ${label}`;
}

async function authHeaders(base: string, io: PlanCliIo, opts: { 'api-key'?: string; user?: string }): Promise<Record<string, string>> {
  const key = opts['api-key'] ?? io.env.MADINA_API_KEY;
  if (key) return { 'x-api-key': key };
  const username = opts.user ?? 'admin';
  const password = opts.user ? io.env.MADINA_PASSWORD : (io.env.MADINA_PASSWORD ?? 'madina-demo-2026');
  const res = await io.fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (!res.ok) throw new Error(`could not sign in as ${username} (${res.status}); give --api-key or --user with MADINA_PASSWORD`);
  return { authorization: `Bearer ${((await res.json()) as { token: string }).token}` };
}

/** Reads an SSE body, calling `onEvent` per event. */
async function readSse(body: ReadableStream<Uint8Array>, onEvent: (event: string, data: any) => void) {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let k: number;
    while ((k = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, k);
      buf = buf.slice(k + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) onEvent(event, JSON.parse(data));
    }
  }
}

function problemText(p: any): string {
  const lines = [`${p.title ?? 'error'}${p.detail ? `: ${p.detail}` : ''}`];
  for (const key of ['unserved', 'unreachable', 'unknown']) {
    const list = p[key] as unknown[] | undefined;
    if (list?.length) lines.push(`  ${key} (${list.length}): ${list.map((x: any) => (typeof x === 'string' ? x : `${x.id}${x.tripMinutes ? ` (${x.tripMinutes} min)` : ''}`)).join(', ')}`);
  }
  return lines.join('\n') + '\n';
}

export async function runPlanWasteCli(argv: string[], io: PlanCliIo): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        commune: { type: 'string' },
        date: { type: 'string' },
        threshold: { type: 'string' },
        trucks: { type: 'string' },
        'capacity-m3': { type: 'string' },
        'shift-hours': { type: 'string' },
        time: { type: 'string' },
        seed: { type: 'string' },
        format: { type: 'string', default: 'summary' },
        url: { type: 'string' },
        'api-key': { type: 'string' },
        user: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    io.stderr(`${(err as Error).message}\n\n${PLAN_WASTE_USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout(PLAN_WASTE_USAGE);
    return 0;
  }
  if (!values.commune) {
    io.stderr(`--commune is required\n\n${PLAN_WASTE_USAGE}`);
    return 2;
  }
  const format = String(values.format);
  if (!['summary', 'json', 'geojson', 'csv'].includes(format)) {
    io.stderr(`--format must be summary, json, geojson or csv\n`);
    return 2;
  }
  const num = (k: string) => (values[k] === undefined ? undefined : Number(values[k]));
  const base = String(values.url ?? `http://127.0.0.1:${io.env.PORT ?? 8080}`).replace(/\/$/, '');
  const fleet = Object.fromEntries(
    Object.entries({ trucks: num('trucks'), capacityM3: num('capacity-m3'), shiftHours: num('shift-hours') }).filter(([, v]) => v !== undefined),
  );
  const body = {
    commune: values.commune,
    ...(values.date ? { date: values.date } : {}),
    ...(values.threshold !== undefined ? { threshold: num('threshold') } : {}),
    ...(Object.keys(fleet).length ? { fleet } : {}),
    budget: { timeLimitMs: Math.round((num('time') ?? 5) * 1000), seed: num('seed') ?? 1 },
  };

  try {
    const auth = await authHeaders(base, io, values as { 'api-key'?: string; user?: string });
    const started = await io.fetch(`${base}/api/waste/plans`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const startBody = (await started.json()) as any;
    if (started.status !== 202) {
      io.stderr(problemText(startBody));
      return 1;
    }
    const abort = () => void io.fetch(`${base}/api/jobs/${startBody.jobId}`, { method: 'DELETE', headers: auth }).catch(() => {});
    io.signal?.addEventListener('abort', abort);
    const stream = await io.fetch(`${base}${startBody.links.events}`, { headers: { ...auth, accept: 'text/event-stream' } });
    if (!stream.ok || !stream.body) throw new Error(`the job's event stream answered ${stream.status}`);
    let done: any;
    let lastLine = '';
    await readSse(stream.body, (event, data) => {
      if (event === 'progress') {
        const label = `${data.phase ?? ''}${data.bestKm !== undefined ? `  best ${data.bestKm} km` : ''}${data.message ? `  ${data.message}` : ''}`;
        const line = progressBar(data.fraction ?? 0, label);
        if (io.tty) io.stderr(`\r${line.padEnd(lastLine.length)}`);
        else if (line !== lastLine) io.stderr(`${line}\n`);
        lastLine = line;
      } else if (event === 'done') done = data;
    });
    if (io.tty && lastLine) io.stderr('\n');
    if (!done) throw new Error('the event stream ended before the job did');
    if (done.status !== 'succeeded') {
      io.stderr(done.error ? problemText(done.error) : `job ${done.status}\n`);
      return 1;
    }
    const r = done.result;
    if (format === 'summary') {
      io.stdout(
        `Plan ${r.planId} v${r.version} for ${r.commune} on ${r.date}: ${r.containersPlanned} of ${r.containersConsidered} containers, ` +
          `${r.trucksUsed} truck(s), ${r.distanceKm} km, ${r.volumeL} L\n`,
      );
      const plan = (await (await io.fetch(`${base}/api/waste/plans/${r.planId}?version=${r.version}`, { headers: auth })).json()) as any;
      for (const route of plan.routes) {
        io.stdout(`  truck ${route.truck} from ${route.depotId}: ${route.stops.length} stops, ${Math.round(route.distanceM / 100) / 10} km, ${route.durationMin} min, ${route.loadL} L\n`);
      }
      return 0;
    }
    const res = await io.fetch(`${base}/api/waste/plans/${r.planId}?version=${r.version}${format === 'json' ? '' : `&format=${format}`}`, { headers: auth });
    io.stdout(format === 'json' ? JSON.stringify(await res.json(), null, 2) + '\n' : await res.text());
    return 0;
  } catch (err) {
    io.stderr(`madina plan waste: ${(err as Error).message}\n`);
    return 1;
  }
}
