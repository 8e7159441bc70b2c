import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useQueryParam } from '../../app/router';
import { api, Problem, type Tracked } from './citizen-api';
import { formatDateTime } from './i18n-setup';
import './citizen.css';

/** Following a report with its tracking number: state, the notes the service wrote, the history. */
export default function TrackPage() {
  const { t, i18n } = useTranslation('citizen');
  const [id, setId] = useQueryParam('id');
  const [report, setReport] = useState<Tracked | null>(null);
  const [error, setError] = useState<string | null>(null);
  const lang = i18n.language;

  useEffect(() => {
    setReport(null);
    setError(null);
    if (!id) return;
    api<Tracked>('GET', `/citizen/reports/${encodeURIComponent(id)}`, undefined, lang).then(setReport, (e) =>
      setError(e instanceof Problem && e.status === 404 ? t('track.notFound') : e.message),
    );
  }, [id, lang, t]);

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const v = String(new FormData(e.currentTarget).get('id') ?? '').trim();
    if (v) setId(v);
  }

  return (
    <div className="page page-narrow citizen-page">
      <h1>{t('track.title')}</h1>
      <form onSubmit={submit} className="citizen-row" role="search">
        <div className="field">
          <label htmlFor="track-id">{t('track.number')}</label>
          <input id="track-id" name="id" defaultValue={id ?? ''} inputMode="numeric" required />
        </div>
        <button type="submit" className="primary">
          {t('track.show')}
        </button>
      </form>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {report ? (
        <section className="card" aria-labelledby="track-result" aria-live="polite">
          <h2 id="track-result">
            {t('track.request', { id: report.service_request_id })} — {report.service_name}
          </h2>
          <p className={`citizen-state citizen-state-${report.status}`} data-testid="track-state">
            {report.stateLabel}
          </p>
          {report.duplicateOf ? <p>{t('track.duplicate', { id: report.duplicateOf })}</p> : null}
          <dl className="citizen-facts">
            <dt>{t('track.filed')}</dt>
            <dd>{formatDateTime(report.requested_datetime, lang)}</dd>
            {report.expected_datetime ? (
              <>
                <dt>{t('track.expected')}</dt>
                <dd>
                  {formatDateTime(report.expected_datetime, lang)} {report.overdue ? <strong>({t('track.overdue')})</strong> : null}
                </dd>
              </>
            ) : null}
            <dt>{t('track.agency')}</dt>
            <dd>{report.agency_responsible}</dd>
            {report.address ? (
              <>
                <dt>{t('track.address')}</dt>
                <dd>{report.address}</dd>
              </>
            ) : null}
          </dl>
          {report.media_url ? <img className="citizen-photo" src={report.media_url} alt={t('track.photoAlt')} /> : null}
          <h3>{t('track.history')}</h3>
          <ol className="citizen-history">
            {report.history.map((h, i) => (
              <li key={i}>
                <time dateTime={h.at}>{formatDateTime(h.at, lang)}</time> — <strong>{h.label}</strong>
                {h.note ? <span data-testid="history-note"> : {h.note}</span> : null}
              </li>
            ))}
          </ol>
        </section>
      ) : null}
      <p>
        <Link to="/report">{t('track.newReport')}</Link>
      </p>
    </div>
  );
}
