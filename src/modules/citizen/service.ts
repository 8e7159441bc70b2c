/** Citizen services' use cases: file a report, follow it, handle it in the back office, publish to the hub. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '../../platform/db/db.ts';
import type { Logger } from '../../platform/log.ts';
import { canActOnCommune, type Principal } from '../../platform/auth/principal.ts';
import type { HubClient, NgsiEntity } from '../../hub/client/hub-client.ts';
import { SERVICES, serviceByCode, type Lang } from './catalogue.ts';
import type { CitizenConfig } from './config.ts';
import { CitizenErrors } from './errors.ts';
import { findDuplicate, nearest } from './geo.ts';
import { computeIndicators, indicatorEntities, requestEntity } from './indicators.ts';
import { requestJson, serviceDefinitionJson, serviceJson, slaNotice, validateReport, type PublicRequest, type ReportInput } from './open311.ts';
import { checkPhoto, PhotoError } from './photo.ts';
import type { CitizenPlaces } from './places.ts';
import type { CitizenStore, InternalSource, RequestFilter, RequestRow } from './store.ts';
import { canMove, isClosed, isState, STATE_LABELS, type State } from './workflow.ts';

const M_PER_DEG = 111_195;
export const INDICATOR_WINDOW_DAYS = 365;

export interface SubmitContext {
  source: 'open311' | 'web';
  apiKeyId: string | null;
  photo?: Uint8Array;
  lang: Lang;
}

/** A work request another module opens (e.g. a lighting fault): no reporter, no contact. */
export interface WorkRequestInput {
  serviceCode: string;
  lat: number;
  lon: number;
  description?: string;
  assetId?: string;
  attributes?: Record<string, string | string[]>;
  source: InternalSource;
  externalRef: string;
}

/** What the internal work-request API answers (and `created`: false when the reference already had one). */
export interface WorkRequest {
  service_request_id: string;
  source: string;
  external_ref: string;
  service_code: string;
  state: State;
  note: string | null;
  commune_code: string;
  asset_id: string | null;
  duplicate_of: string | null;
  requested_datetime: string;
  updated_datetime: string;
}

const workRequestJson = (r: RequestRow): WorkRequest => ({
  service_request_id: r.id,
  source: r.source,
  external_ref: r.externalRef ?? '',
  service_code: r.serviceCode,
  state: r.state,
  note: r.note,
  commune_code: r.communeCode,
  asset_id: r.assetId,
  duplicate_of: r.duplicateOf,
  requested_datetime: r.requestedAt.toISOString(),
  updated_datetime: r.updatedAt.toISOString(),
});

interface FileContext {
  source: 'open311' | 'web' | InternalSource;
  apiKeyId: string | null;
  photo?: Uint8Array;
  lang: Lang;
  /** Internal work requests: idempotent on (source, externalRef), start acknowledged, asset given by the caller. */
  internal?: { externalRef: string; assetId?: string };
}

export interface Submitted {
  service_request_id: string;
  token: string;
  service_notice: string;
  /** Set when the report was linked to an open one: the reporter follows that one. */
  duplicate_of: string | null;
  asset_id: string | null;
}

export class CitizenService {
  private syncing: Promise<void> = Promise.resolve();
  /** Set by stop(): a hub write failing now is the server closing, not the hub failing. */
  private stopping = false;
  private indicatorTimer: NodeJS.Timeout | undefined;
  private indicatorsRun: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly store: CitizenStore,
    private readonly hub: HubClient,
    private readonly places: CitizenPlaces,
    private readonly config: CitizenConfig,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  services(lang: Lang) {
    return SERVICES.map((s) => serviceJson(s, lang));
  }

  definition(code: string, lang: Lang) {
    const s = serviceByCode(code);
    if (!s) throw CitizenErrors.unknownService.with(`No service ${JSON.stringify(code)}`);
    return serviceDefinitionJson(s, lang);
  }

  /** The catalogue for the web form: services with their definitions and service levels. */
  catalogue(lang: Lang) {
    return SERVICES.map((s) => ({ ...serviceJson(s, lang), groupCode: s.group, slaHours: s.slaHours, assetType: s.assetType ?? null, attributes: serviceDefinitionJson(s, lang).attributes }));
  }

  checkJurisdiction(code: string | undefined) {
    if (code && !this.places.isCommune(code)) throw CitizenErrors.unknownJurisdiction.with(`No commune ${JSON.stringify(code)}`);
  }

  /** Validates, places, links and stores a report; nothing is stored when any check fails. */
  async submit(input: ReportInput, ctx: SubmitContext): Promise<Submitted> {
    return (await this.file(input, ctx)).out;
  }

  /**
   * Opens a work request for another module, through the same checks, placing, duplicate rule and hub mirror
   * as a citizen's report, in state `acknowledged`; the same (source, externalRef) gives back the existing one.
   */
  async openWorkRequest(w: WorkRequestInput): Promise<{ created: boolean; request: WorkRequest }> {
    const existing = await this.store.byExternalRef(this.db, w.source, w.externalRef);
    if (existing) return { created: false, request: workRequestJson(existing) };
    const attributes = Object.fromEntries(Object.entries(w.attributes ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));
    const input: ReportInput = { serviceCode: w.serviceCode, lat: String(w.lat), long: String(w.lon), description: w.description, attributes, contact: {} };
    const { out, created } = await this.file(input, { source: w.source, apiKeyId: null, lang: 'fr', internal: { externalRef: w.externalRef, assetId: w.assetId } });
    return { created, request: workRequestJson(await this.request(out.service_request_id)) };
  }

  async workRequest(source: string, externalRef: string): Promise<WorkRequest> {
    const r = await this.store.byExternalRef(this.db, source, externalRef);
    if (!r) throw CitizenErrors.requestNotFound.with(`No work request ${JSON.stringify(externalRef)} from ${source}`);
    return workRequestJson(r);
  }

  /** The calling module saw the problem go away: the request becomes `fixed` with a public note (already closed: unchanged). */
  async resolveWorkRequest(p: Principal, source: string, externalRef: string, note?: string): Promise<WorkRequest> {
    const r = await this.store.byExternalRef(this.db, source, externalRef);
    if (!r) throw CitizenErrors.requestNotFound.with(`No work request ${JSON.stringify(externalRef)} from ${source}`);
    if (isClosed(r.state)) return workRequestJson(r);
    return workRequestJson(await this.transition(p, r.id, { state: 'fixed', note }));
  }

  private async file(input: ReportInput, ctx: FileContext): Promise<{ out: Submitted; created: boolean }> {
    const service = serviceByCode(input.serviceCode?.trim() ?? '');
    const report = validateReport(input, service, { requireAttributes: !ctx.internal });
    const svc = service!;
    if (report.jurisdictionId) this.checkJurisdiction(report.jurisdictionId);
    const place = this.places.locate(report.lon, report.lat);
    if (!place) throw CitizenErrors.outsideRegion.with(`(${report.lat}, ${report.lon}) is not in any commune of Casablanca-Settat`);
    if (report.jurisdictionId && report.jurisdictionId !== place.communeCode) {
      throw CitizenErrors.outsideJurisdiction.with(`The location is in commune ${place.communeCode}, not ${report.jurisdictionId}`);
    }
    let photo: ReturnType<typeof checkPhoto> | undefined;
    if (ctx.photo) {
      try {
        photo = checkPhoto(ctx.photo, this.config.photoMaxBytes);
      } catch (err) {
        if (!(err instanceof PhotoError)) throw err;
        throw (ctx.photo.length > this.config.photoMaxBytes ? CitizenErrors.photoTooLarge : CitizenErrors.badPhoto).with(err.message);
      }
    }
    const asset = ctx.internal?.assetId
      ? { id: ctx.internal.assetId, distanceM: 0 }
      : svc.assetType
        ? await this.nearestAsset(svc.assetType, report.lon, report.lat)
        : undefined;
    const at = this.now();
    const agency = [
      `Commune ${place.communeName.fr}`,
      ...(place.arrondissementName ? [`Arrondissement ${place.arrondissementName.fr}`] : []),
      svc.department.fr,
    ].join(' – ');
    const token = randomBytes(16).toString('hex');
    const photoId = photo ? randomUUID() : null;

    const { id, duplicateOf, existing } = await this.db.transaction(async (tx) => {
      // One writer per category at a time, so two reports of the same problem cannot both become originals.
      await tx.query('SELECT pg_advisory_xact_lock(7361311, hashtext($1))', [svc.code]);
      if (ctx.internal) {
        const known = await this.store.byExternalRef(tx, ctx.source, ctx.internal.externalRef);
        if (known) return { id: known.id, duplicateOf: known.duplicateOf, existing: true };
      }
      const dLat = this.config.duplicateRadiusM / M_PER_DEG;
      const dLon = dLat / Math.cos((report.lat * Math.PI) / 180);
      const since = new Date(at.getTime() - this.config.duplicateDays * 86_400_000);
      const candidates = await this.store.openNear(tx, svc.code, report.lat, report.lon, dLat, dLon, since);
      const original = findDuplicate({ serviceCode: svc.code, lon: report.lon, lat: report.lat, at }, candidates, {
        radiusM: this.config.duplicateRadiusM,
        days: this.config.duplicateDays,
      });
      const state: State = original ? 'duplicate' : ctx.internal ? 'acknowledged' : 'submitted';
      const newId = await this.store.insertRequest(tx, {
        token,
        serviceCode: svc.code,
        state,
        note: null,
        description: report.description,
        address: report.address,
        addressId: report.addressId,
        attributes: report.attributes,
        lat: report.lat,
        lon: report.lon,
        communeCode: place.communeCode,
        arrondissementCode: place.arrondissementCode,
        scope: place.scope,
        agency,
        assetId: asset?.id ?? null,
        assetDistanceM: asset ? Math.round(asset.distanceM * 10) / 10 : null,
        duplicateOf: original?.id ?? null,
        mediaUrl: report.mediaUrl,
        photoId,
        assignee: null,
        source: ctx.source,
        apiKeyId: ctx.apiKeyId,
        requestedAt: at,
        updatedAt: at,
        expectedAt: new Date(at.getTime() + svc.slaHours * 3_600_000),
        externalRef: ctx.internal?.externalRef ?? null,
      });
      await this.store.insertEvent(tx, newId, { at, fromState: null, toState: state, note: original ? `Duplicate of ${original.id}` : null, actor: ctx.source });
      if (Object.keys(report.contact).length) await this.store.insertContact(tx, newId, report.contact);
      if (photo && photoId) await this.store.insertPhoto(tx, photoId, newId, photo.type, photo.bytes);
      return { id: newId, duplicateOf: original?.id ?? null, existing: false };
    });
    if (!existing) this.afterChange();
    const notice = duplicateOf
      ? {
          fr: `Ce problème a déjà été signalé (demande ${duplicateOf}) : votre signalement y est rattaché et suit son avancement.`,
          ar: `سبق الإبلاغ عن هذا المشكل (الطلب ${duplicateOf}): تم ربط بلاغكم به وسيتبع تقدمه.`,
          en: `This problem was already reported (request ${duplicateOf}): your report is linked to it and follows its progress.`,
        }[ctx.lang]
      : slaNotice(svc, ctx.lang);
    return { out: { service_request_id: id, token, service_notice: notice, duplicate_of: duplicateOf, asset_id: asset?.id ?? null }, created: !existing };
  }

  /** The nearest asset of a type within the radius, through the hub (geo-query, then haversine). */
  private async nearestAsset(type: string, lon: number, lat: number): Promise<{ id: string; distanceM: number } | undefined> {
    try {
      const { entities } = await this.hub.queryEntities('', {
        type,
        georel: `near;maxDistance==${this.config.assetRadiusM}`,
        geometry: 'Point',
        coordinates: [lon, lat],
        attrs: ['location'],
        format: 'keyValues',
        limit: 100,
      });
      const points = entities.flatMap((e) => {
        const c = (e.location as { coordinates?: number[] } | undefined)?.coordinates;
        return c ? [{ id: e.id, lon: c[0], lat: c[1] }] : [];
      });
      const n = nearest({ lon, lat }, points, this.config.assetRadiusM);
      return n ? { id: n.item.id, distanceM: n.distanceM } : undefined;
    } catch (err) {
      // Linking is a help, not a condition: a report is never refused because the hub did not answer.
      this.log.warn({ err }, 'citizen: asset lookup failed');
      return undefined;
    }
  }

  publicRequest(r: RequestRow, baseUrl: string): PublicRequest {
    return { ...r, mediaUrl: r.photoId ? `${baseUrl}/api/citizen/photos/${r.photoId}` : r.mediaUrl };
  }

  /** Open311 JSON of rows, each duplicate shown with its original's status. */
  async render(rows: RequestRow[], lang: Lang, baseUrl: string) {
    const originals = new Map((await this.store.byIds(this.db, [...new Set(rows.flatMap((r) => (r.duplicateOf ? [r.duplicateOf] : [])))])).map((r) => [r.id, r]));
    return rows.map((r) => {
      const o = r.duplicateOf ? originals.get(r.duplicateOf) : undefined;
      return requestJson(this.publicRequest(r, baseUrl), serviceByCode(r.serviceCode), lang, o ? this.publicRequest(o, baseUrl) : undefined);
    });
  }

  async request(id: string): Promise<RequestRow> {
    const r = await this.store.byId(this.db, id);
    if (!r) throw CitizenErrors.requestNotFound.with(`No service request ${JSON.stringify(id)}`);
    return r;
  }

  async byToken(token: string): Promise<RequestRow> {
    const r = await this.store.byToken(this.db, token);
    if (!r) throw CitizenErrors.tokenNotFound.with();
    return r;
  }

  search(f: RequestFilter) {
    return this.store.search(this.db, f);
  }

  /** The tracking page: public fields, the citizen-visible history, and the original for a duplicate. */
  async track(id: string, lang: Lang, baseUrl: string) {
    const r = await this.request(id);
    const original = r.duplicateOf ? await this.store.byId(this.db, r.duplicateOf) : undefined;
    const followed = original ?? r;
    const history = (await this.store.events(this.db, followed.id)).map((e) => ({ at: e.at.toISOString(), state: e.toState, label: STATE_LABELS[e.toState][lang], note: e.note }));
    const [open311] = await this.render([r], lang, baseUrl);
    const s = serviceByCode(r.serviceCode);
    return {
      ...open311,
      state: followed.state,
      stateLabel: STATE_LABELS[followed.state][lang],
      serviceGroup: s?.group ?? null,
      communeCode: r.communeCode,
      communeName: this.places.communeName(r.communeCode) ?? null,
      arrondissementCode: r.arrondissementCode,
      duplicateOf: r.duplicateOf,
      overdue: !isClosed(followed.state) && followed.expectedAt !== null && followed.expectedAt < this.now(),
      history,
    };
  }

  async photo(id: string) {
    const p = await this.store.photo(this.db, id);
    if (!p) throw CitizenErrors.photoNotFound.with();
    return p;
  }

  private allowed(p: Principal, r: RequestRow) {
    if (!canActOnCommune(p, r.communeCode)) throw CitizenErrors.notYourCommune.with(`Request ${r.id} is in commune ${r.communeCode}`);
  }

  private communesOf(p: Principal): string[] | undefined {
    return p.communes.includes('*') ? undefined : p.communes;
  }

  /** Back office: requests of the communes the principal serves, newest first, with overdue flags (no contact details). */
  async queue(p: Principal, f: Omit<RequestFilter, 'communes' | 'ids'> & { communes?: string[] }, lang: Lang) {
    const mine = this.communesOf(p);
    const communes = f.communes ? (mine ? f.communes.filter((c) => mine.includes(c)) : f.communes) : mine;
    const { rows, total } = await this.store.search(this.db, { ...f, communes });
    const now = this.now();
    return {
      total,
      items: rows.map((r) => ({
        id: r.id,
        serviceCode: r.serviceCode,
        serviceName: serviceByCode(r.serviceCode)?.name[lang] ?? r.serviceCode,
        state: r.state,
        stateLabel: STATE_LABELS[r.state][lang],
        note: r.note,
        description: r.description,
        address: r.address,
        lat: r.lat,
        lon: r.lon,
        communeCode: r.communeCode,
        communeName: this.places.communeName(r.communeCode)?.[lang === 'ar' ? 'ar' : 'fr'] ?? r.communeCode,
        arrondissementCode: r.arrondissementCode,
        agency: r.agency,
        assetId: r.assetId,
        duplicateOf: r.duplicateOf,
        assignee: r.assignee,
        requestedAt: r.requestedAt.toISOString(),
        expectedAt: r.expectedAt?.toISOString() ?? null,
        overdue: !isClosed(r.state) && r.expectedAt !== null && r.expectedAt < now,
      })),
    };
  }

  /** Open and overdue counts per commune and service (the queues). */
  async queues(p: Principal, lang: Lang = 'fr') {
    const mine = this.communesOf(p);
    const now = this.now();
    const counts = new Map<string, { communeCode: string; serviceCode: string; open: number; overdue: number }>();
    for (let offset = 0; ; offset += 1000) {
      const { rows } = await this.store.search(this.db, { states: ['submitted', 'acknowledged', 'assigned', 'in_progress'], communes: mine, limit: 1000, offset });
      for (const r of rows) {
        const k = `${r.communeCode}|${r.serviceCode}`;
        const c = counts.get(k) ?? { communeCode: r.communeCode, serviceCode: r.serviceCode, open: 0, overdue: 0 };
        c.open++;
        if (r.expectedAt && r.expectedAt < now) c.overdue++;
        counts.set(k, c);
      }
      if (rows.length < 1000) break;
    }
    return [...counts.values()]
      .sort((a, b) => b.overdue - a.overdue || b.open - a.open || a.communeCode.localeCompare(b.communeCode))
      .map((c) => ({ ...c, communeName: this.places.communeName(c.communeCode)?.[lang === 'ar' ? 'ar' : 'fr'] ?? c.communeCode }));
  }

  /** Back office detail: everything, including the reporter's contact (staff of the commune only). */
  async detail(p: Principal, id: string, lang: Lang, baseUrl: string) {
    const r = await this.request(id);
    this.allowed(p, r);
    return {
      ...(await this.track(id, lang, baseUrl)),
      attributes: r.attributes,
      assetId: r.assetId,
      assetDistanceM: r.assetDistanceM,
      assignee: r.assignee,
      source: r.source,
      externalRef: r.externalRef,
      contact: (await this.store.contact(this.db, id)) ?? null,
      events: (await this.store.events(this.db, id)).map((e) => ({ ...e, at: e.at.toISOString() })),
    };
  }

  /** Moves a request through the workflow with a note the citizen sees; duplicates follow their original. */
  async transition(p: Principal, id: string, body: { state: string; note?: string; assignee?: string; duplicateOf?: string }) {
    if (!isState(body.state)) throw CitizenErrors.badField.with(`state must be one of: ${Object.keys(STATE_LABELS).join(', ')}`);
    const to = body.state;
    const note = body.note?.trim() || null;
    const at = this.now();
    await this.db.transaction(async (tx) => {
      const r = await this.store.forUpdate(tx, id);
      if (!r) throw CitizenErrors.requestNotFound.with(`No service request ${JSON.stringify(id)}`);
      this.allowed(p, r);
      if (!canMove(r.state, to)) throw CitizenErrors.badTransition.with(`${r.state} cannot become ${to}`);
      let duplicateOf = r.duplicateOf;
      if (to === 'duplicate') {
        const o = body.duplicateOf ? await this.store.byId(tx, body.duplicateOf) : undefined;
        if (!o || o.id === r.id || o.duplicateOf) throw CitizenErrors.badField.with('duplicateOf must name another original request');
        duplicateOf = o.id;
      } else if (r.state === 'duplicate') duplicateOf = null;
      const closedAt = isClosed(to) ? at : null;
      await this.store.setState(tx, id, { state: to, note, assignee: to === 'assigned' ? (body.assignee?.trim() || r.assignee) : r.assignee, updatedAt: at, closedAt });
      if (duplicateOf !== r.duplicateOf) await tx.query('UPDATE citizen_requests SET duplicate_of = $2 WHERE id = $1', [id, duplicateOf]);
      await this.store.insertEvent(tx, id, { at, fromState: r.state, toState: to, note, actor: p.name });
      await this.store.touch(tx, await this.store.duplicatesOf(tx, id), at, closedAt);
    });
    this.afterChange();
    return this.request(id);
  }

  private afterChange() {
    void this.syncHub();
    this.scheduleIndicators();
  }

  /** Writes every changed request to the hub (serialised; a failure leaves them for the next run). */
  syncHub(): Promise<void> {
    this.syncing = this.syncing.then(async () => {
      try {
        for (;;) {
          const rows = await this.store.unsynced(this.db, 200);
          if (!rows.length) return;
          const entities: NgsiEntity[] = rows.map((r) => requestEntity(r, serviceByCode(r.serviceCode)));
          const out = await this.hub.upsertEntities('', entities, 'replace');
          const ok = new Set(out.success);
          await this.store.markSynced(this.db, rows.filter((r) => ok.has(requestEntity(r, undefined).id)));
          if (out.errors.length) {
            this.log.warn({ errors: out.errors.slice(0, 3) }, 'citizen: some requests were not written to the hub');
            return;
          }
        }
      } catch (err) {
        // What is not synced stays marked so and is written at the next start (or the next retry).
        this.warnUnlessStopping(err, 'citizen: hub sync failed; will retry');
      }
    });
    return this.syncing;
  }

  private scheduleIndicators() {
    if (this.indicatorTimer) return;
    this.indicatorTimer = setTimeout(() => {
      this.indicatorTimer = undefined;
      this.publishIndicators().catch((err) => this.warnUnlessStopping(err, 'citizen: indicators failed'));
    }, 1000);
    this.indicatorTimer.unref();
  }

  /** Reports per 10,000 inhabitants and median time to close, per commune and category, to the hub. */
  publishIndicators(): Promise<void> {
    this.indicatorsRun = this.indicatorsRun.then(async () => {
      const at = this.now();
      const facts = await this.store.facts(this.db, new Date(at.getTime() - INDICATOR_WINDOW_DAYS * 86_400_000));
      if (!facts.length) return;
      const population = await this.populations([...new Set(facts.map((f) => f.communeCode))]);
      const rows = computeIndicators(facts, (c) => population.get(c) ?? this.places.population(c));
      const entities = rows.flatMap((r) => indicatorEntities(r, at, INDICATOR_WINDOW_DAYS));
      for (let i = 0; i < entities.length; i += 500) await this.hub.upsertEntities('', entities.slice(i, i + 500), 'replace');
    });
    return this.indicatorsRun;
  }

  /** population2024 of the hub's Commune entities (the region seed's contract). */
  private async populations(codes: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    try {
      const { entities } = await this.hub.queryEntities('', { type: 'Commune', ids: codes.map((c) => `urn:ngsi-ld:Commune:${c}`), attrs: ['population2024'], format: 'keyValues', limit: 1000 });
      for (const e of entities) if (typeof e.population2024 === 'number') out.set(e.id.split(':').pop()!, e.population2024);
    } catch (err) {
      this.warnUnlessStopping(err, 'citizen: could not read commune populations from the hub');
    }
    return out;
  }

  /** Deletes reporters' contact details of requests closed longer ago than the retention. */
  async purgeContacts(): Promise<number> {
    const before = new Date(this.now().getTime() - this.config.contactRetentionDays * 86_400_000);
    return this.store.deleteOldContacts(this.db, before);
  }

  /** A hub call failing while the server stops is the server closing, not the hub failing: debug, not warn. */
  private warnUnlessStopping(err: unknown, message: string): void {
    if (this.stopping) this.log.debug({ err }, `${message} (stopping; done at the next start)`);
    else this.log.warn({ err }, message);
  }

  async stop() {
    this.stopping = true;
    if (this.indicatorTimer) clearTimeout(this.indicatorTimer);
    this.indicatorTimer = undefined;
    await this.syncing;
    await this.indicatorsRun.catch(() => undefined);
  }
}
