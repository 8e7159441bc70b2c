import maplibregl, { type Map as MlMap, type Marker } from 'maplibre-gl';
import { useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { MapView } from '../../map/MapView';
import { CASABLANCA } from '../../map/style';
import { api, type Landmark } from './citizen-api';

export interface Picked {
  lat: number;
  lon: number;
  label?: string;
}

/**
 * Where the problem is: a click on the map, or — fully by keyboard and screen reader — a landmark typed
 * and chosen from a list, the device's position, or coordinates typed in.
 */
export function LocationPicker({ value, onChange }: { value: Picked | null; onChange(p: Picked): void }) {
  const { t, i18n } = useTranslation('citizen');
  const mapRef = useRef<MlMap | null>(null);
  const markerRef = useRef<Marker | null>(null);
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<Landmark[] | null>(null);
  const [geoError, setGeoError] = useState<string | null>(null);
  const id = useId();

  useEffect(() => {
    const map = mapRef.current;
    if (!map || !value) return;
    if (!markerRef.current) markerRef.current = new maplibregl.Marker({ color: '#b3121f' }).setLngLat([value.lon, value.lat]).addTo(map);
    else markerRef.current.setLngLat([value.lon, value.lat]);
    map.easeTo({ center: [value.lon, value.lat], zoom: Math.max(map.getZoom(), 15), duration: 0 });
  }, [value]);

  async function search() {
    if (query.trim().length < 2) return setResults([]);
    const r = await api<{ landmarks: Landmark[] }>('GET', `/citizen/landmarks?q=${encodeURIComponent(query.trim())}`);
    setResults(r.landmarks);
  }

  function locateMe() {
    setGeoError(null);
    if (!navigator.geolocation) return setGeoError(t('location.geoUnavailable'));
    navigator.geolocation.getCurrentPosition(
      (pos) => onChange({ lat: Math.round(pos.coords.latitude * 1e6) / 1e6, lon: Math.round(pos.coords.longitude * 1e6) / 1e6, label: t('location.myPosition') }),
      () => setGeoError(t('location.geoUnavailable')),
      { enableHighAccuracy: true, timeout: 10_000 },
    );
  }

  return (
    <fieldset className="citizen-location">
      <legend>{t('location.legend')}</legend>
      <p className="muted" id={`${id}-help`}>
        {t('location.help')}
      </p>
      <div className="citizen-landmark">
        <label htmlFor={`${id}-q`}>{t('location.landmark')}</label>
        <div className="citizen-row">
          <input
            id={`${id}-q`}
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                void search();
              }
            }}
            aria-describedby={`${id}-help`}
          />
          <button type="button" onClick={() => void search()}>
            {t('location.search')}
          </button>
          <button type="button" onClick={locateMe}>
            {t('location.useMine')}
          </button>
        </div>
        {geoError ? <p className="error">{geoError}</p> : null}
        {results ? (
          <div role="status" aria-live="polite">
            {results.length ? (
              <ul className="citizen-results" aria-label={t('location.results')}>
                {results.map((l) => {
                  const name = i18n.language === 'ar' && l.nameAr ? l.nameAr : l.name;
                  return (
                    <li key={`${l.name}-${l.lon}`}>
                      <button type="button" className="link-button" onClick={() => onChange({ lat: l.lat, lon: l.lon, label: name })}>
                        {name}
                      </button>
                    </li>
                  );
                })}
              </ul>
            ) : (
              <p className="muted">{t('location.noResults')}</p>
            )}
          </div>
        ) : null}
      </div>
      <div className="map-frame citizen-map">
        <MapView
          className="citizen-pick-map"
          label={t('location.mapLabel')}
          initial={CASABLANCA}
          onReady={(map) => {
            mapRef.current = map;
            map.on('click', (e) => onChange({ lat: Math.round(e.lngLat.lat * 1e6) / 1e6, lon: Math.round(e.lngLat.lng * 1e6) / 1e6, label: t('location.onMap') }));
            if (value) markerRef.current = new maplibregl.Marker({ color: '#b3121f' }).setLngLat([value.lon, value.lat]).addTo(map);
          }}
        />
      </div>
      <details>
        <summary>{t('location.coordinates')}</summary>
        <div className="citizen-row">
          <div className="field">
            <label htmlFor={`${id}-lat`}>{t('location.lat')}</label>
            <input id={`${id}-lat`} inputMode="decimal" value={value?.lat ?? ''} onChange={(e) => Number.isFinite(Number(e.target.value)) && onChange({ lat: Number(e.target.value), lon: value?.lon ?? CASABLANCA.center[0] })} />
          </div>
          <div className="field">
            <label htmlFor={`${id}-lon`}>{t('location.lon')}</label>
            <input id={`${id}-lon`} inputMode="decimal" value={value?.lon ?? ''} onChange={(e) => Number.isFinite(Number(e.target.value)) && onChange({ lat: value?.lat ?? CASABLANCA.center[1], lon: Number(e.target.value) })} />
          </div>
        </div>
      </details>
      <p role="status" aria-live="polite" className="citizen-picked">
        {value ? t('location.chosen', { label: value.label ?? '', lat: value.lat.toFixed(5), lon: value.lon.toFixed(5) }) : t('location.none')}
      </p>
    </fieldset>
  );
}
