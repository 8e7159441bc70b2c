/**
 * The temporal part of a temporal query (NGSI-LD 1.8 §5.7.3-4, §6.18-19): timerel, time window,
 * lastN, representation and aggregation, parsed from query parameters into plain data.
 */
import { HubErrors } from '../errors.ts';
import { normaliseDateTime } from '../entities/validate.ts';
import { DurationSyntaxError, isZero, parseDuration, type Duration } from './duration.ts';

export type Timerel = 'before' | 'after' | 'between';
export type TimeProperty = 'observedAt' | 'createdAt' | 'modifiedAt';
export type TemporalFormat = 'normalized' | 'temporalValues' | 'aggregatedValues';

export const AGGR_METHODS = ['totalCount', 'distinctCount', 'sum', 'avg', 'min', 'max', 'stddev', 'sumsq'] as const;
export type AggrMethod = (typeof AGGR_METHODS)[number];

export interface TemporalQuery {
  timerel?: Timerel;
  /** Epoch milliseconds. */
  timeAt?: number;
  endTimeAt?: number;
  timeproperty: TimeProperty;
  lastN?: number;
  format: TemporalFormat;
  sysAttrs: boolean;
  aggrMethods: AggrMethod[];
  /** undefined = the whole time range is one period (§4.5.19, "PT0S"). */
  aggrPeriod?: Duration;
  /** Most instances per attribute (and datasetId) in one answer; more are paged with Content-Range. */
  instanceLimit: number;
}

/** Default and maximum number of instances of one attribute in one response. */
export const MAX_INSTANCES = 1000;

const bad = (detail: string) => HubErrors.badRequestData.with(detail);

function one(query: Record<string, unknown>, name: string): string | undefined {
  const v = query[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw bad(`Parameter ${name} must be given once`);
  return v;
}

function time(query: Record<string, unknown>, name: string): number | undefined {
  const raw = one(query, name);
  if (raw === undefined) return undefined;
  const iso = normaliseDateTime(raw);
  if (!iso) throw bad(`${name} must be an ISO 8601 date-time with a time zone, got ${JSON.stringify(raw)}`);
  return Date.parse(iso);
}

/**
 * Parses the temporal parameters. `options` is the set already read from options=/format=
 * (temporalValues, aggregatedValues, sysAttrs).
 */
export function parseTemporalQuery(query: Record<string, unknown>, options: Set<string>): TemporalQuery {
  const timerelRaw = one(query, 'timerel');
  const timeAt = time(query, 'timeAt');
  const endTimeAt = time(query, 'endTimeAt');
  let timerel: Timerel | undefined;
  if (timerelRaw !== undefined) {
    if (timerelRaw !== 'before' && timerelRaw !== 'after' && timerelRaw !== 'between') {
      throw bad(`timerel must be before, after or between, got ${JSON.stringify(timerelRaw)}`);
    }
    timerel = timerelRaw;
    if (timeAt === undefined) throw bad('timerel needs timeAt');
  } else if (timeAt !== undefined) {
    throw bad('timeAt needs timerel');
  }
  if (timerel === 'between') {
    if (endTimeAt === undefined) throw bad('timerel=between needs endTimeAt');
    if (endTimeAt <= timeAt!) throw bad('endTimeAt must be after timeAt');
  } else if (endTimeAt !== undefined) {
    throw bad('endTimeAt is only allowed with timerel=between');
  }

  const tp = one(query, 'timeproperty') ?? 'observedAt';
  if (tp !== 'observedAt' && tp !== 'createdAt' && tp !== 'modifiedAt') {
    throw bad(`timeproperty must be observedAt, createdAt or modifiedAt, got ${JSON.stringify(tp)}`);
  }

  const lastNRaw = one(query, 'lastN');
  let lastN: number | undefined;
  if (lastNRaw !== undefined) {
    if (!/^\d{1,9}$/.test(lastNRaw) || Number(lastNRaw) < 1) throw bad('lastN must be a positive integer');
    lastN = Number(lastNRaw);
  }

  if (options.has('temporalValues') && options.has('aggregatedValues')) {
    throw bad('temporalValues and aggregatedValues cannot be combined');
  }
  const format: TemporalFormat = options.has('aggregatedValues')
    ? 'aggregatedValues'
    : options.has('temporalValues')
      ? 'temporalValues'
      : 'normalized';

  const methodsRaw = one(query, 'aggrMethods');
  const aggrMethods: AggrMethod[] = [];
  if (methodsRaw !== undefined) {
    for (const m of methodsRaw.split(',').map((s) => s.trim())) {
      if (!(AGGR_METHODS as readonly string[]).includes(m)) {
        throw bad(`Unknown aggrMethod ${JSON.stringify(m)}; allowed: ${AGGR_METHODS.join(', ')}`);
      }
      if (!aggrMethods.includes(m as AggrMethod)) aggrMethods.push(m as AggrMethod);
    }
  }
  if (format === 'aggregatedValues' && !aggrMethods.length) throw bad('aggregatedValues needs aggrMethods');

  const periodRaw = one(query, 'aggrPeriodDuration');
  let aggrPeriod: Duration | undefined;
  if (periodRaw !== undefined) {
    try {
      aggrPeriod = parseDuration(periodRaw);
    } catch (err) {
      if (err instanceof DurationSyntaxError) throw bad(`aggrPeriodDuration: ${err.message}`);
      throw err;
    }
    if (isZero(aggrPeriod)) aggrPeriod = undefined;
  }

  return {
    timerel,
    timeAt,
    endTimeAt,
    timeproperty: tp,
    lastN,
    format,
    sysAttrs: options.has('sysAttrs'),
    aggrMethods,
    aggrPeriod,
    instanceLimit: Math.min(lastN ?? MAX_INSTANCES, MAX_INSTANCES),
  };
}
