import { useState, type FormEvent } from 'react';
import { allowedEvents, isStatus, returnableStatuses } from '../../../chaincode/src/domain/state-machine';
import { ApiError, seg, type Api } from '../api';
import { QUESTIONS, questionOf, REQUEST_INFORMATION } from '../referral-questions';
import { Link } from '../router';
import { audienceOf, useSession } from '../session';
import {
  Badge,
  CodeOptions,
  ConfirmButton,
  ErrorNote,
  PurposeSelect,
  formatMoney,
  formatTime,
  Hash,
  Loading,
  Section,
  ShowMore,
  useLoad,
  usePages,
  type Page,
} from '../components/ui';

interface Consignment {
  readonly consignment: {
    readonly consignmentId: string;
    readonly status: string;
    readonly createdAt: string;
    readonly createdBy: string;
    readonly platformMspId?: string;
    readonly paymentMspId?: string;
    readonly carrierMspId?: string;
    readonly joinKeys: Record<string, string>;
  };
  /** Reason codes are customs' own: the API leaves them out for traders. */
  readonly decisions?: readonly {
    decision: string;
    reasonCodes?: string[];
    decidedAt: string;
    automatic: boolean;
  }[];
  readonly records?: readonly { kind: string; version: number; submittedBy: string; submittedAt: string }[];
}

interface HistoryEntry {
  readonly at: string;
  readonly type: string;
  readonly by: { mspId: string; role: string; user?: string };
  readonly block?: number;
  readonly txId: string;
  readonly valueHash?: string;
  readonly detail?: Record<string, unknown>;
}

interface Assessment {
  readonly number: number;
  readonly assessedAt: string;
  readonly status: string;
  readonly releasable: boolean;
  readonly blockers: readonly string[];
  readonly collectionModel: string;
  /** The destination's per-buyer limits, when its tariff sets any. */
  readonly buyerLimits: {
    currency: string;
    perPurchase?: number;
    perYear?: number;
    purchase: number;
    /** Absent when the year could not be added up: `notChecked` says why. */
    usedBefore?: number;
    reasons: readonly string[];
    notChecked?: string;
  } | null;
  readonly match: { result: string; reasons: readonly string[]; complete: boolean };
  readonly risk: {
    lane: string;
    score: number;
    ruleSetVersion: string;
    selectedAtRandom: boolean;
    /** weight: indicators only (not hard rules, the trusted-trader factor or a random selection). */
    reasons: readonly { code: string; weight?: number; detail: string }[];
  };
  readonly revenue: {
    assessed: boolean;
    duty?: {
      currency: string;
      customsValue: number;
      duty: number;
      vat: number;
      totalDue: number;
      toCollect: number;
      collectedAtCheckout: number;
      collectionModel: string;
      dutyBasis: string;
      vatBasis: string;
      lines: readonly {
        hsCode: string;
        customsValue: number;
        dutyRate: number | null;
        duty: number;
        vatRate: number;
        vat: number;
      }[];
    };
  };
  /** Who answered and when; the text is personal data, read on its own for a purpose. */
  readonly referralAnswers: readonly {
    txId: string;
    answeredBy: string;
    answeredAt: string;
    erased?: { txId: string; at: string };
  }[];
  /** The automatic assessment's latest failure since this assessment, if any. */
  readonly assessmentFailed: {
    code: string;
    reason: string;
    failures: number;
    failedAt: string;
  } | null;
}

interface ReturnView {
  readonly returnId: string;
  readonly status: string;
  readonly step: string;
  readonly reason: string;
  readonly requestedAt: string;
  readonly lines: readonly { lineNo: number; quantity: number }[];
  readonly deadlines: Record<string, string>;
}

/** One consignment, each part shown only to those the API lets read it. */
export function ConsignmentPage({ id }: { id: string }) {
  const { api, me } = useSession();
  const audience = audienceOf(me);
  const consignment = useLoad((s) => api.get<Consignment>(`/v1/consignments/${seg(id)}`, s), id);
  const [version, setVersion] = useState(0);
  const refresh = () => {
    consignment.reload();
    setVersion((v) => v + 1);
  };

  if (consignment.error) {
    const hidden = consignment.error instanceof ApiError && [403, 404].includes(consignment.error.status);
    return (
      <>
        <h1>Consignment {id}</h1>
        {hidden ? (
          <p className="error" role="alert" data-testid="not-visible">
            You cannot open this consignment: it does not exist or your organisation takes no part in it. (
            {consignment.error.message})
          </p>
        ) : (
          <ErrorNote error={consignment.error} />
        )}
      </>
    );
  }
  if (!consignment.data) return <Loading what={`consignment ${id}`} />;
  const c = consignment.data.consignment;
  const participant = [c.platformMspId, c.paymentMspId, c.carrierMspId, c.createdBy].includes(me.mspId);
  const key = `${id}:${version}`;

  return (
    <>
      <h1>
        Consignment {c.consignmentId} <Badge kind="status" value={c.status} />
      </h1>
      <div className="grid">
        <Section title="Summary">
          <dl className="facts">
            <dt>Status</dt>
            <dd data-testid="status">{c.status}</dd>
            <dt>Created</dt>
            <dd>
              {formatTime(c.createdAt)} by {c.createdBy}
            </dd>
            <dt>Platform</dt>
            <dd>{c.platformMspId ?? '—'}</dd>
            <dt>Payment</dt>
            <dd>{c.paymentMspId ?? '—'}</dd>
            <dt>Carrier</dt>
            <dd>{c.carrierMspId ?? '—'}</dd>
            {Object.entries(c.joinKeys).map(([k, v]) => (
              <FactRow key={k} term={k.replace(/([A-Z])/g, ' $1').toLowerCase()} value={v} />
            ))}
          </dl>
        </Section>
        {me.decides && <CustomsActions id={id} status={c.status} onDone={refresh} assessmentKey={key} />}
        {audience === 'trader' && participant && c.status === 'referred' && (
          <ReferralAnswerForm id={id} decisions={consignment.data.decisions ?? []} onDone={refresh} />
        )}
        <MatchSection id={id} reloadKey={key} />
        {audience === 'trader' && c.carrierMspId === me.mspId && (
          <CollectionSection id={id} reloadKey={key} delivered={c.status === 'delivered'} />
        )}
      </div>
      {audience === 'customs' && <AssessmentSection id={id} reloadKey={key} />}
      <Timeline id={id} reloadKey={key} />
      <ReturnsSection
        id={id}
        reloadKey={key}
        canStart={
          audience === 'trader' &&
          c.platformMspId === me.mspId &&
          isStatus(c.status) &&
          returnableStatuses.includes(c.status)
        }
        onDone={refresh}
      />
      <AccessLogSection
        path={`/v1/consignments/${seg(id)}/access-log`}
        title="Who read personal data, and why"
        caption="Personal-data reads of this consignment"
        reloadKey={key}
      />
      {audience === 'trader' && participant && (
        <DisclosureForm
          id={id}
          // Only a record its organisation submitted is in a collection it holds.
          records={(consignment.data.records ?? [])
            .filter((r) => r.submittedBy === me.mspId)
            .map((r) => r.kind)}
          onDone={refresh}
        />
      )}
    </>
  );
}

function FactRow({ term, value }: { term: string; value: string }) {
  return (
    <>
      <dt>{term}</dt>
      <dd>{value}</dd>
    </>
  );
}

const DECISIONS = [
  ['release', 'Release', 'OFFICER_RELEASE'],
  ['hold', 'Hold', 'OFFICER_HOLD'],
  ['inspect', 'Inspect', 'PHYSICAL_INSPECTION'],
] as const;

function CustomsActions({
  id,
  status,
  onDone,
  assessmentKey,
}: {
  id: string;
  status: string;
  onDone: () => void;
  assessmentKey: string;
}) {
  const { api, me } = useSession();
  const assessment = useLoad(
    (s) => api.get<Assessment>(`/v1/customs/assessments/${seg(id)}`, s).catch(() => undefined),
    assessmentKey,
  );
  const riskCodes = assessment.data?.risk.reasons.map((r) => r.code) ?? [];
  // The decisions the consignment's status takes (the chaincode's state machine): none once it is final.
  const allowed: readonly string[] = isStatus(status) ? allowedEvents(status) : [];
  const decisions = DECISIONS.filter(([decision]) => allowed.includes(decision));
  const [question, setQuestion] = useState<string>(QUESTIONS[0][0]);
  const [done, setDone] = useState<string>();
  const decide = (decision: string, reasonCodes: string[]) => async () => {
    try {
      await api.post(`/v1/consignments/${seg(id)}/decision`, {
        decision,
        reasonCodes: [...new Set(reasonCodes)].slice(0, 20),
      });
    } catch (error) {
      // Another officer or the pipeline moved the consignment on: the page shows it as it is now,
      // not the status and assessment this decision was refused on.
      if (error instanceof ApiError && error.status === 409) {
        setDone(`Not recorded: ${error.message}. The page now shows the consignment as it is.`);
        onDone();
      }
      throw error;
    }
    setDone(`Recorded: ${decision}.`);
    onDone();
  };
  return (
    <Section title="Officer actions">
      <p className="muted">
        Current status: <strong>{status}</strong>.{' '}
        {decisions.length === 0 && !allowed.includes('refer')
          ? 'No decision can be taken in this status.'
          : `Each action is recorded on the ledger as customs' (${me.mspId}), with the transaction your identity signed; reason codes are the assessment's risk reasons (${riskCodes.join(', ') || 'none'}) and the action.`}
      </p>
      <div className="row wrap">
        {decisions.map(([decision, label, code]) => (
          <ConfirmButton
            key={decision}
            label={label}
            title={`${label} consignment ${id}?`}
            className={decision === 'release' ? 'primary' : undefined}
            onConfirm={decide(decision, [code, ...riskCodes])}
          >
            {assessment.data && (
              <p>
                Lane <strong>{assessment.data.risk.lane}</strong>;{' '}
                {assessment.data.releasable
                  ? 'releasable automatically.'
                  : `not released automatically: ${assessment.data.blockers.join(', ') || '—'}.`}
              </p>
            )}
            <p>
              Reason codes: <code>{[code, ...riskCodes].join(', ')}</code>
            </p>
          </ConfirmButton>
        ))}
      </div>
      {allowed.includes('refer') && (
        <>
          <div className="field">
            <label htmlFor="refer-question">Question for the trader</label>
            <select id="refer-question" value={question} onChange={(e) => setQuestion(e.target.value)}>
              {QUESTIONS.map(([code, text]) => (
                <option key={code} value={code}>
                  {text}
                </option>
              ))}
            </select>
          </div>
          <ConfirmButton
            label="Refer"
            title={`Refer consignment ${id} with a question?`}
            onConfirm={decide('refer', [REQUEST_INFORMATION, question])}
          >
            <p>
              The platform, payment provider and carrier see the question{' '}
              <strong>{questionOf([question])}</strong> and can answer it; customs then assesses again.
            </p>
          </ConfirmButton>
        </>
      )}
      <p role="status" className="ok">
        {done}
      </p>
    </Section>
  );
}

function ReferralAnswerForm({
  id,
  decisions,
  onDone,
}: {
  id: string;
  decisions: Consignment['decisions'] & object;
  onDone: () => void;
}) {
  const { api } = useSession();
  const referral = [...decisions].reverse().find((d) => d.decision === 'refer');
  const question = questionOf(referral?.reasonCodes ?? []);
  const [message, setMessage] = useState('');
  const [docType, setDocType] = useState('invoice');
  const [reference, setReference] = useState('');
  const [error, setError] = useState<Error>();
  const [sent, setSent] = useState(0);
  /** Whether the user asked to send more after an answer (its own, or another participant's). */
  const [more, setMore] = useState(false);
  // Asked of the platform, the payment provider and the carrier alike: who answered since, from the history.
  const answers = useLoad(
    (signal) => answersSince(api, id, referral?.decidedAt ?? '', signal),
    `${id}:${referral?.decidedAt}:${sent}`,
  );
  const answered = answers.data ?? [];
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    try {
      const documents = reference.trim() ? [{ type: docType, reference: reference.trim() }] : [];
      await api.post(`/v1/consignments/${seg(id)}/referral-answer`, { message: message.trim(), documents });
      // Each answer is recorded and makes customs assess again: the form does not invite a second.
      setMessage('');
      setReference('');
      setMore(false);
      setSent((n) => n + 1);
      onDone();
    } catch (e) {
      setError(e as Error);
    }
  };
  return (
    <Section title="Answer customs' referral">
      <p>
        Customs asks <strong>{question}</strong> (referred {formatTime(referral?.decidedAt)}).
      </p>
      {sent > 0 && (
        <p role="status" className="ok">
          Answer recorded; customs assesses the consignment again.
        </p>
      )}
      {answered.length > 0 && (
        <p data-testid="referral-answers">
          Answered by {answered.map((a) => `${a.by.mspId} on ${formatTime(a.at)}`).join(', ')}.
        </p>
      )}
      {!answers.data && !answers.error ? (
        <Loading what="the answers" />
      ) : answered.length > 0 && !more ? (
        <button type="button" onClick={() => setMore(true)}>
          Send further information
        </button>
      ) : (
        <form onSubmit={(e) => void submit(e)}>
          <label htmlFor="answer-message">Your answer</label>
          <textarea
            id="answer-message"
            required
            rows={4}
            value={message}
            onChange={(e) => setMessage(e.target.value)}
          />
          <div className="row wrap">
            <div className="field">
              <label htmlFor="answer-doc-type">Document type</label>
              <select id="answer-doc-type" value={docType} onChange={(e) => setDocType(e.target.value)}>
                <CodeOptions
                  codes={[
                    'invoice',
                    'payment_proof',
                    'product_description',
                    'licence',
                    'certificate',
                    'other',
                  ]}
                />
              </select>
            </div>
            <div className="field">
              <label htmlFor="answer-doc-ref">Document reference (optional)</label>
              <input id="answer-doc-ref" value={reference} onChange={(e) => setReference(e.target.value)} />
            </div>
          </div>
          <button type="submit" className="primary" disabled={message.trim() === ''}>
            Send answer
          </button>
        </form>
      )}
      <ErrorNote error={error} />
    </Section>
  );
}

function MatchSection({ id, reloadKey }: { id: string; reloadKey: string }) {
  const { api } = useSession();
  const match = useLoad(
    (s) =>
      api.get<{
        assessment: {
          match: { result: string; reasons: string[] };
          number: number;
          releasable: boolean;
        } | null;
        assessmentFailed: { code: string; failedAt: string } | null;
      }>(`/v1/consignments/${seg(id)}/match`, s),
    reloadKey,
  );
  const m = match.data?.assessment;
  const failed = match.data?.assessmentFailed;
  // A failure since the assessment keeps customs' service from releasing, whatever it allowed.
  const failure = failed && (
    <>
      customs&apos; automatic assessment {m ? 'since ' : ''}failed ({failed.code},{' '}
      {formatTime(failed.failedAt)}); nothing is released automatically until an assessment succeeds: an
      officer decides.
    </>
  );
  return (
    <Section title="Three-way match">
      <ErrorNote error={match.error} />
      {match.data &&
        (m ? (
          <p data-testid="match">
            Order, payment and logistics data: <Badge kind="match" value={m.match.result} />{' '}
            {m.match.reasons.length ? `(${m.match.reasons.join(', ')})` : '— every compared field agrees'}.
            Assessment #{m.number}
            {failure ? <>, but {failure}</> : m.releasable ? ', releasable.' : ', not releasable.'}
          </p>
        ) : failure ? (
          <p data-testid="match">Not assessed: {failure}</p>
        ) : (
          <p data-testid="match">
            Not assessed yet (customs assesses when order, payment and logistics data are all present).
          </p>
        ))}
    </Section>
  );
}

/** The referral answers recorded since `since` (the referral), from the consignment's whole history. */
async function answersSince(
  api: Api,
  id: string,
  since: string,
  signal: AbortSignal,
): Promise<HistoryEntry[]> {
  const found: HistoryEntry[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await api.get<Page<HistoryEntry>>(
      pagePath(`/v1/consignments/${seg(id)}/history?limit=500`, after),
      signal,
    );
    found.push(...page.entries.filter((e) => e.type === 'referral_answered' && e.at >= since));
    if (!page.hasMore || page.next === null) return found;
    after = page.next;
  }
}

/** For the consignment's carrier: what customs' latest assessment has it collect from the buyer at delivery. */
function CollectionSection({
  id,
  reloadKey,
  delivered,
}: {
  id: string;
  reloadKey: string;
  /** Handed over: the amount was to be collected then, not now. */
  delivered: boolean;
}) {
  const { api } = useSession();
  const read = useLoad(
    (s) =>
      api.get<{
        instruction: {
          currency: string;
          duty: number;
          vat: number;
          collectedAtCheckout: number;
          toCollect: number;
          assessment: { number: number; assessedAt: string };
        } | null;
      }>(`/v1/consignments/${seg(id)}/collection-instruction`, s),
    reloadKey,
  );
  const i = read.data?.instruction;
  return (
    <Section title="Duty to collect at delivery">
      <ErrorNote error={read.error} />
      {read.data &&
        (i ? (
          <>
            {delivered ? (
              <p>
                Delivered: <strong data-testid="to-collect">{formatMoney(i.toCollect, i.currency)}</strong>{' '}
                was to be collected from the buyer at the handover.
              </p>
            ) : (
              <p>
                Collect <strong data-testid="to-collect">{formatMoney(i.toCollect, i.currency)}</strong> from
                the buyer before handing the parcel over.
              </p>
            )}
            <dl className="facts">
              <dt>Duty</dt>
              <dd>{formatMoney(i.duty, i.currency)}</dd>
              <dt>VAT</dt>
              <dd>{formatMoney(i.vat, i.currency)}</dd>
              <dt>Collected at checkout</dt>
              <dd>{formatMoney(i.collectedAtCheckout, i.currency)}</dd>
              <dt>Assessed</dt>
              <dd>
                #{i.assessment.number}, {formatTime(i.assessment.assessedAt)}
              </dd>
            </dl>
          </>
        ) : (
          <p data-testid="to-collect">
            Nothing for you to collect: customs has not assessed it yet, or its last assessment leaves the
            carrier nothing to collect.
          </p>
        ))}
    </Section>
  );
}

/** Who pays customs at import what it collects there, by collection model. */
const PAID_AT_IMPORT_BY: Record<string, string> = {
  platform: 'the duty, paid by the declarant for the platform; no import VAT under the checkout scheme',
  carrier: 'collected by the carrier from the buyer at delivery',
  buyer: 'paid by the buyer to customs',
};

/** Who pays it, unless the figure is not what the words say (an assessment by chaincode 1.8 took a VAT gap under the platform model). */
function paidAtImportBy(duty: { collectionModel: string; toCollect: number; duty: number }): string {
  const by = PAID_AT_IMPORT_BY[duty.collectionModel];
  return by === undefined || (duty.collectionModel === 'platform' && duty.toCollect !== duty.duty)
    ? ''
    : ` (${by})`;
}

/** A rate as a percentage, as precise as the tariff gives it (China's VAT is 9.1 %). */
const percent = (rate: number): string => `${Number((rate * 100).toFixed(4))} %`;

interface ReferralAnswerRead {
  readonly answer: {
    readonly message: string;
    readonly documents: readonly { type: string; reference: string }[];
  };
  readonly access: { readonly txId: string; readonly purpose: string };
}

/**
 * The answers to customs' referrals: who answered and when, and the text and documents read on
 * demand for a purpose, since they may name the buyer or seller (each read is on the access log).
 */
function ReferralAnswers({ id, answers }: { id: string; answers: Assessment['referralAnswers'] }) {
  const { api, me } = useSession();
  const [purpose, setPurpose] = useState(
    me.purposes.includes('risk_assessment') ? 'risk_assessment' : (me.purposes[0] ?? ''),
  );
  const [read, setRead] = useState<Record<string, ReferralAnswerRead>>({});
  const [error, setError] = useState<Error>();
  const load = async (txId: string) => {
    setError(undefined);
    try {
      const answer = await api.get<ReferralAnswerRead>(
        `/v1/consignments/${seg(id)}/referral-answers/${seg(txId)}?purpose=${seg(purpose)}`,
      );
      setRead((before) => ({ ...before, [txId]: answer }));
    } catch (e) {
      setError(e as Error);
    }
  };
  return (
    <div data-testid="referral-answer-list">
      <h3>Referral answers</h3>
      <PurposeSelect id="answer-purpose" purposes={me.purposes} value={purpose} onChange={setPurpose} />
      <ErrorNote error={error} />
      <ul>
        {answers.map((a) => {
          const shown = read[a.txId];
          return (
            <li key={a.txId}>
              {a.answeredBy} on {formatTime(a.answeredAt)}
              {a.erased ? (
                ' (erased with the consignment’s personal data)'
              ) : shown ? (
                <>
                  <blockquote data-testid="referral-answer-text">{shown.answer.message}</blockquote>
                  {shown.answer.documents.length > 0 && (
                    <p>
                      Documents:{' '}
                      {shown.answer.documents
                        .map((d) => `${d.type.replace(/_/g, ' ')} ${d.reference}`)
                        .join('; ')}
                    </p>
                  )}
                  <p className="muted small">
                    Read for {shown.access.purpose.replace(/_/g, ' ')}; on the consignment&apos;s access log
                    (transaction <Hash value={shown.access.txId} />
                    ).
                  </p>
                </>
              ) : (
                me.purposes.length > 0 && (
                  <>
                    {' '}
                    <button type="button" onClick={() => void load(a.txId)}>
                      Read answer for {purpose.replace(/_/g, ' ')}
                    </button>
                  </>
                )
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

function AssessmentSection({ id, reloadKey }: { id: string; reloadKey: string }) {
  const { api } = useSession();
  const a = useLoad((s) => api.get<Assessment>(`/v1/customs/assessments/${seg(id)}`, s), reloadKey);
  if (a.error) {
    // Never assessed: the answer says why when the automatic assessment failed.
    const failed = a.error instanceof ApiError && /automatic assessment failed/.test(a.error.message);
    return (
      <Section title="Risk and revenue">
        {a.error instanceof ApiError && a.error.status === 404 ? (
          failed ? (
            <p className="error" role="status" data-testid="assessment-failed">
              Not assessed: {a.error.message.replace(/^.*?: its /, 'its ')}. Nothing is released automatically
              until an assessment succeeds.
            </p>
          ) : (
            <p>Not assessed yet.</p>
          )
        ) : (
          <ErrorNote error={a.error} />
        )}
      </Section>
    );
  }
  if (!a.data) return <Loading what="the assessment" />;
  const { risk, revenue, blockers, assessmentFailed } = a.data;
  const duty = revenue.duty;
  return (
    <div className="grid">
      {assessmentFailed && (
        <p className="error across" role="status" data-testid="assessment-failed">
          The latest automatic assessment failed ({assessmentFailed.code}, {assessmentFailed.failures}{' '}
          time(s), last at {formatTime(assessmentFailed.failedAt)}): {assessmentFailed.reason}. Shown below:
          assessment #{a.data.number}, the last that succeeded; nothing is released automatically until one
          succeeds again.
        </p>
      )}
      <Section title="Risk">
        <p>
          Lane <Badge kind="lane" value={risk.lane} />, score{' '}
          <strong data-testid="risk-score">{risk.score}</strong> (rule set {risk.ruleSetVersion}
          {risk.selectedAtRandom ? ', selected at random' : ''}); assessment #{a.data.number} at{' '}
          {formatTime(a.data.assessedAt)}.
        </p>
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Risk reasons">
          <table>
            <caption>Risk reasons</caption>
            <thead>
              <tr>
                <th scope="col">Reason</th>
                <th scope="col">Weight</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody data-testid="risk-reasons">
              {risk.reasons.map((r) => (
                <tr key={r.code}>
                  <th scope="row">
                    <code>{r.code}</code>
                  </th>
                  <td>{r.weight ?? <span className="muted">not weighted</span>}</td>
                  <td>{r.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p>
          {a.data.releasable
            ? 'Releasable automatically.'
            : `Not released automatically: ${blockers.join(', ') || '—'}.`}
          {a.data.referralAnswers.length
            ? ` ${a.data.referralAnswers.length} referral answer(s) received.`
            : ''}
        </p>
        {a.data.referralAnswers.length > 0 && <ReferralAnswers id={id} answers={a.data.referralAnswers} />}
      </Section>
      <Section title="Duty and VAT">
        {duty ? (
          <>
            <dl className="facts">
              <dt>Customs value</dt>
              <dd>{formatMoney(duty.customsValue, duty.currency)}</dd>
              <dt>Duty</dt>
              <dd>
                {formatMoney(duty.duty, duty.currency)} ({duty.dutyBasis.replace(/_/g, ' ')})
              </dd>
              <dt>VAT</dt>
              <dd>
                {formatMoney(duty.vat, duty.currency)} ({duty.vatBasis.replace(/_/g, ' ')})
              </dd>
              <dt>Collected at checkout</dt>
              <dd>{formatMoney(duty.collectedAtCheckout, duty.currency)}</dd>
              <dt>Due at import</dt>
              <dd data-testid="due-at-import">
                {formatMoney(duty.toCollect, duty.currency)}
                {paidAtImportBy(duty)}
              </dd>
              <dt>Collection model</dt>
              <dd data-testid="collection-model">{a.data.collectionModel.replace(/_/g, ' ')}</dd>
              {a.data.buyerLimits ? <BuyerLimitsFact limits={a.data.buyerLimits} /> : null}
            </dl>
            <div className="table-wrap" tabIndex={0} role="region" aria-label="Duty and VAT per line">
              <table>
                <caption>Per line</caption>
                <thead>
                  <tr>
                    <th scope="col">HS code</th>
                    <th scope="col">Customs value</th>
                    <th scope="col">Duty</th>
                    <th scope="col">VAT</th>
                  </tr>
                </thead>
                <tbody>
                  {duty.lines.map((l, i) => (
                    <tr key={i}>
                      <th scope="row">{l.hsCode}</th>
                      <td>{l.customsValue.toFixed(2)}</td>
                      <td>
                        {l.duty.toFixed(2)}
                        {l.dutyRate === null ? '' : ` (${percent(l.dutyRate)})`}
                      </td>
                      <td>
                        {l.vat.toFixed(2)} ({percent(l.vatRate)})
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        ) : (
          <p>Duty not assessed (data missing or no tariff for the destination).</p>
        )}
      </Section>
    </div>
  );
}

/**
 * Every version of every record, movement, assessment, decision and personal-data read, in time
 * order: the history's first page, and the next ones when asked for.
 */
function Timeline({ id, reloadKey }: { id: string; reloadKey: string }) {
  const { api } = useSession();
  const history = usePages(
    (after, signal) =>
      api.get<Page<HistoryEntry>>(pagePath(`/v1/consignments/${seg(id)}/history`, after), signal),
    reloadKey,
  );
  return (
    <Section title="Provenance timeline">
      <ErrorNote error={history.error} />
      {history.entries ? (
        <>
          <ol className="timeline" data-testid="timeline">
            {history.entries.map((e, i) => (
              <li key={`${e.txId}-${i}`}>
                <div className="when">{formatTime(e.at)}</div>
                <div>
                  <strong>{e.type.replace(/_/g, ' ')}</strong> by {e.by.mspId} ({e.by.role}
                  {e.by.user ? `, ${userName(e.by.user)}` : ''})
                  <div className="muted small">
                    block {e.block ?? '—'} · tx <Hash value={e.txId} /> · value hash{' '}
                    <Hash value={e.valueHash} />
                  </div>
                  {e.detail && <div className="small">{summarise(e.detail)}</div>}
                </div>
              </li>
            ))}
          </ol>
          <ShowMore pages={history} />
        </>
      ) : (
        !history.error && <Loading what="the history" />
      )}
    </Section>
  );
}

/** A list's path for the page after the cursor `after` (the first page without one); `path` may have a query. */
const pagePath = (path: string, after: string | undefined) =>
  after === undefined ? path : `${path}${path.includes('?') ? '&' : '?'}after=${encodeURIComponent(after)}`;

/** The CN of an x509::<subject>::<issuer> Fabric user id. */
export const userName = (userId: string): string => /CN=([^/:]+)/.exec(userId)?.[1] ?? userId;

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/;
const HEX_ID = /^[0-9a-f]{40,}$/;
/** statusBefore → status before */
const words = (name: string): string => name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

/** A detail's value in words: times as the rest of the page shows them, ids shortened, no JSON. */
function detailText(value: unknown): string {
  if (typeof value === 'string') {
    if (ISO_TIME.test(value)) return formatTime(value);
    return HEX_ID.test(value) ? `${value.slice(0, 12)}…` : value;
  }
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.map(detailText).join(', ');
  if (value !== null && typeof value === 'object') {
    return Object.entries(value)
      .map(([k, v]) => `${words(k)} ${detailText(v)}`)
      .join(', ');
  }
  return value === true ? 'yes' : value === false ? 'no' : String(value);
}

/** Hashes and Merkle roots are the auditor's, on the proof pages: the timeline says what happened. */
function summarise(detail: Record<string, unknown>): string {
  return Object.entries(detail)
    .filter(([k]) => !['root', 'leafCount', 'collection', 'deadlines', 'joinKeys'].includes(k))
    .map(([k, v]) => `${words(k)}: ${detailText(v)}`)
    .join(' · ');
}

function ReturnsSection({
  id,
  reloadKey,
  canStart,
  onDone,
}: {
  id: string;
  reloadKey: string;
  canStart: boolean;
  onDone: () => void;
}) {
  const { api } = useSession();
  const r = useLoad(
    (s) => api.get<{ returns: ReturnView[] }>(`/v1/consignments/${seg(id)}/returns`, s),
    reloadKey,
  );
  return (
    <Section title="Returns">
      <ErrorNote error={r.error} />
      {r.data && r.data.returns.length === 0 && <p>No return.</p>}
      {r.data && r.data.returns.length > 0 && (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Returns">
          <table>
            <caption className="visually-hidden">Returns of this consignment</caption>
            <thead>
              <tr>
                <th scope="col">Return</th>
                <th scope="col">Status</th>
                <th scope="col">Step</th>
                <th scope="col">Reason</th>
                <th scope="col">Lines</th>
                <th scope="col">Requested</th>
                <th scope="col">Arrival deadline</th>
              </tr>
            </thead>
            <tbody>
              {r.data.returns.map((ret) => (
                <tr key={ret.returnId}>
                  <th scope="row">{ret.returnId}</th>
                  <td>
                    <Badge kind="status" value={ret.status} />
                  </td>
                  <td>{ret.step}</td>
                  <td>{ret.reason.replace(/_/g, ' ')}</td>
                  <td>{ret.lines.map((l) => `#${l.lineNo} × ${l.quantity}`).join(', ')}</td>
                  <td>{formatTime(ret.requestedAt)}</td>
                  <td>{formatTime(ret.deadlines.arrival)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canStart && (
        // Keyed by the returns so far: a new return's form proposes a new authorisation number.
        <StartReturn
          key={r.data?.returns.length ?? 0}
          id={id}
          next={(r.data?.returns.length ?? 0) + 1}
          onDone={onDone}
        />
      )}
    </Section>
  );
}

/** `next`: the return's number on the consignment; an authorisation (RMA) admits one return. */
function StartReturn({ id, next, onDone }: { id: string; next: number; onDone: () => void }) {
  const { api } = useSession();
  const [reason, setReason] = useState('not_as_described');
  const [lines, setLines] = useState('1:1');
  // A reference holds 64 characters: the number first, so a long id cut short keeps it apart.
  const [authorisation, setAuthorisation] = useState(`RMA-${next}-${id}`.slice(0, 64));
  const parts = lines
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  const parsed = parts
    .map((part) => part.split(':').map(Number))
    .filter(
      ([lineNo, quantity, ...rest]) =>
        rest.length === 0 && Number.isInteger(lineNo) && (lineNo ?? 0) > 0 && (quantity ?? 0) > 0,
    )
    .map(([lineNo, quantity]) => ({ lineNo: lineNo!, quantity: quantity! }));
  // A part that is no line:quantity refuses the whole: dropped, it would return less than was meant.
  const unreadable = parts.length - parsed.length;
  return (
    <details>
      <summary>Start a return</summary>
      <div className="row wrap">
        <div className="field">
          <label htmlFor="return-reason">Reason</label>
          <select id="return-reason" value={reason} onChange={(e) => setReason(e.target.value)}>
            <CodeOptions
              codes={['not_as_described', 'defective', 'damaged', 'wrong_item', 'changed_mind', 'other']}
            />
          </select>
        </div>
        <div className="field">
          <label htmlFor="return-lines">Order lines (line:quantity, comma separated)</label>
          <input
            id="return-lines"
            value={lines}
            aria-invalid={unreadable > 0}
            aria-describedby="return-lines-problem"
            onChange={(e) => setLines(e.target.value)}
          />
          <p id="return-lines-problem" className="error small" role="status">
            {unreadable > 0 ? `${unreadable} part(s) are not line:quantity, e.g. 1:2` : ''}
          </p>
        </div>
        <div className="field">
          <label htmlFor="return-auth">Return authorisation</label>
          <input id="return-auth" value={authorisation} onChange={(e) => setAuthorisation(e.target.value)} />
        </div>
      </div>
      <ConfirmButton
        label="Request return"
        title={`Request a return of ${id}?`}
        disabled={parsed.length === 0 || unreadable > 0}
        onConfirm={async () => {
          await api.post(`/v1/consignments/${seg(id)}/returns`, { reason, lines: parsed, authorisation });
          onDone();
        }}
      >
        <p>
          Lines {parsed.map((l) => `#${l.lineNo} × ${l.quantity}`).join(', ')}, reason{' '}
          {reason.replace(/_/g, ' ')}. The carrier then ships it back and the payment provider refunds.
        </p>
      </ConfirmButton>
    </details>
  );
}

interface AccessEntry {
  readonly at: string;
  readonly mspId: string;
  readonly userId: string;
  readonly purpose: string;
  readonly recordKind?: string;
  /** For a referral answer: the transaction that recorded the answer read. */
  readonly recordTxId?: string;
  readonly txId: string;
  /** A disclosure's fields: what it revealed of the record. */
  readonly fields?: readonly string[];
}

/** The fields a disclosure revealed, the first few by name. */
function disclosed(fields: readonly string[]): string {
  const shown = fields.slice(0, 5).join(', ');
  return fields.length > 5 ? `${shown} and ${fields.length - 5} more` : shown;
}

/** What the ledger's record kinds of a party's data are to a reader. */
const RECORD_NAMES: Record<string, string> = { party: 'registration', flag: 'watch-list note' };

const NO_READS = 'No one has read this personal data.';

function AccessTable({
  entries,
  caption,
  empty = NO_READS,
}: {
  entries: readonly AccessEntry[];
  caption: string;
  empty?: string;
}) {
  if (entries.length === 0) return <p>{empty}</p>;
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label={caption}>
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Organisation</th>
            <th scope="col">User</th>
            <th scope="col">Record</th>
            <th scope="col">Purpose</th>
            <th scope="col">Transaction</th>
          </tr>
        </thead>
        <tbody>
          {/* An assessment reads several records in one transaction: the txId is not unique. */}
          {entries.map((e, i) => (
            <tr key={`${e.txId}-${i}`}>
              <td>{formatTime(e.at)}</td>
              <td>{e.mspId}</td>
              <td>{userName(e.userId)}</td>
              <td>
                {e.recordKind ? (RECORD_NAMES[e.recordKind] ?? e.recordKind.replace(/_/g, ' ')) : '—'}
                {e.recordTxId && (
                  <span className="muted small"> (transaction {e.recordTxId.slice(0, 12)}…)</span>
                )}
                {e.fields && <span className="muted small"> (disclosed {disclosed(e.fields)})</span>}
              </td>
              <td>{e.purpose.replace(/_/g, ' ')}</td>
              <td>
                <Hash value={e.txId} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A subject's access log (`path`: its /access-log route) by pages, reloaded with `reloadKey`. */
export function AccessLog({
  path,
  caption,
  reloadKey,
  empty,
}: {
  path: string;
  caption: string;
  reloadKey: string;
  /** What an empty log says (default: no one has read the data). */
  empty?: string;
}) {
  const { api } = useSession();
  const log = usePages(
    (after, signal) => api.get<Page<AccessEntry>>(pagePath(path, after), signal),
    reloadKey,
  );
  return (
    <>
      <ErrorNote error={log.error} />
      {log.entries && <AccessTable entries={log.entries} caption={caption} empty={empty} />}
      <ShowMore pages={log} />
    </>
  );
}

export function AccessLogSection({
  path,
  title,
  caption,
  reloadKey,
  empty,
}: {
  path: string;
  title: string;
  caption: string;
  reloadKey: string;
  empty?: string;
}) {
  return (
    <Section title={title}>
      <AccessLog path={path} caption={caption} reloadKey={reloadKey} empty={empty} />
    </Section>
  );
}

/**
 * A record holder discloses chosen fields to a third party (an auditor checks them on the audit
 * page). Making the package reads the record, a recorded access: the page reloads to show it.
 */
function DisclosureForm({
  id,
  records,
  onDone,
}: {
  id: string;
  /** The kinds of record the user's organisation holds. */
  records: readonly string[];
  onDone: () => void;
}) {
  const { api } = useSession();
  const [chosen, setRecord] = useState<string>();
  const record = chosen ?? (records.includes('order') ? 'order' : (records[0] ?? ''));
  const [fields, setFields] = useState('/currency');
  const [pkg, setPkg] = useState<string>();
  const [error, setError] = useState<Error>();
  if (records.length === 0) return null;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    setPkg(undefined);
    try {
      const body = {
        record,
        purpose: 'audit',
        fields: fields
          .split(',')
          .map((f) => f.trim())
          .filter(Boolean),
      };
      setPkg(JSON.stringify(await api.post(`/v1/consignments/${seg(id)}/disclosures`, body), null, 2));
      onDone();
    } catch (e) {
      setError(e as Error);
    }
  };
  return (
    <Section title="Disclose fields to an auditor">
      <form onSubmit={(e) => void submit(e)} className="row wrap">
        <div className="field">
          <label htmlFor="disclose-record">Record</label>
          <select id="disclose-record" value={record} onChange={(e) => setRecord(e.target.value)}>
            {records.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </div>
        <div className="field grow">
          <label htmlFor="disclose-fields">Fields (JSON pointers, comma separated)</label>
          <input id="disclose-fields" value={fields} onChange={(e) => setFields(e.target.value)} />
        </div>
        <button type="submit">Make disclosure package</button>
      </form>
      <ErrorNote error={error} />
      {pkg && (
        <>
          <label htmlFor="disclosure-package">
            Package (give it to the auditor; it reveals only these fields)
          </label>
          <textarea id="disclosure-package" readOnly rows={8} value={pkg} />
        </>
      )}
      <p className="muted small">
        Making a package reads your own record&apos;s personal data for the purpose &quot;audit&quot;; the
        read is recorded. An audit package cannot reveal the buyer, the payer, the consignee or the
        seller&apos;s name: the ledger refuses those fields. <Link to="/mine">Back to your consignments</Link>
      </p>
    </Section>
  );
}

/** What this purchase and the buyer's year came to against the destination's per-buyer limits. */
function BuyerLimitsFact({ limits: l }: { limits: NonNullable<Assessment['buyerLimits']> }) {
  const limit = (amount: number | undefined) =>
    amount === undefined ? '' : ` (limit ${formatMoney(amount, l.currency)})`;
  const verdict = [
    ...(l.reasons.length ? [`exceeded: ${l.reasons.join(', ')}`] : []),
    ...(l.notChecked === undefined ? [] : [`${l.notChecked}, for an officer`]),
  ];
  return (
    <>
      <dt>Buyer’s limits</dt>
      <dd data-testid="buyer-limits">
        this purchase {formatMoney(l.purchase, l.currency)}
        {limit(l.perPurchase)}; already this year{' '}
        {l.usedBefore === undefined ? 'not known' : formatMoney(l.usedBefore, l.currency)}
        {limit(l.perYear)}
        {verdict.length ? ` — ${verdict.join('; ')}` : ' — within the limits'}
      </dd>
    </>
  );
}
