import { describe, expect, it } from 'vitest';
import { parseSolomon } from './solomon.ts';

// The head of Solomon's C101 (depot and three customers), CRLF as in the distributed files.
const C101_HEAD = [
  'C101',
  '',
  'VEHICLE',
  'NUMBER     CAPACITY',
  '  25         200',
  '',
  'CUSTOMER',
  'CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME',
  ' ',
  '    0      40         50          0          0       1236          0   ',
  '    1      45         68         10        912        967         90   ',
  '    2      45         70         30        825        870         90   ',
  '    3      42         66         10         65        146         90   ',
].join('\r\n');

describe('parseSolomon', () => {
  it('reads fleet, demands, time windows, service times and unrounded distances', () => {
    const inst = parseSolomon(C101_HEAD);
    expect(inst.name).toBe('C101');
    expect(inst.vehicleCount).toBe(25);
    expect(inst.capacity).toBe(200);
    expect(inst.dimension).toBe(4);
    expect(Array.from(inst.demands)).toEqual([0, 10, 30, 10]);
    expect(Array.from(inst.readyTimes!)).toEqual([0, 912, 825, 65]);
    expect(Array.from(inst.dueTimes!)).toEqual([1236, 967, 870, 146]);
    expect(Array.from(inst.serviceTimes!)).toEqual([0, 90, 90, 90]);
    expect(inst.distances[1]).toBeCloseTo(Math.sqrt(25 + 324), 12);
  });

  it('reports a short customer line with its line number', () => {
    expect(() => parseSolomon(C101_HEAD.replace('    2      45         70         30        825        870         90   ', '    2  45 70 30'))).toThrow(
      /line 12: expected 7 columns, got 4/,
    );
  });

  it('reports a window that closes before it opens', () => {
    expect(() => parseSolomon(C101_HEAD.replace('65        146', '165        146'))).toThrow(/line 13: ready time 165 is after due date 146/);
  });

  it('reports a missing VEHICLE block', () => {
    expect(() => parseSolomon('C101\n\nCUSTOMER\n')).toThrow(/line 3: expected "VEHICLE"/);
  });
});
