/** State machines of the case engine: a case's lifecycle and a referral's (or transfer's). Pure. */

export const CASE_STATES = ['open', 'active', 'referred', 'closed', 'reopened'] as const;
export type CaseState = (typeof CASE_STATES)[number];

/** Allowed case transitions: from -> the states it may move to. */
export const CASE_TRANSITIONS: Record<CaseState, readonly CaseState[]> = {
  open: ['active', 'referred', 'closed'],
  active: ['referred', 'closed'],
  referred: ['active', 'closed'],
  closed: ['reopened'],
  reopened: ['active', 'referred', 'closed'],
};

export const REFERRAL_STATES = ['pending', 'accepted', 'declined', 'completed', 'cancelled'] as const;
export type ReferralState = (typeof REFERRAL_STATES)[number];
export type ReferralKind = 'referral' | 'transfer';
export type ReferralAction = 'accept' | 'decline' | 'complete' | 'cancel';

/**
 * Referral transitions by action. A transfer ends when accepted (ownership moved) and is never
 * "completed"; a referral is completed with an outcome once the service was given.
 */
const REFERRAL_RULES: Record<ReferralKind, Record<ReferralAction, { from: readonly ReferralState[]; to: ReferralState }>> = {
  referral: {
    accept: { from: ['pending'], to: 'accepted' },
    decline: { from: ['pending'], to: 'declined' },
    complete: { from: ['accepted'], to: 'completed' },
    cancel: { from: ['pending', 'accepted'], to: 'cancelled' },
  },
  transfer: {
    accept: { from: ['pending'], to: 'accepted' },
    decline: { from: ['pending'], to: 'declined' },
    complete: { from: [], to: 'completed' },
    cancel: { from: ['pending'], to: 'cancelled' },
  },
};

export class IllegalTransition extends Error {
  constructor(
    readonly from: string,
    readonly to: string,
  ) {
    super(`cannot go from ${from} to ${to}`);
  }
}

export function canMoveCase(from: CaseState, to: CaseState): boolean {
  return CASE_TRANSITIONS[from].includes(to);
}

/** The next case state, or IllegalTransition. */
export function moveCase(from: CaseState, to: CaseState): CaseState {
  if (!canMoveCase(from, to)) throw new IllegalTransition(from, to);
  return to;
}

/** The referral's next state after an action, or IllegalTransition. */
export function moveReferral(kind: ReferralKind, from: ReferralState, action: ReferralAction): ReferralState {
  const rule = REFERRAL_RULES[kind][action];
  if (!rule.from.includes(from)) throw new IllegalTransition(from, rule.to);
  return rule.to;
}

/** Whether a referral still involves its receiver: pending, or an accepted referral (an accepted transfer is done). */
export const referralIsLive = (kind: ReferralKind, state: ReferralState) => state === 'pending' || (kind === 'referral' && state === 'accepted');

/**
 * What a referral's outcome does to its case: sending moves the case to `referred`; when no live
 * referral is left the case is back to `active`. Returns the case's next state, or the same state.
 */
export function caseStateAfterReferrals(current: CaseState, liveReferrals: number): CaseState {
  if (current === 'closed') return current;
  if (liveReferrals > 0) return current === 'referred' ? current : 'referred';
  return current === 'referred' ? 'active' : current;
}
