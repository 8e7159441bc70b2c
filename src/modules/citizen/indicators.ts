/**
 * What citizen services publish to the hub, without personal data: each request as an
 * Open311ServiceRequest entity (Smart Data Models, dataModel.IssueTracking), and indicators per commune
 * and category as KeyPerformanceIndicator entities. Pure.
 */
import type { NgsiEntity } from '../../hub/client/hub-client.ts';
import type { ServiceDef } from './catalogue.ts';
import { isoSeconds, type PublicRequest } from './open311.ts';
import { open311Status, statusNotes, type State } from './workflow.ts';

export const REQUEST_TYPE = 'Open311ServiceRequest';
export const requestEntityId = (id: string) => `urn:ngsi-ld:${REQUEST_TYPE}:madina-${id}`;

const prop = (value: unknown) => ({ type: 'Property', value });
const dateProp = (d: Date) => ({ type: 'Property', value: { '@type': 'DateTime', '@value': isoSeconds(d) } });

export interface MirroredRequest extends PublicRequest {
  scope: string;
  arrondissementCode: string | null;
  assetId: string | null;
  closedAt: Date | null;
}

/**
 * The hub's copy of a request. Left out on purpose: the reporter's contact details, and the free texts
 * (description, address, attribute values) in which a reporter may have written personal data.
 */
export function requestEntity(r: MirroredRequest, service: ServiceDef | undefined): NgsiEntity {
  return {
    id: requestEntityId(r.id),
    type: REQUEST_TYPE,
    scope: r.scope,
    service_request_id: prop(r.id),
    jurisdiction_id: prop(r.communeCode),
    service_code: prop(r.serviceCode),
    ...(service ? { service_name: prop(service.name.fr), category: prop(service.group) } : {}),
    agency_responsible: prop(r.agency),
    status: prop(open311Status(r.state)),
    status_notes: prop(statusNotes(r.state)),
    workflowState: prop(r.state),
    requested_datetime: dateProp(r.requestedAt),
    updated_datetime: dateProp(r.updatedAt),
    ...(r.expectedAt ? { expected_datetime: dateProp(r.expectedAt) } : {}),
    ...(r.closedAt ? { closed_datetime: dateProp(r.closedAt) } : {}),
    location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [r.lon, r.lat] } },
    ...(r.arrondissementCode ? { arrondissementCode: prop(r.arrondissementCode) } : {}),
    ...(r.assetId ? { refAsset: { type: 'Relationship', object: r.assetId } } : {}),
    ...(r.duplicateOf ? { refDuplicateOf: { type: 'Relationship', object: requestEntityId(r.duplicateOf) } } : {}),
    dataProvider: prop('Madina citizen services (Open311)'),
  };
}

/** The middle value (mean of the two middle ones for an even count); null for none. */
export function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface ReportFact {
  communeCode: string;
  serviceCode: string;
  state: State;
  requestedAt: Date;
  closedAt: Date | null;
}

export interface IndicatorRow {
  communeCode: string;
  /** A service code, or 'all'. */
  category: string;
  reports: number;
  /** Reports per 10,000 inhabitants (2024 census); null when the population is unknown. */
  per10k: number | null;
  closed: number;
  medianCloseHours: number | null;
}

/**
 * Reports per 10,000 inhabitants and median time to close (hours), per commune and category and per
 * commune overall. Duplicates are not counted: they are the same problem reported again.
 */
export function computeIndicators(facts: ReportFact[], population: (communeCode: string) => number | undefined): IndicatorRow[] {
  const groups = new Map<string, ReportFact[]>();
  for (const f of facts) {
    if (f.state === 'duplicate') continue;
    for (const category of [f.serviceCode, 'all']) {
      const k = `${f.communeCode}|${category}`;
      groups.set(k, [...(groups.get(k) ?? []), f]);
    }
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, list]) => {
      const [communeCode, category] = k.split('|');
      const pop = population(communeCode);
      const hours = list.filter((f) => f.closedAt).map((f) => (f.closedAt!.getTime() - f.requestedAt.getTime()) / 3_600_000);
      const med = median(hours);
      return {
        communeCode,
        category,
        reports: list.length,
        per10k: pop ? Math.round((list.length / pop) * 10_000 * 1000) / 1000 : null,
        closed: hours.length,
        medianCloseHours: med === null ? null : Math.round(med * 100) / 100,
      };
    });
}

export const kpiId = (communeCode: string, category: string, key: 'reports-per-10k' | 'median-close-hours') =>
  `urn:ngsi-ld:KeyPerformanceIndicator:citizen-reports:${communeCode}:${category}:${key}`;

/** Two KeyPerformanceIndicator entities per row (NGSI-LD has no null: an unknown value has no kpiValue). */
export function indicatorEntities(row: IndicatorRow, at: Date, windowDays: number): NgsiEntity[] {
  const common = (key: 'reports-per-10k' | 'median-close-hours', fr: string, ar: string, value: number | null, extra: Record<string, unknown>) => ({
    id: kpiId(row.communeCode, row.category, key),
    type: 'KeyPerformanceIndicator',
    scope: `/MA-06/${row.communeCode}`,
    name: { type: 'LanguageProperty', languageMap: { fr, ar } },
    category: prop(['quantitative', 'citizen-services']),
    ...(value === null ? {} : { kpiValue: { type: 'Property', value, observedAt: isoSeconds(at) } }),
    calculationFrequency: prop('hourly'),
    calculationMethod: prop('automatic'),
    calculationPeriod: prop({ from: isoSeconds(new Date(at.getTime() - windowDays * 86_400_000)), to: isoSeconds(at) }),
    organization: prop('citizen-services'),
    process: prop(`citizen-reports:${key}`),
    communeCode: prop(row.communeCode),
    serviceCategory: prop(row.category),
    dateModified: dateProp(at),
    ...extra,
  });
  return [
    common('reports-per-10k', 'Signalements pour 10 000 habitants', 'البلاغات لكل 10000 نسمة', row.per10k, { reportCount: prop(row.reports) }),
    common('median-close-hours', 'Délai médian de clôture (heures)', 'المدة الوسيطة للإغلاق (ساعات)', row.medianCloseHours, { closedCount: prop(row.closed), unit: prop('hours') }),
  ];
}
