import type { GeoJSONSource, Map as MlMap } from 'maplibre-gl';
import { useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { queryAll } from '../../app/api';
import { Legend } from '../../map/Legend';
import { MapView } from '../../map/MapView';
import { CASABLANCA } from '../../map/style';
import { api, type Alert, type Place } from './lighting-api';

const TECH_COLORS: Record<string, string> = { LED: '#0e6a8f', HPS: '#b45309', LPS: '#a16207', MH: '#6d28d9', unknown: '#6b7280' };
const STATUS_COLORS = { ok: '#15803d', fault: '#b3121f' };

/** The lamps of a place on the map, coloured by open fault or by technology. */
export function LampsMap({ places }: { places: Place[] }) {
  const { t, i18n } = useTranslation('lighting');
  const id = useId();
  const [placeCode, setPlaceCode] = useState(places.find((p) => p.kind === 'arrondissement')?.code ?? places[0]?.code ?? '');
  const [colourBy, setColourBy] = useState<'status' | 'technology'>('status');
  const [count, setCount] = useState<number | null>(null);
  const mapRef = useRef<MlMap | null>(null);
  const [ready, setReady] = useState(false);

  useEffect(() => {
    const map = mapRef.current;
    const place = places.find((p) => p.code === placeCode);
    if (!ready || !map || !place) return;
    let cancelled = false;
    Promise.all([queryAll({ type: 'Streetlight', scopeQ: place.scopeQ }), api<{ items: Alert[] }>('GET', '/lighting/alerts?open=true&limit=500')]).then(([lamps, alerts]) => {
      if (cancelled) return;
      const faulty = new Set(alerts.items.map((a) => a.lampId));
      const features = lamps
        .filter((l) => (l.location as { type?: string } | undefined)?.type === 'Point')
        .map((l) => ({
          type: 'Feature' as const,
          geometry: l.location as { type: 'Point'; coordinates: [number, number] },
          properties: { id: l.id, technology: typeof l.lampTechnology === 'string' ? l.lampTechnology : 'unknown', fault: faulty.has(l.id) },
        }));
      (map.getSource('lamps') as GeoJSONSource).setData({ type: 'FeatureCollection', features });
      setCount(features.length);
      if (features.length) {
        const xs = features.map((f) => f.geometry.coordinates[0]);
        const ys = features.map((f) => f.geometry.coordinates[1]);
        map.fitBounds([[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]], { padding: 30, maxZoom: 16, duration: 0 });
      }
    });
    return () => {
      cancelled = true;
    };
  }, [placeCode, ready, places]);

  useEffect(() => {
    const map = mapRef.current;
    if (!ready || !map) return;
    map.setPaintProperty(
      'lamps',
      'circle-color',
      colourBy === 'status'
        ? ['case', ['get', 'fault'], STATUS_COLORS.fault, STATUS_COLORS.ok]
        : ['match', ['get', 'technology'], 'LED', TECH_COLORS.LED, 'HPS', TECH_COLORS.HPS, 'LPS', TECH_COLORS.LPS, 'MH', TECH_COLORS.MH, TECH_COLORS.unknown],
    );
  }, [colourBy, ready]);

  const nameOf = (p: Place) => (i18n.language === 'ar' ? p.name.ar : p.name.fr);
  const legend =
    colourBy === 'status'
      ? [
          { label: t('map.ok'), color: STATUS_COLORS.ok },
          { label: t('map.fault'), color: STATUS_COLORS.fault },
        ]
      : Object.entries(TECH_COLORS).map(([k, color]) => ({ label: k === 'unknown' ? '?' : k, color }));

  return (
    <section className="card lighting-map" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('map.label')}</h2>
      <div className="lighting-row">
        <div className="field">
          <label htmlFor={`${id}-place`}>{t('map.place')}</label>
          <select id={`${id}-place`} value={placeCode} onChange={(e) => setPlaceCode(e.target.value)}>
            {places.map((p) => (
              <option key={p.code} value={p.code}>
                {nameOf(p)}
              </option>
            ))}
          </select>
        </div>
        <fieldset className="lighting-toggle">
          <legend>{t('map.colourBy')}</legend>
          <label className="check">
            <input type="radio" name={`${id}-by`} checked={colourBy === 'status'} onChange={() => setColourBy('status')} />
            {t('map.byStatus')}
          </label>
          <label className="check">
            <input type="radio" name={`${id}-by`} checked={colourBy === 'technology'} onChange={() => setColourBy('technology')} />
            {t('map.byTechnology')}
          </label>
        </fieldset>
      </div>
      <p className="note" role="status">
        {count === null ? t('common.loading') : count ? t('map.count', { count }) : t('map.empty')}
      </p>
      <div className="map-frame lighting-map-frame">
        <MapView
          className="map lighting-lamps-map"
          label={t('map.label')}
          initial={CASABLANCA}
          onReady={(map) => {
            // Place boundaries under the lamps (the web app's own base layers, shipped with Madina).
            for (const name of ['communes', 'arrondissements']) {
              void fetch(`/api/map/base/${name}`)
                .then((r) => (r.ok ? r.json() : null))
                .then((data) => {
                  if (!data || !map.getStyle()) return;
                  map.addSource(`lighting-${name}`, { type: 'geojson', data });
                  map.addLayer({ id: `lighting-${name}`, type: 'line', source: `lighting-${name}`, paint: { 'line-color': '#56636e', 'line-width': name === 'communes' ? 1.5 : 1, ...(name === 'communes' ? {} : { 'line-dasharray': [2, 2] }) } }, 'lamps');
                });
            }
            map.addSource('lamps', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
            map.addLayer({
              id: 'lamps',
              type: 'circle',
              source: 'lamps',
              paint: { 'circle-radius': ['interpolate', ['linear'], ['zoom'], 11, 3, 16, 7], 'circle-color': STATUS_COLORS.ok, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1 },
            });
            mapRef.current = map;
            setReady(true);
          }}
        />
        <div className="map-legend">
          <Legend title={colourBy === 'status' ? t('map.byStatus') : t('map.byTechnology')} items={legend} />
        </div>
      </div>
    </section>
  );
}
