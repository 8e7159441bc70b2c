import { useTranslation } from 'react-i18next';
import { addModuleTranslations } from '../../app/i18n';
import ar from './i18n/ar.json';
import en from './i18n/en.json';
import fr from './i18n/fr.json';

addModuleTranslations('about', { fr, ar, en });

/** Where the data comes from and under which terms: the attributions the licences ask for. */
export default function AboutPage() {
  const { t } = useTranslation('about');
  const sources = ['osm', 'hcp', 'synthetic', 'ngsi'] as const;
  return (
    <div className="page page-narrow">
      <h1>{t('title')}</h1>
      <p className="lede">{t('lede')}</p>
      <div className="cards">
        {sources.map((s) => (
          <section className="card" key={s} aria-labelledby={`src-${s}`}>
            <h2 id={`src-${s}`}>{t(`sources.${s}.title`)}</h2>
            <p>{t(`sources.${s}.text`)}</p>
            <p className="muted">{t(`sources.${s}.licence`)}</p>
          </section>
        ))}
      </div>
      <h2>{t('offline.title')}</h2>
      <p>{t('offline.text')}</p>
    </div>
  );
}
