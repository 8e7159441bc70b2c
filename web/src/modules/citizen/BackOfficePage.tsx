import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useQueryParam } from '../../app/router';
import { useMe } from '../../app/session';
import { SignIn, type SignInKeys } from '../../app/SignIn';
import { api, Problem, TRANSITIONS, type Service } from './citizen-api';
import { formatDateTime } from './i18n-setup';
import './citizen.css';

const OFFICE_SIGN_IN: SignInKeys = { title: 'office.signIn', username: 'office.username', password: 'office.password', failed: 'office.signInFailed', submit: 'office.signInSubmit' };

interface Me {
  name: string;
  roles: string[];
}
interface Queue {
  communeCode: string;
  communeName: string;
  serviceCode: string;
  open: number;
  overdue: number;
}
interface Item {
  id: string;
  serviceName: string;
  serviceCode: string;
  state: string;
  stateLabel: string;
  communeName: string;
  communeCode: string;
  requestedAt: string;
  expectedAt: string | null;
  overdue: boolean;
  assignee: string | null;
  duplicateOf: string | null;
}
interface Detail {
  service_request_id: string;
  service_name: string;
  description: string | null;
  address: string | null;
  agency_responsible: string;
  state: string;
  stateLabel: string;
  attributes: Record<string, unknown>;
  assetId: string | null;
  assignee: string | null;
  contact: Record<string, string> | null;
  media_url: string | null;
  overdue: boolean;
  events: { at: string; fromState: string | null; toState: string; note: string | null; actor: string }[];
}

function RequestDetail({ id, onChanged }: { id: string; onChanged(): void }) {
  const { t, i18n } = useTranslation('citizen');
  const [d, setD] = useState<Detail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const lang = i18n.language;
  const load = useCallback(() => api<Detail>('GET', `/citizen/requests/${id}`, undefined, lang).then(setD, (e) => setError(e.message)), [id, lang]);
  useEffect(() => {
    void load();
  }, [load]);

  async function move(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setError(null);
    setSaved(false);
    const f = new FormData(e.currentTarget);
    const body: Record<string, string> = { state: String(f.get('state')) };
    for (const k of ['note', 'assignee', 'duplicateOf']) if (f.get(k)) body[k] = String(f.get(k));
    try {
      setD(await api<Detail>('POST', `/citizen/requests/${id}/transition`, body, lang));
      setSaved(true);
      onChanged();
    } catch (err) {
      setError(err instanceof Problem ? err.detail : String(err));
    }
  }

  if (!d) return error ? <p className="error" role="alert">{error}</p> : <p role="status">{t('common.loading')}</p>;
  return (
    <section className="card" aria-labelledby="office-detail">
      <h2 id="office-detail">
        {t('track.request', { id: d.service_request_id })} — {d.service_name}
      </h2>
      <p className="citizen-state">
        {d.stateLabel} {d.overdue ? <strong className="citizen-overdue">{t('office.overdue')}</strong> : null}
      </p>
      <dl className="citizen-facts">
        <dt>{t('track.agency')}</dt>
        <dd>{d.agency_responsible}</dd>
        {d.description ? (
          <>
            <dt>{t('form.description')}</dt>
            <dd>{d.description}</dd>
          </>
        ) : null}
        {d.address ? (
          <>
            <dt>{t('track.address')}</dt>
            <dd>{d.address}</dd>
          </>
        ) : null}
        {Object.keys(d.attributes).length ? (
          <>
            <dt>{t('office.attributes')}</dt>
            <dd>{Object.entries(d.attributes).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`).join(' · ')}</dd>
          </>
        ) : null}
        {d.assetId ? (
          <>
            <dt>{t('office.asset')}</dt>
            <dd>{d.assetId}</dd>
          </>
        ) : null}
        <dt>{t('office.contact')}</dt>
        <dd>{d.contact ? Object.values(d.contact).join(' · ') : t('office.noContact')}</dd>
      </dl>
      {d.media_url ? <img className="citizen-photo" src={d.media_url} alt={t('track.photoAlt')} /> : null}
      <form onSubmit={move} className="citizen-transition" aria-labelledby="office-move">
        <h3 id="office-move">{t('office.change')}</h3>
        <div className="field">
          <label htmlFor="office-state">{t('office.newState')}</label>
          <select id="office-state" name="state" required defaultValue="">
            <option value="" disabled>
              {t('form.choose')}
            </option>
            {(TRANSITIONS[d.state] ?? []).map((s) => (
              <option key={s} value={s}>
                {t(`states.${s}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="office-note">{t('office.note')}</label>
          <textarea id="office-note" name="note" rows={2} maxLength={2000} aria-describedby="office-note-help" />
          <span id="office-note-help" className="muted">
            {t('office.noteHelp')}
          </span>
        </div>
        <div className="field">
          <label htmlFor="office-assignee">{t('office.assignee')}</label>
          <input id="office-assignee" name="assignee" maxLength={200} defaultValue={d.assignee ?? ''} />
        </div>
        <div className="field">
          <label htmlFor="office-dup">{t('office.duplicateOf')}</label>
          <input id="office-dup" name="duplicateOf" inputMode="numeric" maxLength={64} />
        </div>
        <button type="submit" className="primary">
          {t('office.save')}
        </button>
        {saved ? <p role="status">{t('office.saved')}</p> : null}
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
      </form>
      <h3>{t('track.history')}</h3>
      <ol className="citizen-history">
        {d.events.map((e, i) => (
          <li key={i}>
            <time dateTime={e.at}>{formatDateTime(e.at, lang)}</time> — {t(`states.${e.toState}`)} ({e.actor}){e.note ? ` : ${e.note}` : ''}
          </li>
        ))}
      </ol>
    </section>
  );
}

/** The back office: queues per commune and service with SLA alerts, the list, one request to handle. */
export default function BackOfficePage() {
  const { t, i18n } = useTranslation('citizen');
  const [queues, setQueues] = useState<Queue[]>([]);
  const [items, setItems] = useState<{ total: number; items: Item[] } | null>(null);
  const [services, setServices] = useState<Service[]>([]);
  const [selected, setSelected] = useQueryParam('request');
  const [filter, setFilter] = useState<{ service_code: string; state: string; overdue: boolean }>({ service_code: '', state: '', overdue: false });
  const [error, setError] = useState<string | null>(null);
  const lang = i18n.language;

  const [me, loadMe] = useMe<Me>(api, Problem, (e) => setError(e.message));
  const refresh = useCallback(() => {
    const q = new URLSearchParams({ limit: '100' });
    if (filter.service_code) q.set('service_code', filter.service_code);
    if (filter.state) q.set('state', filter.state);
    if (filter.overdue) q.set('overdue', 'true');
    Promise.all([api<{ queues: Queue[] }>('GET', '/citizen/queues', undefined, lang), api<{ total: number; items: Item[] }>('GET', `/citizen/requests?${q}`, undefined, lang)]).then(
      ([qs, list]) => {
        setQueues(qs.queues);
        setItems(list);
      },
      (e) => setError(e instanceof Problem && e.status === 403 ? t('office.forbidden') : e.message),
    );
  }, [filter, lang, t]);
  useEffect(() => {
    if (!me || me === 'anonymous') return;
    refresh();
    void api<{ services: Service[] }>('GET', '/citizen/services', undefined, lang).then((r) => setServices(r.services));
  }, [me, refresh, lang]);
  const serviceName = (code: string) => services.find((s) => s.service_code === code)?.service_name ?? code;
  const overdueTotal = queues.reduce((n, q) => n + q.overdue, 0);

  return (
    <div className="page citizen-page citizen-office">
      <h1>{t('office.title')}</h1>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {me === 'anonymous' ? <SignIn ns="citizen" api={api} idPrefix="office" titleId="office-signin" className="card" keys={OFFICE_SIGN_IN} onDone={() => void loadMe()} /> : null}
      {me && me !== 'anonymous' ? (
        <>
          {overdueTotal ? (
            <p className="citizen-alert" role="alert">
              {t('office.overdueAlert', { count: overdueTotal })}
            </p>
          ) : null}
          <section aria-labelledby="office-queues">
            <h2 id="office-queues">{t('office.queues')}</h2>
            <div className="table-scroll">
              <table className="citizen-table">
                <thead>
                  <tr>
                    <th scope="col">{t('office.commune')}</th>
                    <th scope="col">{t('form.category')}</th>
                    <th scope="col">{t('office.open')}</th>
                    <th scope="col">{t('office.overdueCount')}</th>
                  </tr>
                </thead>
                <tbody>
                  {queues.map((q) => (
                    <tr key={`${q.communeCode}-${q.serviceCode}`}>
                      <td>{q.communeName}</td>
                      <td>
                        <button type="button" className="link-button" onClick={() => setFilter({ ...filter, service_code: q.serviceCode })}>
                          {serviceName(q.serviceCode)}
                        </button>
                      </td>
                      <td>{q.open}</td>
                      <td>{q.overdue ? <strong className="citizen-overdue">{q.overdue}</strong> : 0}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
          <section aria-labelledby="office-list">
            <h2 id="office-list">{t('office.requests', { count: items?.total ?? 0 })}</h2>
            <div className="citizen-row" role="group" aria-label={t('office.filters')}>
              <div className="field">
                <label htmlFor="office-f-service">{t('form.category')}</label>
                <select id="office-f-service" value={filter.service_code} onChange={(e) => setFilter({ ...filter, service_code: e.target.value })}>
                  <option value="">{t('office.all')}</option>
                  {services.map((s) => (
                    <option key={s.service_code} value={s.service_code}>
                      {s.service_name}
                    </option>
                  ))}
                </select>
              </div>
              <div className="field">
                <label htmlFor="office-f-state">{t('office.state')}</label>
                <select id="office-f-state" value={filter.state} onChange={(e) => setFilter({ ...filter, state: e.target.value })}>
                  <option value="">{t('office.all')}</option>
                  {Object.keys(TRANSITIONS).map((s) => (
                    <option key={s} value={s}>
                      {t(`states.${s}`)}
                    </option>
                  ))}
                </select>
              </div>
              <label className="check">
                <input type="checkbox" checked={filter.overdue} onChange={(e) => setFilter({ ...filter, overdue: e.target.checked })} /> {t('office.onlyOverdue')}
              </label>
            </div>
            <div className="table-scroll">
              <table className="citizen-table">
                <thead>
                  <tr>
                    <th scope="col">{t('office.number')}</th>
                    <th scope="col">{t('form.category')}</th>
                    <th scope="col">{t('office.commune')}</th>
                    <th scope="col">{t('office.state')}</th>
                    <th scope="col">{t('office.deadline')}</th>
                  </tr>
                </thead>
                <tbody>
                  {items?.items.map((r) => (
                    <tr key={r.id}>
                      <td>
                        <button type="button" className="link-button" onClick={() => setSelected(r.id)} aria-pressed={selected === r.id}>
                          {r.id}
                        </button>
                      </td>
                      <td>{r.serviceName}</td>
                      <td>{r.communeName}</td>
                      <td>{r.stateLabel}</td>
                      <td>
                        {r.expectedAt ? formatDateTime(r.expectedAt, lang) : ''} {r.overdue ? <strong className="citizen-overdue">{t('office.overdue')}</strong> : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
          {selected ? <RequestDetail key={selected} id={selected} onChanged={refresh} /> : null}
        </>
      ) : null}
    </div>
  );
}
