/** The social desk's API from the browser (same origin, session cookie). Problems keep their per-field errors. */

export { api, ApiProblem as Problem, type FieldError } from '../../app/module-api';

export interface Me {
  kind: string;
  id: string;
  name: string;
  roles: string[];
  communes: string[];
  centreId?: string;
}

export type Lang = 'fr' | 'ar' | 'en';
export type Names = { fr: string; ar: string };
export const nameIn = (n: Names | null | undefined, lang: string) => (n ? (lang === 'ar' ? n.ar : n.fr) : '');

export interface Vocabulary {
  services: string[];
  domains: string[];
  accessibility: string[];
  shareableFields: string[];
}

export interface Place {
  code: string;
  communeCode: string;
  name: Names;
}

export interface Centre {
  id: string;
  synthetic: boolean;
  name: Names;
  type: string;
  services: string[];
  domains: string[];
  accessibility: string[];
  capacity: number;
  enrolled: number;
  waitingList: number;
  averageWaitDays: number;
  openingHours: string;
  placeCode: string;
}

export interface Referral {
  id: string;
  kind: 'referral' | 'transfer';
  caseId: string;
  fromCentreId: string | null;
  toCentreId: string;
  state: 'pending' | 'accepted' | 'declined' | 'completed' | 'cancelled';
  reason: string;
  services: string[];
  sharedFields: string[];
  consentActive: boolean;
  declineReason: string | null;
  outcome: string | null;
  sentAt: string;
  person?: Record<string, string>;
  data?: Record<string, unknown>;
}

export interface CaseView {
  id: string;
  state: string;
  ownerCentreId: string | null;
  openedAt: string;
  person: Record<string, string>;
  data: Record<string, unknown>;
  referrals: Referral[];
  consents?: { id: string; purpose: string; fields: string[]; centreIds: string[] | null; withdrawnAt: string | null }[];
  possibleDuplicates?: { caseId: string; reasons: string[] }[];
}

export interface Contribution {
  factor: string;
  weight: number;
  score: number;
  points: number;
  detail: Record<string, any>;
}

export interface Recommendation {
  centreId: string;
  rank: number;
  score: number;
  distanceKm: number | null;
  contributions: Contribution[];
  centre: { id: string; name: Names; type: string; placeCode: string; openingHours: string; accessibility: string[]; synthetic: boolean };
}
