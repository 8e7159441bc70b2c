/** The lighting API from the browser (same origin, session cookie). */

export { api, ApiProblem as Problem } from '../../app/module-api';

export interface Me {
  id: string;
  roles: string[];
  communes: string[];
}

export type Technology = 'HPS' | 'LPS' | 'MH' | 'LED';
export const TECHNOLOGIES: Technology[] = ['HPS', 'LPS', 'MH', 'LED'];

export interface Place {
  kind: 'commune' | 'arrondissement';
  code: string;
  communeCode: string;
  name: { fr: string; ar: string };
  lat: number;
  lon: number;
  scopeQ: string;
}

export interface ProfileStep {
  start: string;
  level: number;
}

export interface Scenario {
  name: string;
  retrofit: { technology: Technology; wattW?: number; toWattW: number }[];
  profile: ProfileStep[];
  replaceCabinets: boolean;
}

export interface Assumptions {
  year: number;
  thresholdDeg: number;
  utcOffsetMin: number;
  tariffMadPerKwh: number;
  emissionFactorTco2PerMwh: number;
  discountRate: number;
  lifetimeYears: number;
  photocellDriftMinPerNight: number;
  ballastLoss: Record<Technology, number>;
  prices: { ledLuminaireBaseMad: number; ledLuminairePerWattMad: number; installationMad: number; cabinetMad: number };
}

export interface Figures {
  lamps: number;
  energyKwh: number;
  costMad: number;
  co2T: number;
  investmentMad: number;
}
export interface Outcome extends Figures {
  savedKwh: number;
  savedMad: number;
  savedCo2T: number;
  paybackYears: number | null;
  npvMad: number;
}
export interface LampClass {
  technology: Technology;
  wattW: number;
  count: number;
  ballastLoss?: number;
}
export interface Inventory {
  areaId: string;
  name: string;
  lat: number;
  lon: number;
  lamps: LampClass[];
  cabinets: number;
  unknown: number;
}
export interface ScenarioResult {
  scenario: Scenario;
  assumptions: Assumptions;
  areas: { areaId: string; name: string; hours: { burning: number; equivalentLed: number; equivalentNonDimmable: number; photocellDrift: number }; baseline: Figures; scenario: Outcome }[];
  total: { baseline: Figures; scenario: Outcome };
}

export interface Alert {
  id: string;
  lampId: string;
  kind: string;
  communeCode: string | null;
  raisedAt: string;
  clearedAt: string | null;
  detail: Record<string, unknown>;
}

export interface CommandView {
  id: string;
  targetType: string;
  targetId: string;
  command: string;
  value: unknown;
  createdAt: string;
  counts: Record<string, number>;
}
