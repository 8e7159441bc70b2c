import type { GeoJSONSource, Map as MlMap, MapMouseEvent } from 'maplibre-gl';
import maplibregl from 'maplibre-gl';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../app/format';
import { useQueryParam } from '../app/router';
import { classify, colorOf, NO_DATA } from '../map/choropleth';
import { Legend } from '../map/Legend';
import { MapView } from '../map/MapView';
import { prefersReducedMotion, REGION_BOUNDS } from '../map/style';
import { bbox, loadRegion, type CommuneRow, type RegionData } from './region-data';

type SortKey = 'name' | 'communeType' | string;

export default function RegionPage() {
  const { t, i18n } = useTranslation();
  const fmt = useFormat();
  const lang = i18n.language;
  const [data, setData] = useState<RegionData | null>(null);
  const [error, setError] = useState(false);
  const [indicatorParam, setIndicator] = useQueryParam('indicator');
  const [selected, setSelected] = useState<string | null>(null);
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'population2024', desc: true });
  const [filter, setFilter] = useState('');
  const mapRef = useRef<MlMap | null>(null);
  const [mapReady, setMapReady] = useState(false);

  useEffect(() => {
    loadRegion().then(setData, () => setError(true));
  }, []);

  const indicator = data?.indicators.includes(indicatorParam ?? '') ? indicatorParam! : (data?.indicators[0] ?? 'population2024');
  const label = useCallback((k: string) => t(`indicators.${k}`, { defaultValue: k }), [t]);
  const nameOf = useCallback((r: CommuneRow) => r.name[lang] ?? r.name.fr ?? r.code, [lang]);
  const valueText = useCallback((k: string, v: number | undefined) => (v === undefined ? '—' : k === 'populationChange' ? fmt.signedPercent(v) : fmt.withUnit(v, k)), [fmt]);

  const classes = useMemo(() => classify(data?.rows.map((r) => r.values[indicator]).filter((v): v is number => v !== undefined) ?? []), [data, indicator]);

  const summary = useMemo(() => {
    if (!data) return null;
    const sum = (k: string, rows = data.rows) => rows.reduce((s, r) => s + (r.values[k] ?? 0), 0);
    const pop24 = sum('population2024');
    const both = data.rows.filter((r) => r.values.population2014 && r.values.population2024);
    const growth = both.length ? (sum('population2024', both) / sum('population2014', both) - 1) * 100 : undefined;
    const urban = sum('population2024', data.rows.filter((r) => r.communeType === 'urban'));
    return { pop24, count: data.rows.length, growth, urbanShare: pop24 ? urban / pop24 : undefined };
  }, [data]);

  // Colours on the map follow the chosen indicator.
  useEffect(() => {
    const map = mapRef.current;
    if (!map || !mapReady || !data) return;
    const byCode = new Map(data.rows.map((r) => [r.code, r]));
    const features = data.geometry.features.map((f) => {
      const row = byCode.get(String(f.properties.code));
      return { ...f, properties: { ...f.properties, _color: colorOf(classes, row?.values[indicator]) } };
    });
    (map.getSource('communes') as GeoJSONSource | undefined)?.setData({ type: 'FeatureCollection', features });
  }, [data, classes, indicator, mapReady]);

  useEffect(() => {
    const map = mapRef.current;
    if (!map || !mapReady || !data) return;
    map.removeFeatureState({ source: 'communes' });
    if (!selected) return;
    map.setFeatureState({ source: 'communes', id: Number(selected) }, { selected: true });
    const f = data.geometry.features.find((g) => String(g.properties.code) === selected);
    if (f) map.fitBounds(bbox(f.geometry), { padding: 60, maxZoom: 11, animate: !prefersReducedMotion() });
  }, [selected, data, mapReady]);

  const onReady = useCallback((map: MlMap) => {
    mapRef.current = map;
    map.addSource('communes', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
    map.addLayer({ id: 'communes-fill', type: 'fill', source: 'communes', paint: { 'fill-color': ['coalesce', ['get', '_color'], NO_DATA], 'fill-opacity': 0.92 } });
    map.addLayer({ id: 'communes-line', type: 'line', source: 'communes', paint: { 'line-color': '#ffffff', 'line-width': 0.8 } });
    map.addLayer({
      id: 'communes-selected',
      type: 'line',
      source: 'communes',
      paint: { 'line-color': '#111827', 'line-width': ['case', ['boolean', ['feature-state', 'selected'], false], 3, 0] },
    });
    const popup = new maplibregl.Popup({ closeButton: false, closeOnClick: false, className: 'hover-popup' });
    map.on('mousemove', 'communes-fill', (e: MapMouseEvent & { features?: { properties: Record<string, unknown> }[] }) => {
      map.getCanvas().style.cursor = 'pointer';
      const p = e.features?.[0]?.properties;
      if (!p) return;
      window.dispatchEvent(new CustomEvent('madina:hover', { detail: { code: String(p.code), lngLat: e.lngLat, popup } }));
    });
    map.on('mouseleave', 'communes-fill', () => {
      map.getCanvas().style.cursor = '';
      popup.remove();
    });
    map.on('click', 'communes-fill', (e: MapMouseEvent & { features?: { properties: Record<string, unknown> }[] }) => {
      const code = e.features?.[0]?.properties.code;
      if (code !== undefined) {
        setSelected(String(code));
        document.getElementById(`commune-${code}`)?.scrollIntoView({ block: 'nearest', behavior: prefersReducedMotion() ? 'auto' : 'smooth' });
      }
    });
    setMapReady(true);
  }, []);

  // Hover popup text is built here, where the current language and indicator are known.
  useEffect(() => {
    const onHover = (ev: Event) => {
      const { code, lngLat, popup } = (ev as CustomEvent).detail as { code: string; lngLat: maplibregl.LngLat; popup: maplibregl.Popup };
      const row = data?.rows.find((r) => r.code === code);
      if (!row || !mapRef.current) return;
      const el = document.createElement('div');
      const strong = document.createElement('strong');
      strong.textContent = nameOf(row);
      const line = document.createElement('div');
      line.textContent = `${label(indicator)} : ${valueText(indicator, row.values[indicator])}`;
      el.append(strong, line);
      popup.setLngLat(lngLat).setDOMContent(el).addTo(mapRef.current);
    };
    window.addEventListener('madina:hover', onHover);
    return () => window.removeEventListener('madina:hover', onHover);
  }, [data, indicator, label, nameOf, valueText]);

  const columns = useMemo(() => {
    const cols = ['population2024', 'populationChange', 'density2024'].filter((c) => data?.indicators.includes(c));
    return cols.includes(indicator) ? cols : [indicator, ...cols];
  }, [data, indicator]);

  const rows = useMemo(() => {
    if (!data) return [];
    const needle = filter.trim().toLocaleLowerCase();
    const list = needle ? data.rows.filter((r) => Object.values(r.name).some((n) => n.toLocaleLowerCase().includes(needle))) : [...data.rows];
    const dir = sort.desc ? -1 : 1;
    const collator = new Intl.Collator(fmt.locale);
    list.sort((a, b) => {
      if (sort.key === 'name') return dir * collator.compare(nameOf(a), nameOf(b));
      if (sort.key === 'communeType') return dir * collator.compare(a.communeType ?? '', b.communeType ?? '');
      return dir * ((a.values[sort.key] ?? -Infinity) - (b.values[sort.key] ?? -Infinity));
    });
    return list;
  }, [data, filter, sort, fmt.locale, nameOf]);

  const sortButton = (key: SortKey, text: string) => {
    const active = sort.key === key;
    return (
      <th key={key} scope="col" aria-sort={active ? (sort.desc ? 'descending' : 'ascending') : 'none'} className={key === 'name' || key === 'communeType' ? '' : 'num'}>
        <button type="button" className="sort" onClick={() => setSort({ key, desc: active ? !sort.desc : key !== 'name' })}>
          {text}
          <span aria-hidden="true" className="sort-mark">
            {active ? (sort.desc ? '▼' : '▲') : '↕'}
          </span>
        </button>
      </th>
    );
  };

  return (
    <div className="page region-page">
      <div className="page-head">
        <div>
          <h1>{t('region.title')}</h1>
          <p className="lede">{t('region.lede')}</p>
        </div>
        {summary && (
          <dl className="kpis">
            <div>
              <dt>{t('region.kpi.population')}</dt>
              <dd>{fmt.number(summary.pop24)}</dd>
            </div>
            <div>
              <dt>{t('region.kpi.communes')}</dt>
              <dd>{fmt.number(summary.count)}</dd>
            </div>
            {summary.growth !== undefined && (
              <div>
                <dt>{t('region.kpi.growth')}</dt>
                <dd>{fmt.signedPercent(summary.growth)}</dd>
              </div>
            )}
            {summary.urbanShare !== undefined && (
              <div>
                <dt>{t('region.kpi.urbanShare')}</dt>
                <dd>{fmt.percent(summary.urbanShare)}</dd>
              </div>
            )}
          </dl>
        )}
      </div>
      {error && (
        <p role="alert" className="error">
          {t('common.loadError')}
        </p>
      )}
      <div className="region-grid">
        <section className="region-map card" aria-labelledby="region-map-title">
          <div className="card-head">
            <h2 id="region-map-title">{t('region.mapTitle', { indicator: label(indicator) })}</h2>
            <label className="field">
              <span>{t('region.indicator')}</span>
              <select value={indicator} onChange={(e) => setIndicator(e.target.value)} disabled={!data}>
                {(data?.indicators ?? [indicator]).map((k) => (
                  <option key={k} value={k}>
                    {label(k)}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <div className="map-frame">
            <MapView onReady={onReady} initial={{ bounds: REGION_BOUNDS }} label={t('region.mapLabel')} className="region" />
            {classes.breaks.length > 0 && (
              <div className="map-legend">
                <Legend
                  title={label(indicator)}
                  items={[
                    ...classes.breaks.map((b, i) => ({
                      color: classes.colors[i],
                      label: i + 1 < classes.breaks.length ? t('legend.range', { from: valueText(indicator, b), to: valueText(indicator, classes.breaks[i + 1]) }) : t('legend.atLeast', { from: valueText(indicator, b) }),
                    })),
                    { color: NO_DATA, label: t('legend.noData') },
                  ]}
                />
              </div>
            )}
          </div>
          {data?.source === 'shipped' && <p className="note">{t('region.shippedNote')}</p>}
        </section>
        <section className="region-table card" aria-labelledby="region-table-title">
          <div className="card-head">
            <h2 id="region-table-title">{t('region.tableTitle')}</h2>
            <label className="field">
              <span>{t('region.filter')}</span>
              <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />
            </label>
          </div>
          <div className="table-scroll" tabIndex={0} aria-labelledby="region-table-title">
            <table className="data">
              <caption className="visually-hidden">{t('region.tableCaption', { count: rows.length })}</caption>
              <thead>
                <tr>
                  {sortButton('name', t('region.commune'))}
                  {sortButton('communeType', t('region.type'))}
                  {columns.map((c) => sortButton(c, label(c)))}
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.code} id={`commune-${r.code}`} className={selected === r.code ? 'selected' : undefined} data-code={r.code}>
                    <th scope="row">
                      <button type="button" className="row-button" aria-pressed={selected === r.code} onClick={() => setSelected(selected === r.code ? null : r.code)}>
                        {nameOf(r)}
                      </button>
                    </th>
                    <td>{r.communeType ? t(`values.communeType.${r.communeType}`, { defaultValue: r.communeType }) : '—'}</td>
                    {columns.map((c) => (
                      <td key={c} className="num">
                        {valueText(c, r.values[c])}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      </div>
    </div>
  );
}
