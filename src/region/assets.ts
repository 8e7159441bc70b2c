/**
 * The synthetic asset generator: streetlights (with models and control cabinets), waste containers,
 * traffic counters, energy meters on municipal buildings and air-quality stations, placed inside the real
 * boundaries and allocated to places in proportion to their population (so there are more assets per km²
 * where more people live per km²). Deterministic: the same seed and scale give the same ids and positions.
 * Pure: takes the region data, returns plain descriptors.
 */
import { bboxOf, pointInGeometry, type BBox, type PolygonGeometry } from './point-in-polygon.ts';
import { areaKm2, PlaceLocator, type PlaceOfPoint } from './places.ts';
import { Rng } from './random.ts';
import type { RegionData } from './region-data.ts';

export type AssetKind = 'streetlight' | 'cabinet' | 'wasteContainer' | 'trafficCounter' | 'energyMeter' | 'airQuality';

export interface AssetKindInfo {
  entityType: string;
  /** Prefix of device ids (device_id = `<prefix>-<place code>-<nnnn>`). */
  prefix: string;
  /** API key of the IoT agent service group of this kind. */
  apikey: string;
}

/** Smart Data Models entity types, IoT device id prefixes and the IoT agent API keys per kind. */
export const ASSET_KINDS: Record<AssetKind, AssetKindInfo> = {
  streetlight: { entityType: 'Streetlight', prefix: 'sl', apikey: 'madina-streetlight' },
  cabinet: { entityType: 'StreetlightControlCabinet', prefix: 'cab', apikey: 'madina-cabinet' },
  wasteContainer: { entityType: 'WasteContainer', prefix: 'wc', apikey: 'madina-waste' },
  trafficCounter: { entityType: 'TrafficFlowObserved', prefix: 'tf', apikey: 'madina-traffic' },
  energyMeter: { entityType: 'ACMeasurement', prefix: 'em', apikey: 'madina-energy' },
  airQuality: { entityType: 'AirQualityObserved', prefix: 'aq', apikey: 'madina-air' },
};

export interface StreetlightModelSpec {
  id: string;
  name: string;
  lampTechnology: 'LED' | 'HPS' | 'MH' | 'LPS';
  powerW: number;
  luminousFlux: number;
  colorTemperature: number;
  lanternHeight: number;
}

export const STREETLIGHT_MODELS: StreetlightModelSpec[] = [
  { id: 'led-60', name: 'LED 60 W, 8 m column', lampTechnology: 'LED', powerW: 60, luminousFlux: 7800, colorTemperature: 3000, lanternHeight: 8 },
  { id: 'led-100', name: 'LED 100 W, 10 m column', lampTechnology: 'LED', powerW: 100, luminousFlux: 13000, colorTemperature: 4000, lanternHeight: 10 },
  { id: 'hps-100', name: 'Sodium haute pression 100 W, 8 m', lampTechnology: 'HPS', powerW: 100, luminousFlux: 10500, colorTemperature: 2000, lanternHeight: 8 },
  { id: 'hps-150', name: 'Sodium haute pression 150 W, 10 m', lampTechnology: 'HPS', powerW: 150, luminousFlux: 17500, colorTemperature: 2000, lanternHeight: 10 },
  { id: 'hps-250', name: 'Sodium haute pression 250 W, 12 m', lampTechnology: 'HPS', powerW: 250, luminousFlux: 33000, colorTemperature: 2000, lanternHeight: 12 },
  { id: 'mh-150', name: 'Iodures métalliques 150 W, 10 m', lampTechnology: 'MH', powerW: 150, luminousFlux: 14000, colorTemperature: 4200, lanternHeight: 10 },
  { id: 'lps-90', name: 'Sodium basse pression 90 W, 8 m', lampTechnology: 'LPS', powerW: 90, luminousFlux: 13500, colorTemperature: 1800, lanternHeight: 8 },
];
const MODEL_MIX: Record<'urban' | 'rural', [string, number][]> = {
  urban: [['led-60', 30], ['led-100', 20], ['hps-150', 25], ['hps-250', 8], ['mh-150', 12], ['hps-100', 5]],
  rural: [['led-60', 20], ['hps-100', 45], ['hps-150', 20], ['lps-90', 10], ['mh-150', 5]],
};

export const BUILDING_TYPES = ['townHall', 'school', 'healthCentre', 'library', 'sportsHall'] as const;
export type BuildingType = (typeof BUILDING_TYPES)[number];
const BUILDING_LABEL: Record<BuildingType, string> = {
  townHall: 'Siège de la commune',
  school: 'École',
  healthCentre: 'Centre de santé',
  library: 'Bibliothèque municipale',
  sportsHall: 'Salle omnisports',
};
/** Mean electrical load of each building type, W (office hours peak roughly twice this). */
const BUILDING_BASE_W: Record<BuildingType, number> = { townHall: 18000, school: 9000, healthCentre: 14000, library: 5000, sportsHall: 11000 };

/** Assets of the default scale ("full"): about 22,000 in all (cabinets: one per 25 lamps of a place). */
export const FULL_COUNTS = { streetlight: 18000, wasteContainer: 2400, trafficCounter: 240, energyMeter: 600, airQuality: 36 } as const;
export const LAMPS_PER_CABINET = 25;
export const SCALES: Record<string, number> = { full: 1, small: 0.05, tiny: 0.01 };

/** `full` | `small` | `tiny` | a positive factor (e.g. `0.2`). */
export function parseScale(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 1;
  if (raw in SCALES) return SCALES[raw];
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || n > 10) throw new Error(`scale must be full, small, tiny or a factor in (0, 10], got "${raw}"`);
  return n;
}

export interface Asset {
  kind: AssetKind;
  deviceId: string;
  entityId: string;
  entityType: string;
  lon: number;
  lat: number;
  communeCode: string;
  arrondissementCode?: string;
  scope: string;
  placeName: string;
  communeType: 'urban' | 'rural';
  /** People per km² of the asset's place (2024). */
  placeDensity: number;
  /** Kind-specific constants (model, capacity, rates...), read by the entity builder and the simulator. */
  params: Record<string, string | number | boolean>;
}

/** A place assets are drawn in: a commune, or an arrondissement where the commune has them. */
export interface SamplingPlace {
  code: string;
  name: string;
  communeCode: string;
  arrondissementCode?: string;
  communeType: 'urban' | 'rural';
  population: number;
  areaKm2: number;
  density: number;
  geometry: PolygonGeometry;
  bbox: BBox;
}

export function samplingPlaces(data: RegionData): SamplingPlace[] {
  const withArr = new Set(data.arrondissements.map((a) => a.communeCode));
  const places: SamplingPlace[] = [];
  for (const c of data.communes) {
    if (withArr.has(c.code)) continue;
    const area = c.areaKm2 ?? areaKm2(c.geometry);
    const population = c.population2024 ?? 0;
    places.push({ code: c.code, name: c.nameFr, communeCode: c.code, communeType: c.communeType, population, areaKm2: area, density: population / area, geometry: c.geometry, bbox: bboxOf(c.geometry) });
  }
  const typeOf = new Map(data.communes.map((c) => [c.code, c.communeType]));
  for (const a of data.arrondissements) {
    const area = areaKm2(a.geometry);
    const population = a.population2024 ?? 0;
    places.push({
      code: a.code,
      name: a.nameFr,
      communeCode: a.communeCode,
      arrondissementCode: a.code,
      communeType: typeOf.get(a.communeCode) ?? 'urban',
      population,
      areaKm2: area,
      density: population / area,
      geometry: a.geometry,
      bbox: bboxOf(a.geometry),
    });
  }
  return places;
}

/** Largest-remainder apportionment of `total` by `weights` (ties to the lower index): deterministic, sums exactly. */
export function apportion(total: number, weights: number[]): number[] {
  const sum = weights.reduce((s, w) => s + w, 0);
  if (sum <= 0 || total <= 0) return weights.map(() => 0);
  const exact = weights.map((w) => (total * w) / sum);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((s, c) => s + c, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    counts[i]++;
  }
  return counts;
}

const KM_PER_DEG = 111.32;

/** Samples points inside a place: uniform in towns, around a few village centres in rural communes. */
class PlaceSampler {
  private centres: [number, number][] = [];

  constructor(
    private readonly place: SamplingPlace,
    private readonly locator: PlaceLocator,
    private readonly rng: Rng,
  ) {
    if (place.communeType === 'rural') {
      const k = Math.min(8, Math.max(1, Math.round(place.population / 5000)));
      for (let i = 0; i < k; i++) this.centres.push(this.uniform());
    }
  }

  private accepts(lon: number, lat: number): PlaceOfPoint | undefined {
    if (!pointInGeometry(lon, lat, this.place.geometry)) return undefined;
    const found = this.locator.locate(lon, lat);
    if (!found || found.communeCode !== this.place.communeCode || found.arrondissementCode !== this.place.arrondissementCode) return undefined;
    return found;
  }

  private uniform(): [number, number] {
    const b = this.place.bbox;
    for (let i = 0; i < 100_000; i++) {
      const lon = this.rng.between(b.minX, b.maxX);
      const lat = this.rng.between(b.minY, b.maxY);
      if (this.accepts(lon, lat)) return [lon, lat];
    }
    throw new Error(`could not sample a point inside ${this.place.code}`);
  }

  point(): { lon: number; lat: number; place: PlaceOfPoint } {
    const round = (x: number) => Math.round(x * 1e6) / 1e6;
    for (;;) {
      const [lon, lat] = this.candidate().map(round);
      // Rounding to ~0.1 m can cross a boundary: keep only points whose rounded position is still inside.
      const place = this.accepts(lon, lat);
      if (place) return { lon, lat, place };
    }
  }

  private candidate(): [number, number] {
    if (this.centres.length) {
      const [clon, clat] = this.centres[this.rng.int(0, this.centres.length - 1)];
      const sigmaKm = 0.8;
      for (let i = 0; i < 20; i++) {
        const lat = clat + (this.rng.normal() * sigmaKm) / KM_PER_DEG;
        const lon = clon + (this.rng.normal() * sigmaKm) / (KM_PER_DEG * Math.cos((clat * Math.PI) / 180));
        if (this.accepts(lon, lat)) return [lon, lat];
      }
    }
    return this.uniform();
  }
}

export interface GenerateOptions {
  seed: number | string;
  /** Multiplies FULL_COUNTS (1 = full, 0.05 = small). */
  scale: number;
}

const pad = (n: number) => String(n).padStart(4, '0');

/** Generates every synthetic asset of the region, in a stable order. */
export function generateAssets(data: RegionData, options: GenerateOptions): Asset[] {
  const locator = new PlaceLocator(data);
  const places = samplingPlaces(data);
  const pop = places.map((p) => p.population);
  const count = (n: number) => Math.max(0, Math.round(n * options.scale));
  const lights = apportion(count(FULL_COUNTS.streetlight), pop);
  const bins = apportion(count(FULL_COUNTS.wasteContainer), pop);
  const counters = apportion(
    count(FULL_COUNTS.trafficCounter),
    places.map((p) => p.population * (p.communeType === 'urban' ? 1 : 0.3)),
  );
  const meterTotal = count(FULL_COUNTS.energyMeter);
  // A town hall per place when there are enough meters to go round, the rest by population.
  const oneEach = meterTotal >= places.length ? 1 : 0;
  const meters = apportion(meterTotal - oneEach * places.length, pop).map((n) => n + oneEach);
  const stations = apportion(
    count(FULL_COUNTS.airQuality),
    places.map((p) => (p.communeType === 'urban' ? p.population : 0)),
  );

  const out: Asset[] = [];
  places.forEach((place, i) => {
    const make = (kind: AssetKind, n: number, point: { lon: number; lat: number; place: PlaceOfPoint }, params: Asset['params']): Asset => {
      const info = ASSET_KINDS[kind];
      const deviceId = `${info.prefix}-${place.code}-${pad(n)}`;
      return {
        kind,
        deviceId,
        entityId: `urn:ngsi-ld:${info.entityType}:${deviceId}`,
        entityType: info.entityType,
        lon: point.lon,
        lat: point.lat,
        communeCode: point.place.communeCode,
        ...(point.place.arrondissementCode ? { arrondissementCode: point.place.arrondissementCode } : {}),
        scope: point.place.scope,
        placeName: place.name,
        communeType: place.communeType,
        placeDensity: Math.round(place.density),
        params,
      };
    };

    // Streetlights and their control cabinets: each lamp hangs on the nearest cabinet of its place.
    const lightRng = new Rng(options.seed, `streetlight|${place.code}`);
    const lightSampler = new PlaceSampler(place, locator, lightRng);
    const cabinetCount = Math.ceil(lights[i] / LAMPS_PER_CABINET);
    const cabinets = Array.from({ length: cabinetCount }, (_, k) => make('cabinet', k + 1, lightSampler.point(), {}));
    const lamps: Asset[] = [];
    const coslat = Math.cos((place.bbox.minY * Math.PI) / 180);
    for (let k = 0; k < lights[i]; k++) {
      const point = lightSampler.point();
      const modelId = lightRng.weighted(MODEL_MIX[place.communeType]);
      const model = STREETLIGHT_MODELS.find((m) => m.id === modelId)!;
      let nearest = cabinets[0];
      let best = Infinity;
      for (const c of cabinets) {
        const d = ((c.lon - point.lon) * coslat) ** 2 + (c.lat - point.lat) ** 2;
        if (d < best) [best, nearest] = [d, c];
      }
      const changed = Date.UTC(2020, 0, 1) + Math.floor(lightRng.next() * 5 * 365) * 86_400_000;
      lamps.push(
        make('streetlight', k + 1, point, {
          model: model.id,
          lampTechnology: model.lampTechnology,
          nominalPowerW: model.powerW,
          lanternHeight: model.lanternHeight,
          cabinet: nearest.entityId,
          dateLastLampChange: new Date(changed).toISOString(),
          // Photocells switch a few minutes after sunset / before sunrise.
          photocellOffsetMin: lightRng.int(2, 12),
        }),
      );
    }
    for (const c of cabinets) {
      const own = lamps.filter((l) => l.params.cabinet === c.entityId);
      const load = own.reduce((s, l) => s + Number(l.params.nominalPowerW), 0);
      c.params = { lampCount: own.length, nominalLoadW: load, maximumPowerAvailableKw: Math.ceil((load * 1.5) / 1000) };
    }
    out.push(...cabinets, ...lamps);

    const binRng = new Rng(options.seed, `waste|${place.code}`);
    const binSampler = new PlaceSampler(place, locator, binRng);
    // Bins fill faster where more people live per km²; towns are collected daily, villages every 3 days.
    const hoursToFull = Math.min(96, Math.max(14, 72 / (1 + place.density / 3000)));
    for (let k = 0; k < bins[i]; k++) {
      const capacityL = place.communeType === 'urban' ? binRng.weighted([[660, 3], [1100, 5], [240, 1]] as const) : binRng.weighted([[1100, 3], [3000, 1], [660, 1]] as const);
      out.push(
        make('wasteContainer', k + 1, binSampler.point(), {
          capacityL,
          hoursToFull: Math.round(hoursToFull * binRng.between(0.8, 1.25) * 10) / 10,
          collectionHourUtc: binRng.weighted([[20, 2], [21, 3], [22, 3], [23, 2], [1, 1], [5, 1]] as const),
          collectionEveryDays: place.communeType === 'urban' ? 1 : 3,
          binColor: capacityL >= 1100 ? 'grey' : 'green',
        }),
      );
    }

    const trafficRng = new Rng(options.seed, `traffic|${place.code}`);
    const trafficSampler = new PlaceSampler(place, locator, trafficRng);
    for (let k = 0; k < counters[i]; k++) {
      const roadClass = trafficRng.weighted([['arterial', 3], ['collector', 4], ['local', 2]] as const);
      const lanes = roadClass === 'arterial' ? 3 : roadClass === 'collector' ? 2 : 1;
      out.push(
        make('trafficCounter', k + 1, trafficSampler.point(), {
          roadClass,
          lanes,
          capacityVph: lanes * (roadClass === 'local' ? 600 : 900),
          freeFlowKmh: roadClass === 'arterial' ? 60 : roadClass === 'collector' ? 50 : 30,
        }),
      );
    }

    const meterRng = new Rng(options.seed, `energy|${place.code}`);
    const meterSampler = new PlaceSampler(place, locator, meterRng);
    const seen = new Map<BuildingType, number>();
    for (let k = 0; k < meters[i]; k++) {
      const building: BuildingType =
        k === 0 && oneEach ? 'townHall' : meterRng.weighted([['school', 50], ['healthCentre', 20], ['library', 10], ['sportsHall', 20], ['townHall', 0]] as const);
      const nth = (seen.get(building) ?? 0) + 1;
      seen.set(building, nth);
      const label = building === 'townHall' && nth === 1 ? BUILDING_LABEL[building] : `${BUILDING_LABEL[building]} ${nth}`;
      out.push(
        make('energyMeter', k + 1, meterSampler.point(), {
          buildingType: building,
          buildingName: `${label} – ${place.name}`,
          basePowerW: Math.round(BUILDING_BASE_W[building] * meterRng.between(0.6, 1.5)),
          // Energy already on the meter when metering started (kWh).
          initialEnergyKwh: Math.round(meterRng.between(5_000, 200_000)),
        }),
      );
    }

    const airRng = new Rng(options.seed, `air|${place.code}`);
    const airSampler = new PlaceSampler(place, locator, airRng);
    for (let k = 0; k < stations[i]; k++) {
      out.push(
        make('airQuality', k + 1, airSampler.point(), {
          // Busier, denser places have more traffic pollution.
          pollutionFactor: Math.round(Math.min(1.8, 0.6 + place.density / 15000) * airRng.between(0.85, 1.15) * 100) / 100,
        }),
      );
    }
  });
  return out;
}
