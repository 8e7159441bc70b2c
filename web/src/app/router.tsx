import { createContext, useCallback, useContext, useEffect, useMemo, useState, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react';

/** A small history-API router: the app has a handful of routes, each module page adds one. */
interface Location {
  path: string;
  query: URLSearchParams;
}
interface RouterValue extends Location {
  navigate(to: string, opts?: { replace?: boolean }): void;
}

const RouterContext = createContext<RouterValue | null>(null);

const read = (): Location => ({ path: window.location.pathname, query: new URLSearchParams(window.location.search) });

export function Router({ children }: { children: ReactNode }) {
  const [loc, setLoc] = useState(read);
  useEffect(() => {
    const onPop = () => setLoc(read());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigate = useCallback((to: string, opts: { replace?: boolean } = {}) => {
    if (opts.replace) history.replaceState(null, '', to);
    else history.pushState(null, '', to);
    setLoc(read());
  }, []);
  const value = useMemo(() => ({ ...loc, navigate }), [loc, navigate]);
  return <RouterContext.Provider value={value}>{children}</RouterContext.Provider>;
}

export function useRouter(): RouterValue {
  const v = useContext(RouterContext);
  if (!v) throw new Error('useRouter outside <Router>');
  return v;
}

/** Updates query parameters of the current page without a new history entry. */
export function useQueryParam(name: string): [string | null, (v: string | null) => void] {
  const { query, path, navigate } = useRouter();
  const set = useCallback(
    (v: string | null) => {
      const q = new URLSearchParams(window.location.search);
      if (v === null) q.delete(name);
      else q.set(name, v);
      const s = q.toString();
      navigate(`${path}${s ? `?${s}` : ''}`, { replace: true });
    },
    [name, path, navigate],
  );
  return [query.get(name), set];
}

export function Link({ to, children, ...rest }: { to: string; children: ReactNode } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const { navigate, path } = useRouter();
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  const current = to.split('?')[0] === path;
  return (
    <a href={to} onClick={onClick} aria-current={current ? 'page' : undefined} {...rest}>
      {children}
    </a>
  );
}
