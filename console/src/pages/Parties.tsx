import { useState, type FormEvent } from 'react';
import type { AeoStatus } from '../aeo';
import { AeoStatusForm } from '../components/aeo-status-form';
import { ApiError, seg } from '../api';
import { navigate } from '../router';
import { useSession } from '../session';
import {
  ConfirmButton,
  ErrorNote,
  PurposeSelect,
  formatTime,
  Hash,
  Loading,
  PartyIdField,
  Section,
  useLoad,
} from '../components/ui';
import { AccessLogSection } from './Consignment';

interface Registration {
  readonly kind: string;
  readonly verificationLevel: string;
  readonly registeredBy: string;
  readonly registeredAt: string;
  readonly version: number;
  readonly root: string;
}

interface Party {
  readonly partyId: string;
  readonly registrations: readonly Registration[];
  /** Customs' only: the status is in its own collection. */
  readonly trusted?: TrustedTraderStatus | null;
  readonly erasures: readonly { holder: string; erasedPaths: readonly string[] }[];
}

interface TrustedTraderStatus extends AeoStatus {
  /** The transaction that copied it from the public state of before chaincode 1.12. */
  readonly adoptedTxId?: string;
}

interface WatchListNote {
  readonly watchlisted: boolean;
  readonly reasonCode: string;
  readonly flaggedBy: string;
  readonly flaggedAt: string;
  readonly txId: string;
}

const PARTY_ID = /^[0-9a-f]{64}$/;

/** Finds a party by its pseudonymous id (the keyed hash a platform registered it under). */
export function PartyLookup() {
  const [id, setId] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    navigate(`/parties/${id.trim()}`);
  };
  return (
    <>
      <h1>Parties</h1>
      <Section title="Find a party">
        <form className="row wrap" onSubmit={submit}>
          <PartyIdField id="lookup-party-id" value={id} onChange={setId} />
          <button type="submit">Open</button>
        </form>
        <p className="muted small">
          Sellers and buyers are known on the ledger only by this id. Each read of a party&apos;s identity
          data or watch-list note names a purpose and is recorded on the party&apos;s access log.
        </p>
      </Section>
    </>
  );
}

/**
 * A party's public record, and for the members of its collections the purpose-bound reads: a
 * platform's registration (identity data), customs' watch-list note, and who read them.
 */
export function PartyPage({ id }: { id: string }) {
  // Refused here, not asked of the gateway, which would refuse it too.
  if (!PARTY_ID.test(id)) {
    return (
      <>
        <h1>Party</h1>
        <ErrorNote error={new Error('A party id is 64 lower-case hex characters.')} />
      </>
    );
  }
  return <PartyRecord id={id} />;
}

function PartyRecord({ id }: { id: string }) {
  const { api, me } = useSession();
  const [version, setVersion] = useState(0);
  const party = useLoad((s) => api.get<Party>(`/v1/parties/${seg(id)}`, s), `${id}:${version}`);
  const [purpose, setPurpose] = useState(me.purposes[0] ?? '');
  const refresh = () => setVersion((v) => v + 1);
  const unregistered = party.error instanceof ApiError && party.error.status === 404;
  const customs = me.orgRole === 'customs';
  return (
    <>
      <h1>
        Party <Hash value={id} />
      </h1>
      <PurposeSelect id="party-purpose" purposes={me.purposes} value={purpose} onChange={setPurpose} />
      <Section title="Registrations">
        {unregistered ? (
          <p data-testid="unregistered">No platform registered this party.</p>
        ) : (
          <ErrorNote error={party.error} />
        )}
        {!party.data && !party.error && <Loading what="the party" />}
        {party.data && <Registrations party={party.data} purpose={purpose} onRead={refresh} />}
      </Section>
      {customs && party.data && <TrustedTrader id={id} status={party.data.trusted ?? null} onSet={refresh} />}
      {customs && <WatchList id={id} purpose={purpose} onDone={refresh} />}
      {(customs || party.data?.registrations.some((r) => r.registeredBy === me.mspId)) && (
        // A registrant is shown its own reads only: the others' would tell it who else holds the person.
        <AccessLogSection
          path={`/v1/parties/${seg(id)}/access-log`}
          title={
            customs ? "Who read this party's data, and why" : "Your organisation's reads of this party's data"
          }
          caption={customs ? "Reads of the party's data" : `Reads of the party's data by ${me.mspId}`}
          empty={
            customs
              ? undefined
              : `${me.mspId} has not read this party's data. Other organisations' reads are shown to customs and auditors, not to a registrant.`
          }
          reloadKey={`${id}:${version}`}
        />
      )}
    </>
  );
}

function Registrations({ party, purpose, onRead }: { party: Party; purpose: string; onRead: () => void }) {
  const { me } = useSession();
  return (
    <>
      {party.registrations.length === 0 && (
        <p data-testid="unregistered">Your organisation has not registered this party.</p>
      )}
      {party.registrations.map((r) => (
        <div key={r.registeredBy} className="card" data-testid={`registration-${r.registeredBy}`}>
          <p>
            A {r.kind} registered by <strong>{r.registeredBy}</strong> on {formatTime(r.registeredAt)}{' '}
            (verification {r.verificationLevel}, version {r.version}, root <Hash value={r.root} />)
          </p>
          {party.erasures.some((e) => e.holder === r.registeredBy) && (
            <p className="muted">Its identity data has been erased.</p>
          )}
          {(me.orgRole === 'customs' || r.registeredBy === me.mspId) && purpose && (
            <IdentityRead
              // Another purpose is another read: what was read for the last one is not shown under it.
              key={purpose}
              partyId={party.partyId}
              platform={r.registeredBy}
              purpose={purpose}
              onRead={onRead}
            />
          )}
        </div>
      ))}
    </>
  );
}

/** Reads a registration's identity data for the chosen purpose: the fields that purpose needs. */
function IdentityRead({
  partyId,
  platform,
  purpose,
  onRead,
}: {
  partyId: string;
  platform: string;
  purpose: string;
  onRead: () => void;
}) {
  const { api } = useSession();
  const [read, setRead] = useState<{ payload: Record<string, unknown>; accessTxId: string }>();
  const [error, setError] = useState<Error>();
  const load = async () => {
    setError(undefined);
    setRead(undefined);
    try {
      setRead(
        await api.get(`/v1/parties/${seg(partyId)}/registrations/${seg(platform)}?purpose=${seg(purpose)}`),
      );
      onRead();
    } catch (e) {
      setError(e as Error);
    }
  };
  return (
    <>
      <button type="button" onClick={() => void load()}>
        Read identity data for {purpose.replace(/_/g, ' ')} from {platform}
      </button>
      <ErrorNote error={error} />
      {read && (
        <>
          {Object.keys(read.payload).length === 0 ? (
            <p data-testid="identity">This purpose needs none of the party&apos;s identity data.</p>
          ) : (
            <dl className="facts" data-testid="identity">
              {Object.entries(read.payload).map(([field, value]) => (
                <Fact key={field} term={field} value={value} />
              ))}
            </dl>
          )}
          <p className="muted small">
            Fields this purpose does not need are left out. This read is on the party&apos;s access log
            (transaction <Hash value={read.accessTxId} />
            ).
          </p>
        </>
      )}
    </>
  );
}

interface Address {
  readonly line1: string;
  readonly line2?: string;
  readonly postcode: string;
  readonly city: string;
  readonly country: string;
}

/** A registration's field as a person reads it (the ledger keeps its keys in canonical order). */
function Fact({ term, value }: { term: string; value: unknown }) {
  let shown = String(value);
  if (term === 'document') {
    const d = value as { type: string; number: string; country: string };
    shown = `${d.type.replace(/_/g, ' ')} ${d.number} (${d.country})`;
  } else if (term === 'address') {
    const a = value as Address;
    shown = [a.line1, a.line2, `${a.postcode} ${a.city}`, a.country].filter(Boolean).join(', ');
  }
  return (
    <>
      <dt>{term}</dt>
      <dd>{shown}</dd>
    </>
  );
}

/** Customs' trusted-trader (AEO) status of the party, kept in its own collection; officers grant or withdraw it. */
function TrustedTrader({
  id,
  status,
  onSet,
}: {
  id: string;
  status: TrustedTraderStatus | null;
  onSet: () => void;
}) {
  const { me } = useSession();
  return (
    <Section title="Trusted trader">
      <p data-testid="trusted-trader">
        {status
          ? `${status.trusted ? 'Trusted trader' : 'Not a trusted trader'} (${status.reference}), set by ${status.setBy} on ${formatTime(status.setAt)}`
          : 'Customs has set no trusted-trader status for this party.'}
      </p>
      {status?.adoptedTxId && (
        <p className="muted small" data-testid="trusted-trader-adopted">
          Copied from the public state, where chaincode before 1.12 kept it, by transaction{' '}
          <Hash value={status.adoptedTxId} />: review it, as the public state may have held a status customs
          never set.
        </p>
      )}
      {me.decides && (
        <AeoStatusForm
          kind="trusted trader"
          holder="this party"
          inputId="tt-reference"
          consequence={
            <p>
              Customs&apos; risk rules weigh the status in every assessment of a consignment the party sells,
              from now on. It replaces any earlier status; the platforms that registered the party are told.
            </p>
          }
          path={`/v1/parties/${seg(id)}/trusted-trader`}
          onSet={onSet}
        />
      )}
    </Section>
  );
}

/** Customs' own note on the party, read for a purpose; officers set or clear it. */
function WatchList({ id, purpose, onDone }: { id: string; purpose: string; onDone: () => void }) {
  const { api, me } = useSession();
  /** The note as read, and for which purpose: shown under that purpose only. */
  const [read, setRead] = useState<{ purpose: string; note: WatchListNote | null }>();
  const [error, setError] = useState<Error>();
  const [watchlisted, setWatchlisted] = useState(true);
  const [reasonCode, setReasonCode] = useState('');
  const [recorded, setRecorded] = useState<string>();
  const load = async () => {
    setError(undefined);
    try {
      const { note } = await api.get<{ note: WatchListNote | null }>(
        `/v1/parties/${seg(id)}/watch-list?purpose=${seg(purpose)}`,
      );
      setRead({ purpose, note });
      onDone();
    } catch (e) {
      setError(e as Error);
    }
  };
  const record = async () => {
    const { txId } = await api.post<{ txId: string }>(`/v1/parties/${seg(id)}/watch-list`, {
      watchlisted,
      reasonCode,
    });
    setRecorded(txId);
    setRead(undefined);
    onDone();
  };
  const shown = read?.purpose === purpose ? read : undefined;
  const note = shown?.note;
  return (
    <Section title="Customs' watch-list note">
      {purpose && (
        <button type="button" onClick={() => void load()}>
          Read the note for {purpose.replace(/_/g, ' ')}
        </button>
      )}
      <ErrorNote error={error} />
      {shown && (
        <p data-testid="watch-list-note">
          {note
            ? `${note.watchlisted ? 'Watch-listed' : 'Not watch-listed'} (${note.reasonCode}), by ${note.flaggedBy} on ${formatTime(note.flaggedAt)}`
            : 'Customs has no note on this party.'}
        </p>
      )}
      {me.decides && (
        <div className="row wrap">
          <div className="field">
            <label>
              <input
                type="checkbox"
                checked={watchlisted}
                onChange={(e) => setWatchlisted(e.target.checked)}
              />{' '}
              Watch-listed
            </label>
          </div>
          <div className="field">
            <label htmlFor="watch-list-reason">Reason code</label>
            <input
              id="watch-list-reason"
              value={reasonCode}
              onChange={(e) => setReasonCode(e.target.value.toUpperCase())}
              pattern="[A-Z][A-Z0-9_]{0,47}"
              placeholder="REPEAT_UNDERVALUATION"
            />
          </div>
          <ConfirmButton
            label="Record note"
            title={watchlisted ? 'Watch-list this party?' : 'Clear the watch-list note?'}
            disabled={!/^[A-Z][A-Z0-9_]{0,47}$/.test(reasonCode)}
            onConfirm={record}
          >
            <p>
              Customs&apos; risk rules read the note when they assess a consignment naming the party as seller
              or buyer. It replaces any earlier note.
            </p>
          </ConfirmButton>
        </div>
      )}
      <p role="status" className="ok">
        {recorded ? `Note recorded in transaction ${recorded.slice(0, 12)}…` : ''}
      </p>
    </Section>
  );
}
