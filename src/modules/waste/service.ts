/**
 * Waste collection use cases: plan a place's collection as a job (forecast every container from its
 * history, choose, route, save), read and export plans, record a collection, compare a month of
 * sensor-driven planning with a fixed schedule.
 */
import type { Db } from '../../platform/db/db.ts';
import type { Logger } from '../../platform/log.ts';
import { canActOnCommune, type Principal } from '../../platform/auth/principal.ts';
import type { JobContext, Jobs, JobView } from '../../platform/jobs/jobs.ts';
import { HubClientError, type HubClient, type HubTransport, type NgsiEntity } from '../../hub/client/hub-client.ts';
import { WasteErrors } from './errors.ts';
import { forecastFill, predictLevel, type FillForecast, type FillReading } from './forecast.ts';
import { simulateMonth, vrpDayRouter, type MonthReport } from './month-simulation.ts';
import {
  DEFAULT_DETOUR_FACTOR,
  DEFAULT_FLEET,
  planCollection,
  selectForCollection,
  truckCapacityL,
  type CollectionPlan,
  type Depot,
  type Distances,
  type Fleet,
  type ForecastContainer,
  type PlannedRoute,
  type RoadGraph,
} from './plan.ts';
import type { PlanHeader, PlanVersion, WasteStore } from './store.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** History read per container: the last week, at most this many readings. */
const HISTORY_DAYS = 7;
const HISTORY_LAST_N = 300;
/** Open311 service code of "container full" reports (citizen module's catalogue, read through the hub). */
const FULL_CONTAINER_SERVICE = 'dechets-conteneur-plein';

export interface PlanRequest {
  commune: string;
  tenant?: string;
  /** YYYY-MM-DD; default tomorrow (UTC). */
  date?: string;
  /** Hour (UTC) the shift starts; default 5 (06:00 in Morocco). */
  startHourUtc?: number;
  threshold?: number;
  horizonHours?: number;
  fleet?: Partial<Fleet>;
  depots?: Depot[];
  detourFactor?: number;
  roadGraph?: RoadGraph;
  budget?: { timeLimitMs?: number; maxIterations?: number; seed?: number };
  /** Container ids to collect whatever their level. */
  include?: string[];
}

export interface SimulationRequest {
  commune: string;
  tenant?: string;
  days?: number;
  threshold?: number;
  fixedEveryDays?: number;
  seed?: number;
  fleet?: Partial<Fleet>;
  detourFactor?: number;
  iterations?: number;
}

export interface Place {
  code: string;
  communeCode: string;
  kind: 'Commune' | 'Arrondissement';
  name: { fr?: string; ar?: string };
  scope: string;
  centroid?: { lon: number; lat: number };
}

export interface ContainerState extends ForecastContainer {
  currentLevel: number | null;
  observedAt: string | null;
  lastEmptiedAt?: string;
}

export interface PlanDocument extends PlanHeader, PlanVersion {
  versions: { version: number; createdAt: string; status: string; distanceM: number }[];
  routes: PlannedRoute[];
}

const DEFAULTS = { threshold: 0.7, horizonHours: 24, startHourUtc: 5, timeLimitMs: 5000 };

const valueOf = (attr: unknown): unknown => {
  const a = Array.isArray(attr) ? attr[0] : attr;
  if (a && typeof a === 'object') {
    const o = a as Record<string, unknown>;
    if ('value' in o) {
      const v = o.value;
      return v && typeof v === 'object' && '@value' in (v as object) ? (v as Record<string, unknown>)['@value'] : v;
    }
    if ('object' in o) return o.object;
  }
  return a;
};
const observedAt = (attr: unknown): string | undefined => {
  const a = Array.isArray(attr) ? attr[0] : attr;
  return a && typeof a === 'object' ? ((a as Record<string, unknown>).observedAt as string | undefined) : undefined;
};

/** Area-weighted centroid of a (Multi)Polygon's largest outer ring. */
export function polygonCentroid(geometry: { type: string; coordinates: unknown }): { lon: number; lat: number } | undefined {
  const rings: number[][][] =
    geometry.type === 'Polygon' ? [(geometry.coordinates as number[][][])[0]] : geometry.type === 'MultiPolygon' ? (geometry.coordinates as number[][][][]).map((p) => p[0]) : [];
  let best: { a: number; x: number; y: number } | undefined;
  for (const ring of rings) {
    let a = 0;
    let x = 0;
    let y = 0;
    for (let i = 0; i < ring.length - 1; i++) {
      const [x0, y0] = ring[i];
      const [x1, y1] = ring[i + 1];
      const cross = x0 * y1 - x1 * y0;
      a += cross;
      x += (x0 + x1) * cross;
      y += (y0 + y1) * cross;
    }
    if (a !== 0 && (!best || Math.abs(a) > Math.abs(best.a))) best = { a, x: x / (3 * a), y: y / (3 * a) };
  }
  return best ? { lon: best.x, lat: best.y } : undefined;
}

export class WasteService {
  constructor(
    private readonly db: Db,
    private readonly store: WasteStore,
    private readonly hub: HubClient,
    /** The same hub's transport, for the temporal API (HubClient has no temporal calls yet). */
    private readonly hubTransport: HubTransport,
    private readonly jobs: Jobs,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  // ------------------------------------------------------------------ places, containers, history

  /** A commune or an arrondissement of the hub, by its 9-digit code. */
  async place(tenant: string, code: string): Promise<Place> {
    if (!/^[0-9]{9}$/.test(code)) throw WasteErrors.unknownCommune.with(`"${code}" is not a 9-digit HCP code`);
    for (const kind of ['Commune', 'Arrondissement'] as const) {
      const e = await this.hub.getEntity(tenant, `urn:ngsi-ld:${kind}:${code}`);
      if (!e) continue;
      const scope = Array.isArray(e.scope) ? String(e.scope[0]) : typeof e.scope === 'string' ? e.scope : undefined;
      if (!scope) continue;
      const name = (Array.isArray(e.name) ? e.name[0] : e.name) as { languageMap?: Record<string, string>; value?: string } | undefined;
      const geometry = valueOf(e.location) as { type: string; coordinates: unknown } | undefined;
      const communeCode = kind === 'Commune' ? code : String(valueOf(e.refCommune) ?? '').split(':').pop() || scope.split('/')[2] || code;
      return {
        code,
        communeCode,
        kind,
        name: name?.languageMap ?? (name?.value ? { fr: name.value } : {}),
        scope,
        centroid: geometry ? polygonCentroid(geometry) : undefined,
      };
    }
    throw WasteErrors.unknownCommune.with(`No commune or arrondissement ${code} in the hub`, { commune: code });
  }

  /** The place's WasteContainer entities with a location, their current level and capacity. */
  async containers(tenant: string, place: Place): Promise<Omit<ContainerState, 'forecast'>[]> {
    const out: Omit<ContainerState, 'forecast'>[] = [];
    for await (const e of this.hub.queryAll(tenant, { type: 'WasteContainer', scopeQ: `${place.scope}/#`, attrs: ['fillingLevel', 'binCapacity', 'location', 'dateLastEmptying'] })) {
      const loc = valueOf(e.location) as { type?: string; coordinates?: number[] } | undefined;
      if (loc?.type !== 'Point' || !loc.coordinates) continue;
      const level = Number(valueOf(e.fillingLevel));
      const cap = Number(valueOf(e.binCapacity));
      const emptied = valueOf(e.dateLastEmptying);
      out.push({
        id: e.id,
        lon: loc.coordinates[0],
        lat: loc.coordinates[1],
        // Smart Data Models' binCapacity is in litres; a container without one counts as the common 660 L bin.
        capacityL: Number.isFinite(cap) && cap > 0 ? cap : 660,
        currentLevel: Number.isFinite(level) ? level : null,
        observedAt: observedAt(e.fillingLevel) ?? null,
        ...(typeof emptied === 'string' ? { lastEmptiedAt: emptied } : {}),
      });
    }
    return out;
  }

  /** fillingLevel readings per container since `sinceMs`, from the hub's temporal API. */
  async history(tenant: string, place: Place, sinceMs: number): Promise<Map<string, FillReading[]>> {
    const out = new Map<string, FillReading[]>();
    const page = 100;
    for (let offset = 0; ; offset += page) {
      const res = await this.hubTransport.send({
        method: 'GET',
        path: '/temporal/entities',
        query: {
          type: 'WasteContainer',
          scopeQ: `${place.scope}/#`,
          attrs: 'fillingLevel',
          timerel: 'after',
          timeAt: new Date(sinceMs).toISOString(),
          lastN: String(HISTORY_LAST_N),
          options: 'temporalValues',
          limit: String(page),
          offset: String(offset),
        },
        headers: { accept: 'application/json', ...(tenant ? { 'ngsild-tenant': tenant } : {}) },
      });
      if (res.status === 404) return out; // a tenant nobody wrote to
      if (res.status >= 400) throw new HubClientError(res.status, (res.body ?? {}) as HubClientError['problem']);
      const entities = (res.body ?? []) as NgsiEntity[];
      for (const e of entities) {
        const attr = (Array.isArray(e.fillingLevel) ? e.fillingLevel : [e.fillingLevel]) as ({ values?: [unknown, string][] } | undefined)[];
        const readings: FillReading[] = [];
        for (const a of attr) for (const [v, t] of a?.values ?? []) if (typeof v === 'number') readings.push({ t: Date.parse(t), level: v });
        out.set(e.id, readings);
      }
      if (entities.length < page) return out;
    }
  }

  /** Containers named by open "container full" citizen reports in the place (the citizen module publishes them to the hub). */
  async requestedContainers(tenant: string, place: Place): Promise<Set<string>> {
    const ids = new Set<string>();
    try {
      for await (const e of this.hub.queryAll(tenant, { type: 'Open311ServiceRequest', scopeQ: `${place.scope}/#`, q: `service_code=="${FULL_CONTAINER_SERVICE}";status=="open"`, attrs: ['refAsset'] })) {
        const ref = valueOf(e.refAsset);
        if (typeof ref === 'string') ids.add(ref);
      }
    } catch (err) {
      this.log.warn({ err }, 'waste: could not read citizen requests; planning without them');
    }
    return ids;
  }

  /** Every container of the place with its forecast. */
  async forecasts(tenant: string, place: Place, atMs: number): Promise<(ContainerState & { forecast: FillForecast })[]> {
    const list = await this.containers(tenant, place);
    const history = list.length ? await this.history(tenant, place, atMs - HISTORY_DAYS * DAY_MS) : new Map<string, FillReading[]>();
    return list.map((c) => {
      const h = [...(history.get(c.id) ?? [])];
      // The current value is a reading too (the history may be trimmed by retention).
      if (c.currentLevel !== null && c.observedAt) h.push({ t: Date.parse(c.observedAt), level: c.currentLevel });
      const forecast = forecastFill(h, { lastEmptiedAt: c.lastEmptiedAt ? Date.parse(c.lastEmptiedAt) : undefined });
      return { ...c, forecast };
    });
  }

  /** The place's containers with their forecast and the level predicted at `at` (default: tomorrow's shift start). */
  async containerForecasts(principal: Principal, tenant: string, code: string, at?: string) {
    const place = await this.place(tenant, code);
    this.checkCommune(principal, place);
    const atMs = at ? Date.parse(at) : Date.parse(new Date(this.now() + DAY_MS).toISOString().slice(0, 10)) + DEFAULTS.startHourUtc * HOUR_MS;
    const list = await this.forecasts(tenant, place, atMs);
    return {
      place: { code: place.code, communeCode: place.communeCode, kind: place.kind, name: place.name, centroid: place.centroid ?? null },
      at: new Date(atMs).toISOString(),
      items: list.map((c) => ({
        id: c.id,
        lon: c.lon,
        lat: c.lat,
        capacityL: c.capacityL,
        level: c.currentLevel,
        observedAt: c.observedAt,
        ratePerDay: Math.round(c.forecast.ratePerHour * 24 * 1000) / 1000,
        method: c.forecast.method,
        predictedLevel: Math.round(predictLevel(c.forecast, atMs) * 1000) / 1000,
      })),
      total: list.length,
    };
  }

  // ------------------------------------------------------------------ planning

  private checkCommune(p: Principal, place: Place) {
    if (!canActOnCommune(p, place.communeCode) && !canActOnCommune(p, place.code)) throw WasteErrors.forbiddenCommune.with(`You may not plan for ${place.communeCode}`);
  }

  private normalise(req: PlanRequest) {
    const fleet: Fleet = { ...DEFAULT_FLEET, ...(req.fleet ?? {}) };
    const date = req.date ?? new Date(this.now() + DAY_MS).toISOString().slice(0, 10);
    const startHourUtc = req.startHourUtc ?? DEFAULTS.startHourUtc;
    const plannedAt = Date.parse(`${date}T00:00:00Z`) + startHourUtc * HOUR_MS;
    if (!Number.isFinite(plannedAt)) throw WasteErrors.invalidInput.with(`"${date}" is not a date`);
    const threshold = req.threshold ?? DEFAULTS.threshold;
    const horizonHours = req.horizonHours ?? DEFAULTS.horizonHours;
    const detourFactor = req.detourFactor ?? DEFAULT_DETOUR_FACTOR;
    const budget = { seed: req.budget?.seed ?? 1, timeLimitMs: req.budget?.timeLimitMs ?? (req.budget?.maxIterations ? undefined : DEFAULTS.timeLimitMs), maxIterations: req.budget?.maxIterations };
    const ids = new Set<string>();
    for (const d of req.depots ?? []) {
      if (ids.has(d.id)) throw WasteErrors.invalidInput.with(`depot id "${d.id}" appears twice`);
      ids.add(d.id);
    }
    return { tenant: req.tenant ?? '', fleet, date, startHourUtc, plannedAt, threshold, horizonHours, detourFactor, budget };
  }

  /** Checks the request and the place, then plans in a job; returns the job at once. */
  async start(principal: Principal, req: PlanRequest): Promise<JobView> {
    const n = this.normalise(req);
    const place = await this.place(n.tenant, req.commune);
    this.checkCommune(principal, place);
    return this.jobs.start('waste.plan', principal.id, (ctx) => this.runPlan(principal, req, n, place, ctx), { commune: place.code, date: n.date, tenant: n.tenant });
  }

  private async runPlan(principal: Principal, req: PlanRequest, n: ReturnType<WasteService['normalise']>, place: Place, ctx: JobContext) {
    ctx.progress({ phase: 'forecast', fraction: 0, message: `reading containers of ${place.name.fr ?? place.code}` });
    const all = await this.forecasts(n.tenant, place, n.plannedAt);
    if (!all.length) throw WasteErrors.noContainers.with(`No WasteContainer with a location in ${place.code}`, { commune: place.code });
    const requested = await this.requestedContainers(n.tenant, place);
    for (const id of req.include ?? []) requested.add(id);
    const unknown = (req.include ?? []).filter((id) => !all.some((c) => c.id === id));
    if (unknown.length) throw WasteErrors.invalidInput.with(`${unknown.length} container(s) to include are not in ${place.code}`, { unknown });
    const chosen = selectForCollection(all, n.plannedAt, { threshold: n.threshold, horizonHours: n.horizonHours, requested });
    ctx.progress({ phase: 'forecast', fraction: 1, message: `${chosen.length} of ${all.length} containers to collect`, containers: all.length, chosen: chosen.length });
    const depots = req.depots?.length ? req.depots : await this.depotsFor(n.tenant, place, all);
    const distances: Distances = req.roadGraph ? { kind: 'graph', graph: req.roadGraph, detourFactor: n.detourFactor } : { kind: 'estimate', detourFactor: n.detourFactor };
    const plan: CollectionPlan = chosen.length
      ? await planCollection(
          { depots, containers: chosen, fleet: n.fleet, distances },
          {
            ...n.budget,
            signal: ctx.signal,
            onProgress: (p) => ctx.progress({ phase: 'solve', fraction: p.fraction, bestKm: Math.round(p.bestCostM / 100) / 10, depot: p.depot }),
          },
        )
      : { routes: [], distanceM: 0, trucksUsed: 0, volumeL: 0, containers: 0, shiftSplits: 0, solver: [] };
    if (ctx.signal.aborted) throw WasteErrors.cancelled.with();
    ctx.progress({ phase: 'save', fraction: 1 });
    const byMethod: Record<string, number> = {};
    for (const c of all) byMethod[c.forecast.method] = (byMethod[c.forecast.method] ?? 0) + 1;
    const summary = {
      containersConsidered: all.length,
      containersPlanned: plan.containers,
      byReason: Object.fromEntries(['threshold', 'overflow-before-next', 'requested'].map((r) => [r, chosen.filter((c) => c.reason === r).length])),
      forecastMethods: byMethod,
      trucksUsed: plan.trucksUsed,
      distanceM: plan.distanceM,
      distanceKm: Math.round(plan.distanceM / 100) / 10,
      volumeL: plan.volumeL,
      truckCapacityL: truckCapacityL(n.fleet),
      shiftSplits: plan.shiftSplits,
      solver: plan.solver,
      distances: req.roadGraph ? 'road-graph' : `haversine x ${n.detourFactor}`,
    };
    const params = { threshold: n.threshold, horizonHours: n.horizonHours, fleet: n.fleet, detourFactor: n.detourFactor, budget: n.budget, startHourUtc: n.startHourUtc, include: req.include ?? [] };
    // All or nothing: the version, its routes and stops in one transaction, only now that the plan is whole.
    const saved = await this.db.transaction((tx) =>
      this.store.insertVersion(tx, {
        tenant: n.tenant,
        placeCode: place.code,
        communeCode: place.communeCode,
        date: n.date,
        plannedAt: new Date(n.plannedAt).toISOString(),
        params,
        summary,
        depots,
        createdBy: principal.id,
        plan,
      }),
    );
    return { planId: saved.id, version: saved.version, commune: place.code, date: n.date, ...summary };
  }

  /** Configured depots of the place, else one at its centroid (else at the containers' mean position). */
  private async depotsFor(tenant: string, place: Place, containers: { lon: number; lat: number }[]): Promise<Depot[]> {
    const configured = await this.store.depots(this.db, tenant, place.code);
    if (configured.length) return configured;
    const c = place.centroid ?? { lon: containers.reduce((s, x) => s + x.lon, 0) / containers.length, lat: containers.reduce((s, x) => s + x.lat, 0) / containers.length };
    return [{ id: `centroid-${place.code}`, name: 'Default depot (place centroid)', lon: Math.round(c.lon * 1e6) / 1e6, lat: Math.round(c.lat * 1e6) / 1e6 }];
  }

  async depots(principal: Principal, tenant: string, code: string): Promise<{ depots: Depot[]; default: boolean }> {
    const place = await this.place(tenant, code);
    this.checkCommune(principal, place);
    const configured = await this.store.depots(this.db, tenant, place.code);
    if (configured.length) return { depots: configured, default: false };
    return { depots: await this.depotsFor(tenant, place, [{ lon: 0, lat: 0 }]), default: true };
  }

  async setDepots(principal: Principal, tenant: string, code: string, depots: Depot[]): Promise<{ depots: Depot[]; default: boolean }> {
    const place = await this.place(tenant, code);
    this.checkCommune(principal, place);
    if (new Set(depots.map((d) => d.id)).size !== depots.length) throw WasteErrors.invalidInput.with('depot ids must be unique');
    await this.db.transaction((tx) => this.store.replaceDepots(tx, tenant, place.code, depots));
    return this.depots(principal, tenant, code);
  }

  // ------------------------------------------------------------------ reading and exporting

  async get(principal: Principal, id: string, version?: number): Promise<PlanDocument> {
    const head = /^[0-9a-f-]{36}$/.test(id) ? await this.store.header(this.db, id) : undefined;
    if (!head || (!canActOnCommune(principal, head.communeCode) && !canActOnCommune(principal, head.placeCode))) throw WasteErrors.planNotFound.with(`No plan ${id}`);
    const v = await this.store.version(this.db, id, version ?? head.latestVersion);
    if (!v) throw WasteErrors.planNotFound.with(`Plan ${id} has no version ${version}`);
    return { ...head, ...v, versions: await this.store.versions(this.db, id), routes: await this.store.routes(this.db, id, v.version) };
  }

  async list(principal: Principal, f: { tenant?: string; commune?: string; date?: string; limit: number; offset: number }) {
    const communes = principal.communes.includes('*') ? undefined : principal.communes;
    return this.store.list(this.db, { tenant: f.tenant ?? '', placeCode: f.commune, date: f.date, communes, limit: f.limit, offset: f.offset });
  }

  // ------------------------------------------------------------------ collection

  /**
   * Records a collection of a plan version: its containers' fillingLevel goes to 0 in the hub (with
   * dateLastEmptying) and the kilometres driven are kept (`actualKm`; a simulated collection drives the plan).
   */
  async collect(principal: Principal, id: string, body: { version?: number; actualKm?: number; collectedAt?: string; simulated?: boolean }) {
    const plan = await this.get(principal, id, body.version);
    if (plan.status === 'collected') throw WasteErrors.alreadyCollected.with(`Version ${plan.version} was collected at ${plan.collectedAt}`);
    const collectedAt = body.collectedAt ?? new Date(this.now()).toISOString();
    if (!Number.isFinite(Date.parse(collectedAt))) throw WasteErrors.invalidInput.with(`"${collectedAt}" is not a date-time`);
    const simulated = body.simulated ?? body.actualKm === undefined;
    const actualDistanceM = body.actualKm !== undefined ? body.actualKm * 1000 : plan.routes.reduce((s, r) => s + r.distanceM, 0);
    const ids = plan.routes.flatMap((r) => r.stops.map((s) => s.containerId));
    // Claim the version first (one statement: two concurrent collections cannot both pass), then empty the
    // containers through the hub; if the hub refuses, the claim is undone so the collection can be retried.
    // (Not one transaction: the hub writes through its own connection, and PGlite has only one.)
    const claim = { actualDistanceM, collectedAt, collectedBy: principal.id, simulated };
    if (!(await this.store.markCollected(this.db, id, plan.version, claim))) throw WasteErrors.alreadyCollected.with(`Version ${plan.version} was collected meanwhile`);
    try {
      for (let i = 0; i < ids.length; i += 500) {
        const at = new Date(collectedAt).toISOString();
        const batch = ids.slice(i, i + 500).map((cid) => ({
          id: cid,
          type: 'WasteContainer',
          fillingLevel: { type: 'Property', value: 0, observedAt: at },
          dateLastEmptying: { type: 'Property', value: { '@type': 'DateTime', '@value': at }, observedAt: at },
        }));
        const outcome = await this.hub.upsertEntities(plan.tenant, batch, 'update');
        if (outcome.errors.length) throw WasteErrors.invalidInput.with(`The hub refused ${outcome.errors.length} container update(s)`, { errors: outcome.errors.slice(0, 20) });
      }
    } catch (err) {
      await this.store.unmarkCollected(this.db, id, plan.version);
      throw err;
    }
    return {
      planId: id,
      version: plan.version,
      status: 'collected',
      containersReset: ids.length,
      plannedKm: Math.round(plan.routes.reduce((s, r) => s + r.distanceM, 0) / 100) / 10,
      actualKm: Math.round(actualDistanceM / 100) / 10,
      collectedAt,
      simulated,
    };
  }

  // ------------------------------------------------------------------ month simulation

  async startSimulation(principal: Principal, req: SimulationRequest): Promise<JobView> {
    const tenant = req.tenant ?? '';
    const place = await this.place(tenant, req.commune);
    this.checkCommune(principal, place);
    return this.jobs.start('waste.simulation', principal.id, (ctx) => this.runSimulation(tenant, place, req, ctx), { commune: place.code, tenant });
  }

  private async runSimulation(tenant: string, place: Place, req: SimulationRequest, ctx: JobContext): Promise<MonthReport & { commune: string; assumptions: Record<string, unknown> }> {
    ctx.progress({ phase: 'forecast', fraction: 0 });
    const now = this.now();
    const all = await this.forecasts(tenant, place, now);
    if (!all.length) throw WasteErrors.noContainers.with(`No WasteContainer with a location in ${place.code}`, { commune: place.code });
    const fleet: Fleet = { ...DEFAULT_FLEET, ...(req.fleet ?? {}) };
    const detourFactor = req.detourFactor ?? DEFAULT_DETOUR_FACTOR;
    const [depot] = await this.depotsFor(tenant, place, all);
    const days = req.days ?? 30;
    const inner = vrpDayRouter(fleet, detourFactor, { seed: req.seed ?? 1, maxIterations: req.iterations ?? 50 });
    let routed = 0;
    const route = async (d: Depot, stops: Parameters<typeof inner>[1]) => {
      // Let requests in between days' solves.
      await new Promise<void>((r) => setImmediate(r));
      if (ctx.signal.aborted) throw WasteErrors.cancelled.with();
      const r = inner(d, stops);
      routed++;
      ctx.progress({ phase: 'simulate', fraction: routed / (2 * days) });
      return r;
    };
    const report = await simulateMonth(
      all.map((c) => ({ id: c.id, lon: c.lon, lat: c.lat, capacityL: c.capacityL, ratePerHour: c.forecast.ratePerHour, level: Math.min(1, c.forecast.level) })),
      depot,
      { days, threshold: req.threshold ?? DEFAULTS.threshold, fixedEveryDays: req.fixedEveryDays ?? 1, seed: req.seed ?? 1 },
      route,
    );
    return { commune: place.code, ...report, assumptions: { fleet, detourFactor, depot, noiseCv: 0.25, fixedEveryDays: req.fixedEveryDays ?? 1 } };
  }
}
