import { useState, type FormEvent } from 'react';
import { navigate } from '../router';
import { useSession } from '../session';
import { ErrorNote, formatMoney, formatTime, Hash, Loading, Section, useLoad } from '../components/ui';

interface ReconciliationRow {
  readonly platformMspId: string;
  readonly period: string;
  readonly currency: string;
  readonly consignments: number;
  readonly declared: number;
  readonly assessed: number;
  readonly difference: number;
  readonly remittances: number;
  readonly remitted: number;
  readonly unremitted: number;
}

interface Remittance {
  readonly platformMspId: string;
  readonly period: string;
  readonly currency: string;
  readonly amount: number;
  readonly reference: string;
  readonly recordedAt: string;
  readonly txId: string;
}

/** The filter both lists take: a platform's MSP id and a month, each optional. */
function filterQuery(params: URLSearchParams): string {
  const query = new URLSearchParams();
  for (const key of ['platformMspId', 'period']) {
    const value = params.get(key);
    if (value) query.set(key, value);
  }
  return query.size ? `?${query}` : '';
}

/** Customs' reconciliation: per platform and month, what was declared as collected, assessed and remitted. */
export function Reconciliation({ search }: { search: string }) {
  const { api } = useSession();
  const params = new URLSearchParams(search);
  const query = filterQuery(params);
  const rows = useLoad(
    (signal) => api.get<{ rows: ReconciliationRow[] }>(`/v1/customs/reconciliation${query}`, signal),
    query,
  );
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const next = new URLSearchParams();
    const platform = String(form.get('platformMspId') ?? '').trim();
    const period = String(form.get('period') ?? '');
    if (platform) next.set('platformMspId', platform);
    if (period) next.set('period', period);
    navigate(`/reconciliation${next.size ? `?${next}` : ''}`);
  };
  return (
    <>
      <h1>Reconciliation</h1>
      <p className="muted">
        Sales under a checkout scheme (IOSS), by platform and month of payment: the VAT the platform declared
        as collected from buyers, the VAT customs assessed, and what the platform says it remitted.
      </p>
      <form className="filters" onSubmit={onSubmit} aria-label="Reconciliation filters" key={search}>
        <div className="field">
          <label htmlFor="r-platform">Platform (MSP id)</label>
          <input
            id="r-platform"
            name="platformMspId"
            defaultValue={params.get('platformMspId') ?? ''}
            placeholder="PlatformAMSP"
          />
        </div>
        <div className="field">
          <label htmlFor="r-period">Month</label>
          <input id="r-period" name="period" type="month" defaultValue={params.get('period') ?? ''} />
        </div>
        <div className="row">
          <button type="submit" className="primary">
            Apply filters
          </button>
          <button type="button" onClick={() => navigate('/reconciliation')}>
            Clear
          </button>
        </div>
      </form>
      <ErrorNote error={rows.error} />
      {rows.data ? (
        <ReconciliationTable rows={rows.data.rows} />
      ) : (
        rows.loading && <Loading what="the reconciliation" />
      )}
      <RemittanceList query={query} />
    </>
  );
}

function ReconciliationTable({ rows }: { rows: readonly ReconciliationRow[] }) {
  if (rows.length === 0) return <p>No sale under a checkout scheme and no remittance for this filter.</p>;
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label="Reconciliation">
      <table>
        <caption className="visually-hidden">Reconciliation by platform and month</caption>
        <thead>
          <tr>
            <th scope="col">Platform</th>
            <th scope="col">Month</th>
            <th scope="col">Parcels</th>
            <th scope="col">Declared as collected</th>
            <th scope="col">Assessed</th>
            <th scope="col">Declared − assessed</th>
            <th scope="col">Remitted</th>
            <th scope="col">Not remitted</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={`${r.platformMspId} ${r.period} ${r.currency}`}>
              <td>{r.platformMspId}</td>
              <td>{r.period}</td>
              <td>{r.consignments}</td>
              <td>{formatMoney(r.declared, r.currency)}</td>
              <td>{formatMoney(r.assessed, r.currency)}</td>
              <td>{formatMoney(r.difference, r.currency)}</td>
              <td>
                {formatMoney(r.remitted, r.currency)} ({r.remittances} remittance
                {r.remittances === 1 ? '' : 's'})
              </td>
              {/* Less remitted than declared as collected: what customs follows up. */}
              <td>
                {r.unremitted > 0 ? (
                  <strong>{formatMoney(r.unremitted, r.currency)}</strong>
                ) : (
                  formatMoney(r.unremitted, r.currency)
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The remittances a filter selects: customs sees every platform's, a platform its own. */
function RemittanceList({ query, reloadKey = 0 }: { query: string; reloadKey?: number }) {
  const { api } = useSession();
  const list = useLoad(
    (signal) => api.get<{ remittances: Remittance[] }>(`/v1/remittances${query}`, signal),
    `${query} ${reloadKey}`,
  );
  return (
    <Section title="Remittances">
      <ErrorNote error={list.error} />
      {!list.data ? (
        list.loading && <Loading what="the remittances" />
      ) : list.data.remittances.length === 0 ? (
        <p>No remittance recorded.</p>
      ) : (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Remittances">
          <table>
            <thead>
              <tr>
                <th scope="col">Platform</th>
                <th scope="col">Month</th>
                <th scope="col">Amount</th>
                <th scope="col">Reference</th>
                <th scope="col">Recorded</th>
                <th scope="col">Transaction</th>
              </tr>
            </thead>
            <tbody>
              {list.data.remittances.map((r) => (
                <tr key={`${r.platformMspId} ${r.reference}`}>
                  <td>{r.platformMspId}</td>
                  <td>{r.period}</td>
                  <td>{formatMoney(r.amount, r.currency)}</td>
                  <td>{r.reference}</td>
                  <td>{formatTime(r.recordedAt)}</td>
                  <td>
                    <Hash value={r.txId} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}

/** A platform records what it remitted for a month's sales under its checkout scheme, and lists its own. */
export function PlatformRemittances() {
  const { api, me } = useSession();
  const [error, setError] = useState<Error>();
  const [recorded, setRecorded] = useState<Remittance>();
  const [busy, setBusy] = useState(false);
  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    setBusy(true);
    setError(undefined);
    try {
      const remittance = await api.post<Remittance>('/v1/remittances', {
        period: String(form.get('period') ?? ''),
        currency: String(form.get('currency') ?? '')
          .trim()
          .toUpperCase(),
        // What the gateway refuses (not a number, more than two decimals), it says why.
        amount: Number(String(form.get('amount') ?? '').trim() || Number.NaN),
        reference: String(form.get('reference') ?? '').trim(),
      });
      setRecorded(remittance);
      formElement.reset();
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <h1>Remittances</h1>
      <p className="muted">
        What {me.mspId} remitted for a month&apos;s sales under its checkout scheme (its IOSS return and
        payment). Customs sets it against the VAT declared as collected in that month. Each reference is
        recorded once; record a correction under a reference of its own.
      </p>
      <Section title="Record a remittance">
        <form className="filters" onSubmit={onSubmit} aria-label="Record a remittance">
          <div className="field">
            <label htmlFor="m-period">Month of the sales</label>
            <input id="m-period" name="period" type="month" required />
          </div>
          <div className="field">
            <label htmlFor="m-currency">Currency</label>
            <input id="m-currency" name="currency" defaultValue="EUR" size={4} required />
          </div>
          <div className="field">
            <label htmlFor="m-amount">Amount</label>
            {/* No inputMode="decimal": many phone keypads then have no minus sign, and a correction may be negative. */}
            <input id="m-amount" name="amount" required />
          </div>
          <div className="field">
            <label htmlFor="m-reference">Reference</label>
            <input id="m-reference" name="reference" placeholder="IM3720001234/2026-11" required />
          </div>
          <div className="row">
            <button type="submit" className="primary" disabled={busy}>
              Record
            </button>
          </div>
        </form>
        <ErrorNote error={error} />
        {recorded && (
          <p role="status">
            Recorded {formatMoney(recorded.amount, recorded.currency)} for {recorded.period} under{' '}
            {recorded.reference}.
          </p>
        )}
      </Section>
      <RemittanceList query="" reloadKey={recorded ? Date.parse(recorded.recordedAt) : 0} />
    </>
  );
}
