import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { LedgerEvent } from '../api';
import { Link, navigate } from '../router';
import { useSession } from '../session';
import { questionOf } from '../referral-questions';
import { Badge, ErrorNote, Section } from '../components/ui';

interface Mine {
  readonly id: string;
  status?: string;
  route?: string;
  lastEvent: string;
  /** The latest referral's question, while no participant has answered it. */
  openReferral?: string;
  returns: Map<string, string>;
}

/**
 * A trader's consignments, learnt from the ledger's event stream replayed from block 0: the
 * gateway gives each organisation the events of the consignments it takes part in, from the
 * event by which it joined, so this is exactly what it may see, and it stays live.
 */
export function TraderHome() {
  const { api, me } = useSession();
  const [mine, setMine] = useState<ReadonlyMap<string, Mine>>(new Map());
  const [settled, setSettled] = useState(false);
  const [error, setError] = useState<Error>();
  /** Why the event stream is down while it reconnects. */
  const [interruption, setInterruption] = useState<Error>();
  const quiet = useRef<ReturnType<typeof setTimeout>>(undefined);

  useEffect(() => {
    const controller = new AbortController();
    const index = new Map<string, Mine>();
    let frame = 0;
    const apply = (event: LedgerEvent) => {
      learn(index, event);
      // Replayed events arrive by the thousand: render once a frame, not once an event.
      frame ||= requestAnimationFrame(() => {
        frame = 0;
        setMine(new Map(index));
      });
      clearTimeout(quiet.current);
      quiet.current = setTimeout(() => setSettled(true), 1000);
    };
    const onConnection = (problem: Error | undefined) => {
      setInterruption(problem);
      // Up to date once the stream is open and quiet, never while it is down.
      clearTimeout(quiet.current);
      if (problem === undefined) quiet.current = setTimeout(() => setSettled(true), 1500);
    };
    api.events(apply, controller.signal, { startBlock: 0, onConnection }).catch((e: Error) => setError(e));
    return () => {
      controller.abort();
      cancelAnimationFrame(frame);
      clearTimeout(quiet.current);
    };
  }, [api]);

  const all = [...mine.values()].reverse();
  const referrals = all.filter((c) => c.openReferral !== undefined);
  const returns = all.filter((c) => c.returns.size > 0);
  return (
    <>
      <h1>My consignments</h1>
      <p className="muted" role="status">
        {error
          ? 'Live updates have stopped (see below); reload the page to resume them.'
          : interruption
            ? `Reconnecting to the ledger’s events (${interruption.message}); what is shown may be out of date.`
            : settled
              ? 'Up to date; new events appear as they are committed.'
              : 'Reading the ledger’s events…'}{' '}
        {all.length} consignment
        {all.length === 1 ? '' : 's'} of {me.mspId}.
      </p>
      <ErrorNote error={error} />
      <OpenById />
      <Section title={`Open referrals (${referrals.length})`} id="referrals">
        {referrals.length === 0 ? (
          <p>No question from customs waits for your answer.</p>
        ) : (
          <ul data-testid="referrals">
            {referrals.map((c) => (
              <li key={c.id}>
                <Link to={`/consignments/${encodeURIComponent(c.id)}`}>{c.id}</Link>: customs asks{' '}
                {c.openReferral}
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title={`Returns (${returns.length})`} id="returns">
        {returns.length === 0 ? (
          <p>No return. A platform starts one from a delivered consignment’s page.</p>
        ) : (
          <ul>
            {returns.map((c) => (
              <li key={c.id}>
                <Link to={`/consignments/${encodeURIComponent(c.id)}`}>{c.id}</Link>:{' '}
                {[...c.returns.entries()].map(([rid, step]) => `${rid} ${step}`).join('; ')}
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="All consignments" id="all">
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Your consignments">
          <table>
            <caption className="visually-hidden">
              Consignments your organisation takes part in, newest first
            </caption>
            <thead>
              <tr>
                <th scope="col">Consignment</th>
                <th scope="col">Status</th>
                <th scope="col">Route</th>
                <th scope="col">Last event</th>
              </tr>
            </thead>
            <tbody data-testid="my-consignments">
              {all.slice(0, 200).map((c) => (
                <tr key={c.id}>
                  <th scope="row">
                    <Link to={`/consignments/${encodeURIComponent(c.id)}`}>{c.id}</Link>
                  </th>
                  <td>{c.status ? <Badge kind="status" value={c.status} /> : '—'}</td>
                  <td>{c.route ?? '—'}</td>
                  <td>{c.lastEvent}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {all.length > 200 && (
          <p className="muted">The 200 newest are shown; open any other by its id above.</p>
        )}
      </Section>
    </>
  );
}

/** Folds one event into the index of this organisation's consignments. */
function learn(index: Map<string, Mine>, { event, data }: LedgerEvent): void {
  const id = typeof data.consignmentId === 'string' ? data.consignmentId : undefined;
  if (!id) return;
  const entry = index.get(id) ?? { id, lastEvent: event, returns: new Map<string, string>() };
  index.delete(id); // re-inserted last: the map stays in order of last activity
  index.set(id, entry);
  entry.lastEvent = event.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  if (typeof data.status === 'string' && !event.startsWith('Return') && event !== 'RefundRecorded')
    entry.status = data.status;
  if (event === 'ConsignmentCreated')
    entry.route = `${String(data.originCountry)} → ${String(data.destinationCountry)}`;
  if (event === 'DecisionRecorded') {
    const codes = Array.isArray(data.reasonCodes) ? (data.reasonCodes as string[]) : [];
    entry.openReferral = data.decision === 'refer' ? questionOf(codes) : undefined;
  }
  // Asked of the platform, the payment provider and the carrier alike: one answer is what customs waits for.
  if (event === 'ReferralAnswered') entry.openReferral = undefined;
  if (typeof data.returnId === 'string') {
    entry.returns.set(
      data.returnId,
      event
        .replace(/^Return/, '')
        .replace(/([a-z])([A-Z])/g, '$1 $2')
        .toLowerCase(),
    );
  }
}

export function OpenById() {
  const [id, setId] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (id.trim()) navigate(`/consignments/${encodeURIComponent(id.trim())}`);
  };
  return (
    <form className="row wrap" onSubmit={submit} role="search">
      <div className="field">
        <label htmlFor="open-id">Consignment id</label>
        <input id="open-id" value={id} onChange={(e) => setId(e.target.value)} required />
      </div>
      <button type="submit">Open</button>
    </form>
  );
}
