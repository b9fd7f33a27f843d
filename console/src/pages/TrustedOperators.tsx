import { useState } from 'react';
import { useSession } from '../session';
import { ConfirmButton, ErrorNote, formatTime, Hash, Loading, Section, useLoad } from '../components/ui';

interface Organisation {
  readonly mspId: string;
  readonly role: string;
  readonly name: string;
}

interface TrustedOperator {
  readonly mspId: string;
  readonly trusted: boolean;
  readonly reference: string;
  readonly setBy: string;
  readonly setAt: string;
  readonly txId: string;
}

/** The roles whose trusted-operator status customs' risk rules weigh: the chaincode's TRUSTED_OPERATOR_ROLES. */
const OPERATOR_ROLES = new Set(['platform', 'post', 'express']);

/** Customs' trusted-operator (AEO) status of the registry's platforms and carriers, granted or withdrawn by an officer. */
export function TrustedOperators() {
  const { api } = useSession();
  const [changed, setChanged] = useState(0);
  const registry = useLoad(
    (signal) => api.get<{ organisations: Organisation[] }>('/v1/organisations', signal),
    'registry',
  );
  const statuses = useLoad(
    (signal) =>
      api.get<{ trustedOperators: TrustedOperator[] }>('/v1/organisations/trusted-operators', signal),
    String(changed),
  );
  const operators = registry.data?.organisations.filter((o) => OPERATOR_ROLES.has(o.role)) ?? [];
  const statusOf = new Map(statuses.data?.trustedOperators.map((s) => [s.mspId, s]));
  return (
    <>
      <h1>Trusted operators</h1>
      <p className="muted">
        Platforms and carriers customs recognises as authorised economic operators. The rule set&apos;s
        trusted-operator factor lowers the risk score of each consignment they sell or carry, once for each;
        goods under a protected mark still wait for an officer.
      </p>
      <ErrorNote error={registry.error ?? statuses.error} />
      {!registry.data || !statuses.data ? (
        (registry.loading || statuses.loading) && <Loading what="the trusted operators" />
      ) : (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Trusted operators">
          <table>
            <thead>
              <tr>
                <th scope="col">Organisation</th>
                <th scope="col">Role</th>
                <th scope="col">Trusted operator</th>
                <th scope="col">Set</th>
              </tr>
            </thead>
            <tbody>
              {operators.map((o) => {
                const status = statusOf.get(o.mspId);
                return (
                  <tr key={o.mspId}>
                    <td>
                      {o.name} ({o.mspId})
                    </td>
                    <td>{o.role}</td>
                    <td data-testid={`trusted-${o.mspId}`}>
                      {status ? `${status.trusted ? 'yes' : 'no'} (${status.reference})` : 'no'}
                    </td>
                    <td>
                      {status ? (
                        <>
                          {formatTime(status.setAt)} by {status.setBy}, <Hash value={status.txId} />
                        </>
                      ) : (
                        'never'
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {operators.length > 0 && <SetStatus operators={operators} onSet={() => setChanged((n) => n + 1)} />}
    </>
  );
}

function SetStatus({ operators, onSet }: { operators: readonly Organisation[]; onSet: () => void }) {
  const { api, me } = useSession();
  const [mspId, setMspId] = useState(operators[0]!.mspId);
  const [trusted, setTrusted] = useState(true);
  const [reference, setReference] = useState('');
  const [recorded, setRecorded] = useState<TrustedOperator>();
  if (!me.decides) return null;
  const record = async () => {
    const status = await api.post<TrustedOperator>(
      `/v1/organisations/${encodeURIComponent(mspId)}/trusted-operator`,
      { trusted, reference: reference.trim() },
    );
    setRecorded(status);
    onSet();
  };
  return (
    <Section title="Grant or withdraw">
      <div className="row wrap">
        <div className="field">
          <label htmlFor="operator">Organisation</label>
          <select id="operator" value={mspId} onChange={(e) => setMspId(e.target.value)}>
            {operators.map((o) => (
              <option key={o.mspId} value={o.mspId}>
                {o.name} ({o.mspId})
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label>
            <input type="checkbox" checked={trusted} onChange={(e) => setTrusted(e.target.checked)} /> Trusted
            operator
          </label>
        </div>
        <div className="field">
          <label htmlFor="operator-reference">Reference (AEO certificate)</label>
          <input
            id="operator-reference"
            value={reference}
            onChange={(e) => setReference(e.target.value)}
            placeholder="AEOF-FR-0001"
          />
        </div>
        <ConfirmButton
          label="Record status"
          title={trusted ? `Recognise ${mspId} as a trusted operator?` : `Withdraw ${mspId}'s status?`}
          disabled={reference.trim() === ''}
          onConfirm={record}
        >
          <p>
            Customs&apos; risk rules weigh the status in every assessment of a consignment the organisation
            sells or carries, from now on. It replaces any earlier status.
          </p>
        </ConfirmButton>
      </div>
      <p role="status" className="ok">
        {recorded ? `Status of ${recorded.mspId} recorded in transaction ${recorded.txId.slice(0, 12)}…` : ''}
      </p>
    </Section>
  );
}
