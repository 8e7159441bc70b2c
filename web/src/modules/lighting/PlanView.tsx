import { useEffect, useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../../app/format';
import { api, Problem, TECHNOLOGIES, type Assumptions, type Inventory, type Place, type ProfileStep, type Scenario, type ScenarioResult, type Technology } from './lighting-api';

const PROFILES: Record<string, ProfileStep[]> = {
  full: [{ start: 'dusk', level: 1 }],
  dim2305: [
    { start: 'dusk', level: 1 },
    { start: '23:00', level: 0.5 },
    { start: '05:00', level: 1 },
  ],
  dim0005: [
    { start: 'dusk', level: 1 },
    { start: '00:00', level: 0.6 },
    { start: '05:00', level: 1 },
  ],
  partNight: [
    { start: 'dusk', level: 1 },
    { start: '01:00', level: 0 },
    { start: '05:00', level: 1 },
  ],
};

interface Draft {
  key: number;
  name: string;
  /** LED wattage per technology to replace ('' = keep). */
  retrofit: Record<Technology, string>;
  profile: keyof typeof PROFILES;
  replaceCabinets: boolean;
}

const emptyRetrofit = (): Record<Technology, string> => ({ HPS: '', LPS: '', MH: '', LED: '' });
let nextKey = 1;
const draft = (name: string, d: Partial<Draft> = {}): Draft => ({ key: nextKey++, name, retrofit: emptyRetrofit(), profile: 'full', replaceCabinets: false, ...d });

function toScenario(d: Draft): Scenario {
  return {
    name: d.name.trim() || '—',
    retrofit: TECHNOLOGIES.filter((t) => d.retrofit[t].trim() !== '').map((t) => ({ technology: t, toWattW: Number(d.retrofit[t]) })),
    profile: PROFILES[d.profile],
    replaceCabinets: d.replaceCabinets,
  };
}

/** Annual energy per scenario as horizontal bars; the table beside it has the same numbers. */
function EnergyChart({ rows }: { rows: { label: string; kwh: number }[] }) {
  const { t } = useTranslation('lighting');
  const fmt = useFormat();
  const max = Math.max(1, ...rows.map((r) => r.kwh));
  const barH = 26;
  const labelW = 150;
  const width = 640;
  const height = rows.length * (barH + 10) + 10;
  return (
    <figure className="lighting-chart">
      <figcaption id="lighting-chart-title">{t('plan.chartTitle')}</figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby="lighting-chart-title" width="100%" preserveAspectRatio="xMinYMin meet">
        {rows.map((r, i) => {
          const y = 10 + i * (barH + 10);
          const w = ((width - labelW - 110) * r.kwh) / max;
          return (
            <g key={r.label} data-scenario={r.label}>
              <text x={labelW - 8} y={y + barH / 2} textAnchor="end" dominantBaseline="middle" fontSize="13" fill="currentColor">
                {r.label.length > 20 ? `${r.label.slice(0, 19)}…` : r.label}
              </text>
              <rect x={labelW} y={y} width={Math.max(1, w)} height={barH} rx="3" fill={i === 0 ? '#56636e' : '#0e6a8f'} />
              <text x={labelW + w + 6} y={y + barH / 2} dominantBaseline="middle" fontSize="13" fill="currentColor">
                {fmt.number(Math.round(r.kwh))}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

/** The scenario builder: areas, scenarios side by side, assumptions; the comparison with its chart and CSV. */
export function PlanView({ places }: { places: Place[] }) {
  const { t, i18n } = useTranslation('lighting');
  const fmt = useFormat();
  const id = useId();
  const [areas, setAreas] = useState<Place[]>([]);
  const [choice, setChoice] = useState('');
  const [drafts, setDrafts] = useState<Draft[]>(() => [draft('A', { retrofit: { ...emptyRetrofit(), HPS: '60', MH: '60' } }), draft('B', { retrofit: { ...emptyRetrofit(), HPS: '60', MH: '60' }, profile: 'dim2305' })]);
  const [assumptions, setAssumptions] = useState<Assumptions | null>(null);
  const [result, setResult] = useState<{ results: ScenarioResult[]; inventories: Inventory[] } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const nameOf = (p: { name: { fr: string; ar: string } }) => (i18n.language === 'ar' ? p.name.ar : p.name.fr);

  useEffect(() => {
    api<Assumptions>('GET', '/lighting/assumptions').then(setAssumptions, (e) => setError(e.message));
  }, []);

  const update = (key: number, patch: Partial<Draft>) => setDrafts((ds) => ds.map((d) => (d.key === key ? { ...d, ...patch } : d)));
  const setA = (patch: Partial<Assumptions>) => setAssumptions((a) => (a ? { ...a, ...patch } : a));

  const request = () => ({
    areas: areas.map((p) => ({ kind: p.kind, code: p.code })),
    scenarios: drafts.map(toScenario),
    assumptions: assumptions
      ? {
          year: assumptions.year,
          thresholdDeg: assumptions.thresholdDeg,
          tariffMadPerKwh: assumptions.tariffMadPerKwh,
          emissionFactorTco2PerMwh: assumptions.emissionFactorTco2PerMwh,
          discountRate: assumptions.discountRate,
          lifetimeYears: assumptions.lifetimeYears,
          photocellDriftMinPerNight: assumptions.photocellDriftMinPerNight,
        }
      : undefined,
  });

  async function compare(e: FormEvent) {
    e.preventDefault();
    if (!areas.length) {
      setError(t('plan.noArea'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      setResult(await api('POST', '/lighting/scenarios/evaluate', request()));
    } catch (err) {
      setResult(null);
      setError(err instanceof Problem ? err.detail : (err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  async function downloadCsv() {
    const res = await fetch('/api/lighting/scenarios/evaluate?format=csv', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request()) });
    if (!res.ok) return setError(String(res.status));
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = 'lighting-scenarios.csv';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  const num = (label: string, value: number, onChange: (v: number) => void, step = 'any') => {
    const fid = `${id}-${label}`;
    return (
      <div className="field">
        <label htmlFor={fid}>{t(label)}</label>
        <input id={fid} type="number" step={step} value={Number.isFinite(value) ? value : ''} onChange={(e) => onChange(Number(e.target.value))} />
      </div>
    );
  };

  return (
    <form className="lighting-plan" onSubmit={compare} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="visually-hidden">
        {t('tabs.plan')}
      </h2>
      <section className="card" aria-labelledby={`${id}-areas`}>
        <h3 id={`${id}-areas`}>{t('plan.areas')}</h3>
        <div className="lighting-row">
          <div className="field">
            <label htmlFor={`${id}-area`}>{t('plan.area')}</label>
            <select id={`${id}-area`} value={choice} onChange={(e) => setChoice(e.target.value)}>
              <option value="">—</option>
              {places.map((p) => (
                <option key={p.code} value={p.code}>
                  {nameOf(p)}
                </option>
              ))}
            </select>
          </div>
          <button
            type="button"
            disabled={!choice}
            onClick={() => {
              const p = places.find((x) => x.code === choice);
              if (p && !areas.some((a) => a.code === p.code)) setAreas([...areas, p]);
              setChoice('');
            }}
          >
            {t('plan.addArea')}
          </button>
        </div>
        <ul className="lighting-chips" aria-live="polite">
          {areas.map((a) => (
            <li key={a.code}>
              {nameOf(a)}{' '}
              <button type="button" className="link-button" aria-label={t('plan.removeArea', { name: nameOf(a) })} onClick={() => setAreas(areas.filter((x) => x.code !== a.code))}>
                ×
              </button>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby={`${id}-scenarios`}>
        <h3 id={`${id}-scenarios`}>{t('plan.scenarios')}</h3>
        <div className="lighting-scenarios">
          {drafts.map((d, i) => (
            <fieldset key={d.key} className="card lighting-scenario" data-scenario-index={i}>
              <legend>
                {t('plan.scenario')} {i + 1}
              </legend>
              <div className="field">
                <label htmlFor={`${id}-name-${d.key}`}>{t('plan.name')}</label>
                <input id={`${id}-name-${d.key}`} value={d.name} maxLength={100} onChange={(e) => update(d.key, { name: e.target.value })} />
              </div>
              <fieldset className="lighting-retrofit">
                <legend>{t('plan.retrofit')}</legend>
                {(['HPS', 'LPS', 'MH'] as Technology[]).map((tech) => (
                  <div className="field" key={tech}>
                    <label htmlFor={`${id}-rf-${d.key}-${tech}`}>{t('plan.retrofitTech', { tech })}</label>
                    <input
                      id={`${id}-rf-${d.key}-${tech}`}
                      type="number"
                      min="1"
                      max="2000"
                      inputMode="numeric"
                      value={d.retrofit[tech]}
                      onChange={(e) => update(d.key, { retrofit: { ...d.retrofit, [tech]: e.target.value } })}
                    />
                  </div>
                ))}
              </fieldset>
              <div className="field">
                <label htmlFor={`${id}-profile-${d.key}`}>{t('plan.profile')}</label>
                <select id={`${id}-profile-${d.key}`} value={d.profile} onChange={(e) => update(d.key, { profile: e.target.value as Draft['profile'] })}>
                  {Object.keys(PROFILES).map((k) => (
                    <option key={k} value={k}>
                      {t(`plan.profiles.${k}`)}
                    </option>
                  ))}
                </select>
              </div>
              <label className="check">
                <input type="checkbox" checked={d.replaceCabinets} onChange={(e) => update(d.key, { replaceCabinets: e.target.checked })} />
                {t('plan.cabinets')}
              </label>
              {drafts.length > 1 ? (
                <button type="button" className="link-button" onClick={() => setDrafts(drafts.filter((x) => x.key !== d.key))}>
                  {t('plan.removeScenario')}
                </button>
              ) : null}
            </fieldset>
          ))}
        </div>
        {drafts.length < 6 ? (
          <button type="button" onClick={() => setDrafts([...drafts, draft(String.fromCharCode(65 + drafts.length))])}>
            {t('plan.addScenario')}
          </button>
        ) : null}
      </section>

      {assumptions ? (
        <details className="card lighting-assumptions">
          <summary>{t('plan.assumptions')}</summary>
          <p className="note">{t('plan.assumptionsNote')}</p>
          <div className="lighting-grid">
            {num('plan.tariff', assumptions.tariffMadPerKwh, (v) => setA({ tariffMadPerKwh: v }))}
            {num('plan.emission', assumptions.emissionFactorTco2PerMwh, (v) => setA({ emissionFactorTco2PerMwh: v }))}
            {num('plan.discount', Math.round(assumptions.discountRate * 1000) / 10, (v) => setA({ discountRate: v / 100 }))}
            {num('plan.lifetime', assumptions.lifetimeYears, (v) => setA({ lifetimeYears: v }), '1')}
            {num('plan.year', assumptions.year, (v) => setA({ year: v }), '1')}
            {num('plan.threshold', assumptions.thresholdDeg, (v) => setA({ thresholdDeg: v }))}
            {num('plan.drift', assumptions.photocellDriftMinPerNight, (v) => setA({ photocellDriftMinPerNight: v }))}
          </div>
        </details>
      ) : null}

      <p>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t('plan.computing') : t('plan.compare')}
        </button>
      </p>
      {error ? (
        <p className="error" role="alert">
          {t('common.error', { detail: error })}
        </p>
      ) : null}

      {result ? (
        <section className="card lighting-results" aria-labelledby={`${id}-results`}>
          <div className="card-head">
            <h3 id={`${id}-results`}>{t('plan.results')}</h3>
            <button type="button" onClick={() => void downloadCsv()}>
              {t('plan.downloadCsv')}
            </button>
          </div>
          <EnergyChart rows={[{ label: t('plan.baseline'), kwh: result.results[0].total.baseline.energyKwh }, ...result.results.map((r) => ({ label: r.scenario.name, kwh: r.total.scenario.energyKwh }))]} />
          <div className="table-scroll">
            <table className="lighting-table">
              <caption className="visually-hidden">{t('plan.results')}</caption>
              <thead>
                <tr>
                  {(['scenario', 'energy', 'cost', 'co2', 'investment', 'saved', 'payback', 'npv'] as const).map((c) => (
                    <th key={c} scope="col">
                      {t(`plan.cols.${c}`)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                <tr>
                  <th scope="row">{t('plan.baseline')}</th>
                  <td>{fmt.number(Math.round(result.results[0].total.baseline.energyKwh))}</td>
                  <td>{fmt.number(Math.round(result.results[0].total.baseline.costMad))}</td>
                  <td>{fmt.number(result.results[0].total.baseline.co2T, 1)}</td>
                  <td>0</td>
                  <td>0</td>
                  <td>—</td>
                  <td>—</td>
                </tr>
                {result.results.map((r) => {
                  const s = r.total.scenario;
                  return (
                    <tr key={r.scenario.name} data-scenario={r.scenario.name}>
                      <th scope="row">{r.scenario.name}</th>
                      <td>{fmt.number(Math.round(s.energyKwh))}</td>
                      <td>{fmt.number(Math.round(s.costMad))}</td>
                      <td>{fmt.number(s.co2T, 1)}</td>
                      <td>{fmt.number(Math.round(s.investmentMad))}</td>
                      <td>{fmt.number(Math.round(s.savedKwh))}</td>
                      <td>{s.paybackYears === null ? t('plan.never') : fmt.number(s.paybackYears, 1)}</td>
                      <td>{fmt.number(Math.round(s.npvMad))}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <details>
            <summary>{t('plan.inputs')}</summary>
            <ul>
              {result.inventories.map((inv, i) => (
                <li key={inv.areaId}>
                  {t('plan.inventory', { name: inv.name, lamps: fmt.number(inv.lamps.reduce((s, c) => s + c.count, 0)), cabinets: inv.cabinets, hours: fmt.number(Math.round(result.results[0].areas[i].hours.burning)) })}
                  {inv.unknown ? ` — ${t('plan.unknownLamps', { count: inv.unknown })}` : ''}
                  <ul>
                    {inv.lamps.map((c) => (
                      <li key={`${c.technology}${c.wattW}${c.ballastLoss ?? ''}`}>{t('plan.class', { count: c.count, tech: c.technology, watt: c.wattW })}</li>
                    ))}
                  </ul>
                </li>
              ))}
            </ul>
            <pre className="lighting-json">{JSON.stringify({ ...request(), assumptions: result.results[0].assumptions }, null, 1)}</pre>
          </details>
        </section>
      ) : null}
    </form>
  );
}
