/**
 * Fault detection for street lamps: a small state machine per lamp, fed with its telemetry and the sun's
 * position at each observation. A fault is raised when an observation shows it and cleared when an
 * observation shows the lamp normal again on the same point. Pure: time enters as parameters.
 */
import { sunElevationDeg } from './burning-hours.ts';
import type { Technology } from './scenarios.ts';

export const FAULT_KINDS = ['offAtNight', 'onByDay', 'powerDeviation', 'noData', 'reportedFailure'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface LampSpec {
  id: string;
  lat: number;
  lon: number;
  technology: Technology;
  ratedW: number;
  /** Ballast loss as a fraction of the rating (LED: 0). */
  ballastLoss: number;
  /** Seconds between two messages of a healthy lamp. */
  expectedPeriodS: number;
}

export interface Observation {
  /** When the measure was taken (observedAt), ms. */
  at: number;
  /** When Madina received it, ms (silence is measured on this clock). */
  receivedAt: number;
  powerState?: 'on' | 'off';
  powerW?: number;
  /** Dim level 0..1 reported by the lamp (or commanded). */
  level?: number;
  status?: string;
}

export interface ActiveFault {
  since: number;
  detail: Record<string, unknown>;
}

export interface LampState {
  lastObservedAt?: number;
  lastReceivedAt?: number;
  active: Partial<Record<FaultKind, ActiveFault>>;
}

export interface FaultEvent {
  lampId: string;
  kind: FaultKind;
  change: 'raised' | 'cleared';
  at: number;
  detail: Record<string, unknown>;
}

export interface FaultOptions {
  /** The lamp must be on when the sun is below this elevation (past every photocell's delay). */
  nightBelowDeg: number;
  /** The lamp must be off when the sun is above this elevation. */
  dayAboveDeg: number;
  /** Relative distance between measured and expected power that is a fault. */
  powerTolerance: number;
  /** Silence longer than this many expected periods is a fault. */
  silenceFactor: number;
  /** Below this draw (W) a lamp without a powerState counts as off (controllers draw a little in standby). */
  onThresholdW: number;
}

export const DEFAULT_FAULT_OPTIONS: FaultOptions = { nightBelowDeg: -4, dayAboveDeg: 1, powerTolerance: 0.2, silenceFactor: 2, onThresholdW: 5 };

export const newLampState = (): LampState => ({ active: {} });

/** Power the lamp should draw at a dim level: rating × (1 + ballast loss) × level (only LEDs dim). */
export const expectedPowerW = (lamp: LampSpec, level: number) => lamp.ratedW * (1 + lamp.ballastLoss) * (lamp.technology === 'LED' ? level : 1);

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

function transition(state: LampState, events: FaultEvent[], lampId: string, kind: FaultKind, faulty: boolean, at: number, detail: Record<string, unknown>) {
  const open = state.active[kind];
  if (faulty && !open) {
    state.active[kind] = { since: at, detail };
    events.push({ lampId, kind, change: 'raised', at, detail });
  } else if (faulty && open) {
    open.detail = detail;
  } else if (!faulty && open) {
    delete state.active[kind];
    events.push({ lampId, kind, change: 'cleared', at, detail });
  }
}

/**
 * One observation of a lamp: returns the new state and the faults raised or cleared. Observations older
 * than the last one seen only count as a sign of life (they may arrive out of order).
 */
export function observe(prev: LampState, lamp: LampSpec, obs: Observation, opts: FaultOptions = DEFAULT_FAULT_OPTIONS): { state: LampState; events: FaultEvent[] } {
  const state: LampState = { ...prev, active: { ...prev.active } };
  const events: FaultEvent[] = [];
  state.lastReceivedAt = Math.max(prev.lastReceivedAt ?? 0, obs.receivedAt);
  transition(state, events, lamp.id, 'noData', false, obs.receivedAt, {});
  if (prev.lastObservedAt !== undefined && obs.at < prev.lastObservedAt) return { state, events };
  state.lastObservedAt = obs.at;

  const on = obs.powerState ? obs.powerState === 'on' : obs.powerW !== undefined ? obs.powerW >= opts.onThresholdW : undefined;
  const elevation = round(sunElevationDeg(lamp.lat, lamp.lon, obs.at), 2);
  if (on !== undefined) {
    // Off at night clears only when the lamp is seen on again (by day, off proves nothing); on by day, when seen off.
    const night = elevation < opts.nightBelowDeg;
    const day = elevation > opts.dayAboveDeg;
    if (!on && night) transition(state, events, lamp.id, 'offAtNight', true, obs.at, { sunElevationDeg: elevation });
    if (on) transition(state, events, lamp.id, 'offAtNight', false, obs.at, { sunElevationDeg: elevation });
    if (on && day) transition(state, events, lamp.id, 'onByDay', true, obs.at, { sunElevationDeg: elevation });
    if (!on) transition(state, events, lamp.id, 'onByDay', false, obs.at, { sunElevationDeg: elevation });
    if (on && obs.powerW !== undefined) {
      const level = obs.level !== undefined && obs.level > 0 ? obs.level : 1;
      const expected = expectedPowerW(lamp, level);
      const deviation = expected > 0 ? (obs.powerW - expected) / expected : 0;
      const detail = { measuredW: obs.powerW, expectedW: round(expected), level, deviation: round(deviation, 3) };
      transition(state, events, lamp.id, 'powerDeviation', Math.abs(deviation) > opts.powerTolerance, obs.at, detail);
    }
  }
  if (obs.status !== undefined) transition(state, events, lamp.id, 'reportedFailure', obs.status !== 'ok', obs.at, { status: obs.status });
  return { state, events };
}

/** Raises `noData` when the lamp has been silent longer than silenceFactor × its expected period at `now`. */
export function checkSilence(prev: LampState, lamp: LampSpec, now: number, opts: FaultOptions = DEFAULT_FAULT_OPTIONS): { state: LampState; events: FaultEvent[] } {
  if (prev.lastReceivedAt === undefined || prev.active.noData) return { state: prev, events: [] };
  const silentS = (now - prev.lastReceivedAt) / 1000;
  if (silentS <= opts.silenceFactor * lamp.expectedPeriodS) return { state: prev, events: [] };
  const state: LampState = { ...prev, active: { ...prev.active } };
  const events: FaultEvent[] = [];
  transition(state, events, lamp.id, 'noData', true, now, { lastSeen: new Date(prev.lastReceivedAt).toISOString(), silentS: Math.round(silentS), expectedPeriodS: lamp.expectedPeriodS });
  return { state, events };
}
