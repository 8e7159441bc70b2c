import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, chain, GENESIS_HASH, verifyChain, type AuditEntry, type ChainedEntry } from './audit-chain.ts';

const entry = (seq: number, action = 'case.read'): AuditEntry => ({
  seq,
  at: `2026-03-0${seq}T10:00:00.000Z`,
  actorId: 'u1',
  actorName: 'agent.anfa',
  actorRoles: ['desk-agent'],
  action,
  subjectType: 'case',
  subjectId: `c${seq}`,
  caseId: `c${seq}`,
  reason: 'intake',
  outcome: 'ok',
  details: { method: 'GET' },
});

function build(n: number): ChainedEntry[] {
  const out: ChainedEntry[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const e = chain(prev, entry(i));
    out.push(e);
    prev = e.hash;
  }
  return out;
}

describe('audit hash chain', () => {
  it('sorts keys at every level in canonical JSON', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[2,{"y":null,"z":1}]},"b":1}');
  });

  it('hashes SHA-256 over the previous hash and the canonical entry (hand-computed)', () => {
    const e = entry(1);
    const expected = createHash('sha256')
      .update(GENESIS_HASH + '{"action":"case.read","actorId":"u1","actorName":"agent.anfa","actorRoles":["desk-agent"],"at":"2026-03-01T10:00:00.000Z","caseId":"c1","details":{"method":"GET"},"outcome":"ok","reason":"intake","seq":1,"subjectId":"c1","subjectType":"case"}')
      .digest('hex');
    expect(chain(GENESIS_HASH, e).hash).toBe(expected);
  });

  it('verifies an intact chain', () => {
    const c = build(5);
    expect(verifyChain(c)).toEqual({ ok: true, entries: 5, lastHash: c[4].hash });
    expect(verifyChain([])).toEqual({ ok: true, entries: 0, lastHash: GENESIS_HASH });
  });

  it('detects an edited entry', () => {
    const c = build(5);
    c[2] = { ...c[2], actorName: 'someone.else' };
    expect(verifyChain(c)).toMatchObject({ ok: false, brokenAt: 3, problem: expect.stringMatching(/edited/) });
  });

  it('detects an edit that also recomputed its own hash, at the next entry', () => {
    const c = build(5);
    c[2] = chain(c[1].hash, { ...c[2], reason: 'changed' });
    expect(verifyChain(c)).toMatchObject({ ok: false, brokenAt: 4 });
  });

  it('detects a deleted entry', () => {
    const c = build(5);
    c.splice(1, 1);
    expect(verifyChain(c)).toMatchObject({ ok: false, brokenAt: 3, problem: expect.stringMatching(/removed/) });
  });

  it('detects a deleted last entry when the last hash is checked against a checkpoint', () => {
    const c = build(5);
    const lastHash = c[4].hash;
    const r = verifyChain(c.slice(0, 4));
    expect(r.ok && r.lastHash).not.toBe(lastHash);
  });

  it('detects reordered entries', () => {
    const c = build(5);
    [c[1], c[2]] = [c[2], c[1]];
    expect(verifyChain(c)).toMatchObject({ ok: false, brokenAt: 3 });
    const renumbered = build(5);
    const [a, b] = [renumbered[1], renumbered[2]];
    renumbered[1] = { ...b, seq: 2 };
    renumbered[2] = { ...a, seq: 3 };
    expect(verifyChain(renumbered)).toMatchObject({ ok: false, brokenAt: 2 });
  });

  it('verifies from a checkpoint', () => {
    const c = build(6);
    expect(verifyChain(c.slice(3), { seq: 3, hash: c[2].hash })).toMatchObject({ ok: true, entries: 3 });
    expect(verifyChain(c.slice(3), { seq: 3, hash: GENESIS_HASH })).toMatchObject({ ok: false, brokenAt: 4 });
  });
});
