import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCvrplib, parseCvrplibSolution, VrpParseError, writeCvrplibSolution } from './cvrplib.ts';

const fixture = (name: string) => readFileSync(new URL(`../../../test/fixtures/cvrp/${name}`, import.meta.url), 'utf8');

// Line numbers: NAME 1, TYPE 2, DIMENSION 3, EDGE_WEIGHT_TYPE 4, CAPACITY 5, NODE_COORD_SECTION 6,
// nodes 7-10, DEMAND_SECTION 11, demands 12-15, DEPOT_SECTION 16.
const SMALL = [
  'NAME : tiny',
  'TYPE : CVRP',
  'DIMENSION : 4',
  'EDGE_WEIGHT_TYPE : EUC_2D',
  'CAPACITY : 10',
  'NODE_COORD_SECTION',
  '1 0 0',
  '2 3 4',
  '3 0 7',
  '4 -6 0',
  'DEMAND_SECTION',
  '1 0',
  '2 4',
  '3 5',
  '4 6',
  'DEPOT_SECTION',
  '1',
  '-1',
  'EOF',
  '',
].join('\n');

function parseError(text: string): VrpParseError {
  try {
    parseCvrplib(text);
  } catch (err) {
    if (err instanceof VrpParseError) return err;
    throw err;
  }
  throw new Error('expected a VrpParseError');
}

describe('parseCvrplib', () => {
  it('reads P-n16-k8 with its header, demands and rounded distances', () => {
    const inst = parseCvrplib(fixture('P-n16-k8.vrp'));
    expect(inst.name).toBe('P-n16-k8');
    expect(inst.dimension).toBe(16);
    expect(inst.capacity).toBe(35);
    expect(Array.from(inst.demands.slice(0, 4))).toEqual([0, 19, 30, 16]);
    // Depot (30,40) to node 2 (37,52): sqrt(49 + 144) = 13.89 -> 14.
    expect(inst.distances[1]).toBe(14);
    // Node 2 (37,52) to node 3 (49,49): sqrt(144 + 9) = 12.37 -> 12.
    expect(inst.distances[1 * 16 + 2]).toBe(12);
    expect(inst.distances[2 * 16 + 1]).toBe(12);
  });

  it('accepts CRLF line endings and tab-separated values as in the X files', () => {
    const crlf = SMALL.replace(/ : /g, ' : \t').replace(/\n(\d) /g, '\n$1\t').replace(/\n/g, '\r\n');
    const inst = parseCvrplib(crlf);
    expect(inst.name).toBe('tiny');
    expect(inst.distances[1]).toBe(5); // (0,0)-(3,4)
    expect(inst.distances[1 * 4 + 2]).toBe(4); // (3,4)-(0,7): sqrt(18) = 4.24
  });

  it('reports a missing DIMENSION at the first section', () => {
    const err = parseError(SMALL.replace('DIMENSION : 4\n', ''));
    expect(err.message).toMatch(/missing DIMENSION/);
    expect(err.line).toBe(5); // NODE_COORD_SECTION, one line up
  });

  it('reports a bad coordinate on its line', () => {
    const err = parseError(SMALL.replace('3 0 7', '3 0 seven'));
    expect(err.message).toMatch(/bad coordinate "seven"/);
    expect(err.line).toBe(9);
  });

  it('reports a short DEMAND_SECTION where the section ends, naming the missing node', () => {
    const err = parseError(SMALL.replace('4 6\n', ''));
    expect(err.message).toMatch(/DEMAND_SECTION has 3 of 4 nodes \(missing 4\)/);
    expect(err.line).toBe(15); // DEPOT_SECTION, one line up
  });

  it('rejects an unknown EDGE_WEIGHT_TYPE on its line', () => {
    const err = parseError(SMALL.replace('EUC_2D', 'GEO'));
    expect(err.message).toMatch(/unsupported EDGE_WEIGHT_TYPE "GEO"/);
    expect(err.line).toBe(4);
  });

  it('rejects node ids outside 1..DIMENSION on their line', () => {
    const err = parseError(SMALL.replace('4 -6 0', '5 -6 0'));
    expect(err.message).toMatch(/node id "5"/);
    expect(err.line).toBe(10);
  });

  it('rejects a data line outside any section', () => {
    const err = parseError(SMALL.replace('CAPACITY : 10', 'CAPACITY : 10\n12 13'));
    expect(err.line).toBe(6);
  });

  it('reads EXPLICIT LOWER_ROW weights symmetrically', () => {
    const text = [
      'NAME : m',
      'TYPE : CVRP',
      'DIMENSION : 3',
      'EDGE_WEIGHT_TYPE : EXPLICIT',
      'EDGE_WEIGHT_FORMAT : LOWER_ROW',
      'CAPACITY : 5',
      'EDGE_WEIGHT_SECTION',
      '7',
      '8 9',
      'DEMAND_SECTION',
      '1 0',
      '2 1',
      '3 1',
      'DEPOT_SECTION',
      '1',
      '-1',
      'EOF',
    ].join('\n');
    const inst = parseCvrplib(text);
    expect(Array.from(inst.distances)).toEqual([0, 7, 8, 7, 0, 9, 8, 9, 0]);
  });

  it('puts the depot first when it is not node 1', () => {
    const text = SMALL.replace('DEPOT_SECTION\n1\n', 'DEPOT_SECTION\n3\n').replace('\n1 0\n', '\n1 4\n').replace('\n3 5\n', '\n3 0\n');
    const inst = parseCvrplib(text);
    expect(Array.from(inst.sourceIds!)).toEqual([3, 1, 2, 4]);
    expect(Array.from(inst.demands)).toEqual([0, 4, 4, 6]);
    expect(inst.distances[1]).toBe(7); // depot (0,7) to node 1 (0,0)
  });
});

describe('CVRPLIB .sol', () => {
  it('writes routes and cost, skipping empty routes, and reads them back', () => {
    const text = writeCvrplibSolution([[1, 3], [], [2]], 42);
    expect(text).toBe('Route #1: 1 3\nRoute #2: 2\nCost 42\n');
    expect(parseCvrplibSolution(text)).toEqual({ routes: [[1, 3], [2]], cost: 42 });
  });

  it('reports a malformed line with its number', () => {
    expect(() => parseCvrplibSolution('Route #1: 1 2\nRoute two: 3\nCost 5\n')).toThrow(/line 2: expected "Route #k/);
    expect(() => parseCvrplibSolution('Route #1: 1 2\n')).toThrow(/missing "Cost N"/);
  });
});
