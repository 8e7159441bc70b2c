import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../app/format';
import { Link } from '../app/router';
import { layerStore, type Alert } from '../map/layer-store';
import { POINT_LAYERS, type AlertKind } from '../map/layers';

const KINDS: AlertKind[] = ['failedLamp', 'fullBin', 'silent', 'congestion', 'poorAir'];

/** Alerts computed from the live layers (failed lamps, full bins, silent devices...); updates as events arrive. */
export function AlertsList({ compact, onOpen }: { compact?: boolean; onOpen: (a: Alert) => void }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const [version, setVersion] = useState(0);
  const [kind, setKind] = useState<AlertKind | 'all'>('all');
  useEffect(() => {
    for (const l of POINT_LAYERS) if (l.alert || l.silentAfterS) void layerStore.load(l.id);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = layerStore.subscribe(() => {
      timer ??= setTimeout(() => {
        timer = undefined;
        setVersion((v) => v + 1);
      }, 300);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, []);
  const alerts = useMemo(() => layerStore.alerts(), [version]);
  const byKind = useMemo(() => Object.fromEntries(KINDS.map((k) => [k, alerts.filter((a) => a.kind === k).length])), [alerts]);
  const shown = alerts.filter((a) => kind === 'all' || a.kind === kind).slice(0, compact ? 8 : 300);
  const Heading = compact ? 'h2' : 'h2';

  return (
    <section className={`alerts ${compact ? 'alerts-compact' : ''}`} aria-labelledby="alerts-title">
      <Heading id="alerts-title" className="alerts-title">
        {t('alerts.title')} <span className="badge">{fmt.number(alerts.length)}</span>
      </Heading>
      <p className="visually-hidden" aria-live="polite">
        {t('alerts.summary', { count: alerts.length, n: fmt.number(alerts.length) })}
      </p>
      <div className="alert-kinds" role="group" aria-label={t('alerts.filter')}>
        <button type="button" aria-pressed={kind === 'all'} onClick={() => setKind('all')}>
          {t('alerts.all')}
        </button>
        {KINDS.filter((k) => byKind[k] > 0 || !compact).map((k) => (
          <button type="button" key={k} aria-pressed={kind === k} onClick={() => setKind(k)} className={`kind-${k}`}>
            {t(`alerts.kind.${k}`)} <span className="badge">{fmt.number(byKind[k])}</span>
          </button>
        ))}
      </div>
      {shown.length === 0 ? (
        <p className="muted">{t('alerts.none')}</p>
      ) : (
        <ul className="alert-list">
          {shown.map((a) => (
            <li key={`${a.kind}:${a.id}`} className={`alert alert-${a.kind}`}>
              <button type="button" className="alert-button" onClick={() => onOpen(a)}>
                <span className="alert-kind">{t(`alerts.kind.${a.kind}`)}</span>
                <span className="alert-id">
                  {t(`layers.${a.layer}`)} · {a.id.split(':').pop()}
                </span>
                {a.since && <span className="alert-since">{fmt.relative(a.since)}</span>}
              </button>
            </li>
          ))}
        </ul>
      )}
      {compact && alerts.length > shown.length && (
        <p>
          <Link to="/alerts">{t('alerts.seeAll', { n: fmt.number(alerts.length) })}</Link>
        </p>
      )}
    </section>
  );
}
