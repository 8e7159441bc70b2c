import { Suspense, useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { Router, useRouter } from './router';
import { ROUTES } from './routes';
import { Shell } from './Shell';

function Page() {
  const { path } = useRouter();
  const { t } = useTranslation();
  const route = ROUTES.find((r) => r.path === path);
  const first = useRef(true);
  // After client-side navigation, move focus to the new page so keyboard and screen-reader users start there.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById('main')?.focus();
  }, [path]);
  if (!route) {
    return (
      <div className="page page-narrow">
        <h1>{t('notFound.title')}</h1>
        <p>{t('notFound.text')}</p>
      </div>
    );
  }
  const C = route.component;
  return <C />;
}

export function App() {
  const { t } = useTranslation();
  return (
    <Router>
      <Shell>
        <Suspense fallback={<p className="loading" role="status">{t('common.loading')}</p>}>
          <Page />
        </Suspense>
      </Shell>
    </Router>
  );
}
