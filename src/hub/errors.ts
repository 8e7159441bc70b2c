import { problemType } from '../platform/http/problem.ts';

const NGSI = 'https://uri.etsi.org/ngsi-ld/errors/';
const t = (status: number, name: string, title: string) => problemType(status, NGSI + name, title);

/** NGSI-LD error types (ETSI GS CIM 009 v1.8 §5.5.2, Table 5.5.2-1) with their HTTP status codes. */
export const HubErrors = {
  invalidRequest: t(400, 'InvalidRequest', 'The request associated to the operation is syntactically invalid'),
  badRequestData: t(400, 'BadRequestData', 'The request includes input data which does not meet the requirements of the operation'),
  alreadyExists: t(409, 'AlreadyExists', 'The referred element already exists'),
  operationNotSupported: t(422, 'OperationNotSupported', 'The operation is not supported'),
  resourceNotFound: t(404, 'ResourceNotFound', 'The referred resource has not been found'),
  internalError: t(500, 'InternalError', 'There has been an error during the operation execution'),
  tooComplexQuery: t(403, 'TooComplexQuery', 'The query is too complex and cannot be resolved'),
  tooManyResults: t(403, 'TooManyResults', 'The query leads to too many results'),
  ldContextNotAvailable: t(503, 'LdContextNotAvailable', 'A remote JSON-LD @context could not be retrieved'),
  nonexistentTenant: t(404, 'NonexistentTenant', 'The addressed tenant does not exist'),
  notAcceptable: t(406, 'NotAcceptable', 'The requested representation is not available'),
  unsupportedMediaType: t(415, 'UnsupportedMediaType', 'The request body media type is not supported'),
  payloadTooLarge: t(413, 'PayloadTooLarge', 'The request body is too large'),
  methodNotAllowed: t(405, 'MethodNotAllowed', 'The method is not allowed on this resource'),
  unauthorized: t(401, 'Unauthorized', 'The request needs credentials'),
  forbidden: t(403, 'Forbidden', 'The caller is not allowed to do this'),
  conflict: t(409, 'Conflict', 'The request conflicts with the current state of the resource'),
} as const;
