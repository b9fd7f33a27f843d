import { useState, type ReactNode } from 'react';
import { REFERENCE, REFERENCE_PATTERN, type AeoStatus } from '../aeo';
import { useSession } from '../session';
import { ConfirmButton } from './ui';

/**
 * Grants or withdraws an AEO status under a reference, confirmed: a trusted operator's on the
 * trusted-operators page, a seller's on its party page. Shown to customs' deciding users only.
 */
export function AeoStatusForm({
  kind,
  holder,
  inputId,
  choice,
  consequence,
  path,
  onSet,
}: {
  kind: 'trusted operator' | 'trusted trader';
  /** Whose status, as the confirmation names it: an MSP id, or "this party". */
  holder: string;
  inputId: string;
  /** A field before the others, e.g. which organisation. */
  choice?: ReactNode;
  /** What the status does, told before it is confirmed. */
  consequence: ReactNode;
  /** Where the status is posted: `{ trusted, reference }`. */
  path: string;
  onSet: () => void;
}) {
  const { api } = useSession();
  const [trusted, setTrusted] = useState(true);
  const [reference, setReference] = useState('');
  const [recorded, setRecorded] = useState<{ holder: string; txId: string }>();
  const ref = reference.trim();
  const record = async () => {
    const status = await api.post<AeoStatus>(path, { trusted, reference: ref });
    setRecorded({ holder, txId: status.txId });
    onSet();
    // A certificate belongs to one holder: the next status starts from an empty reference.
    setReference('');
    setTrusted(true);
  };
  return (
    <>
      <div className="row wrap">
        {choice}
        <div className="field">
          <label>
            <input type="checkbox" checked={trusted} onChange={(e) => setTrusted(e.target.checked)} />{' '}
            {kind[0]!.toUpperCase() + kind.slice(1)}
          </label>
        </div>
        <div className="field">
          <label htmlFor={inputId}>Reference (AEO certificate)</label>
          <input
            id={inputId}
            value={reference}
            onChange={(e) => setReference(e.target.value)}
            pattern={REFERENCE_PATTERN}
            placeholder="AEOF-FR-0001"
          />
        </div>
        <ConfirmButton
          label="Record status"
          title={
            trusted
              ? `Recognise ${holder} as a ${kind} under ${ref}?`
              : `Withdraw ${holder}'s status (${ref})?`
          }
          disabled={!REFERENCE.test(ref)}
          onConfirm={record}
        >
          {consequence}
        </ConfirmButton>
      </div>
      <p role="status" className="ok">
        {recorded
          ? `Status of ${recorded.holder} recorded in transaction ${recorded.txId.slice(0, 12)}…`
          : ''}
      </p>
    </>
  );
}
