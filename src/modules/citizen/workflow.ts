/**
 * The internal life of a service request and how it shows on Open311 GeoReport v2, which only knows
 * `open` and `closed`: the finer state travels in `status_notes`. Pure.
 */

export const STATES = ['submitted', 'acknowledged', 'assigned', 'in_progress', 'fixed', 'closed', 'duplicate'] as const;
export type State = (typeof STATES)[number];

/** Which states a request may move to from each state (reopening a fixed or closed request is allowed). */
export const TRANSITIONS: Record<State, readonly State[]> = {
  submitted: ['acknowledged', 'assigned', 'in_progress', 'fixed', 'closed', 'duplicate'],
  acknowledged: ['assigned', 'in_progress', 'fixed', 'closed', 'duplicate'],
  assigned: ['assigned', 'in_progress', 'fixed', 'closed', 'duplicate', 'acknowledged'],
  in_progress: ['assigned', 'fixed', 'closed'],
  fixed: ['closed', 'in_progress'],
  closed: ['acknowledged'],
  duplicate: ['acknowledged'],
};

export const isState = (s: unknown): s is State => STATES.includes(s as State);

export function canMove(from: State, to: State): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Fixed, closed and duplicate requests are closed; the others are open (Open311 `status`). */
export function isClosed(s: State): boolean {
  return s === 'fixed' || s === 'closed' || s === 'duplicate';
}

export function open311Status(s: State): 'open' | 'closed' {
  return isClosed(s) ? 'closed' : 'open';
}

/** How each state reads for the citizen, in the three languages of the app (status_notes use English). */
export const STATE_LABELS: Record<State, { fr: string; ar: string; en: string }> = {
  submitted: { fr: 'Reçu', ar: 'تم الاستلام', en: 'Submitted' },
  acknowledged: { fr: 'Pris en compte', ar: 'تم التأكيد', en: 'Acknowledged' },
  assigned: { fr: 'Attribué à une équipe', ar: 'أسند إلى فريق', en: 'Assigned' },
  in_progress: { fr: 'En cours de traitement', ar: 'قيد المعالجة', en: 'In progress' },
  fixed: { fr: 'Réparé', ar: 'تم الإصلاح', en: 'Fixed' },
  closed: { fr: 'Clôturé', ar: 'مغلق', en: 'Closed' },
  duplicate: { fr: 'Doublon', ar: 'بلاغ مكرر', en: 'Duplicate' },
};

/**
 * Open311 `status_notes`: the internal state, then the latest note meant for the citizen
 * ("In progress: the team comes on Tuesday").
 */
export function statusNotes(s: State, note?: string | null): string {
  const label = STATE_LABELS[s].en;
  return note ? `${label}: ${note}` : label;
}
