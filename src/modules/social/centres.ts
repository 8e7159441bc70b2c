/** Centres of the network: their record, validation, and their hub entity (no personal data). Pure. */
import type { NgsiEntity } from '../../hub/client/hub-client.ts';
import type { FieldError } from '../cases/index.ts';
import { ACCESSIBILITY_FEATURES, CENTRE_TYPES, DOMAINS, SERVICES } from './vocabulary.ts';

export interface Centre {
  id: string;
  synthetic: boolean;
  name: { fr: string; ar: string };
  type: string;
  services: string[];
  domains: string[];
  accessibility: string[];
  capacity: number;
  enrolled: number;
  waitingList: number;
  averageWaitDays: number;
  openingHours: string;
  location: [number, number];
  placeCode: string;
  communeCode: string;
}

export const centreEntityId = (id: string) => `urn:ngsi-ld:SocialCentre:${id}`;
export const REGION_SCOPE = '/MA-06';

/** The NGSI-LD scope of a place: region / commune [/ arrondissement]. */
export function placeScope(communeCode: string, placeCode: string): string {
  return placeCode === communeCode ? `${REGION_SCOPE}/${communeCode}` : `${REGION_SCOPE}/${communeCode}/${placeCode}`;
}

const prop = (value: unknown) => ({ type: 'Property', value });

/** The centre as a hub entity: what it offers and where, never who it serves. */
export function centreEntity(c: Centre): NgsiEntity {
  return {
    id: centreEntityId(c.id),
    type: 'SocialCentre',
    scope: placeScope(c.communeCode, c.placeCode),
    name: { type: 'LanguageProperty', languageMap: { fr: c.name.fr, ar: c.name.ar } },
    centreType: prop(c.type),
    services: prop(c.services),
    functioningDomains: prop(c.domains),
    accessibility: prop(c.accessibility),
    capacity: prop(c.capacity),
    occupancy: prop(c.enrolled),
    availablePlaces: prop(Math.max(0, c.capacity - c.enrolled)),
    waitingList: prop(c.waitingList),
    averageWaitDays: prop(c.averageWaitDays),
    openingHours: prop(c.openingHours),
    location: { type: 'GeoProperty', value: { type: 'Point', coordinates: c.location } },
    placeCode: prop(c.placeCode),
    communeCode: prop(c.communeCode),
    ...(c.synthetic ? { synthetic: prop(true), dataProvider: prop('Madina synthetic generator (demo centres, not real)') } : {}),
  };
}

export interface CentrePatch {
  capacity?: number;
  enrolled?: number;
  waitingList?: number;
  averageWaitDays?: number;
  openingHours?: string;
  services?: string[];
  domains?: string[];
  accessibility?: string[];
}

/** Per-field errors of a centre update. */
export function centrePatchErrors(p: CentrePatch): FieldError[] {
  const errors: FieldError[] = [];
  const list = (name: keyof CentrePatch, allowed: readonly string[]) =>
    ((p[name] as string[] | undefined) ?? []).forEach((v, i) => {
      if (!allowed.includes(v)) errors.push({ pointer: `/${name}/${i}`, detail: `must be one of: ${allowed.join(', ')}` });
    });
  list('services', SERVICES);
  list('domains', DOMAINS);
  list('accessibility', ACCESSIBILITY_FEATURES);
  if (p.capacity !== undefined && p.enrolled !== undefined && p.enrolled > p.capacity * 2) errors.push({ pointer: '/enrolled', detail: 'is more than twice the capacity' });
  return errors;
}

export const isCentreType = (t: string) => (CENTRE_TYPES as readonly string[]).includes(t);
