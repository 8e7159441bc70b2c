/**
 * The social desk's use cases on top of the case engine: the centres network (published to the hub),
 * orientation (ranking with explanations, overrides kept), the supervisor dashboard, indicators per
 * commune for the hub, and live referral events for the centres' inboxes.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Db } from '../../platform/db/db.ts';
import type { Principal } from '../../platform/auth/principal.ts';
import type { Logger } from '../../platform/log.ts';
import type { HubClient } from '../../hub/client/hub-client.ts';
import { CaseErrors, type AccessContext, type CaseEngine, type CaseStore, type EngineEvent } from '../cases/index.ts';
import { centreEntity, centrePatchErrors, type Centre, type CentrePatch } from './centres.ts';
import { SocialErrors } from './errors.ts';
import { indicatorEntities, SUPPRESSION_THRESHOLD, type PlaceCounts } from './indicators.ts';
import { places } from './places.ts';
import { HALF_DISTANCE_KM, HALF_TRAVEL_MIN, MAX_WAIT_DAYS, rankCentres, WEIGHTS, type FunctioningLevel, type PersonNeeds } from './ranking.ts';
import type { SocialStore } from './store.ts';
import { transitMinutes, type TransitStopFacts } from './transit-time.ts';

export const PROGRAM = 'social-desk';
const TENANT = '';

export function demoCentres(): Centre[] {
  const raw = JSON.parse(readFileSync(new URL('./demo/demo-centres.json', import.meta.url), 'utf8')) as { centres: (Centre & { communeName: unknown })[] };
  return raw.centres.map(({ communeName: _n, ...c }) => c);
}

export class SocialService {
  private centresCache: Centre[] = [];
  private stops: { at: number; stops: TransitStopFacts[] } = { at: 0, stops: [] };
  private readonly subscribers = new Map<string, Set<(e: EngineEvent) => void>>();

  constructor(
    readonly db: Db,
    private readonly store: SocialStore,
    private readonly caseStore: CaseStore,
    readonly engine: CaseEngine,
    private readonly hub: HubClient,
    private readonly log: Logger,
  ) {
    engine.onEvent((e) => {
      for (const centre of new Set([e.toCentreId, e.fromCentreId])) {
        if (!centre) continue;
        for (const s of this.subscribers.get(centre) ?? []) s(e);
      }
    });
  }

  /** Loads centres (seeding the synthetic demo network first when asked and the table is empty). */
  async init(opts: { seedDemo: boolean }): Promise<void> {
    if (opts.seedDemo && (await this.store.countCentres(this.db)) === 0) {
      await this.db.transaction((tx) => this.store.insertCentres(tx, demoCentres()));
      this.log.info({ centres: demoCentres().length }, 'social: seeded the synthetic demo centres');
    }
    this.centresCache = await this.store.centres(this.db);
  }

  isCentre = (id: string) => this.centresCache.some((c) => c.id === id);

  /** Publishes every centre to the hub as a SocialCentre entity (no personal data). */
  async publishCentres(): Promise<number> {
    if (!this.centresCache.length) return 0;
    const out = await this.hub.upsertEntities(TENANT, this.centresCache.map(centreEntity), 'replace');
    if (out.errors.length) this.log.warn({ errors: out.errors.slice(0, 3) }, 'social: some centres were not published');
    return out.success.length;
  }

  listCentres(f: { placeCode?: string; communeCode?: string; service?: string; domain?: string } = {}): Centre[] {
    return this.centresCache.filter(
      (c) => (!f.placeCode || c.placeCode === f.placeCode) && (!f.communeCode || c.communeCode === f.communeCode) && (!f.service || c.services.includes(f.service)) && (!f.domain || c.domains.includes(f.domain)),
    );
  }

  centre(id: string): Centre {
    const c = this.centresCache.find((x) => x.id === id);
    if (!c) throw SocialErrors.centreNotFound.with(`No centre ${id}`);
    return c;
  }

  /** A centre manager updates its capacity, waiting list, hours...; the hub entity follows. */
  async updateCentre(p: Principal, id: string, patch: CentrePatch, ctx: AccessContext = {}): Promise<Centre> {
    this.centre(id);
    await this.engine.require(p, 'centre.update', { centreId: id }, { type: 'centre', id }, ctx);
    const errors = centrePatchErrors(patch);
    if (errors.length) throw SocialErrors.invalidCentre.with(`${errors.length} field(s) are not valid`, { errors });
    await this.store.updateCentre(this.db, id, patch);
    this.centresCache = await this.store.centres(this.db);
    const updated = this.centre(id);
    await this.hub.upsertEntities(TENANT, [centreEntity(updated)], 'replace');
    return updated;
  }

  private personNeeds(data: Record<string, unknown>, placeCode: string): PersonNeeds {
    return {
      needs: Array.isArray(data.needs) ? (data.needs as string[]) : [],
      functioning: (data.functioning ?? {}) as Record<string, FunctioningLevel>,
      from: places().get(placeCode)?.point ?? null,
    };
  }

  /** Tram and busway stops from the hub (mobility data), re-read every 10 minutes; none = distance only. */
  private async transitStops(): Promise<TransitStopFacts[]> {
    // Empty (the region may still be seeding): look again sooner.
    if (Date.now() - this.stops.at < (this.stops.stops.length ? 10 * 60_000 : 30_000)) return this.stops.stops;
    const stops: TransitStopFacts[] = [];
    try {
      for await (const e of this.hub.queryAll(TENANT, { type: 'TransitStop', format: 'keyValues', attrs: ['location', 'lines'] })) {
        const loc = (e.location as { coordinates?: [number, number] } | undefined)?.coordinates;
        if (loc) stops.push({ id: e.id, location: loc, lines: Array.isArray(e.lines) ? (e.lines as string[]) : [] });
      }
    } catch (err) {
      this.log.warn({ err }, 'social: transit stops unavailable; ranking by distance');
    }
    this.stops = { at: Date.now(), stops };
    return stops;
  }

  /** The centres with their transit time from the person's home, when mobility data covers both ends. */
  private centresFrom(from: readonly [number, number] | null | undefined, stops: TransitStopFacts[]) {
    return this.centresCache.map((c) => ({ ...c, travelTimeMin: from && stops.length ? transitMinutes(from, c.location, stops) : null }));
  }

  private withCentre<T extends { centreId: string }>(r: T) {
    const c = this.centre(r.centreId);
    return { ...r, centre: { id: c.id, name: c.name, type: c.type, placeCode: c.placeCode, openingHours: c.openingHours, accessibility: c.accessibility, synthetic: c.synthetic } };
  }

  /** Ranks centres for a case; reading its needs is audited. */
  async orientation(p: Principal, caseId: string, ctx: AccessContext = {}) {
    // Read the hub before the transaction: the embedded store has one connection, which the transaction holds.
    const stops = await this.transitStops();
    return this.engine.runAudited(p, caseId, 'orientation.rank', ctx, async (tx, c) => {
      const person = this.personNeeds(c.data, c.place_code);
      const ranked = rankCentres(person, this.centresFrom(person.from, stops), 10);
      return {
        result: {
          caseId,
          method: { weights: WEIGHTS, maxWaitDays: MAX_WAIT_DAYS, halfDistanceKm: HALF_DISTANCE_KM, halfTravelMin: HALF_TRAVEL_MIN, doc: '/docs/social.md#orientation-ranking' },
          recommendations: ranked.map((r) => this.withCentre(r)),
          history: await this.store.orientations(tx, caseId),
        },
        details: { recommended: ranked.slice(0, 3).map((r) => r.centreId) },
      };
    });
  }

  /** The agent's choice; choosing another centre than the first recommendation needs a reason, kept with it. */
  async choose(p: Principal, caseId: string, body: { centreId: string; reason?: string }, ctx: AccessContext = {}) {
    this.centre(body.centreId);
    const stops = await this.transitStops();
    return this.engine.runAudited(p, caseId, 'orientation.choose', ctx, async (tx, c) => {
      const person = this.personNeeds(c.data, c.place_code);
      const ranked = rankCentres(person, this.centresFrom(person.from, stops), this.centresCache.length);
      const top = ranked[0]?.centreId ?? null;
      const overridden = body.centreId !== top;
      if (overridden && !body.reason?.trim()) {
        throw SocialErrors.overrideNeedsReason.with(`The first recommendation is ${top}`, { errors: [{ pointer: '/reason', detail: 'is required when the chosen centre is not the first recommendation' }] });
      }
      const id = randomUUID();
      await this.store.insertOrientation(tx, {
        id,
        case_id: caseId,
        ranking: ranked.slice(0, 10).map((r) => ({ centreId: r.centreId, rank: r.rank, score: r.score })),
        recommended_centre_id: top,
        chosen_centre_id: body.centreId,
        overridden,
        override_reason: overridden ? body.reason!.trim() : null,
        chosen_by: p.id,
      });
      const rank = ranked.find((r) => r.centreId === body.centreId)?.rank ?? null;
      return { result: { id, caseId, recommendedCentreId: top, chosenCentreId: body.centreId, chosenRank: rank, overridden, overrideReason: overridden ? body.reason!.trim() : null }, details: { chosen: body.centreId, recommended: top, overridden }, subjectId: id };
    });
  }

  /** The supervisor's view: aggregates only, no identifiers. */
  async dashboard(p: Principal, f: { placeCode?: string }, ctx: AccessContext = {}) {
    await this.engine.require(p, 'dashboard.read', {}, { type: 'dashboard', id: null }, ctx);
    if (f.placeCode && !places().has(f.placeCode)) throw CaseErrors.invalidData.with('Unknown place', { errors: [{ pointer: '/placeCode', detail: 'is not a commune or arrondissement of the region' }] });
    const scope: string[] | '*' = f.placeCode ? [f.placeCode] : '*';
    const [byState, days, declines, needs, overrides] = await Promise.all([
      this.caseStore.referralsByState(this.db, PROGRAM, scope),
      this.caseStore.daysToFirstService(this.db, PROGRAM, scope),
      this.caseStore.declineReasons(this.db, PROGRAM, scope),
      this.caseStore.needsByPlace(this.db, PROGRAM, scope),
      this.store.overrideStats(this.db),
    ]);
    const referrals: Record<string, Record<string, number>> = { referral: {}, transfer: {} };
    for (const r of byState) referrals[r.kind][r.state] = r.n;
    const sorted = [...days].sort((a, b) => a - b);
    const quantile = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] : null);
    const place = (code: string) => places().get(code);
    return {
      placeCode: f.placeCode ?? null,
      referrals,
      timeToFirstService: { cases: sorted.length, medianDays: quantile(0.5), p90Days: quantile(0.9) },
      declined: declines.map((d) => ({ centreId: d.to_centre_id, centreName: this.centresCache.find((c) => c.id === d.to_centre_id)?.name ?? null, reason: d.reason, count: d.n })),
      unmetNeeds: needs
        .filter((n) => n.cases > n.met)
        .map((n) => ({ placeCode: n.place_code, placeName: place(n.place_code) ? { fr: place(n.place_code)!.nameFr, ar: place(n.place_code)!.nameAr } : null, need: n.need, cases: n.cases, met: n.met, unmet: n.cases - n.met })),
      orientations: overrides,
    };
  }

  /** Counts per place, to the hub as KeyPerformanceIndicator entities, small counts suppressed. */
  async publishIndicators(now = new Date()): Promise<{ places: number; entities: number }> {
    const byPlace = await this.caseStore.casesByPlace(this.db, PROGRAM);
    const needs = await this.caseStore.needsByPlace(this.db, PROGRAM, '*');
    const unmet = new Map<string, number>();
    for (const n of needs) unmet.set(n.place_code, (unmet.get(n.place_code) ?? 0) + (n.cases - n.met));
    const entities = byPlace.flatMap((b) => {
      const counts: PlaceCounts = { placeCode: b.place_code, communeCode: places().get(b.place_code)?.communeCode ?? b.place_code, cases: b.cases, referrals: b.referrals, accepted: b.accepted, declined: b.declined, unmetNeeds: unmet.get(b.place_code) ?? 0 };
      return indicatorEntities(counts, now.toISOString(), SUPPRESSION_THRESHOLD);
    });
    if (entities.length) await this.hub.upsertEntities(TENANT, entities, 'replace');
    return { places: byPlace.length, entities: entities.length };
  }

  /** Live referral events of a centre (sent to it or from it); returns the unsubscribe function. */
  subscribe(centreId: string, fn: (e: EngineEvent) => void): () => void {
    let set = this.subscribers.get(centreId);
    if (!set) this.subscribers.set(centreId, (set = new Set()));
    set.add(fn);
    return () => set!.delete(fn);
  }
}
