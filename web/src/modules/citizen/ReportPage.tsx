import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from '../../app/router';
import { api, postForm, Problem, type Attribute, type Service, type Submitted } from './citizen-api';
import { LocationPicker, type Picked } from './LocationPicker';
import './i18n-setup';
import './citizen.css';

const PHOTO_MAX_BYTES = 5 * 1024 * 1024;
const PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp'];

function AttributeField({ a }: { a: Attribute }) {
  const id = useId();
  const { t } = useTranslation('citizen');
  if (!a.variable) return <p className="note">{a.description}</p>;
  const name = a.datatype === 'multivaluelist' ? `attribute[${a.code}][]` : `attribute[${a.code}]`;
  const label = (
    <>
      {a.description}
      {a.required ? <span aria-hidden="true"> *</span> : <span className="muted"> ({t('form.optional')})</span>}
    </>
  );
  if (a.datatype === 'multivaluelist') {
    return (
      <fieldset className="field">
        <legend>{label}</legend>
        {a.values?.map((v) => (
          <label key={v.key} className="check">
            <input type="checkbox" name={name} value={v.key} /> {v.name}
          </label>
        ))}
      </fieldset>
    );
  }
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {a.datatype === 'singlevaluelist' ? (
        <select id={id} name={name} required={a.required} defaultValue="">
          <option value="" disabled={a.required}>
            {t('form.choose')}
          </option>
          {a.values?.map((v) => (
            <option key={v.key} value={v.key}>
              {v.name}
            </option>
          ))}
        </select>
      ) : a.datatype === 'text' ? (
        <textarea id={id} name={name} required={a.required} maxLength={4000} rows={3} />
      ) : (
        <input
          id={id}
          name={name}
          required={a.required}
          type={a.datatype === 'number' ? 'number' : a.datatype === 'datetime' ? 'datetime-local' : 'text'}
          step={a.datatype === 'number' ? 'any' : undefined}
          maxLength={a.datatype === 'string' ? 255 : undefined}
          aria-describedby={a.datatype_description ? `${id}-d` : undefined}
        />
      )}
      {a.datatype_description ? (
        <span id={`${id}-d`} className="muted">
          {a.datatype_description}
        </span>
      ) : null}
    </div>
  );
}

/** The citizen's form: where, what, a description, an optional photo and contact; a tracking number back. */
export default function ReportPage() {
  const { t, i18n } = useTranslation('citizen');
  const [services, setServices] = useState<Service[] | null>(null);
  const [code, setCode] = useState('');
  const [place, setPlace] = useState<Picked | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<Submitted | null>(null);
  const [descLength, setDescLength] = useState(0);
  const errorRef = useRef<HTMLParagraphElement>(null);
  const doneRef = useRef<HTMLHeadingElement>(null);
  const lang = i18n.language;

  useEffect(() => {
    api<{ services: Service[] }>('GET', '/citizen/services', undefined, lang).then(
      (r) => setServices(r.services),
      (e) => setError(e.message),
    );
  }, [lang]);
  useEffect(() => {
    if (error) errorRef.current?.focus();
  }, [error]);
  useEffect(() => {
    if (done) doneRef.current?.focus();
  }, [done]);

  const groups = useMemo(() => {
    const m = new Map<string, Service[]>();
    for (const s of services ?? []) m.set(s.group, [...(m.get(s.group) ?? []), s]);
    return [...m.entries()];
  }, [services]);
  const service = services?.find((s) => s.service_code === code);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setError(null);
    if (!place) return setError(t('form.needPlace'));
    const form = new FormData(e.currentTarget);
    const photo = form.get('photo');
    if (photo instanceof File && photo.size > 0) {
      if (!PHOTO_TYPES.includes(photo.type)) return setError(t('form.photoType'));
      if (photo.size > PHOTO_MAX_BYTES) return setError(t('form.photoSize'));
    } else form.delete('photo');
    for (const a of service?.attributes ?? []) {
      const k = `attribute[${a.code}]`;
      if (a.datatype === 'datetime' && form.get(k)) form.set(k, new Date(String(form.get(k))).toISOString());
    }
    for (const [k, v] of [...form.entries()]) if (v === '') form.delete(k);
    form.set('lat', String(place.lat));
    form.set('long', String(place.lon));
    setBusy(true);
    try {
      setDone(await postForm<Submitted>('/citizen/reports', form, lang));
    } catch (err) {
      setError(err instanceof Problem ? err.detail : String(err));
    } finally {
      setBusy(false);
    }
  }

  if (done) {
    return (
      <div className="page page-narrow citizen-page">
        <h1 ref={doneRef} tabIndex={-1}>
          {t('done.title')}
        </h1>
        <div className="card" role="status">
          <p>{t('done.number')}</p>
          <p className="citizen-tracking" data-testid="tracking-number">
            {done.service_request_id}
          </p>
          <p>{done.service_notice}</p>
          {done.duplicate_of ? <p>{t('done.duplicate', { id: done.duplicate_of })}</p> : null}
          <p>
            <Link to={`/track?id=${done.service_request_id}`}>{t('done.track')}</Link>
          </p>
        </div>
        <button type="button" onClick={() => (setDone(null), setPlace(null), setCode(''))}>
          {t('done.another')}
        </button>
      </div>
    );
  }

  return (
    <div className="page page-narrow citizen-page">
      <h1>{t('form.title')}</h1>
      <p className="lede">{t('form.lede')}</p>
      <p>
        <Link to="/track">{t('form.trackLink')}</Link> · <Link to="/citizen/map">{t('form.mapLink')}</Link> · <Link to="/citizen/office">{t('form.officeLink')}</Link>
      </p>
      {error ? (
        <p className="error" role="alert" tabIndex={-1} ref={errorRef}>
          {error}
        </p>
      ) : null}
      {!services ? <p role="status">{t('common.loading')}</p> : null}
      {services ? (
        <form onSubmit={submit} className="citizen-form" noValidate={false} aria-describedby="citizen-required">
          <p id="citizen-required" className="muted">
            {t('form.required')}
          </p>
          <LocationPicker value={place} onChange={setPlace} />
          <div className="field">
            <label htmlFor="citizen-address">
              {t('form.address')} <span className="muted">({t('form.optional')})</span>
            </label>
            <input id="citizen-address" name="address_string" maxLength={500} autoComplete="street-address" />
          </div>
          <div className="field">
            <label htmlFor="citizen-service">
              {t('form.category')} <span aria-hidden="true">*</span>
            </label>
            <select id="citizen-service" name="service_code" required value={code} onChange={(e) => setCode(e.target.value)}>
              <option value="" disabled>
                {t('form.choose')}
              </option>
              {groups.map(([group, list]) => (
                <optgroup key={group} label={group}>
                  {list.map((s) => (
                    <option key={s.service_code} value={s.service_code}>
                      {s.service_name}
                    </option>
                  ))}
                </optgroup>
              ))}
            </select>
            {service ? <span className="muted">{service.description}</span> : null}
          </div>
          {service?.attributes.map((a) => <AttributeField key={`${service.service_code}-${a.code}`} a={a} />)}
          <div className="field">
            <label htmlFor="citizen-description">
              {t('form.description')} <span className="muted">({t('form.optional')})</span>
            </label>
            <textarea id="citizen-description" name="description" rows={4} maxLength={4000} aria-describedby="citizen-desc-count" onChange={(e) => setDescLength(e.target.value.length)} />
            <span id="citizen-desc-count" className="muted">
              {t('form.characters', { n: descLength, max: 4000 })}
            </span>
          </div>
          <div className="field">
            <label htmlFor="citizen-photo">
              {t('form.photo')} <span className="muted">({t('form.optional')})</span>
            </label>
            <input id="citizen-photo" name="photo" type="file" accept="image/jpeg,image/png,image/webp" aria-describedby="citizen-photo-help" />
            <span id="citizen-photo-help" className="muted">
              {t('form.photoHelp')}
            </span>
          </div>
          <fieldset>
            <legend>{t('form.contact')}</legend>
            <p className="muted">{t('form.contactHelp')}</p>
            <div className="field">
              <label htmlFor="citizen-email">{t('form.email')}</label>
              <input id="citizen-email" name="email" type="email" autoComplete="email" maxLength={200} />
            </div>
            <div className="field">
              <label htmlFor="citizen-phone">{t('form.phone')}</label>
              <input id="citizen-phone" name="phone" type="tel" autoComplete="tel" maxLength={25} />
            </div>
          </fieldset>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? t('form.sending') : t('form.submit')}
          </button>
        </form>
      ) : null}
    </div>
  );
}
