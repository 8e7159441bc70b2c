import { describe, expect, it } from 'vitest';
import type { Asset } from '../../region/assets.ts';
import { lampFault, streetlightMeasures } from '../../simulator/patterns.ts';
import { checkSilence, expectedPowerW, newLampState, observe, type FaultEvent, type LampSpec, type LampState, type Observation } from './faults.ts';

const HPS: LampSpec = { id: 'urn:ngsi-ld:Streetlight:a', lat: 33.5731, lon: -7.5898, technology: 'HPS', ratedW: 150, ballastLoss: 0.12, expectedPeriodS: 3600 };
const LED: LampSpec = { ...HPS, id: 'urn:ngsi-ld:Streetlight:b', technology: 'LED', ratedW: 60, ballastLoss: 0 };

// 15 January 2026 in Casablanca: sunset ≈ 17:50 UTC, sunrise ≈ 07:30 UTC.
const NIGHT = Date.parse('2026-01-15T23:00:00Z');
const DAY = Date.parse('2026-01-15T13:00:00Z');
const JUST_AFTER_SUNSET = Date.parse('2026-01-15T17:55:00Z');

/** Feeds observations in order; returns the final state and every event. */
function run(lamp: LampSpec, obs: Partial<Observation>[], start: LampState = newLampState()) {
  let state = start;
  const events: FaultEvent[] = [];
  for (const o of obs) {
    const r = observe(state, lamp, { at: o.at!, receivedAt: o.receivedAt ?? o.at!, ...o });
    state = r.state;
    events.push(...r.events);
  }
  return { state, events: events.map((e) => `${e.change} ${e.kind}`) };
}

describe('lamp fault detection', () => {
  it('raises "off at night" once, keeps it through the day, and clears it when the lamp is seen on', () => {
    const r = run(HPS, [
      { at: NIGHT, powerState: 'off', powerW: 0.5 },
      { at: NIGHT + 1800_000, powerState: 'off', powerW: 0.5 },
      { at: DAY + 86_400_000, powerState: 'off', powerW: 0.5 },
      { at: NIGHT + 86_400_000, powerState: 'on', powerW: 168 },
    ]);
    expect(r.events).toEqual(['raised offAtNight', 'cleared offAtNight']);
    expect(r.state.active).toEqual({});
  });

  it('raises "on by day" and clears it when the lamp is seen off', () => {
    const r = run(HPS, [
      { at: DAY, powerState: 'on', powerW: 168 },
      { at: DAY + 600_000, powerState: 'off', powerW: 0.5 },
    ]);
    expect(r.events).toEqual(['raised onByDay', 'cleared onByDay']);
  });

  it('judges nothing in twilight, while photocells are still switching', () => {
    expect(run(HPS, [{ at: JUST_AFTER_SUNSET, powerState: 'off' }]).events).toEqual([]);
    expect(run(HPS, [{ at: JUST_AFTER_SUNSET, powerState: 'on', powerW: 168 }]).events).toEqual([]);
  });

  it('compares the power with the rating, the ballast loss and the dim level', () => {
    // HPS 150 W + 12% = 168 W expected; 218.4 W is +30% (> 20%), 175 W is +4.2%.
    expect(expectedPowerW(HPS, 0.5)).toBeCloseTo(168, 9);
    const hps = run(HPS, [
      { at: NIGHT, powerState: 'on', powerW: 218.4 },
      { at: NIGHT + 60_000, powerState: 'on', powerW: 175 },
    ]);
    expect(hps.events).toEqual(['raised powerDeviation', 'cleared powerDeviation']);
    // LED 60 W dimmed to 60%: 36 W expected; 37 W is normal, 60 W (+66.7%) is not.
    expect(run(LED, [{ at: NIGHT, powerState: 'on', powerW: 37, level: 0.6 }]).events).toEqual([]);
    const led = observe(newLampState(), LED, { at: NIGHT, receivedAt: NIGHT, powerState: 'on', powerW: 60, level: 0.6 });
    expect(led.events[0].detail).toEqual({ measuredW: 60, expectedW: 36, level: 0.6, deviation: 0.667 });
  });

  it('raises "no data" after twice the expected period of silence, on the reception clock, and clears on the next message', () => {
    const seen = run(HPS, [{ at: NIGHT, receivedAt: NIGHT, powerState: 'on', powerW: 168 }]).state;
    expect(checkSilence(seen, HPS, NIGHT + 7_199_000).events).toEqual([]);
    const silent = checkSilence(seen, HPS, NIGHT + 7_201_000);
    expect(silent.events.map((e) => e.kind)).toEqual(['noData']);
    expect(silent.events[0].detail).toEqual({ lastSeen: '2026-01-15T23:00:00.000Z', silentS: 7201, expectedPeriodS: 3600 });
    // Raised once.
    expect(checkSilence(silent.state, HPS, NIGHT + 9_000_000).events).toEqual([]);
    const back = observe(silent.state, HPS, { at: NIGHT + 9_000_000, receivedAt: NIGHT + 9_000_000, powerState: 'on', powerW: 168 });
    expect(back.events.map((e) => `${e.change} ${e.kind}`)).toEqual(['cleared noData']);
  });

  it('ignores an observation older than the last one, except as a sign of life', () => {
    const r = run(HPS, [
      { at: NIGHT, powerState: 'on', powerW: 168 },
      { at: NIGHT - 3_600_000, receivedAt: NIGHT + 60_000, powerState: 'off' },
    ]);
    expect(r.events).toEqual([]);
    expect(r.state.lastReceivedAt).toBe(NIGHT + 60_000);
    expect(r.state.lastObservedAt).toBe(NIGHT);
  });

  it('raises what the lamp reports about itself and clears it when it reports ok', () => {
    expect(run(HPS, [{ at: DAY, status: 'brokenLantern' }, { at: DAY + 1000, status: 'ok' }]).events).toEqual(['raised reportedFailure', 'cleared reportedFailure']);
  });
});

describe('faults in the simulator telemetry', () => {
  const asset = (deviceId: string, tech: 'HPS' | 'LED', w: number): Asset => ({
    kind: 'streetlight',
    deviceId,
    entityId: `urn:ngsi-ld:Streetlight:${deviceId}`,
    entityType: 'Streetlight',
    lon: -7.5898,
    lat: 33.5731,
    communeCode: '006141010',
    scope: '/MA-06/006141010',
    placeName: 'Casablanca',
    communeType: 'urban',
    placeDensity: 10000,
    params: { model: tech === 'LED' ? 'led-60' : 'hps-150', lampTechnology: tech, nominalPowerW: w, lanternHeight: 10, cabinet: 'c', dateLastLampChange: '2024-01-01T00:00:00.000Z', photocellOffsetMin: 12 },
  });
  const SEED = 20260101;
  const EPISODE = 3 * 86_400_000;

  /** Telemetry of a lamp every 20 minutes through one 3-day fault episode and the next, fed to the detector. */
  function detect(a: Asset, fromMs: number) {
    const spec: LampSpec = { id: a.entityId, lat: a.lat, lon: a.lon, technology: a.params.lampTechnology as 'HPS' | 'LED', ratedW: Number(a.params.nominalPowerW), ballastLoss: a.params.lampTechnology === 'LED' ? 0 : 0.12, expectedPeriodS: 3600 };
    let state = newLampState();
    const events: FaultEvent[] = [];
    for (let ms = fromMs; ms < fromMs + 2 * EPISODE; ms += 20 * 60_000) {
      const m = streetlightMeasures(a, ms, SEED);
      const r = observe(state, spec, { at: ms, receivedAt: ms, powerState: m.powerState as 'on' | 'off', powerW: Number(m.powerConsumption), level: Number(m.illuminanceLevel), status: String(m.status) });
      state = r.state;
      events.push(...r.events);
    }
    return events;
  }

  /** The first device id (and its episode start) the simulator gives `fault` in 2026, with no fault in the next episode. */
  function find(fault: string): { deviceId: string; from: number } {
    const first = Math.floor((Date.UTC(2026, 0, 1) - 12 * 3_600_000) / EPISODE) + 1;
    for (let i = 0; i < 20000; i++) {
      const id = `sl-test-${i}`;
      for (let e = first; e < first + 5; e++) {
        const from = e * EPISODE + 12 * 3_600_000;
        if (lampFault(id, from, SEED) === fault && lampFault(id, from + EPISODE, SEED) === 'none') return { deviceId: id, from };
      }
    }
    throw new Error(`no ${fault}`);
  }

  it.each([
    ['defectiveLamp', 'HPS', ['offAtNight', 'reportedFailure']],
    ['dayBurning', 'HPS', ['onByDay']],
    ['powerDrift', 'HPS', ['powerDeviation']],
    ['powerDrift', 'LED', ['powerDeviation']],
  ] as const)('finds a simulated %s (%s) and clears it when the simulator repairs the lamp', (fault, tech, kinds) => {
    const { deviceId, from } = find(fault);
    const events = detect(asset(deviceId, tech, tech === 'LED' ? 60 : 150), from);
    const raised = [...new Set(events.filter((e) => e.change === 'raised').map((e) => e.kind))].sort();
    expect(raised).toEqual([...kinds].sort());
    // Each fault is raised once during its episode and cleared in the next one.
    for (const k of kinds) {
      const mine = events.filter((e) => e.kind === k);
      expect(mine.map((e) => e.change)).toEqual(['raised', 'cleared']);
      expect(mine[0].at).toBeLessThan(from + EPISODE);
      expect(mine[1].at).toBeGreaterThanOrEqual(from + EPISODE);
    }
  });

  it('raises nothing for a healthy lamp over six days', () => {
    const { deviceId, from } = find('none');
    expect(detect(asset(deviceId, 'HPS', 150), from)).toEqual([]);
    expect(detect(asset(deviceId, 'LED', 60), from)).toEqual([]);
  });
});
