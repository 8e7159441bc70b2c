/** The only SQL of the social desk (centres, orientation records). The case engine has its own store. */
import type { Queryable } from '../../platform/db/db.ts';
import type { Centre, CentrePatch } from './centres.ts';

const toCentre = (r: any): Centre => ({
  id: r.id,
  synthetic: r.synthetic,
  name: r.name,
  type: r.type,
  services: r.services,
  domains: r.domains,
  accessibility: r.accessibility,
  capacity: r.capacity,
  enrolled: r.enrolled,
  waitingList: r.waiting_list,
  averageWaitDays: r.average_wait_days,
  openingHours: r.opening_hours,
  location: [r.lon, r.lat],
  placeCode: r.place_code,
  communeCode: r.commune_code,
});

export class SocialStore {
  async countCentres(q: Queryable): Promise<number> {
    return Number((await q.query<{ n: string }>('SELECT count(*) AS n FROM social_centres')).rows[0].n);
  }

  async insertCentres(q: Queryable, centres: Centre[]): Promise<void> {
    for (const c of centres) {
      await q.query(
        `INSERT INTO social_centres (id, synthetic, name, type, services, domains, accessibility, capacity, enrolled, waiting_list, average_wait_days, opening_hours, lon, lat, place_code, commune_code)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) ON CONFLICT (id) DO NOTHING`,
        [c.id, c.synthetic, JSON.stringify(c.name), c.type, c.services, c.domains, c.accessibility, c.capacity, c.enrolled, c.waitingList, c.averageWaitDays, c.openingHours, c.location[0], c.location[1], c.placeCode, c.communeCode],
      );
    }
  }

  async centres(q: Queryable): Promise<Centre[]> {
    return (await q.query('SELECT * FROM social_centres ORDER BY id')).rows.map(toCentre);
  }

  async centre(q: Queryable, id: string): Promise<Centre | undefined> {
    const r = (await q.query('SELECT * FROM social_centres WHERE id = $1', [id])).rows[0];
    return r ? toCentre(r) : undefined;
  }

  async updateCentre(q: Queryable, id: string, p: CentrePatch): Promise<void> {
    const cols: Record<keyof CentrePatch, string> = {
      capacity: 'capacity',
      enrolled: 'enrolled',
      waitingList: 'waiting_list',
      averageWaitDays: 'average_wait_days',
      openingHours: 'opening_hours',
      services: 'services',
      domains: 'domains',
      accessibility: 'accessibility',
    };
    const sets = ['updated_at = now()'];
    const params: unknown[] = [id];
    for (const [k, col] of Object.entries(cols)) {
      const v = p[k as keyof CentrePatch];
      if (v === undefined) continue;
      params.push(v);
      sets.push(`${col} = $${params.length}`);
    }
    await q.query(`UPDATE social_centres SET ${sets.join(', ')} WHERE id = $1`, params);
  }

  async insertOrientation(
    q: Queryable,
    o: { id: string; case_id: string; ranking: unknown; recommended_centre_id: string | null; chosen_centre_id: string; overridden: boolean; override_reason: string | null; chosen_by: string },
  ): Promise<void> {
    await q.query(
      `INSERT INTO social_orientations (id, case_id, ranking, recommended_centre_id, chosen_centre_id, overridden, override_reason, chosen_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [o.id, o.case_id, JSON.stringify(o.ranking), o.recommended_centre_id, o.chosen_centre_id, o.overridden, o.override_reason, o.chosen_by],
    );
  }

  async orientations(q: Queryable, caseId: string) {
    return (
      await q.query<any>('SELECT id, recommended_centre_id, chosen_centre_id, overridden, override_reason, chosen_by, created_at FROM social_orientations WHERE case_id = $1 ORDER BY created_at, id', [caseId])
    ).rows.map((o) => ({
      id: o.id,
      recommendedCentreId: o.recommended_centre_id,
      chosenCentreId: o.chosen_centre_id,
      overridden: o.overridden,
      overrideReason: o.override_reason,
      chosenBy: o.chosen_by,
      at: new Date(o.created_at).toISOString(),
    }));
  }

  /** Overrides per commune and reason, for the fairness review of the ranking. */
  async overrideStats(q: Queryable): Promise<{ total: number; overridden: number }> {
    const r = (await q.query<{ total: string; overridden: string }>('SELECT count(*) AS total, count(*) FILTER (WHERE overridden) AS overridden FROM social_orientations')).rows[0];
    return { total: Number(r.total), overridden: Number(r.overridden) };
  }
}
