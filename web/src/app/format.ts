import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { LOCALES, type Language } from './i18n';

/**
 * Numbers, dates and units in the reader's language. Units come from the NGSI-LD `unitCode`
 * (UN/CEFACT common codes) or, without one, from the attribute's usual unit; their symbols are in
 * the translation files.
 */
export interface Format {
  locale: string;
  number(v: number, digits?: number): string;
  compact(v: number): string;
  percent(fraction: number): string;
  signedPercent(points: number): string;
  dateTime(v: string | number | Date): string;
  time(v: string | number | Date): string;
  relative(v: string | number | Date, now?: number): string;
  withUnit(v: unknown, attr: string, unitCode?: string): string;
}

// Usual unit per attribute when the entity does not say (Smart Data Models).
export const DEFAULT_UNITS: Record<string, string> = {
  fillingLevel: 'P1',
  illuminanceLevel: 'P1',
  powerConsumption: 'WTT',
  activePower: 'KWT',
  totalActivePower: 'KWT',
  energyConsumed: 'KWH',
  totalActiveEnergyImport: 'KWH',
  energy: 'KWH',
  areaKm2: 'KMK',
  density2024: 'PKM',
  populationChange: 'PCT',
  intensity: 'VPH',
  averageVehicleSpeed: 'KMH',
  no2: 'GQ',
  pm10: 'GQ',
  pm25: 'GQ',
  o3: 'GQ',
  temperature: 'CEL',
};

export function useFormat(): Format {
  const { t, i18n } = useTranslation();
  const lang = i18n.language as Language;
  return useMemo(() => {
    const locale = LOCALES[lang] ?? LOCALES.fr;
    const nf = (digits = 0) => new Intl.NumberFormat(locale, { maximumFractionDigits: digits });
    const dtf = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
    const tf = new Intl.DateTimeFormat(locale, { timeStyle: 'short' });
    const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
    const number = (v: number, digits?: number) => nf(digits ?? (Math.abs(v) < 10 && !Number.isInteger(v) ? 2 : Math.abs(v) < 100 && !Number.isInteger(v) ? 1 : 0)).format(v);
    const toDate = (v: string | number | Date) => (v instanceof Date ? v : new Date(v));
    const fmt: Format = {
      locale,
      number,
      compact: (v) => new Intl.NumberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 }).format(v),
      percent: (f) => new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 }).format(f),
      signedPercent: (p) => new Intl.NumberFormat(locale, { signDisplay: 'exceptZero', maximumFractionDigits: 1 }).format(p) + '\u00a0%',
      dateTime: (v) => dtf.format(toDate(v)),
      time: (v) => tf.format(toDate(v)),
      relative: (v, now = Date.now()) => {
        const s = (toDate(v).getTime() - now) / 1000;
        const abs = Math.abs(s);
        if (abs < 60) return rtf.format(Math.round(s), 'second');
        if (abs < 3600) return rtf.format(Math.round(s / 60), 'minute');
        if (abs < 86400) return rtf.format(Math.round(s / 3600), 'hour');
        return rtf.format(Math.round(s / 86400), 'day');
      },
      withUnit(v, attr, unitCode) {
        if (typeof v === 'boolean') return t(v ? 'values.true' : 'values.false');
        if (typeof v !== 'number') {
          if (v === null || v === undefined) return '—';
          if (typeof v === 'string' && (v.length > 40 || /[:.\s/]/.test(v))) return v;
          if (typeof v === 'string') return t(`values.${attr}.${v}`, { defaultValue: t(`values.any.${v}`, { defaultValue: v }) });
          const o = v as Record<string, unknown>;
          // JSON-LD typed values: {"@type": "DateTime", "@value": "..."}
          if (typeof o['@value'] === 'string') return /Date|Time/.test(String(o['@type'])) ? fmt.dateTime(o['@value']) : o['@value'];
          return JSON.stringify(v);
        }
        const code = unitCode ?? DEFAULT_UNITS[attr];
        // Fractions 0..1 given as P1 (percent) by Smart Data Models' fillingLevel are shown as percentages.
        if (code === 'P1' && v <= 1 && v >= 0 && (attr === 'fillingLevel' || attr === 'illuminanceLevel')) return fmt.percent(v);
        const value = number(v);
        return code ? t(`units.${code}`, { value, defaultValue: `${value} ${code}` }) : value;
      },
    };
    return fmt;
  }, [lang, t]);
}
