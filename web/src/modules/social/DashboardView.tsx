import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, nameIn, type Names } from './social-api';

interface Dashboard {
  referrals: Record<string, Record<string, number>>;
  timeToFirstService: { cases: number; medianDays: number | null; p90Days: number | null };
  declined: { centreId: string; centreName: Names | null; reason: string; count: number }[];
  unmetNeeds: { placeCode: string; placeName: Names | null; need: string; cases: number; met: number; unmet: number }[];
  orientations: { total: number; overridden: number };
}

/** The supervisor's aggregates: no names, no identifiers. */
export function DashboardView() {
  const { t, i18n } = useTranslation('social');
  const lang = i18n.language;
  const [d, setD] = useState<Dashboard | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<Dashboard>('GET', '/social/dashboard').then(setD, (e) => setError(e.message));
  }, []);
  if (error) return <p className="error" role="alert">{t('common.error', { detail: error })}</p>;
  if (!d) return <p role="status">{t('common.loading')}</p>;
  return (
    <div className="cards social-dashboard">
      <section className="card" aria-labelledby="db-states">
        <h2 id="db-states">{t('dashboard.referralsByState')}</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('dashboard.kind')}</th>
              <th scope="col">{t('dashboard.state')}</th>
              <th scope="col">{t('dashboard.count')}</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(d.referrals).flatMap(([kind, states]) =>
              Object.entries(states).map(([state, n]) => (
                <tr key={`${kind}-${state}`}>
                  <td>{kind}</td>
                  <td>{t(`states.${state}`)}</td>
                  <td>{n}</td>
                </tr>
              )),
            )}
          </tbody>
        </table>
        <p className="note">{t('dashboard.overrides', d.orientations)}</p>
      </section>
      <section className="card" aria-labelledby="db-time">
        <h2 id="db-time">{t('dashboard.timeToService')}</h2>
        <p>{t('dashboard.casesWithService', { count: d.timeToFirstService.cases })}</p>
        {d.timeToFirstService.medianDays !== null ? (
          <p>
            {t('dashboard.median', { days: d.timeToFirstService.medianDays })} · {t('dashboard.p90', { days: d.timeToFirstService.p90Days })}
          </p>
        ) : null}
      </section>
      <section className="card" aria-labelledby="db-declined">
        <h2 id="db-declined">{t('dashboard.declined')}</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('dashboard.centre')}</th>
              <th scope="col">{t('dashboard.reason')}</th>
              <th scope="col">{t('dashboard.count')}</th>
            </tr>
          </thead>
          <tbody>
            {d.declined.map((x) => (
              <tr key={`${x.centreId}-${x.reason}`}>
                <td>{nameIn(x.centreName, lang) || x.centreId}</td>
                <td>{x.reason}</td>
                <td>{x.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="card" aria-labelledby="db-unmet">
        <h2 id="db-unmet">{t('dashboard.unmet')}</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('dashboard.place')}</th>
              <th scope="col">{t('dashboard.need')}</th>
              <th scope="col">{t('dashboard.cases')}</th>
              <th scope="col">{t('dashboard.met')}</th>
              <th scope="col">{t('dashboard.unmetCount')}</th>
            </tr>
          </thead>
          <tbody>
            {d.unmetNeeds.map((x) => (
              <tr key={`${x.placeCode}-${x.need}`}>
                <td>{nameIn(x.placeName, lang) || x.placeCode}</td>
                <td>{t(`services.${x.need}`)}</td>
                <td>{x.cases}</td>
                <td>{x.met}</td>
                <td>{x.unmet}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
