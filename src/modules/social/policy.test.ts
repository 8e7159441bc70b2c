import { describe, expect, it } from 'vitest';
import type { Principal, Role } from '../../platform/auth/principal.ts';
import { authorize, visibleFields, type Target } from '../cases/index.ts';
import { SOCIAL_ACTIONS, SOCIAL_FIELDS, SOCIAL_POLICY, type SocialAction, type SocialField } from './policy.ts';

/*
 * The matrix written out by hand, independently of policy.ts. Cells: C = in the principal's communes,
 * O = case owned by the principal's centre, R = the principal's centre receives a live referral,
 * N = the principal's own centre, A = anywhere, - = never.
 */
const ACTIONS = `
action              desk  worker manager super
case.create         C     C      C       -
case.list           C     O      O       C
case.read           C     OR     OR      C
case.update         C     O      O       -
case.assign         C     -      O       -
case.close          C     O      O       -
case.reopen         C     -      O       C
note.add            C     OR     OR      -
followup.add        C     OR     OR      -
service.record      -     OR     OR      -
attachment.add      C     O      O       -
attachment.read     C     O      O       -
consent.record      C     O      O       -
consent.withdraw    C     O      O       -
orientation.rank    C     O      O       -
orientation.choose  C     -      O       -
referral.send       C     O      O       -
referral.cancel     C     O      O       -
referral.accept     -     R      R       -
referral.decline    -     -      R       -
referral.complete   -     R      R       -
transfer.send       C     -      O       -
transfer.accept     -     -      R       -
transfer.decline    -     -      R       -
inbox.read          -     N      N       -
centre.update       -     -      N       -
dashboard.read      -     -      -       A
indicators.publish  -     -      -       A
audit.read          -     -      -       A
`;

/* Fields a role sees when it reads a case fully: y = yes, - = no. */
const FIELDS = `
field               desk  worker manager super
person.givenName    y     y      y       -
person.familyName   y     y      y       -
person.birthDate    y     y      y       -
person.sex          y     y      y       y
person.phone        y     y      y       -
person.address      y     y      y       -
person.placeCode    y     y      y       y
case.needs          y     y      y       y
case.functioning    y     y      y       y
case.situation      y     y      y       -
case.notes          y     y      y       -
case.followups      y     y      y       y
case.services       y     y      y       y
case.attachments    y     y      y       -
case.consents       y     y      y       y
case.duplicates     y     -      y       -
`;
const SHAREABLE = ['person.givenName', 'person.familyName', 'person.birthDate', 'person.sex', 'person.phone', 'person.address', 'person.placeCode', 'case.needs', 'case.functioning', 'case.situation'];

const ROLES: Role[] = ['desk-agent', 'centre-worker', 'centre-manager', 'supervisor'];
const table = (text: string) =>
  text
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/));

const MINE = '061410101';
const OTHER = '063710101';
const principal = (role: Role): Principal => ({ kind: 'user', id: `u-${role}`, name: role, roles: [role], communes: [MINE], centreId: 'centre-A' });

/** One target per scope, each passing that scope only. */
const TARGETS: Record<string, Target> = {
  C: { communeCode: MINE, ownerCentreId: 'centre-B', receivingCentreIds: ['centre-B'], centreId: 'centre-B' },
  O: { communeCode: OTHER, ownerCentreId: 'centre-A', receivingCentreIds: ['centre-B'], centreId: 'centre-B' },
  R: { communeCode: OTHER, ownerCentreId: 'centre-B', receivingCentreIds: ['centre-B', 'centre-A'], centreId: 'centre-B' },
  N: { communeCode: OTHER, ownerCentreId: 'centre-B', receivingCentreIds: ['centre-B'], centreId: 'centre-A' },
  none: { communeCode: OTHER, ownerCentreId: 'centre-B', receivingCentreIds: ['centre-B'], centreId: 'centre-B' },
};

describe('permission matrix: each role x each action', () => {
  const rows = table(ACTIONS);
  it('covers every action of the policy', () => {
    expect(rows.map((r) => r[0]).sort()).toEqual([...SOCIAL_ACTIONS].sort());
  });
  for (const [action, ...cells] of rows) {
    ROLES.forEach((role, i) => {
      const cell = cells[i];
      for (const [name, target] of Object.entries(TARGETS)) {
        const expected = cell === 'A' || (cell !== '-' && cell.includes(name));
        it(`${role} ${expected ? 'may' : 'may not'} ${action} (${name === 'none' ? 'outside every scope' : `target in scope ${name}`})`, () => {
          expect(authorize(SOCIAL_POLICY, principal(role), action as SocialAction, target).allowed).toBe(expected);
        });
      }
    });
    it(`administrator may ${action} anywhere; a role outside the desk never`, () => {
      const admin: Principal = { kind: 'user', id: 'a', name: 'admin', roles: ['administrator'], communes: ['*'] };
      expect(authorize(SOCIAL_POLICY, admin, action as SocialAction, TARGETS.none).allowed).toBe(true);
      const planner: Principal = { kind: 'user', id: 'p', name: 'p', roles: ['planner'], communes: ['*'], centreId: 'centre-A' };
      for (const t of Object.values(TARGETS)) expect(authorize(SOCIAL_POLICY, planner, action as SocialAction, t).allowed).toBe(false);
    });
  }

  it('treats "*" communes as the whole region', () => {
    const p: Principal = { ...principal('desk-agent'), communes: ['*'] };
    expect(authorize(SOCIAL_POLICY, p, 'case.read', TARGETS.none).allowed).toBe(true);
  });

  it('needs a centre for centre scopes', () => {
    const p: Principal = { ...principal('centre-worker'), centreId: undefined };
    expect(authorize(SOCIAL_POLICY, p, 'case.read', { ownerCentreId: undefined, receivingCentreIds: [] }).allowed).toBe(false);
  });
});

describe('permission matrix: each role x each field', () => {
  const rows = table(FIELDS);
  it('covers every field of the policy, and the shareable ones', () => {
    expect(rows.map((r) => r[0]).sort()).toEqual([...SOCIAL_FIELDS].sort());
    expect([...SOCIAL_POLICY.shareable].sort()).toEqual([...SHAREABLE].sort());
  });
  /** The target through which each role reads a case fully. */
  const fullTarget: Record<string, Target> = { 'desk-agent': TARGETS.C, 'centre-worker': TARGETS.O, 'centre-manager': TARGETS.O, supervisor: TARGETS.C };
  for (const [field, ...cells] of rows) {
    ROLES.forEach((role, i) => {
      const seesFully = cells[i] === 'y';
      it(`${role} ${seesFully ? 'sees' : 'does not see'} ${field} on a case it reads fully`, () => {
        expect(visibleFields(SOCIAL_POLICY, principal(role), 'case.read', fullTarget[role], []).has(field as SocialField)).toBe(seesFully);
      });
      const receiver = role === 'centre-worker' || role === 'centre-manager';
      const viaShared = receiver && seesFully && SHAREABLE.includes(field);
      it(`${role} ${viaShared ? 'sees' : 'does not see'} ${field} through a referral that shares it`, () => {
        expect(visibleFields(SOCIAL_POLICY, principal(role), 'case.read', TARGETS.R, [field as SocialField]).has(field as SocialField)).toBe(viaShared);
      });
      it(`${role} does not see ${field} through a referral that does not share it`, () => {
        const others = SHAREABLE.filter((f) => f !== field) as SocialField[];
        expect(visibleFields(SOCIAL_POLICY, principal(role), 'case.read', TARGETS.R, others).has(field as SocialField)).toBe(false);
      });
      it(`${role} sees nothing of a case outside its scopes (${field})`, () => {
        expect(visibleFields(SOCIAL_POLICY, principal(role), 'case.read', TARGETS.none, SHAREABLE as SocialField[]).size).toBe(0);
      });
    });
  }

  it('gives an administrator every field', () => {
    const admin: Principal = { kind: 'user', id: 'a', name: 'admin', roles: ['administrator'], communes: ['*'] };
    expect(visibleFields(SOCIAL_POLICY, admin, 'case.read', TARGETS.none, []).size).toBe(SOCIAL_FIELDS.length);
  });

  it('unites the fields of several roles', () => {
    const p: Principal = { ...principal('supervisor'), roles: ['supervisor', 'centre-worker'] };
    const f = visibleFields(SOCIAL_POLICY, p, 'case.read', { ...TARGETS.C, receivingCentreIds: ['centre-A'] }, ['person.phone']);
    expect(f.has('person.phone')).toBe(true);
    expect(f.has('person.givenName')).toBe(false);
    expect(f.has('case.needs')).toBe(true);
  });
});
