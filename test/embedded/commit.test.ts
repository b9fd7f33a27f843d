/**
 * The embedded ledger's commit path and validator where the conformance table of FABRIC-SEMANTICS.md
 * is silent, checked against Fabric 2.5's source: a block is committed once its batch is written;
 * a read of a key an earlier transaction of the same block wrote is a conflict; a private query on a
 * peer outside the collection finds nothing; a range over plain keys sees every commit; a key-level
 * endorsement policy is stored together with its key's value, and one that an earlier transaction of
 * the block writes is not used; a paginated query, which a submitted read-only transaction may make,
 * is re-checked for phantom reads. Each group opens a real ledger on LevelDB, with the fidelity suite's
 * probe chaincode.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Contract, type Context } from 'fabric-contract-api';
import { KeyEndorsementPolicy } from 'fabric-shim';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  EmbeddedLedger,
  PURGE_COMPACTION_FAILED,
  type EmbeddedLedgerOptions,
} from '../../gateway/src/ledger/embedded/embedded-ledger.js';
import { CommitLock } from '../../gateway/src/ledger/embedded/commit-lock.js';
import type { LedgerStore } from '../../gateway/src/ledger/embedded/store.js';
import {
  TxValidationCode,
  type ClientIdentity,
  type CommitStatus,
  type EndorsedTransaction,
  type ProposalOptions,
} from '../../gateway/src/ledger/port.js';
import { problemFromLedgerError } from '../../gateway/src/http/ledger-errors.js';
import { filesContaining } from '../support/files.js';
import { COLLECTION, CUSTOMS, PLATFORM, POST, probeLedgerOptions } from '../support/probe-ledger.js';

/** What the probe chaincode lacks: a purge, and a read-only private partial composite key query. */
class PrivateProbe extends Contract {
  constructor() {
    super('pvt');
  }

  async purge(ctx: Context, key: string): Promise<void> {
    await ctx.stub.purgePrivateData(COLLECTION, key);
  }

  async putComposite(ctx: Context, objectType: string, attribute: string, value: string): Promise<void> {
    await ctx.stub.putPrivateData(
      COLLECTION,
      ctx.stub.createCompositeKey(objectType, [attribute]),
      Buffer.from(value),
    );
  }

  /** getPrivateDataByPartialCompositeKey(objectType, []): [attribute, value] pairs, as JSON. */
  async partial(ctx: Context, objectType: string): Promise<string> {
    const found: [string, string][] = [];
    for await (const { key, value } of ctx.stub.getPrivateDataByPartialCompositeKey(
      COLLECTION,
      objectType,
      [],
    )) {
      found.push([ctx.stub.splitCompositeKey(key).attributes[0]!, Buffer.from(value).toString('utf8')]);
    }
    return JSON.stringify(found);
  }
}

/** A policy requiring a peer of `org`, as the probe chaincode's sbeSet writes it. */
function peerOf(org: string): Uint8Array {
  const policy = new KeyEndorsementPolicy();
  policy.addOrgs('PEER', org);
  return policy.getPolicy();
}

/** What the probe chaincode lacks: validation parameters written without the key's value. */
class ParameterProbe extends Contract {
  constructor() {
    super('sbe');
  }

  async set(ctx: Context, key: string, org: string): Promise<void> {
    await ctx.stub.setStateValidationParameter(key, peerOf(org));
  }

  async deleteAndSet(ctx: Context, key: string, org: string): Promise<void> {
    await ctx.stub.deleteState(key);
    await ctx.stub.setStateValidationParameter(key, peerOf(org));
  }

  async readThenSet(ctx: Context, readKey: string, key: string, org: string): Promise<void> {
    await ctx.stub.getState(readKey);
    await ctx.stub.setStateValidationParameter(key, peerOf(org));
  }

  async setPrivate(ctx: Context, key: string, org: string): Promise<void> {
    await ctx.stub.setPrivateDataValidationParameter(COLLECTION, key, peerOf(org));
  }
}

/** What the probe chaincode lacks: a paginated partial composite key query. */
class PageProbe extends Contract {
  constructor() {
    super('page');
  }

  /** A page of getStateByPartialCompositeKeyWithPagination(objectType, []): the first attributes and the bookmark, as JSON. */
  async partial(ctx: Context, objectType: string, pageSize: string, bookmark: string): Promise<string> {
    const { iterator, metadata } = await ctx.stub.getStateByPartialCompositeKeyWithPagination(
      objectType,
      [],
      Number.parseInt(pageSize, 10),
      bookmark,
    );
    const attributes: string[] = [];
    for await (const { key } of { [Symbol.asyncIterator]: () => iterator }) {
      attributes.push(ctx.stub.splitCompositeKey(key).attributes[0]!);
    }
    return JSON.stringify({ attributes, bookmark: metadata.bookmark });
  }
}

/** A point in a simulation where it stops until the test lets it go on. */
class Pause {
  private reachedResolve: () => void = () => undefined;
  private releaseResolve: () => void = () => undefined;
  reached: Promise<void> = Promise.resolve();
  private released: Promise<void> = Promise.resolve();

  arm(): void {
    this.reached = new Promise((resolve) => (this.reachedResolve = resolve));
    this.released = new Promise((resolve) => (this.releaseResolve = resolve));
  }

  release(): void {
    this.releaseResolve();
  }

  async here(): Promise<void> {
    this.reachedResolve();
    await this.released;
  }
}

const pause = new Pause();

/** What the probe chaincode lacks: two reads with the test's pause between them. */
class PairProbe extends Contract {
  constructor() {
    super('pair');
  }

  async read(ctx: Context, first: string, second: string, paused: string): Promise<string> {
    const a = Buffer.from(await ctx.stub.getState(first)).toString('utf8');
    if (paused === 'paused') await pause.here();
    const b = Buffer.from(await ctx.stub.getState(second)).toString('utf8');
    return JSON.stringify([a, b]);
  }
}

/** How the last slow simulation's late read ended. */
let lateRead: Promise<string> = Promise.resolve('');

/** What the probe chaincode lacks: a transaction that never completes (a chaincode bug), or late. */
class HangProbe extends Contract {
  constructor() {
    super('hang');
  }

  async forever(ctx: Context): Promise<void> {
    await ctx.stub.getState('hang');
    await new Promise(() => undefined);
  }

  /** Reads once more after `ms`, past the execute timeout. */
  async late(ctx: Context, ms: string): Promise<void> {
    let settle: (outcome: string) => void = () => undefined;
    lateRead = new Promise((resolve) => (settle = resolve));
    await new Promise((resolve) => setTimeout(resolve, Number(ms)));
    try {
      await ctx.stub.getState('late');
      settle('read');
    } catch (error) {
      settle((error as Error).message);
    }
  }
}

const CONTRACTS = [PrivateProbe, ParameterProbe, PageProbe, PairProbe, HangProbe];

interface Harness {
  ledger: EmbeddedLedger;
  dataDir: string;
  platform: ClientIdentity;
  post: ClientIdentity;
}

/** A fresh ledger for the enclosing describe. */
function useLedger(options: Partial<EmbeddedLedgerOptions> = {}): Harness {
  const h = {} as Harness;
  beforeAll(async () => {
    h.dataDir = await mkdtemp(path.join(os.tmpdir(), 'commit-'));
    h.ledger = await EmbeddedLedger.open({ ...probeLedgerOptions(h.dataDir, CONTRACTS), ...options });
    h.platform = await h.ledger.enrolUser(PLATFORM, 'alice');
    h.post = await h.ledger.enrolUser(POST, 'bob');
  });
  afterAll(async () => {
    await h.ledger?.close();
    if (h.dataDir) await rm(h.dataDir, { recursive: true, force: true });
  });
  return h;
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');
const args = (...a: string[]): ProposalOptions => ({ arguments: a });
/** Private writes endorsed by the collection's members, whatever the planner would choose. */
const byMembers = (...a: string[]): ProposalOptions => ({
  arguments: a,
  endorsingOrganizations: [PLATFORM, CUSTOMS],
});

const endorsedBy = (orgs: string[], ...a: string[]): ProposalOptions => ({
  arguments: a,
  endorsingOrganizations: orgs,
});
const statusOf = async (tx: EndorsedTransaction): Promise<CommitStatus> => (await tx.submit()).getStatus();

/** Submits endorsed transactions back to back (same block), then waits for all statuses. */
async function submitTogether(...txs: EndorsedTransaction[]): Promise<CommitStatus[]> {
  const commits = [];
  for (const tx of txs) commits.push(await tx.submit());
  return Promise.all(commits.map((c) => c.getStatus()));
}

describe('a simulation and a block that commits meanwhile (Fabric’s commit lock)', () => {
  const h = useLedger();
  const pair = async (paused: boolean): Promise<string[]> =>
    JSON.parse(
      text(
        await h.ledger.evaluate(h.platform, 'pair:read', args('pair/a', 'pair/b', paused ? 'paused' : '')),
      ),
    ) as string[];
  const putPair = (value: string): Promise<EndorsedTransaction> =>
    h.ledger.endorse(
      h.platform,
      'putMany',
      args(
        JSON.stringify([
          ['pair/a', value],
          ['pair/b', value],
        ]),
      ),
    );

  it('a simulation reads all from before the block or all from after it: the block waits for it, and a simulation that starts meanwhile waits for the block', async () => {
    await statusOf(await putPair('1'));
    pause.arm();
    const during = pair(true);
    await pause.reached;
    // The block's write reaches the lock (the real one, spied on only to know when).
    const exclusive = CommitLock.prototype.exclusive;
    let reached!: () => void;
    const atLock = new Promise<void>((resolve) => (reached = resolve));
    const spy = vi.spyOn(CommitLock.prototype, 'exclusive').mockImplementation(function (
      this: CommitLock,
      commit,
    ) {
      reached();
      return exclusive.call(this, commit);
    });
    const committed = statusOf(await putPair('2'));
    await atLock;
    spy.mockRestore();
    const after = pair(false);
    pause.release();
    expect(await during).toEqual(['1', '1']);
    expect((await committed).code).toBe(TxValidationCode.VALID);
    expect(await after).toEqual(['2', '2']);
  });
});

describe('a simulation that never completes', () => {
  const h = useLedger({ executeTimeoutMs: 300 });

  it('fails at the execute timeout, as on a Fabric peer, and holds back no commit', async () => {
    const hung = h.ledger.evaluate(h.platform, 'hang:forever', args());
    const put = h.ledger.submit(h.platform, 'put', args('after-hang', '1'));
    await expect(hung).rejects.toThrow(/timeout expired while executing transaction/);
    await expect(put).resolves.toMatchObject({ blockNumber: expect.any(BigInt) });
    expect(text(await h.ledger.evaluate(h.platform, 'get', args('after-hang')))).toBe('1');
  });

  it('is answered over HTTP as 504 with Retry-After, for an evaluation and for a submission', async () => {
    for (const failed of [
      h.ledger.evaluate(h.platform, 'hang:forever', args()),
      h.ledger.submit(h.platform, 'hang:forever', args()),
    ]) {
      const problem = problemFromLedgerError(await failed.catch((error: unknown) => error));
      expect(problem?.status).toBe(504);
      expect(problem?.options.headers).toEqual({ 'Retry-After': '2' });
    }
  });

  it('a simulation given up on that calls the peer again is refused, as by a Fabric peer, and ends', async () => {
    await expect(h.ledger.evaluate(h.platform, 'hang:late', args('600'))).rejects.toThrow(
      /timeout expired while executing transaction/,
    );
    expect(await lateRead).toMatch(/GET_STATE failed: transaction ID: [0-9a-f]{64}: no ledger context/);
  });
});

describe('a block whose purge compaction fails after its batch is written', () => {
  const h = useLedger();
  afterEach(() => vi.restoreAllMocks());

  it('is committed: its client gets its validation code, the next block goes on top of it, and the purged value leaves the files when the store is reopened', async () => {
    const secret = `purged-${randomBytes(8).toString('hex')}`;
    await h.ledger.submit(h.platform, 'privFromTransient', {
      ...byMembers('pk'),
      transientData: { value: Buffer.from(secret) },
    });
    const store = (h.ledger as unknown as { store: LedgerStore }).store;
    vi.spyOn(store, 'compactPurged').mockRejectedValueOnce(new Error('simulated EIO during compaction'));
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const purgeBlock = h.ledger.height();

    const purge = await h.ledger.endorse(h.platform, 'pvt:purge', byMembers('pk'));
    const purged = await (await purge.submit()).getStatus();
    expect(purged).toEqual({
      transactionId: purge.transactionId,
      code: TxValidationCode.VALID,
      successful: true,
      blockNumber: purgeBlock,
    });
    expect(h.ledger.height()).toBe(purgeBlock + 1n);
    expect(warnings).toHaveBeenCalledWith(
      expect.stringContaining('simulated EIO during compaction'),
      expect.objectContaining({ code: PURGE_COMPACTION_FAILED }),
    );

    const next = await h.ledger.submit(h.platform, 'put', args('after-purge', '1'));
    expect(BigInt(next.blockNumber)).toBe(purgeBlock + 1n);
    const { data } = await h.ledger.getBlock(purgeBlock);
    expect('transactions' in data && data.transactions.map((tx) => tx.txId)).toEqual([purge.transactionId]);
    expect((await h.ledger.verifyChain()).ok).toBe(true);
    expect(text(await h.ledger.evaluate(h.platform, 'privGet', args('pk')))).toBe('');

    expect(await filesContaining(h.dataDir, [secret])).not.toEqual([]);
    await h.ledger.close();
    h.ledger = await EmbeddedLedger.open(probeLedgerOptions(h.dataDir, CONTRACTS));
    expect(await filesContaining(h.dataDir, [secret])).toEqual([]);
  });
});

describe('reads of keys that an earlier transaction of the same block wrote', () => {
  const h = useLedger();

  it('a read of a missing key that an earlier transaction deleted: 0, 11 (Fabric fails any read of a key in the block’s updates)', async () => {
    const deletes = await h.ledger.endorse(h.platform, 'del', args('deleted-in-block'));
    const reads = await h.ledger.endorse(h.platform, 'rw', args('deleted-in-block', 'v'));
    const [deleted, read] = await submitTogether(deletes, reads);
    expect(deleted!.code).toBe(TxValidationCode.VALID);
    expect(read!.code).toBe(TxValidationCode.MVCC_READ_CONFLICT);
    expect(read!.blockNumber).toBe(deleted!.blockNumber);
  });

  it('the same for a hashed read of a missing private key that an earlier transaction deleted: 0, 11', async () => {
    const deletes = await h.ledger.endorse(h.platform, 'privDel', byMembers('private-deleted-in-block'));
    const reads = await h.ledger.endorse(h.platform, 'privRw', byMembers('private-deleted-in-block', 'v'));
    const [deleted, read] = await submitTogether(deletes, reads);
    expect(deleted!.code).toBe(TxValidationCode.VALID);
    expect(read!.code).toBe(TxValidationCode.MVCC_READ_CONFLICT);
    expect(read!.blockNumber).toBe(deleted!.blockNumber);
  });
});

describe('private queries on a peer outside the collection', () => {
  const h = useLedger();

  beforeAll(async () => {
    await h.ledger.submit(h.platform, 'privPut', byMembers('pk', 'secret-range'));
    await h.ledger.submit(h.platform, 'pvt:putComposite', byMembers('ptype', 'a', 'secret-partial'));
  });

  it('getPrivateDataByRange by a member client: the data on a member peer, nothing on the Post peer', async () => {
    const onPeer = async (mspId: string): Promise<string[]> =>
      JSON.parse(
        text(await h.ledger.evaluate(h.platform, 'privRange', { endorsingOrganizations: [mspId] })),
      ) as string[];
    expect(await onPeer(PLATFORM)).toEqual(['pk']);
    expect(await onPeer(POST)).toEqual([]);
  });

  it('getPrivateDataByPartialCompositeKey by a member client: the data on a member peer, nothing on the Post peer', async () => {
    const onPeer = async (mspId: string): Promise<string> =>
      text(
        await h.ledger.evaluate(h.platform, 'pvt:partial', {
          arguments: ['ptype'],
          endorsingOrganizations: [mspId],
        }),
      );
    expect(await onPeer(CUSTOMS)).toBe(JSON.stringify([['a', 'secret-partial']]));
    expect(await onPeer(POST)).toBe('[]');
  });

  it('a non-member client is still refused read access first, as for getPrivateData', async () => {
    await expect(h.ledger.evaluate(h.post, 'privRange')).rejects.toThrow(
      /tx creator does not have read access permission on privatedata in chaincodeName:kv collectionName: PlatformCustomsCollection/,
    );
  });
});

describe('range queries over plain keys ending in U+0000', () => {
  const h = useLedger();
  /** The bounds of a partial composite key query, on a plain key: getStateByRange allows them. */
  const rangeOf = (key: string): [string, string] => [`${key}\u0000`, `${key}\u0000\u{10FFFF}`];

  it('getStateByRange sees a key committed after the same range was read', async () => {
    const range = rangeOf('read');
    expect(text(await h.ledger.evaluate(h.platform, 'range', args(...range)))).toBe('[]');
    await h.ledger.submit(h.platform, 'put', args('read\u0000x', '1'));
    expect(text(await h.ledger.evaluate(h.platform, 'range', args(...range)))).toBe(
      JSON.stringify(['read\u0000x']),
    );
  });

  it('a key committed into the range after endorsement is a phantom read: 12', async () => {
    const ranged = await h.ledger.endorse(h.platform, 'rangeThenPut', args(...rangeOf('phantom'), 'out'));
    expect(text(ranged.result)).toBe('[]');
    await h.ledger.submit(h.platform, 'put', args('phantom\u0000x', '1'));
    expect((await (await ranged.submit()).getStatus()).code).toBe(TxValidationCode.PHANTOM_READ_CONFLICT);
  });
});

describe('a validation parameter written without the key’s value (Fabric’s prepareTxOps merges the two)', () => {
  const h = useLedger();
  const orgsOf = async (key: string): Promise<string[]> =>
    (JSON.parse(text(await h.ledger.evaluate(h.platform, 'sbeGet', args(key)))) as { orgs: string[] }).orgs;

  it('rewrites the key at the transaction’s height: a read of it gets 11, a range over it 12; value and history stay', async () => {
    await h.ledger.submit(h.platform, 'put', args('param-only', 'v'));
    const reader = await h.ledger.endorse(h.platform, 'readOnly', args('param-only'));
    const ranged = await h.ledger.endorse(
      h.platform,
      'rangeThenPut',
      args('param-only', 'param-only\u0000', 'param-only-out'),
    );
    const set = await h.ledger.endorse(h.platform, 'sbe:set', byMembers('param-only', CUSTOMS));
    expect((await statusOf(set)).code).toBe(TxValidationCode.VALID);
    expect((await statusOf(reader)).code).toBe(TxValidationCode.MVCC_READ_CONFLICT);
    expect((await statusOf(ranged)).code).toBe(TxValidationCode.PHANTOM_READ_CONFLICT);
    expect(text(await h.ledger.evaluate(h.platform, 'get', args('param-only')))).toBe('v');
    expect(await orgsOf('param-only')).toEqual([CUSTOMS]);
    const history = JSON.parse(text(await h.ledger.evaluate(h.platform, 'history', args('param-only'))));
    expect(history).toHaveLength(1);
  });

  it('the same for a private key: a transaction that read it gets 11', async () => {
    await h.ledger.submit(h.platform, 'privPut', byMembers('param-only-pvt', 'pv'));
    const reader = await h.ledger.endorse(h.platform, 'privGet', byMembers('param-only-pvt'));
    const set = await h.ledger.endorse(h.platform, 'sbe:setPrivate', byMembers('param-only-pvt', CUSTOMS));
    expect((await statusOf(set)).code).toBe(TxValidationCode.VALID);
    expect((await statusOf(reader)).code).toBe(TxValidationCode.MVCC_READ_CONFLICT);
    expect(text(await h.ledger.evaluate(h.platform, 'privGet', args('param-only-pvt')))).toBe('pv');
  });

  it('on a missing key is dropped: creating the key then needs only the chaincode policy', async () => {
    await h.ledger.submit(h.platform, 'sbe:set', byMembers('never-written', CUSTOMS));
    expect(await orgsOf('never-written')).toEqual([]);
    const create = await h.ledger.endorse(
      h.platform,
      'put',
      endorsedBy([PLATFORM, POST], 'never-written', 'x'),
    );
    expect((await statusOf(create)).code).toBe(TxValidationCode.VALID);
  });

  it('in the transaction that deletes the key goes with it: re-creating the key needs only the chaincode policy', async () => {
    await h.ledger.submit(h.platform, 'put', args('deleted-with-param', 'v'));
    await h.ledger.submit(h.platform, 'sbe:deleteAndSet', byMembers('deleted-with-param', CUSTOMS));
    expect(await orgsOf('deleted-with-param')).toEqual([]);
    expect(text(await h.ledger.evaluate(h.platform, 'get', args('deleted-with-param')))).toBe('');
    const create = await h.ledger.endorse(
      h.platform,
      'put',
      endorsedBy([PLATFORM, POST], 'deleted-with-param', 'x'),
    );
    expect((await statusOf(create)).code).toBe(TxValidationCode.VALID);
  });
});

describe('a key whose validation parameter an earlier transaction of the same block writes', () => {
  const h = useLedger();

  it('a later write of the key is 10 (ValidationParameterUpdatedError), even one its new policy allows', async () => {
    const set = await h.ledger.endorse(h.platform, 'sbeSet', byMembers('updated-in-block', CUSTOMS));
    const put = await h.ledger.endorse(h.platform, 'put', byMembers('updated-in-block', 'y'));
    const [first, second] = await submitTogether(set, put);
    expect(first!.code).toBe(TxValidationCode.VALID);
    expect(second!.code).toBe(TxValidationCode.ENDORSEMENT_POLICY_FAILURE);
    expect(second!.blockNumber).toBe(first!.blockNumber);
    expect(text(await h.ledger.evaluate(h.platform, 'get', args('updated-in-block')))).toBe('sbe');
  });

  it('the same for a private key: 0, 10', async () => {
    await h.ledger.submit(h.platform, 'privPut', byMembers('pvt-updated-in-block', 'a'));
    const set = await h.ledger.endorse(
      h.platform,
      'sbe:setPrivate',
      byMembers('pvt-updated-in-block', CUSTOMS),
    );
    const put = await h.ledger.endorse(h.platform, 'privPut', byMembers('pvt-updated-in-block', 'b'));
    const [first, second] = await submitTogether(set, put);
    expect([first!.code, second!.code]).toEqual([
      TxValidationCode.VALID,
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
    ]);
    expect(text(await h.ledger.evaluate(h.platform, 'privGet', args('pvt-updated-in-block')))).toBe('a');
  });

  it('counts once the earlier transaction’s endorsement holds, though MVCC then invalidates it: 0, 11, 10', async () => {
    await h.ledger.submit(h.platform, 'put', args('stale-read', 'v'));
    const stale = await h.ledger.endorse(
      h.platform,
      'sbe:readThenSet',
      byMembers('stale-read', 'set-by-invalid', CUSTOMS),
    );
    const rewrite = await h.ledger.endorse(h.platform, 'put', args('stale-read', 'w'));
    const put = await h.ledger.endorse(
      h.platform,
      'put',
      endorsedBy([PLATFORM, POST], 'set-by-invalid', 'x'),
    );
    const codes = (await submitTogether(rewrite, stale, put)).map((s) => s.code);
    expect(codes).toEqual([
      TxValidationCode.VALID,
      TxValidationCode.MVCC_READ_CONFLICT,
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
    ]);
  });

  it('does not count when the earlier transaction fails its own endorsement policy: 10, 0', async () => {
    const set = await h.ledger.endorse(
      h.platform,
      'sbeSet',
      endorsedBy([PLATFORM], 'set-unendorsed', CUSTOMS),
    );
    const put = await h.ledger.endorse(
      h.platform,
      'put',
      endorsedBy([PLATFORM, POST], 'set-unendorsed', 'x'),
    );
    const codes = (await submitTogether(set, put)).map((s) => s.code);
    expect(codes).toEqual([TxValidationCode.ENDORSEMENT_POLICY_FAILURE, TxValidationCode.VALID]);
  });
});

describe('paginated queries (row 5f: a submitted read-only transaction) are re-checked for phantom reads', () => {
  const h = useLedger();
  const page = (start: string, pageSize: number, bookmark = ''): Promise<EndorsedTransaction> =>
    h.ledger.endorse(h.platform, 'paginated', args(start, `${start}~`, String(pageSize), bookmark));
  const keysOf = (tx: EndorsedTransaction): string[] =>
    (JSON.parse(text(tx.result)) as { keys: string[] }).keys;
  const putMany = (...keys: string[]): Promise<unknown> =>
    h.ledger.submit(h.platform, 'putMany', args(JSON.stringify(keys.map((k) => [k, 'v']))));

  it('a full page whose key is updated after endorsement: 12', async () => {
    await putMany('pg1/a', 'pg1/b', 'pg1/c');
    const tx = await page('pg1/', 2);
    expect(keysOf(tx)).toEqual(['pg1/a', 'pg1/b']);
    await putMany('pg1/a');
    expect((await statusOf(tx)).code).toBe(TxValidationCode.PHANTOM_READ_CONFLICT);
  });

  it('a full page is a range not exhausted, ending at its last key: a key inserted after it is 0, one inside it 12', async () => {
    await putMany('pg2/a', 'pg2/c');
    const [after, inside] = [await page('pg2/', 2), await page('pg2/', 2)];
    expect(keysOf(after)).toEqual(['pg2/a', 'pg2/c']);
    await putMany('pg2/d');
    expect((await statusOf(after)).code).toBe(TxValidationCode.VALID);
    await putMany('pg2/b');
    expect((await statusOf(inside)).code).toBe(TxValidationCode.PHANTOM_READ_CONFLICT);
  });

  it('a short page ran to the query’s end key: a key inserted anywhere before it is 12', async () => {
    await putMany('pg3/a');
    const tx = await page('pg3/', 2);
    expect(keysOf(tx)).toEqual(['pg3/a']);
    await putMany('pg3/z');
    expect((await statusOf(tx)).code).toBe(TxValidationCode.PHANTOM_READ_CONFLICT);
  });

  it('a page from a bookmark starts there: a key updated before the bookmark is 0, one in the page 12', async () => {
    await putMany('pg4/a', 'pg4/b', 'pg4/c', 'pg4/d');
    const [before, inPage] = [await page('pg4/', 2, 'pg4/c'), await page('pg4/', 2, 'pg4/c')];
    expect(keysOf(before)).toEqual(['pg4/c', 'pg4/d']);
    await putMany('pg4/b');
    expect((await statusOf(before)).code).toBe(TxValidationCode.VALID);
    await putMany('pg4/c');
    expect((await statusOf(inPage)).code).toBe(TxValidationCode.PHANTOM_READ_CONFLICT);
  });

  it('page size 0 with a bookmark: the rest of the range from the bookmark, with no bookmark after it; re-checked to the end key', async () => {
    await putMany('pg5/a', 'pg5/b', 'pg5/c', 'pg5/d');
    const tx = await page('pg5/', 0, 'pg5/b');
    expect(JSON.parse(text(tx.result))).toMatchObject({
      keys: ['pg5/b', 'pg5/c', 'pg5/d'],
      metadata: { fetchedRecordsCount: 3, bookmark: '' },
    });
    await putMany('pg5/e');
    expect((await statusOf(tx)).code).toBe(TxValidationCode.PHANTOM_READ_CONFLICT);
  });

  it('getStateByPartialCompositeKeyWithPagination: the same, for a first page and a page from its bookmark', async () => {
    const putComposites = (...attributes: string[]): Promise<unknown> =>
      h.ledger.submit(h.platform, 'putComposites', args(JSON.stringify(attributes.map((a) => ['pgc', [a]]))));
    const partial = (bookmark: string): Promise<EndorsedTransaction> =>
      h.ledger.endorse(h.platform, 'page:partial', args('pgc', '2', bookmark));
    const pageOf = (tx: EndorsedTransaction): { attributes: string[]; bookmark: string } =>
      JSON.parse(text(tx.result)) as { attributes: string[]; bookmark: string };
    await putComposites('a', 'b', 'c');
    const first = await partial('');
    expect(pageOf(first).attributes).toEqual(['a', 'b']);
    const { bookmark } = pageOf(first);
    const [second, secondAgain] = [await partial(bookmark), await partial(bookmark)];
    expect(pageOf(second)).toEqual({ attributes: ['c'], bookmark: '' });
    await putComposites('a');
    expect((await statusOf(first)).code).toBe(TxValidationCode.PHANTOM_READ_CONFLICT);
    expect((await statusOf(second)).code).toBe(TxValidationCode.VALID);
    await putComposites('d');
    expect((await statusOf(secondAgain)).code).toBe(TxValidationCode.PHANTOM_READ_CONFLICT);
  });
});
