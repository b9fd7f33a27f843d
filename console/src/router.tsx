import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react';

/** The console's own paths, under the base the gateway serves it at. */
export const BASE = '/console';

const listeners = new Set<() => void>();

export function navigate(path: string, replace = false): void {
  const url = BASE + path;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  listeners.forEach((listener) => listener());
}

/** The current path below /console, with its query string, e.g. '/queue?lane=red'. */
export function usePath(): string {
  const read = () => (location.pathname.slice(BASE.length) || '/') + location.search;
  const [path, setPath] = useState(read);
  useEffect(() => {
    const update = () => setPath(read());
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return path;
}

/** A real link (middle click, copy address) that navigates inside the console. */
export function Link({ to, ...props }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={BASE + to} onClick={onClick} {...props} />;
}
