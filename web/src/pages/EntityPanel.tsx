import { lazy, Suspense, useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, getJson, localText, ngsiUrl, shortType } from '../app/api';
import { useFormat } from '../app/format';
import { layerStore } from '../map/layer-store';
import { loadHistory } from './temporal';

const HistoryChart = lazy(() => import('./HistoryChart'));

type Instance = { type?: string; value?: unknown; object?: unknown; languageMap?: Record<string, string>; unitCode?: string; observedAt?: string; modifiedAt?: string };
type Entity = { id: string; type: string | string[]; modifiedAt?: string } & Record<string, unknown>;

const RANGES = { '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3, '30d': 30 * 86400e3 } as const;
type Range = keyof typeof RANGES;
const HIDDEN = new Set(['id', 'type', '@context', 'createdAt', 'modifiedAt', 'scope']);

const firstInstance = (a: unknown): Instance | undefined => (Array.isArray(a) ? a[0] : a && typeof a === 'object' ? a : undefined) as Instance | undefined;

/** Everything about one entity: attributes with units and update times, history chart, raw NGSI-LD. */
export default function EntityPanel({ id, onClose }: { id: string; onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const fmt = useFormat();
  const [entity, setEntity] = useState<Entity | null | 'missing'>(null);
  const [attr, setAttr] = useState<string | null>(null);
  const [range, setRange] = useState<Range>('24h');
  const [history, setHistory] = useState<{ t: number[]; v: number[] } | 'unavailable' | null>(null);
  const [tick, setTick] = useState(0);
  const headingRef = useRef<HTMLHeadingElement>(null);

  const load = useCallback(async () => {
    try {
      const { body } = await getJson<Entity>(ngsiUrl(`/entities/${encodeURIComponent(id)}`, { options: 'sysAttrs' }));
      setEntity(body);
    } catch (err) {
      setEntity(err instanceof ApiError && err.status === 404 ? 'missing' : null);
    }
  }, [id]);

  useEffect(() => {
    setEntity(null);
    setAttr(null);
    void load();
  }, [load]);

  useEffect(() => {
    headingRef.current?.focus();
  }, [id]);

  // Live: re-read this entity (and its history) when an update for it arrives.
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = layerStore.onEntity((e) => {
      if (e.id !== id) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        void load();
        setTick((n) => n + 1);
      }, 100);
    });
    return () => {
      off();
      clearTimeout(timer);
    };
  }, [id, load]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const attrs = entity && entity !== 'missing' ? Object.entries(entity).filter(([k]) => !HIDDEN.has(k) && k !== 'location') : [];
  const numeric = attrs.filter(([, a]) => typeof firstInstance(a)?.value === 'number').map(([k]) => k);
  const chartAttr = attr && numeric.includes(attr) ? attr : numeric[0];

  useEffect(() => {
    if (!chartAttr) return;
    let cancelled = false;
    const now = Date.now();
    loadHistory(id, chartAttr, now - RANGES[range], now + 60e3).then(
      (h) => !cancelled && setHistory(h),
      () => !cancelled && setHistory('unavailable'),
    );
    return () => {
      cancelled = true;
    };
  }, [id, chartAttr, range, tick]);

  const typeName = entity && entity !== 'missing' ? shortType(entity.type) : '';
  const name = entity && entity !== 'missing' ? localText(firstInstance(entity.name)?.value ?? firstInstance(entity.name)?.languageMap, i18n.language) : undefined;
  const unitOf = (k: string) => firstInstance(entity && entity !== 'missing' ? entity[k] : undefined)?.unitCode;
  const formatTime = useCallback((ms: number) => (range === '1h' || range === '24h' ? fmt.time(ms) : fmt.dateTime(ms)), [fmt, range]);
  const formatValue = useCallback((v: number) => fmt.withUnit(v, chartAttr ?? '', unitOf(chartAttr ?? '')), [fmt, chartAttr, entity]);

  return (
    <aside className="entity-panel" aria-labelledby="entity-title">
      <div className="panel-head">
        <div>
          <p className="eyebrow">{typeName ? t(`types.${typeName}`, { defaultValue: typeName }) : t('entity.title')}</p>
          <h2 id="entity-title" tabIndex={-1} ref={headingRef}>
            {name ?? id.split(':').pop()}
          </h2>
          <p className="entity-id">{id}</p>
        </div>
        <button type="button" className="icon-button" onClick={onClose} aria-label={t('common.close')}>
          ×
        </button>
      </div>
      {entity === null && <p role="status">{t('common.loading')}</p>}
      {entity === 'missing' && <p role="alert">{t('entity.missing')}</p>}
      {entity && entity !== 'missing' && (
        <>
          {entity.modifiedAt && (
            <p className="muted">
              {t('entity.lastUpdate')} : <time dateTime={entity.modifiedAt} title={fmt.dateTime(entity.modifiedAt)}>{fmt.relative(entity.modifiedAt)}</time>
              {entity.synthetic !== undefined && firstInstance(entity.synthetic)?.value === true && <span className="tag">{t('entity.synthetic')}</span>}
            </p>
          )}
          <table className="data attrs">
            <caption className="visually-hidden">{t('entity.attributes')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('entity.attribute')}</th>
                <th scope="col">{t('entity.value')}</th>
                <th scope="col">{t('entity.observed')}</th>
              </tr>
            </thead>
            <tbody>
              {attrs.map(([k, a]) => {
                const inst = firstInstance(a);
                const value = inst?.type === 'Relationship' ? inst.object : inst?.type === 'LanguageProperty' ? localText(inst.languageMap, i18n.language) : inst?.value;
                const when = inst?.observedAt ?? inst?.modifiedAt;
                return (
                  <tr key={k} data-attr={k}>
                    <th scope="row">{t(`attributes.${k}`, { defaultValue: k })}</th>
                    <td className="attr-value">{fmt.withUnit(value, k, inst?.unitCode)}</td>
                    <td className="muted">{when ? <time dateTime={when} title={fmt.dateTime(when)}>{fmt.relative(when)}</time> : '—'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>

          {numeric.length > 0 && (
            <section className="history" aria-labelledby="history-title">
              <h3 id="history-title">{t('entity.history')}</h3>
              <div className="history-tools">
                <label className="field">
                  <span>{t('entity.attribute')}</span>
                  <select value={chartAttr} onChange={(e) => setAttr(e.target.value)}>
                    {numeric.map((k) => (
                      <option key={k} value={k}>
                        {t(`attributes.${k}`, { defaultValue: k })}
                      </option>
                    ))}
                  </select>
                </label>
                <div role="group" aria-label={t('entity.range')} className="segmented">
                  {(Object.keys(RANGES) as Range[]).map((r) => (
                    <button type="button" key={r} aria-pressed={range === r} onClick={() => setRange(r)}>
                      {t(`entity.ranges.${r}`)}
                    </button>
                  ))}
                </div>
              </div>
              {history === null && <p role="status">{t('common.loading')}</p>}
              {history === 'unavailable' && <p className="muted">{t('entity.historyUnavailable')}</p>}
              {history && history !== 'unavailable' && history.t.length === 0 && <p className="muted">{t('entity.historyEmpty')}</p>}
              {history && history !== 'unavailable' && history.t.length > 0 && (
                <>
                  <Suspense fallback={<p role="status">{t('common.loading')}</p>}>
                    <HistoryChart t={history.t} v={history.v} label={t(`attributes.${chartAttr}`, { defaultValue: chartAttr })} formatTime={formatTime} formatValue={formatValue} />
                  </Suspense>
                  <p className="chart-summary" data-testid="history-summary">
                    {t('entity.historySummary', {
                      n: fmt.number(history.t.length),
                      min: formatValue(Math.min(...history.v)),
                      max: formatValue(Math.max(...history.v)),
                      last: formatValue(history.v[history.v.length - 1]),
                    })}
                  </p>
                  <details>
                    <summary>{t('entity.historyTable')}</summary>
                    <div className="table-scroll small" tabIndex={0} aria-label={t('entity.historyTable')}>
                      <table className="data">
                        <thead>
                          <tr>
                            <th scope="col">{t('entity.time')}</th>
                            <th scope="col" className="num">
                              {t('entity.value')}
                            </th>
                          </tr>
                        </thead>
                        <tbody>
                          {history.t
                            .map((ms, i) => [ms, history.v[i]] as const)
                            .slice(-200)
                            .reverse()
                            .map(([ms, v]) => (
                              <tr key={ms}>
                                <td>{fmt.dateTime(ms)}</td>
                                <td className="num">{formatValue(v)}</td>
                              </tr>
                            ))}
                        </tbody>
                      </table>
                    </div>
                  </details>
                </>
              )}
            </section>
          )}

          <details className="raw">
            <summary>{t('entity.raw')}</summary>
            <pre dir="ltr" tabIndex={0}>{JSON.stringify(entity, null, 2)}</pre>
          </details>
        </>
      )}
    </aside>
  );
}
