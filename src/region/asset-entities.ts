/**
 * Synthetic assets as Smart Data Models entities (normalized NGSI-LD), every one labelled
 * `synthetic: true` with `dataProvider` "Madina synthetic generator". Initial readings are the
 * simulator's patterns at the seeding instant. Pure.
 */
import type { NgsiEntity } from '../hub/client/hub-client.ts';
import { measuresOf, type Measures } from '../simulator/patterns.ts';
import { STREETLIGHT_MODELS, type Asset } from './assets.ts';
import { REGION_SCOPE } from './places.ts';

export const SYNTHETIC_PROVIDER = 'Madina synthetic generator';

/** Units of measured attributes (UN/CEFACT common codes), shared with the IoT provisioning. */
export const UNIT_CODES: Record<string, string> = {
  powerConsumption: 'WTT',
  totalActivePower: 'WTT',
  energyConsumed: 'KWH',
  lastMeterReading: 'KWH',
  totalActiveEnergyImport: 'KWH',
  intensityR: 'AMP',
  intensityS: 'AMP',
  intensityT: 'AMP',
  intensity: 'E50', // vehicles per hour: SDM TrafficFlowObserved counts per observation period; we report a rate
  averageVehicleSpeed: 'KMH',
  no2: 'GQ',
  pm10: 'GQ',
  pm25: 'GQ',
  o3: 'GQ',
  temperature: 'CEL',
  lanternHeight: 'MTR',
  binCapacity: 'LTR',
};

export const streetlightModelId = (id: string) => `urn:ngsi-ld:StreetlightModel:${id}`;

const prop = (name: string, value: unknown, observedAt?: string) => ({
  type: 'Property',
  value,
  ...(UNIT_CODES[name] ? { unitCode: UNIT_CODES[name] } : {}),
  ...(observedAt ? { observedAt } : {}),
});
const rel = (object: string) => ({ type: 'Relationship', object });
const dateTime = (iso: string) => ({ '@type': 'DateTime', '@value': iso });

function measured(m: Measures, observedAt: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) {
    out[k] = k.startsWith('date') && typeof v === 'string' ? { type: 'Property', value: dateTime(v), observedAt } : prop(k, v, observedAt);
  }
  return out;
}

export function streetlightModelEntities(): NgsiEntity[] {
  return STREETLIGHT_MODELS.map((m) => ({
    id: streetlightModelId(m.id),
    type: 'StreetlightModel',
    name: prop('name', m.name),
    lampTechnology: prop('lampTechnology', m.lampTechnology),
    powerConsumption: prop('powerConsumption', m.powerW),
    luminousFlux: prop('luminousFlux', m.luminousFlux),
    colorTemperature: prop('colorTemperature', m.colorTemperature),
    lanternHeight: prop('lanternHeight', m.lanternHeight),
    category: prop('category', ['postTop']),
    synthetic: prop('synthetic', true),
    dataProvider: prop('dataProvider', SYNTHETIC_PROVIDER),
    scope: REGION_SCOPE,
  }));
}

function staticAttributes(a: Asset): Record<string, unknown> {
  const p = a.params;
  switch (a.kind) {
    case 'streetlight':
      return {
        refStreetlightModel: rel(streetlightModelId(String(p.model))),
        refStreetlightControlCabinet: rel(String(p.cabinet)),
        lanternHeight: prop('lanternHeight', p.lanternHeight),
        lampTechnology: prop('lampTechnology', p.lampTechnology),
        powerRating: { ...prop('powerRating', p.nominalPowerW), unitCode: 'WTT' },
        dateLastLampChange: prop('dateLastLampChange', dateTime(String(p.dateLastLampChange))),
        controllingMethod: prop('controllingMethod', 'group'),
      };
    case 'cabinet':
      return {
        cupboardMadeOf: prop('cupboardMadeOf', 'metal'),
        maximumPowerAvailable: { ...prop('maximumPowerAvailable', p.maximumPowerAvailableKw), unitCode: 'KWT' },
        lampCount: prop('lampCount', p.lampCount),
        dateMeteringStarted: prop('dateMeteringStarted', dateTime('2024-01-01T00:00:00Z')),
        meterReadingPeriod: prop('meterReadingPeriod', 60),
      };
    case 'wasteContainer':
      return {
        binCapacity: prop('binCapacity', p.capacityL),
        binColor: prop('binColor', p.binColor),
        collectionFrequencyDays: prop('collectionFrequencyDays', p.collectionEveryDays),
      };
    case 'trafficCounter':
      return {
        roadClass: prop('roadClass', p.roadClass),
        laneCount: prop('laneCount', p.lanes),
        capacity: { ...prop('capacity', p.capacityVph), unitCode: 'E50' },
      };
    case 'energyMeter':
      return {
        name: prop('name', p.buildingName),
        buildingType: prop('buildingType', p.buildingType),
        phaseType: prop('phaseType', 'threePhase'),
        dateEnergyMeteringStarted: prop('dateEnergyMeteringStarted', dateTime('2024-01-01T00:00:00Z')),
      };
    case 'airQuality':
      return {
        typeOfLocation: prop('typeOfLocation', 'outdoor'),
        name: prop('name', `Station qualité de l'air – ${a.placeName}`),
      };
  }
}

/** The entity of one asset, with its readings at `atMs`. */
export function assetEntity(a: Asset, atMs: number, seed: string | number): NgsiEntity {
  const observedAt = new Date(atMs).toISOString();
  return {
    id: a.entityId,
    type: a.entityType,
    ...staticAttributes(a),
    ...measured(measuresOf(a, atMs, seed), observedAt),
    location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [a.lon, a.lat] } },
    areaServed: prop('areaServed', a.placeName),
    deviceId: prop('deviceId', a.deviceId),
    synthetic: prop('synthetic', true),
    dataProvider: prop('dataProvider', SYNTHETIC_PROVIDER),
    scope: a.scope,
  };
}
