/**
 * Rules per action and per field, as data (a Policy) and two functions. A configuration of the case
 * engine (the social desk, child protection) supplies its own Policy. Pure.
 *
 * An action rule lists, per role, the scopes under which the role may act; any one scope passing is
 * enough. Administrators may do everything. Field rules say which fields a role may see when it
 * reads a case fully; a role that reads a case only because a referral was sent to its centre sees
 * just the fields that referral shares (and its consent still covers).
 */
import { canActOnCommune, type Principal, type Role } from '../../platform/auth/principal.ts';

/**
 * - `any`: anywhere in the tenant;
 * - `commune`: the case's commune (place code) is one of the principal's communes;
 * - `owner`: the principal's centre owns the case;
 * - `receiver`: the principal's centre receives a live referral or transfer of the case;
 * - `centre`: the principal's centre is the centre the action is about (its inbox, its record).
 */
export type Scope = 'any' | 'commune' | 'owner' | 'receiver' | 'centre';

export interface Policy<A extends string = string, F extends string = string> {
  actions: Record<A, Partial<Record<Role, readonly Scope[]>>>;
  /** Per field, the roles that may see it (when they read the case fully). */
  fields: Record<F, readonly Role[]>;
  /** Fields a referral may share (with consent); the others never leave the owner. */
  shareable: readonly F[];
}

export interface Target {
  communeCode?: string | null;
  ownerCentreId?: string | null;
  /** Centres with a live referral/transfer of the case. */
  receivingCentreIds?: readonly string[];
  /** The centre an action is about (inbox, centre record). */
  centreId?: string | null;
}

export type Decision = { allowed: true; via: Scope | 'administrator' } | { allowed: false; reason: string };

function scopePasses(p: Principal, scope: Scope, t: Target): boolean {
  switch (scope) {
    case 'any':
      return true;
    case 'commune':
      return !!t.communeCode && canActOnCommune(p, t.communeCode);
    case 'owner':
      return !!p.centreId && p.centreId === t.ownerCentreId;
    case 'receiver':
      return !!p.centreId && (t.receivingCentreIds ?? []).includes(p.centreId);
    case 'centre':
      return !!p.centreId && p.centreId === t.centreId;
  }
}

/** The scopes under which principal p's roles allow `action` (administrators: everything). */
export function rolesAllow<A extends string>(policy: Policy<A>, p: Principal, action: A): readonly Scope[] {
  if (p.roles.includes('administrator')) return ['any'];
  const rule = policy.actions[action] ?? {};
  return [...new Set(p.roles.flatMap((r) => rule[r] ?? []))];
}

/** May p do `action` on target t? Says through which scope, or why not. */
export function authorize<A extends string>(policy: Policy<A>, p: Principal, action: A, t: Target): Decision {
  if (p.roles.includes('administrator')) return { allowed: true, via: 'administrator' };
  const scopes = rolesAllow(policy, p, action);
  if (!scopes.length) return { allowed: false, reason: `no role of yours may ${action}` };
  for (const s of scopes) if (scopePasses(p, s, t)) return { allowed: true, via: s };
  return { allowed: false, reason: `${action} is limited to: ${scopes.join(', ')}` };
}

/**
 * The fields p may see of a case: for each role that may read the case, its fields; a role that
 * reads only as a receiver of a referral sees its fields that the referral shares.
 */
export function visibleFields<A extends string, F extends string>(policy: Policy<A, F>, p: Principal, readAction: A, t: Target, sharedFields: readonly F[]): Set<F> {
  const all = Object.keys(policy.fields) as F[];
  if (p.roles.includes('administrator')) return new Set(all);
  const out = new Set<F>();
  const shareable = new Set(policy.shareable);
  for (const role of p.roles) {
    const scopes = policy.actions[readAction]?.[role] ?? [];
    const full = scopes.some((s) => s !== 'receiver' && scopePasses(p, s, t));
    const viaReferral = !full && scopes.includes('receiver') && scopePasses(p, 'receiver', t);
    if (!full && !viaReferral) continue;
    for (const f of all) {
      if (!policy.fields[f].includes(role)) continue;
      if (full || (shareable.has(f) && sharedFields.includes(f))) out.add(f);
    }
  }
  return out;
}
