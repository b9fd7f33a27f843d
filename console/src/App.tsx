import { useCallback, useEffect, useMemo, useState } from 'react';
import { Api, type Me } from './api';
import { Link, navigate, usePath } from './router';
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
    api.get<Me>('/v1/me').then(setMe, endSession);
  }, [api, endSession]);

  const signIn = async (credential: string) => {
    const candidate = new Api(credential);
    const who = await candidate.get<Me>('/v1/me');
    storeToken(credential);
    setMe(who);
    setToken(credential);
    setError(undefined);
    navigate(HOME[audienceOf(who)], true);
  };
  const signOut = () => {
    endSession();
    navigate('/', true);
  };

  if (!api) return <SignIn onSignIn={signIn} error={error} />;
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

function Routes({ audience, parties }: { audience: Audience; parties: boolean }) {
  const path = usePath();
  const [pathname, search = ''] = path.split('?');
  const consignment = /^\/consignments\/([^/]+)$/.exec(pathname ?? '');
  const party = /^\/parties\/([^/]+)$/.exec(pathname ?? '');
  useEffect(() => {
    if (pathname === '/' || pathname === '') navigate(HOME[audience], true);
  }, [pathname, audience]);
  useEffect(() => {
    // A new page: move focus to it, so keyboard and screen-reader users start at its top.
    document.getElementById('main')?.focus();
  }, [pathname]);
  if (consignment) return <ConsignmentPage id={decodeURIComponent(consignment[1]!)} />;
  if (pathname === '/queue' && audience === 'customs') return <Queue search={search} />;
  if (pathname === '/dashboard' && audience === 'customs') return <Dashboard />;
  if (pathname === '/mine' && audience === 'trader') return <TraderHome />;
  if (pathname === '/audit' && audience === 'auditor') return <AuditorHome />;
  if (pathname === '/parties' && parties) return <PartyLookup />;
  if (party && parties) return <PartyPage id={decodeURIComponent(party[1]!)} />;
  if (pathname === '/' || pathname === '') return null;
  return (
    <>
      <h1>Not available</h1>
      <ErrorNote error={new Error(`There is no page ${pathname} for your role.`)} />
      <Link to={HOME[audience]}>Back to your start page</Link>
    </>
  );
}
