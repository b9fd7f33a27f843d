import { useState, type ChangeEvent, type FormEvent } from 'react';
import { seg, type Api } from '../api';
import { useSession } from '../session';
import {
  Badge,
  ErrorNote,
  formatTime,
  Hash,
  Loading,
  PartyIdField,
  Section,
  useLoad,
} from '../components/ui';
import { canonicalEntry, leafHash, verifyConsistency, verifyInclusion } from '../merkle';
import { verifyTreeHeadSignature } from '../tree-head-signature';
import { AccessLog } from './Consignment';
import { OpenById } from './Trader';

interface TreeHead {
  readonly logId: string;
  readonly treeSize: number;
  readonly rootHash: string;
  readonly timestamp: string;
  readonly signature: string;
  readonly signerMspId: string;
  readonly signerCertificate: string;
}

interface Anchor {
  readonly treeSize: number;
  readonly rootHash: string;
  readonly txId: string;
  readonly anchoredAt: string;
  readonly block: number | null;
}

/** The ledger's latest anchor of the gateway's log, undefined before the first. */
async function latestAnchor(api: Api, signal: AbortSignal): Promise<Anchor | undefined> {
  const latest: { anchor: Anchor | null } = await api.get('/v1/audit/anchors/latest', signal);
  return latest.anchor ?? undefined;
}

type AuditEntry = Record<string, string | number> & {
  index: number;
  purpose: string;
  user: string;
  mspId: string;
  route: string;
  resource: string;
  time: string;
};

export function AuditorHome() {
  return (
    <>
      <h1>Audit</h1>
      <Section title="Provenance of a consignment">
        <p>
          Every record, movement, assessment, decision, return step and personal-data read, with organisation,
          user, block and transaction.
        </p>
        <OpenById />
      </Section>
      <DisclosureVerifier />
      <AuditLogState />
      <PartyReads />
    </>
  );
}

interface Verdict {
  readonly verified: boolean;
  readonly code?: string;
  readonly path?: string;
  readonly reason?: string;
  readonly committed?: {
    root: string;
    version: number;
    latestVersion: number;
    txId: string;
    block: number | null;
  };
}

/** A package as its holder produced it (POST /v1/consignments/{id}/disclosures), pasted or uploaded, checked against the ledger. */
function DisclosureVerifier() {
  const { api } = useSession();
  const [text, setText] = useState('');
  const [verdict, setVerdict] = useState<Verdict>();
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const upload = async (event: ChangeEvent<HTMLInputElement>) => {
    const input = event.target;
    const file = input.files?.[0];
    if (file) setText(await file.text());
    // Else choosing the same file again, after editing the text, would change nothing and load nothing.
    input.value = '';
  };
  const verify = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    setVerdict(undefined);
    setBusy(true);
    try {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new Error('The package is not JSON: paste it exactly as its holder produced it.');
      }
      setVerdict(await api.post<Verdict>('/v1/verify', body));
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section title="Verify a disclosure package">
      <form onSubmit={(e) => void verify(e)}>
        <label htmlFor="package">Disclosure package (JSON)</label>
        <textarea
          id="package"
          rows={8}
          value={text}
          onChange={(e) => setText(e.target.value)}
          spellCheck={false}
          aria-describedby="package-help"
        />
        <p id="package-help" className="muted small">
          Each disclosed value, salt and Merkle proof is checked against the root committed on the ledger by
          the transaction named in the package; nothing else of the record is revealed.
        </p>
        <div className="row wrap">
          <div className="field">
            <label htmlFor="package-file">…or upload a file</label>
            <input
              id="package-file"
              type="file"
              accept="application/json,.json"
              onChange={(e) => void upload(e)}
            />
          </div>
          <button type="submit" className="primary" disabled={busy || text.trim() === ''}>
            Verify
          </button>
        </div>
      </form>
      <ErrorNote error={error} />
      {verdict && (
        <div className={verdict.verified ? 'verdict ok' : 'verdict bad'} role="status" data-testid="verdict">
          {verdict.verified ? (
            <p>
              <strong>Verified.</strong> The disclosed fields match the commitment of version{' '}
              {verdict.committed?.version} (root <Hash value={verdict.committed?.root} />, block{' '}
              {verdict.committed?.block ?? '—'}
              {verdict.committed && verdict.committed.latestVersion !== verdict.committed.version
                ? `; the record has since been corrected to version ${verdict.committed.latestVersion}`
                : ''}
              ).
            </p>
          ) : (
            <p>
              <strong>Verification failed</strong> ({verdict.code}
              {verdict.path ? ` at ${verdict.path}` : ''}): {verdict.reason}
            </p>
          )}
        </div>
      )}
    </Section>
  );
}

const RECENT = 200;

/**
 * What the gateway can show of its own audit log, checked by this browser: the signed tree head's
 * signature, with the key of the certificate it names (whose issuer only the offline checks hold
 * to the channel's CAs); the newest entry — its content hashed to its leaf, its audit path hashed
 * to the signed root; and, against the ledger's word rather than the gateway's, that the signed
 * head extends the latest tree head anchored on the ledger. The block chain itself and every
 * earlier anchor are verified offline.
 */
function AuditLogState() {
  const { api } = useSession();
  const state = useLoad(async (signal) => {
    const head = await api.get<TreeHead>('/v1/audit/tree-head', signal);
    const signed = await verifyTreeHeadSignature(head, head.signerCertificate);
    const from = Math.max(0, head.treeSize - RECENT);
    const page = await api.get<{ entries: AuditEntry[] }>(
      `/v1/audit/entries?from=${from}&limit=${RECENT}`,
      signal,
    );
    // The log has grown since the head was signed (by this page's own requests, at least).
    const entries = page.entries.filter((e) => e.index < head.treeSize);
    const last = entries.at(-1);
    let included: boolean | undefined;
    if (last) {
      const proof = await api.get<{ leafHash: string; auditPath: string[]; rootHash: string }>(
        `/v1/audit/proofs/inclusion?index=${last.index}&treeSize=${head.treeSize}`,
        signal,
      );
      const leaf = await leafHash(canonicalEntry(last));
      included =
        leaf === proof.leafHash &&
        proof.rootHash === head.rootHash &&
        (await verifyInclusion(last.index, head.treeSize, leaf, proof.auditPath, head.rootHash));
    }
    // The ledger's word against the gateway's: the signed head must extend what the ledger anchored.
    const anchor = await latestAnchor(api, signal);
    let extendsAnchor: boolean | undefined;
    if (anchor && anchor.treeSize <= head.treeSize) {
      const proof = await api.get<{ proof: string[] }>(
        `/v1/audit/proofs/consistency?from=${anchor.treeSize}&to=${head.treeSize}`,
        signal,
      );
      extendsAnchor = await verifyConsistency(
        anchor.treeSize,
        head.treeSize,
        proof.proof,
        anchor.rootHash,
        head.rootHash,
      );
    } else if (anchor) {
      extendsAnchor = false;
    }
    return { head, signed, entries, last, included, anchor, extendsAnchor };
  }, 'audit');
  const reads = state.data?.entries.filter((e) => e.purpose !== '').reverse() ?? [];
  return (
    <>
      <Section title="Audit log and block chain">
        <ErrorNote error={state.error} />
        {state.loading && !state.data && <Loading what="the audit log" />}
        {state.data && (
          <>
            <dl className="facts">
              <dt>Audit log</dt>
              <dd>
                {state.data.head.logId}, {state.data.head.treeSize} entries
              </dd>
              <dt>Signed tree head</dt>
              <dd data-testid="head-signature">
                <Badge kind="ok" value={state.data.signed ? 'verified' : 'failed'} /> root{' '}
                <Hash value={state.data.head.rootHash} />, signed by {state.data.head.signerMspId} at{' '}
                {formatTime(state.data.head.timestamp)}:{' '}
                {state.data.signed
                  ? 'the signature verifies with the key of the certificate the gateway gives'
                  : 'the signature does not verify with the key of the certificate the gateway gives'}
              </dd>
              <dt>Newest entry in this browser</dt>
              <dd data-testid="inclusion">
                {state.data.included === undefined ? (
                  '—'
                ) : (
                  <>
                    <Badge kind="ok" value={state.data.included ? 'verified' : 'failed'} /> entry{' '}
                    {state.data.last?.index}: its content hashes to the leaf, and its audit path to the signed
                    root
                  </>
                )}
              </dd>
              <dt>Latest anchor on the ledger</dt>
              <dd data-testid="anchor">
                {state.data.anchor === undefined ? (
                  'none yet: the gateway anchors every few minutes and when it stops'
                ) : (
                  <>
                    <Badge kind="ok" value={state.data.extendsAnchor ? 'verified' : 'failed'} />{' '}
                    {state.data.anchor.treeSize} entries, root <Hash value={state.data.anchor.rootHash} />,
                    block {state.data.anchor.block ?? '—'} ({formatTime(state.data.anchor.anchoredAt)}):
                    {state.data.extendsAnchor
                      ? ' the signed tree head extends it (consistency proof checked here)'
                      : ' the signed tree head does not extend it'}
                  </>
                )}
              </dd>
            </dl>
            <p className="muted small">
              What this page cannot check: that the block chain links from genesis and every transaction in it
              is signed by its creator and endorsers, that each transaction's validity holds when validated
              again, that what the gateway serves (state, history, private data) is what the blocks wrote,
              that every entry of the log is intact, and that every tree head anchored on the ledger, not only
              the latest, matches the log. Those run offline, on the gateway&apos;s data directory:{' '}
              <code>npm run audit -- verify-chain</code>, <code>npm run audit -- verify-state</code> and{' '}
              <code>npm run audit -- verify-audit-log</code> (see the README&apos;s Auditor CLI).
            </p>
            <button type="button" onClick={state.reload}>
              Check again
            </button>
          </>
        )}
      </Section>
      <Section title="Recent personal-data reads (gateway audit log)">
        {reads.length === 0 ? (
          <p>No personal-data read among the newest {RECENT} requests.</p>
        ) : (
          <div
            className="table-wrap"
            tabIndex={0}
            role="region"
            aria-label="Requests that read personal data"
          >
            <table>
              <caption className="visually-hidden">Requests that read personal data, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">What</th>
                  <th scope="col">Purpose</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {reads.map((e) => (
                  <tr key={e.index}>
                    <td>{formatTime(e.time)}</td>
                    <td>
                      {e.user} ({e.mspId})
                    </td>
                    <td>{e.resource}</td>
                    <td>{e.purpose.replace(/_/g, ' ')}</td>
                    <td>{e.outcome}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
    </>
  );
}

function PartyReads() {
  const [id, setId] = useState('');
  // The party whose reads are shown, and the submission that asked: each submission reads again.
  const [shown, setShown] = useState<{ id: string; asked: number }>();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setShown((s) => ({ id: id.trim(), asked: (s?.asked ?? 0) + 1 }));
  };
  return (
    <Section title="Who read a party's registrations and watch-list note, and why">
      <form className="row wrap" onSubmit={(e) => void submit(e)}>
        <PartyIdField id="party-id" value={id} onChange={setId} />
        <button type="submit">Show reads</button>
      </form>
      {shown && (
        <AccessLog
          path={`/v1/parties/${seg(shown.id)}/access-log`}
          caption={`Reads of party ${shown.id.slice(0, 12)}…`}
          reloadKey={`${shown.id} ${shown.asked}`}
        />
      )}
      <p className="muted small">
        Reads of the party&apos;s registrations and of customs&apos; watch-list note on it. Reads of
        consignment records that name the person are on each consignment&apos;s page, not here: nothing public
        links a party to its consignments. A data subject&apos;s access request is answered by the platform
        that holds the person&apos;s orders, from each of those consignments&apos; reads.
      </p>
    </Section>
  );
}
