import { apiProblem } from '../../platform/http/api.ts';

/** Problems of the lighting API (/api/lighting). */
export const LightingErrors = {
  invalidFile: apiProblem('lighting', 422, 'invalid-file', 'The file has problems; nothing was imported'),
  unreadableFile: apiProblem('lighting', 400, 'unreadable-file', 'The file could not be read'),
  invalidScenario: apiProblem('lighting', 422, 'invalid-scenario', 'The scenario or its assumptions are not valid'),
  unknownArea: apiProblem('lighting', 404, 'unknown-area', 'No such commune, arrondissement or lamp group'),
  emptyArea: apiProblem('lighting', 422, 'empty-area', 'The area has no lamps with a known technology and wattage'),
  unknownTarget: apiProblem('lighting', 404, 'unknown-target', 'No such lamp, group or cabinet'),
  invalidCommand: apiProblem('lighting', 422, 'invalid-command', 'The command value is not valid'),
  noDevices: apiProblem('lighting', 409, 'no-devices', 'None of the targeted lamps is connected to the IoT agent'),
  scenarioNotFound: apiProblem('lighting', 404, 'scenario-not-found', 'No such saved scenario'),
  forbiddenCommune: apiProblem('lighting', 403, 'forbidden-commune', 'You may not act on this commune'),
} as const;
