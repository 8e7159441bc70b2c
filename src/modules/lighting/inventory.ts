/**
 * The lighting inventory as flat records (one CSV row, or one GeoJSON feature's properties) and as Smart
 * Data Models entities (Streetlight, StreetlightModel, StreetlightControlCabinet, StreetlightGroup):
 * field specifications, validation with a (row, field, problem) report, and the two conversions.
 * Pure: where a point lies and which referenced ids exist are given by the caller.
 */
import type { NgsiEntity } from '../../hub/client/hub-client.ts';
import { CsvSyntaxError, parseCsv } from './csv.ts';
import { GeoJsonError, readFeatureCollection } from './geojson-import.ts';
import { TECHNOLOGIES } from './scenarios.ts';

export const INVENTORY_TYPES = ['Streetlight', 'StreetlightModel', 'StreetlightControlCabinet', 'StreetlightGroup'] as const;
export type InventoryType = (typeof INVENTORY_TYPES)[number];

type Kind = 'id' | 'lat' | 'lon' | 'number' | 'integer' | 'text' | 'enum' | 'date' | 'ref';

export interface FieldSpec {
  name: string;
  kind: Kind;
  required?: boolean;
  min?: number;
  max?: number;
  values?: readonly string[];
  refType?: InventoryType;
  /** UN/CEFACT unit of the value. */
  unitCode?: string;
  /** Madina's own attribute, not in the Smart Data Model (documented in docs/lighting.md). */
  extension?: boolean;
}

const LOCATED: FieldSpec[] = [
  { name: 'lat', kind: 'lat', required: true },
  { name: 'lon', kind: 'lon', required: true },
];

export const FIELDS: Record<InventoryType, FieldSpec[]> = {
  Streetlight: [
    { name: 'id', kind: 'id', required: true },
    ...LOCATED,
    { name: 'lampTechnology', kind: 'enum', values: TECHNOLOGIES, required: true },
    { name: 'powerRating', kind: 'number', min: 1, max: 2000, unitCode: 'WTT', required: true },
    { name: 'ballastLoss', kind: 'number', min: 0, max: 0.5, extension: true },
    { name: 'refStreetlightModel', kind: 'ref', refType: 'StreetlightModel' },
    { name: 'refStreetlightControlCabinet', kind: 'ref', refType: 'StreetlightControlCabinet' },
    { name: 'refStreetlightGroup', kind: 'ref', refType: 'StreetlightGroup' },
    { name: 'lanternHeight', kind: 'number', min: 0, max: 40, unitCode: 'MTR' },
    { name: 'dateServiceStarted', kind: 'date' },
    { name: 'dateLastLampChange', kind: 'date' },
    { name: 'controllingMethod', kind: 'enum', values: ['group', 'individual'] },
    { name: 'status', kind: 'enum', values: ['ok', 'defectiveLamp', 'columnIssue', 'brokenLantern'] },
    { name: 'deviceId', kind: 'text', extension: true },
  ],
  StreetlightModel: [
    { name: 'id', kind: 'id', required: true },
    { name: 'name', kind: 'text', required: true },
    { name: 'lampTechnology', kind: 'enum', values: TECHNOLOGIES, required: true },
    { name: 'powerConsumption', kind: 'number', min: 1, max: 2000, unitCode: 'WTT', required: true },
    { name: 'ballastLoss', kind: 'number', min: 0, max: 0.5, extension: true },
    { name: 'luminousFlux', kind: 'number', min: 0, max: 200000 },
    { name: 'colorTemperature', kind: 'number', min: 1000, max: 10000 },
    { name: 'workingLife', kind: 'number', min: 0, max: 200000 },
  ],
  StreetlightControlCabinet: [
    { name: 'id', kind: 'id', required: true },
    ...LOCATED,
    { name: 'workingMode', kind: 'enum', values: ['automatic', 'manual', 'semiautomatic'], required: true },
    { name: 'refStreetlightGroup', kind: 'ref', refType: 'StreetlightGroup' },
    { name: 'maximumPowerAvailable', kind: 'number', min: 0, max: 1000, unitCode: 'KWT' },
    { name: 'brandName', kind: 'text' },
    { name: 'modelName', kind: 'text' },
    { name: 'serialNumber', kind: 'text' },
    { name: 'dateServiceStarted', kind: 'date' },
    { name: 'deviceId', kind: 'text', extension: true },
  ],
  StreetlightGroup: [
    { name: 'id', kind: 'id', required: true },
    ...LOCATED,
    { name: 'name', kind: 'text' },
    { name: 'refStreetlightControlCabinet', kind: 'ref', refType: 'StreetlightControlCabinet' },
    { name: 'switchingMode', kind: 'text' },
    { name: 'circuitId', kind: 'text' },
  ],
};

export const columnsOf = (type: InventoryType) => FIELDS[type].map((f) => f.name);

export interface Problem {
  /** CSV: line of the file (header = 1); GeoJSON: feature number (1 = first feature). */
  row: number;
  field: string;
  problem: string;
}

export interface ValidRow {
  row: number;
  entity: NgsiEntity;
}

export interface Validation {
  type: InventoryType;
  rows: number;
  valid: ValidRow[];
  problems: Problem[];
  /** Not errors: e.g. columns Madina does not know (ignored). */
  warnings: Problem[];
}

export interface PlaceOf {
  communeCode: string;
  scope: string;
}

export interface ValidationContext {
  /** The place holding a point, undefined outside the region. */
  locate(lon: number, lat: number): PlaceOf | undefined;
  /** Ids (URNs) already in the hub, per referenced type. */
  existing: Partial<Record<InventoryType, Set<string>>>;
  /** Decimal commas are accepted (semicolon-separated files from French spreadsheets). */
  decimalComma?: boolean;
}

const LOCAL_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

/** The URN of an id given in a file: a local id (`sl-0001`) or the full URN of the right type. */
export function entityIdOf(type: InventoryType, raw: string): string | undefined {
  const prefix = `urn:ngsi-ld:${type}:`;
  if (raw.startsWith('urn:')) return raw.startsWith(prefix) && LOCAL_ID.test(raw.slice(prefix.length)) ? raw : undefined;
  return LOCAL_ID.test(raw) ? prefix + raw : undefined;
}

/** The local part of a URN of `type` (what a file shows), or the URN itself when it is of another shape. */
export const localIdOf = (type: InventoryType, urn: string) => (urn.startsWith(`urn:ngsi-ld:${type}:`) ? urn.slice(`urn:ngsi-ld:${type}:`.length) : urn);

const DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

function parseNumber(raw: string, decimalComma: boolean): number | undefined {
  const s = decimalComma ? raw.replace(',', '.') : raw;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Validates records of one type. Every problem is reported with its row and field; ids must be unique in
 * the file; references must point to an entity in the file or in the hub; points must lie in the region.
 */
export function validateRecords(type: InventoryType, records: { row: number; values: Record<string, unknown> }[], columns: string[], ctx: ValidationContext): Validation {
  const specs = FIELDS[type];
  const known = new Set(specs.map((s) => s.name));
  const warnings: Problem[] = columns.filter((c) => c && !known.has(c)).map((c) => ({ row: 1, field: c, problem: 'unknown column, ignored' }));
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  const inFile: Partial<Record<InventoryType, Set<string>>> = {};
  // Ids declared in this file can be referenced by its other rows.
  for (const r of records) {
    const id = typeof r.values.id === 'string' ? entityIdOf(type, r.values.id) : undefined;
    if (id) (inFile[type] ??= new Set()).add(id);
  }
  const valid: ValidRow[] = [];
  for (const r of records) {
    const before = problems.length;
    const out: Record<string, unknown> = {};
    const bad = (field: string, problem: string) => problems.push({ row: r.row, field, problem });
    for (const f of specs) {
      const rawValue = r.values[f.name];
      const raw = rawValue === undefined || rawValue === null ? '' : String(rawValue).trim();
      if (raw === '') {
        if (f.required) bad(f.name, 'required');
        continue;
      }
      switch (f.kind) {
        case 'id': {
          const id = entityIdOf(type, raw);
          if (!id) bad(f.name, `not a valid id (letters, digits, . _ : -, up to 100) or urn:ngsi-ld:${type}:…`);
          else if (seen.has(id)) bad(f.name, `duplicate id, already on row ${seen.get(id)}`);
          else {
            seen.set(id, r.row);
            out.id = id;
          }
          break;
        }
        case 'lat':
        case 'lon':
        case 'number':
        case 'integer': {
          const n = typeof rawValue === 'number' ? rawValue : parseNumber(raw, ctx.decimalComma ?? false);
          const [min, max] = f.kind === 'lat' ? [-90, 90] : f.kind === 'lon' ? [-180, 180] : [f.min ?? -Infinity, f.max ?? Infinity];
          if (n === undefined || !Number.isFinite(n)) bad(f.name, `not a number: ${JSON.stringify(raw.slice(0, 40))}`);
          else if (f.kind === 'integer' && !Number.isInteger(n)) bad(f.name, 'not a whole number');
          else if (n < min || n > max) bad(f.name, `out of range [${min}, ${max}]: ${n}`);
          else out[f.name] = n;
          break;
        }
        case 'enum':
          if (!f.values!.includes(raw)) bad(f.name, `must be one of ${f.values!.join(', ')}: ${JSON.stringify(raw.slice(0, 40))}`);
          else out[f.name] = raw;
          break;
        case 'date':
          if (!DATE.test(raw) || Number.isNaN(Date.parse(raw))) bad(f.name, `not a date (YYYY-MM-DD or ISO 8601): ${JSON.stringify(raw.slice(0, 40))}`);
          else out[f.name] = new Date(raw.length === 10 ? `${raw}T00:00:00Z` : raw).toISOString();
          break;
        case 'ref': {
          const id = entityIdOf(f.refType!, raw);
          if (!id) bad(f.name, `not a valid ${f.refType} id`);
          else if (!inFile[f.refType!]?.has(id) && !ctx.existing[f.refType!]?.has(id)) bad(f.name, `no ${f.refType} ${localIdOf(f.refType!, id)} in the file or the hub`);
          else out[f.name] = id;
          break;
        }
        case 'text':
          if (raw.length > 200) bad(f.name, 'longer than 200 characters');
          else out[f.name] = raw;
          break;
      }
    }
    let place: PlaceOf | undefined;
    if (typeof out.lat === 'number' && typeof out.lon === 'number') {
      place = ctx.locate(out.lon, out.lat);
      if (!place) bad('lat', `(${out.lat}, ${out.lon}) is not in any commune of Casablanca-Settat (check that lat and lon are not swapped)`);
    }
    if (problems.length === before) valid.push({ row: r.row, entity: toEntity(type, out, place) });
  }
  return { type, rows: records.length, valid, problems, warnings };
}

const prop = (value: unknown, unitCode?: string) => ({ type: 'Property', value, ...(unitCode ? { unitCode } : {}) });

/** A validated record as a normalized NGSI-LD entity, in the scope of the place it stands in. */
export function toEntity(type: InventoryType, v: Record<string, unknown>, place?: PlaceOf): NgsiEntity {
  const e: NgsiEntity = { id: String(v.id), type };
  if (place) e.scope = place.scope;
  if (typeof v.lat === 'number' && typeof v.lon === 'number') e.location = { type: 'GeoProperty', value: { type: 'Point', coordinates: [v.lon, v.lat] } };
  for (const f of FIELDS[type]) {
    if (f.kind === 'id' || f.kind === 'lat' || f.kind === 'lon' || v[f.name] === undefined) continue;
    if (f.kind === 'ref') e[f.name] = { type: 'Relationship', object: v[f.name] };
    else if (f.kind === 'date') e[f.name] = prop({ '@type': 'DateTime', '@value': v[f.name] });
    else e[f.name] = prop(v[f.name], f.unitCode);
  }
  return e;
}

/** An entity (keyValues) back to a flat record with the file's columns: ids local, dates ISO, location as lat/lon. */
export function toRecord(type: InventoryType, e: Record<string, unknown>): Record<string, string | number | undefined> {
  const out: Record<string, string | number | undefined> = {};
  const loc = e.location as { type?: string; coordinates?: number[] } | undefined;
  for (const f of FIELDS[type]) {
    const v = e[f.name];
    if (f.kind === 'id') out.id = localIdOf(type, String(e.id));
    else if (f.kind === 'lat') out.lat = loc?.type === 'Point' ? loc.coordinates?.[1] : undefined;
    else if (f.kind === 'lon') out.lon = loc?.type === 'Point' ? loc.coordinates?.[0] : undefined;
    else if (v === undefined || v === null) continue;
    else if (f.kind === 'ref') out[f.name] = localIdOf(f.refType!, String(typeof v === 'object' && v && 'object' in v ? (v as { object: string }).object : v));
    else if (f.kind === 'date') out[f.name] = typeof v === 'object' && v && '@value' in v ? String((v as { '@value': string })['@value']) : String(v);
    else if (typeof v === 'number' || typeof v === 'string') out[f.name] = v;
    else if (f.name === 'name' && typeof v === 'object' && v && 'languageMap' in v) out[f.name] = Object.values((v as { languageMap: Record<string, string> }).languageMap)[0];
  }
  return out;
}

export type FileFormat = 'csv' | 'geojson';

export interface ParsedFile {
  columns: string[];
  records: { row: number; values: Record<string, unknown> }[];
  /** Problems found while reading (syntax, geometry): their rows are never imported. */
  problems: Problem[];
  decimalComma: boolean;
}

/** Reads a CSV text or a GeoJSON document into records; a file that cannot be read at all throws FileSyntaxError. */
export function readInventoryFile(type: InventoryType, format: FileFormat, content: string | unknown): ParsedFile {
  const located = FIELDS[type].some((f) => f.kind === 'lat');
  if (format === 'csv') {
    try {
      const t = parseCsv(typeof content === 'string' ? content : '');
      return { columns: t.columns, records: t.records.map((r) => ({ row: r.line, values: r.values })), problems: [], decimalComma: t.separator === ';' };
    } catch (err) {
      if (err instanceof CsvSyntaxError) throw new FileSyntaxError(err.message, err.line);
      throw err;
    }
  }
  let doc = content;
  if (typeof content === 'string') {
    try {
      doc = JSON.parse(content);
    } catch (err) {
      throw new FileSyntaxError(`not JSON: ${(err as Error).message}`);
    }
  }
  try {
    const g = readFeatureCollection(doc, located);
    return { columns: g.columns, records: g.records, problems: g.problems, decimalComma: false };
  } catch (err) {
    if (err instanceof GeoJsonError) throw new FileSyntaxError(err.message);
    throw err;
  }
}

export class FileSyntaxError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

/** Referenced ids per type (URNs), to look up in the hub before validating. */
export function referencedIds(type: InventoryType, records: { values: Record<string, unknown> }[]): Map<InventoryType, Set<string>> {
  const out = new Map<InventoryType, Set<string>>();
  for (const f of FIELDS[type]) {
    if (f.kind !== 'ref') continue;
    for (const r of records) {
      const raw = r.values[f.name];
      const id = typeof raw === 'string' ? entityIdOf(f.refType!, raw.trim()) : undefined;
      if (!id) continue;
      if (!out.has(f.refType!)) out.set(f.refType!, new Set());
      out.get(f.refType!)!.add(id);
    }
  }
  return out;
}

/** Reading and validation together: the report lists every problem, sorted by row; rows with any problem are not valid. */
export function checkFile(type: InventoryType, file: ParsedFile, ctx: ValidationContext): Validation {
  const v = validateRecords(type, file.records, file.columns, { ...ctx, decimalComma: file.decimalComma });
  const badRows = new Set(file.problems.map((p) => p.row));
  const problems = [...file.problems, ...v.problems.filter((p) => !(badRows.has(p.row) && (p.field === 'lat' || p.field === 'lon')))];
  problems.sort((a, b) => a.row - b.row);
  return { ...v, valid: v.valid.filter((r) => !badRows.has(r.row)), problems };
}
