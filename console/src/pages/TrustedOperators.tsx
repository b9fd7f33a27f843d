import { useState } from 'react';
import type { AeoStatus } from '../aeo';
import { seg } from '../api';
import { AeoStatusForm } from '../components/aeo-status-form';
import { useSession } from '../session';
import { ErrorNote, formatTime, Hash, Loading, Section, useLoad } from '../components/ui';

interface Organisation {
  readonly mspId: string;
  readonly role: string;
  readonly name: string;
}

interface TrustedOperator extends AeoStatus {
  readonly mspId: string;
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
        trusted-operator factor, where it has one, lowers the risk score of each consignment sold through or
        carried by them, once for each; goods under a protected mark still wait for an officer.
      </p>
      <ErrorNote error={registry.error} />
      <ErrorNote error={statuses.error} />
      {!registry.data || !statuses.data ? (
        (registry.loading || statuses.loading) && <Loading what="the trusted operators" />
      ) : operators.length === 0 ? (
        <p>The registry lists no platform or carrier.</p>
      ) : (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Trusted operators">
          <table>
            <caption className="visually-hidden">Trusted-operator status by organisation</caption>
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
  const { me } = useSession();
  const [chosen, setChosen] = useState(operators[0]!.mspId);
  // The organisation the list shows as chosen, should the list no longer hold the one chosen before.
  const mspId = operators.some((o) => o.mspId === chosen) ? chosen : operators[0]!.mspId;
  if (!me.decides) return null;
  return (
    <Section title="Grant or withdraw">
      <AeoStatusForm
        kind="trusted operator"
        holder={mspId}
        inputId="t-reference"
        choice={
          <div className="field">
            <label htmlFor="t-operator">Organisation</label>
            <select id="t-operator" value={mspId} onChange={(e) => setChosen(e.target.value)}>
              {operators.map((o) => (
                <option key={o.mspId} value={o.mspId}>
                  {o.name} ({o.mspId})
                </option>
              ))}
            </select>
          </div>
        }
        consequence={
          <p>
            Customs&apos; risk rules weigh the status in every assessment of a consignment sold through or
            carried by the organisation, from now on. It replaces any earlier status.
          </p>
        }
        path={`/v1/organisations/${seg(mspId)}/trusted-operator`}
        onSet={onSet}
      />
    </Section>
  );
}
