import { ApiError, getJson, ngsiUrl } from '../app/api';

/** A numeric attribute's history from the temporal API (NGSI-LD 1.8 §6.18), as [epoch ms, value] pairs sorted by time. */
export async function loadHistory(id: string, attr: string, fromMs: number, toMs: number): Promise<{ t: number[]; v: number[] } | 'unavailable'> {
  const url = ngsiUrl(`/temporal/entities/${encodeURIComponent(id)}`, {
    attrs: attr,
    timerel: 'between',
    timeAt: new Date(fromMs).toISOString(),
    endTimeAt: new Date(toMs).toISOString(),
    options: 'temporalValues',
    lastN: 5000,
  });
  let body: Record<string, unknown>;
  try {
    body = (await getJson<Record<string, unknown>>(url)).body;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 501 || err.status === 400)) return 'unavailable';
    throw err;
  }
  return parseHistory(body[attr]);
}

/** Accepts temporalValues (`values: [[v, t], ...]`), aggregated-free normalized (`[{ value, observedAt }]`) and one instance. */
export function parseHistory(a: unknown): { t: number[]; v: number[] } {
  const points: [number, number][] = [];
  const add = (value: unknown, time: unknown) => {
    const ms = typeof time === 'string' ? Date.parse(time) : NaN;
    if (typeof value === 'number' && Number.isFinite(ms)) points.push([ms, value]);
  };
  const instances = Array.isArray(a) ? a : a ? [a] : [];
  for (const inst of instances) {
    if (!inst || typeof inst !== 'object') continue;
    const o = inst as Record<string, unknown>;
    if (Array.isArray(o.values)) for (const pair of o.values as unknown[]) if (Array.isArray(pair)) add(pair[0], pair[1]);
    if ('value' in o) add(o.value, o.observedAt ?? o.modifiedAt ?? o.createdAt);
  }
  points.sort((x, y) => x[0] - y[0]);
  return { t: points.map((p) => p[0]), v: points.map((p) => p[1]) };
}
