import { useEffect, useState, type FormEvent } from 'react';
import { ErrorNote } from '../components/ui';

export function SignIn({
  onSignIn,
  error,
}: {
  onSignIn: (credential: string) => Promise<void>;
  error?: Error;
}) {
  const [credential, setCredential] = useState('');
  const [failure, setFailure] = useState<Error | undefined>(error);
  const [busy, setBusy] = useState(false);
  // Signed out from a page that had its own title.
  useEffect(() => {
    document.title = 'Customs ledger console';
  }, []);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setFailure(undefined);
    try {
      await onSignIn(credential.trim());
    } catch (e) {
      setFailure(e as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" className="signin">
      <h1>Customs ledger console</h1>
      <p>
        For customs officers, traders (platforms, payment providers, carriers) and auditors. Sign in with your
        API key or a JWT issued for you; you see what your role may see.
      </p>
      <form onSubmit={(e) => void submit(e)}>
        <label htmlFor="credential">API key or JWT</label>
        <input
          id="credential"
          name="credential"
          type="password"
          autoComplete="current-password"
          required
          value={credential}
          onChange={(e) => setCredential(e.target.value)}
          aria-describedby="credential-help"
        />
        <p id="credential-help" className="muted">
          A local gateway writes demo keys to <code>data/dev-credentials.json</code> (see the README). The key
          is kept for this browser tab only.
        </p>
        <button type="submit" className="primary" disabled={busy || credential.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <ErrorNote error={failure} />
    </main>
  );
}
