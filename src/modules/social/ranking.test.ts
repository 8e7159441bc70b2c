import { describe, expect, it } from 'vitest';
import { distanceKm, rankCentres, scoreCentre, type CentreFacts, type PersonNeeds } from './ranking.ts';

const HOME: [number, number] = [-7.6, 33.6];
/** A point exactly `km` north of HOME: along a meridian, distance = R × Δlat (radians). */
const north = (km: number): [number, number] => [HOME[0], HOME[1] + ((km / 6371) * 180) / Math.PI];

const person: PersonNeeds = { needs: ['physiotherapy', 'speech-therapy'], functioning: { mobility: 'a-lot', communication: 'some', vision: 'none' }, from: HOME };
const base = { capacity: 10, enrolled: 5, waitingList: 0, averageWaitDays: 0 };
const A: CentreFacts = { ...base, id: 'A', services: ['physiotherapy', 'speech-therapy'], domains: ['mobility', 'communication'], accessibility: ['step-free-entrance', 'accessible-toilet', 'lift-or-ground-floor', 'sign-language-staff'], location: HOME };
const B: CentreFacts = { id: 'B', services: ['physiotherapy'], domains: ['mobility'], accessibility: ['step-free-entrance'], capacity: 10, enrolled: 10, waitingList: 12, averageWaitDays: 90, location: north(5) };
const C: CentreFacts = { ...base, id: 'C', services: ['vocational-training'], domains: ['vision'], accessibility: [], location: HOME };
const D: CentreFacts = { id: 'D', services: ['day-care'], domains: ['communication'], accessibility: [], capacity: 20, enrolled: 0, waitingList: 0, averageWaitDays: 0, location: north(40), travelTimeMin: 30 };

const points = (c: CentreFacts) => Object.fromEntries(scoreCentre(person, c).contributions.map((x) => [x.factor, x.points]));

describe('distance', () => {
  it('is 5 km for a point 5 km north, 0 for the same point', () => {
    expect(distanceKm(HOME, north(5))).toBeCloseTo(5, 6);
    expect(distanceKm(HOME, HOME)).toBe(0);
  });
  it('matches a known distance: Casablanca (Place Mohammed V) to Rabat (Bab el Had) is about 87 km', () => {
    expect(distanceKm([-7.6192, 33.5928], [-6.8416, 34.0181])).toBeGreaterThan(84);
    expect(distanceKm([-7.6192, 33.5928], [-6.8416, 34.0181])).toBeLessThan(90);
  });
});

describe('orientation ranking (hand-checked)', () => {
  it('gives a centre that meets every need 100 points', () => {
    // services 2/2 × 35, domains 3/3 × 20, free places × 20, 0 km → 1 × 15, 4/4 access features × 10.
    expect(points(A)).toEqual({ services: 35, domains: 20, availability: 20, proximity: 15, accessibility: 10 });
  });

  it('scores a partial match factor by factor', () => {
    // services 1/2 × 35 = 17.5; domains: mobility (a-lot = 2) of 2 + 1 → 2/3 × 20 = 13.3;
    // full with a 90-day wait → (1 − 90/180) × 20 = 10; 5 km → 1/(1 + 5/5) × 15 = 7.5;
    // access: 1 of 4 requirements (step-free entrance) → 2.5. Total 50.83.
    expect(points(B)).toEqual({ services: 17.5, domains: 13.3, availability: 10, proximity: 7.5, accessibility: 2.5 });
  });

  it('uses the transit travel time when it is known', () => {
    // no service; communication (1 of 3) → 6.7; free → 20; 30 min → 1/(1 + 30/30) × 15 = 7.5; no feature → 0.
    const r = scoreCentre(person, D);
    expect(Object.fromEntries(r.contributions.map((x) => [x.factor, x.points]))).toEqual({ services: 0, domains: 6.7, availability: 20, proximity: 7.5, accessibility: 0 });
    expect(r.contributions.find((x) => x.factor === 'proximity')!.detail).toMatchObject({ basis: 'transit-time', travelTimeMin: 30, distanceKm: 40 });
  });

  it('ranks by total, leaves out centres with nothing relevant, explains each factor', () => {
    const ranked = rankCentres(person, [D, C, B, A]);
    expect(ranked.map((r) => [r.centreId, r.rank, r.score])).toEqual([
      ['A', 1, 100],
      ['B', 2, 50.8],
      ['D', 3, 34.2],
    ]);
    expect(ranked[1].contributions.find((c) => c.factor === 'services')!.detail).toEqual({ needed: ['physiotherapy', 'speech-therapy'], offered: ['physiotherapy'] });
    expect(ranked[1].distanceKm).toBe(5);
  });

  it('gives no availability points at or beyond a 180-day wait', () => {
    expect(points({ ...B, averageWaitDays: 400 }).availability).toBe(0);
    expect(points({ ...B, averageWaitDays: 180 }).availability).toBe(0);
  });

  it('is neutral on proximity when the home is unknown, and full on domains/access without difficulties', () => {
    const p: PersonNeeds = { needs: ['physiotherapy'], functioning: {}, from: null };
    const r = Object.fromEntries(scoreCentre(p, B).contributions.map((x) => [x.factor, x.points]));
    expect(r).toEqual({ services: 35, domains: 20, availability: 10, proximity: 7.5, accessibility: 10 });
  });

  it('breaks ties by distance, then by id', () => {
    const near = { ...A, id: 'Z-near', location: north(1) };
    const far = { ...A, id: 'A-far', location: north(1) };
    const ranked = rankCentres({ ...person, from: null }, [far, near]);
    expect(ranked.map((r) => r.centreId)).toEqual(['A-far', 'Z-near']);
    const byDistance = rankCentres({ ...person, from: HOME }, [{ ...A, id: 'x', location: north(2) }, { ...A, id: 'y', location: north(1) }]);
    expect(byDistance.map((r) => r.centreId)).toEqual(['y', 'x']);
  });
});
