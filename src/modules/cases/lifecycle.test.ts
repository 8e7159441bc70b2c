import { describe, expect, it } from 'vitest';
import { CASE_STATES, caseStateAfterReferrals, IllegalTransition, moveCase, moveReferral, REFERRAL_STATES, type ReferralAction, type ReferralState } from './lifecycle.ts';

describe('case lifecycle', () => {
  // Written out by hand from the issue: open, active, referred, closed, reopened.
  const allowed = new Set([
    'open>active', 'open>referred', 'open>closed',
    'active>referred', 'active>closed',
    'referred>active', 'referred>closed',
    'closed>reopened',
    'reopened>active', 'reopened>referred', 'reopened>closed',
  ]);
  for (const from of CASE_STATES) {
    for (const to of CASE_STATES) {
      const ok = allowed.has(`${from}>${to}`);
      it(`${ok ? 'allows' : 'rejects'} ${from} -> ${to}`, () => {
        if (ok) expect(moveCase(from, to)).toBe(to);
        else expect(() => moveCase(from, to)).toThrow(IllegalTransition);
      });
    }
  }

  it('moves a case to referred while a referral is live and back to active after', () => {
    expect(caseStateAfterReferrals('open', 1)).toBe('referred');
    expect(caseStateAfterReferrals('referred', 2)).toBe('referred');
    expect(caseStateAfterReferrals('referred', 0)).toBe('active');
    expect(caseStateAfterReferrals('active', 0)).toBe('active');
    expect(caseStateAfterReferrals('closed', 1)).toBe('closed');
  });
});

describe('referral state rules', () => {
  const table: Record<'referral' | 'transfer', Record<ReferralAction, Partial<Record<ReferralState, ReferralState>>>> = {
    referral: {
      accept: { pending: 'accepted' },
      decline: { pending: 'declined' },
      complete: { accepted: 'completed' },
      cancel: { pending: 'cancelled', accepted: 'cancelled' },
    },
    transfer: {
      accept: { pending: 'accepted' },
      decline: { pending: 'declined' },
      complete: {},
      cancel: { pending: 'cancelled' },
    },
  };
  for (const kind of ['referral', 'transfer'] as const) {
    for (const action of ['accept', 'decline', 'complete', 'cancel'] as const) {
      for (const from of REFERRAL_STATES) {
        const to = table[kind][action][from];
        it(`${kind}: ${action} from ${from} ${to ? `gives ${to}` : 'is refused'}`, () => {
          if (to) expect(moveReferral(kind, from, action)).toBe(to);
          else expect(() => moveReferral(kind, from, action)).toThrow(IllegalTransition);
        });
      }
    }
  }

  it('never reopens a declined or completed referral', () => {
    for (const from of ['declined', 'completed', 'cancelled'] as const) {
      for (const action of ['accept', 'decline', 'complete', 'cancel'] as const) expect(() => moveReferral('referral', from, action)).toThrow();
    }
  });
});

describe('live referrals', () => {
  it('counts pending ones and accepted referrals, not accepted transfers', async () => {
    const { referralIsLive } = await import('./lifecycle.ts');
    expect(referralIsLive('referral', 'pending')).toBe(true);
    expect(referralIsLive('referral', 'accepted')).toBe(true);
    expect(referralIsLive('transfer', 'accepted')).toBe(false);
    expect(referralIsLive('referral', 'declined')).toBe(false);
    expect(referralIsLive('referral', 'completed')).toBe(false);
  });
});
