import { describe, expect, it } from 'vitest';
import { transitMinutes, type TransitStopFacts } from './transit-time.ts';

const O: [number, number] = [-7.6, 33.55];
/** A point `km` east of O along its parallel (≈ exact at this scale). */
const east = (km: number): [number, number] => [O[0] + km / (111.195 * Math.cos((O[1] * Math.PI) / 180)), O[1]];

describe('transit travel time (hand-checked)', () => {
  it('walks to a stop, rides the same line, walks to the centre', () => {
    const stops: TransitStopFacts[] = [
      { id: 'a', location: east(0.5), lines: ['T1'] },
      { id: 'b', location: east(9.5), lines: ['T1'] },
    ];
    // walk 0.5 km × 1.3 / 4.5 km/h = 8.67 min; wait 6; ride 9 km × 1.2 / 18 km/h = 36 min; walk 8.67 → 59.3
    expect(transitMinutes(O, east(10), stops)).toBeCloseTo(59.3, 1);
  });

  it('adds a transfer between lines', () => {
    const stops: TransitStopFacts[] = [
      { id: 'a', location: east(0.5), lines: ['T1'] },
      { id: 'b', location: east(9.5), lines: ['BW2'] },
    ];
    expect(transitMinutes(O, east(10), stops)).toBeCloseTo(67.3, 1);
  });

  it('walks when walking is quicker, and says nothing without a stop nearby', () => {
    const stops: TransitStopFacts[] = [
      { id: 'a', location: east(0.5), lines: ['T1'] },
      { id: 'b', location: east(1), lines: ['T1'] },
    ];
    // walking 1 km takes 1 × 1.3 / 4.5 × 60 = 17.3 min; a → b: walk 8.67 + wait 6 + ride 0.5 × 1.2 / 18 × 60 = 2 + walk 0 = 16.7
    // 0.2 km: walking (3.5 min) beats any ride.
    expect(transitMinutes(O, east(1), stops)).toBeCloseTo(16.7, 1);
    expect(transitMinutes(O, east(0.2), stops)).toBeCloseTo(3.5, 1);
    expect(transitMinutes(O, east(30), stops)).toBeNull();
    expect(transitMinutes(O, east(5), [])).toBeNull();
  });
});
