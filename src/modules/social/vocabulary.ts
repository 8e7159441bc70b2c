/** The desk's vocabulary: services, functioning domains, accessibility features, centre types. */
export const SERVICES = [
  'physiotherapy',
  'occupational-therapy',
  'speech-therapy',
  'psychological-support',
  'special-education',
  'vocational-training',
  'job-placement',
  'assistive-devices',
  'sign-language',
  'braille',
  'social-assistance',
  'medical-followup',
  'day-care',
  'family-support',
] as const;

/** Functioning domains (Washington Group short set, extended): a difficulty is none, some, a-lot or cannot. */
export const DOMAINS = ['mobility', 'vision', 'hearing', 'intellectual', 'psychosocial', 'communication', 'self-care'] as const;

export const ACCESSIBILITY_FEATURES = ['step-free-entrance', 'accessible-toilet', 'lift-or-ground-floor', 'accessible-parking', 'tactile-guidance', 'sign-language-staff', 'hearing-loop'] as const;

export const CENTRE_TYPES = ['orientation', 'rehabilitation', 'medico-social', 'education', 'vocational', 'day-care', 'psychosocial'] as const;

/** Purposes a consent can be recorded for (a referral needs "referral", a transfer "transfer"). */
export const CONSENT_PURPOSES = ['referral', 'transfer'] as const;
