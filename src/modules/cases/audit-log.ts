/** Appends to and verifies the hash-chained audit log (the chain itself: audit-chain.ts). */
import type { Db, Queryable } from '../../platform/db/db.ts';
import type { Principal } from '../../platform/auth/principal.ts';
import { chain, GENESIS_HASH, verifyChain, type AuditEntry, type ChainedEntry, type VerifyResult } from './audit-chain.ts';
import type { CaseStore } from './store.ts';

export type AuditInput = Omit<AuditEntry, 'seq' | 'at' | 'actorId' | 'actorName' | 'actorRoles' | 'details' | 'reason' | 'caseId' | 'subjectId' | 'outcome'> & {
  subjectId?: string | null;
  caseId?: string | null;
  reason?: string | null;
  outcome?: AuditEntry['outcome'];
  details?: Record<string, unknown>;
};

export class AuditLog {
  constructor(
    private readonly store: CaseStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Appends one entry in the caller's transaction (it commits or rolls back with the change it records). */
  async append(q: Queryable, who: Principal, e: AuditInput): Promise<ChainedEntry> {
    const head = await this.store.lockAuditHead(q);
    const entry: AuditEntry = {
      seq: (head?.seq ?? 0) + 1,
      at: this.now().toISOString(),
      actorId: who.id,
      actorName: who.name,
      actorRoles: [...who.roles],
      action: e.action,
      subjectType: e.subjectType,
      subjectId: e.subjectId ?? null,
      caseId: e.caseId ?? null,
      reason: e.reason ?? null,
      outcome: e.outcome ?? 'ok',
      details: e.details ?? {},
    };
    const chained = chain(head?.hash ?? GENESIS_HASH, entry);
    await this.store.insertAudit(q, chained);
    return chained;
  }

  /** Walks the whole chain from the genesis, a page at a time. */
  async verify(db: Db, pageSize = 2000): Promise<VerifyResult> {
    let start = { seq: 0, hash: GENESIS_HASH };
    let total = 0;
    for (;;) {
      const page = await this.store.auditPage(db, start.seq, pageSize);
      const r = verifyChain(page, start);
      if (!r.ok) return { ...r, entries: total + r.entries };
      total += r.entries;
      if (page.length < pageSize) return { ok: true, entries: total, lastHash: r.lastHash };
      start = { seq: page[page.length - 1].seq, hash: r.lastHash };
    }
  }

  entries(db: Db, opts: { after?: number; limit?: number; caseId?: string }) {
    return this.store.auditPage(db, opts.after ?? 0, Math.min(opts.limit ?? 100, 1000), opts.caseId);
  }
}
