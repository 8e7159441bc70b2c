/** The only SQL of the case engine. Every method takes the Queryable it runs on (db or transaction). */
import type { Queryable } from '../../platform/db/db.ts';
import type { ChainedEntry } from './audit-chain.ts';
import type { CaseState, ReferralKind, ReferralState } from './lifecycle.ts';

export interface PersonRow {
  id: string;
  program: string;
  given_name: string;
  family_name: string;
  birth_date: string | null;
  sex: string | null;
  phone: string | null;
  address: string | null;
  place_code: string;
  national_id_hash: string | null;
}

export interface CaseRow {
  id: string;
  program: string;
  person_id: string;
  form_id: string;
  form_version: number;
  data: Record<string, unknown>;
  state: CaseState;
  place_code: string;
  owner_centre_id: string | null;
  assigned_to: string | null;
  opened_by: string;
  created_at: Date;
  updated_at: Date;
  closed_at: Date | null;
}

export interface ConsentRow {
  id: string;
  case_id: string;
  purpose: string;
  fields: string[];
  centre_ids: string[] | null;
  given_on: string;
  given_by: string;
  recorded_by: string;
  recorded_at: Date;
  withdrawn_at: Date | null;
  withdrawn_by: string | null;
  withdrawal_reason: string | null;
}

export interface ReferralRow {
  id: string;
  case_id: string;
  kind: ReferralKind;
  from_centre_id: string | null;
  to_centre_id: string;
  reason: string;
  services: string[];
  shared_fields: string[];
  consent_id: string;
  state: ReferralState;
  decline_reason: string | null;
  outcome: string | null;
  sent_by: string;
  created_at: Date;
  updated_at: Date;
  accepted_at: Date | null;
  closed_at: Date | null;
}

/** A referral with whether its consent still stands (withdrawn consent = nothing shared). */
export interface ReferralWithConsent extends ReferralRow {
  consent_active: boolean;
}

const DATE_COLS = "to_char(birth_date, 'YYYY-MM-DD') AS birth_date";

export class CaseStore {
  // --- settings and forms
  async setting(q: Queryable, key: string): Promise<string | undefined> {
    return (await q.query<{ value: string }>('SELECT value FROM case_settings WHERE key = $1', [key])).rows[0]?.value;
  }

  /** Inserts the value unless the key exists; returns the stored value either way. */
  async settingOnce(q: Queryable, key: string, value: string): Promise<string> {
    await q.query('INSERT INTO case_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, value]);
    return (await this.setting(q, key))!;
  }

  async upsertForm(q: Queryable, f: { id: string; version: number; title: unknown; schema: unknown }): Promise<void> {
    await q.query('INSERT INTO case_forms (id, version, title, schema) VALUES ($1, $2, $3, $4) ON CONFLICT (id, version) DO NOTHING', [f.id, f.version, JSON.stringify(f.title), JSON.stringify(f.schema)]);
  }

  async forms(q: Queryable, id: string): Promise<{ id: string; version: number; title: { fr: string; ar: string }; schema: Record<string, unknown> }[]> {
    return (await q.query<any>('SELECT id, version, title, schema FROM case_forms WHERE id = $1 ORDER BY version', [id])).rows;
  }

  // --- persons and cases
  async insertPerson(q: Queryable, p: PersonRow & { created_by: string }): Promise<void> {
    await q.query(
      `INSERT INTO case_persons (id, program, given_name, family_name, birth_date, sex, phone, address, place_code, national_id_hash, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [p.id, p.program, p.given_name, p.family_name, p.birth_date, p.sex, p.phone, p.address, p.place_code, p.national_id_hash, p.created_by],
    );
  }

  /** Persons of a program that may be the same as a new one: same id hash or same birth date. */
  async duplicateCandidates(q: Queryable, program: string, nidHash: string | null, birthDate: string | null): Promise<(PersonRow & { case_ids: string[] })[]> {
    return (
      await q.query<PersonRow & { case_ids: string[] }>(
        `SELECT p.id, p.program, p.given_name, p.family_name, ${DATE_COLS.replace('birth_date', 'p.birth_date')}, p.national_id_hash,
                array_agg(c.id::text) AS case_ids
           FROM case_persons p JOIN case_cases c ON c.person_id = p.id
          WHERE p.program = $1 AND ((p.national_id_hash IS NOT NULL AND p.national_id_hash = $2) OR (p.birth_date IS NOT NULL AND p.birth_date = $3::date))
          GROUP BY p.id LIMIT 50`,
        [program, nidHash, birthDate],
      )
    ).rows;
  }

  async insertCase(q: Queryable, c: Omit<CaseRow, 'created_at' | 'updated_at' | 'closed_at'>): Promise<void> {
    await q.query(
      `INSERT INTO case_cases (id, program, person_id, form_id, form_version, data, state, place_code, owner_centre_id, assigned_to, opened_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [c.id, c.program, c.person_id, c.form_id, c.form_version, JSON.stringify(c.data), c.state, c.place_code, c.owner_centre_id, c.assigned_to, c.opened_by],
    );
  }

  async insertDuplicate(q: Queryable, caseId: string, other: string, reasons: string[]): Promise<void> {
    await q.query('INSERT INTO case_duplicates (case_id, other_case_id, reasons) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [caseId, other, reasons]);
  }

  async duplicates(q: Queryable, caseId: string): Promise<{ other_case_id: string; reasons: string[] }[]> {
    return (await q.query<any>('SELECT other_case_id, reasons FROM case_duplicates WHERE case_id = $1 ORDER BY other_case_id', [caseId])).rows;
  }

  async caseById(q: Queryable, program: string, id: string, lock = false): Promise<CaseRow | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    return (await q.query<CaseRow>(`SELECT * FROM case_cases WHERE program = $1 AND id = $2${lock ? ' FOR UPDATE' : ''}`, [program, id])).rows[0];
  }

  async personById(q: Queryable, id: string): Promise<PersonRow | undefined> {
    return (await q.query<PersonRow>(`SELECT id, program, given_name, family_name, ${DATE_COLS}, sex, phone, address, place_code, national_id_hash FROM case_persons WHERE id = $1`, [id])).rows[0];
  }

  async listCases(
    q: Queryable,
    program: string,
    f: { places: string[] | '*'; ownerCentreId?: string | null; state?: string; limit: number; offset: number },
  ): Promise<{ rows: CaseRow[]; total: number }> {
    const where = ['program = $1'];
    const params: unknown[] = [program];
    const or: string[] = [];
    if (f.places === '*') or.push('true');
    else if (f.places.length) {
      params.push(f.places);
      or.push(`place_code = ANY($${params.length})`);
    }
    if (f.ownerCentreId) {
      params.push(f.ownerCentreId);
      or.push(`owner_centre_id = $${params.length}`);
    }
    where.push(or.length ? `(${or.join(' OR ')})` : 'false');
    if (f.state) {
      params.push(f.state);
      where.push(`state = $${params.length}`);
    }
    const total = Number((await q.query<{ n: string }>(`SELECT count(*) AS n FROM case_cases WHERE ${where.join(' AND ')}`, params)).rows[0].n);
    params.push(f.limit, f.offset);
    const rows = (await q.query<CaseRow>(`SELECT * FROM case_cases WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id LIMIT $${params.length - 1} OFFSET $${params.length}`, params)).rows;
    return { rows, total };
  }

  async updateCase(q: Queryable, id: string, set: { data?: unknown; state?: CaseState; owner_centre_id?: string | null; assigned_to?: string | null; closed?: boolean }): Promise<void> {
    const sets = ['updated_at = now()'];
    const params: unknown[] = [id];
    const add = (col: string, v: unknown) => {
      params.push(v);
      sets.push(`${col} = $${params.length}`);
    };
    if (set.data !== undefined) add('data', JSON.stringify(set.data));
    if (set.state !== undefined) add('state', set.state);
    if (set.owner_centre_id !== undefined) add('owner_centre_id', set.owner_centre_id);
    if (set.assigned_to !== undefined) add('assigned_to', set.assigned_to);
    if (set.closed === true) sets.push('closed_at = now()');
    if (set.closed === false) sets.push('closed_at = NULL');
    await q.query(`UPDATE case_cases SET ${sets.join(', ')} WHERE id = $1`, params);
  }

  // --- notes, follow-ups, services, attachments
  async insertNote(q: Queryable, n: { id: string; case_id: string; body: string; author_id: string; author_name: string }) {
    await q.query('INSERT INTO case_notes (id, case_id, body, author_id, author_name) VALUES ($1, $2, $3, $4, $5)', [n.id, n.case_id, n.body, n.author_id, n.author_name]);
  }
  async notes(q: Queryable, caseId: string) {
    return (await q.query<any>('SELECT id, body, author_name, created_at FROM case_notes WHERE case_id = $1 ORDER BY created_at, id', [caseId])).rows;
  }
  async insertFollowup(q: Queryable, f: { id: string; case_id: string; title: string; due_on: string; created_by: string }) {
    await q.query('INSERT INTO case_followups (id, case_id, title, due_on, created_by) VALUES ($1, $2, $3, $4, $5)', [f.id, f.case_id, f.title, f.due_on, f.created_by]);
  }
  async completeFollowup(q: Queryable, caseId: string, id: string): Promise<boolean> {
    return (await q.query('UPDATE case_followups SET done_at = now() WHERE case_id = $1 AND id = $2 AND done_at IS NULL', [caseId, id])).rowCount > 0;
  }
  async followups(q: Queryable, caseId: string) {
    return (await q.query<any>("SELECT id, title, to_char(due_on, 'YYYY-MM-DD') AS due_on, done_at, created_at FROM case_followups WHERE case_id = $1 ORDER BY due_on, id", [caseId])).rows;
  }
  async insertService(q: Queryable, s: { id: string; case_id: string; service: string; centre_id: string | null; referral_id: string | null; delivered_on: string; note: string | null; recorded_by: string }) {
    await q.query('INSERT INTO case_services (id, case_id, service, centre_id, referral_id, delivered_on, note, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
      s.id,
      s.case_id,
      s.service,
      s.centre_id,
      s.referral_id,
      s.delivered_on,
      s.note,
      s.recorded_by,
    ]);
  }
  async services(q: Queryable, caseId: string) {
    return (await q.query<any>("SELECT id, service, centre_id, referral_id, to_char(delivered_on, 'YYYY-MM-DD') AS delivered_on, note, created_at FROM case_services WHERE case_id = $1 ORDER BY delivered_on, id", [caseId])).rows;
  }
  async insertAttachment(q: Queryable, a: { id: string; case_id: string; name: string; media_type: string; content: Buffer; uploaded_by: string }) {
    await q.query('INSERT INTO case_attachments (id, case_id, name, media_type, size_bytes, content, uploaded_by) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      a.id,
      a.case_id,
      a.name,
      a.media_type,
      a.content.length,
      a.content,
      a.uploaded_by,
    ]);
  }
  async attachments(q: Queryable, caseId: string) {
    return (await q.query<any>('SELECT id, name, media_type, size_bytes, created_at FROM case_attachments WHERE case_id = $1 ORDER BY created_at, id', [caseId])).rows;
  }
  async attachment(q: Queryable, caseId: string, id: string): Promise<{ name: string; media_type: string; content: Buffer } | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const row = (await q.query<any>('SELECT name, media_type, content FROM case_attachments WHERE case_id = $1 AND id = $2', [caseId, id])).rows[0];
    return row ? { ...row, content: Buffer.from(row.content) } : undefined;
  }

  // --- consents
  async insertConsent(q: Queryable, c: { id: string; case_id: string; purpose: string; fields: string[]; centre_ids: string[] | null; given_on: string; given_by: string; recorded_by: string }) {
    await q.query('INSERT INTO case_consents (id, case_id, purpose, fields, centre_ids, given_on, given_by, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
      c.id,
      c.case_id,
      c.purpose,
      c.fields,
      c.centre_ids,
      c.given_on,
      c.given_by,
      c.recorded_by,
    ]);
  }
  async consents(q: Queryable, caseId: string): Promise<ConsentRow[]> {
    return (await q.query<ConsentRow>("SELECT id, case_id, purpose, fields, centre_ids, to_char(given_on, 'YYYY-MM-DD') AS given_on, given_by, recorded_by, recorded_at, withdrawn_at, withdrawn_by, withdrawal_reason FROM case_consents WHERE case_id = $1 ORDER BY recorded_at, id", [caseId])).rows;
  }
  async withdrawConsent(q: Queryable, caseId: string, id: string, by: string, reason: string): Promise<boolean> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return false;
    return (await q.query('UPDATE case_consents SET withdrawn_at = now(), withdrawn_by = $3, withdrawal_reason = $4 WHERE case_id = $1 AND id = $2 AND withdrawn_at IS NULL', [caseId, id, by, reason])).rowCount > 0;
  }

  // --- referrals and transfers
  async insertReferral(q: Queryable, r: Pick<ReferralRow, 'id' | 'case_id' | 'kind' | 'from_centre_id' | 'to_centre_id' | 'reason' | 'services' | 'shared_fields' | 'consent_id' | 'sent_by'>) {
    await q.query(
      `INSERT INTO case_referrals (id, case_id, kind, from_centre_id, to_centre_id, reason, services, shared_fields, consent_id, state, sent_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10)`,
      [r.id, r.case_id, r.kind, r.from_centre_id, r.to_centre_id, r.reason, r.services, r.shared_fields, r.consent_id, r.sent_by],
    );
  }

  private readonly referralSelect = `SELECT r.*, (c.withdrawn_at IS NULL) AS consent_active FROM case_referrals r JOIN case_consents c ON c.id = r.consent_id`;

  async referralsOfCase(q: Queryable, caseId: string): Promise<ReferralWithConsent[]> {
    return (await q.query<ReferralWithConsent>(`${this.referralSelect} WHERE r.case_id = $1 ORDER BY r.created_at, r.id`, [caseId])).rows;
  }

  async referralById(q: Queryable, program: string, id: string, lock = false): Promise<ReferralWithConsent | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    return (
      await q.query<ReferralWithConsent>(
        `${this.referralSelect} JOIN case_cases k ON k.id = r.case_id WHERE k.program = $1 AND r.id = $2${lock ? ' FOR UPDATE OF r' : ''}`,
        [program, id],
      )
    ).rows[0];
  }

  async inbox(q: Queryable, program: string, centreId: string, states: string[], limit: number, offset: number): Promise<{ rows: ReferralWithConsent[]; total: number }> {
    const where = 'k.program = $1 AND r.to_centre_id = $2 AND r.state = ANY($3)';
    const base = `FROM case_referrals r JOIN case_consents c ON c.id = r.consent_id JOIN case_cases k ON k.id = r.case_id WHERE ${where}`;
    const total = Number((await q.query<{ n: string }>(`SELECT count(*) AS n ${base}`, [program, centreId, states])).rows[0].n);
    const rows = (await q.query<ReferralWithConsent>(`SELECT r.*, (c.withdrawn_at IS NULL) AS consent_active ${base} ORDER BY r.created_at DESC, r.id LIMIT $4 OFFSET $5`, [program, centreId, states, limit, offset])).rows;
    return { rows, total };
  }

  async updateReferral(q: Queryable, id: string, set: { state: ReferralState; decline_reason?: string; outcome?: string }) {
    await q.query(
      `UPDATE case_referrals SET state = $2, decline_reason = COALESCE($3, decline_reason), outcome = COALESCE($4, outcome), updated_at = now(),
              accepted_at = CASE WHEN $2 = 'accepted' THEN now() ELSE accepted_at END,
              closed_at = CASE WHEN $2 IN ('declined', 'completed', 'cancelled') THEN now() ELSE closed_at END
        WHERE id = $1`,
      [id, set.state, set.decline_reason ?? null, set.outcome ?? null],
    );
  }

  /** Pending referrals resting on a consent (to cancel when it is withdrawn). */
  async pendingOnConsent(q: Queryable, consentId: string): Promise<ReferralRow[]> {
    return (await q.query<ReferralRow>("SELECT * FROM case_referrals WHERE consent_id = $1 AND state = 'pending'", [consentId])).rows;
  }

  // --- audit
  /** Serializes appends (one chain) until the transaction ends, and returns the chain's head. */
  async lockAuditHead(q: Queryable): Promise<{ seq: number; hash: string } | undefined> {
    await q.query('SELECT pg_advisory_xact_lock(7361101)');
    const row = (await q.query<{ seq: string; hash: string }>('SELECT seq, hash FROM case_audit ORDER BY seq DESC LIMIT 1')).rows[0];
    return row ? { seq: Number(row.seq), hash: row.hash } : undefined;
  }

  async insertAudit(q: Queryable, e: ChainedEntry): Promise<void> {
    await q.query(
      `INSERT INTO case_audit (seq, at, actor_id, actor_name, actor_roles, action, subject_type, subject_id, case_id, reason, outcome, details, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [e.seq, e.at, e.actorId, e.actorName, e.actorRoles, e.action, e.subjectType, e.subjectId, e.caseId, e.reason, e.outcome, JSON.stringify(e.details), e.prevHash, e.hash],
    );
  }

  /** Audit entries in chain order from seq `after` + 1, a page at a time. */
  async auditPage(q: Queryable, after: number, limit: number, caseId?: string): Promise<ChainedEntry[]> {
    const params: unknown[] = [after, limit];
    let where = 'seq > $1';
    if (caseId) {
      params.push(caseId);
      where += ' AND case_id = $3';
    }
    const rows = (await q.query<any>(`SELECT * FROM case_audit WHERE ${where} ORDER BY seq LIMIT $2`, params)).rows;
    return rows.map((r) => ({
      seq: Number(r.seq),
      at: r.at,
      actorId: r.actor_id,
      actorName: r.actor_name,
      actorRoles: r.actor_roles,
      action: r.action,
      subjectType: r.subject_type,
      subjectId: r.subject_id,
      caseId: r.case_id,
      reason: r.reason,
      outcome: r.outcome,
      details: r.details,
      prevHash: r.prev_hash,
      hash: r.hash,
    }));
  }

  // --- aggregates (no identifiers leave these queries)
  async referralsByState(q: Queryable, program: string, places: string[] | '*'): Promise<{ kind: string; state: string; n: number }[]> {
    const rows = await q.query<{ kind: string; state: string; n: string }>(
      `SELECT r.kind, r.state, count(*) AS n FROM case_referrals r JOIN case_cases k ON k.id = r.case_id
        WHERE k.program = $1 AND ($2::text[] IS NULL OR k.place_code = ANY($2)) GROUP BY r.kind, r.state ORDER BY r.kind, r.state`,
      [program, places === '*' ? null : places],
    );
    return rows.rows.map((r) => ({ ...r, n: Number(r.n) }));
  }

  /** Days from intake to the first service delivered, per case that had one. */
  async daysToFirstService(q: Queryable, program: string, places: string[] | '*'): Promise<number[]> {
    const rows = await q.query<{ days: string }>(
      `SELECT GREATEST(0, min(s.delivered_on) - k.created_at::date) AS days FROM case_cases k JOIN case_services s ON s.case_id = k.id
        WHERE k.program = $1 AND ($2::text[] IS NULL OR k.place_code = ANY($2)) GROUP BY k.id`,
      [program, places === '*' ? null : places],
    );
    return rows.rows.map((r) => Number(r.days));
  }

  async declineReasons(q: Queryable, program: string, places: string[] | '*'): Promise<{ to_centre_id: string; reason: string; n: number }[]> {
    const rows = await q.query<{ to_centre_id: string; reason: string; n: string }>(
      `SELECT r.to_centre_id, COALESCE(r.decline_reason, '') AS reason, count(*) AS n FROM case_referrals r JOIN case_cases k ON k.id = r.case_id
        WHERE k.program = $1 AND r.state = 'declined' AND ($2::text[] IS NULL OR k.place_code = ANY($2))
        GROUP BY r.to_centre_id, r.decline_reason ORDER BY count(*) DESC, r.to_centre_id LIMIT 200`,
      [program, places === '*' ? null : places],
    );
    return rows.rows.map((r) => ({ ...r, n: Number(r.n) }));
  }

  /**
   * Per place and needed service (the form's `needs` list): how many open cases need it and how many of
   * those got it (a service delivered, or an accepted/completed referral for it).
   */
  async needsByPlace(q: Queryable, program: string, places: string[] | '*'): Promise<{ place_code: string; need: string; cases: number; met: number }[]> {
    const rows = await q.query<{ place_code: string; need: string; cases: string; met: string }>(
      `WITH needs AS (
         SELECT k.id, k.place_code, n.need FROM case_cases k, jsonb_array_elements_text(COALESCE(k.data->'needs', '[]'::jsonb)) AS n(need)
          WHERE k.program = $1 AND ($2::text[] IS NULL OR k.place_code = ANY($2))
       )
       SELECT needs.place_code, needs.need, count(*) AS cases,
              count(*) FILTER (WHERE EXISTS (SELECT 1 FROM case_services s WHERE s.case_id = needs.id AND s.service = needs.need)
                                  OR EXISTS (SELECT 1 FROM case_referrals r WHERE r.case_id = needs.id AND r.state IN ('accepted', 'completed') AND needs.need = ANY(r.services))) AS met
         FROM needs GROUP BY needs.place_code, needs.need ORDER BY needs.place_code, needs.need`,
      [program, places === '*' ? null : places],
    );
    return rows.rows.map((r) => ({ place_code: r.place_code, need: r.need, cases: Number(r.cases), met: Number(r.met) }));
  }

  async casesByPlace(q: Queryable, program: string): Promise<{ place_code: string; cases: number; referrals: number; accepted: number; declined: number }[]> {
    const rows = await q.query<any>(
      `SELECT k.place_code, count(DISTINCT k.id) AS cases, count(r.id) FILTER (WHERE r.kind = 'referral') AS referrals,
              count(r.id) FILTER (WHERE r.kind = 'referral' AND r.state IN ('accepted', 'completed')) AS accepted,
              count(r.id) FILTER (WHERE r.kind = 'referral' AND r.state = 'declined') AS declined
         FROM case_cases k LEFT JOIN case_referrals r ON r.case_id = k.id WHERE k.program = $1 GROUP BY k.place_code ORDER BY k.place_code`,
      [program],
    );
    return rows.rows.map((r: any) => ({ place_code: r.place_code, cases: Number(r.cases), referrals: Number(r.referrals), accepted: Number(r.accepted), declined: Number(r.declined) }));
  }
}
