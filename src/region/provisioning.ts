/**
 * Each synthetic asset is a device of the IoT agent (FIWARE IoT Agent JSON model): one config group per
 * asset kind (its own API key), one device per asset whose entity is the asset's entity. Measures use the
 * attribute names as object_id, so `{"fillingLevel": 0.4}` on /json/<apikey>/<device_id>/attrs updates
 * `fillingLevel`. Pure, plus the small adapter interface the seed provisions through.
 */
import type { AttributeSpec, DeviceDoc, GroupDoc } from '../iot/model.ts';
import { ASSET_KINDS, type Asset, type AssetKind } from './assets.ts';
import { UNIT_CODES } from './asset-entities.ts';

/** Measured attributes per kind and their FIWARE types. */
export const MEASURED_ATTRIBUTES: Record<AssetKind, Record<string, string>> = {
  streetlight: { powerState: 'Text', status: 'Text', illuminanceLevel: 'Number', powerConsumption: 'Number' },
  cabinet: {
    energyConsumed: 'Number',
    lastMeterReading: 'Number',
    totalActivePower: 'Number',
    intensityR: 'Number',
    intensityS: 'Number',
    intensityT: 'Number',
    workingMode: 'Text',
  },
  wasteContainer: { fillingLevel: 'Number', status: 'Text', dateLastEmptying: 'DateTime' },
  trafficCounter: { intensity: 'Number', occupancy: 'Number', averageVehicleSpeed: 'Number', congested: 'Boolean' },
  energyMeter: { totalActivePower: 'Number', totalActiveEnergyImport: 'Number' },
  airQuality: {
    no2: 'Number',
    pm10: 'Number',
    pm25: 'Number',
    o3: 'Number',
    temperature: 'Number',
    relativeHumidity: 'Number',
    airQualityIndex: 'Number',
    airQualityLevel: 'Text',
  },
};

/** Seconds between two messages of a healthy device, per kind (for the agent's silence detection). */
export const EXPECTED_PERIOD_S: Record<AssetKind, number> = {
  streetlight: 3600,
  cabinet: 3600,
  wasteContainer: 3600,
  trafficCounter: 900,
  energyMeter: 900,
  airQuality: 600,
};

export const IOT_RESOURCE = '/iot/json';

function attributeSpecs(kind: AssetKind): AttributeSpec[] {
  return Object.entries(MEASURED_ATTRIBUTES[kind]).map(([name, type]) => ({
    object_id: name,
    name,
    type,
    ...(UNIT_CODES[name] ? { metadata: { unitCode: { type: 'Text', value: UNIT_CODES[name] } } } : {}),
  }));
}

/** One config group per asset kind. */
export function serviceGroups(): GroupDoc[] {
  return (Object.keys(ASSET_KINDS) as AssetKind[]).map((kind) => ({
    apikey: ASSET_KINDS[kind].apikey,
    resource: IOT_RESOURCE,
    entity_type: ASSET_KINDS[kind].entityType,
    attributes: attributeSpecs(kind),
    explicitAttrs: true,
    autoprovision: false,
    expected_period: EXPECTED_PERIOD_S[kind],
  }));
}

export function deviceDoc(a: Asset): DeviceDoc {
  return {
    device_id: a.deviceId,
    entity_name: a.entityId,
    entity_type: a.entityType,
    apikey: ASSET_KINDS[a.kind].apikey,
    transport: 'MQTT',
    protocol: 'IoTA-JSON',
  };
}

/**
 * What the seed needs from the IoT agent: create groups and devices in bulk, skipping those that exist
 * (so re-seeding is idempotent). Tenant '' is the default service (no fiware-service header).
 */
export interface DeviceProvisioner {
  provisionGroups(tenant: string, groups: GroupDoc[]): Promise<void>;
  provisionDevices(tenant: string, devices: DeviceDoc[]): Promise<void>;
}
