import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { ApiCall } from './session';

/** The i18n keys of the form's texts, in the module's namespace; `text` (an explanation under the title) is optional. */
export interface SignInKeys {
  title: string;
  text?: string;
  username: string;
  password: string;
  failed: string;
  submit: string;
}

/** The keys most modules use: `signIn.title`, `signIn.text`, …, `signIn.submit`. */
export const SIGN_IN_KEYS: SignInKeys = { title: 'signIn.title', text: 'signIn.text', username: 'signIn.username', password: 'signIn.password', failed: 'signIn.failed', submit: 'signIn.submit' };

interface Props {
  /** The module's i18n namespace. */
  ns: string;
  /** The module's API call, used for `POST /auth/login`. */
  api: ApiCall;
  /** Ids of the inputs: `${idPrefix}-user` and `${idPrefix}-password`. */
  idPrefix: string;
  /** Id of the form's heading (its accessible name). */
  titleId: string;
  className: string;
  keys?: SignInKeys;
  onDone(): void;
}

/** The staff sign-in form of a module page: username and password, a message when they are refused. */
export function SignIn({ ns, api, idPrefix, titleId, className, keys = SIGN_IN_KEYS, onDone }: Props) {
  const { t } = useTranslation(ns);
  const [failed, setFailed] = useState(false);
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    try {
      await api('POST', '/auth/login', { username: f.get('username'), password: f.get('password') });
      onDone();
    } catch {
      setFailed(true);
    }
  }
  return (
    <form className={className} onSubmit={submit} aria-labelledby={titleId}>
      <h2 id={titleId}>{t(keys.title)}</h2>
      {keys.text ? <p>{t(keys.text)}</p> : null}
      <div className="field">
        <label htmlFor={`${idPrefix}-user`}>{t(keys.username)}</label>
        <input id={`${idPrefix}-user`} name="username" autoComplete="username" required />
      </div>
      <div className="field">
        <label htmlFor={`${idPrefix}-password`}>{t(keys.password)}</label>
        <input id={`${idPrefix}-password`} name="password" type="password" autoComplete="current-password" required />
      </div>
      {failed ? (
        <p className="error" role="alert">
          {t(keys.failed)}
        </p>
      ) : null}
      <button type="submit" className="primary">
        {t(keys.submit)}
      </button>
    </form>
  );
}
