import { apiProblem } from '../platform/http/api.ts';

/**
 * Errors of the FIWARE IoT Agent provisioning API (/iot), in that API's own format
 * `{"name": "...", "message": "..."}`, with the names and status codes of iotagent-node-lib.
 */
export class IotaError extends Error {
  constructor(
    readonly status: number,
    readonly errorName: string,
    message: string,
  ) {
    super(message);
  }

  toJSON(): { name: string; message: string } {
    return { name: this.errorName, message: this.message };
  }
}

const iota = (status: number, name: string, prefix: string) => (detail = '') => new IotaError(status, name, prefix + detail);

export const IotaErrors = {
  wrongSyntax: iota(400, 'WRONG_SYNTAX', 'Wrong syntax in request: '),
  missingHeaders: iota(400, 'MISSING_HEADERS', 'Some headers were missing from the request: '),
  badRequest: iota(400, 'BAD_REQUEST', 'Request error: '),
  unsupportedContentType: iota(400, 'UNSUPPORTED_CONTENT_TYPE', 'Unsuported content type in the context request: '),
  deviceNotFound: iota(404, 'DEVICE_NOT_FOUND', 'No device was found with id:'),
  duplicateDeviceId: iota(409, 'DUPLICATE_DEVICE_ID', 'A device with the same pair (Service, DeviceId) was found:'),
  duplicateGroup: iota(409, 'DUPLICATE_GROUP', 'A device configuration already exists for resource '),
  groupNotFound: iota(404, 'DEVICE_GROUP_NOT_FOUND', "Couldn't find device group"),
  commandNotFound: iota(400, 'COMMAND_NOT_FOUND', "Couldn't update the command because no command with the name was found: "),
  payloadTooLarge: iota(413, 'PAYLOAD_TOO_LARGE', 'The payload is too large: '),
  rejectedMeasure: iota(400, 'BAD_MEASURE', 'The measure was rejected: '),
  overloaded: iota(503, 'OVERLOADED', 'The agent is overloaded, retry later: '),
  internal: iota(500, 'INTERNAL_ERROR', 'Internal error: '),
} as const;

/** Problems of Madina's own IoT API (/api/iot), rendered as RFC 9457 application/problem+json. */
export const IotErrors = {
  unknownDevice: apiProblem('iot', 404, 'unknown-device', 'No device with this id in this tenant'),
  unknownCommand: apiProblem('iot', 422, 'unknown-command', 'The device has no command with this name'),
  noApikey: apiProblem('iot', 409, 'no-apikey', 'No API key is known for this device, so its command topic is unknown'),
  badTenant: apiProblem('iot', 400, 'bad-tenant', 'The tenant header is not valid'),
} as const;
