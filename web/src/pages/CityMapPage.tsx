import type { GeoJSONSource, Map as MlMap, MapGeoJSONFeature, MapMouseEvent } from 'maplibre-gl';
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../app/format';
import { useQueryParam } from '../app/router';
import { ClusterCounts } from '../map/cluster-counts';
import { layerStore } from '../map/layer-store';
import { POINT_LAYERS, TRANSIT_LEGEND, type PointLayerDef } from '../map/layers';
import { Legend } from '../map/Legend';
import { MapView } from '../map/MapView';
import { CASABLANCA, PALETTE, prefersReducedMotion } from '../map/style';
import { AlertsList } from './AlertsList';
import { LayerTable } from './LayerTable';
import { baseData } from '../map/city-data';

const EntityPanel = lazy(() => import('./EntityPanel'));

// A darker shade per layer for its clusters, so white counts stay readable (WCAG 1.4.3 on the labels).
const CLUSTER_COLORS: Record<string, string> = { streetlights: '#7a5a00', waste: '#17624f', traffic: '#7c2d12', air: '#4c1d95', energy: '#1e3a8a' };
const BASE_LAYERS = ['arrondissements', 'transit'] as const;
type BaseToggle = (typeof BASE_LAYERS)[number];

const src = (id: string) => `pts-${id}`;

function addPointLayer(map: MlMap, def: PointLayerDef) {
  map.addSource(src(def.id), {
    type: 'geojson',
    data: { type: 'FeatureCollection', features: [] },
    cluster: true,
    clusterMaxZoom: 15,
    clusterRadius: 64,
    ...(def.alertExpr ? { clusterProperties: { alerts: ['+', ['case', def.alertExpr, 1, 0]] } } : {}),
  });
  const visibility = def.visible ? 'visible' : 'none';
  map.addLayer({
    id: `${def.id}-clusters`,
    type: 'circle',
    source: src(def.id),
    filter: ['has', 'point_count'],
    layout: { visibility },
    paint: {
      'circle-color': CLUSTER_COLORS[def.id] ?? '#0b4f6c',
      'circle-radius': ['step', ['get', 'point_count'], 12, 50, 15, 500, 19, 5000, 24],
      'circle-stroke-color': ['case', ['>', ['coalesce', ['get', 'alerts'], 0], 0], '#e11d48', '#ffffff'],
      'circle-stroke-width': ['case', ['>', ['coalesce', ['get', 'alerts'], 0], 0], 3, 1.5],
      'circle-opacity': 0.92,
    },
  });
  map.addLayer({
    id: `${def.id}-points`,
    type: 'circle',
    source: src(def.id),
    filter: ['!', ['has', 'point_count']],
    layout: { visibility },
    paint: {
      'circle-color': def.color,
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 12, 4, 16, 7, 19, 11],
      'circle-stroke-color': '#ffffff',
      'circle-stroke-width': 1.2,
    },
  });
  map.addLayer({
    id: `${def.id}-selected`,
    type: 'circle',
    source: src(def.id),
    filter: ['==', ['get', 'id'], ''],
    layout: { visibility },
    paint: { 'circle-color': 'rgba(0,0,0,0)', 'circle-radius': ['interpolate', ['linear'], ['zoom'], 12, 9, 19, 17], 'circle-stroke-color': '#111827', 'circle-stroke-width': 3 },
  });
}

async function addBaseLayers(map: MlMap) {
  const [communes, arrondissements, lines, stops] = await baseData();
  map.addSource('base-communes', { type: 'geojson', data: communes });
  map.addSource('base-arrondissements', { type: 'geojson', data: arrondissements });
  map.addSource('transit-lines', { type: 'geojson', data: lines });
  map.addSource('transit-stops', { type: 'geojson', data: stops });
  const first = map.getStyle().layers.find((l) => l.id.endsWith('-clusters'))?.id;
  map.addLayer({ id: 'communes-land', type: 'fill', source: 'base-communes', paint: { 'fill-color': PALETTE.land } }, first);
  map.addLayer({ id: 'arrondissements-fill', type: 'fill', source: 'base-arrondissements', paint: { 'fill-color': PALETTE.arrondissementFill } }, first);
  map.addLayer({ id: 'arrondissements-line', type: 'line', source: 'base-arrondissements', paint: { 'line-color': PALETTE.arrondissementLine, 'line-width': 1, 'line-dasharray': [3, 2] } }, first);
  map.addLayer({ id: 'communes-line', type: 'line', source: 'base-communes', paint: { 'line-color': PALETTE.communeLineStrong, 'line-width': ['interpolate', ['linear'], ['zoom'], 8, 0.6, 14, 2] } }, first);
  map.addLayer(
    {
      id: 'transit-lines',
      type: 'line',
      source: 'transit-lines',
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': ['get', 'colour'], 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 2, 16, 6], 'line-opacity': 0.9 },
    },
    first,
  );
  map.addLayer(
    {
      id: 'transit-stops',
      type: 'circle',
      source: 'transit-stops',
      minzoom: 12.5,
      paint: { 'circle-color': '#ffffff', 'circle-radius': ['interpolate', ['linear'], ['zoom'], 13, 2.5, 17, 5], 'circle-stroke-color': '#374151', 'circle-stroke-width': 1.2 },
    },
    first,
  );
  return { arrondissements, lines };
}

export default function CityMapPage() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const [entityId, setEntityId] = useQueryParam('entity');
  const [visible, setVisible] = useState<Record<string, boolean>>(() => Object.fromEntries([...POINT_LAYERS.map((l) => [l.id, l.visible]), ['arrondissements', true], ['transit', true]]));
  const [counts, setCounts] = useState<Record<string, number>>({});
  const [table, setTable] = useState<string | null>(null);
  const [base, setBase] = useState<{ arrondissements: GeoJSON.FeatureCollection; lines: GeoJSON.FeatureCollection } | null>(null);
  const mapRef = useRef<MlMap | null>(null);
  const fmtRef = useRef(fmt);
  fmtRef.current = fmt;
  const visibleRef = useRef(visible);
  visibleRef.current = visible;
  const countsRef = useRef<ClusterCounts | null>(null);

  const pushData = useCallback(async (id: string) => {
    const map = mapRef.current;
    const s = map?.getSource(src(id)) as GeoJSONSource | undefined;
    if (!s) return;
    const fc = layerStore.collection(id);
    setCounts((c) => ({ ...c, [id]: fc.features.length }));
    await s.setData(fc, true).catch(() => undefined);
  }, []);

  const onReady = useCallback(
    (map: MlMap) => {
      performance.mark('madina:map-load'); // MapLibre's style loaded (bench:web reports each step)
      mapRef.current = map;
      for (const def of POINT_LAYERS) addPointLayer(map, def);
      countsRef.current = new ClusterCounts(
        map,
        () => POINT_LAYERS.filter((l) => visibleRef.current[l.id]).map((l) => src(l.id)),
        () => (n) => fmtRef.current.compact(n),
      );
      const baseDone = addBaseLayers(map).then((b) => setBase(b));
      const layersDone = Promise.all(POINT_LAYERS.filter((l) => visibleRef.current[l.id]).map((l) => layerStore.load(l.id).then(() => pushData(l.id))));
      // First meaningful map: base and every visible layer's data drawn (read by bench:web and the browser
      // tests). Not 'idle': with live updates streaming in, the map may never be idle for long.
      void Promise.all([baseDone, layersDone]).then(() => {
        performance.mark('madina:map-data');
        let done = false;
        const check = () => {
          const sources = POINT_LAYERS.filter((l) => visibleRef.current[l.id]).map((l) => src(l.id));
          if (done || !sources.every((s) => map.isSourceLoaded(s))) return;
          done = true;
          for (const ev of ['render', 'sourcedata', 'idle'] as const) map.off(ev, check);
          performance.mark('madina:map-ready');
          document.documentElement.dataset.mapReady = 'true';
        };
        for (const ev of ['render', 'sourcedata', 'idle'] as const) map.on(ev, check);
        map.triggerRepaint();
      });

      for (const def of POINT_LAYERS) {
        map.on('click', `${def.id}-clusters`, async (e: MapMouseEvent & { features?: MapGeoJSONFeature[] }) => {
          const f = e.features?.[0];
          if (!f) return;
          const zoom = await (map.getSource(src(def.id)) as GeoJSONSource).getClusterExpansionZoom(f.properties.cluster_id as number);
          map.easeTo({ center: (f.geometry as GeoJSON.Point).coordinates as [number, number], zoom, animate: !prefersReducedMotion() });
        });
        map.on('click', `${def.id}-points`, (e: MapMouseEvent & { features?: MapGeoJSONFeature[] }) => {
          const id = e.features?.[0]?.properties.id;
          if (typeof id === 'string') setEntityId(id);
        });
        for (const layer of [`${def.id}-clusters`, `${def.id}-points`]) {
          map.on('mouseenter', layer, () => (map.getCanvas().style.cursor = 'pointer'));
          map.on('mouseleave', layer, () => (map.getCanvas().style.cursor = ''));
        }
      }
    },
    [pushData, setEntityId],
  );

  // Live updates: changed layers are redrawn together, one pass at a time: the next pass starts only
  // when the map's worker has re-clustered the previous data, so a stream of updates never queues up
  // behind itself (a lone update is still drawn at once).
  useEffect(() => {
    const dirty = new Set<string>();
    let running = false;
    let stopped = false;
    const pump = async () => {
      if (running || stopped) return;
      running = true;
      while (dirty.size && !stopped) {
        const ids = [...dirty];
        dirty.clear();
        await Promise.all(ids.map((id) => pushData(id)));
        await new Promise((r) => setTimeout(r, 200));
      }
      running = false;
    };
    const off = layerStore.subscribe((layers) => {
      for (const id of layers) dirty.add(id);
      void pump();
    });
    return () => {
      stopped = true;
      off();
    };
  }, [pushData]);

  // Layer switches.
  useEffect(() => {
    const map = mapRef.current;
    if (!map) return;
    for (const def of POINT_LAYERS) {
      const v = visible[def.id] ? 'visible' : 'none';
      for (const suffix of ['clusters', 'points', 'selected']) if (map.getLayer(`${def.id}-${suffix}`)) map.setLayoutProperty(`${def.id}-${suffix}`, 'visibility', v);
      if (visible[def.id]) void layerStore.load(def.id).then(() => pushData(def.id));
    }
    for (const [toggle, layers] of [
      ['arrondissements', ['arrondissements-fill', 'arrondissements-line']],
      ['transit', ['transit-lines', 'transit-stops']],
    ] as const) {
      for (const l of layers) if (map.getLayer(l)) map.setLayoutProperty(l, 'visibility', visible[toggle] ? 'visible' : 'none');
    }
    countsRef.current?.schedule();
  }, [visible, base, pushData]);

  // The selected entity: ringed on the map, and centred when opened from elsewhere (alerts, tables).
  useEffect(() => {
    const map = mapRef.current;
    if (!map) return;
    for (const def of POINT_LAYERS) if (map.getLayer(`${def.id}-selected`)) map.setFilter(`${def.id}-selected`, ['==', ['get', 'id'], entityId ?? '']);
  }, [entityId, counts]);

  const focusEntity = useCallback(
    (id: string, coordinates?: [number, number]) => {
      setEntityId(id);
      const map = mapRef.current;
      if (map && coordinates) map.jumpTo({ center: coordinates, zoom: Math.max(map.getZoom(), 17) });
    },
    [setEntityId],
  );

  const initialFocus = useRef(entityId);
  useEffect(() => {
    const id = initialFocus.current;
    if (!id || !mapRef.current) return;
    for (const def of POINT_LAYERS) {
      const f = layerStore.state(def.id)?.features.get(id);
      if (f) {
        initialFocus.current = null;
        mapRef.current.jumpTo({ center: f.geometry.coordinates as [number, number], zoom: 17 });
      }
    }
  }, [counts]);

  const tableDef = useMemo(() => POINT_LAYERS.find((l) => l.id === table), [table]);

  return (
    <div className="page city-page">
      <aside className="sidebar" aria-labelledby="layers-title">
        <h1 className="sidebar-title">{t('city.title')}</h1>
        <fieldset className="layers">
          <legend id="layers-title">{t('city.layers')}</legend>
          {POINT_LAYERS.map((def) => (
            <div className="layer" key={def.id}>
              <div className="layer-row">
                <label>
                  <input type="checkbox" checked={!!visible[def.id]} onChange={(e) => setVisible((v) => ({ ...v, [def.id]: e.target.checked }))} />
                  <span>{t(`layers.${def.id}`)}</span>
                </label>
                <span className="layer-count">{counts[def.id] !== undefined ? fmt.number(counts[def.id]) : ''}</span>
                <button type="button" className="link-button" onClick={() => setTable(table === def.id ? null : def.id)} aria-expanded={table === def.id} aria-controls="layer-table">
                  {t('city.table')}
                  <span className="visually-hidden"> — {t(`layers.${def.id}`)}</span>
                </button>
              </div>
              {visible[def.id] && <Legend title={<span className="visually-hidden">{t('legend.of', { layer: t(`layers.${def.id}`) })}</span>} items={def.legend.map((l) => ({ label: t(l.label), color: l.color, shape: 'circle' }))} />}
            </div>
          ))}
          {BASE_LAYERS.map((id: BaseToggle) => (
            <div className="layer" key={id}>
              <div className="layer-row">
                <label>
                  <input type="checkbox" checked={!!visible[id]} onChange={(e) => setVisible((v) => ({ ...v, [id]: e.target.checked }))} />
                  <span>{t(`layers.${id}`)}</span>
                </label>
                <span className="layer-count" />
                <button type="button" className="link-button" onClick={() => setTable(table === id ? null : id)} aria-expanded={table === id} aria-controls="layer-table">
                  {t('city.table')}
                  <span className="visually-hidden"> — {t(`layers.${id}`)}</span>
                </button>
              </div>
              {id === 'transit' && visible.transit && <Legend title={<span className="visually-hidden">{t('legend.of', { layer: t('layers.transit') })}</span>} items={TRANSIT_LEGEND.map((l) => ({ label: t(l.label), color: l.color, shape: 'line' }))} />}
            </div>
          ))}
        </fieldset>
        <AlertsList compact onOpen={(a) => focusEntity(a.id, a.coordinates)} />
      </aside>
      <div className="map-area">
        <MapView onReady={onReady} initial={CASABLANCA} label={t('city.mapLabel')} className="city" />
        {table && (
          <div id="layer-table" className="layer-table-panel card">
            <LayerTable layer={table} def={tableDef} base={base} onOpen={focusEntity} onClose={() => setTable(null)} />
          </div>
        )}
      </div>
      {entityId && (
        <Suspense fallback={null}>
          <EntityPanel id={entityId} onClose={() => setEntityId(null)} />
        </Suspense>
      )}
    </div>
  );
}
