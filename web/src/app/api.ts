/** Reading Madina's APIs from the browser: the NGSI-LD hub and /api/map. Same origin, session cookie included. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
  ) {
    super(`${url} answered ${status}`);
  }
}

export async function getJson<T>(url: string, init: RequestInit = {}): Promise<{ body: T; headers: Headers }> {
  const res = await fetch(url, { credentials: 'same-origin', ...init, headers: { accept: 'application/json', ...(init.headers ?? {}) } });
  if (!res.ok) throw new ApiError(res.status, url);
  return { body: (await res.json()) as T, headers: res.headers };
}

export const ngsiUrl = (path: string, params: Record<string, string | number | undefined> = {}) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return `/ngsi-ld/v1${path}${s ? `?${s}` : ''}`;
};

export type KeyValues = { id: string; type: string | string[] } & Record<string, unknown>;

/** Every entity of a query (keyValues), pages of 1000 read in parallel after the first tells the total. */
export async function queryAll(params: Record<string, string>): Promise<KeyValues[]> {
  const page = 1000;
  const first = await getJson<KeyValues[]>(ngsiUrl('/entities', { ...params, options: 'keyValues', limit: page, count: 'true' }));
  const total = Number(first.headers.get('ngsild-results-count') ?? first.body.length);
  const rest: Promise<{ body: KeyValues[] }>[] = [];
  for (let offset = page; offset < total; offset += page) rest.push(getJson<KeyValues[]>(ngsiUrl('/entities', { ...params, options: 'keyValues', limit: page, offset })));
  return [first.body, ...(await Promise.all(rest)).map((r) => r.body)].flat();
}

/**
 * Any NGSI-LD entity representation (normalized, concise or keyValues) reduced to keyValues, so live
 * events and API answers update the screen the same way.
 */
export function toKeyValues(e: Record<string, unknown>): KeyValues {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (k === '@context') continue;
    out[k] = k === 'id' || k === 'type' || k === 'scope' || k === 'createdAt' || k === 'modifiedAt' ? v : simplify(v);
  }
  return out as KeyValues;
}

function simplify(v: unknown): unknown {
  if (Array.isArray(v)) {
    const inst = v.find((i) => i && typeof i === 'object' && !('datasetId' in i)) ?? v[0];
    return inst && typeof inst === 'object' && ('value' in inst || 'object' in inst || 'languageMap' in inst) ? simplify(inst) : v;
  }
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('value' in o) return o.value;
    if ('object' in o) return o.object;
    if ('languageMap' in o) return { languageMap: o.languageMap };
    if ('vocab' in o) return o.vocab;
    if ('json' in o) return o.json;
  }
  return v;
}

/** A LanguageProperty's text in the reader's language (keyValues gives `{ languageMap }`). */
export function localText(v: unknown, lang: string): string | undefined {
  if (typeof v === 'string') return v;
  const map = (v as { languageMap?: Record<string, string> } | undefined)?.languageMap ?? (v as Record<string, string> | undefined);
  if (!map || typeof map !== 'object') return undefined;
  return map[lang] ?? map.fr ?? map['@none'] ?? Object.values(map)[0];
}

export const shortType = (t: string | string[]) => {
  const s = Array.isArray(t) ? t[0] : t;
  return s.slice(Math.max(s.lastIndexOf('/'), s.lastIndexOf('#')) + 1);
};
