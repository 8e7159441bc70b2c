import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { addModuleTranslations } from '../../app/i18n';
import { has, useMe } from '../../app/session';
import { SignIn } from '../../app/SignIn';
import { useQueryParam } from '../../app/router';
import { AlertsView } from './AlertsView';
import ar from './i18n/ar.json';
import en from './i18n/en.json';
import fr from './i18n/fr.json';
import { LampsMap } from './LampsMap';
import { api, Problem, type Me, type Place } from './lighting-api';
import { PlanView } from './PlanView';
import './lighting.css';

addModuleTranslations('lighting', { fr, ar, en });

const VIEWS = ['plan', 'map', 'alerts'] as const;

/** Public lighting: master-plan scenarios, the lamps on the map, alerts and remote control. */
export default function LightingPage() {
  const { t, i18n } = useTranslation('lighting');
  const [view, setView] = useQueryParam('view');
  const [places, setPlaces] = useState<Place[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [me, loadMe] = useMe<Me>(api, Problem, (e) => setError(e.message));

  useEffect(() => {
    if (!me || me === 'anonymous') return;
    api<{ places: Place[] }>('GET', '/lighting/places').then(
      (r) => setPlaces(r.places),
      (e) => setError(e instanceof Problem && e.status === 403 ? t('common.forbidden') : e.message),
    );
  }, [me, t]);

  const current = VIEWS.find((v) => v === view) ?? 'plan';
  const sorted = places ? [...places].sort((a, b) => (i18n.language === 'ar' ? a.name.ar.localeCompare(b.name.ar, 'ar') : a.name.fr.localeCompare(b.name.fr, 'fr'))) : null;

  return (
    <div className="page lighting-page" lang={i18n.language}>
      <h1>{t('title')}</h1>
      <p className="lede">{t('lede')}</p>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {me === 'anonymous' ? <SignIn ns="lighting" api={api} idPrefix="lighting" titleId="lighting-signin-title" className="card lighting-signin" onDone={() => void loadMe()} /> : null}
      {me && me !== 'anonymous' && sorted ? (
        <>
          <nav aria-label={t('tabs.label')} className="lighting-tabs">
            <ul>
              {VIEWS.map((v) => (
                <li key={v}>
                  <a
                    href={`?view=${v}`}
                    aria-current={current === v ? 'page' : undefined}
                    onClick={(e) => {
                      e.preventDefault();
                      setView(v);
                    }}
                  >
                    {t(`tabs.${v}`)}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          {current === 'plan' ? <PlanView places={sorted} /> : null}
          {current === 'map' ? <LampsMap places={sorted} /> : null}
          {current === 'alerts' ? <AlertsView canCommand={has(me, 'operator')} /> : null}
        </>
      ) : me !== 'anonymous' && !error ? (
        <p role="status">{t('common.loading')}</p>
      ) : null}
    </div>
  );
}
