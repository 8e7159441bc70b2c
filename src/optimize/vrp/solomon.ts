/**
 * Reader for Solomon (1987) VRPTW text files: a name line, a VEHICLE block (NUMBER CAPACITY)
 * and a CUSTOMER block (CUST NO., XCOORD., YCOORD., DEMAND, READY TIME, DUE DATE, SERVICE TIME).
 * The literature evaluates these with unrounded Euclidean distances (travel time = distance).
 */
import { euclideanMatrix, type CvrpInstance } from './instance.ts';
import { VrpParseError } from './cvrplib.ts';

/** Parses a Solomon VRPTW file; customer 0 is the depot. Throws VrpParseError with the line of the problem. */
export function parseSolomon(text: string): CvrpInstance {
  const lines = text.split(/\r?\n|\r/);
  let i = 0;
  const skipBlank = () => {
    while (i < lines.length && lines[i].trim() === '') i++;
  };
  skipBlank();
  if (i >= lines.length) throw new VrpParseError('empty file', 1);
  const name = lines[i++].trim();
  skipBlank();
  if (!/^VEHICLE$/i.test(lines[i]?.trim() ?? '')) throw new VrpParseError('expected "VEHICLE"', Math.min(i + 1, lines.length));
  i++;
  skipBlank();
  if (!/^NUMBER\s+CAPACITY$/i.test(lines[i]?.trim() ?? '')) throw new VrpParseError('expected "NUMBER CAPACITY"', Math.min(i + 1, lines.length));
  i++;
  skipBlank();
  const fleetLine = i + 1;
  const fleet = (lines[i++] ?? '').trim().split(/\s+/).map(Number);
  if (fleet.length !== 2 || !fleet.every((v) => Number.isInteger(v) && v > 0)) {
    throw new VrpParseError('expected two positive integers: vehicle number and capacity', fleetLine);
  }
  skipBlank();
  if (!/^CUSTOMER$/i.test(lines[i]?.trim() ?? '')) throw new VrpParseError('expected "CUSTOMER"', Math.min(i + 1, lines.length));
  i++;
  skipBlank();
  if (!/^CUST\s+NO\./i.test(lines[i]?.trim() ?? '')) throw new VrpParseError('expected the column header "CUST NO. XCOORD. …"', Math.min(i + 1, lines.length));
  i++;

  const rows: number[][] = [];
  for (; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const fields = line.split(/\s+/);
    if (fields.length !== 7) throw new VrpParseError(`expected 7 columns, got ${fields.length}`, i + 1);
    const values = fields.map(Number);
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new VrpParseError(`bad number "${fields[bad]}"`, i + 1);
    if (values[0] !== rows.length) throw new VrpParseError(`expected customer ${rows.length}, got ${fields[0]}`, i + 1);
    if (values[4] > values[5]) throw new VrpParseError(`ready time ${values[4]} is after due date ${values[5]}`, i + 1);
    rows.push(values);
  }
  if (rows.length < 2) throw new VrpParseError('need the depot (customer 0) and at least one customer', lines.length);
  const n = rows.length;
  const col = (c: number) => Float64Array.from(rows, (r) => r[c]);
  const x = col(1);
  const y = col(2);
  return {
    name,
    dimension: n,
    capacity: fleet[1],
    vehicleCount: fleet[0],
    demands: col(3),
    distances: euclideanMatrix(x, y, 'none'),
    x,
    y,
    readyTimes: col(4),
    dueTimes: col(5),
    serviceTimes: col(6),
    sourceIds: Int32Array.from(rows, (r) => r[0]),
  };
}
