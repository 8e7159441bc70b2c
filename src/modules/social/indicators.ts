/**
 * Aggregates of the desk for the hub: counts per commune, small counts suppressed, no identifiers.
 * Pure: the service computes the counts, this shapes KeyPerformanceIndicator entities.
 */
import type { NgsiEntity } from '../../hub/client/hub-client.ts';
import { placeScope } from './centres.ts';

/** Counts below this are not published (a small count can single out a person). */
export const SUPPRESSION_THRESHOLD = 5;

/** The count, or null when it is suppressed (1 to threshold - 1); 0 is published (it singles nobody out). */
export function suppress(n: number, threshold = SUPPRESSION_THRESHOLD): number | null {
  return n > 0 && n < threshold ? null : n;
}

export interface PlaceCounts {
  placeCode: string;
  communeCode: string;
  cases: number;
  referrals: number;
  accepted: number;
  declined: number;
  unmetNeeds: number;
}

export const INDICATORS = [
  { key: 'cases', fr: 'Personnes accueillies au guichet social', ar: 'الأشخاص المستقبلون بالشباك الاجتماعي' },
  { key: 'referrals', fr: 'Orientations envoyées', ar: 'الإحالات المرسلة' },
  { key: 'accepted', fr: 'Orientations acceptées', ar: 'الإحالات المقبولة' },
  { key: 'declined', fr: 'Orientations refusées', ar: 'الإحالات المرفوضة' },
  { key: 'unmetNeeds', fr: 'Besoins non satisfaits', ar: 'الاحتياجات غير الملباة' },
] as const;

export const kpiId = (placeCode: string, key: string) => `urn:ngsi-ld:KeyPerformanceIndicator:social-desk:${placeCode}:${key}`;

/** KeyPerformanceIndicator entities (Smart Data Models, KeyPerformanceIndicator) for one place. */
export function indicatorEntities(c: PlaceCounts, at: string, threshold = SUPPRESSION_THRESHOLD): NgsiEntity[] {
  return INDICATORS.map((ind) => {
    const value = suppress(c[ind.key], threshold);
    return {
      id: kpiId(c.placeCode, ind.key),
      type: 'KeyPerformanceIndicator',
      scope: placeScope(c.communeCode, c.placeCode),
      name: { type: 'LanguageProperty', languageMap: { fr: ind.fr, ar: ind.ar } },
      category: { type: 'Property', value: ['social', 'inclusion'] },
      // NGSI-LD has no null value: a suppressed count has no kpiValue (the upsert replaces the entity).
      ...(value === null ? {} : { kpiValue: { type: 'Property', value, observedAt: at } }),
      suppressed: { type: 'Property', value: value === null },
      suppressionThreshold: { type: 'Property', value: threshold },
      calculationFrequency: { type: 'Property', value: 'hourly' },
      organization: { type: 'Property', value: 'social-desk' },
      process: { type: 'Property', value: `social-desk:${ind.key}` },
      placeCode: { type: 'Property', value: c.placeCode },
      dateModified: { type: 'Property', value: { '@type': 'DateTime', '@value': at } },
    };
  });
}
