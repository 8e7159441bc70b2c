import { apiProblem } from '../../platform/http/api.ts';

/**
 * Problems of citizen services. The same catalogue serves both APIs: /open311/v2 renders them as the
 * GeoReport v2 error array ([{code, description}]), /api/citizen as RFC 9457 problem details.
 */
export const CitizenErrors = {
  missingServiceCode: apiProblem('citizen', 400, 'missing-service-code', 'service_code is required'),
  unknownService: apiProblem('citizen', 404, 'unknown-service', 'No service with this service_code'),
  serviceCodeNotFound: apiProblem('citizen', 400, 'service-code-not-found', 'service_code is not one of the services of GET services'),
  missingLocation: apiProblem('citizen', 400, 'missing-location', 'A location is required: lat and long'),
  badLocation: apiProblem('citizen', 400, 'bad-location', 'lat and long must be WGS84 decimal degrees'),
  outsideRegion: apiProblem('citizen', 400, 'outside-region', 'The location is outside the Casablanca-Settat region served by Madina'),
  outsideJurisdiction: apiProblem('citizen', 400, 'outside-jurisdiction', 'The location is not in the commune given as jurisdiction_id'),
  unknownJurisdiction: apiProblem('citizen', 404, 'unknown-jurisdiction', 'jurisdiction_id is not the code of a commune of the region'),
  badAttribute: apiProblem('citizen', 400, 'bad-attribute', 'An attribute value is not valid for this service'),
  badField: apiProblem('citizen', 400, 'bad-field', 'A field of the request is not valid'),
  descriptionTooLong: apiProblem('citizen', 400, 'description-too-long', 'description is limited to 4,000 characters'),
  badPhoto: apiProblem('citizen', 400, 'bad-photo', 'The photo was refused'),
  photoTooLarge: apiProblem('citizen', 413, 'photo-too-large', 'The photo is too large'),
  badFormat: apiProblem('citizen', 404, 'unknown-format', 'Formats are .json and .xml'),
  badQuery: apiProblem('citizen', 400, 'bad-query', 'A query parameter is not valid'),
  apiKeyRequired: apiProblem('citizen', 403, 'api-key-required', 'api_key was not provided or is not valid'),
  requestNotFound: apiProblem('citizen', 404, 'request-not-found', 'No service request with this id'),
  tokenNotFound: apiProblem('citizen', 404, 'token-not-found', 'No service request with this token'),
  photoNotFound: apiProblem('citizen', 404, 'photo-not-found', 'No such photo'),
  badTransition: apiProblem('citizen', 409, 'bad-transition', 'The request cannot move to this state from its current state'),
  notYourCommune: apiProblem('citizen', 403, 'not-your-commune', 'This request is in a commune you do not serve'),
  tooManyRequests: apiProblem('citizen', 429, 'too-many-requests', 'Too many requests; slow down'),
} as const;
