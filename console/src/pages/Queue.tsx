import { useEffect, useRef, useState, type FormEvent } from 'react';
import { statuses } from '../../../chaincode/src/domain/state-machine';
import { Link, navigate } from '../router';
import { useSession } from '../session';
import { Badge, ErrorNote, Loading, useLoad } from '../components/ui';

export interface QueueItem {
  readonly consignmentId: string;
  /** null, like score and matchResult, when no assessment of it succeeded yet. */
  readonly lane: string | null;
  readonly score: number | null;
  readonly status: string;
  readonly matchResult: string | null;
  readonly reasonCodes: readonly string[];
  readonly destinationCountry: string;
  readonly ageHours: number;
  readonly assessedAt: string | null;
  readonly firstAssessedAt: string | null;
  readonly assessments: number;
  readonly referralAnswers: number;
  readonly releasable: boolean;
  /** Its latest automatic assessment failed: held for an officer, never released automatically. */
  readonly assessmentFailed: { readonly code: string; readonly reason: string } | null;
}

export interface QueuePage {
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
  readonly items: readonly QueueItem[];
}

const LANES = ['green', 'amber', 'red'];
const PAGE_SIZE = 25;
/** Where the last page of a queue of `total` starts. */
const lastPage = (total: number): number => Math.max(0, Math.floor((total - 1) / PAGE_SIZE) * PAGE_SIZE);
/** Events after which the queue may have changed. */
const QUEUE_EVENTS = new Set([
  'ConsignmentAssessed',
  'AssessmentFailed',
  'DecisionRecorded',
  'ReferralAnswered',
  'ConsignmentCreated',
]);

/** The officers' work queue: filters and paging kept in the address, refreshed live from the ledger's events. */
export function Queue({ search }: { search: string }) {
  const { api } = useSession();
  const params = new URLSearchParams(search);
  const offset = Number(params.get('offset') ?? 0);
  const query = new URLSearchParams(params);
  query.set('limit', String(PAGE_SIZE));
  const page = useLoad(
    (signal) => api.get<QueuePage>(`/v1/customs/queue?${query}`, signal),
    query.toString(),
  );
  const live = useLiveCount(page.reload);

  const setFilters = (next: URLSearchParams) => {
    next.delete('offset');
    for (const [key, value] of [...next.entries()]) if (value === '') next.delete(key);
    navigate(`/queue${next.size ? `?${next}` : ''}`);
  };
  const goTo = (nextOffset: number) => {
    const next = new URLSearchParams(params);
    next.set('offset', String(nextOffset));
    navigate(`/queue?${next}`);
  };
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    // Codes are upper case (split_shipment is SPLIT_SHIPMENT); what the gateway still refuses, it says why.
    const codes = new Set(['reason', 'destinationCountry']);
    setFilters(
      new URLSearchParams(
        [...form.entries()].map(([k, v]) => [k, codes.has(k) ? String(v).trim().toUpperCase() : String(v)]),
      ),
    );
  };

  return (
    <>
      <h1>Work queue</h1>
      <p className="muted">
        {params.get('includeClosed') === 'true'
          ? 'Consignments, those released and closed too, oldest first.'
          : 'Consignments waiting for an officer, oldest first, with those whose automatic assessment failed.'}{' '}
        <span role="status">{live}</span>
      </p>
      <form className="filters" onSubmit={onSubmit} aria-label="Queue filters" key={search}>
        <Select name="lane" label="Lane" options={LANES} value={params.get('lane')} />
        <Select name="status" label="Status" options={statuses} value={params.get('status')} />
        <Select
          name="matchResult"
          label="Three-way match"
          options={['pass', 'fail']}
          value={params.get('matchResult')}
        />
        <div className="field">
          <label htmlFor="f-reason">Reason code</label>
          <input
            id="f-reason"
            name="reason"
            defaultValue={params.get('reason') ?? ''}
            placeholder="e.g. SPLIT_SHIPMENT"
          />
        </div>
        <div className="field">
          <label htmlFor="f-country">Destination</label>
          <input
            id="f-country"
            name="destinationCountry"
            defaultValue={params.get('destinationCountry') ?? ''}
            placeholder="FR"
            size={4}
          />
        </div>
        <div className="field checkbox">
          <input
            id="f-closed"
            type="checkbox"
            name="includeClosed"
            value="true"
            defaultChecked={params.get('includeClosed') === 'true'}
          />
          <label htmlFor="f-closed">Include released and closed</label>
        </div>
        <div className="row">
          <button type="submit" className="primary">
            Apply filters
          </button>
          <button type="button" onClick={() => setFilters(new URLSearchParams())}>
            Clear
          </button>
        </div>
      </form>
      <ErrorNote error={page.error} />
      {page.data ? <QueueTable page={page.data} /> : page.loading && <Loading what="the queue" />}
      {page.data && (
        <nav className="pager" aria-label="Queue pages">
          <button
            type="button"
            disabled={offset === 0}
            // From past the end (an old link, a queue that shrank): to its last page.
            onClick={() => goTo(Math.max(0, Math.min(offset - PAGE_SIZE, lastPage(page.data!.total))))}
          >
            Previous page
          </button>
          <span>
            {page.data.total === 0
              ? '0 of 0'
              : offset >= page.data.total
                ? `none from ${offset + 1}: ${page.data.total} in all`
                : `${offset + 1}–${Math.min(offset + PAGE_SIZE, page.data.total)} of ${page.data.total}`}
          </span>
          <button
            type="button"
            disabled={offset + PAGE_SIZE >= page.data.total}
            onClick={() => goTo(offset + PAGE_SIZE)}
          >
            Next page
          </button>
        </nav>
      )}
    </>
  );
}

function Select({
  name,
  label,
  options,
  value,
}: {
  name: string;
  label: string;
  options: readonly string[];
  value: string | null;
}) {
  return (
    <div className="field">
      <label htmlFor={`f-${name}`}>{label}</label>
      <select id={`f-${name}`} name={name} defaultValue={value ?? ''}>
        <option value="">any</option>
        {/* A value the address gives and no option has (the gateway refuses it, and says so) is shown as given. */}
        {(value && !options.includes(value) ? [...options, value] : options).map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </div>
  );
}

function QueueTable({ page }: { page: QueuePage }) {
  if (page.items.length === 0) return <p>Nothing waits for an officer with these filters.</p>;
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label="Work queue">
      <table>
        <caption className="visually-hidden">Consignments in the work queue</caption>
        <thead>
          <tr>
            <th scope="col">Consignment</th>
            <th scope="col">Lane</th>
            <th scope="col">Score</th>
            <th scope="col">Status</th>
            <th scope="col">Match</th>
            <th scope="col">Reasons</th>
            <th scope="col">To</th>
            <th scope="col">Waiting</th>
          </tr>
        </thead>
        <tbody>
          {page.items.map((item) => (
            <tr key={item.consignmentId} data-lane={item.lane ?? undefined}>
              <th scope="row">
                <Link to={`/consignments/${encodeURIComponent(item.consignmentId)}`}>
                  {item.consignmentId}
                </Link>
                {item.assessmentFailed && (
                  <p className="assessment-failed">
                    <Badge kind="ok" value="assessment failed" />{' '}
                    <span title={item.assessmentFailed.code}>{item.assessmentFailed.reason}</span>
                  </p>
                )}
              </th>
              <td>{item.lane ? <Badge kind="lane" value={item.lane} /> : '—'}</td>
              <td>{item.score ?? '—'}</td>
              <td>
                <Badge kind="status" value={item.status} />
              </td>
              <td>{item.matchResult ? <Badge kind="match" value={item.matchResult} /> : '—'}</td>
              <td className="codes">{item.reasonCodes.join(', ')}</td>
              <td>{item.destinationCountry}</td>
              <td>
                {item.ageHours < 1
                  ? `${Math.round(item.ageHours * 60)} min`
                  : `${item.ageHours.toFixed(1)} h`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * Follows the ledger's events and reloads the queue (at most every 2 s) when something that
 * changes it was committed; returns the line announcing what arrived.
 */
function useLiveCount(reload: () => void): string {
  const { api } = useSession();
  const [arrived, setArrived] = useState(0);
  const [failure, setFailure] = useState<Error>();
  const [interruption, setInterruption] = useState<Error>();
  const pending = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => {
    const controller = new AbortController();
    setFailure(undefined);
    let interrupted = false;
    const onConnection = (problem: Error | undefined) => {
      // Back after a gap: what changed meanwhile is in the queue as it is now.
      if (problem === undefined && interrupted) reload();
      interrupted = problem !== undefined;
      setInterruption(problem);
    };
    api
      .events(
        (event) => {
          if (event.event === 'ConsignmentCreated') setArrived((n) => n + 1);
          if (QUEUE_EVENTS.has(event.event) && pending.current === undefined) {
            pending.current = setTimeout(() => {
              pending.current = undefined;
              reload();
            }, 2000);
          }
        },
        controller.signal,
        { onConnection },
      )
      .catch((e: Error) => setFailure(e));
    return () => {
      controller.abort();
      clearTimeout(pending.current);
    };
  }, [api, reload]);
  if (failure) return `Live updates have stopped (${failure.message}); reload the page to resume them.`;
  if (interruption)
    return `Live updates interrupted (${interruption.message}); reconnecting. The queue may be out of date.`;
  return `Live: ${arrived} new consignment${arrived === 1 ? '' : 's'} since you opened this page.`;
}
