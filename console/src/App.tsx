import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
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
import { PlatformRemittances, Reconciliation } from './pages/Remittances';
import { TrustedOperators } from './pages/TrustedOperators';

const HOME: Record<Audience, string> = { customs: '/queue', trader: '/mine', auditor: '/audit' };

const NAV: Record<Audience, readonly (readonly [string, string])[]> = {
  customs: [
    ['/queue', 'Work queue'],
    ['/dashboard', 'Dashboard'],
    ['/reconciliation', 'Reconciliation'],
    ['/trusted-operators', 'Trusted operators'],
  ],
  trader: [['/mine', 'My consignments']],
  auditor: [['/audit', 'Audit']],
};

/** Customs, and the platforms that register sellers and buyers, look parties up. */
const seesParties = (me: Me): boolean => me.orgRole === 'customs' || me.orgRole === 'platform';

/** Platforms record what they remitted under a checkout scheme (IOSS). */
const remits = (me: Me): boolean => me.orgRole === 'platform';

function navOf(me: Me): readonly (readonly [string, string])[] {
  const nav: (readonly [string, string])[] = [...NAV[audienceOf(me)]];
  if (remits(me)) nav.push(['/remittances', 'Remittances']);
  if (seesParties(me)) nav.push(['/parties', 'Parties']);
  return nav;
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
    // What may pass (the gateway or its ledger unavailable, a rate limit, no answer at all) keeps the
    // credential for another try rather than have it pasted again once the gateway is back; a
    // refusal ends the session, saying why (a 401 already did, through the Api).
    api.get<Me>('/v1/me').then(setMe, (e: Error) => {
      if (e instanceof ApiError && e.status < 500 && e.status !== 429) endSession(e);
      else setUnreachable(e);
    });
  }, [api, attempt, endSession]);

  const signIn = async (credential: string) => {
    const candidate = new Api(credential);
    const who = await candidate.get<Me>('/v1/me');
    storeToken(credential);
    setMe(who);
    setToken(credential);
    setError(undefined);
    // The page asked for (a link followed while signed out, or open when a session ended), if this
    // user has it; else the user's start page.
    const asked = pageOf(location.pathname.slice(BASE.length), who);
    navigate(
      asked ? location.pathname.slice(BASE.length) + location.search + location.hash : HOME[audienceOf(who)],
      true,
    );
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
        <Routes me={me} />
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
  '/reconciliation': 'Reconciliation',
  '/remittances': 'Remittances',
  '/trusted-operators': 'Trusted operators',
};

/** A page of the console: its title and what renders it. */
interface ConsolePage {
  readonly title: string | undefined;
  readonly render: (search: string) => ReactNode;
}

/** The page at `path` (below /console, without its query) for this user, or undefined: none for its role. */
function pageOf(path: string, me: Me): ConsolePage | undefined {
  // `/mine/` is `/mine`, as a server would take it.
  const pathname = path.replace(/\/+$/, '');
  const audience = audienceOf(me);
  const consignment = /^\/consignments\/([^/]+)$/.exec(pathname);
  const party = /^\/parties\/([^/]+)$/.exec(pathname);
  if (consignment) {
    const id = decodeURIComponent(consignment[1]!);
    return { title: `Consignment ${id}`, render: () => <ConsignmentPage id={id} /> };
  }
  if (pathname === '/queue' && audience === 'customs')
    return { title: TITLES[pathname], render: (search) => <Queue search={search} /> };
  if (pathname === '/dashboard' && audience === 'customs')
    return { title: TITLES[pathname], render: () => <Dashboard /> };
  if (pathname === '/mine' && audience === 'trader')
    return { title: TITLES[pathname], render: () => <TraderHome /> };
  if (pathname === '/audit' && audience === 'auditor')
    return { title: TITLES[pathname], render: () => <AuditorHome /> };
  if (pathname === '/reconciliation' && audience === 'customs')
    return { title: TITLES[pathname], render: (search) => <Reconciliation search={search} /> };
  if (pathname === '/trusted-operators' && audience === 'customs')
    return { title: TITLES[pathname], render: () => <TrustedOperators /> };
  if (pathname === '/remittances' && remits(me))
    return { title: TITLES[pathname], render: () => <PlatformRemittances /> };
  if (pathname === '/parties' && seesParties(me))
    return { title: TITLES[pathname], render: () => <PartyLookup /> };
  if (party && seesParties(me)) {
    const id = decodeURIComponent(party[1]!);
    return { title: 'Party', render: () => <PartyPage id={id} /> };
  }
  return undefined;
}

function Routes({ me }: { me: Me }) {
  const path = usePath();
  const [asked = '', search = ''] = path.split('?');
  const pathname = asked.replace(/\/+$/, '');
  const home = HOME[audienceOf(me)];
  const page = pageOf(pathname, me);
  useEffect(() => {
    if (pathname === '') navigate(home, true);
  }, [pathname, home]);
  const shown = useRef<string>(undefined);
  const title = page?.title;
  useEffect(() => {
    document.title = title ? `${title} · Customs ledger console` : 'Customs ledger console';
    // On its way to the start page: not a page shown.
    if (pathname === '') return;
    // Another page than the one shown: move focus to it, so keyboard and screen-reader users start
    // at its top. Not on the first: "Skip to content" is then the first stop.
    if (shown.current !== undefined && shown.current !== pathname) document.getElementById('main')?.focus();
    shown.current = pathname;
  }, [pathname, title]);
  if (page) return page.render(search);
  if (pathname === '') return null;
  return (
    <>
      <h1>Not available</h1>
      <ErrorNote error={new Error(`There is no page ${pathname} for your role.`)} />
      <Link to={home}>Back to your start page</Link>
    </>
  );
}
