import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Api, ApiError, type Me } from './api';
import { BASE, Link, navigate, usePath } from './router';
import { audienceOf, SessionContext, storedToken, storeToken, type Audience } from './session';
import { ErrorNote, Loading } from './components/ui';
import { SignIn } from './pages/SignIn';
import { Queue } from './pages/Queue';
import { ConsignmentPage } from './pages/Consignment';
import { TraderHome } from './pages/Trader';
import { AuditorHome } from './pages/Auditor';
import { Dashboard } from './pages/Dashboard';
import { PartyLookup, PartyPage } from './pages/Parties';

const HOME: Record<Audience, string> = { customs: '/queue', trader: '/mine', auditor: '/audit' };

const NAV: Record<Audience, readonly (readonly [string, string])[]> = {
  customs: [
    ['/queue', 'Work queue'],
    ['/dashboard', 'Dashboard'],
  ],
  trader: [['/mine', 'My consignments']],
  auditor: [['/audit', 'Audit']],
};

/** Customs, and the platforms that register sellers and buyers, look parties up. */
const seesParties = (me: Me): boolean => me.orgRole === 'customs' || me.orgRole === 'platform';

function navOf(me: Me): readonly (readonly [string, string])[] {
  const nav = NAV[audienceOf(me)];
  return seesParties(me) ? [...nav, ['/parties', 'Parties']] : nav;
}

export function App() {
  const [token, setToken] = useState(storedToken);
  const [me, setMe] = useState<Me>();
  const [error, setError] = useState<Error>();
  /** Why the signed-in user could not be read (the gateway unavailable, say): the session stays. */
  const [unreachable, setUnreachable] = useState<Error>();
  const [attempt, setAttempt] = useState(0);
  /** Forgets the credential; the sign-in page shows `reason`. */
  const endSession = useCallback((reason?: Error) => {
    storeToken(null);
    setToken(null);
    setMe(undefined);
    setError(reason);
  }, []);
  const api = useMemo(() => {
    if (!token) return undefined;
    // Any call or event stream refused with 401 ends the session, e.g. when a JWT expires; an answer
    // that arrives after this credential was signed out or replaced leaves the next session alone.
    return new Api(token, (refusal) => {
      if (storedToken() === token) endSession(refusal);
    });
  }, [token, endSession]);

  useEffect(() => {
    if (!api) return;
    setUnreachable(undefined);
    // Only a 401 ends the session (the Api says so itself); anything else may pass, so the
    // credential is kept for another try rather than pasted again once the gateway is back.
    api.get<Me>('/v1/me').then(setMe, (e: Error) => {
      if (!(e instanceof ApiError && e.status === 401)) setUnreachable(e);
    });
  }, [api, attempt]);

  const signIn = async (credential: string) => {
    const candidate = new Api(credential);
    const who = await candidate.get<Me>('/v1/me');
    storeToken(credential);
    setMe(who);
    setToken(credential);
    setError(undefined);
    // The page asked for (a link followed while signed out, or open when a session ended) if any.
    const asked = location.pathname.slice(BASE.length).replace(/\/+$/, '');
    navigate(asked === '' ? HOME[audienceOf(who)] : asked + location.search, true);
  };
  const signOut = () => {
    endSession();
    navigate('/', true);
  };

  if (!api) return <SignIn onSignIn={signIn} error={error} />;
  if (unreachable) {
    return (
      <main id="main" className="signin">
        <h1>Customs ledger console</h1>
        <ErrorNote error={unreachable} />
        <p>The gateway did not say who you are. You are still signed in: try again once it answers.</p>
        <button type="button" className="primary" onClick={() => setAttempt((n) => n + 1)}>
          Try again
        </button>{' '}
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </main>
    );
  }
  if (!me) return <Loading what="your session" />;
  const audience = audienceOf(me);
  return (
    <SessionContext.Provider value={{ api, me }}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Customs ledger</span>
        <nav aria-label="Main">
          <ul>
            {navOf(me).map(([to, label]) => (
              <li key={to}>
                <Link to={to}>{label}</Link>
              </li>
            ))}
          </ul>
        </nav>
        <span className="who" data-testid="who">
          {me.user} · {me.mspId} · {me.role}
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Routes audience={audience} parties={seesParties(me)} />
      </main>
    </SessionContext.Provider>
  );
}

/** The browser tab's title for a page: what it shows, then the console's name. */
const TITLES: Record<string, string> = {
  '/queue': 'Work queue',
  '/dashboard': 'Dashboard',
  '/mine': 'My consignments',
  '/audit': 'Audit',
  '/parties': 'Parties',
};

function Routes({ audience, parties }: { audience: Audience; parties: boolean }) {
  const path = usePath();
  const [asked = '', search = ''] = path.split('?');
  // `/mine/` is `/mine`, as a server would take it.
  const pathname = asked.replace(/\/+$/, '');
  const consignment = /^\/consignments\/([^/]+)$/.exec(pathname);
  const party = /^\/parties\/([^/]+)$/.exec(pathname);
  useEffect(() => {
    if (pathname === '') navigate(HOME[audience], true);
  }, [pathname, audience]);
  const shown = useRef<string>(undefined);
  const title = consignment
    ? `Consignment ${decodeURIComponent(consignment[1]!)}`
    : party
      ? 'Party'
      : TITLES[pathname];
  useEffect(() => {
    document.title = title ? `${title} · Customs ledger console` : 'Customs ledger console';
    // Another page than the one shown: move focus to it, so keyboard and screen-reader users start
    // at its top. Not on the first: "Skip to content" is then the first stop.
    if (shown.current !== undefined && shown.current !== pathname) document.getElementById('main')?.focus();
    shown.current = pathname;
  }, [pathname, title]);
  if (consignment) return <ConsignmentPage id={decodeURIComponent(consignment[1]!)} />;
  if (pathname === '/queue' && audience === 'customs') return <Queue search={search} />;
  if (pathname === '/dashboard' && audience === 'customs') return <Dashboard />;
  if (pathname === '/mine' && audience === 'trader') return <TraderHome />;
  if (pathname === '/audit' && audience === 'auditor') return <AuditorHome />;
  if (pathname === '/parties' && parties) return <PartyLookup />;
  if (party && parties) return <PartyPage id={decodeURIComponent(party[1]!)} />;
  if (pathname === '') return null;
  return (
    <>
      <h1>Not available</h1>
      <ErrorNote error={new Error(`There is no page ${pathname} for your role.`)} />
      <Link to={HOME[audience]}>Back to your start page</Link>
    </>
  );
}
