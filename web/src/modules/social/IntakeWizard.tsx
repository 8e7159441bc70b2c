import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, nameIn, Problem, type CaseView, type FieldError, type Place, type Vocabulary } from './social-api';

const STEPS = ['person', 'needs', 'functioning', 'consent', 'review'] as const;
const LEVELS = ['none', 'some', 'a-lot', 'cannot'] as const;
const LIVING = ['with-family', 'alone', 'institution', 'no-stable-housing', 'other'] as const;
const DEFAULT_SHARED = ['person.givenName', 'person.familyName', 'person.phone', 'person.placeCode', 'case.needs', 'case.functioning'];

interface Draft {
  givenName: string;
  familyName: string;
  birthDate: string;
  sex: '' | 'female' | 'male';
  phone: string;
  address: string;
  placeCode: string;
  nationalId: string;
  needs: string[];
  story: string;
  livingSituation: string;
  functioning: Record<string, string>;
  consent: boolean;
  sharedFields: string[];
  givenBy: 'person' | 'legal-guardian';
  givenOn: string;
}

const today = () => new Date().toISOString().slice(0, 10);

/** The id of the form control a JSON pointer of the request designates. */
export function fieldIdOf(pointer: string): string {
  const parts = pointer.split('/').filter(Boolean);
  if (parts[0] === 'person') return `f-person-${parts[1] ?? 'givenName'}`;
  if (parts[0] === 'data' && parts[1] === 'functioning' && parts[2]) return `f-functioning-${parts[2]}`;
  if (parts[0] === 'data') return `f-data-${parts[1] ?? 'needs'}`;
  if (parts[0] === 'consents') return 'f-consent';
  return 'f-person-givenName';
}

function stepOf(pointer: string): number {
  if (pointer.startsWith('/person')) return 0;
  if (pointer.startsWith('/data/functioning')) return 2;
  if (pointer.startsWith('/data')) return 1;
  if (pointer.startsWith('/consents')) return 3;
  return 0;
}

/** Intake: person, needs, functioning, consent — keyboard and screen-reader friendly, in fr/ar/en. */
export function IntakeWizard({ vocabulary, places, onSaved }: { vocabulary: Vocabulary; places: Place[]; onSaved(c: CaseView): void }) {
  const { t, i18n } = useTranslation('social');
  const lang = i18n.language;
  const [step, setStep] = useState(0);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const summary = useRef<HTMLDivElement>(null);
  const first = useRef(true);
  const [d, setD] = useState<Draft>({
    givenName: '',
    familyName: '',
    birthDate: '',
    sex: '',
    phone: '',
    address: '',
    placeCode: '',
    nationalId: '',
    needs: [],
    story: '',
    livingSituation: '',
    functioning: Object.fromEntries(vocabulary.domains.map((x) => [x, 'none'])),
    consent: false,
    sharedFields: DEFAULT_SHARED,
    givenBy: 'person',
    givenOn: today(),
  });
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setD((x) => ({ ...x, [k]: v }));
  const sortedPlaces = useMemo(() => [...places].sort((a, b) => nameIn(a.name, lang).localeCompare(nameIn(b.name, lang), lang)), [places, lang]);

  // Each step starts at its heading, so screen readers announce where the user is.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    heading.current?.focus();
  }, [step]);
  useEffect(() => {
    if (errors.length) summary.current?.focus();
  }, [errors]);

  const errorOf = (id: string) => errors.find((e) => fieldIdOf(e.pointer) === id);
  const describedBy = (id: string, extra?: string) => [errorOf(id) ? `${id}-error` : '', extra ?? ''].filter(Boolean).join(' ') || undefined;
  const ErrorText = ({ id }: { id: string }) => {
    const e = errorOf(id);
    return e ? (
      <span className="error" id={`${id}-error`}>
        {e.detail}
      </span>
    ) : null;
  };

  /** What the browser can check before asking the server (the server checks everything again). */
  function localErrors(s: number): FieldError[] {
    const out: FieldError[] = [];
    const required = `(${t('wizard.required')})`;
    if (s === 0) {
      if (!d.givenName.trim()) out.push({ pointer: '/person/givenName', detail: `${t('person.givenName')} ${required}` });
      if (!d.familyName.trim()) out.push({ pointer: '/person/familyName', detail: `${t('person.familyName')} ${required}` });
      if (!d.placeCode) out.push({ pointer: '/person/placeCode', detail: `${t('person.placeCode')} ${required}` });
    }
    if (s === 1 && !d.needs.length) out.push({ pointer: '/data/needs', detail: `${t('needs.legend')} ${required}` });
    return out;
  }

  function next() {
    const e = localErrors(step);
    setErrors(e);
    if (!e.length) setStep((s) => Math.min(s + 1, STEPS.length - 1));
  }

  async function submit(ev: FormEvent) {
    ev.preventDefault();
    if (step < STEPS.length - 1) return next();
    setBusy(true);
    setFailure(null);
    const person: Record<string, string> = { givenName: d.givenName.trim(), familyName: d.familyName.trim(), placeCode: d.placeCode };
    for (const k of ['birthDate', 'sex', 'phone', 'address', 'nationalId'] as const) if (d[k].trim()) person[k] = d[k].trim();
    const data: Record<string, unknown> = { needs: d.needs, functioning: d.functioning };
    if (d.story.trim()) data.story = d.story.trim();
    if (d.livingSituation) data.livingSituation = d.livingSituation;
    try {
      const saved = await api<CaseView>('POST', '/social/cases', {
        person,
        data,
        consents: d.consent ? [{ purpose: 'referral', fields: d.sharedFields, givenOn: d.givenOn, givenBy: d.givenBy }] : [],
      });
      onSaved(saved);
    } catch (err) {
      if (err instanceof Problem && err.errors.length) {
        setErrors(err.errors);
        setStep(Math.min(...err.errors.map((e) => stepOf(e.pointer))));
      } else setFailure(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  const text = (id: string, k: 'givenName' | 'familyName' | 'phone' | 'address' | 'nationalId' | 'birthDate', opts: { type?: string; required?: boolean; autoComplete?: string } = {}) => (
    <div className="field">
      <label htmlFor={id}>
        {t(`person.${k}`)}
        {opts.required ? <span aria-hidden="true"> *</span> : null}
      </label>
      <input
        id={id}
        type={opts.type ?? 'text'}
        value={d[k]}
        required={opts.required}
        aria-required={opts.required}
        aria-invalid={errorOf(id) ? true : undefined}
        aria-describedby={describedBy(id)}
        autoComplete={opts.autoComplete ?? 'off'}
        dir={k === 'phone' || k === 'nationalId' || k === 'birthDate' ? 'ltr' : undefined}
        onChange={(e) => set(k, e.target.value)}
      />
      <ErrorText id={id} />
    </div>
  );

  return (
    <form className="card social-wizard" onSubmit={submit} noValidate aria-labelledby="wizard-title">
      <h2 id="wizard-title">{t('wizard.title')}</h2>
      <ol className="social-steps" aria-label={t('wizard.title')}>
        {STEPS.map((s, i) => (
          <li key={s} aria-current={i === step ? 'step' : undefined} className={i < step ? 'done' : undefined}>
            {t(`wizard.steps.${s}`)}
          </li>
        ))}
      </ol>
      <h3 ref={heading} tabIndex={-1} className="social-step-title">
        {t('wizard.step', { n: step + 1, total: STEPS.length, name: t(`wizard.steps.${STEPS[step]}`) })}
      </h3>

      {errors.length ? (
        <div className="social-error-summary" role="alert" tabIndex={-1} ref={summary} aria-labelledby="errors-title">
          <p id="errors-title" className="error">
            {t('wizard.errorsTitle', { count: errors.length })}
          </p>
          <ul>
            {errors.map((e) => (
              <li key={e.pointer}>
                <a href={`#${fieldIdOf(e.pointer)}`}>{e.detail}</a>
              </li>
            ))}
          </ul>
        </div>
      ) : null}

      {step === 0 ? (
        <fieldset className="social-grid">
          <legend className="visually-hidden">{t('wizard.steps.person')}</legend>
          {text('f-person-givenName', 'givenName', { required: true })}
          {text('f-person-familyName', 'familyName', { required: true })}
          {text('f-person-birthDate', 'birthDate', { type: 'date' })}
          <fieldset className="field" id="f-person-sex" aria-describedby={describedBy('f-person-sex')}>
            <legend>{t('person.sex')}</legend>
            {(['female', 'male'] as const).map((v) => (
              <label key={v} className="check">
                <input type="radio" name="sex" value={v} checked={d.sex === v} onChange={() => set('sex', v)} />
                {t(`person.${v}`)}
              </label>
            ))}
            <ErrorText id="f-person-sex" />
          </fieldset>
          {text('f-person-phone', 'phone', { type: 'tel' })}
          {text('f-person-address', 'address')}
          <div className="field">
            <label htmlFor="f-person-placeCode">
              {t('person.placeCode')}
              <span aria-hidden="true"> *</span>
            </label>
            <select
              id="f-person-placeCode"
              value={d.placeCode}
              required
              aria-required
              aria-invalid={errorOf('f-person-placeCode') ? true : undefined}
              aria-describedby={describedBy('f-person-placeCode')}
              onChange={(e) => set('placeCode', e.target.value)}
            >
              <option value="">{t('person.choosePlace')}</option>
              {sortedPlaces.map((p) => (
                <option key={p.code} value={p.code}>
                  {nameIn(p.name, lang)}
                </option>
              ))}
            </select>
            <ErrorText id="f-person-placeCode" />
          </div>
          {text('f-person-nationalId', 'nationalId')}
        </fieldset>
      ) : null}

      {step === 1 ? (
        <>
          <fieldset className="social-checks" id="f-data-needs" aria-describedby={describedBy('f-data-needs')} aria-invalid={errorOf('f-data-needs') ? true : undefined}>
            <legend>
              {t('needs.legend')}
              <span aria-hidden="true"> *</span>
            </legend>
            {vocabulary.services.map((s) => (
              <label key={s} className="check">
                <input type="checkbox" checked={d.needs.includes(s)} onChange={(e) => set('needs', e.target.checked ? [...d.needs, s] : d.needs.filter((x) => x !== s))} />
                {t(`services.${s}`)}
              </label>
            ))}
            <ErrorText id="f-data-needs" />
          </fieldset>
          <div className="field">
            <label htmlFor="f-data-livingSituation">{t('needs.livingSituation')}</label>
            <select id="f-data-livingSituation" value={d.livingSituation} onChange={(e) => set('livingSituation', e.target.value)} aria-describedby={describedBy('f-data-livingSituation')}>
              <option value="">—</option>
              {LIVING.map((l) => (
                <option key={l} value={l}>
                  {t(`living.${l}`)}
                </option>
              ))}
            </select>
            <ErrorText id="f-data-livingSituation" />
          </div>
          <div className="field">
            <label htmlFor="f-data-story">{t('needs.story')}</label>
            <textarea id="f-data-story" rows={5} maxLength={4000} value={d.story} onChange={(e) => set('story', e.target.value)} aria-describedby={describedBy('f-data-story', 'story-help')} />
            <span id="story-help" className="note">
              {t('wizard.storyHelp')}
            </span>
            <ErrorText id="f-data-story" />
          </div>
        </>
      ) : null}

      {step === 2 ? (
        <div role="group" aria-labelledby="functioning-legend">
          <p id="functioning-legend">{t('functioning.legend')}</p>
          {vocabulary.domains.map((dom) => (
            <fieldset key={dom} className="social-levels" id={`f-functioning-${dom}`} aria-describedby={describedBy(`f-functioning-${dom}`)}>
              <legend>{t(`domains.${dom}`)}</legend>
              {LEVELS.map((l) => (
                <label key={l} className="check">
                  <input type="radio" name={`fn-${dom}`} value={l} checked={d.functioning[dom] === l} onChange={() => set('functioning', { ...d.functioning, [dom]: l })} />
                  {t(`functioning.level.${l}`)}
                </label>
              ))}
              <ErrorText id={`f-functioning-${dom}`} />
            </fieldset>
          ))}
        </div>
      ) : null}

      {step === 3 ? (
        <>
          <p id="consent-text">{t('wizard.consentText')}</p>
          <label className="check social-consent">
            <input id="f-consent" type="checkbox" checked={d.consent} onChange={(e) => set('consent', e.target.checked)} aria-describedby={describedBy('f-consent', 'consent-text')} />
            {t('wizard.consentGiven')}
          </label>
          <ErrorText id="f-consent" />
          {!d.consent ? <p className="note">{t('wizard.noConsent')}</p> : null}
          <fieldset className="social-checks" disabled={!d.consent}>
            <legend>{t('wizard.consentFields')}</legend>
            {vocabulary.shareableFields.map((f) => (
              <label key={f} className="check">
                <input type="checkbox" checked={d.sharedFields.includes(f)} onChange={(e) => set('sharedFields', e.target.checked ? [...d.sharedFields, f] : d.sharedFields.filter((x) => x !== f))} />
                {t(`fields.${f}`)}
              </label>
            ))}
          </fieldset>
          <div className="social-grid">
            <fieldset className="field" disabled={!d.consent}>
              <legend>{t('wizard.consentBy')}</legend>
              {(['person', 'legal-guardian'] as const).map((v) => (
                <label key={v} className="check">
                  <input type="radio" name="givenBy" checked={d.givenBy === v} onChange={() => set('givenBy', v)} />
                  {t(`givenBy.${v}`)}
                </label>
              ))}
            </fieldset>
            <div className="field">
              <label htmlFor="f-consent-date">{t('wizard.consentDate')}</label>
              <input id="f-consent-date" type="date" dir="ltr" value={d.givenOn} disabled={!d.consent} onChange={(e) => set('givenOn', e.target.value)} />
            </div>
          </div>
        </>
      ) : null}

      {step === 4 ? (
        <dl className="social-review">
          <dt>{t('wizard.steps.person')}</dt>
          <dd>
            {d.givenName} {d.familyName} — {nameIn(places.find((p) => p.code === d.placeCode)?.name, lang)}
          </dd>
          <dt>{t('needs.legend')}</dt>
          <dd>{d.needs.map((n) => t(`services.${n}`)).join(', ')}</dd>
          <dt>{t('wizard.steps.functioning')}</dt>
          <dd>
            {Object.entries(d.functioning)
              .filter(([, l]) => l !== 'none')
              .map(([dom, l]) => `${t(`domains.${dom}`)} : ${t(`functioning.level.${l}`)}`)
              .join(' ; ') || t('common.none')}
          </dd>
          <dt>{t('wizard.steps.consent')}</dt>
          <dd>{d.consent ? d.sharedFields.map((f) => t(`fields.${f}`)).join(', ') : t('wizard.noConsent')}</dd>
        </dl>
      ) : null}

      {failure ? (
        <p className="error" role="alert">
          {t('common.error', { detail: failure })}
        </p>
      ) : null}
      <div className="social-actions">
        {step > 0 ? (
          <button type="button" onClick={() => setStep((s) => s - 1)}>
            {t('common.back')}
          </button>
        ) : null}
        {step < STEPS.length - 1 ? (
          // Distinct keys: React must not turn this very button into the submit button during its own click.
          <button key="next" type="button" className="primary" onClick={next}>
            {t('common.next')}
          </button>
        ) : (
          <button key="submit" type="submit" className="primary" disabled={busy} aria-busy={busy}>
            {t('wizard.submit')}
          </button>
        )}
      </div>
    </form>
  );
}
