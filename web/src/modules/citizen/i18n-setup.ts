import { addModuleTranslations } from '../../app/i18n';
import ar from './i18n/ar.json';
import en from './i18n/en.json';
import fr from './i18n/fr.json';

addModuleTranslations('citizen', { fr, ar, en });

export const LOCALE: Record<string, string> = { fr: 'fr-MA', ar: 'ar-MA-u-nu-latn', en: 'en-GB' };
export const formatDateTime = (iso: string, lang: string) => new Date(iso).toLocaleString(LOCALE[lang] ?? 'fr-MA', { dateStyle: 'medium', timeStyle: 'short' });
