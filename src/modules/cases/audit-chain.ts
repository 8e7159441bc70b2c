/**
 * The audit log is a hash chain: each entry's hash is SHA-256 over the previous entry's hash and the
 * canonical JSON of the entry, so editing, deleting or reordering any entry breaks every hash after it.
 * Pure: storage appends and reads, this file computes and verifies.
 */
import { createHash } from 'node:crypto';

/** The hash "before" the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  /** Position in the chain, 1, 2, 3 ... without gaps. */
  seq: number;
  /** UTC ISO 8601. */
  at: string;
  /** Who: principal id and name, or "anonymous". */
  actorId: string;
  actorName: string;
  actorRoles: string[];
  /** What: an action such as "case.read", "referral.accept", "access.denied". */
  action: string;
  /** On what: e.g. { type: 'case', id } (never personal data itself). */
  subjectType: string;
  subjectId: string | null;
  caseId: string | null;
  /** Why: the reason given, the route, or the refusal. */
  reason: string | null;
  outcome: 'ok' | 'denied' | 'unauthenticated';
  /** Request details that are not personal data (method, route, ip). */
  details: Record<string, unknown>;
}

export interface ChainedEntry extends AuditEntry {
  prevHash: string;
  hash: string;
}

/** JSON with object keys sorted at every level, so the same entry always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  const keys = Object.keys(value as Record<string, unknown>)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** hash = SHA-256(prevHash + canonical JSON of the entry), hex. */
export function entryHash(prevHash: string, entry: AuditEntry): string {
  const body: AuditEntry = {
    seq: entry.seq,
    at: entry.at,
    actorId: entry.actorId,
    actorName: entry.actorName,
    actorRoles: entry.actorRoles,
    action: entry.action,
    subjectType: entry.subjectType,
    subjectId: entry.subjectId,
    caseId: entry.caseId,
    reason: entry.reason,
    outcome: entry.outcome,
    details: entry.details,
  };
  return createHash('sha256').update(prevHash).update(canonicalJson(body)).digest('hex');
}

/** Links a new entry after the chain's last hash. */
export function chain(prevHash: string, entry: AuditEntry): ChainedEntry {
  return { ...entry, prevHash, hash: entryHash(prevHash, entry) };
}

export type VerifyResult = { ok: true; entries: number; lastHash: string } | { ok: false; entries: number; brokenAt: number; problem: string };

/**
 * Walks the chain in seq order from the genesis (or from a trusted checkpoint): a gap in seq
 * (deleted entry), a prevHash that is not the previous hash (reordered or deleted), or a hash that
 * does not match the content (edited) is reported at the first entry where it shows.
 */
export function verifyChain(entries: Iterable<ChainedEntry>, start: { seq: number; hash: string } = { seq: 0, hash: GENESIS_HASH }): VerifyResult {
  let prev = start.hash;
  let expectedSeq = start.seq + 1;
  let n = 0;
  for (const e of entries) {
    n++;
    if (e.seq !== expectedSeq) return { ok: false, entries: n, brokenAt: e.seq, problem: `expected entry ${expectedSeq}, found ${e.seq} (an entry was removed or moved)` };
    if (e.prevHash !== prev) return { ok: false, entries: n, brokenAt: e.seq, problem: 'previous hash does not match (an entry before it was removed, moved or edited)' };
    if (entryHash(prev, e) !== e.hash) return { ok: false, entries: n, brokenAt: e.seq, problem: 'content does not match its hash (the entry was edited)' };
    prev = e.hash;
    expectedSeq++;
  }
  return { ok: true, entries: n, lastHash: prev };
}
