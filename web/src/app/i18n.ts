import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import ar from '../i18n/ar.json';
import en from '../i18n/en.json';
import fr from '../i18n/fr.json';

export const LANGUAGES = ['fr', 'ar', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
const STORAGE_KEY = 'madina.lang';

/** Locales for Intl: Moroccan conventions (Western digits in Arabic, as on Moroccan signage and forms). */
export const LOCALES: Record<Language, string> = { fr: 'fr-MA', ar: 'ar-MA-u-nu-latn', en: 'en-GB' };

const isLanguage = (v: unknown): v is Language => LANGUAGES.includes(v as Language);

/** ?lang= in the address (shareable links), then the stored choice, then French. */
function initialLanguage(): Language {
  const fromUrl = new URLSearchParams(location.search).get('lang');
  if (isLanguage(fromUrl)) return fromUrl;
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    if (isLanguage(stored)) return stored;
  } catch {
    // storage disabled: French
  }
  return 'fr';
}

function applyToDocument(lang: Language) {
  const html = document.documentElement;
  html.lang = lang;
  html.dir = i18n.dir(lang);
  document.title = i18n.t('app.documentTitle');
}

export function initI18n(): typeof i18n {
  const lng = initialLanguage();
  void i18n.use(initReactI18next).init({
    resources: { fr: { translation: fr }, ar: { translation: ar }, en: { translation: en } },
    lng,
    fallbackLng: 'fr',
    interpolation: { escapeValue: false },
    initAsync: false,
    showSupportNotice: false,
  });
  applyToDocument(lng);
  i18n.on('languageChanged', (l) => {
    if (!isLanguage(l)) return;
    applyToDocument(l);
    try {
      localStorage.setItem(STORAGE_KEY, l);
    } catch {
      // not persisted
    }
  });
  return i18n;
}

export function currentLanguage(): Language {
  return isLanguage(i18n.language) ? i18n.language : 'fr';
}

/** A module page adds its own translations (namespace = module name) when its chunk loads. */
export function addModuleTranslations(ns: string, bundles: Record<Language, Record<string, unknown>>) {
  for (const lang of LANGUAGES) i18n.addResourceBundle(lang, ns, bundles[lang], true, true);
}
