import { describe, expect, it } from 'vitest';
import { bboxOf, planarArea, pointInGeometry, pointInRing, PolygonIndex, type PolygonGeometry } from './point-in-polygon.ts';

// A 10x10 square with a 2x2 hole in the middle (RFC 7946 winding: exterior CCW, hole CW).
const squareWithHole: PolygonGeometry = {
  type: 'Polygon',
  coordinates: [
    [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
    [[4, 4], [4, 6], [6, 6], [6, 4], [4, 4]],
  ],
};
// Two unit squares far apart.
const twoIslands: PolygonGeometry = {
  type: 'MultiPolygon',
  coordinates: [
    [[[20, 0], [21, 0], [21, 1], [20, 1], [20, 0]]],
    [[[30, 5], [31, 5], [31, 6], [30, 6], [30, 5]]],
  ],
};
// A concave "U": the notch (x in 1..2, y > 1) is outside.
const uShape: PolygonGeometry = {
  type: 'Polygon',
  coordinates: [[[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3], [0, 0]]],
};

describe('point in polygon', () => {
  it('finds points inside the exterior ring and outside it', () => {
    expect(pointInGeometry(1, 1, squareWithHole)).toBe(true);
    expect(pointInGeometry(9.9, 0.1, squareWithHole)).toBe(true);
    expect(pointInGeometry(-0.1, 5, squareWithHole)).toBe(false);
    expect(pointInGeometry(5, 10.5, squareWithHole)).toBe(false);
  });

  it('excludes points inside a hole', () => {
    expect(pointInGeometry(5, 5, squareWithHole)).toBe(false);
    expect(pointInGeometry(3.9, 5, squareWithHole)).toBe(true);
  });

  it('handles concave rings', () => {
    expect(pointInGeometry(1.5, 2, uShape)).toBe(false);
    expect(pointInGeometry(1.5, 0.5, uShape)).toBe(true);
    expect(pointInGeometry(0.5, 2.5, uShape)).toBe(true);
    expect(pointInGeometry(2.5, 2.5, uShape)).toBe(true);
  });

  it('accepts any member of a MultiPolygon', () => {
    expect(pointInGeometry(20.5, 0.5, twoIslands)).toBe(true);
    expect(pointInGeometry(30.5, 5.5, twoIslands)).toBe(true);
    expect(pointInGeometry(25, 3, twoIslands)).toBe(false);
  });

  it('does not depend on ring orientation', () => {
    const cw = [[0, 0], [0, 10], [10, 10], [10, 0], [0, 0]];
    expect(pointInRing(5, 5, cw)).toBe(true);
    expect(pointInRing(11, 5, cw)).toBe(false);
  });

  it('computes bounding boxes and areas with holes subtracted', () => {
    expect(bboxOf(twoIslands)).toEqual({ minX: 20, minY: 0, maxX: 31, maxY: 6 });
    expect(planarArea(squareWithHole)).toBeCloseTo(100 - 4, 10);
    expect(planarArea(uShape)).toBeCloseTo(9 - 2, 10);
  });

  it('indexes many features and returns the one holding the point', () => {
    const index = new PolygonIndex([
      { key: 'hole-square', geometry: squareWithHole },
      { key: 'islands', geometry: twoIslands },
    ]);
    expect(index.find(1, 1)).toBe('hole-square');
    expect(index.find(30.2, 5.9)).toBe('islands');
    expect(index.find(5, 5)).toBeUndefined();
    expect(index.find(100, 100)).toBeUndefined();
  });

  it('agrees with a brute-force grid estimate of the area', () => {
    // Independent check: the share of grid points inside equals area / bbox area.
    let inside = 0;
    const n = 200;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (pointInGeometry(((i + 0.5) / n) * 10, ((j + 0.5) / n) * 10, squareWithHole)) inside++;
    expect(inside / (n * n)).toBeCloseTo(0.96, 3);
  });
});
