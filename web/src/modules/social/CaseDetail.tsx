import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, nameIn, Problem, type CaseView, type Centre, type Contribution, type Recommendation } from './social-api';

function factorDetail(t: (k: string, o?: Record<string, unknown>) => string, c: Contribution): string {
  const d = c.detail;
  switch (c.factor) {
    case 'services':
      return t('orientation.detail.services', { offered: d.offered.length, needed: d.needed.length });
    case 'domains':
      return t('orientation.detail.domains', { supported: d.supported.length, total: d.difficulties.length });
    case 'availability':
      return d.freePlaces > 0 ? t('orientation.detail.availabilityFree', { n: d.freePlaces }) : t('orientation.detail.availabilityWait', { days: d.averageWaitDays });
    case 'proximity':
      return d.basis === 'transit-time' ? t('orientation.detail.transit', { min: d.travelTimeMin }) : d.basis === 'distance' ? t('orientation.detail.distance', { km: d.distanceKm }) : t('orientation.detail.unknownLocation');
    case 'accessibility':
      return d.required.length ? t('orientation.detail.access', { met: d.met.length, required: d.required.length }) : t('orientation.detail.accessNone');
    default:
      return '';
  }
}

/** A case as the user may see it, the centres recommended for it (with why), and the referral. */
export function CaseDetail({ caseId, centres, justSaved }: { caseId: string; centres: Centre[]; justSaved?: boolean }) {
  const { t, i18n } = useTranslation('social');
  const lang = i18n.language;
  const [c, setC] = useState<CaseView | null>(null);
  const [recs, setRecs] = useState<Recommendation[] | null>(null);
  const [reason, setReason] = useState('');
  const [choice, setChoice] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const centreName = (id: string | null) => nameIn(centres.find((x) => x.id === id)?.name, lang) || id || '—';

  const load = useCallback(async () => {
    try {
      const view = await api<CaseView>('GET', `/social/cases/${caseId}`);
      setC(view);
      const o = await api<{ recommendations: Recommendation[] }>('GET', `/social/cases/${caseId}/orientation`).catch(() => null);
      setRecs(o?.recommendations ?? null);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }, [caseId]);
  useEffect(() => {
    void load();
  }, [load]);

  async function refer(rec: Recommendation) {
    setError(null);
    const overriding = recs && rec.centreId !== recs[0].centreId;
    if (overriding && !reason.trim()) {
      setChoice(rec.centreId);
      setError(t('orientation.overrideNeeded'));
      document.getElementById('override-reason')?.focus();
      return;
    }
    try {
      await api('POST', `/social/cases/${caseId}/orientation`, { centreId: rec.centreId, ...(overriding ? { reason: reason.trim() } : {}) });
      const consent = c?.consents?.find((x) => x.purpose === 'referral' && !x.withdrawnAt && (!x.centreIds || x.centreIds.includes(rec.centreId)));
      const needs = (c?.data.needs as string[] | undefined) ?? [];
      const offered = (rec.contributions.find((x) => x.factor === 'services')?.detail.offered as string[] | undefined) ?? [];
      await api('POST', `/social/cases/${caseId}/referrals`, {
        toCentreId: rec.centreId,
        reason: overriding ? reason.trim() : t('orientation.reasonDefault', { services: (offered.length ? offered : needs).map((n) => t(`services.${n}`)).join(', ') }),
        services: offered.length ? offered : needs.slice(0, 1),
        sharedFields: consent?.fields ?? [],
      });
      setStatus(t('orientation.sent', { centre: nameIn(rec.centre.name, lang) }));
      await load();
    } catch (err) {
      setError(err instanceof Problem && err.type.endsWith('consent-required') ? t('orientation.noConsent') : err instanceof Error ? err.message : String(err));
    }
  }

  if (error && !c) return <p className="error" role="alert">{t('common.error', { detail: error })}</p>;
  if (!c) return <p role="status">{t('common.loading')}</p>;
  const liveReferral = c.referrals.find((r) => r.kind === 'referral' && (r.state === 'pending' || r.state === 'accepted'));
  return (
    <div className="social-case">
      {justSaved ? (
        <p className="social-ok" role="status">
          {t('wizard.saved')}
        </p>
      ) : null}
      {c.possibleDuplicates?.length ? <p className="error">{t('wizard.duplicates', { count: c.possibleDuplicates.length })}</p> : null}
      <section className="card" aria-labelledby="case-title">
        <h2 id="case-title">
          {t('case.title')} — {[c.person.givenName, c.person.familyName].filter(Boolean).join(' ') || c.id.slice(0, 8)}
        </h2>
        <p className="muted">
          {t('case.opened', { date: new Date(c.openedAt).toLocaleDateString(lang === 'ar' ? 'ar-MA-u-nu-latn' : 'fr-MA') })} · {t('case.state')} :{' '}
          <span className="tag" data-state={c.state}>
            {t(`states.${c.state}`)}
          </span>
        </p>
        <dl className="social-review">
          {(c.data.needs as string[] | undefined)?.length ? (
            <>
              <dt>{t('needs.legend')}</dt>
              <dd>{(c.data.needs as string[]).map((n) => t(`services.${n}`)).join(', ')}</dd>
            </>
          ) : null}
          {c.person.phone ? (
            <>
              <dt>{t('person.phone')}</dt>
              <dd dir="ltr">{c.person.phone}</dd>
            </>
          ) : null}
        </dl>
        <h3>{t('case.referrals')}</h3>
        {c.referrals.length ? (
          <ul className="social-referrals">
            {c.referrals.map((r) => (
              <li key={r.id} data-referral={r.id} data-state={r.state}>
                {centreName(r.toCentreId)} — <span className="tag">{t(`states.${r.state}`)}</span>
                {r.declineReason ? ` (${r.declineReason})` : ''}
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">{t('case.noReferral')}</p>
        )}
      </section>
      {status ? (
        <p className="social-ok" role="status">
          {status}
        </p>
      ) : null}
      {recs && !liveReferral ? (
        <section className="card" aria-labelledby="orientation-title">
          <h2 id="orientation-title">{t('orientation.title')}</h2>
          <p className="note">{t('orientation.help')}</p>
          {error ? (
            <p className="error" role="alert">
              {error}
            </p>
          ) : null}
          <div className="field">
            <label htmlFor="override-reason">{t('orientation.overrideReason')}</label>
            <textarea id="override-reason" rows={2} value={reason} onChange={(e) => setReason(e.target.value)} aria-invalid={choice && !reason.trim() ? true : undefined} />
          </div>
          <ol className="social-recs">
            {recs.map((r) => (
              <li key={r.centreId} className="card" data-centre={r.centreId} aria-labelledby={`rec-${r.centreId}`}>
                <div className="card-head">
                  <h3 id={`rec-${r.centreId}`}>
                    {t('orientation.rank', { rank: r.rank })} · {nameIn(r.centre.name, lang)}
                    {r.centre.synthetic ? <span className="badge"> {t('synthetic')}</span> : null}
                  </h3>
                  <strong>{t('orientation.score', { score: r.score })}</strong>
                </div>
                <table className="social-factors">
                  <caption className="visually-hidden">{t('orientation.score', { score: r.score })}</caption>
                  <tbody>
                    {r.contributions.map((f) => (
                      <tr key={f.factor}>
                        <th scope="row">{t(`orientation.factor.${f.factor}`)}</th>
                        <td>
                          <meter min={0} max={f.weight} value={f.points} aria-hidden="true" /> {t('orientation.points', { points: f.points, weight: f.weight })}
                        </td>
                        <td>{factorDetail(t, f)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                <button type="button" className="primary" onClick={() => void refer(r)} aria-describedby={`rec-${r.centreId}`}>
                  {t('orientation.choose')}
                </button>
              </li>
            ))}
          </ol>
        </section>
      ) : null}
    </div>
  );
}
