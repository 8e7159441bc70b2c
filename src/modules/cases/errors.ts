import { apiProblem } from '../../platform/http/api.ts';

/** Problems of the case engine (whatever program it serves). */
export const CaseErrors = {
  invalidData: apiProblem('cases', 400, 'invalid-data', 'Some fields are not valid'),
  forbidden: apiProblem('cases', 403, 'forbidden', 'You may not do this on this case'),
  caseNotFound: apiProblem('cases', 404, 'case-not-found', 'No such case'),
  referralNotFound: apiProblem('cases', 404, 'referral-not-found', 'No such referral or transfer'),
  consentNotFound: apiProblem('cases', 404, 'consent-not-found', 'No such consent'),
  followupNotFound: apiProblem('cases', 404, 'followup-not-found', 'No such open follow-up'),
  attachmentNotFound: apiProblem('cases', 404, 'attachment-not-found', 'No such attachment'),
  illegalTransition: apiProblem('cases', 409, 'illegal-transition', 'This change of state is not allowed'),
  consentRequired: apiProblem('cases', 409, 'consent-required', 'No recorded consent covers this sharing'),
  attachmentTooLarge: apiProblem('cases', 413, 'attachment-too-large', 'The attachment is too large'),
  attachmentType: apiProblem('cases', 415, 'attachment-type', 'This type of attachment is not accepted'),
} as const;
