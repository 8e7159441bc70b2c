/** Public lighting use cases: inventory import/export, master-plan scenarios, fault alerts, commands, indicators. */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../platform/db/db.ts';
import type { Logger } from '../../platform/log.ts';
import { canActOnCommune, type Principal } from '../../platform/auth/principal.ts';
import type { HubClient, NgsiEntity } from '../../hub/client/hub-client.ts';
import type { EntityChange } from '../../hub/entities/service.ts';
import type { AttributeInstance, StoredEntity } from '../../hub/entities/model.ts';
import type { IotAgent } from '../../iot/agent.ts';
import { PlaceLocator } from '../../region/places.ts';
import { loadRegionData, type RegionData } from '../../region/region-data.ts';
import { annualProfileHours, nightsOfYear, profileProblems, type DimmingProfile } from './burning-hours.ts';
import { formatCsv } from './csv.ts';
import { LightingErrors } from './errors.ts';
import { checkSilence, DEFAULT_FAULT_OPTIONS, newLampState, observe, type FaultEvent, type FaultOptions, type LampSpec, type LampState } from './faults.ts';
import { writeFeatureCollection } from './geojson-import.ts';
import { computeIndicators, indicatorEntities, type LightingIndicators, type LightPoint } from './indicators.ts';
import { checkFile, columnsOf, FIELDS, FileSyntaxError, readInventoryFile, referencedIds, toRecord, type FileFormat, type InventoryType, type Problem } from './inventory.ts';
import { BASELINE, comparisonCsv, evaluateScenario, mergeClasses, scenarioProblems, TECHNOLOGIES, withDefaults, type AreaInventory, type Assumptions, type LampClass, type Scenario, type ScenarioResult, type Technology } from './scenarios.ts';
import type { AlertRow, CommandRow, LightingStore } from './store.ts';
import { ServerNotReadyError, type WorkRequests } from './work-requests.ts';

export type AreaKind = 'commune' | 'arrondissement' | 'group';
export interface AreaRef {
  kind: AreaKind;
  code: string;
}

export interface Place {
  kind: 'commune' | 'arrondissement';
  code: string;
  communeCode: string;
  name: { fr: string; ar: string };
  lat: number;
  lon: number;
  scopeQ: string;
}

export interface LightingOptions {
  assumptions: Assumptions;
  faults: FaultOptions;
  /** Expected seconds between two messages of a lamp (noData after faults.silenceFactor times this). */
  expectedPeriodS: number;
  /** Start of the master plan: LED points installed since count as refurbished or new (ISO 37122, 7.7). */
  planStart: string;
  now: () => Date;
}

export interface ImportReport {
  type: InventoryType;
  format: FileFormat;
  mode: 'all-or-nothing' | 'valid-only';
  rows: number;
  imported: number;
  rejected: number;
  problems: Problem[];
  warnings: Problem[];
}

export interface AlertEvent {
  change: 'raised' | 'cleared';
  alert: AlertRow;
}

export const LAMP_COMMANDS = ['switch', 'dim', 'schedule'] as const;
export type LampCommand = (typeof LAMP_COMMANDS)[number];
export const TARGET_TYPES = ['Streetlight', 'StreetlightGroup', 'StreetlightControlCabinet'] as const;
export type TargetType = (typeof TARGET_TYPES)[number];

const TENANT = '';

interface LampEntry {
  /** Unknown until the lamp reports (an entry restored from an open alert has only its state). */
  spec?: LampSpec;
  state: LampState;
  communeCode?: string;
  scope?: string;
}
const LAMP_ATTRS = ['lampTechnology', 'powerRating', 'ballastLoss', 'refStreetlightModel', 'refStreetlightControlCabinet', 'refStreetlightGroup', 'controllingMethod', 'deviceId', 'dateServiceStarted', 'dateLastLampChange', 'status', 'powerState'];

/** The commune code of a scope /MA-06/<commune>[/<arrondissement>]. */
const communeOfScope = (scope: unknown): string | undefined => {
  const s = Array.isArray(scope) ? scope[0] : scope;
  return typeof s === 'string' ? s.split('/')[2] : undefined;
};
const dateOf = (v: unknown): string | undefined => {
  const raw = v && typeof v === 'object' && '@value' in v ? (v as { '@value': unknown })['@value'] : v;
  return typeof raw === 'string' && !Number.isNaN(Date.parse(raw)) ? new Date(raw).toISOString() : undefined;
};
const objectOf = (v: unknown): string | undefined => (typeof v === 'string' ? v : v && typeof v === 'object' && 'object' in v ? String((v as { object: unknown }).object) : undefined);

function centroid(geometry: { type: string; coordinates: unknown }): { lat: number; lon: number } {
  const ring = (geometry.type === 'Polygon' ? (geometry.coordinates as number[][][])[0] : (geometry.coordinates as number[][][][])[0][0]) ?? [];
  const lon = ring.reduce((s, p) => s + p[0], 0) / (ring.length || 1);
  const lat = ring.reduce((s, p) => s + p[1], 0) / (ring.length || 1);
  return { lat, lon };
}

export class LightingService {
  private region?: { data: RegionData; locator: PlaceLocator; places: Map<string, Place> };
  private readonly lamps = new Map<string, LampEntry>();
  private models = new Map<string, { technology?: Technology; wattW?: number; ballastLoss?: number }>();
  private modelsLoadedAt = 0;
  private queue: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<(e: AlertEvent) => void>();
  private readonly hoursCache = new Map<string, { burningHours: number; equivalentHours: number; nights: number }>();
  private expand: (term: string) => string = (t) => t;

  constructor(
    private readonly db: Db,
    private readonly store: LightingStore,
    private readonly hub: HubClient,
    private readonly iot: IotAgent | undefined,
    private readonly log: Logger,
    readonly options: LightingOptions,
    /** Citizen-services work requests for faults (absent: alerts only). */
    private readonly workRequests?: WorkRequests,
  ) {}

  /** Restores open alerts into the fault state machines; `expand` maps attribute names to the hub's IRIs. */
  async init(expand: (term: string) => string): Promise<void> {
    this.expand = expand;
    for (const a of await this.store.openAlerts(this.db)) {
      const entry = this.lamps.get(a.lampId);
      const state = entry?.state ?? newLampState();
      state.active[a.kind] = { since: Date.parse(a.raisedAt), detail: a.detail };
      if (!entry) this.lamps.set(a.lampId, { state, communeCode: a.communeCode ?? undefined, scope: a.scope ?? undefined });
    }
  }

  // ------------------------------------------------------------------ places

  private regionData() {
    if (!this.region) {
      const data = loadRegionData();
      const places = new Map<string, Place>();
      for (const c of data.communes) places.set(c.code, { kind: 'commune', code: c.code, communeCode: c.code, name: { fr: c.nameFr, ar: c.nameAr }, ...centroid(c.geometry), scopeQ: `/MA-06/${c.code}/#` });
      for (const a of data.arrondissements)
        places.set(a.code, { kind: 'arrondissement', code: a.code, communeCode: a.communeCode, name: { fr: a.nameFr, ar: a.nameAr }, ...centroid(a.geometry), scopeQ: `/MA-06/${a.communeCode}/${a.code}` });
      this.region = { data, locator: new PlaceLocator(data), places };
    }
    return this.region;
  }

  places(): Place[] {
    return [...this.regionData().places.values()].sort((a, b) => a.name.fr.localeCompare(b.name.fr, 'fr'));
  }

  place(code: string): Place {
    const p = this.regionData().places.get(code);
    if (!p) throw LightingErrors.unknownArea.with(`No commune or arrondissement ${JSON.stringify(code)}`);
    return p;
  }

  // ------------------------------------------------------------------ inventory

  /** Reads, validates and (when clean, or when asked for the valid rows) writes a file to the hub. */
  async importFile(type: InventoryType, format: FileFormat, content: string | unknown, mode: ImportReport['mode']): Promise<ImportReport> {
    let file;
    try {
      file = readInventoryFile(type, format, content);
    } catch (err) {
      if (err instanceof FileSyntaxError) throw LightingErrors.unreadableFile.with(err.message, err.line ? { problems: [{ row: err.line, field: '', problem: err.message }] } : {});
      throw err;
    }
    const existing: Partial<Record<InventoryType, Set<string>>> = {};
    for (const [refType, ids] of referencedIds(type, file.records)) existing[refType] = await this.existingIds(refType, [...ids]);
    const { locator } = this.regionData();
    const v = checkFile(type, file, { locate: (lon, lat) => locator.locate(lon, lat), existing });
    const rejected = new Set(v.problems.map((p) => p.row)).size;
    const report: ImportReport = { type, format, mode, rows: v.rows, imported: 0, rejected, problems: v.problems, warnings: v.warnings };
    if (v.problems.length && mode === 'all-or-nothing') throw LightingErrors.invalidFile.with(`${v.problems.length} problem(s) in ${rejected} row(s); fix them, or import the valid rows with mode=valid-only`, { report });
    const entities = v.valid.map((r) => r.entity);
    for (let i = 0; i < entities.length; i += 500) {
      const out = await this.hub.upsertEntities(TENANT, entities.slice(i, i + 500), 'update');
      if (out.errors.length) throw new Error(`hub refused ${out.errors.length} entities: ${out.errors[0].error.detail ?? out.errors[0].error.title}`);
    }
    report.imported = entities.length;
    if (type === 'StreetlightModel') this.modelsLoadedAt = 0;
    return report;
  }

  private async existingIds(type: InventoryType, ids: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += 100) {
      const { entities } = await this.hub.queryEntities(TENANT, { type, ids: ids.slice(i, i + 100), format: 'keyValues', limit: 100 });
      for (const e of entities) found.add(e.id);
    }
    return found;
  }

  /** The inventory of a type (optionally in one place) in the file format it is imported from. */
  async exportFile(type: InventoryType, format: FileFormat, placeCode?: string): Promise<string | object> {
    const scopeQ = placeCode ? this.place(placeCode).scopeQ : undefined;
    const records: Record<string, string | number | undefined>[] = [];
    const attrs = FIELDS[type].filter((f) => f.kind !== 'id' && f.kind !== 'lat' && f.kind !== 'lon').map((f) => f.name);
    for await (const e of this.hub.queryAll(TENANT, { type, scopeQ, attrs: [...attrs, 'location'], format: 'keyValues' })) records.push(toRecord(type, e));
    return format === 'csv' ? formatCsv(columnsOf(type), records) : writeFeatureCollection(records);
  }

  private async loadModels(): Promise<void> {
    if (Date.now() - this.modelsLoadedAt < 600_000) return;
    const m = new Map<string, { technology?: Technology; wattW?: number; ballastLoss?: number }>();
    for await (const e of this.hub.queryAll(TENANT, { type: 'StreetlightModel', attrs: ['lampTechnology', 'powerConsumption', 'ballastLoss'], format: 'keyValues' })) {
      m.set(e.id, {
        technology: TECHNOLOGIES.includes(e.lampTechnology as Technology) ? (e.lampTechnology as Technology) : undefined,
        wattW: typeof e.powerConsumption === 'number' ? e.powerConsumption : undefined,
        ballastLoss: typeof e.ballastLoss === 'number' ? e.ballastLoss : undefined,
      });
    }
    this.models = m;
    this.modelsLoadedAt = Date.now();
  }

  /** Technology, wattage and loss of a lamp: its own attributes, else its model's. */
  private lampKind(e: Record<string, unknown>): { technology?: Technology; wattW?: number; ballastLoss?: number } {
    const model = this.models.get(objectOf(e.refStreetlightModel) ?? '');
    const technology = TECHNOLOGIES.includes(e.lampTechnology as Technology) ? (e.lampTechnology as Technology) : model?.technology;
    const wattW = typeof e.powerRating === 'number' && e.powerRating > 0 ? e.powerRating : model?.wattW;
    const ballastLoss = typeof e.ballastLoss === 'number' ? e.ballastLoss : model?.ballastLoss;
    return { technology, wattW, ballastLoss };
  }

  /** Today's lamps of an area, by technology and wattage. */
  async inventory(ref: AreaRef): Promise<AreaInventory & { unknown: number; kind: AreaKind }> {
    await this.loadModels();
    let query: { scopeQ?: string; q?: string };
    let name: string;
    let lat: number | undefined;
    let lon: number | undefined;
    if (ref.kind === 'group') {
      const id = ref.code.startsWith('urn:') ? ref.code : `urn:ngsi-ld:StreetlightGroup:${ref.code}`;
      const g = await this.hub.getEntity(TENANT, id, { format: 'keyValues' });
      if (!g) throw LightingErrors.unknownArea.with(`No StreetlightGroup ${ref.code}`);
      name = typeof g.name === 'string' ? g.name : ref.code;
      const loc = g.location as { type?: string; coordinates?: number[] } | undefined;
      if (loc?.type === 'Point' && loc.coordinates) [lon, lat] = loc.coordinates;
      query = { q: `refStreetlightGroup=="${id}"` };
    } else {
      const p = this.place(ref.code);
      if (p.kind !== ref.kind) throw LightingErrors.unknownArea.with(`${ref.code} is a ${p.kind}, not a ${ref.kind}`);
      name = p.name.fr;
      ({ lat, lon } = p);
      query = { scopeQ: p.scopeQ };
    }
    const classes: LampClass[] = [];
    const cabinets = new Set<string>();
    let unknown = 0;
    let sumLat = 0;
    let sumLon = 0;
    let n = 0;
    for await (const e of this.hub.queryAll(TENANT, { type: 'Streetlight', ...query, attrs: [...LAMP_ATTRS, 'location'], format: 'keyValues' })) {
      const k = this.lampKind(e);
      const cab = objectOf(e.refStreetlightControlCabinet);
      if (cab) cabinets.add(cab);
      const loc = e.location as { type?: string; coordinates?: number[] } | undefined;
      if (loc?.type === 'Point' && loc.coordinates) {
        sumLon += loc.coordinates[0];
        sumLat += loc.coordinates[1];
        n++;
      }
      if (!k.technology || !k.wattW) {
        unknown++;
        continue;
      }
      classes.push({ technology: k.technology, wattW: k.wattW, count: 1, ...(k.ballastLoss !== undefined ? { ballastLoss: k.ballastLoss } : {}) });
    }
    if (lat === undefined || lon === undefined) {
      lat = n ? sumLat / n : 33.5731;
      lon = n ? sumLon / n : -7.5898;
    }
    return { kind: ref.kind, areaId: ref.code, name, lat, lon, lamps: mergeClasses(classes), cabinets: cabinets.size, unknown };
  }

  private hoursFn(a: Assumptions) {
    return (lat: number, lon: number, profile: DimmingProfile) => {
      const key = `${lat.toFixed(4)}|${lon.toFixed(4)}|${a.year}|${a.thresholdDeg}|${a.utcOffsetMin}|${JSON.stringify(profile)}`;
      let h = this.hoursCache.get(key);
      if (!h) {
        h = annualProfileHours(lat, lon, a.year, profile, { thresholdDeg: a.thresholdDeg, offsetMin: a.utcOffsetMin });
        if (this.hoursCache.size > 5000) this.hoursCache.clear();
        this.hoursCache.set(key, h);
      }
      return h;
    };
  }

  /** Evaluates scenarios side by side over areas; every input used is in the answer. */
  async evaluate(req: { areas: AreaRef[]; scenarios: Scenario[]; assumptions?: Parameters<typeof withDefaults>[0] }): Promise<{ inventories: (AreaInventory & { unknown: number })[]; results: ScenarioResult[] }> {
    const a = withDefaults(req.assumptions ?? {}, this.options.assumptions);
    const problems = req.scenarios.flatMap((s, i) => scenarioProblems(s, a).map((p) => ({ scenario: i, name: s.name, problem: p })));
    if (problems.length) throw LightingErrors.invalidScenario.with(problems.map((p) => `${p.name}: ${p.problem}`).join('; '), { problems });
    const inventories: (AreaInventory & { unknown: number })[] = [];
    for (const ref of req.areas) inventories.push(await this.inventory(ref));
    if (inventories.every((i) => !i.lamps.length)) throw LightingErrors.emptyArea.with('None of the chosen areas has lamps with a known technology and wattage');
    const hours = this.hoursFn(a);
    return { inventories, results: req.scenarios.map((s) => evaluateScenario(inventories, s, a, hours)) };
  }

  comparisonCsv(results: ScenarioResult[]): string {
    return comparisonCsv(results);
  }

  /** Nights of a year at a place: dusk, dawn and hours, the first input of every calculation. */
  burningHours(placeCode: string, year: number, thresholdDeg: number) {
    const p = this.place(placeCode);
    const nights = nightsOfYear(p.lat, p.lon, year, thresholdDeg);
    return {
      place: { code: p.code, name: p.name, lat: p.lat, lon: p.lon },
      year,
      thresholdDeg,
      totalHours: nights.reduce((s, n) => s + n.hours, 0),
      nights: nights.map((n) => ({ date: n.date, dusk: new Date(n.dusk).toISOString(), dawn: new Date(n.dawn).toISOString(), hours: Math.round(n.hours * 1000) / 1000 })),
    };
  }

  async saveScenario(p: Principal, req: { name: string; areas: AreaRef[]; scenario: Scenario; assumptions?: Parameters<typeof withDefaults>[0] }) {
    const r = await this.evaluate({ areas: req.areas, scenarios: [req.scenario], assumptions: req.assumptions });
    const id = randomUUID();
    const summary = r.results[0].total;
    await this.store.saveScenario(this.db, { id, name: req.name, request: req, summary, createdBy: p.id });
    return { id, name: req.name, request: req, summary };
  }

  listScenarios(limit: number, offset: number) {
    return this.store.scenarios(this.db, limit, offset);
  }

  /** A saved scenario re-evaluated from its stored inputs (the inventory may have changed since). */
  async scenario(id: string) {
    const s = await this.store.scenario(this.db, id);
    if (!s) throw LightingErrors.scenarioNotFound.with(`No scenario ${id}`);
    const req = s.request as { areas: AreaRef[]; scenario: Scenario; assumptions?: Parameters<typeof withDefaults>[0] };
    const r = await this.evaluate({ areas: req.areas, scenarios: [req.scenario], assumptions: req.assumptions });
    return { ...s, result: r.results[0], inventories: r.inventories };
  }

  // ------------------------------------------------------------------ faults and alerts

  private value(e: StoredEntity, term: string): AttributeInstance | undefined {
    return e.attrs[this.expand(term)]?.find((i) => !i.datasetId);
  }

  /** Reacts to committed hub changes: new telemetry of a Streetlight feeds its fault state machine. */
  onCommitted(tenant: string, changes: EntityChange[]): void {
    if (tenant !== TENANT) return;
    const type = this.expand('Streetlight');
    const events: { lamp: { communeCode?: string; scope?: string }; e: FaultEvent }[] = [];
    for (const ch of changes) {
      const after = ch.after;
      if (!after || !after.types.includes(type)) continue;
      const measured = ['powerState', 'powerConsumption', 'illuminanceLevel', 'status'].map((t) => [t, this.value(after, t), ch.before ? this.value(ch.before, t) : undefined] as const);
      // Telemetry carries observedAt; an import or an edit of the inventory does not.
      const fresh = measured.filter(([, a, b]) => a?.observedAt && (!b || b.observedAt !== a.observedAt || b.modifiedAt !== a.modifiedAt));
      if (!fresh.length) continue;
      const spec = this.specOf(after);
      if (!spec) continue;
      const entry: LampEntry = this.lamps.get(after.id) ?? { spec, state: newLampState() };
      entry.spec = spec;
      entry.scope = after.scopes[0];
      entry.communeCode = communeOfScope(after.scopes[0]);
      const v = (t: string) => measured.find(([n]) => n === t)?.[1]?.value;
      const at = Math.max(...fresh.map(([, a]) => Date.parse(a!.observedAt!)));
      const power = v('powerConsumption');
      const level = v('illuminanceLevel');
      const state = v('powerState');
      const status = v('status');
      const r = observe(
        entry.state,
        spec,
        {
          at,
          receivedAt: this.options.now().getTime(),
          ...(state === 'on' || state === 'off' ? { powerState: state } : {}),
          ...(typeof power === 'number' ? { powerW: power } : {}),
          ...(typeof level === 'number' ? { level } : {}),
          ...(typeof status === 'string' ? { status } : {}),
        },
        this.options.faults,
      );
      entry.state = r.state;
      this.lamps.set(after.id, entry);
      for (const e of r.events) events.push({ lamp: entry, e });
    }
    if (events.length) this.enqueue(events);
  }

  private specOf(e: StoredEntity): LampSpec | undefined {
    return this.specFrom(e.id, {
      location: this.value(e, 'location')?.value,
      lampTechnology: this.value(e, 'lampTechnology')?.value,
      powerRating: this.value(e, 'powerRating')?.value,
      ballastLoss: this.value(e, 'ballastLoss')?.value,
      refStreetlightModel: this.value(e, 'refStreetlightModel')?.object,
    });
  }

  private specFrom(id: string, e: Record<string, unknown>): LampSpec | undefined {
    const loc = e.location as { type?: string; coordinates?: number[] } | undefined;
    if (loc?.type !== 'Point' || !loc.coordinates) return undefined;
    const kind = this.lampKind(e);
    const technology = kind.technology ?? 'LED';
    return {
      id,
      lon: loc.coordinates[0],
      lat: loc.coordinates[1],
      technology,
      ratedW: kind.wattW ?? 0,
      ballastLoss: kind.ballastLoss ?? this.options.assumptions.ballastLoss[technology],
      expectedPeriodS: this.options.expectedPeriodS,
    };
  }

  /**
   * After a restart: every lamp that has reported before is watched for silence from its last reading
   * (observedAt), so a lamp that never speaks again still raises noData. Lamps already seen live are kept.
   */
  async primeFromHub(): Promise<number> {
    await this.loadModels();
    let n = 0;
    const attrs = ['powerState', 'location', 'lampTechnology', 'powerRating', 'ballastLoss', 'refStreetlightModel'];
    for await (const e of this.hub.queryAll(TENANT, { type: 'Streetlight', q: 'powerState', attrs })) {
      const ps = e.powerState as { observedAt?: string } | undefined;
      if (!ps?.observedAt || this.lamps.get(e.id)?.spec) continue;
      const flat = Object.fromEntries(attrs.map((a) => [a, a === 'refStreetlightModel' ? objectOf(e[a]) : (e[a] as { value?: unknown } | undefined)?.value]));
      const spec = this.specFrom(e.id, flat);
      if (!spec) continue;
      const entry: LampEntry = this.lamps.get(e.id) ?? { spec, state: newLampState() };
      entry.spec = spec;
      entry.communeCode ??= communeOfScope(e.scope);
      entry.scope ??= Array.isArray(e.scope) ? e.scope[0] : (e.scope as string | undefined);
      entry.state = { ...entry.state, lastReceivedAt: Date.parse(ps.observedAt) };
      this.lamps.set(e.id, entry);
      n++;
    }
    return n;
  }

  private enqueue(events: { lamp: { communeCode?: string; scope?: string; spec?: LampSpec }; e: FaultEvent }[]) {
    this.queue = this.queue
      .then(async () => {
        for (const { lamp, e } of events) {
          const at = new Date(e.at).toISOString();
          let row =
            e.change === 'raised'
              ? await this.store.raise(this.db, { lampId: e.lampId, kind: e.kind, communeCode: lamp.communeCode, scope: lamp.scope, at, detail: e.detail })
              : await this.store.clear(this.db, e.lampId, e.kind, at);
          if (!row) continue;
          if (e.change === 'raised' && lamp.spec) row = await this.openWorkRequest(row, lamp.spec);
          else if (e.change === 'cleared' && row.workRequestId) await this.resolveWorkRequest(row);
          for (const l of this.listeners) l({ change: e.change, alert: row });
        }
      })
      .catch((err) => this.log.error({ err }, 'lighting: recording alerts failed'));
  }

  /** A raised alert becomes a citizen-services work request; failing to reach that module only logs. */
  private async openWorkRequest(row: AlertRow, at: { lat: number; lon: number }): Promise<AlertRow> {
    if (!this.workRequests) return row;
    try {
      const id = await this.workRequests.open(row, at);
      await this.store.setWorkRequest(this.db, row.id, id);
      return { ...row, workRequestId: id };
    } catch (err) {
      this.notSent(err, row, 'open');
      return row;
    }
  }

  /**
   * A work request call that failed. Stopping (or not started) is expected and only noted: the alert is
   * sent again by the next catch-up (catchUpWorkRequests, at start and every few minutes); anything else is
   * a warning.
   */
  private notSent(err: unknown, row: AlertRow, call: 'open' | 'resolve'): void {
    if (err instanceof ServerNotReadyError) this.log.debug({ alert: row.id, call }, 'lighting: work request left for the next catch-up');
    else this.log.warn({ err, alert: row.id, workRequest: row.workRequestId, call }, `lighting: could not ${call} the work request of the alert`);
  }

  /**
   * What citizen services missed while they were unreachable or the server stopped: open alerts without a
   * work request are asked for one, and cleared alerts whose work request is still open have it marked
   * fixed. Run after start, once the lamps' places are known, then every few minutes (catchUpEvery).
   * Queued behind the alerts being recorded, so an alert is never sent twice at once.
   */
  catchUpWorkRequests(): Promise<{ opened: number; resolved: number }> {
    const done = { opened: 0, resolved: 0 };
    this.queue = this.queue
      .then(async () => {
        if (!this.workRequests) return;
        for (const a of await this.store.openAlerts(this.db)) {
          const spec = this.lamps.get(a.lampId)?.spec;
          if (a.workRequestId || !spec) continue;
          if ((await this.openWorkRequest(a, spec)).workRequestId) done.opened++;
        }
        for (const a of await this.store.unresolvedWorkRequests(this.db)) if (await this.resolveWorkRequest(a)) done.resolved++;
      })
      .catch((err) => this.log.error({ err }, 'lighting: catching up with work requests failed'));
    return this.queue.then(() => done);
  }

  /**
   * Catches up with work requests every `ms`, not only at start: citizen services down for a while (or a
   * failed call) then delay a work request by at most `ms`. Returns the stop.
   */
  catchUpEvery(ms: number, onCaughtUp?: (n: { opened: number; resolved: number }) => void): () => void {
    const timer = setInterval(() => {
      void this.catchUpWorkRequests().then((n) => (n.opened || n.resolved) && onCaughtUp?.(n));
    }, ms);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Marks the work request of a cleared alert fixed; false if it could not (asked again by the next catch-up). */
  private async resolveWorkRequest(row: AlertRow): Promise<boolean> {
    if (!this.workRequests) return false;
    try {
      await this.workRequests.resolve(row);
      await this.store.setWorkRequestResolved(this.db, row.id);
      return true;
    } catch (err) {
      this.notSent(err, row, 'resolve');
      return false;
    }
  }

  /** Raises noData for lamps silent too long (run every minute). */
  sweep(): void {
    const now = this.options.now().getTime();
    const events: { lamp: { communeCode?: string; scope?: string; spec?: LampSpec }; e: FaultEvent }[] = [];
    for (const entry of this.lamps.values()) {
      if (!entry.spec) continue;
      const r = checkSilence(entry.state, entry.spec, now, this.options.faults);
      entry.state = r.state;
      for (const e of r.events) events.push({ lamp: entry, e });
    }
    if (events.length) this.enqueue(events);
  }

  /** Resolves when every alert change so far is stored (tests, shutdown). */
  settled(): Promise<void> {
    return this.queue;
  }

  subscribe(l: (e: AlertEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  alerts(p: Principal, f: { open?: boolean; communeCode?: string; kind?: string; limit: number; offset: number }) {
    const communes = p.communes.includes('*') ? '*' : p.communes;
    return this.store.alerts(this.db, { ...f, communes });
  }

  // ------------------------------------------------------------------ commands

  private checkValue(command: LampCommand, value: unknown): unknown {
    if (command === 'switch') {
      if (value !== 'on' && value !== 'off') throw LightingErrors.invalidCommand.with('switch takes "on" or "off"');
      return value;
    }
    if (command === 'dim') {
      if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw LightingErrors.invalidCommand.with('dim takes a level between 0 and 1');
      return value;
    }
    const problems = profileProblems(value as DimmingProfile);
    if (problems.length) throw LightingErrors.invalidCommand.with(`schedule: ${problems.join('; ')}`);
    return value;
  }

  /** Sends a command to a lamp, or to every lamp of a group or cabinet, through the IoT agent. */
  async sendCommand(p: Principal, req: { targetType: TargetType; targetId: string; command: LampCommand; value: unknown }): Promise<CommandRow> {
    const value = this.checkValue(req.command, req.value);
    const prefix = `urn:ngsi-ld:${req.targetType}:`;
    const targetId = req.targetId.startsWith('urn:') ? req.targetId : prefix + req.targetId;
    const target = await this.hub.getEntity(TENANT, targetId, { format: 'keyValues' });
    if (!target) throw LightingErrors.unknownTarget.with(`No ${req.targetType} ${req.targetId}`);
    const lamps: NgsiEntity[] = [];
    if (req.targetType === 'Streetlight') lamps.push(target);
    else {
      const rel = req.targetType === 'StreetlightGroup' ? 'refStreetlightGroup' : 'refStreetlightControlCabinet';
      for await (const e of this.hub.queryAll(TENANT, { type: 'Streetlight', q: `${rel}=="${targetId}"`, format: 'keyValues' })) lamps.push(e);
    }
    for (const l of lamps) {
      const s = String(Array.isArray(l.scope) ? l.scope[0] : (l.scope ?? ''));
      const [, , commune, arrondissement] = s.split('/');
      if (commune && !canActOnCommune(p, commune) && !(arrondissement && canActOnCommune(p, arrondissement))) {
        throw LightingErrors.forbiddenCommune.with(`You may not command lamps of ${arrondissement ?? commune}`);
      }
    }
    const devices: CommandRow['devices'] = [];
    for (const l of lamps) {
      const deviceId = typeof l.deviceId === 'string' ? l.deviceId : undefined;
      if (!deviceId || !this.iot) {
        devices.push({ deviceId: deviceId ?? '', entityId: l.id, status: 'NO_DEVICE' });
        continue;
      }
      devices.push(await this.dispatch(deviceId, l.id, req.command, value));
    }
    if (!devices.some((d) => d.status !== 'NO_DEVICE')) throw LightingErrors.noDevices.with(`${lamps.length} lamp(s), none with a deviceId known to the IoT agent`);
    return this.store.addCommand(this.db, { id: randomUUID(), targetType: req.targetType, targetId, command: req.command, value, devices, createdBy: p.id });
  }

  private async dispatch(deviceId: string, entityId: string, command: LampCommand, value: unknown): Promise<CommandRow['devices'][number]> {
    const send = () => this.iot!.sendCommand(TENANT, deviceId, command, value);
    try {
      return { deviceId, entityId, status: (await send()).status };
    } catch (err) {
      const name = (err as { type?: string }).type ?? '';
      // Devices provisioned without lamp commands (the region seed's) get them on first use.
      if (name.endsWith('unknown-command')) {
        try {
          await this.iot!.updateDevice(TENANT, deviceId, { commands: LAMP_COMMANDS.map((c) => ({ name: c, type: 'command' })) });
          return { deviceId, entityId, status: (await send()).status };
        } catch (e2) {
          return { deviceId, entityId, status: 'ERROR', info: (e2 as Error).message };
        }
      }
      if (name.endsWith('unknown-device')) return { deviceId, entityId, status: 'NO_DEVICE' };
      return { deviceId, entityId, status: 'ERROR', info: (err as Error).message };
    }
  }

  /** Commands with each device's current status, read from the lamps' `<command>_status` in the hub. */
  async commands(limit: number, offset: number) {
    const page = await this.store.commands(this.db, limit, offset);
    const items = [];
    for (const c of page.items) {
      const ids = c.devices.filter((d) => d.status !== 'NO_DEVICE').map((d) => d.entityId).slice(0, 100);
      const live = new Map<string, { status?: string; info?: unknown }>();
      if (ids.length) {
        const { entities } = await this.hub.queryEntities(TENANT, { type: 'Streetlight', ids, attrs: [`${c.command}_status`, `${c.command}_info`], format: 'keyValues', limit: 100 });
        for (const e of entities) live.set(e.id, { status: e[`${c.command}_status`] as string | undefined, info: e[`${c.command}_info`] });
      }
      const devices = c.devices.map((d) => ({ ...d, status: d.status === 'NO_DEVICE' || d.status === 'ERROR' ? d.status : (live.get(d.entityId)?.status ?? d.status), info: live.get(d.entityId)?.info ?? d.info }));
      const counts: Record<string, number> = {};
      for (const d of devices) counts[d.status] = (counts[d.status] ?? 0) + 1;
      items.push({ ...c, devices, counts });
    }
    return { total: page.total, items };
  }

  // ------------------------------------------------------------------ indicators

  /** Computes the indicators of every commune with lamps and writes them to the hub; records missing baselines. */
  async publishIndicators(): Promise<{ communes: number; indicators: LightingIndicators[] }> {
    await this.loadModels();
    const byCommune = new Map<string, { points: LightPoint[]; classes: LampClass[] }>();
    for await (const e of this.hub.queryAll(TENANT, { type: 'Streetlight', attrs: LAMP_ATTRS, format: 'keyValues' })) {
      const commune = communeOfScope(e.scope);
      if (!commune) continue;
      const c = byCommune.get(commune) ?? { points: [], classes: [] };
      const k = this.lampKind(e);
      const dates = [dateOf(e.dateServiceStarted), dateOf(e.dateLastLampChange)].filter((d): d is string => !!d).sort();
      c.points.push({
        technology: k.technology,
        installedAt: dates[dates.length - 1],
        controllingMethod: typeof e.controllingMethod === 'string' ? e.controllingMethod : undefined,
        hasDevice: typeof e.deviceId === 'string' || typeof e.refDevice === 'string',
      });
      if (k.technology && k.wattW) c.classes.push({ technology: k.technology, wattW: k.wattW, count: 1, ...(k.ballastLoss !== undefined ? { ballastLoss: k.ballastLoss } : {}) });
      byCommune.set(commune, c);
    }
    const a = this.options.assumptions;
    const hours = this.hoursFn(a);
    const baselines = await this.store.baselines(this.db);
    const at = this.options.now().toISOString();
    const out: LightingIndicators[] = [];
    const entities: NgsiEntity[] = [];
    for (const [code, c] of byCommune) {
      const place = this.regionData().places.get(code);
      const area: AreaInventory = { areaId: code, name: place?.name.fr ?? code, lat: place?.lat ?? 33.5731, lon: place?.lon ?? -7.5898, lamps: mergeClasses(c.classes), cabinets: 0 };
      const energyKwh = evaluateScenario([area], BASELINE, a, hours).total.baseline.energyKwh;
      let baseline = baselines.get(code);
      if (!baseline) {
        await this.store.setBaseline(this.db, code, energyKwh, c.points.length, at, false);
        baseline = { energyKwh, lightPoints: c.points.length, takenAt: at };
      }
      const ind = computeIndicators({ communeCode: code, points: c.points, energyKwh, baselineKwh: baseline.energyKwh }, this.options.planStart);
      out.push(ind);
      entities.push(...indicatorEntities(ind, at, this.options.planStart));
    }
    for (let i = 0; i < entities.length; i += 500) await this.hub.upsertEntities(TENANT, entities.slice(i, i + 500), 'replace');
    return { communes: byCommune.size, indicators: out.sort((x, y) => x.communeCode.localeCompare(y.communeCode)) };
  }

  /** Sets a commune's baseline to its current modelled consumption (e.g. at the start of the plan). */
  async resetBaseline(communeCode: string): Promise<{ communeCode: string; energyKwh: number; lightPoints: number }> {
    const place = this.place(communeCode);
    if (place.kind !== 'commune') throw LightingErrors.unknownArea.with(`${communeCode} is not a commune`);
    const inv = await this.inventory({ kind: 'commune', code: communeCode });
    const energyKwh = evaluateScenario([inv], BASELINE, this.options.assumptions, this.hoursFn(this.options.assumptions)).total.baseline.energyKwh;
    const lightPoints = inv.lamps.reduce((s, c) => s + c.count, 0) + inv.unknown;
    await this.store.setBaseline(this.db, communeCode, energyKwh, lightPoints, this.options.now().toISOString(), true);
    return { communeCode, energyKwh, lightPoints };
  }

  assumptions(): Assumptions {
    return this.options.assumptions;
  }
}

export const DEFAULT_LIGHTING_OPTIONS = { faults: DEFAULT_FAULT_OPTIONS, expectedPeriodS: 3600, planStart: '2020-01-01T00:00:00.000Z' };
