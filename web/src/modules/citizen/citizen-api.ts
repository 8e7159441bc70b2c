/** Citizen services' API from the browser (same origin, session cookie for the back office). */
import { api as moduleApi, readAnswer } from '../../app/module-api';

export { ApiProblem as Problem } from '../../app/module-api';

/** `method /api<path>`, with the answer's language (`lang`) when given. */
export function api<T>(method: string, path: string, body?: unknown, lang?: string): Promise<T> {
  return moduleApi<T>(method, lang ? `${path}${path.includes('?') ? '&' : '?'}lang=${lang}` : path, body);
}

export async function postForm<T>(path: string, form: FormData, lang: string): Promise<T> {
  const res = await fetch(`/api${path}?lang=${lang}`, { method: 'POST', credentials: 'same-origin', headers: { accept: 'application/json' }, body: form });
  return readAnswer<T>(res);
}

export interface Attribute {
  variable: boolean;
  code: string;
  datatype: 'string' | 'number' | 'datetime' | 'text' | 'singlevaluelist' | 'multivaluelist';
  required: boolean;
  datatype_description: string | null;
  order: number;
  description: string;
  values?: { key: string; name: string }[];
}

export interface Service {
  service_code: string;
  service_name: string;
  description: string;
  group: string;
  groupCode: string;
  slaHours: number;
  attributes: Attribute[];
}

export interface Submitted {
  service_request_id: string;
  token: string;
  service_notice: string;
  duplicate_of: string | null;
}

export interface Tracked {
  service_request_id: string;
  status: 'open' | 'closed';
  status_notes: string;
  service_name: string | null;
  service_code: string;
  description: string | null;
  agency_responsible: string;
  service_notice: string | null;
  requested_datetime: string;
  updated_datetime: string;
  expected_datetime: string | null;
  address: string | null;
  lat: number;
  long: number;
  media_url: string | null;
  state: string;
  stateLabel: string;
  communeName: { fr: string; ar: string } | null;
  duplicateOf: string | null;
  overdue: boolean;
  history: { at: string; state: string; label: string; note: string | null }[];
}

export interface Landmark {
  name: string;
  nameAr: string | null;
  lon: number;
  lat: number;
}

export const STATES = ['submitted', 'acknowledged', 'assigned', 'in_progress', 'fixed', 'closed', 'duplicate'] as const;

/** Mirrors the server's workflow (src/modules/citizen/workflow.ts), to offer only the moves it accepts. */
export const TRANSITIONS: Record<string, readonly string[]> = {
  submitted: ['acknowledged', 'assigned', 'in_progress', 'fixed', 'closed', 'duplicate'],
  acknowledged: ['assigned', 'in_progress', 'fixed', 'closed', 'duplicate'],
  assigned: ['assigned', 'in_progress', 'fixed', 'closed', 'duplicate', 'acknowledged'],
  in_progress: ['assigned', 'fixed', 'closed'],
  fixed: ['closed', 'in_progress'],
  closed: ['acknowledged'],
  duplicate: ['acknowledged'],
};
