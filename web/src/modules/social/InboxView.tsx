import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, nameIn, type Centre, type Place, type Referral } from './social-api';

/** A centre's referrals, live: the server pushes ids and states (SSE); the list is then re-read. */
export function InboxView({ centreId, centres, places, canDecline }: { centreId: string; centres: Centre[]; places: Place[]; canDecline: boolean }) {
  const { t, i18n } = useTranslation('social');
  const lang = i18n.language;
  const [items, setItems] = useState<Referral[] | null>(null);
  const [announce, setAnnounce] = useState('');
  const [declining, setDeclining] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const centreName = (id: string | null) => nameIn(centres.find((x) => x.id === id)?.name, lang) || id || '—';

  const load = useCallback(async () => {
    try {
      setItems((await api<{ items: Referral[] }>('GET', `/social/centres/${centreId}/referrals?limit=100`)).items);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }, [centreId]);

  useEffect(() => {
    void load();
    const es = new EventSource(`/api/social/centres/${encodeURIComponent(centreId)}/inbox/stream`);
    es.addEventListener('referral', (ev) => {
      const e = JSON.parse((ev as MessageEvent).data) as { state: string; toCentreId: string };
      if (e.state === 'pending' && e.toCentreId === centreId) setAnnounce(t('inbox.newReferral'));
      void load();
    });
    return () => es.close();
  }, [centreId, load, t]);

  async function act(id: string, action: 'accept' | 'decline' | 'complete', body: Record<string, string> = {}) {
    setError(null);
    try {
      await api('POST', `/social/referrals/${id}/${action}`, body);
      setDeclining(null);
      setReason('');
      await load();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  return (
    <section aria-labelledby="inbox-title">
      <div className="card-head">
        <h2 id="inbox-title">{t('inbox.title')}</h2>
        <span className="live live-live">
          <span className="live-dot" aria-hidden="true" />
          {t('inbox.live')}
        </span>
      </div>
      <p className="muted">{t('inbox.centre', { centre: centreName(centreId) })}</p>
      <p className="visually-hidden" role="status" aria-live="polite">
        {announce}
      </p>
      {error ? (
        <p className="error" role="alert">
          {t('common.error', { detail: error })}
        </p>
      ) : null}
      {!items ? <p role="status">{t('common.loading')}</p> : null}
      {items && !items.length ? <p className="muted">{t('inbox.empty')}</p> : null}
      <ul className="social-inbox">
        {items?.map((r) => (
          <li key={r.id} className="card" data-referral={r.id} data-state={r.state} aria-labelledby={`ref-${r.id}`}>
            <div className="card-head">
              <h3 id={`ref-${r.id}`}>{[r.person?.givenName, r.person?.familyName].filter(Boolean).join(' ') || r.id.slice(0, 8)}</h3>
              <span className="tag">{t(`states.${r.state}`)}</span>
            </div>
            <dl className="social-review">
              <dt>{t('inbox.from', { centre: '' }).replace(/[:：]\s*$/, '')}</dt>
              <dd>{centreName(r.fromCentreId)}</dd>
              <dt>{t('inbox.reason')}</dt>
              <dd>{r.reason}</dd>
              <dt>{t('inbox.services')}</dt>
              <dd>{r.services.map((s) => t(`services.${s}`)).join(', ')}</dd>
              <dt>{t('inbox.shared')}</dt>
              <dd>
                {r.consentActive ? (
                  <ul className="social-shared">
                    {Object.entries(r.person ?? {}).map(([k, v]) => (
                      <li key={k}>
                        {t(`person.${k}`)} : <bdi dir={k === 'phone' || k === 'birthDate' ? 'ltr' : undefined}>{k === 'placeCode' ? nameIn(places.find((p) => p.code === v)?.name, lang) || v : k === 'sex' ? t(`person.${v}`) : v}</bdi>
                      </li>
                    ))}
                    {(r.data?.needs as string[] | undefined)?.length ? (
                      <li>
                        {t('needs.legend')} : {(r.data!.needs as string[]).map((n) => t(`services.${n}`)).join(', ')}
                      </li>
                    ) : null}
                    {r.data?.functioning ? (
                      <li>
                        {t('wizard.steps.functioning')} :{' '}
                        {Object.entries(r.data.functioning as Record<string, string>)
                          .filter(([, l]) => l !== 'none')
                          .map(([d, l]) => `${t(`domains.${d}`)} (${t(`functioning.level.${l}`)})`)
                          .join(', ') || t('common.none')}
                      </li>
                    ) : null}
                  </ul>
                ) : (
                  t('inbox.consentWithdrawn')
                )}
              </dd>
            </dl>
            {r.state === 'pending' ? (
              <div className="social-actions">
                <button type="button" className="primary" onClick={() => void act(r.id, 'accept')}>
                  {t('inbox.accept')}
                </button>
                {canDecline ? (
                  <button type="button" onClick={() => setDeclining(declining === r.id ? null : r.id)} aria-expanded={declining === r.id}>
                    {t('inbox.decline')}
                  </button>
                ) : null}
              </div>
            ) : null}
            {declining === r.id ? (
              <form
                className="social-actions"
                onSubmit={(e) => {
                  e.preventDefault();
                  void act(r.id, 'decline', { reason });
                }}
              >
                <div className="field">
                  <label htmlFor={`decline-${r.id}`}>{t('inbox.declineReason')}</label>
                  <input id={`decline-${r.id}`} value={reason} required onChange={(e) => setReason(e.target.value)} />
                </div>
                <button type="submit">{t('inbox.confirm')}</button>
              </form>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
