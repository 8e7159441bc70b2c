/**
 * Master-plan scenarios (schéma directeur de l'éclairage public): what today's lamps burn and cost, and
 * what each choice — LED retrofit at chosen wattages, dimming profiles, part-night switching, control-cabinet
 * replacement — would burn, cost, emit, need in investment and pay back, per area. Pure: the inventory, the
 * assumptions and the scenario go in, numbers come out, so a result is reproducible from the inputs shown.
 *
 * energy (kWh) = Σ_classes count × W × (1 + loss) × Σ_nights Σ_steps (hours × level) / 1000
 */
import { csvCell } from './csv.ts';
import { annualProfileHours, DEFAULT_THRESHOLD_DEG, DEFAULT_UTC_OFFSET_MIN, FULL_NIGHT, profileProblems, type DimmingProfile } from './burning-hours.ts';

export const TECHNOLOGIES = ['HPS', 'LPS', 'MH', 'LED'] as const;
export type Technology = (typeof TECHNOLOGIES)[number];

/** Lamps of one kind in an area. `ballastLoss` (fraction of the lamp's rating) overrides the technology default. */
export interface LampClass {
  technology: Technology;
  wattW: number;
  count: number;
  ballastLoss?: number;
}

export interface AreaInventory {
  /** Place code (commune or arrondissement) or group id. */
  areaId: string;
  name: string;
  /** Where the sun is computed (the area's centroid). */
  lat: number;
  lon: number;
  lamps: LampClass[];
  cabinets: number;
}

export interface UnitPrices {
  /** LED luminaire: base + per watt of rating (MAD, excluding VAT). */
  ledLuminaireBaseMad: number;
  ledLuminairePerWattMad: number;
  /** Removal of the old lantern and installation of the new one, per lamp. */
  installationMad: number;
  /** A control cabinet with astronomical clock and remote management, installed. */
  cabinetMad: number;
}

/** Every number the calculation uses besides the inventory and the scenario; defaults in DEFAULT_ASSUMPTIONS. */
export interface Assumptions {
  year: number;
  /** Sun elevation at which lamps switch (degrees). */
  thresholdDeg: number;
  /** Local clock of the dimming profiles: minutes east of UTC. */
  utcOffsetMin: number;
  tariffMadPerKwh: number;
  emissionFactorTco2PerMwh: number;
  discountRate: number;
  lifetimeYears: number;
  /** Ballast (control gear) losses per technology, as a fraction of the lamp's rating. */
  ballastLoss: Record<Technology, number>;
  /** Minutes a night that photocells of old cabinets burn beyond the threshold (dirt, drift); 0 with astronomical clocks. */
  photocellDriftMinPerNight: number;
  prices: UnitPrices;
}

/** Defaults: sources and reasons in docs/lighting.md. All are assumptions to replace with the commune's own figures. */
export const DEFAULT_ASSUMPTIONS: Assumptions = {
  year: 2026,
  thresholdDeg: DEFAULT_THRESHOLD_DEG,
  utcOffsetMin: DEFAULT_UTC_OFFSET_MIN,
  tariffMadPerKwh: 1.4,
  emissionFactorTco2PerMwh: 0.7,
  discountRate: 0.06,
  lifetimeYears: 15,
  ballastLoss: { HPS: 0.12, MH: 0.12, LPS: 0.2, LED: 0 },
  photocellDriftMinPerNight: 15,
  prices: { ledLuminaireBaseMad: 2500, ledLuminairePerWattMad: 15, installationMad: 600, cabinetMad: 60000 },
};

/** Replace lamps matching technology (and wattage, when given) by LEDs of `toWattW`. The first matching rule wins. */
export interface RetrofitRule {
  technology: Technology;
  wattW?: number;
  toWattW: number;
}

export interface Scenario {
  name: string;
  retrofit: RetrofitRule[];
  /** Applies to LED lamps; lamps that cannot dim (HPS, LPS, MH) follow it as on (level > 0) or off (part-night). */
  profile: DimmingProfile;
  /** Replace every cabinet of the area: astronomical clock (no photocell drift) and remote management. */
  replaceCabinets: boolean;
}

export const BASELINE: Scenario = { name: 'baseline', retrofit: [], profile: FULL_NIGHT, replaceCabinets: false };

export interface Figures {
  lamps: number;
  energyKwh: number;
  costMad: number;
  co2T: number;
  investmentMad: number;
}

export interface Outcome extends Figures {
  savedKwh: number;
  savedMad: number;
  savedCo2T: number;
  /** Investment / annual saving; null when nothing is saved. */
  paybackYears: number | null;
  /** −investment + Σ_{t=1..lifetime} savedMad / (1 + r)^t. */
  npvMad: number;
}

export interface AreaResult {
  areaId: string;
  name: string;
  /** Hours at the area's position: burning (level > 0) and equivalent full-power hours for LEDs and for lamps that cannot dim. */
  hours: { burning: number; equivalentLed: number; equivalentNonDimmable: number; photocellDrift: number };
  baseline: Figures;
  scenario: Outcome;
  lampsAfter: LampClass[];
}

export interface ScenarioResult {
  scenario: Scenario;
  assumptions: Assumptions;
  areas: AreaResult[];
  total: { baseline: Figures; scenario: Outcome };
}

/** Problems with a scenario or assumptions (empty when valid). */
export function scenarioProblems(s: Scenario, a: Assumptions = DEFAULT_ASSUMPTIONS): string[] {
  const p = profileProblems(s.profile).map((x) => `profile: ${x}`);
  s.retrofit.forEach((r, i) => {
    if (!TECHNOLOGIES.includes(r.technology)) p.push(`retrofit rule ${i + 1}: unknown technology ${r.technology}`);
    if (!(r.toWattW > 0)) p.push(`retrofit rule ${i + 1}: toWattW must be positive`);
  });
  if (!(a.lifetimeYears >= 1)) p.push('lifetimeYears must be at least 1');
  if (!(a.discountRate > -1)) p.push('discountRate must be greater than -1');
  return p;
}

/** Sum of 1/(1+r)^t for t = 1..n (r = 0: n). */
export function annuityFactor(rate: number, years: number): number {
  return rate === 0 ? years : (1 - (1 + rate) ** -years) / rate;
}

const inputW = (c: LampClass, a: Assumptions) => c.wattW * (1 + (c.ballastLoss ?? a.ballastLoss[c.technology]));

/** Lamps after the retrofit rules, with the investment they need. */
export function applyRetrofit(lamps: LampClass[], rules: RetrofitRule[], prices: UnitPrices): { lamps: LampClass[]; investmentMad: number; replaced: number } {
  const out: LampClass[] = [];
  let investmentMad = 0;
  let replaced = 0;
  for (const c of lamps) {
    const rule = rules.find((r) => r.technology === c.technology && (r.wattW === undefined || r.wattW === c.wattW));
    if (!rule) {
      out.push(c);
      continue;
    }
    out.push({ technology: 'LED', wattW: rule.toWattW, count: c.count });
    investmentMad += c.count * (prices.ledLuminaireBaseMad + prices.ledLuminairePerWattMad * rule.toWattW + prices.installationMad);
    replaced += c.count;
  }
  return { lamps: mergeClasses(out), investmentMad, replaced };
}

/** Adds up classes of the same technology, wattage and loss. */
export function mergeClasses(lamps: LampClass[]): LampClass[] {
  const m = new Map<string, LampClass>();
  for (const c of lamps) {
    const k = `${c.technology}|${c.wattW}|${c.ballastLoss ?? ''}`;
    const prev = m.get(k);
    if (prev) prev.count += c.count;
    else m.set(k, { ...c });
  }
  return [...m.values()].sort((x, y) => x.technology.localeCompare(y.technology) || x.wattW - y.wattW);
}

/** The profile as lamps that cannot dim follow it: any level above 0 is full power. */
export const onOffProfile = (p: DimmingProfile): DimmingProfile => p.map((s) => ({ start: s.start, level: s.level > 0 ? 1 : 0 }));

type HoursFn = (lat: number, lon: number, profile: DimmingProfile) => { burningHours: number; equivalentHours: number; nights: number };

/** kWh of the lamps given the equivalent full-power hours of LEDs and of lamps that cannot dim. */
function energyKwh(lamps: LampClass[], a: Assumptions, h: { led: number; nonDimmable: number }): number {
  return lamps.reduce((s, c) => s + (c.count * inputW(c, a) * (c.technology === 'LED' ? h.led : h.nonDimmable)) / 1000, 0);
}

function figures(lamps: LampClass[], kwh: number, investmentMad: number, a: Assumptions): Figures {
  return {
    lamps: lamps.reduce((s, c) => s + c.count, 0),
    energyKwh: kwh,
    costMad: kwh * a.tariffMadPerKwh,
    co2T: (kwh / 1000) * a.emissionFactorTco2PerMwh,
    investmentMad,
  };
}

function outcome(base: Figures, s: Figures, a: Assumptions): Outcome {
  const savedKwh = base.energyKwh - s.energyKwh;
  const savedMad = base.costMad - s.costMad;
  return {
    ...s,
    savedKwh,
    savedMad,
    savedCo2T: base.co2T - s.co2T,
    paybackYears: savedMad > 0 ? s.investmentMad / savedMad : null,
    npvMad: -s.investmentMad + savedMad * annuityFactor(a.discountRate, a.lifetimeYears),
  };
}

/**
 * Evaluates a scenario against the baseline (today's lamps, full night, photocell drift) for each area and
 * in total. `hours` can be injected (tests, caching); by default it is computed from the sun.
 */
export function evaluateScenario(areas: AreaInventory[], scenario: Scenario, a: Assumptions = DEFAULT_ASSUMPTIONS, hours?: HoursFn): ScenarioResult {
  const problems = scenarioProblems(scenario, a);
  if (problems.length) throw new RangeError(problems.join('; '));
  const hoursOf: HoursFn = hours ?? ((lat, lon, p) => annualProfileHours(lat, lon, a.year, p, { thresholdDeg: a.thresholdDeg, offsetMin: a.utcOffsetMin }));
  const results: AreaResult[] = areas.map((area) => {
    const full = hoursOf(area.lat, area.lon, FULL_NIGHT);
    const led = hoursOf(area.lat, area.lon, scenario.profile);
    const nonDim = hoursOf(area.lat, area.lon, onOffProfile(scenario.profile));
    const driftHours = (a.photocellDriftMinPerNight / 60) * full.nights;
    const baseKwh = energyKwh(area.lamps, a, { led: full.equivalentHours + driftHours, nonDimmable: full.equivalentHours + driftHours });
    const baseline = figures(area.lamps, baseKwh, 0, a);
    const retrofit = applyRetrofit(area.lamps, scenario.retrofit, a.prices);
    // Drift happens at switching, at the first and last steps' levels.
    const edge = (scenario.profile[0].level + scenario.profile[scenario.profile.length - 1].level) / 2;
    const drift = scenario.replaceCabinets ? 0 : driftHours;
    const kwh = energyKwh(retrofit.lamps, a, { led: led.equivalentHours + drift * edge, nonDimmable: nonDim.equivalentHours + drift * (edge > 0 ? 1 : 0) });
    const investment = retrofit.investmentMad + (scenario.replaceCabinets ? area.cabinets * a.prices.cabinetMad : 0);
    return {
      areaId: area.areaId,
      name: area.name,
      hours: { burning: full.burningHours, equivalentLed: led.equivalentHours, equivalentNonDimmable: nonDim.equivalentHours, photocellDrift: drift },
      baseline,
      scenario: outcome(baseline, figures(retrofit.lamps, kwh, investment, a), a),
      lampsAfter: retrofit.lamps,
    };
  });
  const sum = (pick: (r: AreaResult) => Figures): Figures => ({
    lamps: results.reduce((s, r) => s + pick(r).lamps, 0),
    energyKwh: results.reduce((s, r) => s + pick(r).energyKwh, 0),
    costMad: results.reduce((s, r) => s + pick(r).costMad, 0),
    co2T: results.reduce((s, r) => s + pick(r).co2T, 0),
    investmentMad: results.reduce((s, r) => s + pick(r).investmentMad, 0),
  });
  const totalBase = sum((r) => r.baseline);
  return { scenario, assumptions: a, areas: results, total: { baseline: totalBase, scenario: outcome(totalBase, sum((r) => r.scenario), a) } };
}

/** Merges partial assumptions (from a request) over the defaults. */
export function withDefaults(partial: Partial<Omit<Assumptions, 'prices' | 'ballastLoss'>> & { prices?: Partial<UnitPrices>; ballastLoss?: Partial<Record<Technology, number>> } = {}, base: Assumptions = DEFAULT_ASSUMPTIONS): Assumptions {
  return {
    ...base,
    ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)),
    prices: { ...base.prices, ...(partial.prices ?? {}) },
    ballastLoss: { ...base.ballastLoss, ...(partial.ballastLoss ?? {}) },
  } as Assumptions;
}

const COLUMNS = ['scenario', 'area', 'name', 'lamps', 'energyKwh', 'costMad', 'co2T', 'investmentMad', 'savedKwh', 'savedMad', 'savedCo2T', 'paybackYears', 'npvMad'] as const;

/** Side-by-side comparison as CSV rows: per scenario, the baseline, each area and the total. */
export function comparisonCsv(results: ScenarioResult[]): string {
  const round = (x: number | null) => (x === null ? '' : String(Math.round(x * 100) / 100));
  const rows: string[] = [COLUMNS.join(',')];
  const line = (scenario: string, area: string, name: string, f: Figures & Partial<Outcome>) =>
    rows.push(
      [scenario, area, name, f.lamps, f.energyKwh, f.costMad, f.co2T, f.investmentMad, f.savedKwh ?? 0, f.savedMad ?? 0, f.savedCo2T ?? 0, f.paybackYears ?? null, f.npvMad ?? 0]
        .map((v, i) => (i < 3 ? csvCell(String(v)) : i === 3 ? String(v) : round(v as number | null)))
        .join(','),
    );
  if (results.length) {
    for (const a of results[0].areas) line('baseline', a.areaId, a.name, a.baseline);
    line('baseline', 'total', '', results[0].total.baseline);
  }
  for (const r of results) {
    for (const a of r.areas) line(r.scenario.name, a.areaId, a.name, a.scenario);
    line(r.scenario.name, 'total', '', r.total.scenario);
  }
  return rows.join('\r\n') + '\r\n';
}
