import { describe, expect, it } from 'vitest';
import { euclideanMatrix, instanceFromCoordinates, nint, routesCost, solutionViolations } from './instance.ts';

describe('distance convention', () => {
  it('rounds Euclidean distances to the nearest integer, halves up (TSPLIB nint)', () => {
    expect([nint(2.5), nint(2.49), nint(0.5), nint(3)]).toEqual([3, 2, 1, 3]);
    const x = Float64Array.from([0, 1, 3, 2]);
    const y = Float64Array.from([0, 1, 4, 3]);
    const d = euclideanMatrix(x, y, 'nint');
    expect(d[1]).toBe(1); // sqrt 2
    expect(d[2]).toBe(5);
    expect(d[3]).toBe(4); // sqrt 13 = 3.61
    expect(euclideanMatrix(x, y, 'ceil')[1]).toBe(2);
    expect(euclideanMatrix(x, y, 'none')[1]).toBeCloseTo(Math.SQRT2, 12);
  });
});

describe('routesCost and solutionViolations', () => {
  const inst = instanceFromCoordinates('t', [[0, 0], [0, 3], [4, 3], [4, 0]], [0, 2, 2, 2], 4);

  it('sums the arcs of each route including the depot legs', () => {
    expect(routesCost(inst, [[1, 2], [3]])).toBe(3 + 4 + 5 + 4 + 4);
  });

  it('flags overload, missing and repeated customers', () => {
    expect(solutionViolations(inst, [[1, 2], [3]])).toEqual([]);
    expect(solutionViolations(inst, [[1, 2, 3]])).toEqual(['route 1: load 6 exceeds capacity 4']);
    expect(solutionViolations(inst, [[1], [1, 3]])).toEqual(['customer 1 is served 2 times', 'customer 2 is not served']);
  });
});
