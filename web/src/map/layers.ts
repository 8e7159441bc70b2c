import type { ExpressionSpecification } from 'maplibre-gl';

/**
 * The point layers of the city map: which entities, which attributes the map needs, how they are
 * coloured, what counts as an alert. Module pages add theirs with registerMapLayer().
 */
export type AlertKind = 'failedLamp' | 'fullBin' | 'congestion' | 'poorAir' | 'silent';

export interface LegendItem {
  /** Translation key of the label. */
  label: string;
  color: string;
}

export interface PointLayerDef {
  id: string;
  /** NGSI-LD entity type(s); the first one that has entities is used. */
  entityTypes: string[];
  /** Attributes the map, legend, table and alerts read (the rest is in the entity panel). */
  attrs: string[];
  color: ExpressionSpecification | string;
  legend: LegendItem[];
  /** Alert this feature raises, from its properties (null = none). */
  alert?: (p: Record<string, unknown>) => AlertKind | null;
  /** Same rule as a MapLibre expression, so clusters can show how many alerts they hold. */
  alertExpr?: ExpressionSpecification;
  /** Seconds without an update after which a device is reported silent. */
  silentAfterS?: number;
  /** On at start. */
  visible: boolean;
}

export const COLORS = {
  ok: '#1a7f64',
  warn: '#d99a00',
  high: '#e36414',
  bad: '#c1121f',
  off: '#5c6b73',
  on: '#f2b705',
  violet: '#6a1b9a',
  blue: '#1d63c9',
};

const fill = ['coalesce', ['to-number', ['get', 'fillingLevel']], 0] as ExpressionSpecification;
const aqi = ['coalesce', ['to-number', ['get', 'airQualityIndex']], -1] as ExpressionSpecification;
const HOUR = 3600;

export const POINT_LAYERS: PointLayerDef[] = [
  {
    id: 'streetlights',
    entityTypes: ['Streetlight'],
    attrs: ['status', 'powerState', 'illuminanceLevel'],
    color: ['case', ['all', ['has', 'status'], ['!=', ['get', 'status'], 'ok']], COLORS.bad, ['==', ['get', 'powerState'], 'on'], COLORS.on, COLORS.off],
    legend: [
      { label: 'legend.streetlights.on', color: COLORS.on },
      { label: 'legend.streetlights.off', color: COLORS.off },
      { label: 'legend.streetlights.defective', color: COLORS.bad },
    ],
    alert: (p) => (p.status !== undefined && p.status !== 'ok' ? 'failedLamp' : null),
    alertExpr: ['all', ['has', 'status'], ['!=', ['get', 'status'], 'ok']],
    visible: true,
  },
  {
    id: 'waste',
    entityTypes: ['WasteContainer'],
    attrs: ['fillingLevel', 'status'],
    color: ['step', fill, COLORS.ok, 0.5, COLORS.warn, 0.8, COLORS.high, 0.9, COLORS.bad],
    legend: [
      { label: 'legend.waste.low', color: COLORS.ok },
      { label: 'legend.waste.half', color: COLORS.warn },
      { label: 'legend.waste.high', color: COLORS.high },
      { label: 'legend.waste.full', color: COLORS.bad },
    ],
    alert: (p) => (typeof p.fillingLevel === 'number' && p.fillingLevel >= 0.9 ? 'fullBin' : null),
    alertExpr: ['>=', fill, 0.9],
    silentAfterS: 24 * HOUR,
    visible: false,
  },
  {
    id: 'traffic',
    entityTypes: ['TrafficFlowObserved'],
    attrs: ['intensity', 'congested', 'averageVehicleSpeed'],
    color: ['case', ['==', ['get', 'congested'], true], COLORS.bad, ['>=', ['coalesce', ['to-number', ['get', 'intensity']], 0], 1200], COLORS.high, COLORS.ok],
    legend: [
      { label: 'legend.traffic.fluid', color: COLORS.ok },
      { label: 'legend.traffic.dense', color: COLORS.high },
      { label: 'legend.traffic.congested', color: COLORS.bad },
    ],
    alert: (p) => (p.congested === true ? 'congestion' : null),
    alertExpr: ['==', ['get', 'congested'], true],
    silentAfterS: 6 * HOUR,
    visible: true,
  },
  {
    id: 'air',
    entityTypes: ['AirQualityObserved'],
    attrs: ['airQualityIndex', 'no2', 'pm10', 'pm25'],
    color: ['case', ['<', aqi, 0], COLORS.off, ['<=', aqi, 50], COLORS.ok, ['<=', aqi, 100], COLORS.warn, ['<=', aqi, 150], COLORS.high, ['<=', aqi, 200], COLORS.bad, COLORS.violet],
    legend: [
      { label: 'legend.air.good', color: COLORS.ok },
      { label: 'legend.air.moderate', color: COLORS.warn },
      { label: 'legend.air.sensitive', color: COLORS.high },
      { label: 'legend.air.unhealthy', color: COLORS.bad },
      { label: 'legend.air.veryUnhealthy', color: COLORS.violet },
    ],
    alert: (p) => (typeof p.airQualityIndex === 'number' && p.airQualityIndex > 150 ? 'poorAir' : null),
    alertExpr: ['>', aqi, 150],
    silentAfterS: 6 * HOUR,
    visible: true,
  },
  {
    id: 'energy',
    entityTypes: ['ACMeasurement', 'EnergyMeter'],
    attrs: ['totalActivePower', 'totalActiveEnergyImport'],
    color: COLORS.blue,
    legend: [{ label: 'legend.energy.meter', color: COLORS.blue }],
    silentAfterS: 6 * HOUR,
    visible: false,
  },
];

export function registerMapLayer(def: PointLayerDef) {
  if (!POINT_LAYERS.some((l) => l.id === def.id)) POINT_LAYERS.push(def);
}

export const TRANSIT_LEGEND: LegendItem[] = [
  { label: 'legend.transit.tram', color: '#F38230' },
  { label: 'legend.transit.busway', color: '#0072BC' },
];
