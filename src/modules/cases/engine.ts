/**
 * The case engine's use cases, for any program (the social desk first, child protection next): intake
 * with duplicate flags, the case lifecycle, notes, follow-ups, services, attachments, consents,
 * referrals and transfers. Every read or write of personal data is checked against the program's
 * Policy, filtered field by field, and recorded in the audit log in the same transaction.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { ConfigError } from '../../platform/config.ts';
import type { Db, Queryable } from '../../platform/db/db.ts';
import type { Principal } from '../../platform/auth/principal.ts';
import type { Problem } from '../../platform/http/problem.ts';
import type { AuditLog } from './audit-log.ts';
import { CaseErrors } from './errors.ts';
import { validateFormData, type FieldError, type FormDefinition } from './form-schema.ts';
import { duplicateReasons, isPlausibleNationalId, nationalIdHash } from './identity.ts';
import { caseStateAfterReferrals, IllegalTransition, moveCase, moveReferral, referralIsLive, type CaseState, type ReferralAction, type ReferralKind, type ReferralState } from './lifecycle.ts';
import { authorize, visibleFields, type Policy, type Target } from './permissions.ts';
import type { CaseRow, CaseStore, ConsentRow, ReferralWithConsent } from './store.ts';

/** Why a request reads or writes personal data, and request facts for the audit (no personal data). */
export interface AccessContext {
  reason?: string;
  details?: Record<string, unknown>;
}

export interface PersonInput {
  givenName: string;
  familyName: string;
  birthDate?: string;
  sex?: string;
  phone?: string;
  address?: string;
  placeCode: string;
  nationalId?: string;
}

export interface ConsentInput {
  purpose: string;
  fields: string[];
  centreIds?: string[] | null;
  givenOn: string;
  givenBy: string;
}

export interface EngineConfig {
  program: string;
  policy: Policy;
  /** The form new cases use (its latest version). */
  formId: string;
  forms: FormDefinition[];
  /** Purposes a consent may record. */
  purposes: readonly string[];
  /** Known place codes (communes/arrondissements) a person may live in. */
  isPlace(code: string): boolean;
  /** Known centre ids (referral targets). */
  isCentre(id: string): boolean;
  identityKey: Buffer;
  /** Largest attachment, bytes; accepted media types. */
  attachmentMaxBytes: number;
  attachmentTypes: readonly string[];
}

export type EngineEvent = { type: 'referral'; referralId: string; kind: ReferralKind; state: ReferralState; toCentreId: string; fromCentreId: string | null; caseId: string };

const PERSON_FIELDS: Record<string, keyof PersonInput> = {
  'person.givenName': 'givenName',
  'person.familyName': 'familyName',
  'person.birthDate': 'birthDate',
  'person.sex': 'sex',
  'person.phone': 'phone',
  'person.address': 'address',
  'person.placeCode': 'placeCode',
};

/** Thrown inside a transaction to roll it back and then audit the refusal. */
class Denied extends Error {
  constructor(
    readonly action: string,
    readonly subjectType: string,
    readonly subjectId: string | null,
    readonly caseId: string | null,
    readonly problem: Problem,
  ) {
    super(problem.message);
  }
}

const isLive = (r: { kind: ReferralKind; state: ReferralState }) => referralIsLive(r.kind, r.state);

/**
 * Reads identity key settings: MADINA_IDENTITY_KEY (production: required), else in demo mode a random key
 * generated once and kept in case_settings (documented in docs/social.md: fine for a demo, not for real data).
 */
export async function loadIdentityKey(db: Db, store: CaseStore, mode: 'demo' | 'production', envKey: string | undefined): Promise<Buffer> {
  if (envKey) {
    if (envKey.length < 32) throw new ConfigError('MADINA_IDENTITY_KEY must be at least 32 characters');
    return Buffer.from(envKey, 'utf8');
  }
  if (mode === 'production') throw new ConfigError('MADINA_MODE=production needs MADINA_IDENTITY_KEY (at least 32 random characters): national ids are kept as keyed hashes under it');
  return Buffer.from(await store.settingOnce(db, 'identity_key_demo', randomBytes(32).toString('base64url')), 'utf8');
}

export class CaseEngine {
  private readonly listeners: ((e: EngineEvent) => void)[] = [];
  private readonly formsById = new Map<string, FormDefinition>();

  constructor(
    private readonly db: Db,
    private readonly store: CaseStore,
    readonly audit: AuditLog,
    readonly config: EngineConfig,
  ) {
    for (const f of config.forms) this.formsById.set(`${f.id}@${f.version}`, f);
  }

  /** Stores the program's form versions (old versions stay: old cases keep theirs). */
  async installForms(): Promise<void> {
    for (const f of this.config.forms) await this.store.upsertForm(this.db, f);
  }

  onEvent(l: (e: EngineEvent) => void) {
    this.listeners.push(l);
  }

  private emit(events: EngineEvent[]) {
    for (const e of events) for (const l of this.listeners) l(e);
  }

  latestForm(): FormDefinition {
    const versions = this.config.forms.filter((f) => f.id === this.config.formId).sort((a, b) => b.version - a.version);
    return versions[0];
  }

  form(id: string, version: number): FormDefinition | undefined {
    return this.formsById.get(`${id}@${version}`);
  }

  /** Runs a use case in one transaction; a refusal rolls it back and is then audited on its own. */
  private async run<T>(p: Principal, ctx: AccessContext, fn: (tx: Queryable, events: EngineEvent[]) => Promise<T>): Promise<T> {
    const events: EngineEvent[] = [];
    try {
      const out = await this.db.transaction((tx) => fn(tx, events));
      this.emit(events);
      return out;
    } catch (err) {
      if (err instanceof Denied) {
        await this.db.transaction((tx) =>
          this.audit.append(tx, p, {
            action: err.action,
            subjectType: err.subjectType,
            subjectId: err.subjectId,
            caseId: err.caseId,
            reason: ctx.reason,
            outcome: 'denied',
            details: { ...ctx.details, refusal: err.problem.detail },
          }),
        );
        throw err.problem;
      }
      throw err;
    }
  }

  /** Who can reach the case: its commune, owner, and the centres with a live referral or transfer. */
  private async target(tx: Queryable, c: CaseRow): Promise<{ target: Target; referrals: ReferralWithConsent[] }> {
    const referrals = await this.store.referralsOfCase(tx, c.id);
    return {
      referrals,
      target: { communeCode: c.place_code, ownerCentreId: c.owner_centre_id, receivingCentreIds: referrals.filter(isLive).map((r) => r.to_centre_id) },
    };
  }

  private check(p: Principal, action: string, t: Target, subject: { type: string; id: string | null; caseId: string | null }) {
    const d = authorize(this.config.policy, p, action, t);
    if (!d.allowed) throw new Denied(action, subject.type, subject.id, subject.caseId, CaseErrors.forbidden.with(d.reason));
    return d.via;
  }

  private async loadCase(tx: Queryable, id: string, lock = false): Promise<CaseRow> {
    const c = await this.store.caseById(tx, this.config.program, id, lock);
    if (!c) throw CaseErrors.caseNotFound.with(`No case ${id}`);
    return c;
  }

  /** Fields the principal's centre receives through live referrals whose consent still stands. */
  private sharedWith(p: Principal, referrals: ReferralWithConsent[]): string[] {
    if (!p.centreId) return [];
    return [...new Set(referrals.filter((r) => isLive(r) && r.consent_active && r.to_centre_id === p.centreId).flatMap((r) => r.shared_fields))];
  }

  private validatePerson(person: PersonInput, errors: FieldError[]) {
    if (!this.config.isPlace(person.placeCode)) errors.push({ pointer: '/person/placeCode', detail: 'is not a commune or arrondissement of the region' });
    if (person.nationalId !== undefined && !isPlausibleNationalId(person.nationalId)) errors.push({ pointer: '/person/nationalId', detail: 'is not a national id number' });
    if (person.birthDate !== undefined) {
      const d = new Date(`${person.birthDate}T00:00:00Z`);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(person.birthDate) || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== person.birthDate) errors.push({ pointer: '/person/birthDate', detail: 'must be a date (YYYY-MM-DD)' });
      else if (d.getTime() > Date.now()) errors.push({ pointer: '/person/birthDate', detail: 'must not be in the future' });
    }
  }

  private validateConsent(c: ConsentInput, pointer: string, errors: FieldError[]) {
    if (!this.config.purposes.includes(c.purpose)) errors.push({ pointer: `${pointer}/purpose`, detail: `must be one of: ${this.config.purposes.join(', ')}` });
    const shareable = new Set(this.config.policy.shareable);
    c.fields.forEach((f, i) => {
      if (!shareable.has(f)) errors.push({ pointer: `${pointer}/fields/${i}`, detail: `is not a field that may be shared (${[...shareable].join(', ')})` });
    });
    (c.centreIds ?? []).forEach((id, i) => {
      if (!this.config.isCentre(id)) errors.push({ pointer: `${pointer}/centreIds/${i}`, detail: 'is not a known centre' });
    });
    if (!/^\d{4}-\d{2}-\d{2}$/.test(c.givenOn) || Number.isNaN(Date.parse(c.givenOn))) errors.push({ pointer: `${pointer}/givenOn`, detail: 'must be a date (YYYY-MM-DD)' });
  }

  /** Intake: person, case data, consents — all saved or none; possible duplicates flagged. */
  async intake(p: Principal, input: { person: PersonInput; data: Record<string, unknown>; consents?: ConsentInput[] }, ctx: AccessContext = {}) {
    const form = this.latestForm();
    const errors: FieldError[] = [];
    this.validatePerson(input.person, errors);
    errors.push(...validateFormData(form, input.data, '/data'));
    (input.consents ?? []).forEach((c, i) => this.validateConsent(c, `/consents/${i}`, errors));
    return this.run(p, ctx, async (tx) => {
      // Invalid input first: the commune check needs a real place (nothing is read before either).
      if (errors.length) throw CaseErrors.invalidData.with(`${errors.length} field(s) are not valid`, { errors });
      this.check(p, 'case.create', { communeCode: input.person.placeCode }, { type: 'case', id: null, caseId: null });
      const personId = randomUUID();
      const caseId = randomUUID();
      const nid = input.person.nationalId ? nationalIdHash(this.config.identityKey, input.person.nationalId) : null;
      const candidates = await this.store.duplicateCandidates(tx, this.config.program, nid, input.person.birthDate ?? null);
      await this.store.insertPerson(tx, {
        id: personId,
        program: this.config.program,
        given_name: input.person.givenName,
        family_name: input.person.familyName,
        birth_date: input.person.birthDate ?? null,
        sex: input.person.sex ?? null,
        phone: input.person.phone ?? null,
        address: input.person.address ?? null,
        place_code: input.person.placeCode,
        national_id_hash: nid,
        created_by: p.id,
      });
      await this.store.insertCase(tx, {
        id: caseId,
        program: this.config.program,
        person_id: personId,
        form_id: form.id,
        form_version: form.version,
        data: input.data,
        state: 'open',
        place_code: input.person.placeCode,
        owner_centre_id: p.centreId ?? null,
        assigned_to: p.id,
        opened_by: p.id,
      });
      const flagged: { caseId: string; reasons: string[] }[] = [];
      for (const other of candidates) {
        const reasons = duplicateReasons({ nationalIdHash: nid, ...input.person }, { nationalIdHash: other.national_id_hash, givenName: other.given_name, familyName: other.family_name, birthDate: other.birth_date });
        if (!reasons.length) continue;
        for (const otherCase of other.case_ids) {
          await this.store.insertDuplicate(tx, caseId, otherCase, reasons);
          await this.store.insertDuplicate(tx, otherCase, caseId, reasons);
          flagged.push({ caseId: otherCase, reasons });
        }
      }
      for (const c of input.consents ?? []) {
        await this.store.insertConsent(tx, { id: randomUUID(), case_id: caseId, purpose: c.purpose, fields: c.fields, centre_ids: c.centreIds ?? null, given_on: c.givenOn, given_by: c.givenBy, recorded_by: p.id });
      }
      await this.audit.append(tx, p, {
        action: 'case.create',
        subjectType: 'case',
        subjectId: caseId,
        caseId,
        reason: ctx.reason ?? 'intake',
        details: { ...ctx.details, formVersion: form.version, consents: (input.consents ?? []).length, possibleDuplicates: flagged.length },
      });
      return this.view(tx, p, (await this.store.caseById(tx, this.config.program, caseId))!);
    });
  }

  /** The case as the principal may see it: fields it may not see are absent. */
  private async view(tx: Queryable, p: Principal, c: CaseRow) {
    const { target, referrals } = await this.target(tx, c);
    const fields = visibleFields(this.config.policy, p, 'case.read', target, this.sharedWith(p, referrals));
    const person = await this.store.personById(tx, c.person_id);
    const personOut: Record<string, unknown> = {};
    if (person) {
      const values: Record<string, unknown> = {
        givenName: person.given_name,
        familyName: person.family_name,
        birthDate: person.birth_date,
        sex: person.sex,
        phone: person.phone,
        address: person.address,
        placeCode: person.place_code,
      };
      for (const [field, key] of Object.entries(PERSON_FIELDS)) if (fields.has(field) && values[key] !== null && values[key] !== undefined) personOut[key] = values[key];
    }
    const dataOut: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(c.data)) {
      const field = `case.${k}` in this.config.policy.fields ? `case.${k}` : 'case.situation';
      if (fields.has(field)) dataOut[k] = v;
    }
    const out: Record<string, unknown> = {
      id: c.id,
      program: c.program,
      state: c.state,
      form: { id: c.form_id, version: c.form_version },
      ownerCentreId: c.owner_centre_id,
      assignedTo: c.assigned_to,
      openedAt: new Date(c.created_at).toISOString(),
      updatedAt: new Date(c.updated_at).toISOString(),
      closedAt: c.closed_at ? new Date(c.closed_at).toISOString() : null,
      person: personOut,
      data: dataOut,
      referrals: referrals.map(referralOut),
    };
    if (fields.has('case.notes')) out.notes = (await this.store.notes(tx, c.id)).map((n) => ({ id: n.id, body: n.body, author: n.author_name, createdAt: new Date(n.created_at).toISOString() }));
    if (fields.has('case.followups')) out.followups = (await this.store.followups(tx, c.id)).map((f) => ({ id: f.id, title: f.title, dueOn: f.due_on, doneAt: f.done_at ? new Date(f.done_at).toISOString() : null }));
    if (fields.has('case.services')) out.services = (await this.store.services(tx, c.id)).map((s) => ({ id: s.id, service: s.service, centreId: s.centre_id, referralId: s.referral_id, deliveredOn: s.delivered_on, note: s.note }));
    if (fields.has('case.attachments')) out.attachments = (await this.store.attachments(tx, c.id)).map((a) => ({ id: a.id, name: a.name, mediaType: a.media_type, sizeBytes: a.size_bytes, createdAt: new Date(a.created_at).toISOString() }));
    if (fields.has('case.consents')) out.consents = (await this.store.consents(tx, c.id)).map(consentOut);
    if (fields.has('case.duplicates')) out.possibleDuplicates = (await this.store.duplicates(tx, c.id)).map((d) => ({ caseId: d.other_case_id, reasons: d.reasons }));
    out.access = { fields: [...fields].sort() };
    return out;
  }

  async read(p: Principal, id: string, ctx: AccessContext = {}) {
    return this.run(p, ctx, async (tx) => {
      const c = await this.loadCase(tx, id);
      const { target } = await this.target(tx, c);
      const via = this.check(p, 'case.read', target, { type: 'case', id, caseId: id });
      const view = await this.view(tx, p, c);
      await this.audit.append(tx, p, { action: 'case.read', subjectType: 'case', subjectId: id, caseId: id, reason: ctx.reason, details: { ...ctx.details, via, fields: (view.access as { fields: string[] }).fields.length } });
      return view;
    });
  }

  /** Cases the principal may list (its communes, its centre's cases); summary fields only, filtered. */
  async list(p: Principal, f: { state?: string; limit: number; offset: number }, ctx: AccessContext = {}) {
    return this.run(p, ctx, async (tx) => {
      const scopes = p.roles.includes('administrator') ? ['any'] : p.roles.flatMap((r) => this.config.policy.actions['case.list']?.[r] ?? []);
      if (!scopes.length) throw new Denied('case.list', 'case', null, null, CaseErrors.forbidden.with('no role of yours may list cases'));
      const places = scopes.includes('any') || (scopes.includes('commune') && p.communes.includes('*')) ? ('*' as const) : scopes.includes('commune') ? p.communes : [];
      const owner = scopes.includes('owner') ? (p.centreId ?? null) : null;
      const { rows, total } = await this.store.listCases(tx, this.config.program, { places, ownerCentreId: owner, state: f.state, limit: f.limit, offset: f.offset });
      const items = [];
      for (const c of rows) {
        const v = await this.view(tx, p, c);
        items.push({ id: v.id, state: v.state, ownerCentreId: v.ownerCentreId, openedAt: v.openedAt, updatedAt: v.updatedAt, person: v.person, needs: (v.data as Record<string, unknown>).needs });
      }
      await this.audit.append(tx, p, { action: 'case.list', subjectType: 'case', reason: ctx.reason, details: { ...ctx.details, caseIds: rows.map((r) => r.id), total } });
      return { items, total, limit: f.limit, offset: f.offset };
    });
  }

  /** Replaces the case data; validated against the case's own form version. */
  async update(p: Principal, id: string, data: Record<string, unknown>, ctx: AccessContext = {}) {
    return this.run(p, ctx, async (tx) => {
      const c = await this.loadCase(tx, id, true);
      const { target } = await this.target(tx, c);
      this.check(p, 'case.update', target, { type: 'case', id, caseId: id });
      const form = this.form(c.form_id, c.form_version);
      const errors = form ? validateFormData(form, data, '/data') : [];
      if (errors.length) throw CaseErrors.invalidData.with(`${errors.length} field(s) are not valid`, { errors });
      if (c.state === 'closed') throw CaseErrors.illegalTransition.with('A closed case is read-only; reopen it first');
      await this.store.updateCase(tx, id, { data });
      await this.audit.append(tx, p, { action: 'case.update', subjectType: 'case', subjectId: id, caseId: id, reason: ctx.reason, details: { ...ctx.details, keys: Object.keys(data).sort() } });
      return this.view(tx, p, (await this.loadCase(tx, id))!);
    });
  }

  /** Moves the case: active, closed, reopened (referred follows the referrals). */
  async transition(p: Principal, id: string, to: CaseState, ctx: AccessContext = {}) {
    const action = to === 'closed' ? 'case.close' : to === 'reopened' ? 'case.reopen' : 'case.update';
    return this.run(p, ctx, async (tx) => {
      const c = await this.loadCase(tx, id, true);
      const { target, referrals } = await this.target(tx, c);
      this.check(p, action, target, { type: 'case', id, caseId: id });
      if (to === 'referred') throw CaseErrors.illegalTransition.with('A case becomes referred by sending a referral');
      if (to === 'active' && c.state === 'referred' && referrals.some(isLive)) throw CaseErrors.illegalTransition.with('The case has live referrals');
      try {
        moveCase(c.state, to);
      } catch (err) {
        if (err instanceof IllegalTransition) throw CaseErrors.illegalTransition.with(err.message);
        throw err;
      }
      await this.store.updateCase(tx, id, { state: to, closed: to === 'closed' ? true : to === 'reopened' ? false : undefined });
      await this.audit.append(tx, p, { action, subjectType: 'case', subjectId: id, caseId: id, reason: ctx.reason, details: { ...ctx.details, from: c.state, to } });
      return this.view(tx, p, (await this.loadCase(tx, id))!);
    });
  }

  async assign(p: Principal, id: string, userId: string | null, ctx: AccessContext = {}) {
    return this.run(p, ctx, async (tx) => {
      const c = await this.loadCase(tx, id, true);
      const { target } = await this.target(tx, c);
      this.check(p, 'case.assign', target, { type: 'case', id, caseId: id });
      await this.store.updateCase(tx, id, { assigned_to: userId });
      await this.audit.append(tx, p, { action: 'case.assign', subjectType: 'case', subjectId: id, caseId: id, reason: ctx.reason, details: { ...ctx.details, assignedTo: userId } });
      return this.view(tx, p, (await this.loadCase(tx, id))!);
    });
  }

  /** Adds something to a case under an action (note, follow-up, service, attachment); audited. */
  private async addToCase<T>(p: Principal, id: string, action: string, ctx: AccessContext, fn: (tx: Queryable, c: CaseRow, sub: string) => Promise<T>): Promise<{ id: string; result: T }> {
    return this.run(p, ctx, async (tx) => {
      const c = await this.loadCase(tx, id, true);
      const { target } = await this.target(tx, c);
      this.check(p, action, target, { type: 'case', id, caseId: id });
      const sub = randomUUID();
      const result = await fn(tx, c, sub);
      await this.audit.append(tx, p, { action, subjectType: action.split('.')[0], subjectId: sub, caseId: id, reason: ctx.reason, details: { ...ctx.details } });
      return { id: sub, result };
    });
  }

  async addNote(p: Principal, id: string, body: string, ctx: AccessContext = {}) {
    return (await this.addToCase(p, id, 'note.add', ctx, (tx, c, sub) => this.store.insertNote(tx, { id: sub, case_id: c.id, body, author_id: p.id, author_name: p.name }))).id;
  }

  async addFollowup(p: Principal, id: string, f: { title: string; dueOn: string }, ctx: AccessContext = {}) {
    if (Number.isNaN(Date.parse(f.dueOn))) throw CaseErrors.invalidData.with('dueOn is not a date', { errors: [{ pointer: '/dueOn', detail: 'must be a date (YYYY-MM-DD)' }] });
    return (await this.addToCase(p, id, 'followup.add', ctx, (tx, c, sub) => this.store.insertFollowup(tx, { id: sub, case_id: c.id, title: f.title, due_on: f.dueOn, created_by: p.id }))).id;
  }

  async completeFollowup(p: Principal, id: string, followupId: string, ctx: AccessContext = {}) {
    await this.addToCase(p, id, 'followup.add', { ...ctx, details: { ...ctx.details, followupId, done: true } }, async (tx, c) => {
      if (!/^[0-9a-f-]{36}$/i.test(followupId) || !(await this.store.completeFollowup(tx, c.id, followupId))) throw CaseErrors.followupNotFound.with();
    });
  }

  /** Records a service delivered; by the owner, or by a receiving centre on its accepted referral. */
  async recordService(p: Principal, id: string, s: { service: string; deliveredOn: string; note?: string; referralId?: string }, ctx: AccessContext = {}) {
    if (Number.isNaN(Date.parse(s.deliveredOn))) throw CaseErrors.invalidData.with('deliveredOn is not a date', { errors: [{ pointer: '/deliveredOn', detail: 'must be a date (YYYY-MM-DD)' }] });
    return (
      await this.addToCase(p, id, 'service.record', ctx, async (tx, c, sub) => {
        if (c.state === 'closed') throw CaseErrors.illegalTransition.with('The case is closed');
        const moved = c.state === 'open' || c.state === 'reopened';
        await this.store.insertService(tx, { id: sub, case_id: c.id, service: s.service, centre_id: p.centreId ?? null, referral_id: s.referralId ?? null, delivered_on: s.deliveredOn, note: s.note ?? null, recorded_by: p.id });
        if (moved) await this.store.updateCase(tx, c.id, { state: 'active' });
      })
    ).id;
  }

  async addAttachment(p: Principal, id: string, a: { name: string; mediaType: string; content: Buffer }, ctx: AccessContext = {}) {
    if (!this.config.attachmentTypes.includes(a.mediaType)) throw CaseErrors.attachmentType.with(`Accepted: ${this.config.attachmentTypes.join(', ')}`);
    if (a.content.length > this.config.attachmentMaxBytes) throw CaseErrors.attachmentTooLarge.with(`At most ${this.config.attachmentMaxBytes} bytes`);
    if (!sniffMatches(a.mediaType, a.content)) throw CaseErrors.attachmentType.with(`The content is not ${a.mediaType}`);
    return (
      await this.addToCase(p, id, 'attachment.add', { ...ctx, details: { ...ctx.details, mediaType: a.mediaType, sizeBytes: a.content.length } }, (tx, c, sub) =>
        this.store.insertAttachment(tx, { id: sub, case_id: c.id, name: a.name, media_type: a.mediaType, content: a.content, uploaded_by: p.id }),
      )
    ).id;
  }

  async readAttachment(p: Principal, id: string, attachmentId: string, ctx: AccessContext = {}) {
    return this.run(p, ctx, async (tx) => {
      const c = await this.loadCase(tx, id);
      const { target } = await this.target(tx, c);
      this.check(p, 'attachment.read', target, { type: 'attachment', id: attachmentId, caseId: id });
      const a = await this.store.attachment(tx, id, attachmentId);
      if (!a) throw CaseErrors.attachmentNotFound.with();
      await this.audit.append(tx, p, { action: 'attachment.read', subjectType: 'attachment', subjectId: attachmentId, caseId: id, reason: ctx.reason, details: { ...ctx.details } });
      return a;
    });
  }

  async recordConsent(p: Principal, id: string, c: ConsentInput, ctx: AccessContext = {}) {
    const errors: FieldError[] = [];
    this.validateConsent(c, '', errors);
    if (errors.length) throw CaseErrors.invalidData.with(`${errors.length} field(s) are not valid`, { errors });
    return (
      await this.addToCase(p, id, 'consent.record', { ...ctx, details: { ...ctx.details, purpose: c.purpose } }, (tx, k, sub) =>
        this.store.insertConsent(tx, { id: sub, case_id: k.id, purpose: c.purpose, fields: c.fields, centre_ids: c.centreIds ?? null, given_on: c.givenOn, given_by: c.givenBy, recorded_by: p.id }),
      )
    ).id;
  }

  /** Withdraws a consent: pending referrals resting on it are cancelled, accepted ones stop sharing at once. */
  async withdrawConsent(p: Principal, id: string, consentId: string, reason: string, ctx: AccessContext = {}) {
    return this.run(p, ctx, async (tx, events) => {
      const c = await this.loadCase(tx, id, true);
      const { target } = await this.target(tx, c);
      this.check(p, 'consent.withdraw', target, { type: 'consent', id: consentId, caseId: id });
      if (!(await this.store.withdrawConsent(tx, id, consentId, p.id, reason))) throw CaseErrors.consentNotFound.with('No such consent on this case, or it is already withdrawn');
      const cancelled = await this.store.pendingOnConsent(tx, consentId);
      for (const r of cancelled) {
        await this.store.updateReferral(tx, r.id, { state: 'cancelled', decline_reason: 'consent withdrawn' });
        events.push({ type: 'referral', referralId: r.id, kind: r.kind, state: 'cancelled', toCentreId: r.to_centre_id, fromCentreId: r.from_centre_id, caseId: id });
      }
      const live = (await this.store.referralsOfCase(tx, id)).filter(isLive).length;
      const next = caseStateAfterReferrals(c.state, live);
      if (next !== c.state) await this.store.updateCase(tx, id, { state: next });
      await this.audit.append(tx, p, { action: 'consent.withdraw', subjectType: 'consent', subjectId: consentId, caseId: id, reason: ctx.reason ?? reason, details: { ...ctx.details, cancelledReferrals: cancelled.map((r) => r.id) } });
      // Accepted referrals on this consent keep their state but share nothing from now on.
      return { cancelledReferrals: cancelled.map((r) => r.id) };
    });
  }

  /** The consent that covers sharing these fields with this centre for this purpose, if any. */
  static coveringConsent(consents: ConsentRow[], purpose: string, centreId: string, fields: string[]): ConsentRow | undefined {
    return consents.find((c) => !c.withdrawn_at && c.purpose === purpose && (!c.centre_ids || c.centre_ids.includes(centreId)) && fields.every((f) => c.fields.includes(f)));
  }

  /** Sends a referral (or a transfer of ownership): needs a standing consent that covers it. */
  async send(p: Principal, id: string, r: { kind: ReferralKind; toCentreId: string; reason: string; services: string[]; sharedFields: string[]; consentId?: string }, ctx: AccessContext = {}) {
    const errors: FieldError[] = [];
    if (!this.config.isCentre(r.toCentreId)) errors.push({ pointer: '/toCentreId', detail: 'is not a known centre' });
    const shareable = new Set(this.config.policy.shareable);
    r.sharedFields.forEach((f, i) => {
      if (!shareable.has(f)) errors.push({ pointer: `/sharedFields/${i}`, detail: 'is not a field that may be shared' });
    });
    if (!r.reason.trim()) errors.push({ pointer: '/reason', detail: 'is required' });
    const action = r.kind === 'transfer' ? 'transfer.send' : 'referral.send';
    return this.run(p, ctx, async (tx, events) => {
      const c = await this.loadCase(tx, id, true);
      const { target } = await this.target(tx, c);
      this.check(p, action, target, { type: r.kind, id: null, caseId: id });
      if (errors.length) throw CaseErrors.invalidData.with(`${errors.length} field(s) are not valid`, { errors });
      if (c.state === 'closed') throw CaseErrors.illegalTransition.with('The case is closed');
      if (r.toCentreId === c.owner_centre_id) throw CaseErrors.illegalTransition.with('The case is already owned by this centre');
      const purpose = r.kind;
      const consents = await this.store.consents(tx, id);
      const consent = r.consentId ? consents.find((x) => x.id === r.consentId) : CaseEngine.coveringConsent(consents, purpose, r.toCentreId, r.sharedFields);
      if (!consent || !CaseEngine.coveringConsent([consent], purpose, r.toCentreId, r.sharedFields)) {
        throw CaseErrors.consentRequired.with(`Record the person's consent for "${purpose}" to ${r.toCentreId} covering: ${r.sharedFields.join(', ') || '(no fields)'}`);
      }
      const referralId = randomUUID();
      await this.store.insertReferral(tx, { id: referralId, case_id: id, kind: r.kind, from_centre_id: c.owner_centre_id, to_centre_id: r.toCentreId, reason: r.reason, services: r.services, shared_fields: r.sharedFields, consent_id: consent.id, sent_by: p.id });
      if (r.kind === 'referral') {
        const next = caseStateAfterReferrals(c.state, 1);
        if (next !== c.state) await this.store.updateCase(tx, id, { state: moveCase(c.state, next) });
      }
      await this.audit.append(tx, p, { action, subjectType: r.kind, subjectId: referralId, caseId: id, reason: ctx.reason ?? r.reason, details: { ...ctx.details, toCentreId: r.toCentreId, sharedFields: r.sharedFields, consentId: consent.id } });
      events.push({ type: 'referral', referralId, kind: r.kind, state: 'pending', toCentreId: r.toCentreId, fromCentreId: c.owner_centre_id, caseId: id });
      return referralOut((await this.store.referralById(tx, this.config.program, referralId))!);
    });
  }

  /** Accept, decline (with a reason), complete (with an outcome) or cancel a referral or transfer. */
  async act(p: Principal, referralId: string, action: ReferralAction, body: { reason?: string; outcome?: string }, ctx: AccessContext = {}) {
    return this.run(p, ctx, async (tx, events) => {
      const r = await this.store.referralById(tx, this.config.program, referralId, true);
      if (!r) throw CaseErrors.referralNotFound.with();
      const c = await this.loadCase(tx, r.case_id, true);
      const permission = `${r.kind}.${action}`;
      // The receiver acts on what it receives (even after it stopped being live, to see the refusal).
      const target: Target = { communeCode: c.place_code, ownerCentreId: c.owner_centre_id, receivingCentreIds: [r.to_centre_id] };
      this.check(p, permission, target, { type: r.kind, id: r.id, caseId: c.id });
      if (action === 'decline' && !body.reason?.trim()) throw CaseErrors.invalidData.with('A decline needs a reason', { errors: [{ pointer: '/reason', detail: 'is required' }] });
      if (action === 'complete' && !body.outcome?.trim()) throw CaseErrors.invalidData.with('Completing needs an outcome', { errors: [{ pointer: '/outcome', detail: 'is required' }] });
      let next: ReferralState;
      try {
        next = moveReferral(r.kind, r.state, action);
      } catch (err) {
        if (err instanceof IllegalTransition) throw CaseErrors.illegalTransition.with(`A ${r.kind} that is ${r.state} cannot be ${action === 'cancel' ? 'cancelled' : `${action}ed`.replace('eed', 'ed')}`);
        throw err;
      }
      if (action === 'accept' && !r.consent_active) throw CaseErrors.consentRequired.with('The consent behind this referral was withdrawn');
      await this.store.updateReferral(tx, r.id, { state: next, decline_reason: action === 'decline' || action === 'cancel' ? body.reason : undefined, outcome: body.outcome });
      if (r.kind === 'transfer' && next === 'accepted') await this.store.updateCase(tx, c.id, { owner_centre_id: r.to_centre_id, assigned_to: null });
      if (r.kind === 'referral') {
        const live = (await this.store.referralsOfCase(tx, c.id)).filter(isLive).length;
        const after = caseStateAfterReferrals(c.state, live);
        if (after !== c.state) await this.store.updateCase(tx, c.id, { state: after });
      }
      await this.audit.append(tx, p, { action: permission, subjectType: r.kind, subjectId: r.id, caseId: c.id, reason: ctx.reason ?? body.reason ?? body.outcome ?? null, details: { ...ctx.details, from: r.state, to: next } });
      events.push({ type: 'referral', referralId: r.id, kind: r.kind, state: next, toCentreId: r.to_centre_id, fromCentreId: r.from_centre_id, caseId: c.id });
      return referralOut((await this.store.referralById(tx, this.config.program, r.id))!);
    });
  }

  /** A centre's referral inbox: each item with only the fields its referral shares (and its consent covers). */
  async inbox(p: Principal, centreId: string, f: { states: string[]; limit: number; offset: number }, ctx: AccessContext = {}) {
    return this.run(p, ctx, async (tx) => {
      this.check(p, 'inbox.read', { centreId }, { type: 'inbox', id: centreId, caseId: null });
      const { rows, total } = await this.store.inbox(tx, this.config.program, centreId, f.states, f.limit, f.offset);
      const items = [];
      for (const r of rows) {
        const c = (await this.store.caseById(tx, this.config.program, r.case_id))!;
        const shared = isLive(r) && r.consent_active ? r.shared_fields : [];
        const receiver: Principal = { ...p, centreId };
        const fields = visibleFields(this.config.policy, receiver, 'case.read', { communeCode: null, ownerCentreId: null, receivingCentreIds: [centreId] }, shared);
        const person = await this.store.personById(tx, c.person_id);
        const personOut: Record<string, unknown> = {};
        const values: Record<string, unknown> = person ? { givenName: person.given_name, familyName: person.family_name, birthDate: person.birth_date, sex: person.sex, phone: person.phone, address: person.address, placeCode: person.place_code } : {};
        for (const [field, key] of Object.entries(PERSON_FIELDS)) if (fields.has(field) && values[key] != null) personOut[key] = values[key];
        const dataOut: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(c.data)) {
          const field = `case.${k}` in this.config.policy.fields ? `case.${k}` : 'case.situation';
          if (fields.has(field)) dataOut[k] = v;
        }
        items.push({ ...referralOut(r), person: personOut, data: dataOut });
      }
      await this.audit.append(tx, p, { action: 'inbox.read', subjectType: 'inbox', subjectId: centreId, reason: ctx.reason, details: { ...ctx.details, referralIds: rows.map((r) => r.id) } });
      return { items, total, limit: f.limit, offset: f.offset };
    });
  }

  /** Checks a program-level action (no case involved); a refusal is audited. */
  async require(p: Principal, action: string, t: Target, subject: { type: string; id: string | null }, ctx: AccessContext = {}): Promise<void> {
    await this.run(p, ctx, async () => {
      this.check(p, action, t, { ...subject, caseId: null });
    });
  }

  /** Audits a refusal that happened before the engine (401/403 from platform/auth). */
  async auditRefusal(p: Principal, status: 401 | 403, details: Record<string, unknown>) {
    await this.db.transaction((tx) =>
      this.audit.append(tx, p, { action: 'access.denied', subjectType: 'route', subjectId: String(details.route ?? ''), outcome: status === 401 ? 'unauthenticated' : 'denied', details }),
    );
  }

  /** Records an action of the program itself (orientation choice) in the audit, in its transaction. */
  async runAudited<T>(p: Principal, caseId: string, action: string, ctx: AccessContext, fn: (tx: Queryable, c: CaseRow) => Promise<{ result: T; details?: Record<string, unknown>; subjectId?: string }>): Promise<T> {
    return this.run(p, ctx, async (tx) => {
      const c = await this.loadCase(tx, caseId);
      const { target } = await this.target(tx, c);
      this.check(p, action, target, { type: 'case', id: caseId, caseId });
      const out = await fn(tx, c);
      await this.audit.append(tx, p, { action, subjectType: action.split('.')[0], subjectId: out.subjectId ?? caseId, caseId, reason: ctx.reason, details: { ...ctx.details, ...out.details } });
      return out.result;
    });
  }
}

function referralOut(r: ReferralWithConsent) {
  return {
    id: r.id,
    kind: r.kind,
    caseId: r.case_id,
    fromCentreId: r.from_centre_id,
    toCentreId: r.to_centre_id,
    state: r.state,
    reason: r.reason,
    services: r.services,
    sharedFields: r.shared_fields,
    consentId: r.consent_id,
    consentActive: r.consent_active,
    declineReason: r.decline_reason,
    outcome: r.outcome,
    sentAt: new Date(r.created_at).toISOString(),
    acceptedAt: r.accepted_at ? new Date(r.accepted_at).toISOString() : null,
    closedAt: r.closed_at ? new Date(r.closed_at).toISOString() : null,
  };
}

function consentOut(c: ConsentRow) {
  return {
    id: c.id,
    purpose: c.purpose,
    fields: c.fields,
    centreIds: c.centre_ids,
    givenOn: c.given_on,
    givenBy: c.given_by,
    recordedAt: new Date(c.recorded_at).toISOString(),
    withdrawnAt: c.withdrawn_at ? new Date(c.withdrawn_at).toISOString() : null,
    withdrawalReason: c.withdrawal_reason,
  };
}

/** The first bytes of an attachment must match its declared type (no executable named .pdf). */
function sniffMatches(mediaType: string, b: Buffer): boolean {
  const starts = (...bytes: number[]) => bytes.every((x, i) => b[i] === x);
  switch (mediaType) {
    case 'application/pdf':
      return starts(0x25, 0x50, 0x44, 0x46);
    case 'image/png':
      return starts(0x89, 0x50, 0x4e, 0x47);
    case 'image/jpeg':
      return starts(0xff, 0xd8, 0xff);
    case 'text/plain':
      return !b.includes(0);
    default:
      return true;
  }
}
