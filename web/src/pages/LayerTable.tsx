import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../app/format';
import { layerStore, type PointFeature } from '../map/layer-store';
import type { PointLayerDef } from '../map/layers';

const MAX_ROWS = 200;

/** The table alternative of a map layer (WCAG 1.1.1): the same data as rows, keyboard-operable. */
export function LayerTable({
  layer,
  def,
  base,
  onOpen,
  onClose,
}: {
  layer: string;
  def?: PointLayerDef;
  base: { arrondissements: GeoJSON.FeatureCollection; lines: GeoJSON.FeatureCollection } | null;
  onOpen: (id: string, coordinates?: [number, number]) => void;
  onClose: () => void;
}) {
  const { t, i18n } = useTranslation();
  const fmt = useFormat();
  const [version, setVersion] = useState(0);
  const [filter, setFilter] = useState('');
  const [alertsOnly, setAlertsOnly] = useState(false);
  useEffect(() => layerStore.subscribe((ls) => ls.has(layer) && setVersion((v) => v + 1)), [layer]);
  // Opening a table moves the keyboard there (it sits after the sidebar in reading order).
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), [layer]);

  const rows = useMemo(() => {
    if (!def) return [];
    const needle = filter.trim().toLowerCase();
    const out: PointFeature[] = [];
    let total = 0;
    for (const f of layerStore.state(layer)?.features.values() ?? []) {
      if (needle && !f.properties.id.toLowerCase().includes(needle)) continue;
      if (alertsOnly && !def.alert?.(f.properties)) continue;
      total++;
      if (out.length < MAX_ROWS) out.push(f);
    }
    return Object.assign(out, { total });
    // version: recompute on live updates
  }, [def, layer, filter, alertsOnly, version]);

  const title = t(`layers.${layer}`);
  return (
    <section aria-labelledby="layer-table-title" className="layer-table">
      <div className="card-head">
        <h2 id="layer-table-title" tabIndex={-1} ref={headingRef}>{t('city.tableOf', { layer: title })}</h2>
        <button type="button" className="icon-button" onClick={onClose} aria-label={t('common.close')}>
          ×
        </button>
      </div>
      {def && (
        <div className="table-tools">
          <label className="field">
            <span>{t('city.filterId')}</span>
            <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />
          </label>
          {def.alert && (
            <label className="check">
              <input type="checkbox" checked={alertsOnly} onChange={(e) => setAlertsOnly(e.target.checked)} />
              <span>{t('city.alertsOnly')}</span>
            </label>
          )}
          <p className="muted" role="status">
            {t('city.rowsShown', { shown: fmt.number(rows.length), total: fmt.number((rows as unknown as { total: number }).total ?? rows.length) })}
          </p>
        </div>
      )}
      <div className="table-scroll" tabIndex={0} aria-labelledby="layer-table-title">
        {def ? (
          <table className="data">
            <thead>
              <tr>
                <th scope="col">{t('entity.identifier')}</th>
                {def.attrs.map((a) => (
                  <th scope="col" key={a}>
                    {t(`attributes.${a}`, { defaultValue: a })}
                  </th>
                ))}
                <th scope="col">{t('entity.lastUpdate')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((f) => (
                <tr key={f.properties.id}>
                  <th scope="row">
                    <button type="button" className="row-button" onClick={() => onOpen(f.properties.id, f.geometry.coordinates as [number, number])}>
                      {f.properties.id.split(':').pop()}
                    </button>
                  </th>
                  {def.attrs.map((a) => (
                    <td key={a}>{f.properties[a] === undefined ? '—' : fmt.withUnit(f.properties[a], a)}</td>
                  ))}
                  <td>{f.properties.t ? fmt.dateTime(f.properties.t * 1000) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : layer === 'transit' ? (
          <table className="data">
            <thead>
              <tr>
                <th scope="col">{t('transit.line')}</th>
                <th scope="col">{t('transit.mode')}</th>
                <th scope="col">{t('transit.route')}</th>
              </tr>
            </thead>
            <tbody>
              {(base?.lines.features ?? []).map((f, i) => (
                <tr key={i}>
                  <th scope="row">
                    <span className="swatch swatch-line" style={{ background: String(f.properties?.colour) }} aria-hidden="true" /> {String(f.properties?.ref)}
                  </th>
                  <td>{t(`legend.transit.${f.properties?.mode}`)}</td>
                  <td>{String(f.properties?.name)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <table className="data">
            <thead>
              <tr>
                <th scope="col">{t('region.arrondissement')}</th>
                <th scope="col" className="num">
                  {t('indicators.population2024')}
                </th>
                <th scope="col" className="num">
                  {t('indicators.households2024')}
                </th>
              </tr>
            </thead>
            <tbody>
              {(base?.arrondissements.features ?? []).map((f, i) => (
                <tr key={i}>
                  <th scope="row">{String(i18n.language === 'ar' ? f.properties?.name_ar : f.properties?.name_fr)}</th>
                  <td className="num">{fmt.number(Number(f.properties?.population_2024))}</td>
                  <td className="num">{fmt.number(Number(f.properties?.households_2024))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}
