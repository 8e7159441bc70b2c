/**
 * Public-lighting indicators per commune, published to the hub as KeyPerformanceIndicator entities
 * (Smart Data Models): refurbished or new light points (ISO 37122:2019, 7.7), light points under remote
 * management, annual kWh per light point, and energy saved against the commune's baseline. Pure.
 */
import type { NgsiEntity } from '../../hub/client/hub-client.ts';

/** What the indicators need to know about one light point. */
export interface LightPoint {
  technology?: string;
  /** Latest of dateServiceStarted and dateLastLampChange (ISO), when known. */
  installedAt?: string;
  controllingMethod?: string;
  /** The lamp talks to the IoT agent (it reports and can be commanded). */
  hasDevice: boolean;
}

export interface CommuneFigures {
  communeCode: string;
  points: LightPoint[];
  /** Modelled annual consumption of today's lamps (kWh), by the same method as the master-plan baseline. */
  energyKwh: number;
  /** The commune's recorded baseline (kWh a year), if one was taken. */
  baselineKwh?: number;
}

export interface LightingIndicators {
  communeCode: string;
  lightPoints: number;
  refurbishedOrNewPct: number | null;
  remoteManagedPct: number | null;
  annualKwhPerLightPoint: number | null;
  energySavedKwh: number | null;
  energySavedPct: number | null;
}

/** A point counts as refurbished or new when it is LED and was installed or relamped on or after `since`. */
export const isRefurbishedOrNew = (p: LightPoint, since: string) => p.technology === 'LED' && p.installedAt !== undefined && p.installedAt >= since;

/** Under remote management: an individual controller, or a device the platform monitors and commands. */
export const isRemoteManaged = (p: LightPoint) => p.controllingMethod === 'individual' || p.hasDevice;

const pct = (n: number, d: number) => (d ? Math.round((1000 * n) / d) / 10 : null);

export function computeIndicators(c: CommuneFigures, since: string): LightingIndicators {
  const n = c.points.length;
  const saved = c.baselineKwh === undefined ? null : c.baselineKwh - c.energyKwh;
  return {
    communeCode: c.communeCode,
    lightPoints: n,
    refurbishedOrNewPct: pct(c.points.filter((p) => isRefurbishedOrNew(p, since)).length, n),
    remoteManagedPct: pct(c.points.filter(isRemoteManaged).length, n),
    annualKwhPerLightPoint: n ? Math.round((10 * c.energyKwh) / n) / 10 : null,
    energySavedKwh: saved === null ? null : Math.round(saved),
    energySavedPct: saved === null || !c.baselineKwh ? null : Math.round((1000 * saved) / c.baselineKwh) / 10,
  };
}

export const KPIS = [
  {
    key: 'refurbishedOrNewPct',
    unitCode: 'P1',
    fr: "Part de l'éclairage public rénové ou nouvellement installé",
    ar: 'نسبة الإنارة العمومية المجددة أو المركبة حديثا',
    en: 'Street lighting refurbished or newly installed',
    method: 'LED light points installed or relamped since the plan start / all light points × 100 (ISO 37122:2019, 7.7)',
  },
  {
    key: 'remoteManagedPct',
    unitCode: 'P1',
    fr: "Part de l'éclairage public télégéré",
    ar: 'نسبة الإنارة العمومية المسيرة عن بعد',
    en: 'Street lighting under remote management',
    method: 'light points with an individual controller or an IoT device / all light points × 100',
  },
  {
    key: 'annualKwhPerLightPoint',
    unitCode: 'KWH',
    fr: 'Consommation annuelle par point lumineux',
    ar: 'الاستهلاك السنوي لكل نقطة إنارة',
    en: 'Annual consumption per light point',
    method: 'modelled annual kWh of the current lamps (rating × (1 + ballast loss) × burning hours) / light points',
  },
  {
    key: 'energySavedKwh',
    unitCode: 'KWH',
    fr: 'Énergie économisée par rapport à la référence',
    ar: 'الطاقة المقتصدة مقارنة بسنة الأساس',
    en: 'Energy saved against the baseline',
    method: 'baseline annual kWh − current modelled annual kWh',
  },
] as const;

export const kpiId = (communeCode: string, key: string) => `urn:ngsi-ld:KeyPerformanceIndicator:lighting:${communeCode}:${key}`;

/** One KeyPerformanceIndicator entity per indicator with a value. */
export function indicatorEntities(ind: LightingIndicators, at: string, since: string): NgsiEntity[] {
  return KPIS.filter((k) => ind[k.key] !== null).map((k) => ({
    id: kpiId(ind.communeCode, k.key),
    type: 'KeyPerformanceIndicator',
    scope: `/MA-06/${ind.communeCode}`,
    name: { type: 'LanguageProperty', languageMap: { fr: k.fr, ar: k.ar, en: k.en } },
    category: { type: 'Property', value: ['lighting', 'energy'] },
    kpiValue: { type: 'Property', value: ind[k.key], unitCode: k.unitCode, observedAt: at },
    calculationMethod: { type: 'Property', value: k.method },
    calculationFrequency: { type: 'Property', value: 'daily' },
    organization: { type: 'Property', value: 'lighting' },
    process: { type: 'Property', value: `lighting:${k.key}` },
    placeCode: { type: 'Property', value: ind.communeCode },
    lightPoints: { type: 'Property', value: ind.lightPoints },
    ...(k.key === 'refurbishedOrNewPct' ? { effectiveSince: { type: 'Property', value: { '@type': 'DateTime', '@value': since } } } : {}),
    ...(k.key === 'energySavedKwh' && ind.energySavedPct !== null ? { energySavedPct: { type: 'Property', value: ind.energySavedPct, unitCode: 'P1' } } : {}),
    dateModified: { type: 'Property', value: { '@type': 'DateTime', '@value': at } },
  }));
}
