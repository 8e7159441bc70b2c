import { apiProblem } from '../../platform/http/api.ts';

/** Problems of the waste module (RFC 9457 via the /api error handler). */
export const WasteErrors = {
  invalidInput: apiProblem('waste', 400, 'invalid-input', 'The planning request is not valid'),
  unknownCommune: apiProblem('waste', 404, 'unknown-commune', 'No commune or arrondissement with this code'),
  planNotFound: apiProblem('waste', 404, 'plan-not-found', 'No such collection plan'),
  forbiddenCommune: apiProblem('waste', 403, 'commune-not-allowed', 'You may not act on this commune'),
  fleetTooSmall: apiProblem('waste', 422, 'fleet-too-small', 'The fleet cannot collect every container that needs it'),
  unreachableWithinShift: apiProblem('waste', 422, 'unreachable-within-shift', 'Some containers cannot be reached and emptied within one shift'),
  noContainers: apiProblem('waste', 422, 'no-containers', 'The place has no waste containers with a location'),
  alreadyCollected: apiProblem('waste', 409, 'already-collected', 'This plan version has already been collected'),
  cancelled: apiProblem('waste', 409, 'cancelled', 'The planning job was cancelled; nothing was saved'),
} as const;
