/** The signed-in user, shared by the module pages: who am I, and does my role allow this. */
import { useEffect, useState } from 'react';

/** A module's same-origin API call (`/api` + path, session cookie). */
export type ApiCall = <T>(method: string, path: string, body?: unknown) => Promise<T>;

/** True when the user is an administrator or holds one of the roles. */
export const has = (me: { roles: string[] }, ...roles: string[]) => me.roles.includes('administrator') || roles.some((r) => me.roles.includes(r));

/**
 * Loads `/auth/me` once on mount: the user, `'anonymous'` when the API answers 401 with the module's
 * `Problem`, `null` while loading; other failures go to `onError`. Returns the user and a reload.
 */
export function useMe<M>(api: ApiCall, problem: abstract new (...args: never[]) => { status: number }, onError: (e: any) => void): [M | null | 'anonymous', () => Promise<void>] {
  const [me, setMe] = useState<M | null | 'anonymous'>(null);
  const loadMe = () =>
    api<M>('GET', '/auth/me').then(
      (m) => setMe(m),
      (e) => (e instanceof problem && e.status === 401 ? setMe('anonymous') : onError(e)),
    );
  useEffect(() => {
    void loadMe();
  }, []);
  return [me, loadMe];
}
