import type { HubTransport, NgsiEntity } from '../hub/client/hub-client.ts';
import type { EntityChange } from '../hub/entities/service.ts';
import { encodeJson, type EncodedJson } from './base-layers.ts';

/**
 * Point layers of the city map (streetlights, bins, counters...) as compact GeoJSON. Reading 20,000+
 * entities page by page takes seconds, so each (type, attributes) layer is read from the hub once and
 * then kept fresh: committed changes mark entities dirty, and the next request re-reads only those.
 */
const PAGE = 1000;
/** Past this many pending changes a full re-read is cheaper than id queries. */
const FULL_RELOAD_AFTER = 5000;
const ID_BATCH = 100;

interface LayerEntry {
  type: string;
  attrs: string[];
  features: Map<string, unknown>;
  dirty: Set<string>;
  stale: boolean;
  encoded?: EncodedJson;
  loading?: Promise<void>;
}

/** Last segment of an expanded IRI (`https://.../default-context/Streetlight` → `Streetlight`). */
function shortName(iri: string): string {
  const i = Math.max(iri.lastIndexOf('/'), iri.lastIndexOf('#'), iri.lastIndexOf(':'));
  return i >= 0 ? iri.slice(i + 1) : iri;
}

function scalar(v: unknown): unknown {
  if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  return undefined;
}

/** One entity (keyValues with sysAttrs) as a GeoJSON feature; undefined without a point location. */
export function toFeature(e: NgsiEntity, attrs: string[]): unknown {
  const loc = e.location as { type?: string; coordinates?: unknown } | undefined;
  if (!loc || loc.type !== 'Point' || !Array.isArray(loc.coordinates)) return undefined;
  const properties: Record<string, unknown> = { id: e.id };
  for (const a of attrs) {
    const v = scalar(e[a]);
    if (v !== undefined) properties[a] = v;
  }
  const modified = typeof e.modifiedAt === 'string' ? Date.parse(e.modifiedAt) : NaN;
  if (Number.isFinite(modified)) properties.t = Math.round(modified / 1000);
  const [lon, lat] = loc.coordinates as number[];
  return { type: 'Feature', geometry: { type: 'Point', coordinates: [Math.round(lon * 1e6) / 1e6, Math.round(lat * 1e6) / 1e6] }, properties };
}

export class MapLayerCache {
  private readonly layers = new Map<string, LayerEntry>();

  constructor(
    private readonly hub: HubTransport,
    private readonly tenant = '',
  ) {}

  /** One page of keyValues with sysAttrs, so each feature carries its last update (silent-device alerts). */
  private async query(params: Record<string, string>): Promise<{ entities: NgsiEntity[]; total?: number }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.tenant) headers['ngsild-tenant'] = this.tenant;
    const res = await this.hub.send({ method: 'GET', path: '/entities', query: { options: 'keyValues,sysAttrs', ...params }, headers });
    if (res.status === 404) return { entities: [], total: 0 };
    if (res.status >= 400) throw new Error(`hub answered ${res.status} reading a map layer`);
    const count = res.headers['ngsild-results-count'];
    return { entities: res.body as NgsiEntity[], total: count === undefined ? undefined : Number(count) };
  }

  /** Feed of committed changes (EntityService.onCommitted). */
  onCommitted = (tenant: string, changes: EntityChange[]): void => {
    if (tenant !== this.tenant || this.layers.size === 0) return;
    for (const c of changes) {
      const e = c.after ?? c.before;
      if (!e) continue;
      const types = new Set([...(c.before?.types ?? []), ...(c.after?.types ?? [])].map(shortName));
      for (const layer of this.layers.values()) {
        if (!types.has(layer.type)) continue;
        layer.encoded = undefined;
        if (layer.dirty.size >= FULL_RELOAD_AFTER) layer.stale = true;
        else layer.dirty.add(e.id);
      }
    }
  };

  private key(type: string, attrs: string[]) {
    return `${type}|${attrs.join(',')}`;
  }

  private async readAll(entry: LayerEntry) {
    const pick = ['id', 'location', ...entry.attrs].join(',');
    const first = await this.query({ type: entry.type, pick, limit: String(PAGE), count: 'true' });
    const total = first.total ?? first.entities.length;
    const pages = [first.entities];
    // The first page tells how many there are; the rest are read a few at a time.
    const offsets: number[] = [];
    for (let off = PAGE; off < total; off += PAGE) offsets.push(off);
    for (let i = 0; i < offsets.length; i += 4) {
      const got = await Promise.all(
        offsets.slice(i, i + 4).map((offset) => this.query({ type: entry.type, pick, limit: String(PAGE), offset: String(offset) })),
      );
      for (const g of got) pages.push(g.entities);
    }
    entry.features.clear();
    for (const page of pages) for (const e of page) entry.features.set(e.id, toFeature(e, entry.attrs));
    for (const [id, f] of entry.features) if (f === undefined) entry.features.delete(id);
  }

  private async refresh(entry: LayerEntry) {
    if (entry.stale) {
      entry.stale = false;
      entry.dirty.clear();
      await this.readAll(entry);
      return;
    }
    const ids = [...entry.dirty];
    entry.dirty.clear();
    const pick = ['id', 'location', ...entry.attrs].join(',');
    for (let i = 0; i < ids.length; i += ID_BATCH) {
      const batch = ids.slice(i, i + ID_BATCH);
      const { entities } = await this.query({ id: batch.join(','), type: entry.type, pick, limit: String(PAGE) });
      const found = new Set<string>();
      for (const e of entities) {
        found.add(e.id);
        const f = toFeature(e, entry.attrs);
        if (f) entry.features.set(e.id, f);
        else entry.features.delete(e.id);
      }
      for (const id of batch) if (!found.has(id)) entry.features.delete(id);
    }
  }

  /** The layer as gzip-ready JSON, read from the hub on first use and refreshed with what changed since. */
  async get(type: string, attrs: string[]): Promise<EncodedJson> {
    const key = this.key(type, attrs);
    let entry = this.layers.get(key);
    if (!entry) {
      entry = { type, attrs, features: new Map(), dirty: new Set(), stale: true };
      this.layers.set(key, entry);
    }
    while (entry.loading) await entry.loading;
    if (entry.encoded && !entry.stale && entry.dirty.size === 0) return entry.encoded;
    const e = entry;
    e.loading = (async () => {
      try {
        await this.refresh(e);
        e.encoded = encodeJson({ type: 'FeatureCollection', features: [...e.features.values()] }, 'application/geo+json');
      } catch (err) {
        e.stale = true;
        throw err;
      } finally {
        e.loading = undefined;
      }
    })();
    await e.loading;
    return e.encoded!;
  }
}
