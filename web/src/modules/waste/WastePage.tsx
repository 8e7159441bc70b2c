import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { queryAll, localText } from '../../app/api';
import { addModuleTranslations } from '../../app/i18n';
import { useMe } from '../../app/session';
import { SignIn, SIGN_IN_KEYS } from '../../app/SignIn';
import { useQueryParam } from '../../app/router';
import ar from './i18n/ar.json';
import en from './i18n/en.json';
import fr from './i18n/fr.json';
import { PlanMap } from './PlanMap';
import { api, followJob, Problem, truckColour, type Me, type Plan, type PlaceOption, type PlanListItem } from './waste-api';
import './waste.css';

addModuleTranslations('waste', { fr, ar, en });

const tomorrow = () => new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

interface Failure {
  detail: string;
  items: string[];
}

function failureOf(err: any): Failure {
  const body = err instanceof Problem ? err.body : (err ?? {});
  const list = (body.unserved ?? body.unreachable ?? body.unknown ?? []) as (string | { id: string })[];
  return { detail: String(body.detail ?? body.title ?? err?.message ?? err), items: list.map((x) => (typeof x === 'string' ? x : x.id)) };
}

/** Waste collection: plan tomorrow's routes for a place from the fill sensors, see them on the map, export them. */
export default function WastePage() {
  const { t, i18n } = useTranslation('waste');
  const lang = i18n.language;
  const [places, setPlaces] = useState<PlaceOption[] | null>(null);
  const [placeCode, setPlaceCode] = useQueryParam('commune');
  const [planId, setPlanId] = useQueryParam('plan');
  const [plan, setPlan] = useState<Plan | null>(null);
  const [plans, setPlans] = useState<PlanListItem[]>([]);
  const [progress, setProgress] = useState<{ fraction: number; phase: string; bestKm?: number } | null>(null);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [me, loadMe] = useMe<Me>(api, Problem, (e) => setFailure(failureOf(e)));
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    if (!me || me === 'anonymous') return;
    queryAll({ type: 'Commune,Arrondissement', attrs: 'name,code' }).then(
      (es) =>
        setPlaces(
          es
            .map((e) => ({ code: String(e.code ?? e.id.split(':').pop()), kind: (e.type === 'Arrondissement' ? 'Arrondissement' : 'Commune') as PlaceOption['kind'], name: (e.name as { languageMap?: PlaceOption['name'] })?.languageMap ?? {} }))
            .filter((p) => /^[0-9]{9}$/.test(p.code)),
        ),
      (e) => setFailure(failureOf(e)),
    );
  }, [me]);
  const refreshList = (code: string | null) => {
    if (!code) return setPlans([]);
    api<{ items: PlanListItem[] }>('GET', `/waste/plans?commune=${code}&limit=20`).then((r) => setPlans(r.items), () => setPlans([]));
  };
  useEffect(() => refreshList(placeCode), [placeCode]);
  useEffect(() => {
    if (!planId) return setPlan(null);
    api<Plan>('GET', `/waste/plans/${planId}`).then(setPlan, (e) => setFailure(failureOf(e)));
  }, [planId]);

  const nameOf = (p: { name: PlaceOption['name'] }) => localText(p.name, lang) ?? '';
  const sorted = places ? [...places].sort((a, b) => nameOf(a).localeCompare(nameOf(b), lang)) : null;

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const num = (k: string) => Number(f.get(k));
    setFailure(null);
    setNotice(null);
    setBusy(true);
    setProgress({ fraction: 0, phase: 'queued' });
    try {
      const started = await api<{ jobId: string; links: { events: string } }>('POST', '/waste/plans', {
        commune: f.get('commune'),
        date: f.get('date'),
        threshold: num('threshold'),
        fleet: { trucks: num('trucks'), capacityM3: num('capacityM3'), shiftHours: num('shiftHours') },
        budget: { timeLimitMs: Math.round(num('seconds') * 1000) },
      });
      const done = await followJob(started.links.events, (p) => setProgress({ fraction: p.fraction ?? 0, phase: p.phase ?? '', bestKm: p.bestKm }));
      if (done.status === 'succeeded') {
        setPlanId(done.result.planId);
        api<Plan>('GET', `/waste/plans/${done.result.planId}`).then(setPlan, (er) => setFailure(failureOf(er)));
        refreshList(String(f.get('commune')));
      } else setFailure(done.error ? failureOf(done.error) : { detail: t('plan.cancelled'), items: [] });
    } catch (err) {
      setFailure(failureOf(err));
    } finally {
      setBusy(false);
      setProgress(null);
    }
  }

  async function collect() {
    if (!plan) return;
    try {
      const r = await api<{ containersReset: number; actualKm: number }>('POST', `/waste/plans/${plan.id}/collect`, { version: plan.version });
      setNotice(t('plan.collected', { count: r.containersReset, km: r.actualKm }));
      setPlan(await api<Plan>('GET', `/waste/plans/${plan.id}`));
    } catch (err) {
      setFailure(failureOf(err));
    }
  }

  const fmt = new Intl.NumberFormat(lang === 'ar' ? 'ar-MA-u-nu-latn' : lang === 'en' ? 'en-GB' : 'fr-MA', { maximumFractionDigits: 1 });
  const pct = (x: number) => `${Math.round(x * 100)} %`;

  return (
    <div className="page waste-page" lang={lang}>
      <h1>{t('title')}</h1>
      <p className="lede">{t('lede')}</p>
      {me === 'anonymous' ? <SignIn ns="waste" api={api} idPrefix="waste" titleId="waste-signin-title" className="card waste-signin" keys={{ ...SIGN_IN_KEYS, text: undefined }} onDone={() => void loadMe()} /> : null}
      {me && me !== 'anonymous' && sorted ? (
        <div className="waste-grid">
          <div className="waste-side">
            <form className="card waste-form" onSubmit={submit} aria-labelledby="waste-form-title">
              <h2 id="waste-form-title">{t('form.title')}</h2>
              <div className="field">
                <label htmlFor="waste-commune">{t('form.commune')}</label>
                <select id="waste-commune" name="commune" required value={placeCode ?? ''} onChange={(e) => setPlaceCode(e.target.value || null)}>
                  <option value="">{t('form.choose')}</option>
                  {sorted.map((p) => (
                    <option key={p.code} value={p.code}>
                      {nameOf(p)} ({t(`kind.${p.kind}`)})
                    </option>
                  ))}
                </select>
              </div>
              <div className="waste-fields">
                <div className="field">
                  <label htmlFor="waste-date">{t('form.date')}</label>
                  <input id="waste-date" name="date" type="date" required defaultValue={tomorrow()} />
                </div>
                <div className="field">
                  <label htmlFor="waste-threshold">{t('form.threshold')}</label>
                  <input id="waste-threshold" name="threshold" type="number" min="0" max="1" step="0.05" required defaultValue="0.7" />
                </div>
                <div className="field">
                  <label htmlFor="waste-trucks">{t('form.trucks')}</label>
                  <input id="waste-trucks" name="trucks" type="number" min="1" max="200" required defaultValue="3" />
                </div>
                <div className="field">
                  <label htmlFor="waste-capacity">{t('form.capacityM3')}</label>
                  <input id="waste-capacity" name="capacityM3" type="number" min="1" max="60" step="0.5" required defaultValue="16" />
                </div>
                <div className="field">
                  <label htmlFor="waste-shift">{t('form.shiftHours')}</label>
                  <input id="waste-shift" name="shiftHours" type="number" min="1" max="16" step="0.5" required defaultValue="7" />
                </div>
                <div className="field">
                  <label htmlFor="waste-seconds">{t('form.seconds')}</label>
                  <input id="waste-seconds" name="seconds" type="number" min="1" max="120" required defaultValue="3" />
                </div>
              </div>
              <button type="submit" className="primary" disabled={busy}>
                {t('form.submit')}
              </button>
              {progress ? (
                <div className="waste-progress" role="status">
                  <label htmlFor="waste-progress">{t(`phase.${progress.phase}`, { defaultValue: progress.phase })}</label>
                  <progress id="waste-progress" max={1} value={progress.fraction} />
                  {progress.bestKm !== undefined ? <span>{t('plan.bestKm', { km: fmt.format(progress.bestKm) })}</span> : null}
                </div>
              ) : null}
            </form>
            {failure ? (
              <div className="card error waste-failure" role="alert">
                <p>{failure.detail}</p>
                {failure.items.length ? (
                  <>
                    <p>{t('plan.cannotServe', { count: failure.items.length })}</p>
                    <ul>
                      {failure.items.slice(0, 50).map((id) => (
                        <li key={id}>{id.split(':').pop()}</li>
                      ))}
                    </ul>
                  </>
                ) : null}
              </div>
            ) : null}
            {plans.length ? (
              <section className="card" aria-labelledby="waste-plans-title">
                <h2 id="waste-plans-title">{t('plans.title')}</h2>
                <ul className="waste-plans">
                  {plans.map((p) => (
                    <li key={p.id}>
                      <a
                        href={`?commune=${p.placeCode}&plan=${p.id}`}
                        aria-current={p.id === planId ? 'true' : undefined}
                        onClick={(e) => {
                          e.preventDefault();
                          setPlanId(p.id);
                        }}
                      >
                        {p.date} · v{p.latestVersion} · {t(`status.${p.latest.status}`)} · {fmt.format(p.latest.summary.distanceKm)} km
                      </a>
                    </li>
                  ))}
                </ul>
              </section>
            ) : null}
          </div>
          <div className="waste-main">
            <PlanMap plan={plan} label={t('map.label')} />
            {plan ? (
              <section className="card waste-plan" aria-labelledby="waste-plan-title">
                <h2 id="waste-plan-title">{t('plan.title', { date: plan.date, version: plan.version })}</h2>
                <dl className="kpis">
                  <div>
                    <dt>{t('plan.containers')}</dt>
                    <dd>
                      {plan.summary.containersPlanned} / {plan.summary.containersConsidered}
                    </dd>
                  </div>
                  <div>
                    <dt>{t('plan.trucks')}</dt>
                    <dd>{plan.summary.trucksUsed}</dd>
                  </div>
                  <div>
                    <dt>{t('plan.distance')}</dt>
                    <dd>{fmt.format(plan.summary.distanceKm)} km</dd>
                  </div>
                  <div>
                    <dt>{t('plan.status')}</dt>
                    <dd>{t(`status.${plan.status}`)}</dd>
                  </div>
                </dl>
                <p className="waste-actions">
                  <a href={`/api/waste/plans/${plan.id}.geojson?version=${plan.version}`} download>
                    {t('plan.geojson')}
                  </a>
                  <a href={`/api/waste/plans/${plan.id}.csv?version=${plan.version}`} download>
                    {t('plan.csv')}
                  </a>
                  {plan.status === 'planned' && plan.routes.length ? (
                    <button type="button" onClick={() => void collect()}>
                      {t('plan.collect')}
                    </button>
                  ) : null}
                </p>
                {notice ? <p role="status">{notice}</p> : null}
                {!plan.routes.length ? <p className="muted">{t('plan.nothing')}</p> : null}
                {plan.routes.map((r) => (
                  <details key={r.truck} className="waste-route">
                    <summary>
                      <span className="waste-swatch" style={{ background: truckColour(r.truck) }} aria-hidden="true" />
                      {t('plan.route', { truck: r.truck, stops: r.stops.length, km: fmt.format(r.distanceM / 1000), minutes: r.durationMin, litres: r.loadL })}
                    </summary>
                    <div className="table-scroll">
                      <table>
                        <caption className="visually-hidden">{t('plan.routeCaption', { truck: r.truck })}</caption>
                        <thead>
                          <tr>
                            <th scope="col">#</th>
                            <th scope="col">{t('plan.container')}</th>
                            <th scope="col">{t('plan.level')}</th>
                            <th scope="col">{t('plan.volume')}</th>
                            <th scope="col">{t('plan.arrival')}</th>
                            <th scope="col">{t('plan.reason')}</th>
                          </tr>
                        </thead>
                        <tbody>
                          {r.stops.map((s) => (
                            <tr key={s.seq}>
                              <td>{s.seq}</td>
                              <td>{s.containerId.split(':').pop()}</td>
                              <td>{pct(s.level)}</td>
                              <td>{s.volumeL} L</td>
                              <td>+{s.arrivalMin} min</td>
                              <td>{t(`reason.${s.reason}`)}</td>
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    </div>
                  </details>
                ))}
              </section>
            ) : (
              <p className="muted">{t('map.empty')}</p>
            )}
          </div>
        </div>
      ) : me !== 'anonymous' ? (
        <p role="status">{t('loading')}</p>
      ) : null}
    </div>
  );
}
