import { apiProblem } from '../../platform/http/api.ts';

/** Problems of the social desk (the case engine has its own: CaseErrors). */
export const SocialErrors = {
  centreNotFound: apiProblem('social', 404, 'centre-not-found', 'No such centre'),
  invalidCentre: apiProblem('social', 400, 'invalid-centre', 'Some fields of the centre are not valid'),
  overrideNeedsReason: apiProblem('social', 400, 'override-needs-reason', 'Choosing another centre than the recommended one needs a reason'),
  notRanked: apiProblem('social', 409, 'not-ranked', 'The chosen centre does not serve any of the needs of this person'),
} as const;
