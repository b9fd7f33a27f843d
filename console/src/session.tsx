import { createContext, useContext } from 'react';
import type { Api, Me } from './api';

export interface Session {
  readonly api: Api;
  readonly me: Me;
}

export type Audience = 'customs' | 'trader' | 'auditor';

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}

/** Which console a user gets: customs officers, traders (platform, payment, carrier) or auditors. */
export function audienceOf(me: Me): Audience {
  if (me.orgRole === 'customs') return 'customs';
  if (me.orgRole === 'auditor') return 'auditor';
  return 'trader';
}

/** Kept for the tab only: closing it signs out, and no other site can read it. */
const TOKEN_KEY = 'customs-console-token';
export const storedToken = (): string | null => sessionStorage.getItem(TOKEN_KEY);
export const storeToken = (token: string | null): void =>
  token === null ? sessionStorage.removeItem(TOKEN_KEY) : sessionStorage.setItem(TOKEN_KEY, token);
