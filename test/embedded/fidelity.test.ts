/**
 * Fidelity suite of the embedded ledger: every row of the conformance table in
 * /work/shared/FABRIC-SEMANTICS.md (measured on Fabric 2.5.6) is a test here, asserting the same
 * outcome, validation code and the stable part of the message. The probe chaincode is
 * test/fixtures/kv-chaincode.cjs, run through fabric-shim's own contract layer.
 *
 * A failing row is a fidelity bug of the ledger, not of this suite: do not weaken a row to make it pass.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Level } from 'level';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedLedger } from '../../gateway/src/ledger/embedded/embedded-ledger.js';
import {
  chaincodeMessage,
  CommitError,
  duplicateTransactionId,
  EndorseError,
  GatewayError,
  TxValidationCode,
  type ChaincodeEvent,
  type ClientIdentity,
  type CommitStatus,
  type EndorsedTransaction,
  type ProposalOptions,
} from '../../gateway/src/ledger/port.js';
import { ELEVEN_YEARS_MS, withClockAhead } from '../support/clock.js';
import { COLLECTION, CUSTOMS, PLATFORM, POST, probeLedgerOptions } from '../support/probe-ledger.js';

/** Key prefix of the blocks sublevel inside the ledger's LevelDB (`<dataDir>/ledger`). */
const BLOCK_KEY_PREFIX = '!blocks!';
/** The ledger's LevelDB, relative to dataDir. */
const LEDGER_DB_DIR = 'ledger';

type Ledger = Awaited<ReturnType<typeof EmbeddedLedger.open>>;

interface Harness {
  ledger: Ledger;
  dataDir: string;
  platform: ClientIdentity;
  post: ClientIdentity;
  customs: ClientIdentity;
}

async function openHarness(dataDir: string): Promise<Harness> {
  const ledger = await EmbeddedLedger.open(probeLedgerOptions(dataDir));
  return {
    ledger,
    dataDir,
    platform: await ledger.enrolUser(PLATFORM, 'alice', { role: 'operator' }),
    post: await ledger.enrolUser(POST, 'bob', { role: 'operator' }),
    customs: await ledger.enrolUser(CUSTOMS, 'carol', { role: 'operator' }),
  };
}

/** A fresh ledger for the enclosing describe. */
function useLedger(): Harness {
  const h = {} as Harness;
  beforeAll(async () => {
    Object.assign(h, await openHarness(await mkdtemp(path.join(os.tmpdir(), 'fidelity-'))));
  });
  afterAll(async () => {
    await h.ledger?.close();
    if (h.dataDir) await rm(h.dataDir, { recursive: true, force: true });
  });
  return h;
}

// ------------------------------------------------------------------------------------------ helpers

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');
const json = <T>(bytes: Uint8Array): T => JSON.parse(text(bytes)) as T;
const sha256 = (data: string | Uint8Array): Buffer => createHash('sha256').update(data).digest();
const args = (...a: string[]): ProposalOptions => ({ arguments: a });
const orgs = (endorsingOrganizations: string[], ...a: string[]): ProposalOptions => ({
  arguments: a,
  endorsingOrganizations,
});
const marker = (label: string): string => `${label}-${randomBytes(12).toString('hex')}`;

/** What the probe chaincode reports about a value the shim handed it. */
interface Probe {
  isBuffer: boolean;
  isUndefined: boolean;
  isNull: boolean;
  length: number;
  value: string | null;
}
const EMPTY_BUFFER = { isBuffer: true, isUndefined: false, isNull: false, length: 0, value: '' };

/**
 * A regular expression for a message of FABRIC-SEMANTICS.md: `<txid>` is a transaction id (every later
 * `<txid>` must be the same id), `<n>` a number; everything else is literal. Anchored at both ends.
 */
function exact(template: string): RegExp {
  let first = true;
  const source = template
    .split(/(<txid>|<n>)/)
    .map((part) => {
      if (part === '<n>') return '\\d+';
      if (part === '<txid>') {
        const group = first ? '(?<txid>[^\\s:\\[\\]]+)' : '\\k<txid>';
        first = false;
        return group;
      }
      return part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${source}$`);
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

const EVALUATE_PREFIX = '2 UNKNOWN: evaluate call to endorser returned error: chaincode response 500, ';
const ENDORSE_MESSAGE = '10 ABORTED: failed to endorse transaction, see attached details for more info';
const COLLECT_MESSAGE =
  '10 ABORTED: failed to collect enough transaction endorsements, see attached details for more info';
const MISMATCH = 'ProposalResponsePayloads do not match';

/** evaluate failed in the chaincode or a shim call: GatewayError 2 UNKNOWN with one detail. */
async function expectEvaluateError(
  promise: Promise<unknown>,
  msg: string,
  mspId?: string,
): Promise<GatewayError> {
  const err = await caught(promise);
  expect(err).toBeInstanceOf(GatewayError);
  expect(err).not.toBeInstanceOf(EndorseError);
  const e = err as GatewayError;
  expect(e.code).toBe(2);
  expect(e.message).toMatch(exact(EVALUATE_PREFIX + msg));
  expect(e.details).toHaveLength(1);
  expect(e.details[0]?.message).toMatch(exact(`chaincode response 500, ${msg}`));
  if (mspId) expect(e.details[0]?.mspId).toBe(mspId);
  return e;
}

/**
 * submit/endorse failed at endorsement: EndorseError 10 ABORTED. `kind` 'endorse' = failed at the
 * gateway's first peer (one detail), 'collect' = with endorsingOrganizations or at a later endorser.
 * Every detail message must match `detail`; `mspIds` (sorted) are the orgs named in the details.
 */
async function expectEndorseError(
  promise: Promise<unknown>,
  kind: 'endorse' | 'collect',
  detail: string,
  mspIds?: string[],
): Promise<EndorseError> {
  const err = await caught(promise);
  expect(err).toBeInstanceOf(EndorseError);
  const e = err as EndorseError;
  expect(e.code).toBe(10);
  expect(e.message).toBe(kind === 'endorse' ? ENDORSE_MESSAGE : COLLECT_MESSAGE);
  if (kind === 'endorse') expect(e.details).toHaveLength(1);
  expect(e.details.length).toBeGreaterThan(0);
  for (const d of e.details) {
    expect(d.message).toMatch(exact(detail));
    expect(typeof d.address).toBe('string');
    expect(d.address.length).toBeGreaterThan(0);
  }
  if (mspIds) expect(e.details.map((d) => d.mspId).sort()).toEqual([...mspIds].sort());
  return e;
}

const CODE_NAMES = Object.fromEntries(Object.entries(TxValidationCode).map(([name, code]) => [code, name]));

/** submit committed the transaction as invalid: CommitError with Fabric's message. */
async function expectCommitError(promise: Promise<unknown>, code: number): Promise<CommitError> {
  const err = await caught(promise);
  expect(err).toBeInstanceOf(CommitError);
  const e = err as CommitError;
  expect(e.code).toBe(code);
  expect(e.transactionId).toMatch(/\S/);
  expect(e.message).toBe(
    `Transaction ${e.transactionId} failed to commit with status code ${code} (${CODE_NAMES[code]})`,
  );
  return e;
}

/** The low-level path: tx.submit() then commit.getStatus() (never throws for an invalid tx). */
async function statusOf(tx: EndorsedTransaction): Promise<CommitStatus> {
  const commit = await tx.submit();
  expect(commit.transactionId).toBe(tx.transactionId);
  return commit.getStatus();
}

/** Submits endorsed transactions back to back (same block), then waits for all statuses. */
async function submitTogether(...txs: EndorsedTransaction[]): Promise<CommitStatus[]> {
  const commits = [];
  for (const tx of txs) commits.push(await tx.submit());
  return Promise.all(commits.map((c) => c.getStatus()));
}

function expectStatus(status: CommitStatus, code: number, tx?: EndorsedTransaction): void {
  expect(status.code).toBe(code);
  expect(status.successful).toBe(code === TxValidationCode.VALID);
  if (tx) expect(status.transactionId).toBe(tx.transactionId);
}

/** Chaincode events from startBlock up to and including the event of transaction `untilTxId`. */
async function collectEvents(
  ledger: Ledger,
  startBlock: bigint,
  untilTxId: string,
  timeoutMs = 5000,
): Promise<ChaincodeEvent[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const events: ChaincodeEvent[] = [];
  try {
    for await (const event of ledger.events({
      startBlock,
      signal: controller.signal,
    }) as AsyncIterable<ChaincodeEvent>) {
      events.push(event);
      if (event.transactionId === untilTxId) break;
    }
  } catch (err) {
    if (!controller.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  expect(
    events.map((e) => e.transactionId),
    `event of ${untilTxId} not delivered`,
  ).toContain(untilTxId);
  return events;
}

/**
 * The encodings in which a text could appear in stored bytes: raw UTF-8, hex, and base64 at each of the
 * three alignments (the part of the base64 that depends on the text alone). Used to prove absence.
 */
function encodings(value: string | Uint8Array): string[] {
  const bytes = Buffer.from(value);
  const out = [bytes.toString('latin1'), bytes.toString('hex')];
  for (let pad = 0; pad < 3; pad++) {
    const b64 = Buffer.concat([Buffer.alloc(pad), bytes]).toString('base64');
    const start = pad === 0 ? 0 : 4;
    const end = Math.floor((pad + bytes.length) / 3) * 4;
    if (end - start >= 8) out.push(b64.slice(start, end));
  }
  return out;
}

/** Whether `haystack` holds `value` in any of its encodings. */
function holds(haystack: Uint8Array, value: string | Uint8Array): boolean {
  const hay = Buffer.from(haystack);
  const latin1 = hay.toString('latin1');
  return encodings(value).some((needle) => latin1.includes(needle));
}

async function blockBytesOf(ledger: Ledger, blockNumber: bigint): Promise<Uint8Array> {
  return (await ledger.getBlockBytes(blockNumber)) as Uint8Array;
}

function transactionsOf(block: unknown): unknown[] {
  const data = (block as { data?: { transactions?: unknown[] } }).data;
  return data?.transactions ?? [];
}

function txIdOf(tx: unknown): string | undefined {
  const t = tx as { txId?: string; transactionId?: string };
  return t.txId ?? t.transactionId;
}

/** Every copy of a transaction in the ledger from `fromBlock`: its block and validation code. */
async function findTransaction(
  ledger: Ledger,
  txId: string,
  fromBlock: bigint,
): Promise<{ blockNumber: bigint; code: number | undefined }[]> {
  const found: { blockNumber: bigint; code: number | undefined }[] = [];
  for (let n = fromBlock; n < BigInt(ledger.height()); n++) {
    const block = (await ledger.getBlock(n)) as { metadata: { validationCodes: readonly number[] } };
    transactionsOf(block).forEach((tx, i) => {
      if (txIdOf(tx) === txId) found.push({ blockNumber: n, code: block.metadata.validationCodes[i] });
    });
  }
  return found;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------- conformance table

describe('1 no read-your-writes', () => {
  const h = useLedger();

  it('1a: getState after putState in one tx returns the committed value; putState resolves to an empty Buffer', async () => {
    await h.ledger.submit(h.platform, 'put', args('k1a', 'v1'));
    const tx = await h.ledger.endorse(h.platform, 'putThenGet', args('k1a', 'v2'));
    const r = json<{ putResult: Probe; got: Probe }>(tx.result);
    expect(r.got).toMatchObject({ isBuffer: true, value: 'v1' });
    expect(r.putResult).toEqual(EMPTY_BUFFER);
    expectStatus(await statusOf(tx), TxValidationCode.VALID, tx);
    expect(text(await h.ledger.evaluate(h.platform, 'get', args('k1a')))).toBe('v2');
  });

  it('1b: getPrivateData and getPrivateDataHash after putPrivateData return the committed value and its hash', async () => {
    await h.ledger.submit(h.platform, 'privPut', args('k1b', 'pv1'));
    const tx = await h.ledger.endorse(h.platform, 'privPutThenGet', args('k1b', 'pv2'));
    expect(json(tx.result)).toEqual({ got: 'pv1', hashHex: sha256('pv1').toString('hex') });
    expectStatus(await statusOf(tx), TxValidationCode.VALID, tx);
    expect(text(await h.ledger.evaluate(h.platform, 'privGet', args('k1b')))).toBe('pv2');
  });

  it('1c: getState and a range after deleteState still see the key; gone after commit (same for private data)', async () => {
    await h.ledger.submit(h.platform, 'put', args('k1c', 'v2'));
    const tx = await h.ledger.endorse(h.platform, 'delThenGet', args('k1c'));
    const r = json<{ delResult: Probe; got: Probe; rangeKeys: string[] }>(tx.result);
    expect(r.delResult).toEqual(EMPTY_BUFFER);
    expect(r.got).toMatchObject({ isBuffer: true, value: 'v2' });
    expect(r.rangeKeys).toEqual(['k1c']);
    expectStatus(await statusOf(tx), TxValidationCode.VALID, tx);
    expect(json(await h.ledger.evaluate(h.platform, 'probeGet', args('k1c')))).toEqual(EMPTY_BUFFER);

    await h.ledger.submit(h.platform, 'privPut', args('k1c-p', 'pv-c'));
    const ptx = await h.ledger.endorse(h.platform, 'privDelThenGet', args('k1c-p'));
    expect(text(ptx.result)).toBe('pv-c');
    expectStatus(await statusOf(ptx), TxValidationCode.VALID, ptx);
    const after = json<{ value: Probe }>(await h.ledger.evaluate(h.platform, 'privProbe', args('k1c-p')));
    expect(after.value).toEqual(EMPTY_BUFFER);
  });

  it('1d: missing keys read as an empty Buffer (getState, getPrivateData, getPrivateDataHash), not null/undefined', async () => {
    expect(json(await h.ledger.evaluate(h.platform, 'probeGet', args('missing-1d')))).toEqual(EMPTY_BUFFER);
    const p = json<{ value: Probe; hash: Probe }>(
      await h.ledger.evaluate(h.platform, 'privProbe', args('missing-1d')),
    );
    expect(p.value).toEqual(EMPTY_BUFFER);
    expect(p.hash).toEqual(EMPTY_BUFFER);
  });

  it('1e: putState(k, empty) is VALID and stored as a delete (history isDelete:true, value empty)', async () => {
    await h.ledger.submit(h.platform, 'put', args('k1e', 'x'));
    const tx = await h.ledger.endorse(h.platform, 'putEmpty', args('k1e'));
    expectStatus(await statusOf(tx), TxValidationCode.VALID, tx);
    expect(json(await h.ledger.evaluate(h.platform, 'probeGet', args('k1e')))).toEqual(EMPTY_BUFFER);
    const history = json<{ txId: string; isDelete: boolean; value: Probe }[]>(
      await h.ledger.evaluate(h.platform, 'history', args('k1e')),
    );
    expect(history).toHaveLength(2);
    expect(history[0]).toMatchObject({ txId: tx.transactionId, isDelete: true, value: EMPTY_BUFFER });
    expect(history[1]).toMatchObject({ isDelete: false, value: { value: 'x' } });
  });

  it("1f: the empty key '' is a legal key (VALID, readable) but getStateByRange('', '') skips it", async () => {
    const tx = await h.ledger.endorse(h.platform, 'put', args('', 'x'));
    expectStatus(await statusOf(tx), TxValidationCode.VALID, tx);
    expect(text(await h.ledger.evaluate(h.platform, 'get', args('')))).toBe('x');
    const keys = json<string[]>(await h.ledger.evaluate(h.platform, 'range', args('', '')));
    expect(keys).not.toContain('');
    expect(keys).toContain('k1a');
  });
});

/** Simple keys in UTF-8 byte order (LevelDB order), which differs from JS string order. */
const SIMPLE_KEYS = ['B', 'a', 'a b', 'b', 'b1', 'ba', 'c', 'zz', '~', 'é', '\uE000', '😀'];
const shuffled = (keys: string[]): string[] => [...keys].reverse().sort((x, y) => x.length - y.length);

/** Composite keys of type 'obj' in byte order of the full key, plus one of type 'objx'. */
const OBJ_KEYS: string[][] = [
  ['x', '1'],
  ['x', '1', 'z'],
  ['x', '10'],
  ['x', '2'],
  ['xa', '1'],
  ['y'],
  ['é'],
  ['\uE000'],
  ['😀'],
];

describe('2 range results across pages (the peer sends them 100 at a time)', () => {
  const h = useLedger();
  const key = (n: number): string => `page/${String(n).padStart(3, '0')}`;

  beforeAll(async () => {
    await h.ledger.submit(
      h.platform,
      'putMany',
      args(JSON.stringify(Array.from({ length: 250 }, (_, n) => [key(n), 'v']))),
    );
  });

  it('a range of exactly one page, one more, two pages and more comes back whole and in order', async () => {
    for (const count of [99, 100, 101, 200, 250]) {
      const keys = json<string[]>(
        await h.ledger.evaluate(h.platform, 'range', args(key(0), count === 250 ? 'page0' : key(count))),
      );
      expect(keys, `${count} keys`).toEqual(Array.from({ length: count }, (_, n) => key(n)));
    }
  });
});

describe('2 keys and ranges', () => {
  const h = useLedger();
  const range = async (start: string, end: string): Promise<string[]> =>
    json<string[]>(await h.ledger.evaluate(h.platform, 'range', args(start, end)));
  const partial = async (
    type: string,
    attrs: string[],
  ): Promise<{ objectType: string; attributes: string[] }[]> =>
    json(await h.ledger.evaluate(h.platform, 'partial', args(type, JSON.stringify(attrs))));

  beforeAll(async () => {
    await h.ledger.submit(
      h.platform,
      'putMany',
      args(JSON.stringify(shuffled(SIMPLE_KEYS).map((k) => [k, 'v']))),
    );
    const composites = [...OBJ_KEYS.map((a) => ['obj', a]), ['objx', ['x', '1']], ['objx', ['a']]].reverse();
    await h.ledger.submit(h.platform, 'putComposites', args(JSON.stringify(composites)));
  });

  it("2a: getStateByRange('', '') returns only simple keys, in UTF-8 byte order (not JS sort order)", async () => {
    expect(await range('', '')).toEqual(SIMPLE_KEYS);
    // byte order puts U+E000 before U+1F600; JS sort() would not
    expect([...SIMPLE_KEYS].sort()).not.toEqual(SIMPLE_KEYS);
  });

  it('2b: the end key is exclusive; start > end gives [] without error', async () => {
    expect(await range('a', 'c')).toEqual(['a', 'a b', 'b', 'b1', 'ba']);
    expect(await range('b', 'b1')).toEqual(['b']);
    expect(await range('b', 'b\u0000')).toEqual(['b']);
    expect(await range('', 'b')).toEqual(['B', 'a', 'a b']);
    expect(await range('b', '')).toEqual(['b', 'b1', 'ba', 'c', 'zz', '~', 'é', '\uE000', '😀']);
    expect(await range('a', 'a')).toEqual([]);
    expect(await range('c', 'a')).toEqual([]);
  });

  it('2c: a composite key as a range bound is rejected by the shim (start or end); for-await gives "it is not async iterable"', async () => {
    const rejected =
      'first character of the key [\u0000obj\u0000] contains a null character which is not allowed';
    await expectEvaluateError(h.ledger.evaluate(h.platform, 'rangeBadKey', args('start', 'await')), rejected);
    await expectEvaluateError(h.ledger.evaluate(h.platform, 'rangeBadKey', args('end', 'await')), rejected);
    await expectEvaluateError(
      h.ledger.evaluate(h.platform, 'rangeBadKey', args('start', 'forawait')),
      'it is not async iterable',
    );
  });

  it('2d: getStateByPartialCompositeKey: byte order of the full key, exact prefix match, splitCompositeKey round-trips', async () => {
    const obj = (attributes: string[]): { objectType: string; attributes: string[] } => ({
      objectType: 'obj',
      attributes,
    });
    expect(await partial('obj', [])).toEqual(OBJ_KEYS.map(obj));
    expect(await partial('obj', ['x'])).toEqual(
      [
        ['x', '1'],
        ['x', '1', 'z'],
        ['x', '10'],
        ['x', '2'],
      ].map(obj),
    );
    expect(await partial('obj', ['x', '1'])).toEqual(
      [
        ['x', '1'],
        ['x', '1', 'z'],
      ].map(obj),
    );
    expect(await partial('objx', [])).toEqual([
      { objectType: 'objx', attributes: ['a'] },
      { objectType: 'objx', attributes: ['x', '1'] },
    ]);
    await expectEvaluateError(
      h.ledger.evaluate(h.platform, 'compositeEmptyAttr'),
      'object type or attribute not a non-zero length string',
    );
  });
});

describe('3 MVCC', () => {
  const h = useLedger();
  const endorse = (fn: string, ...a: string[]): Promise<EndorsedTransaction> =>
    h.ledger.endorse(h.platform, fn, args(...a));
  const get = async (k: string): Promise<string> => text(await h.ledger.evaluate(h.platform, 'get', args(k)));

  it('3a: two read-write txs endorsed first, submitted back to back: first VALID, second 11 in the same block', async () => {
    await h.ledger.submit(h.platform, 'put', args('k3a', 'v0'));
    const t1 = await endorse('rw', 'k3a', 'A');
    const t2 = await endorse('rw', 'k3a', 'B');
    const [s1, s2] = await submitTogether(t1, t2);
    expectStatus(s1!, TxValidationCode.VALID, t1);
    expectStatus(s2!, TxValidationCode.MVCC_READ_CONFLICT, t2);
    expect(s2!.blockNumber).toBe(s1!.blockNumber);
    expect(await get('k3a')).toBe('A');
  });

  it('3a: contract.submit of the losing tx throws CommitError "failed to commit with status code 11 (MVCC_READ_CONFLICT)"', async () => {
    await h.ledger.submit(h.platform, 'put', args('k3a2', 'v0'));
    // concurrent submits are endorsed against the same committed state; one wins, the rest conflict
    const results = await Promise.allSettled(
      ['A', 'B', 'C'].map((v) => h.ledger.submit(h.platform, 'rw', args('k3a2', v))),
    );
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(rejected.length).toBeGreaterThan(0);
    for (const r of rejected)
      await expectCommitError(Promise.reject(r.reason), TxValidationCode.MVCC_READ_CONFLICT);
  });

  it('3b: the conflicting tx committed in an earlier block: 11', async () => {
    await h.ledger.submit(h.platform, 'put', args('k3b', 'v0'));
    const t1 = await endorse('rw', 'k3b', 'A');
    const t2 = await endorse('rw', 'k3b', 'B');
    const s1 = await statusOf(t1);
    expectStatus(s1, TxValidationCode.VALID, t1);
    const s2 = await statusOf(t2);
    expectStatus(s2, TxValidationCode.MVCC_READ_CONFLICT, t2);
    expect(s2.blockNumber).toBeGreaterThan(s1.blockNumber);
    expect(await get('k3b')).toBe('A');
  });

  it('3c: blind writes by both in one block: both VALID, last in block order wins, history lists both', async () => {
    const t1 = await endorse('put', 'k3c', 'C');
    const t2 = await endorse('put', 'k3c', 'D');
    const [s1, s2] = await submitTogether(t1, t2);
    expectStatus(s1!, TxValidationCode.VALID, t1);
    expectStatus(s2!, TxValidationCode.VALID, t2);
    expect(s2!.blockNumber).toBe(s1!.blockNumber);
    expect(await get('k3c')).toBe('D');
    const history = json<{ txId: string; value: Probe }[]>(
      await h.ledger.evaluate(h.platform, 'history', args('k3c')),
    );
    expect(history.map((e) => [e.txId, e.value.value])).toEqual([
      [t2.transactionId, 'D'],
      [t1.transactionId, 'C'],
    ]);
  });

  it('3d: both read a missing key then write it: 0, 11 (a nil-version read conflicts too)', async () => {
    const t1 = await endorse('rw', 'k3d', 'A');
    const t2 = await endorse('rw', 'k3d', 'B');
    const [s1, s2] = await submitTogether(t1, t2);
    expectStatus(s1!, TxValidationCode.VALID, t1);
    expectStatus(s2!, TxValidationCode.MVCC_READ_CONFLICT, t2);
    expect(await get('k3d')).toBe('A');
  });

  it('3e: a submitted read-only tx whose read key changed meanwhile: 11', async () => {
    await h.ledger.submit(h.platform, 'put', args('k3e', 'v0'));
    const ro = await endorse('readOnly', 'k3e');
    expect(text(ro.result)).toBe('v0');
    await h.ledger.submit(h.platform, 'put', args('k3e', 'v1'));
    expectStatus(await statusOf(ro), TxValidationCode.MVCC_READ_CONFLICT, ro);
  });

  it('3f: getPrivateData + putPrivateData on the same private key, twice: 0, 11 (hashed reads are MVCC-checked)', async () => {
    await h.ledger.submit(h.platform, 'privPut', args('k3f', 'p0'));
    const t1 = await endorse('privRw', 'k3f', 'p1');
    const t2 = await endorse('privRw', 'k3f', 'p2');
    const [s1, s2] = await submitTogether(t1, t2);
    expectStatus(s1!, TxValidationCode.VALID, t1);
    expectStatus(s2!, TxValidationCode.MVCC_READ_CONFLICT, t2);
    expect(text(await h.ledger.evaluate(h.platform, 'privGet', args('k3f')))).toBe('p1');
  });

  it('3g: read-write of k after a concurrent deleteState(k): 11', async () => {
    await h.ledger.submit(h.platform, 'put', args('k3g', 'v0'));
    const t = await endorse('rw', 'k3g', 'A');
    await h.ledger.submit(h.platform, 'del', args('k3g'));
    expectStatus(await statusOf(t), TxValidationCode.MVCC_READ_CONFLICT, t);
    expect(await get('k3g')).toBe('');
  });

  it('3h: read-write of k after a concurrent rewrite with the identical value: 11 (version = height, not value)', async () => {
    await h.ledger.submit(h.platform, 'put', args('k3h', 'same'));
    const t = await endorse('rw', 'k3h', 'new');
    await h.ledger.submit(h.platform, 'put', args('k3h', 'same'));
    expectStatus(await statusOf(t), TxValidationCode.MVCC_READ_CONFLICT, t);
    expect(await get('k3h')).toBe('same');
  });

  it('3i: resubmitting a committed tx: a DUPLICATE_TXID (9) copy lands in a later block; getStatus reports the original', async () => {
    const t = await endorse('put', 'k3i', 'v');
    const first = await statusOf(t);
    expectStatus(first, TxValidationCode.VALID, t);
    const again = await t.submit();
    const second = await again.getStatus();
    expect(second).toMatchObject({
      transactionId: t.transactionId,
      code: TxValidationCode.VALID,
      successful: true,
      blockNumber: first.blockNumber,
    });
    let copies: { blockNumber: bigint; code: number | undefined }[] = [];
    for (let i = 0; i < 100 && copies.length < 2; i++) {
      copies = await findTransaction(h.ledger, t.transactionId, first.blockNumber);
      if (copies.length < 2) await sleep(30);
    }
    expect(copies).toHaveLength(2);
    expect(copies[0]).toEqual({ blockNumber: first.blockNumber, code: TxValidationCode.VALID });
    expect(copies[1]!.blockNumber).toBeGreaterThan(first.blockNumber);
    expect(copies[1]!.code).toBe(TxValidationCode.DUPLICATE_TXID);
    expect(await get('k3i')).toBe('v');
  });
});

describe("a proposal whose transaction is already on the ledger (Fabric's endorser, preProcess)", () => {
  const h = useLedger();
  const nonce = (): Uint8Array => randomBytes(24);

  it('is refused at endorsement, naming the transaction and its creator; nothing is ordered', async () => {
    const chosen = nonce();
    const first = await h.ledger.submit(h.platform, 'put', { ...args('kdup', 'v1'), nonce: chosen });
    const height = h.ledger.height();
    const error = await caught(h.ledger.submit(h.platform, 'put', { ...args('kdup', 'v2'), nonce: chosen }));
    expect(error).toBeInstanceOf(EndorseError);
    expect((error as EndorseError).code).toBe(10);
    expect((error as EndorseError).details.map((d) => d.message)).toEqual([
      expect.stringMatching(
        new RegExp(`^duplicate transaction found \\[${first.transactionId}\\]\\. Creator \\[[0-9a-f]+\\]$`),
      ),
    ]);
    expect(duplicateTransactionId(error)).toBe(first.transactionId);
    expect(h.ledger.height()).toBe(height);
    expect(text(await h.ledger.evaluate(h.platform, 'get', args('kdup')))).toBe('v1');
  });

  it('names the same transaction id for the same nonce and creator, another for another creator', async () => {
    const chosen = nonce();
    const [a, b] = [
      await h.ledger.endorse(h.platform, 'get', { ...args('kdup'), nonce: chosen }),
      await h.ledger.endorse(h.post, 'get', { ...args('kdup'), nonce: chosen }),
    ];
    expect(
      (await h.ledger.endorse(h.platform, 'get', { ...args('kdup'), nonce: chosen })).transactionId,
    ).toBe(a.transactionId);
    expect(b.transactionId).not.toBe(a.transactionId);
  });

  it('is found with its validation code, block and result: valid or not; an id no block holds is not', async () => {
    await h.ledger.submit(h.platform, 'put', args('kdup2', 'v0'));
    const winner = await h.ledger.endorse(h.platform, 'rw', { ...args('kdup2', 'A'), nonce: nonce() });
    const loser = await h.ledger.endorse(h.platform, 'rw', { ...args('kdup2', 'B'), nonce: nonce() });
    const [won, lost] = await submitTogether(winner, loser);
    expect(await h.ledger.committedTransaction(h.platform, winner.transactionId)).toEqual({
      transactionId: winner.transactionId,
      blockNumber: won!.blockNumber,
      code: TxValidationCode.VALID,
      result: Buffer.from('v0'),
    });
    expect(await h.ledger.committedTransaction(h.platform, loser.transactionId)).toMatchObject({
      blockNumber: lost!.blockNumber,
      code: TxValidationCode.MVCC_READ_CONFLICT,
    });
    expect(await h.ledger.committedTransaction(h.platform, 'f'.repeat(64))).toBeUndefined();
  });
});

describe('4 phantom reads', () => {
  const h = useLedger();
  const put = (k: string, v: string): Promise<unknown> => h.ledger.submit(h.platform, 'put', args(k, v));

  beforeAll(async () => {
    const keys = ['a4/1', 'a4/2', 'b4/1', 'b4/2', 'c4/1', 'c4/2', 'd4/1', 'd4/2', 'e4/1', 'e4/2'];
    await h.ledger.submit(h.platform, 'putMany', args(JSON.stringify(keys.map((k) => [k, 'v']))));
    await h.ledger.submit(h.platform, 'putComposites', args(JSON.stringify([['t4f', ['1']]])));
  });

  /** A = range query [start, end) + write, endorsed; B committed; then A is submitted. */
  async function phantom(prefix: string, b: () => Promise<unknown>): Promise<CommitStatus> {
    const a = await h.ledger.endorse(
      h.platform,
      'rangeThenPut',
      args(`${prefix}/`, `${prefix}0`, `out-${prefix}`),
    );
    expect(json<string[]>(a.result)).toEqual([`${prefix}/1`, `${prefix}/2`]);
    await b();
    const status = await statusOf(a);
    expect(status.transactionId).toBe(a.transactionId);
    return status;
  }

  it('4a: B inserts a key inside A’s range, committed first: A = PHANTOM_READ_CONFLICT (12)', async () => {
    expectStatus(await phantom('a4', () => put('a4/15', 'new')), TxValidationCode.PHANTOM_READ_CONFLICT);
  });

  it('4b: B updates an existing key inside A’s range: A = 12 (not 11)', async () => {
    expectStatus(await phantom('b4', () => put('b4/1', 'changed')), TxValidationCode.PHANTOM_READ_CONFLICT);
  });

  it('4c: B deletes a key inside the range: A = 12', async () => {
    expectStatus(
      await phantom('c4', () => h.ledger.submit(h.platform, 'del', args('c4/1'))),
      TxValidationCode.PHANTOM_READ_CONFLICT,
    );
  });

  it('4d: B rewrites a key in the range with the identical value: A = 12', async () => {
    expectStatus(await phantom('d4', () => put('d4/1', 'v')), TxValidationCode.PHANTOM_READ_CONFLICT);
  });

  it('4e: B inserts a key equal to the (exclusive) end key: A = VALID', async () => {
    expectStatus(await phantom('e4', () => put('e40', 'v')), TxValidationCode.VALID);
  });

  it('4f: getStateByPartialCompositeKey(type, []) + write; B inserts a composite key of that type: A = 12', async () => {
    const a = await h.ledger.endorse(h.platform, 'partialThenPut', args('t4f', 'out-4f'));
    expect(text(a.result)).toBe('1');
    await h.ledger.submit(h.platform, 'putComposites', args(JSON.stringify([['t4f', ['2']]])));
    expectStatus(await statusOf(a), TxValidationCode.PHANTOM_READ_CONFLICT, a);
  });
});

const M5A =
  'PUT_STATE failed: transaction ID: <txid>: txid [<txid>]: unsuppored transaction. Transaction has already performed queries on pvt data. Writes are not allowed';
const M5B =
  'GET_STATE_BY_RANGE failed: transaction ID: <txid>: txid [<txid>]: unsuppored transaction. Queries on pvt data is supported only in a read-only transaction';
const M5C =
  'PUT_STATE failed: transaction ID: <txid>: txid [<txid>]: unsuppored transaction. Transaction has already performed a paginated query. Writes are not allowed';
const M5D =
  'GET_STATE_BY_RANGE failed: transaction ID: <txid>: txid [<txid>]: unsuppored transaction. Paginated queries are supported only in a read-only transaction';

describe('5 private and paginated queries in writing transactions', () => {
  const h = useLedger();

  beforeAll(async () => {
    await h.ledger.submit(
      h.platform,
      'putMany',
      args(JSON.stringify(shuffled(SIMPLE_KEYS).map((k) => [k, 'v']))),
    );
    await h.ledger.submit(h.platform, 'privPut', args('p5a', 'x'));
    await h.ledger.submit(h.platform, 'privPut', args('p5b', 'y'));
  });

  const probes: { row: string; fn: string; a: string[]; msg: string }[] = [
    { row: '5a', fn: 'privRangeThenPut', a: ['range', 'public'], msg: M5A },
    { row: '5a', fn: 'privRangeThenPut', a: ['range', 'private'], msg: M5A },
    { row: '5a', fn: 'privRangeThenPut', a: ['partial', 'public'], msg: M5A },
    { row: '5a', fn: 'privRangeThenPut', a: ['partial', 'private'], msg: M5A },
    { row: '5b', fn: 'putThenPrivRange', a: [], msg: M5B },
    { row: '5c', fn: 'paginatedThenPut', a: [], msg: M5C },
    { row: '5d', fn: 'putThenPaginated', a: [], msg: M5D },
  ];

  it('5a: getPrivateDataByRange / ByPartialCompositeKey, then putState or putPrivateData: the write fails', async () => {
    for (const p of probes.filter((x) => x.row === '5a')) {
      await expectEvaluateError(h.ledger.evaluate(h.platform, p.fn, args(...p.a)), p.msg, PLATFORM);
    }
  });

  it('5b: putState, then getPrivateDataByRange: the query fails', async () => {
    await expectEvaluateError(h.ledger.evaluate(h.platform, 'putThenPrivRange'), M5B, PLATFORM);
  });

  it('5c: getStateByRangeWithPagination, then putState: the write fails', async () => {
    await expectEvaluateError(h.ledger.evaluate(h.platform, 'paginatedThenPut'), M5C, PLATFORM);
  });

  it('5d: putState, then getStateByRangeWithPagination: the query fails', async () => {
    await expectEvaluateError(h.ledger.evaluate(h.platform, 'putThenPaginated'), M5D, PLATFORM);
  });

  it('5e: submit gives the same messages: one detail per endorser with endorsingOrganizations; nothing ordered', async () => {
    const height = h.ledger.height();
    for (const p of probes) {
      await expectEndorseError(
        h.ledger.submit(h.platform, p.fn, orgs([PLATFORM, CUSTOMS], ...p.a)),
        'collect',
        `chaincode response 500, ${p.msg}`,
        [CUSTOMS, PLATFORM],
      );
      await expectEndorseError(
        h.ledger.submit(h.platform, p.fn, args(...p.a)),
        'endorse',
        `chaincode response 500, ${p.msg}`,
        [PLATFORM],
      );
    }
    expect(h.ledger.height()).toBe(height);
  });

  it('5e: a chaincode that catches the failed putState returns normally: VALID, with no write', async () => {
    const tx = await h.ledger.endorse(h.platform, 'catchFailedPut', args('k5e'));
    expect(text(tx.result)).toMatch(exact(`caught: ${M5C}`));
    expectStatus(await statusOf(tx), TxValidationCode.VALID, tx);
    expect(text(await h.ledger.evaluate(h.platform, 'get', args('k5e')))).toBe('');
  });

  it('5f: a private range query only, or pagination only, works in evaluate and in a submitted tx (VALID)', async () => {
    expect(json(await h.ledger.evaluate(h.platform, 'privRange'))).toEqual(['p5a', 'p5b']);
    const ptx = await h.ledger.endorse(h.platform, 'privRange');
    expect(json(ptx.result)).toEqual(['p5a', 'p5b']);
    expectStatus(await statusOf(ptx), TxValidationCode.VALID, ptx);

    const page = { keys: ['B', 'a'], metadata: { fetchedRecordsCount: 2, bookmark: 'a b' } };
    expect(json(await h.ledger.evaluate(h.platform, 'paginated', args('', '', '2', '')))).toEqual(page);
    const tx = await h.ledger.endorse(h.platform, 'paginated', args('', '', '2', ''));
    expect(json(tx.result)).toEqual(page);
    expectStatus(await statusOf(tx), TxValidationCode.VALID, tx);
  });

  it('5g: getQueryResult (rich query) on LevelDB fails in evaluate and submit', async () => {
    const msg = 'GET_QUERY_RESULT failed: transaction ID: <txid>: ExecuteQuery not supported for leveldb';
    await expectEvaluateError(h.ledger.evaluate(h.platform, 'richQuery'), msg, PLATFORM);
    await expectEndorseError(
      h.ledger.submit(h.platform, 'richQuery'),
      'endorse',
      `chaincode response 500, ${msg}`,
    );
  });
});

describe('6 private data hash on non-members', () => {
  const h = useLedger();
  const value = 'secret-6';
  let setupBlock = 0n;

  beforeAll(async () => {
    setupBlock = BigInt((await h.ledger.submit(h.platform, 'privPut', args('k6', value))).blockNumber);
  });

  it('6: getPrivateDataHash works on the Post peer for a Post client: sha256(value), the same on every peer', async () => {
    const expected = { isBuffer: true, length: 32, hex: sha256(value).toString('hex') };
    expect(json(await h.ledger.evaluate(h.post, 'privHash', args('k6')))).toEqual(expected);
    expect(json(await h.ledger.evaluate(h.platform, 'privHash', args('k6')))).toEqual(expected);
    expect(json(await h.ledger.evaluate(h.customs, 'privHash', args('k6')))).toEqual(expected);
    expect(
      json(
        await h.ledger.evaluate(h.platform, 'privHash', {
          arguments: ['k6'],
          endorsingOrganizations: [POST],
        }),
      ),
    ).toEqual(expected);
  });

  it("6: getPrivateDataHash of a missing key is an empty buffer, not sha256('')", async () => {
    expect(json(await h.ledger.evaluate(h.post, 'privHash', args('missing-6')))).toEqual({
      isBuffer: true,
      length: 0,
      hex: '',
    });
  });

  it('6: getPrivateData on the Post peer by a Post client fails: no read access permission', async () => {
    await expectEvaluateError(
      h.ledger.evaluate(h.post, 'privHashThenGet', args('k6')),
      'GET_STATE failed: transaction ID: <txid>: tx creator does not have read access permission on privatedata in chaincodeName:kv collectionName: PlatformCustomsCollection',
      POST,
    );
  });

  it('6: getPrivateData by a Platform client on the Post peer fails: private data matching public hash version is not available', async () => {
    await expectEvaluateError(
      h.ledger.evaluate(h.platform, 'privHashThenGet', { arguments: ['k6'], endorsingOrganizations: [POST] }),
      `GET_STATE failed: transaction ID: <txid>: private data matching public hash version is not available. Public hash version = {BlockNum: ${setupBlock}, TxNum: 0}, Private data version = <nil>`,
      POST,
    );
  });
});

describe('7 events', () => {
  const h = useLedger();

  it('7a: two setEvent calls in one tx: only the last event is delivered, and the first is not in the block', async () => {
    const r = await h.ledger.submit(h.platform, 'twoEvents');
    const events = await collectEvents(h.ledger, BigInt(r.blockNumber), r.transactionId);
    const own = events.filter((e) => e.transactionId === r.transactionId);
    expect(own).toHaveLength(1);
    expect(own[0]).toMatchObject({ chaincodeName: 'kv', eventName: 'Second', blockNumber: r.blockNumber });
    expect(text(own[0]!.payload)).toBe('payload-second');
    const block = await blockBytesOf(h.ledger, BigInt(r.blockNumber));
    expect(holds(block, 'payload-second')).toBe(true);
    expect(holds(block, 'payload-first')).toBe(false);
  });

  it('7b: the event of a tx writing private data is public: delivered on the channel event stream with its payload, and in the block', async () => {
    const payload = marker('payload-7b');
    const r = await h.ledger.submit(h.platform, 'privPutWithEvent', args('k7b', 'pv-7b', payload));
    const events = await collectEvents(h.ledger, BigInt(r.blockNumber), r.transactionId);
    const own = events.find((e) => e.transactionId === r.transactionId);
    expect(own?.eventName).toBe('PrivateWritten');
    expect(text(own!.payload)).toBe(payload);
    expect(holds(await blockBytesOf(h.ledger, BigInt(r.blockNumber)), payload)).toBe(true);
  });

  it('7c: setEvent then throw: EndorseError "failed to endorse transaction", nothing ordered, no event delivered', async () => {
    const height = h.ledger.height();
    await expectEndorseError(
      h.ledger.submit(h.platform, 'eventThenThrow'),
      'endorse',
      'chaincode response 500, p7c deliberate failure after setEvent',
      [PLATFORM],
    );
    expect(h.ledger.height()).toBe(height);
    const after = await h.ledger.submit(
      h.platform,
      'putWithEvent',
      args('k7c', 'v', 'After', 'payload-after'),
    );
    const events = await collectEvents(h.ledger, BigInt(height), after.transactionId);
    expect(events.map((e) => e.eventName)).toEqual(['After']);
  });

  it('events(): one event per transaction, in commit order, replayed from a start block', async () => {
    const start = h.ledger.height();
    const submitted = [];
    for (const i of [1, 2, 3]) {
      submitted.push(
        await h.ledger.submit(h.platform, 'putWithEvent', args(`k7-${i}`, 'v', `E${i}`, `p${i}`)),
      );
    }
    const last = submitted[submitted.length - 1]!;
    const events = await collectEvents(h.ledger, BigInt(start), last.transactionId);
    expect(events.map((e) => [e.transactionId, e.eventName, text(e.payload)])).toEqual(
      submitted.map((s, i) => [s.transactionId, `E${i + 1}`, `p${i + 1}`]),
    );
    expect(events.map((e) => e.blockNumber)).toEqual(submitted.map((s) => s.blockNumber));
  });
});

interface HistoryEntry {
  fields: string[];
  txId: string;
  value: Probe;
  isDelete: boolean;
  timestamp: { seconds: number; nanos: number };
  timestampFields: string[];
  secondsType: string;
}

describe('a reader that falls behind the event stream', () => {
  const h = useLedger();

  it('still gets every event once, in commit order, while the ledger holds at most a bounded queue for it', async () => {
    const from = h.ledger.height();
    const stream = h.ledger.events({ startBlock: from })[Symbol.asyncIterator]();
    // It reads one event, then nothing while 600 more are committed.
    const first = await h.ledger.submit(h.platform, 'putWithEvent', args('kslow', 'v', 'Slow', 'slow-0'));
    expect((await stream.next()).value).toMatchObject({ transactionId: first.transactionId });
    const expected = [first.transactionId];
    for (let wave = 0; wave < 6; wave++) {
      const txs = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          h.ledger.submit(
            h.platform,
            'putWithEvent',
            args(`kslow-${wave}-${i}`, 'v', 'Slow', `slow-${wave}-${i}`),
          ),
        ),
      );
      expected.push(...txs.map((t) => t.transactionId));
    }
    const queued = (h.ledger as unknown as { listeners: Set<{ items: unknown[] }> }).listeners;
    for (const queue of queued) expect(queue.items.length).toBeLessThanOrEqual(256);
    const received: { transactionId: string; blockNumber: bigint }[] = [first];
    while (received.length < expected.length) received.push((await stream.next()).value as ChaincodeEvent);
    await stream.return?.();
    expect(new Set(received.map((e) => e.transactionId)).size).toBe(expected.length);
    expect(received.map((e) => e.transactionId).sort()).toEqual([...expected].sort());
    const order = received.map((e) => Number(e.blockNumber));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });
});

describe('8 history', () => {
  const h = useLedger();
  const history = async (k: string): Promise<HistoryEntry[]> =>
    json<HistoryEntry[]>(await h.ledger.evaluate(h.platform, 'history', args(k)));

  it('8: getHistoryForKey is newest first, one entry per committed write including deletes, fields txId/value/isDelete/timestamp', async () => {
    const writes: { txId: string; before: number; after: number; ts?: { seconds: number; nanos: number } }[] =
      [];
    const write = async (fn: string, ...a: string[]): Promise<void> => {
      const before = Date.now();
      const r = await h.ledger.submit(h.platform, fn, args(...a));
      const after = Date.now();
      const ts = fn === 'putTs' ? json<{ seconds: number; nanos: number }>(r.result) : undefined;
      writes.push({
        txId: r.transactionId,
        before,
        after,
        ts: ts && { seconds: ts.seconds, nanos: ts.nanos },
      });
    };
    await write('putTs', 'k8', 'h1');
    await write('putTs', 'k8', 'h2');
    await write('del', 'k8');
    await write('putTs', 'k8', 'h3');
    await write('putEmpty', 'k8');

    const entries = await history('k8');
    expect(entries.map((e) => e.txId)).toEqual(writes.map((w) => w.txId).reverse());
    expect(entries.map((e) => [e.isDelete, e.value.value])).toEqual([
      [true, ''],
      [false, 'h3'],
      [true, ''],
      [false, 'h2'],
      [false, 'h1'],
    ]);
    for (const [i, e] of entries.entries()) {
      const w = writes[writes.length - 1 - i]!;
      expect(e.fields).toEqual(['isDelete', 'timestamp', 'txId', 'value']);
      expect(e.value.isBuffer).toBe(true);
      expect(e.timestampFields).toEqual(['nanos', 'seconds']);
      expect(e.secondsType).toBe('number');
      expect(e.timestamp.nanos % 1e6).toBe(0);
      const ms = e.timestamp.seconds * 1000 + e.timestamp.nanos / 1e6;
      expect(ms).toBeGreaterThanOrEqual(w.before);
      expect(ms).toBeLessThanOrEqual(w.after);
      if (w.ts) expect(e.timestamp).toEqual(w.ts);
    }
  });

  it('8: two writes to the key in the same block are two entries, later tx first', async () => {
    const t1 = await h.ledger.endorse(h.platform, 'putTs', args('k8b', 'x1'));
    const t2 = await h.ledger.endorse(h.platform, 'putTs', args('k8b', 'x2'));
    const [s1, s2] = await submitTogether(t1, t2);
    expect(s1!.blockNumber).toBe(s2!.blockNumber);
    const entries = await history('k8b');
    expect(entries.map((e) => [e.txId, e.value.value])).toEqual([
      [t2.transactionId, 'x2'],
      [t1.transactionId, 'x1'],
    ]);
  });

  it('8: a never-written key has an empty history', async () => {
    expect(await history('never-written-8')).toEqual([]);
  });
});

describe('9 what lands in the block', () => {
  const h = useLedger();

  it('9: a private value returned by a submitted tx is in the block in cleartext; transient data and private values written via transient are not', async () => {
    const key = marker('k9');
    const transientName = marker('tname9');
    const value = marker('pv9');
    const setup = await h.ledger.submit(h.platform, 'privFromTransient', {
      arguments: [key],
      transientData: { [transientName]: Buffer.from(value) },
    });
    const setupBlock = await blockBytesOf(h.ledger, BigInt(setup.blockNumber));
    expect(holds(setupBlock, key), 'the key is an argument, and arguments are in the block').toBe(true);
    expect(holds(setupBlock, value), 'private value written via transient').toBe(false);
    expect(holds(setupBlock, transientName), 'transient key name').toBe(false);
    expect(holds(setupBlock, sha256(value)), 'sha256(value)').toBe(true);
    expect(holds(setupBlock, sha256(key)), 'sha256(key)').toBe(true);
    expect(holds(setupBlock, COLLECTION), 'collection name').toBe(true);

    const height = h.ledger.height();
    expect(text(await h.ledger.evaluate(h.platform, 'privReturn', args(key)))).toBe(value);
    expect(h.ledger.height(), 'evaluate orders nothing').toBe(height);

    const tx = await h.ledger.endorse(h.platform, 'privReturn', args(key));
    expect(text(tx.result)).toBe(value);
    const status = await statusOf(tx);
    expectStatus(status, TxValidationCode.VALID, tx);
    const resultBlock = await blockBytesOf(h.ledger, status.blockNumber);
    expect(holds(resultBlock, value), 'resultBlock_contains_returned_private_value').toBe(true);
    expect(holds(resultBlock, transientName)).toBe(false);
  });

  it('9: a private key that is not an argument is absent from the block: only sha256(key) and sha256(value)', async () => {
    const key = marker('tkey9');
    const value = marker('pv9b');
    const r = await h.ledger.submit(h.platform, 'privFromTransientKey', {
      transientData: { [key]: Buffer.from(value) },
    });
    const block = await blockBytesOf(h.ledger, BigInt(r.blockNumber));
    expect(holds(block, key)).toBe(false);
    expect(holds(block, value)).toBe(false);
    expect(holds(block, sha256(key))).toBe(true);
    expect(holds(block, sha256(value))).toBe(true);
    expect(holds(block, COLLECTION)).toBe(true);
    expect(text(await h.ledger.evaluate(h.customs, 'privGet', args(key)))).toBe(value);
  });
});

describe('10 non-determinism and getMspID', () => {
  const h = useLedger();

  it('10: endorsers returning different payload / write / event with [Platform, Customs]: one "ProposalResponsePayloads do not match" detail, nothing ordered', async () => {
    for (const fn of ['randomPayload', 'randomWrite', 'randomEvent']) {
      const height = h.ledger.height();
      const e = await expectEndorseError(
        h.ledger.submit(h.platform, fn, orgs([PLATFORM, CUSTOMS])),
        'collect',
        MISMATCH,
      );
      expect(e.details).toHaveLength(1);
      expect([PLATFORM, CUSTOMS]).toContain(e.details[0]!.mspId);
      expect(h.ledger.height()).toBe(height);
    }
  });

  it('10: with the default plan, the gateway tries further orgs and reports each mismatch (Customs, Post)', async () => {
    const height = h.ledger.height();
    await expectEndorseError(h.ledger.submit(h.platform, 'randomPayload'), 'collect', MISMATCH, [
      CUSTOMS,
      POST,
    ]);
    expect(h.ledger.height()).toBe(height);
  });

  it("10b: getMspID() returns the endorsing peer's MSP id (differs on purpose: Fabric CCaaS throws 'CORE_PEER_LOCALMSPID is unset in chaincode process')", async () => {
    expect(text(await h.ledger.evaluate(h.platform, 'mspId'))).toBe(PLATFORM);
    expect(text(await h.ledger.evaluate(h.post, 'mspId'))).toBe(POST);
    expect(text(await h.ledger.evaluate(h.customs, 'mspId'))).toBe(CUSTOMS);
    expect(text(await h.ledger.evaluate(h.platform, 'mspId', orgs([CUSTOMS])))).toBe(CUSTOMS);
    // as with one chaincode server per organisation: each endorser returns its own id, so payloads differ
    await expectEndorseError(
      h.ledger.submit(h.platform, 'mspId', orgs([PLATFORM, CUSTOMS])),
      'collect',
      MISMATCH,
    );
  });
});

describe('11 state-based endorsement', () => {
  const h = useLedger();
  const put = (endorsers: string[] | undefined, k: string, v: string): Promise<unknown> =>
    h.ledger.submit(h.platform, 'put', endorsers ? orgs(endorsers, k, v) : args(k, v));
  const get = async (k: string): Promise<string> => text(await h.ledger.evaluate(h.platform, 'get', args(k)));
  const sbe = async (k: string): Promise<{ length: number; hex: string; orgs: string[] }> =>
    json(await h.ledger.evaluate(h.platform, 'sbeGet', args(k)));

  it("11a: putState + setStateValidationParameter(addOrgs('PEER','CustomsMSP')): VALID under MAJORITY; 28-byte policy", async () => {
    const tx = await h.ledger.endorse(h.platform, 'sbeSet', args('k11', CUSTOMS));
    expectStatus(await statusOf(tx), TxValidationCode.VALID, tx);
    expect(await sbe('k11')).toEqual({
      length: 28,
      hex: '120812060801120208001a10120e0a0a437573746f6d734d53501003',
      orgs: [CUSTOMS],
    });
  });

  it('11b: update of the SBE key endorsed by [Platform]: endorsement succeeds, commit ENDORSEMENT_POLICY_FAILURE (10)', async () => {
    const tx = await h.ledger.endorse(h.platform, 'put', orgs([PLATFORM], 'k11', 'b'));
    expectStatus(await statusOf(tx), TxValidationCode.ENDORSEMENT_POLICY_FAILURE, tx);
    await expectCommitError(put([PLATFORM], 'k11', 'b'), TxValidationCode.ENDORSEMENT_POLICY_FAILURE);
    expect(await get('k11')).toBe('sbe');
  });

  it('11c: update endorsed by [Platform, Post] (MAJORITY met, key policy not): 10', async () => {
    await expectCommitError(put([PLATFORM, POST], 'k11', 'c'), TxValidationCode.ENDORSEMENT_POLICY_FAILURE);
    expect(await get('k11')).toBe('sbe');
  });

  it('11d: update endorsed by [Customs] only (key policy met, MAJORITY not): VALID', async () => {
    await put([CUSTOMS], 'k11', 'd');
    expect(await get('k11')).toBe('d');
  });

  it('11e: update with the default gateway plan: VALID (the plan includes Customs)', async () => {
    await put(undefined, 'k11', 'e');
    expect(await get('k11')).toBe('e');
  });

  it('11f: SBE key + plain key: [Customs] → 10, [Platform, Customs] → VALID (each key its own policy)', async () => {
    await expectCommitError(
      h.ledger.submit(h.platform, 'putTwo', orgs([CUSTOMS], 'k11', 'plain11f', 'f1')),
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
    );
    expect(await get('plain11f')).toBe('');
    await h.ledger.submit(h.platform, 'putTwo', orgs([PLATFORM, CUSTOMS], 'k11', 'plain11f', 'f2'));
    expect(await get('k11')).toBe('f2');
    expect(await get('plain11f')).toBe('f2');
  });

  it('11g: delete of the SBE key: [Platform, Post] → 10, [Customs] → VALID, parameter gone, re-create with [Platform, Post] VALID', async () => {
    await expectCommitError(
      h.ledger.submit(h.platform, 'del', orgs([PLATFORM, POST], 'k11')),
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
    );
    expect(await get('k11')).toBe('f2');
    await h.ledger.submit(h.platform, 'del', orgs([CUSTOMS], 'k11'));
    expect(await get('k11')).toBe('');
    expect(await sbe('k11')).toEqual({ length: 0, hex: '', orgs: [] });
    await put([PLATFORM, POST], 'k11', 'g');
    expect(await get('k11')).toBe('g');
  });

  it('11h: a plain key, or putPrivateData, endorsed by [Platform] only: 10 (MAJORITY)', async () => {
    await expectCommitError(put([PLATFORM], 'plain11h', 'h'), TxValidationCode.ENDORSEMENT_POLICY_FAILURE);
    expect(await get('plain11h')).toBe('');
    await expectCommitError(
      h.ledger.submit(h.platform, 'privPut', orgs([PLATFORM], 'p11h', 'h')),
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
    );
  });
});

describe('12 timestamps', () => {
  const h = useLedger();
  interface Ts {
    seconds: number;
    secondsIsLong: boolean;
    nanos: number;
    dateMs: number;
  }

  function expectClientTime(ts: Ts, before: number, after: number): void {
    expect(ts.secondsIsLong, 'getTxTimestamp().seconds is a protobuf Long').toBe(true);
    expect(ts.nanos % 1e6, 'ms precision').toBe(0);
    const ms = ts.seconds * 1000 + ts.nanos / 1e6;
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after);
    expect(ts.dateMs, 'getDateTimestamp() is the same instant').toBe(ms);
  }

  it("12: getTxTimestamp() is the client's proposal time (ms precision, seconds a Long), in evaluate", async () => {
    const before = Date.now();
    const ts = json<Ts>(await h.ledger.evaluate(h.platform, 'txTimestamp'));
    expectClientTime(ts, before, Date.now());
  });

  it('12: getTxTimestamp() is fixed by the proposal, not the endorsement: three endorsers agree', async () => {
    const before = Date.now();
    const r = await h.ledger.submit(h.platform, 'txTimestamp', orgs([PLATFORM, CUSTOMS, POST]));
    expectClientTime(json<Ts>(r.result), before, Date.now());
  });
});

describe('13 failure after putState', () => {
  const h = useLedger();
  const msg = 'p13 deliberate failure after putState';

  it('13: putState + setEvent then throw: EndorseError, nothing ordered, key not written, no event', async () => {
    const height = h.ledger.height();
    const e = await expectEndorseError(
      h.ledger.submit(h.platform, 'putEventThrow', args('k13')),
      'endorse',
      `chaincode response 500, ${msg}`,
      [PLATFORM],
    );
    expect(chaincodeMessage(e)).toBe(msg);
    expect(h.ledger.height()).toBe(height);
    expect(text(await h.ledger.evaluate(h.platform, 'get', args('k13')))).toBe('');
    const after = await h.ledger.submit(h.platform, 'putWithEvent', args('k13-after', 'v', 'After13', 'p'));
    const events = await collectEvents(h.ledger, BigInt(height), after.transactionId);
    expect(events.map((ev) => ev.eventName)).toEqual(['After13']);
  });

  it('13: the same call in evaluate: "2 UNKNOWN: evaluate call to endorser returned error: chaincode response 500, p13 …"', async () => {
    const e = await expectEvaluateError(
      h.ledger.evaluate(h.platform, 'putEventThrow', args('k13')),
      msg,
      PLATFORM,
    );
    expect(e.message).toBe(`${EVALUATE_PREFIX}${msg}`);
  });
});

describe('14 private data endorsement with peers down', () => {
  const h = useLedger();
  const transient = (v: string): ProposalOptions['transientData'] => ({ secret: Buffer.from(v) });

  async function withCustomsDown(fn: () => Promise<void>): Promise<void> {
    h.ledger.setPeerAvailable(CUSTOMS, false);
    try {
      await fn();
    } finally {
      h.ledger.setPeerAvailable(CUSTOMS, true);
    }
  }

  it('14a: MAJORITY + transient + putPrivateData, no endorsingOrganizations, all peers up: VALID (member orgs chosen)', async () => {
    for (const i of [1, 2, 3]) {
      const tx = await h.ledger.endorse(h.platform, 'privFromTransient', {
        arguments: [`k14a-${i}`],
        transientData: transient(`v14a-${i}`),
      });
      expectStatus(await statusOf(tx), TxValidationCode.VALID, tx);
    }
    await h.ledger.submit(h.customs, 'privFromTransient', {
      arguments: ['k14a-customs'],
      transientData: transient('v14a-customs'),
    });
    expect(text(await h.ledger.evaluate(h.platform, 'privGet', args('k14a-2')))).toBe('v14a-2');
    expect(text(await h.ledger.evaluate(h.platform, 'privGet', args('k14a-customs')))).toBe('v14a-customs');
  });

  it('14b: as 14a with the Customs peer down: 9 FAILED_PRECONDITION, transient data protected, nothing ordered', async () => {
    await withCustomsDown(async () => {
      const height = h.ledger.height();
      const err = await caught(
        h.ledger.submit(h.platform, 'privFromTransient', {
          arguments: ['k14b'],
          transientData: transient('v14b'),
        }),
      );
      expect(err).toBeInstanceOf(EndorseError);
      const e = err as EndorseError;
      expect(e.code).toBe(9);
      expect(e.message).toBe(
        '9 FAILED_PRECONDITION: requires endorsement from organisation(s) that are not in the distribution policy of the private data collection(s): [PlatformCustomsCollection]; retry specifying trusted endorsing organizations to protect transient data',
      );
      expect(h.ledger.height()).toBe(height);
    });
  });

  it('14c: Customs down, endorsingOrganizations [Platform, Customs]: 14 UNAVAILABLE', async () => {
    await withCustomsDown(async () => {
      const err = await caught(h.ledger.submit(h.platform, 'put', orgs([PLATFORM, CUSTOMS], 'k14c', 'v')));
      expect(err).toBeInstanceOf(EndorseError);
      const e = err as EndorseError;
      expect(e.code).toBe(14);
      expect(e.message).toBe('14 UNAVAILABLE: failed to find any endorsing peers for org(s): CustomsMSP');
    });
  });

  it('14d: Customs down, transient data but no private write, no orgs: VALID (Platform + Post)', async () => {
    await withCustomsDown(async () => {
      const tx = await h.ledger.endorse(h.platform, 'put', {
        arguments: ['k14d', 'v'],
        transientData: transient('t'),
      });
      expectStatus(await statusOf(tx), TxValidationCode.VALID, tx);
    });
    expect(text(await h.ledger.evaluate(h.platform, 'get', args('k14d')))).toBe('v');
  });

  it('14e: a Post client (non-member) putPrivateData fails at simulation on every endorser', async () => {
    const detail =
      'chaincode response 500, PUT_STATE failed: transaction ID: <txid>: tx creator does not have write access permission on privatedata in chaincodeName:kv collectionName: PlatformCustomsCollection';
    await expectEndorseError(h.ledger.submit(h.post, 'privPut', args('k14e', 'v')), 'endorse', detail, [
      POST,
    ]);
    await expectEndorseError(
      h.ledger.submit(h.post, 'privPut', orgs([PLATFORM, CUSTOMS], 'k14e', 'v')),
      'collect',
      detail,
      [CUSTOMS, PLATFORM],
    );
  });

  it('14f: reading private data with [Platform, Post]: Post cannot serve it; the default plan is VALID', async () => {
    const setup = await h.ledger.submit(h.platform, 'privPut', args('k14f', 'v14f'));
    await expectEndorseError(
      h.ledger.submit(h.platform, 'privGet', orgs([PLATFORM, POST], 'k14f')),
      'collect',
      `chaincode response 500, GET_STATE failed: transaction ID: <txid>: private data matching public hash version is not available. Public hash version = {BlockNum: ${setup.blockNumber}, TxNum: 0}, Private data version = <nil>`,
      [POST],
    );
    const tx = await h.ledger.endorse(h.platform, 'privGet', args('k14f'));
    expect(text(tx.result)).toBe('v14f');
    expectStatus(await statusOf(tx), TxValidationCode.VALID, tx);
  });
});

// ------------------------------------------------------------------------------- beyond the table

describe('privacy: private data for members, its hash for everyone', () => {
  const h = useLedger();

  it('private data is readable only by members; its hash by every client on every peer', async () => {
    await h.ledger.submit(h.platform, 'privPut', args('kp', 'member-secret'));
    expect(text(await h.ledger.evaluate(h.platform, 'privGet', args('kp')))).toBe('member-secret');
    expect(text(await h.ledger.evaluate(h.customs, 'privGet', args('kp')))).toBe('member-secret');
    await expectEvaluateError(
      h.ledger.evaluate(h.post, 'privGet', args('kp')),
      'GET_STATE failed: transaction ID: <txid>: tx creator does not have read access permission on privatedata in chaincodeName:kv collectionName: PlatformCustomsCollection',
      POST,
    );
    const hash = { isBuffer: true, length: 32, hex: sha256('member-secret').toString('hex') };
    for (const client of [h.platform, h.post, h.customs]) {
      expect(json(await h.ledger.evaluate(client, 'privHash', args('kp')))).toEqual(hash);
    }
  });
});

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

describe('transient data is never persisted', () => {
  let dataDir = '';
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('no file under dataDir holds a transient name or value after submit, endorse and evaluate (arguments do)', async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'fidelity-transient-'));
    const h = await openHarness(dataDir);
    const argMarker = marker('public-arg');
    const secrets = [marker('tname-a'), marker('tvalue-a'), marker('tname-b'), marker('tvalue-b')];
    const [nameA, valueA, nameB, valueB] = secrets as [string, string, string, string];
    try {
      await h.ledger.submit(h.platform, 'put', {
        arguments: ['k-transient', argMarker],
        transientData: { [nameA]: Buffer.from(valueA) },
      });
      await h.ledger.evaluate(h.platform, 'get', {
        arguments: ['k-transient'],
        transientData: { [nameB]: Buffer.from(valueB) },
      });
      await h.ledger.endorse(h.platform, 'put', {
        arguments: ['k-transient-2', 'v'],
        transientData: { [nameB]: Buffer.from(valueB) },
      });
      // a private write from transient: the private value is persisted (private store), its transient name is not
      await h.ledger.submit(h.platform, 'privFromTransient', {
        arguments: ['k-transient-p'],
        transientData: { [nameB]: Buffer.from('private-value') },
      });
    } finally {
      await h.ledger.close();
    }
    const files = await filesUnder(dataDir);
    expect(files.length).toBeGreaterThan(0);
    const contents = await Promise.all(files.map((f) => readFile(f)));
    expect(
      contents.some((c) => holds(c, argMarker)),
      'positive control: an argument marker is found in the raw files',
    ).toBe(true);
    for (const secret of secrets) {
      const leaking = files.filter((_, i) => holds(contents[i]!, secret));
      expect(leaking, `transient marker ${secret}`).toEqual([]);
    }
  });
});

describe('blocks are hash-chained', () => {
  let dataDir = '';
  let reopened: Ledger | undefined;
  afterAll(async () => {
    await reopened?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('verifyChain() is ok; flipping one byte of a stored block makes it report that block number', async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'fidelity-chain-'));
    const h = await openHarness(dataDir);
    const tamperMarker = marker('tamper');
    let target = 0n;
    let stored: Uint8Array;
    try {
      await h.ledger.submit(h.platform, 'put', args('c1', 'v1'));
      target = BigInt((await h.ledger.submit(h.platform, 'put', args('c2', tamperMarker))).blockNumber);
      await h.ledger.submit(h.platform, 'put', args('c3', 'v3'));
      const verdict = (await h.ledger.verifyChain()) as { ok: boolean; height?: bigint | number };
      expect(verdict.ok).toBe(true);
      expect(BigInt(verdict.height!)).toBe(BigInt(h.ledger.height()));
      expect(BigInt(h.ledger.height())).toBeGreaterThan(target + 1n);
      stored = Buffer.from(await blockBytesOf(h.ledger, target));
    } finally {
      await h.ledger.close();
    }

    const db = new Level<Uint8Array, Uint8Array>(path.join(dataDir, LEDGER_DB_DIR), {
      keyEncoding: 'view',
      valueEncoding: 'view',
    });
    await db.open();
    try {
      const prefix = Buffer.from(BLOCK_KEY_PREFIX, 'utf8');
      let found: { key: Uint8Array; value: Buffer } | undefined;
      for await (const [key, value] of db.iterator()) {
        const k = Buffer.from(key);
        if (k.subarray(0, prefix.length).equals(prefix) && Buffer.from(value).equals(stored)) {
          found = { key, value: Buffer.from(value) };
        }
      }
      expect(found, `block ${target} stored under prefix ${JSON.stringify(BLOCK_KEY_PREFIX)}`).toBeDefined();
      // flip a byte inside the block's data (the argument marker, in whichever encoding it is stored)
      const latin1 = found!.value.toString('latin1');
      const at = encodings(tamperMarker)
        .map((needle) => latin1.indexOf(needle))
        .find((i) => i >= 0);
      const index = (at ?? Math.floor(found!.value.length / 2)) + 2;
      const tampered = Buffer.from(found!.value);
      tampered[index] = tampered[index]! ^ 0x01;
      await db.put(found!.key, tampered);
    } finally {
      await db.close();
    }

    reopened = await EmbeddedLedger.open(probeLedgerOptions(dataDir));
    const verdict = (await reopened.verifyChain()) as {
      ok: boolean;
      blockNumber?: bigint | number;
      reason?: string;
    };
    expect(verdict.ok).toBe(false);
    expect(BigInt(verdict.blockNumber!)).toBe(target);
    expect(typeof verdict.reason).toBe('string');
  });
});

describe("the endorser authenticates the proposal's creator", () => {
  const h = useLedger();
  let foreignDir = '';
  afterAll(async () => {
    if (foreignDir) await rm(foreignDir, { recursive: true, force: true });
  });

  const unauthenticated = /^access denied: creator PlatformMSP could not be authenticated$/;

  async function expectRefused(identity: ClientIdentity, refusal = unauthenticated): Promise<void> {
    const height = h.ledger.height();
    for (const attempt of [
      () => h.ledger.evaluate(identity, 'get', args('auth-k')),
      () => h.ledger.submit(identity, 'put', args('auth-k', 'forged')),
    ]) {
      const error = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).code).toBe(10);
      expect((error as GatewayError).detail).toMatch(refusal);
    }
    expect(h.ledger.height()).toBe(height);
  }

  it("refuses a signature by a key that is not the certificate's, every time, though that certificate's own identity was accepted before", async () => {
    await h.ledger.submit(h.platform, 'put', args('auth-k', 'genuine'));
    const dave = await h.ledger.enrolUser(PLATFORM, 'dave', { role: 'operator' });
    const forged: ClientIdentity = {
      mspId: PLATFORM,
      certificate: h.platform.certificate,
      sign: (message) => dave.sign(message),
    };
    await expectRefused(forged);
    await expectRefused(forged);
    expect(text(await h.ledger.evaluate(h.platform, 'get', args('auth-k')))).toBe('genuine');
  });

  it('refuses a proposal by an identity whose certificate has expired, without a write', async () => {
    await h.ledger.submit(h.platform, 'put', args('auth-e', 'made in time'));
    await withClockAhead(ELEVEN_YEARS_MS, () =>
      expectRefused(
        h.platform,
        /^access denied: creator PlatformMSP identity expired \(its certificate's validity ended at \d{4}-/,
      ),
    );
    // Refused for its time, not for good: back within its validity, the same identity reads.
    expect(text(await h.ledger.evaluate(h.platform, 'get', args('auth-e')))).toBe('made in time');
  });

  it('signs every submission, and an evaluation only until the identity has proven its key', async () => {
    const messages: Uint8Array[] = [];
    const counted: ClientIdentity = {
      mspId: PLATFORM,
      certificate: h.platform.certificate,
      sign: (message) => {
        messages.push(message);
        return h.platform.sign(message);
      },
    };
    await h.ledger.submit(h.platform, 'put', args('auth-s', 'v1'));
    expect(text(await h.ledger.evaluate(counted, 'get', args('auth-s')))).toBe('v1');
    expect(messages).toHaveLength(1);
    expect(text(await h.ledger.evaluate(counted, 'get', args('auth-s')))).toBe('v1');
    expect(text(await h.ledger.evaluate(counted, 'get', args('auth-s')))).toBe('v1');
    expect(messages).toHaveLength(1);
    await h.ledger.submit(counted, 'put', args('auth-s', 'v2'));
    await h.ledger.submit(counted, 'put', args('auth-s', 'v3'));
    expect(messages).toHaveLength(3);
    expect(text(await h.ledger.evaluate(counted, 'get', args('auth-s')))).toBe('v3');
    expect(messages).toHaveLength(3);
  });

  it("refuses a certificate its organisation's CA did not issue, with a signature that matches it", async () => {
    foreignDir = await mkdtemp(path.join(os.tmpdir(), 'fidelity-foreign-'));
    const foreign = await EmbeddedLedger.open(probeLedgerOptions(foreignDir));
    try {
      await expectRefused(await foreign.enrolUser(PLATFORM, 'mallory', { role: 'operator' }));
    } finally {
      await foreign.close();
    }
  });
});
