import { apiProblem } from '../platform/http/api.ts';

export const MapErrors = {
  unknownBaseLayer: apiProblem('map', 404, 'unknown-base-layer', 'No base layer with this name'),
  baseDataMissing: apiProblem('map', 503, 'base-data-missing', 'The shipped map data (data/morocco) is not installed'),
  invalidLayerRequest: apiProblem('map', 400, 'invalid-layer-request', 'Entity type or attribute names are not valid'),
  noBasemap: apiProblem('map', 404, 'no-basemap', 'No basemap file is configured (MADINA_BASEMAP)'),
  rangeNotSatisfiable: apiProblem('map', 416, 'range-not-satisfiable', 'The requested byte range is outside the basemap file'),
} as const;
