/**
 * Telemetry patterns of the simulated assets: each is a pure function of the asset, the instant and the
 * seed (noise is a hash of device, time bucket and seed), so the simulator keeps no per-device state,
 * cannot drift, and a value can be recomputed for any instant. Cumulative meters use closed-form
 * integrals of their power profile, so they only ever increase.
 */
import { isDark } from '../region/astronomy.ts';
import type { Asset } from '../region/assets.ts';
import { unitHash } from '../region/random.ts';

export type Measures = Record<string, number | string | boolean>;

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Morocco's legal time is UTC+1 (UTC+0 during Ramadan, ignored here): daily human rhythms follow it. */
export const LOCAL_OFFSET_H = 1;
/** Meters and the energy integrals count from this instant. */
const METERING_START_MS = Date.UTC(2024, 0, 1);

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/** Local clock hour (fractional) at `ms`. */
export function localHour(ms: number): number {
  return (((ms / HOUR_MS + LOCAL_OFFSET_H) % 24) + 24) % 24;
}

/** Local day of the week, 0 = Sunday. */
export function localWeekday(ms: number): number {
  return new Date(ms + LOCAL_OFFSET_H * HOUR_MS).getUTCDay();
}

/** Zero-mean noise in [-amplitude, amplitude], stable within one `bucketMs` window. */
export function noise(key: string, ms: number, amplitude: number, bucketMs = 10_000): number {
  return (unitHash(`${key}|${Math.floor(ms / bucketMs)}`) * 2 - 1) * amplitude;
}

const bump = (h: number, centre: number, width: number) => Math.exp(-(((h - centre) / width) ** 2));

/** Share of road capacity used at local hour h: morning and evening peaks, a midday plateau, quiet nights; weekends lighter. */
export function trafficProfile(hour: number, weekday: number): number {
  const weekend = weekday === 0 || weekday === 6;
  const morning = (weekend ? 0.25 : 0.72) * bump(hour, 8.25, 1.2);
  const evening = (weekend ? 0.45 : 0.8) * bump(hour, 18.5, 1.5);
  const midday = (weekend ? 0.4 : 0.42) * bump(hour, 13, 2.2);
  const day = 0.2 * bump(hour, 14, 5);
  return clamp(0.04 + morning + evening + midday + day, 0, 1.05);
}

// ---------------------------------------------------------------- streetlights

export type LampFault = 'none' | 'defectiveLamp' | 'brokenLantern' | 'dayBurning' | 'powerDrift';

/**
 * The fault a lamp has during the 3-day episode holding `ms` (faults last until "repaired" at the next
 * episode): ~0.4% defective lamp (dark at night), 0.1% broken lantern, 0.2% burning by day, 0.5% power drift.
 */
export function lampFault(deviceId: string, ms: number, seed: string | number): LampFault {
  const episode = Math.floor((ms - 12 * HOUR_MS) / (3 * DAY_MS));
  const u = unitHash(`${seed}|${deviceId}|fault|${episode}`);
  if (u < 0.004) return 'defectiveLamp';
  if (u < 0.005) return 'brokenLantern';
  if (u < 0.007) return 'dayBurning';
  if (u < 0.012) return 'powerDrift';
  return 'none';
}

/** Dimming schedule of dimmable (LED) lamps: 60% between 00:00 and 05:00 local time, full otherwise. */
export function dimLevel(hour: number, dimmable: boolean): number {
  return dimmable && hour >= 0 && hour < 5 ? 0.6 : 1;
}

export function streetlightMeasures(asset: Asset, ms: number, seed: string | number): Measures {
  const p = asset.params;
  const fault = lampFault(asset.deviceId, ms, seed);
  const dark = isDark(asset.lat, asset.lon, new Date(ms), Number(p.photocellOffsetMin ?? 0));
  const on = (dark && fault !== 'defectiveLamp' && fault !== 'brokenLantern') || fault === 'dayBurning';
  const dimmable = p.lampTechnology === 'LED';
  const level = on ? dimLevel(localHour(ms), dimmable) : 0;
  // Ageing: HPS/MH lamps draw up to ~2%/year more as they age; LEDs barely change.
  const years = Math.max(0, (ms - Date.parse(String(p.dateLastLampChange))) / (365.25 * DAY_MS));
  const ageing = 1 + years * (dimmable ? 0.002 : 0.02);
  const drift = fault === 'powerDrift' ? 1.3 : 1;
  // Magnetic-ballast lamps lose ~10% in the ballast; dimmed LEDs draw roughly in proportion to light.
  const nominal = Number(p.nominalPowerW) * (dimmable ? level : on ? 1.1 : 0);
  const power = on ? nominal * ageing * drift * (1 + noise(`${seed}|${asset.deviceId}|p`, ms, 0.02)) : 0.5; // standby of the controller
  const status = fault === 'defectiveLamp' || fault === 'brokenLantern' ? fault : 'ok';
  return { powerState: on ? 'on' : 'off', status, illuminanceLevel: round(level, 2), powerConsumption: round(power, 1) };
}

/**
 * Cumulative lamp hours since metering started: the closed-form integral of a smooth fit of the night
 * length, 11.85 h + 0.066·lat·cos(2π(d + 10)/365.25) (14.1 h on 21 December and 9.6 h on 21 June at
 * 33.6°N, as burningHours gives), so the cabinet's meter only ever increases.
 */
function cumulativeNightHours(lat: number, ms: number): number {
  const days = (ms - METERING_START_MS) / DAY_MS;
  const amplitude = 0.066 * lat;
  const w = (2 * Math.PI) / 365.25;
  // Day-of-year of METERING_START_MS is 0 (1 January).
  return 11.85 * days + (amplitude / w) * (Math.sin(w * (days + 10)) - Math.sin(w * 10));
}

export function cabinetMeasures(asset: Asset, ms: number, seed: string | number): Measures {
  const p = asset.params;
  const loadW = Number(p.nominalLoadW ?? 0);
  const dark = isDark(asset.lat, asset.lon, new Date(ms), 5);
  const activeW = dark ? loadW * dimLevel(localHour(ms), false) * 1.05 * (1 + noise(`${seed}|${asset.deviceId}|l`, ms, 0.03)) : 0;
  const energyKwh = (loadW / 1000) * cumulativeNightHours(asset.lat, ms);
  const phaseA = activeW / 3 / 230;
  return {
    energyConsumed: round(energyKwh, 2),
    lastMeterReading: round(energyKwh, 2),
    totalActivePower: round(activeW, 1),
    intensityR: round(phaseA * (1 + noise(`${seed}|${asset.deviceId}|r`, ms, 0.05)), 2),
    intensityS: round(phaseA * (1 + noise(`${seed}|${asset.deviceId}|s`, ms, 0.05)), 2),
    intensityT: round(phaseA * (1 + noise(`${seed}|${asset.deviceId}|t`, ms, 0.05)), 2),
    workingMode: 'automatic',
  };
}

// ---------------------------------------------------------------- waste

/** The last collection instant at or before `ms`: every `everyDays` days at `hourUtc`, phase set per bin. */
export function lastCollection(deviceId: string, ms: number, hourUtc: number, everyDays: number, seed: string | number): number {
  const phaseDays = Math.floor(unitHash(`${seed}|${deviceId}|phase`) * everyDays);
  const period = everyDays * DAY_MS;
  const origin = phaseDays * DAY_MS + hourUtc * HOUR_MS;
  return origin + Math.floor((ms - origin) / period) * period;
}

export function wasteMeasures(asset: Asset, ms: number, seed: string | number): Measures {
  const p = asset.params;
  const collected = lastCollection(asset.deviceId, ms, Number(p.collectionHourUtc), Number(p.collectionEveryDays), seed);
  const hours = (ms - collected) / HOUR_MS;
  // People fill bins mostly by day: integrate an activity of 1 + 0.25 sin(...) (peak 16:00) since the collection,
  // in closed form, so the level only rises between collections.
  const w = (2 * Math.PI) / 24;
  const activityHours = hours + (0.25 / w) * (Math.cos(w * (localHour(collected) - 10)) - Math.cos(w * (localHour(collected) + hours - 10)));
  const fill = clamp((activityHours / Number(p.hoursToFull)) * (1 + noise(`${seed}|${asset.deviceId}|f`, collected, 0.15, 1)), 0, 1);
  const lidOpen = unitHash(`${seed}|${asset.deviceId}|lid|${Math.floor(ms / DAY_MS)}`) < 0.003;
  return {
    fillingLevel: round(fill, 2),
    status: lidOpen ? 'lidOpen' : 'ok',
    dateLastEmptying: new Date(collected).toISOString(),
  };
}

// ---------------------------------------------------------------- traffic

export function trafficMeasures(asset: Asset, ms: number, seed: string | number): Measures {
  const p = asset.params;
  const capacity = Number(p.capacityVph);
  const load = clamp(trafficProfile(localHour(ms), localWeekday(ms)) * (1 + noise(`${seed}|${asset.deviceId}|i`, ms, 0.1)), 0, 1.1);
  const intensity = Math.round(capacity * load);
  const ratio = intensity / capacity;
  const speed = Math.max(5, Number(p.freeFlowKmh) * (1 - 0.8 * ratio ** 3));
  return {
    intensity,
    occupancy: round(clamp(0.92 * ratio ** 1.3, 0, 0.98), 2),
    averageVehicleSpeed: round(speed, 1),
    congested: ratio > 0.85,
  };
}

// ---------------------------------------------------------------- energy meters

/** Building load relative to its mean: higher in office hours, never below 40%. */
function buildingShape(hour: number): number {
  return 1 + 0.6 * Math.sin((2 * Math.PI * (hour - 9)) / 24);
}

export function energyMeasures(asset: Asset, ms: number, seed: string | number): Measures {
  const p = asset.params;
  const base = Number(p.basePowerW);
  const power = base * buildingShape(localHour(ms)) * (1 + noise(`${seed}|${asset.deviceId}|w`, ms, 0.04));
  // Closed-form integral of base * buildingShape over local hours since metering started.
  const hours = (ms - METERING_START_MS) / HOUR_MS;
  const w = (2 * Math.PI) / 24;
  const h0 = localHour(METERING_START_MS);
  const integralWh = base * (hours + (0.6 / w) * (Math.cos(w * (h0 - 9)) - Math.cos(w * (h0 + hours - 9))));
  return {
    totalActivePower: round(power, 1),
    totalActiveEnergyImport: round(Number(p.initialEnergyKwh) + integralWh / 1000, 2),
  };
}

// ---------------------------------------------------------------- air quality

const AQI_PM25: [number, number, number, number][] = [
  [0, 9, 0, 50],
  [9.1, 35.4, 51, 100],
  [35.5, 55.4, 101, 150],
  [55.5, 125.4, 151, 200],
  [125.5, 225.4, 201, 300],
  [225.5, 325.4, 301, 500],
];
const AQI_PM10: [number, number, number, number][] = [
  [0, 54, 0, 50],
  [55, 154, 51, 100],
  [155, 254, 101, 150],
  [255, 354, 151, 200],
  [355, 424, 201, 300],
  [425, 604, 301, 500],
];

function subIndex(c: number, table: [number, number, number, number][]): number {
  for (const [cLo, cHi, iLo, iHi] of table) if (c <= cHi) return Math.round(((iHi - iLo) / (cHi - cLo)) * (Math.max(c, cLo) - cLo) + iLo);
  return 500;
}

/** US EPA AQI (2024 PM breakpoints) from PM2.5 and PM10 concentrations (µg/m³): the larger sub-index. */
export function airQualityIndex(pm25: number, pm10: number): number {
  return Math.max(subIndex(round(pm25, 1), AQI_PM25), subIndex(Math.round(pm10), AQI_PM10));
}

export function airQualityLevel(aqi: number): string {
  if (aqi <= 50) return 'good';
  if (aqi <= 100) return 'moderate';
  if (aqi <= 150) return 'unhealthyForSensitiveGroups';
  if (aqi <= 200) return 'unhealthy';
  if (aqi <= 300) return 'veryUnhealthy';
  return 'hazardous';
}

/** Casablanca's mean air temperature on fractional day-of-year d: ~13 °C in January, ~23 °C in August. */
export function seasonalTemperature(d: number): number {
  return 18 + 5 * Math.sin((2 * Math.PI * (d - 120)) / 365.25);
}

export function airMeasures(asset: Asset, ms: number, seed: string | number): Measures {
  const f = Number(asset.params.pollutionFactor ?? 1);
  const h = localHour(ms);
  const key = `${seed}|${asset.deviceId}`;
  const traffic = trafficProfile(h, localWeekday(ms));
  const dayOfYear = (ms - Date.UTC(new Date(ms).getUTCFullYear(), 0, 1)) / DAY_MS;
  const no2 = Math.max(2, f * (12 + 55 * traffic) * (1 + noise(`${key}|no2`, ms, 0.12, 60_000)));
  const pm10 = Math.max(5, f * (22 + 28 * traffic) * (1 + noise(`${key}|pm10`, ms, 0.15, 60_000)));
  const pm25 = pm10 * (0.42 + noise(`${key}|pm25`, ms, 0.05, 60_000));
  // Ozone forms in sunlight (peak mid-afternoon) and is consumed by fresh NO.
  const o3 = Math.max(4, 35 + 55 * Math.max(0, Math.sin((Math.PI * (h - 8)) / 12)) - 0.3 * no2);
  const temperature = seasonalTemperature(dayOfYear) + 4 * Math.sin((2 * Math.PI * (h - 9)) / 24) + noise(`${key}|t`, ms, 0.4, 60_000);
  const aqi = airQualityIndex(pm25, pm10);
  return {
    no2: round(no2, 1),
    pm10: round(pm10, 1),
    pm25: round(pm25, 1),
    o3: round(o3, 1),
    temperature: round(temperature, 1),
    relativeHumidity: round(clamp(0.72 - 0.15 * Math.sin((2 * Math.PI * (h - 9)) / 24), 0.3, 0.98), 2),
    airQualityIndex: aqi,
    airQualityLevel: airQualityLevel(aqi),
  };
}

/** The measure set an asset reports at `ms`. */
export function measuresOf(asset: Asset, ms: number, seed: string | number): Measures {
  switch (asset.kind) {
    case 'streetlight':
      return streetlightMeasures(asset, ms, seed);
    case 'cabinet':
      return cabinetMeasures(asset, ms, seed);
    case 'wasteContainer':
      return wasteMeasures(asset, ms, seed);
    case 'trafficCounter':
      return trafficMeasures(asset, ms, seed);
    case 'energyMeter':
      return energyMeasures(asset, ms, seed);
    case 'airQuality':
      return airMeasures(asset, ms, seed);
  }
}
