import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { addModuleTranslations } from '../../app/i18n';
import { has, useMe } from '../../app/session';
import { SignIn } from '../../app/SignIn';
import { useQueryParam } from '../../app/router';
import { CaseDetail } from './CaseDetail';
import { DashboardView } from './DashboardView';
import ar from './i18n/ar.json';
import en from './i18n/en.json';
import fr from './i18n/fr.json';
import { InboxView } from './InboxView';
import { IntakeWizard } from './IntakeWizard';
import { api, Problem, type CaseView, type Centre, type Me, type Place, type Vocabulary } from './social-api';
import './social.css';

addModuleTranslations('social', { fr, ar, en });


function CasesList({ onOpen }: { onOpen(id: string): void }) {
  const { t, i18n } = useTranslation('social');
  const [items, setItems] = useState<{ id: string; state: string; openedAt: string; person: Record<string, string>; needs?: string[] }[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<{ items: NonNullable<typeof items> }>('GET', '/social/cases?limit=100').then((r) => setItems(r.items), (e) => setError(e.message));
  }, []);
  if (error) return <p className="error" role="alert">{t('common.error', { detail: error })}</p>;
  if (!items) return <p role="status">{t('common.loading')}</p>;
  if (!items.length) return <p className="muted">{t('cases.empty')}</p>;
  return (
    <div className="table-scroll">
      <table className="social-table">
        <caption className="visually-hidden">{t('cases.title')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('cases.person')}</th>
            <th scope="col">{t('cases.needs')}</th>
            <th scope="col">{t('cases.state')}</th>
            <th scope="col">{t('cases.opened')}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((c) => (
            <tr key={c.id}>
              <td>
                <button type="button" className="link-button" onClick={() => onOpen(c.id)}>
                  {[c.person.givenName, c.person.familyName].filter(Boolean).join(' ') || c.id.slice(0, 8)}
                </button>
              </td>
              <td>{(c.needs ?? []).map((n) => t(`services.${n}`)).join(', ')}</td>
              <td>{t(`states.${c.state}`)}</td>
              <td>{new Date(c.openedAt).toLocaleDateString(i18n.language === 'ar' ? 'ar-MA-u-nu-latn' : 'fr-MA')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The one-stop social desk: intake, cases and orientation, a centre's inbox, the supervisor's dashboard. */
export default function SocialPage() {
  const { t, i18n } = useTranslation('social');
  const [view, setView] = useQueryParam('view');
  const [caseId, setCaseId] = useQueryParam('case');
  const [ctx, setCtx] = useState<{ vocabulary: Vocabulary; places: Place[]; centres: Centre[] } | null>(null);
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [me, loadMe] = useMe<Me>(api, Problem, (e) => setError(e.message));

  useEffect(() => {
    if (!me || me === 'anonymous') return;
    Promise.all([api<Vocabulary>('GET', '/social/vocabulary'), api<{ places: Place[] }>('GET', '/social/places'), api<{ items: Centre[] }>('GET', '/social/centres')]).then(
      ([vocabulary, p, c]) => setCtx({ vocabulary, places: p.places, centres: c.items }),
      (e) => setError(e instanceof Problem && e.status === 403 ? t('common.forbidden') : e.message),
    );
  }, [me, t]);

  const tabs: { key: string; show: boolean }[] =
    me && me !== 'anonymous'
      ? [
          { key: 'intake', show: has(me, 'desk-agent', 'centre-worker', 'centre-manager') },
          { key: 'cases', show: has(me, 'desk-agent', 'centre-worker', 'centre-manager', 'supervisor') },
          { key: 'inbox', show: has(me, 'centre-worker', 'centre-manager') && !!me.centreId },
          { key: 'dashboard', show: has(me, 'supervisor') },
        ].filter((x) => x.show)
      : [];
  const current = caseId ? 'case' : (tabs.find((x) => x.key === view)?.key ?? tabs[0]?.key);

  return (
    <div className="page page-narrow social-page" lang={i18n.language}>
      <h1>{t('title')}</h1>
      <p className="lede">{t('lede')}</p>
      {error ? (
        <p className="error" role="alert">
          {t('common.error', { detail: error })}
        </p>
      ) : null}
      {me === 'anonymous' ? <SignIn ns="social" api={api} idPrefix="signin" titleId="signin-title" className="card social-signin" onDone={() => void loadMe()} /> : null}
      {me && me !== 'anonymous' && ctx ? (
        <>
          <nav aria-label={t('tabs.label')} className="social-tabs">
            <ul>
              {tabs.map((x) => (
                <li key={x.key}>
                  <a
                    href={`?view=${x.key}`}
                    aria-current={current === x.key ? 'page' : undefined}
                    onClick={(e) => {
                      e.preventDefault();
                      setSaved(false);
                      setCaseId(null);
                      setView(x.key);
                    }}
                  >
                    {t(`tabs.${x.key}`)}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          {current === 'intake' ? (
            <IntakeWizard
              vocabulary={ctx.vocabulary}
              places={ctx.places}
              onSaved={(c: CaseView) => {
                setSaved(true);
                setCaseId(c.id);
              }}
            />
          ) : null}
          {current === 'case' && caseId ? <CaseDetail key={caseId} caseId={caseId} centres={ctx.centres} justSaved={saved} /> : null}
          {current === 'cases' ? <CasesList onOpen={(id) => setCaseId(id)} /> : null}
          {current === 'inbox' && me.centreId ? <InboxView centreId={me.centreId} centres={ctx.centres} places={ctx.places} canDecline={has(me, 'centre-manager')} /> : null}
          {current === 'dashboard' ? <DashboardView /> : null}
          {ctx.centres.some((c) => c.synthetic) ? <p className="note">{t('synthetic')}</p> : null}
        </>
      ) : null}
      {me === null && !error ? <p role="status">{t('common.loading')}</p> : null}
    </div>
  );
}
