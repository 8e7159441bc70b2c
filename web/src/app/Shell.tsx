import { useEffect, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { layerStore, type LiveStatus } from '../map/layer-store';
import { LANGUAGES, type Language } from './i18n';
import { Link } from './router';
import { ROUTES } from './routes';

function Logo() {
  return (
    <svg className="logo" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="7" fill="currentColor" />
      <path d="M6 25V14l5-4 5 4v11M16 25V9l5-4 5 4v16M4 25h24" fill="none" stroke="#fff" strokeWidth="2.2" strokeLinejoin="round" />
      <circle cx="21" cy="13" r="1.6" fill="#f2b705" />
    </svg>
  );
}

function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  return (
    <div className="lang-switch" role="group" aria-label={t('language.label')}>
      {LANGUAGES.map((l: Language) => (
        <button key={l} type="button" lang={l} aria-pressed={i18n.language === l} onClick={() => void i18n.changeLanguage(l)} title={t(`language.${l}`, { lng: l })}>
          {t(`language.short.${l}`, { lng: l })}
        </button>
      ))}
    </div>
  );
}

function LiveIndicator() {
  const { t } = useTranslation();
  const [status, setStatus] = useState<LiveStatus>(layerStore.status);
  useEffect(() => layerStore.onStatus(setStatus), []);
  if (status === 'idle') return null;
  return (
    <span className={`live live-${status}`} title={t(`live.help.${status}`)}>
      <span className="live-dot" aria-hidden="true" />
      {t(`live.${status}`)}
    </span>
  );
}

export function Shell({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        {t('common.skipToContent')}
      </a>
      <header className="top">
        <Link to="/" className="brand">
          <Logo />
          <span className="brand-text">
            <span className="brand-name">{t('app.name')}</span>
            <span className="brand-region">{t('app.region')}</span>
          </span>
        </Link>
        <nav aria-label={t('nav.label')} className="main-nav">
          <ul>
            {ROUTES.filter((r) => r.nav).map((r) => (
              <li key={r.path}>
                <Link to={r.path}>{t(r.navKey)}</Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="top-end">
          <LiveIndicator />
          <LanguageSwitch />
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
