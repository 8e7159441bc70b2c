import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../../app/format';
import { api, Problem, type Alert, type CommandView } from './lighting-api';

const shortId = (urn: string) => urn.slice(urn.lastIndexOf(':') + 1);

/** Fault alerts, updated live from /api/lighting/alerts/stream, and remote control of lamps, groups and cabinets. */
export function AlertsView({ canCommand }: { canCommand: boolean }) {
  const { t } = useTranslation('lighting');
  const fmt = useFormat();
  const id = useId();
  const [openOnly, setOpenOnly] = useState(true);
  const [alerts, setAlerts] = useState<Alert[] | null>(null);
  const [announce, setAnnounce] = useState('');
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    api<{ items: Alert[] }>('GET', `/lighting/alerts?limit=200${openOnly ? '&open=true' : ''}`).then(
      (r) => setAlerts(r.items),
      (e) => setError(e.message),
    );
  }, [openOnly]);
  useEffect(load, [load]);

  useEffect(() => {
    const es = new EventSource('/api/lighting/alerts/stream');
    es.addEventListener('alert', (ev) => {
      const { change, alert } = JSON.parse((ev as MessageEvent).data) as { change: 'raised' | 'cleared'; alert: Alert };
      setAnnounce(t(change === 'raised' ? 'alerts.announceRaised' : 'alerts.announceCleared', { kind: t(`alerts.kinds.${alert.kind}`), lamp: shortId(alert.lampId) }));
      setAlerts((list) => {
        const rest = (list ?? []).filter((a) => a.id !== alert.id);
        if (openOnly && change === 'cleared') return rest;
        return [alert, ...rest];
      });
    });
    return () => es.close();
  }, [openOnly, t]);

  return (
    <div className="lighting-ops">
      <section className="card" aria-labelledby={`${id}-alerts`}>
        <div className="card-head">
          <h2 id={`${id}-alerts`}>{t('alerts.title')}</h2>
          <label className="check">
            <input type="checkbox" checked={openOnly} onChange={(e) => setOpenOnly(e.target.checked)} />
            {t('alerts.openOnly')}
          </label>
        </div>
        <p className="note">{t('alerts.live')}</p>
        <p className="visually-hidden" aria-live="polite">
          {announce}
        </p>
        {error ? (
          <p className="error" role="alert">
            {t('common.error', { detail: error })}
          </p>
        ) : null}
        {!alerts ? (
          <p role="status">{t('common.loading')}</p>
        ) : !alerts.length ? (
          <p className="muted">{t('alerts.empty')}</p>
        ) : (
          <div className="table-scroll">
            <table className="lighting-table lighting-alerts">
              <caption className="visually-hidden">{t('alerts.title')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('alerts.lamp')}</th>
                  <th scope="col">{t('alerts.kind')}</th>
                  <th scope="col">{t('alerts.raised')}</th>
                  <th scope="col">{t('alerts.cleared')}</th>
                </tr>
              </thead>
              <tbody>
                {alerts.map((a) => (
                  <tr key={a.id} data-kind={a.kind}>
                    <td>
                      <code>{shortId(a.lampId)}</code>
                    </td>
                    <td>{t(`alerts.kinds.${a.kind}`)}</td>
                    <td>{fmt.dateTime(a.raisedAt)}</td>
                    <td>{a.clearedAt ? fmt.dateTime(a.clearedAt) : t('alerts.open')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {canCommand ? <Commands /> : null}
    </div>
  );
}

function Commands() {
  const { t } = useTranslation('lighting');
  const fmt = useFormat();
  const id = useId();
  const [targetType, setTargetType] = useState('Streetlight');
  const [targetId, setTargetId] = useState('');
  const [command, setCommand] = useState<'switch' | 'dim'>('dim');
  const [onOff, setOnOff] = useState<'on' | 'off'>('off');
  const [level, setLevel] = useState(50);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [history, setHistory] = useState<CommandView[]>([]);

  const load = useCallback(() => {
    api<{ items: CommandView[] }>('GET', '/lighting/commands?limit=20').then((r) => setHistory(r.items), () => undefined);
  }, []);
  useEffect(() => {
    load();
    // Devices answer asynchronously: refresh the statuses while the page is open.
    const timer = setInterval(load, 5000);
    return () => clearInterval(timer);
  }, [load]);

  async function send(e: FormEvent) {
    e.preventDefault();
    try {
      const r = await api<{ devices: unknown[] }>('POST', '/lighting/commands', { targetType, targetId: targetId.trim(), command, value: command === 'switch' ? onOff : level / 100 });
      setMessage({ ok: true, text: t('commands.sent', { count: r.devices.length }) });
      load();
    } catch (err) {
      setMessage({ ok: false, text: err instanceof Problem ? err.detail : (err as Error).message });
    }
  }

  return (
    <section className="card" aria-labelledby={`${id}-commands`}>
      <h2 id={`${id}-commands`}>{t('commands.title')}</h2>
      <form className="lighting-grid" onSubmit={send}>
        <div className="field">
          <label htmlFor={`${id}-tt`}>{t('commands.targetType')}</label>
          <select id={`${id}-tt`} value={targetType} onChange={(e) => setTargetType(e.target.value)}>
            {['Streetlight', 'StreetlightGroup', 'StreetlightControlCabinet'].map((x) => (
              <option key={x} value={x}>
                {t(`commands.targetTypes.${x}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-ti`}>{t('commands.targetId')}</label>
          <input id={`${id}-ti`} value={targetId} required onChange={(e) => setTargetId(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-c`}>{t('commands.command')}</label>
          <select id={`${id}-c`} value={command} onChange={(e) => setCommand(e.target.value as 'switch' | 'dim')}>
            <option value="dim">{t('commands.names.dim')}</option>
            <option value="switch">{t('commands.names.switch')}</option>
          </select>
        </div>
        {command === 'switch' ? (
          <div className="field">
            <label htmlFor={`${id}-v`}>{t('commands.value')}</label>
            <select id={`${id}-v`} value={onOff} onChange={(e) => setOnOff(e.target.value as 'on' | 'off')}>
              <option value="on">{t('commands.on')}</option>
              <option value="off">{t('commands.off')}</option>
            </select>
          </div>
        ) : (
          <div className="field">
            <label htmlFor={`${id}-v`}>{t('commands.level')}</label>
            <input id={`${id}-v`} type="number" min="0" max="100" value={level} onChange={(e) => setLevel(Number(e.target.value))} />
          </div>
        )}
        <div className="lighting-submit">
          <button type="submit" className="primary">
            {t('commands.send')}
          </button>
        </div>
      </form>
      {message ? (
        <p className={message.ok ? 'note' : 'error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      ) : null}
      <h3>{t('commands.history')}</h3>
      {!history.length ? (
        <p className="muted">{t('commands.empty')}</p>
      ) : (
        <div className="table-scroll">
          <table className="lighting-table">
            <caption className="visually-hidden">{t('commands.history')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('alerts.raised')}</th>
                <th scope="col">{t('commands.targetType')}</th>
                <th scope="col">{t('commands.command')}</th>
                <th scope="col">{t('commands.status')}</th>
              </tr>
            </thead>
            <tbody>
              {history.map((c) => (
                <tr key={c.id}>
                  <td>{fmt.dateTime(c.createdAt)}</td>
                  <td>
                    {t(`commands.targetTypes.${c.targetType}`)} <code>{shortId(c.targetId)}</code>
                  </td>
                  <td>
                    {t(`commands.names.${c.command}`)} {typeof c.value === 'number' ? `${Math.round(c.value * 100)} %` : typeof c.value === 'string' ? c.value : ''}
                  </td>
                  <td>
                    {Object.entries(c.counts)
                      .map(([s, n]) => `${s} ${n}`)
                      .join(' · ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
