/**
 * Who is calling. Roles say what they may do; communes say where (HCP commune codes, '*' = the whole
 * region); a centre ties centre staff to their centre. Modules check these through the helpers below.
 */
export const ROLES = [
  'administrator',
  'supervisor',
  'operator',
  'planner',
  'desk-agent',
  'centre-worker',
  'centre-manager',
  'device',
  'open311-client',
] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  kind: 'user' | 'apiKey' | 'anonymous';
  id: string;
  name: string;
  roles: Role[];
  /** Commune codes this principal may act on; ['*'] = all. */
  communes: string[];
  centreId?: string;
}

export const ANONYMOUS: Principal = { kind: 'anonymous', id: 'anonymous', name: 'anonymous', roles: [], communes: [] };

export function hasRole(p: Principal, ...roles: Role[]): boolean {
  return p.roles.includes('administrator') || roles.some((r) => p.roles.includes(r));
}

export function canActOnCommune(p: Principal, communeCode: string): boolean {
  return p.communes.includes('*') || p.communes.includes(communeCode);
}
