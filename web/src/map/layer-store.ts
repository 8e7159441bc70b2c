import type { Feature, FeatureCollection, Point } from 'geojson';
import { getJson, shortType, toKeyValues, type KeyValues } from '../app/api';
import { POINT_LAYERS, type AlertKind, type PointLayerDef } from './layers';

/**
 * The city's point layers in the browser, shared by the map, the tables and the alerts list, and kept
 * current by the live feed (GET /api/live, server-sent events). Without a live feed the layers are
 * re-read every POLL_MS (the server answers from its cache, so that is cheap).
 */
export type Props = Record<string, unknown> & { id: string; t?: number };
export type PointFeature = Feature<Point, Props>;
export type LiveStatus = 'idle' | 'connecting' | 'live' | 'polling';

interface LayerState {
  def: PointLayerDef;
  type?: string;
  features: Map<string, PointFeature>;
  status: 'idle' | 'loading' | 'ready' | 'error';
  loading?: Promise<void>;
}

export interface Alert {
  kind: AlertKind;
  layer: string;
  id: string;
  since?: number;
  coordinates: [number, number];
}

const POLL_MS = 15_000;
const LIVE_EVENTS = ['message', 'update', 'notification', 'change', 'entity'];

class LayerStore {
  private readonly layers = new Map<string, LayerState>();
  private readonly listeners = new Set<(layers: Set<string>) => void>();
  private readonly entityListeners = new Set<(e: KeyValues) => void>();
  private readonly statusListeners = new Set<(s: LiveStatus) => void>();
  private source?: EventSource;
  private sourceTypes = '';
  private poll?: ReturnType<typeof setInterval>;
  status: LiveStatus = 'idle';
  /** When each layer last changed (ms): lets React memoise per layer. */
  version = 0;

  constructor() {
    for (const def of POINT_LAYERS) this.layers.set(def.id, { def, features: new Map(), status: 'idle' });
  }

  state(id: string): LayerState | undefined {
    const s = this.layers.get(id);
    if (s) return s;
    const def = POINT_LAYERS.find((l) => l.id === id);
    if (!def) return undefined;
    const created: LayerState = { def, features: new Map(), status: 'idle' };
    this.layers.set(id, created);
    return created;
  }

  collection(id: string): FeatureCollection<Point, Props> {
    return { type: 'FeatureCollection', features: [...(this.state(id)?.features.values() ?? [])] };
  }

  private async fetchLayer(s: LayerState) {
    const attrs = s.def.attrs.join(',');
    for (const type of s.type ? [s.type] : s.def.entityTypes) {
      const { body } = await getJson<FeatureCollection<Point, Props>>(`/api/map/layers/${type}?attrs=${attrs}`, { headers: { accept: 'application/geo+json' } });
      if (body.features.length || type === s.def.entityTypes.at(-1)) {
        s.type = body.features.length ? type : s.type;
        s.features = new Map(body.features.map((f) => [f.properties.id, f]));
        return;
      }
    }
  }

  /** Reads a layer once (later calls wait for the same read). */
  load(id: string): Promise<void> {
    const s = this.state(id);
    if (!s) return Promise.resolve();
    if (s.status === 'ready' || s.status === 'error') return Promise.resolve();
    if (!s.loading) {
      s.status = 'loading';
      s.loading = this.fetchLayer(s)
        .then(() => {
          s.status = 'ready';
          this.changed(new Set([id]));
          this.connect();
        })
        .catch(() => {
          s.status = 'error';
          this.changed(new Set([id]));
        });
    }
    return s.loading;
  }

  subscribe(fn: (layers: Set<string>) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onEntity(fn: (e: KeyValues) => void): () => void {
    this.entityListeners.add(fn);
    return () => this.entityListeners.delete(fn);
  }

  onStatus(fn: (s: LiveStatus) => void): () => void {
    this.statusListeners.add(fn);
    fn(this.status);
    return () => this.statusListeners.delete(fn);
  }

  private setStatus(s: LiveStatus) {
    this.status = s;
    for (const l of this.statusListeners) l(s);
  }

  private changed(layers: Set<string>) {
    this.version++;
    for (const l of this.listeners) l(layers);
  }

  /** Applies changed entities (any NGSI-LD representation) to the layers that hold their type. */
  apply(entities: Record<string, unknown>[]) {
    const touched = new Set<string>();
    for (const raw of entities) {
      const e = toKeyValues(raw);
      if (!e.id || !e.type) continue;
      for (const l of this.entityListeners) l(e);
      const type = shortType(e.type);
      for (const [id, s] of this.layers) {
        if (s.status !== 'ready' || (s.type ?? s.def.entityTypes[0]) !== type) continue;
        const prev = s.features.get(e.id);
        const loc = e.location as { type?: string; coordinates?: [number, number] } | undefined;
        const coordinates = loc?.type === 'Point' ? loc.coordinates : prev?.geometry.coordinates;
        if (!coordinates) continue;
        const props: Props = { ...(prev?.properties ?? { id: e.id }) };
        for (const a of s.def.attrs) if (a in e) props[a] = e[a];
        const when = typeof e.modifiedAt === 'string' ? Date.parse(e.modifiedAt) : Date.now();
        props.t = Math.round(when / 1000);
        s.features.set(e.id, { type: 'Feature', geometry: { type: 'Point', coordinates }, properties: props });
        touched.add(id);
      }
    }
    if (touched.size) this.changed(touched);
  }

  private loadedTypes(): string[] {
    return [...this.layers.values()].filter((s) => s.status === 'ready').map((s) => s.type ?? s.def.entityTypes[0]);
  }

  /** One live connection for every loaded layer's type; reopened when that set changes. */
  private connect() {
    const types = [...new Set(this.loadedTypes())].sort().join(',');
    if (!types || (types === this.sourceTypes && this.source)) return;
    this.source?.close();
    this.sourceTypes = types;
    if (typeof EventSource === 'undefined') return this.startPolling();
    const es = new EventSource(`/api/live?type=${encodeURIComponent(types)}`);
    this.source = es;
    this.setStatus('connecting');
    es.onopen = () => {
      this.stopPolling();
      this.setStatus('live');
    };
    es.onerror = () => {
      // CLOSED: no live feed on this server (or it refused us): fall back to polling.
      if (es.readyState === EventSource.CLOSED) this.startPolling();
      else this.setStatus('connecting');
    };
    const onEvent = (ev: MessageEvent) => {
      try {
        this.apply(entitiesOf(JSON.parse(ev.data)));
      } catch {
        // not an entity event (comments, heartbeats)
      }
    };
    for (const name of LIVE_EVENTS) es.addEventListener(name, onEvent);
  }

  private startPolling() {
    this.source?.close();
    this.source = undefined;
    this.setStatus('polling');
    if (this.poll) return;
    this.poll = setInterval(() => void this.refreshAll(), POLL_MS);
  }

  private stopPolling() {
    if (this.poll) clearInterval(this.poll);
    this.poll = undefined;
  }

  private async refreshAll() {
    const touched = new Set<string>();
    for (const [id, s] of this.layers) {
      if (s.status !== 'ready') continue;
      try {
        await this.fetchLayer(s);
        touched.add(id);
      } catch {
        // keep what we have
      }
    }
    if (touched.size) this.changed(touched);
  }

  alerts(now = Date.now()): Alert[] {
    const out: Alert[] = [];
    for (const [id, s] of this.layers) {
      if (s.status !== 'ready') continue;
      const { alert, silentAfterS } = s.def;
      for (const f of s.features.values()) {
        const p = f.properties;
        const kind = alert?.(p);
        const coords = f.geometry.coordinates as [number, number];
        if (kind) out.push({ kind, layer: id, id: p.id, since: p.t ? p.t * 1000 : undefined, coordinates: coords });
        else if (silentAfterS && p.t && now / 1000 - p.t > silentAfterS) out.push({ kind: 'silent', layer: id, id: p.id, since: p.t * 1000, coordinates: coords });
      }
    }
    return out;
  }
}

/** The entities an event carries: an NGSI-LD Notification (`data`), `{ entities }`, an array or one entity. */
export function entitiesOf(msg: unknown): Record<string, unknown>[] {
  if (Array.isArray(msg)) return msg as Record<string, unknown>[];
  if (msg && typeof msg === 'object') {
    const m = msg as Record<string, unknown>;
    if (Array.isArray(m.data)) return m.data as Record<string, unknown>[];
    if (Array.isArray(m.entities)) return m.entities as Record<string, unknown>[];
    if (m.entity && typeof m.entity === 'object') return [m.entity as Record<string, unknown>];
    if (typeof m.id === 'string' && m.type) return [m];
  }
  return [];
}

export const layerStore = new LayerStore();

if (typeof window !== 'undefined') {
  // Diagnostics and browser tests read the store and maps from here.
  (window as unknown as { madina?: Record<string, unknown> }).madina = { ...((window as unknown as { madina?: Record<string, unknown> }).madina ?? {}), layers: layerStore };
}
