/**
 * Readers and writers for CVRPLIB/TSPLIB files: `.vrp` instances and `.sol` solutions.
 * TSPLIB 95 (Reinelt 1995) §2: EUC_2D distances are nint(Euclidean), CEIL_2D round up;
 * EXPLICIT weights come in an EDGE_WEIGHT_SECTION in the stated EDGE_WEIGHT_FORMAT.
 */
import { euclideanMatrix, type CvrpInstance } from './instance.ts';

/** A malformed input file; `line` is 1-based. */
export class VrpParseError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'VrpParseError';
  }
}

const SECTIONS = new Set(['NODE_COORD_SECTION', 'DEMAND_SECTION', 'DEPOT_SECTION', 'EDGE_WEIGHT_SECTION', 'DISPLAY_DATA_SECTION', 'EOF']);
const WEIGHT_TYPES = new Set(['EUC_2D', 'CEIL_2D', 'EXPLICIT']);
const WEIGHT_FORMATS = new Set(['FULL_MATRIX', 'LOWER_ROW', 'LOWER_DIAG_ROW', 'UPPER_ROW', 'UPPER_DIAG_ROW']);

interface Token {
  text: string;
  line: number;
}

/** Parses a CVRPLIB `.vrp` file (TSPLIB format, CVRP extension). Throws VrpParseError with the line of the problem. */
export function parseCvrplib(text: string): CvrpInstance {
  const lines = text.split(/\r?\n|\r/);
  const header = new Map<string, { value: string; line: number }>();
  const sections = new Map<string, { line: number; rows: Token[][]; end: number }>();
  let current: { line: number; rows: Token[][]; end: number } | undefined;
  let sawEof = false;

  for (let i = 0; i < lines.length && !sawEof; i++) {
    const lineNo = i + 1;
    const raw = lines[i].trim();
    if (raw === '') continue;
    const keyMatch = /^([A-Z_]+)\s*(?::\s*(.*))?$/.exec(raw);
    const word = keyMatch?.[1] ?? '';
    if (keyMatch && SECTIONS.has(word) && !keyMatch[2]) {
      if (current) current.end = lineNo;
      if (word === 'EOF') {
        sawEof = true;
        current = undefined;
        break;
      }
      if (sections.has(word)) throw new VrpParseError(`${word} appears twice`, lineNo);
      current = { line: lineNo, rows: [], end: lines.length };
      sections.set(word, current);
      continue;
    }
    const headerMatch = /^([A-Za-z_]+)\s*:\s*(.*)$/.exec(raw);
    if (headerMatch) {
      if (current) current.end = lineNo;
      current = undefined;
      header.set(headerMatch[1].toUpperCase(), { value: headerMatch[2].trim().replace(/^"|"$/g, ''), line: lineNo });
      continue;
    }
    if (!current) throw new VrpParseError(`unexpected line "${raw.slice(0, 40)}" outside any section`, lineNo);
    current.rows.push(raw.split(/\s+/).map((t) => ({ text: t, line: lineNo })));
  }
  const lastLine = lines.length;

  const headerInt = (key: string, neededAt: number): number => {
    const entry = header.get(key);
    if (!entry) throw new VrpParseError(`missing ${key}`, neededAt);
    const v = Number(entry.value);
    if (!Number.isInteger(v) || v <= 0) throw new VrpParseError(`${key} must be a positive integer, got "${entry.value}"`, entry.line);
    return v;
  };
  const firstSectionLine = Math.min(...[...sections.values()].map((s) => s.line), lastLine);

  const type = header.get('TYPE');
  if (type && !/^(CVRP|DCVRP|VRP)$/i.test(type.value)) throw new VrpParseError(`unsupported TYPE "${type.value}" (expected CVRP)`, type.line);
  const dimension = headerInt('DIMENSION', firstSectionLine);
  if (dimension < 2) throw new VrpParseError('DIMENSION must count the depot and at least one customer', header.get('DIMENSION')!.line);
  const capacity = headerInt('CAPACITY', firstSectionLine);
  const weightEntry = header.get('EDGE_WEIGHT_TYPE');
  if (!weightEntry) throw new VrpParseError('missing EDGE_WEIGHT_TYPE', firstSectionLine);
  const weightType = weightEntry.value.toUpperCase();
  if (!WEIGHT_TYPES.has(weightType)) {
    throw new VrpParseError(`unsupported EDGE_WEIGHT_TYPE "${weightEntry.value}" (supported: ${[...WEIGHT_TYPES].join(', ')})`, weightEntry.line);
  }

  // Node ids are 1..dimension in the file.
  const checkId = (t: Token): number => {
    const id = Number(t.text);
    if (!Number.isInteger(id) || id < 1 || id > dimension) throw new VrpParseError(`node id "${t.text}" is not in 1..${dimension}`, t.line);
    return id;
  };
  const num = (t: Token | undefined, what: string, line: number): number => {
    if (!t) throw new VrpParseError(`missing ${what}`, line);
    const v = Number(t.text);
    if (t.text === '' || !Number.isFinite(v)) throw new VrpParseError(`bad ${what} "${t.text}"`, t.line);
    return v;
  };

  // Depot: DEPOT_SECTION lists ids terminated by -1; default node 1.
  let depotId = 1;
  const depotSection = sections.get('DEPOT_SECTION');
  if (depotSection) {
    const ids = depotSection.rows.flat().filter((t) => t.text !== '-1');
    if (ids.length === 0) throw new VrpParseError('DEPOT_SECTION lists no depot', depotSection.line);
    if (ids.length > 1) throw new VrpParseError('several depots are not supported yet', ids[1].line);
    depotId = checkId(ids[0]);
  }
  // Internal order: the depot first, then the other ids in increasing order.
  const indexOfId = new Int32Array(dimension + 1);
  const sourceIds = new Int32Array(dimension);
  sourceIds[0] = depotId;
  for (let id = 1, k = 1; id <= dimension; id++) {
    if (id === depotId) continue;
    sourceIds[k] = id;
    indexOfId[id] = k++;
  }
  indexOfId[depotId] = 0;

  const readPerNode = (name: string, columns: number): { values: Float64Array[]; } => {
    const section = sections.get(name);
    if (!section) throw new VrpParseError(`missing ${name}`, lastLine);
    const values = Array.from({ length: columns }, () => new Float64Array(dimension));
    const seen = new Uint8Array(dimension + 1);
    for (const row of section.rows) {
      const id = checkId(row[0]);
      if (seen[id]) throw new VrpParseError(`node ${id} appears twice in ${name}`, row[0].line);
      seen[id] = 1;
      if (row.length !== columns + 1) {
        throw new VrpParseError(`${name} expects "id ${columns === 2 ? 'x y' : 'value'}", got ${row.length} fields`, row[0].line);
      }
      for (let c = 0; c < columns; c++) values[c][indexOfId[id]] = num(row[c + 1], name === 'DEMAND_SECTION' ? 'demand' : 'coordinate', row[0].line);
    }
    if (section.rows.length < dimension) {
      const missing = [];
      for (let id = 1; id <= dimension && missing.length < 5; id++) if (!seen[id]) missing.push(id);
      throw new VrpParseError(`${name} has ${section.rows.length} of ${dimension} nodes (missing ${missing.join(', ')}${missing.length === 5 ? ', …' : ''})`, section.end);
    }
    return { values };
  };

  const [demands] = readPerNode('DEMAND_SECTION', 1).values;
  for (let i = 0; i < dimension; i++) {
    if (demands[i] < 0) throw new VrpParseError(`negative demand for node ${sourceIds[i]}`, sections.get('DEMAND_SECTION')!.line);
  }

  let x: Float64Array | undefined;
  let y: Float64Array | undefined;
  if (sections.has('NODE_COORD_SECTION')) [x, y] = readPerNode('NODE_COORD_SECTION', 2).values;

  let distances: Float64Array;
  if (weightType === 'EXPLICIT') {
    distances = explicitMatrix(header, sections.get('EDGE_WEIGHT_SECTION'), dimension, indexOfId, weightEntry.line, lastLine);
  } else {
    if (!x || !y) throw new VrpParseError(`missing NODE_COORD_SECTION (needed by EDGE_WEIGHT_TYPE ${weightType})`, lastLine);
    distances = euclideanMatrix(x, y, weightType === 'CEIL_2D' ? 'ceil' : 'nint');
  }

  const instance: CvrpInstance = { name: header.get('NAME')?.value ?? '', dimension, capacity, demands, distances, x, y, sourceIds };
  const maxDistance = header.get('DISTANCE');
  if (maxDistance) instance.maxRouteDuration = num({ text: maxDistance.value, line: maxDistance.line }, 'DISTANCE', maxDistance.line);
  const service = header.get('SERVICE_TIME');
  if (service) instance.serviceTimes = new Float64Array(dimension).fill(num({ text: service.value, line: service.line }, 'SERVICE_TIME', service.line));
  if (instance.serviceTimes) instance.serviceTimes[0] = 0;
  const vehicles = header.get('VEHICLES');
  if (vehicles) instance.vehicleCount = num({ text: vehicles.value, line: vehicles.line }, 'VEHICLES', vehicles.line);
  return instance;
}

function explicitMatrix(
  header: Map<string, { value: string; line: number }>,
  section: { line: number; rows: Token[][]; end: number } | undefined,
  n: number,
  indexOfId: Int32Array,
  typeLine: number,
  lastLine: number,
): Float64Array {
  const formatEntry = header.get('EDGE_WEIGHT_FORMAT');
  if (!formatEntry) throw new VrpParseError('missing EDGE_WEIGHT_FORMAT (needed by EDGE_WEIGHT_TYPE EXPLICIT)', typeLine);
  const format = formatEntry.value.toUpperCase();
  if (!WEIGHT_FORMATS.has(format)) throw new VrpParseError(`unsupported EDGE_WEIGHT_FORMAT "${formatEntry.value}"`, formatEntry.line);
  if (!section) throw new VrpParseError('missing EDGE_WEIGHT_SECTION', lastLine);
  const tokens = section.rows.flat();
  const d = new Float64Array(n * n);
  let k = 0;
  const take = (): number => {
    const t = tokens[k++];
    if (!t) throw new VrpParseError(`EDGE_WEIGHT_SECTION ends early (${k - 1} weights for ${format} of dimension ${n})`, section.end);
    const v = Number(t.text);
    if (!Number.isFinite(v)) throw new VrpParseError(`bad edge weight "${t.text}"`, t.line);
    return v;
  };
  // Weights are given in file id order; store them by internal index.
  const set = (i: number, j: number, v: number) => {
    const a = indexOfId[i + 1];
    const b = indexOfId[j + 1];
    d[a * n + b] = v;
    d[b * n + a] = v;
  };
  for (let i = 0; i < n; i++) {
    if (format === 'FULL_MATRIX') {
      for (let j = 0; j < n; j++) {
        const v = take();
        d[indexOfId[i + 1] * n + indexOfId[j + 1]] = v;
      }
    } else if (format === 'LOWER_ROW') for (let j = 0; j < i; j++) set(i, j, take());
    else if (format === 'LOWER_DIAG_ROW') for (let j = 0; j <= i; j++) set(i, j, take());
    else if (format === 'UPPER_ROW') for (let j = i + 1; j < n; j++) set(i, j, take());
    else for (let j = i; j < n; j++) set(i, j, take());
  }
  if (k < tokens.length) throw new VrpParseError(`EDGE_WEIGHT_SECTION has more weights than ${format} of dimension ${n} needs`, tokens[k].line);
  return d;
}

/** A solution in the CVRPLIB `.sol` format. */
export interface CvrpSolutionFile {
  routes: number[][];
  cost: number;
}

/** Formats a cost: integers as they are, fractions with up to 6 decimals. */
export function formatCost(cost: number): string {
  return Number.isInteger(cost) ? String(cost) : String(Math.round(cost * 1e6) / 1e6);
}

/**
 * Writes the CVRPLIB `.sol` format: `Route #k: c1 c2 …` then `Cost N`. Customers are numbered
 * with the depot as 0, which for files whose depot is node 1 is the file id minus one.
 */
export function writeCvrplibSolution(routes: ReadonlyArray<ReadonlyArray<number>>, cost: number): string {
  const lines: string[] = [];
  let k = 0;
  for (const route of routes) {
    if (route.length === 0) continue;
    lines.push(`Route #${++k}: ${route.join(' ')}`);
  }
  lines.push(`Cost ${formatCost(cost)}`);
  return lines.join('\n') + '\n';
}

/** Reads a CVRPLIB `.sol` file. Throws VrpParseError with the line of the problem. */
export function parseCvrplibSolution(text: string): CvrpSolutionFile {
  const lines = text.split(/\r?\n|\r/);
  const routes: number[][] = [];
  let cost: number | undefined;
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const route = /^Route\s*#\s*(\d+)\s*:(.*)$/i.exec(line);
    if (route) {
      const customers = route[2].trim() === '' ? [] : route[2].trim().split(/\s+/).map(Number);
      if (customers.some((c) => !Number.isInteger(c) || c < 1)) throw new VrpParseError(`route #${route[1]} has a customer that is not a positive integer`, i + 1);
      routes.push(customers);
      return;
    }
    const costMatch = /^Cost\s+(\S+)$/i.exec(line);
    if (costMatch) {
      cost = Number(costMatch[1]);
      if (!Number.isFinite(cost)) throw new VrpParseError(`bad cost "${costMatch[1]}"`, i + 1);
      return;
    }
    throw new VrpParseError(`expected "Route #k: …" or "Cost N", got "${line.slice(0, 40)}"`, i + 1);
  });
  if (cost === undefined) throw new VrpParseError('missing "Cost N" line', lines.length);
  return { routes, cost };
}
