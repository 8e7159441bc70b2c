import type { GeoJSONSource, Map as MlMap } from 'maplibre-gl';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from '../../app/router';
import { MapView } from '../../map/MapView';
import { CASABLANCA } from '../../map/style';
import { api, type Service } from './citizen-api';
import './i18n-setup';
import './citizen.css';

interface Feature {
  type: 'Feature';
  geometry: { type: 'Point'; coordinates: [number, number] };
  properties: { id: string; service_code: string; state: string; requested_datetime: string };
}

const CLOSED = ['fixed', 'closed', 'duplicate'];

/** Public map of reports of the last 90 days: where and how far along; no description, no one's details. */
export default function ReportsMapPage() {
  const { t, i18n } = useTranslation('citizen');
  const [features, setFeatures] = useState<Feature[] | null>(null);
  const [services, setServices] = useState<Service[]>([]);
  const [map, setMap] = useState<MlMap | null>(null);
  useEffect(() => {
    void api<{ features: Feature[] }>('GET', '/citizen/map').then((r) => setFeatures(r.features));
    void api<{ services: Service[] }>('GET', '/citizen/services', undefined, i18n.language).then((r) => setServices(r.services));
  }, [i18n.language]);
  useEffect(() => {
    if (!map || !features) return;
    const data = { type: 'FeatureCollection' as const, features: features.map((f) => ({ ...f, properties: { ...f.properties, closed: CLOSED.includes(f.properties.state) } })) };
    const src = map.getSource('citizen-reports') as GeoJSONSource | undefined;
    if (src) src.setData(data);
    else {
      map.addSource('citizen-reports', { type: 'geojson', data });
      map.addLayer({
        id: 'citizen-reports',
        type: 'circle',
        source: 'citizen-reports',
        paint: { 'circle-radius': 6, 'circle-color': ['case', ['get', 'closed'], '#1b7f3b', '#b3121f'], 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 },
      });
    }
  }, [map, features]);
  const counts = new Map<string, { open: number; closed: number }>();
  for (const f of features ?? []) {
    const c = counts.get(f.properties.service_code) ?? { open: 0, closed: 0 };
    if (CLOSED.includes(f.properties.state)) c.closed++;
    else c.open++;
    counts.set(f.properties.service_code, c);
  }
  return (
    <div className="page citizen-page">
      <h1>{t('map.title')}</h1>
      <p className="lede">{t('map.lede')}</p>
      <div className="map-frame citizen-map">
        <MapView className="citizen-reports-map" label={t('map.label')} initial={CASABLANCA} onReady={setMap} />
      </div>
      <p className="muted">{t('map.legend')}</p>
      <table className="citizen-table">
        <caption>{t('map.tableCaption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('form.category')}</th>
            <th scope="col">{t('office.open')}</th>
            <th scope="col">{t('map.closed')}</th>
          </tr>
        </thead>
        <tbody>
          {[...counts.entries()].map(([code, c]) => (
            <tr key={code}>
              <td>{services.find((s) => s.service_code === code)?.service_name ?? code}</td>
              <td>{c.open}</td>
              <td>{c.closed}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        <Link to="/report">{t('track.newReport')}</Link>
      </p>
    </div>
  );
}
