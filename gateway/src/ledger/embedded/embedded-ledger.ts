import { join } from 'node:path';
import {
  decodeBlock,
  envelopeSigningBytes,
  isConfigData,
  sealBlock,
  type Block,
  type TransactionEnvelope,
} from './block.js';
import { loadCollectionsConfig, type CollectionDefinition } from './collections.js';
import { CommitLock } from './commit-lock.js';
import { Peer, type EndorsementOutcome } from './endorser.js';
import {
  certificateExpiry,
  MspStore,
  newClientIdentity,
  verifySignature,
  wasIssuedBy,
  type OrgSpec,
} from './msp.js';
import { evaluatePolicy, decodeValidationParameter, type EndorsementPolicy } from './policy.js';
import { buildSignedProposal, serializeIdentity, type Proposal } from './proposal.js';
import { ChaincodeRuntime } from './shim-bridge.js';
import { blockKey, collectionKey, LedgerStore, type CacheUsage } from './store.js';
import { BlockValidator, configuredPolicies, type OrderedTransaction } from './validator.js';
import { Orderer } from './orderer.js';
import { AsyncQueue } from './async-queue.js';
import { verifyChain, type ChainVerification } from './chain.js';
import {
  commitEndorsed,
  EndorseError,
  GatewayError,
  GrpcStatus,
  OutcomeUnknownError,
  TxValidationCode,
  type ChaincodeEvent,
  type ClientIdentity,
  type Commit,
  type CommitStatus,
  type CommittedTransaction,
  type EndorsedTransaction,
  type ErrorDetail,
  type EventsOptions,
  type LedgerPort,
  type ProposalOptions,
  type SubmitResult,
} from '../port.js';

export interface EmbeddedLedgerOptions {
  /** Holds the LevelDB store (`ledger/`) and the X.509 material (`msp/`). */
  readonly dataDir: string;
  readonly channel: string;
  readonly organisations: readonly OrgSpec[];
  /** The collections config, in the same JSON format deployed to Fabric (array or path to the file). */
  readonly collections: unknown;
  readonly chaincode: { readonly name: string; readonly contracts: readonly unknown[] };
  /** Chaincode-level endorsement policy; Fabric's default is the channel's MAJORITY Endorsement. */
  readonly endorsementPolicy?: string;
  /** Block cutting: a block is cut when it has maxBatchSize transactions or batchTimeoutMs after its first. */
  readonly batchTimeoutMs?: number;
  readonly maxBatchSize?: number;
  /** What the ledger store's read caches may hold in all (default: LedgerStore's). */
  readonly cacheBytes?: number;
  /** How long a simulation may run before its peer gives up (Fabric's chaincode.executetimeout, 30 s). */
  readonly executeTimeoutMs?: number;
}

/** Fabric's default chaincode-level policy: the channel's. */
const DEFAULT_ENDORSEMENT_POLICY = 'MAJORITY Endorsement';
/** Events a stream's reader may fall behind the ledger before it reads them from the store instead. */
const LIVE_EVENTS_LIMIT = 256;
const FAILED_TO_ENDORSE = 'failed to endorse transaction, see attached details for more info';
const FAILED_TO_COLLECT =
  'failed to collect enough transaction endorsements, see attached details for more info';
const PAYLOADS_DO_NOT_MATCH = 'ProposalResponsePayloads do not match';
/** The code of the process warning logged when a committed purge could not be compacted yet. */
export const PURGE_COMPACTION_FAILED = 'LEDGER_PURGE_COMPACTION_FAILED';

interface CommitWaiter {
  resolve(status: CommitStatus): void;
  reject(error: Error): void;
}

interface Tip {
  height: number;
  hash: string;
}

/**
 * Fabric's execute-order-validate on one machine: one peer per organisation simulating through
 * fabric-shim, a gateway that plans endorsements as Fabric's does, an orderer that cuts blocks, and
 * a committer that validates each block and writes it to LevelDB as one atomic batch.
 */
export class EmbeddedLedger implements LedgerPort {
  private readonly peers = new Map<string, Peer>();
  private readonly commitWaiters = new Map<string, CommitWaiter[]>();
  private readonly listeners = new Set<AsyncQueue<ChaincodeEvent>>();
  private readonly orderer: Orderer<OrderedTransaction>;
  private readonly validator: BlockValidator;
  private readonly orgIds: string[];
  /** Certificate chain checks by (MSP, certificate): each identity is checked once, not per transaction. */
  private readonly trusted = new Map<string, boolean>();
  /** Identities whose signature matched their certificate (see `isAuthentic`). */
  private readonly authenticIdentities = new WeakSet<ClientIdentity>();
  private readonly commitLock = new CommitLock();
  private commitChain: Promise<void> = Promise.resolve();
  private blocksInFlight = 0;
  private closed = false;

  private constructor(
    private readonly options: EmbeddedLedgerOptions,
    private readonly store: LedgerStore,
    private readonly msp: MspStore,
    private readonly collections: ReadonlyMap<string, CollectionDefinition>,
    private readonly chaincodePolicy: EndorsementPolicy,
    private readonly collectionPolicies: ReadonlyMap<string, EndorsementPolicy | undefined>,
    private tip: Tip,
  ) {
    this.orgIds = options.organisations.map((o) => o.mspId);
    this.validator = new BlockValidator(store, {
      chaincode: chaincodePolicy,
      collections: collectionPolicies,
      isMemberIdentity: (mspId, cert) => this.isMemberIdentity(mspId, cert),
    });
    this.orderer = new Orderer<OrderedTransaction>(
      { maxBatchSize: options.maxBatchSize ?? 500, batchTimeoutMs: options.batchTimeoutMs ?? 2 },
      (batch) => this.enqueueCommit(batch),
      () => this.blocksInFlight > 0,
    );
  }

  static async open(options: EmbeddedLedgerOptions): Promise<EmbeddedLedger> {
    const orgIds = options.organisations.map((o) => o.mspId);
    const definitions = loadCollectionsConfig(options.collections);
    const collections = new Map(definitions.map((c) => [c.name, c]));
    const { chaincode: chaincodePolicy, collections: collectionPolicies } = configuredPolicies(
      options.endorsementPolicy ?? DEFAULT_ENDORSEMENT_POLICY,
      orgIds,
      definitions,
    );
    const msp = await MspStore.open(join(options.dataDir, 'msp'), options.organisations);
    const store = await LedgerStore.open(
      join(options.dataDir, 'ledger'),
      options.cacheBytes === undefined ? {} : { cacheBytes: options.cacheBytes },
    );
    try {
      let tip = await readTip(store);
      if (!tip) tip = await writeGenesis(store, options, msp);
      const ledger = new EmbeddedLedger(
        options,
        store,
        msp,
        collections,
        chaincodePolicy,
        collectionPolicies,
        tip,
      );
      for (const org of options.organisations) {
        const runtime = new ChaincodeRuntime(
          org.mspId,
          options.chaincode.name,
          options.chaincode.contracts,
          options.executeTimeoutMs,
        );
        ledger.peers.set(
          org.mspId,
          new Peer(org.mspId, `peer0.${org.domain}:7051`, msp.peerIdentity(org.mspId), runtime, {
            store,
            commitLock: ledger.commitLock,
            channel: options.channel,
            chaincode: options.chaincode.name,
            collections,
            isMemberIdentity: (mspId, cert) => ledger.isMemberIdentity(mspId, cert),
          }),
        );
      }
      return ledger;
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  /** Issues (or loads) a user's X.509 identity in an organisation; attributes land in the certificate. */
  async enrolUser(
    mspId: string,
    userName: string,
    attrs: Readonly<Record<string, string>> = {},
    options: { admin?: boolean } = {},
  ): Promise<ClientIdentity> {
    return newClientIdentity(await this.msp.enrolUser(mspId, userName, attrs, options));
  }

  get mspStore(): MspStore {
    return this.msp;
  }

  height(): bigint {
    return BigInt(this.tip.height);
  }

  async chainHeight(): Promise<bigint> {
    return this.height();
  }

  /** Simulates a peer (and so its organisation's endorsements) being down or back up. */
  setPeerAvailable(mspId: string, available: boolean): void {
    this.peer(mspId).available = available;
  }

  async evaluate(
    identity: ClientIdentity,
    transactionName: string,
    options: ProposalOptions = {},
  ): Promise<Uint8Array> {
    // Unsigned once the identity has proven its key, as in endorse: nothing outside reads it.
    const proposal = await this.propose(identity, transactionName, options, {
      unsigned: this.authenticIdentities.has(identity),
    });
    const target = this.availablePeer(options.endorsingOrganizations?.[0] ?? identity.mspId);
    const outcome = await target.execute(proposal);
    if (!outcome.ok) {
      throw new GatewayError(
        GrpcStatus.UNKNOWN,
        `evaluate call to endorser returned error: ${outcome.detail.message}`,
        [outcome.detail],
        proposal.transactionId,
      );
    }
    return outcome.response.payload;
  }

  async endorse(
    identity: ClientIdentity,
    transactionName: string,
    options: ProposalOptions = {},
  ): Promise<EndorsedTransaction> {
    this.assertOpen();
    // A proposal goes from this process to its own endorsers and is then dropped (the block keeps
    // the signature over the envelope instead, which leaves out the transient data the proposal
    // holds), so once the identity has proven its key (isAuthentic) signing it again proves nothing.
    const proposal = await this.propose(identity, transactionName, options, {
      unsigned: this.authenticIdentities.has(identity),
    });
    // Fabric's endorser refuses a transaction id already on the ledger. Only a chosen nonce can
    // repeat one (a random one never does), so only then is the transaction index asked.
    if (options.nonce !== undefined && (await this.getTransactionStatus(proposal.transactionId))) {
      const peer = this.peer(options.endorsingOrganizations?.[0] ?? identity.mspId);
      const creator = Buffer.from(serializeIdentity(proposal.mspId, proposal.certificate)).toString('hex');
      throw new EndorseError(
        GrpcStatus.ABORTED,
        FAILED_TO_ENDORSE,
        [
          {
            address: peer.address,
            mspId: peer.mspId,
            message: `duplicate transaction found [${proposal.transactionId}]. Creator [${creator}]`,
          },
        ],
        proposal.transactionId,
      );
    }
    const outcomes = options.endorsingOrganizations
      ? await this.endorseOn(proposal, options.endorsingOrganizations)
      : await this.endorseWithPlan(proposal, identity.mspId);
    const first = outcomes[0]!;
    if (!first.ok) throw new Error('unreachable: endorsement outcomes are checked');
    const unsigned: Omit<TransactionEnvelope, 'signature'> = {
      txId: proposal.transactionId,
      channel: proposal.channel,
      chaincode: proposal.chaincode,
      timestamp: proposal.timestamp.toISOString(),
      creator: { mspId: proposal.mspId, certificate: proposal.certificate },
      args: proposal.args.map((a) => Buffer.from(a).toString('base64')),
      response: {
        status: first.response.status,
        message: first.response.message,
        payload: Buffer.from(first.response.payload).toString('base64'),
      },
      event: first.response.event
        ? {
            name: first.response.event.name,
            payload: Buffer.from(first.response.event.payload).toString('base64'),
          }
        : undefined,
      rwset: first.encodedRwSet,
      endorsements: outcomes.map((o) => (o.ok ? o.endorsement : undefined)).filter((e) => e !== undefined),
    };
    // The client signs the transaction it submits, as fabric-gateway's client does before ordering.
    const signature = Buffer.from(await identity.sign(envelopeSigningBytes(unsigned))).toString('base64');
    const envelope: TransactionEnvelope = { ...unsigned, signature };
    const ordered: OrderedTransaction = {
      envelope,
      privateWrites: first.simulation.privateWrites,
      endorsedInProcess: true,
    };
    return {
      transactionId: proposal.transactionId,
      result: first.response.payload,
      submit: async (): Promise<Commit> => {
        this.assertOpen();
        const status = this.waitForCommit(proposal.transactionId);
        this.orderer.broadcast(ordered);
        return { transactionId: proposal.transactionId, getStatus: () => status };
      },
    };
  }

  async submit(
    identity: ClientIdentity,
    transactionName: string,
    options: ProposalOptions = {},
  ): Promise<SubmitResult> {
    return commitEndorsed(await this.endorse(identity, transactionName, options));
  }

  async *events(options: EventsOptions = {}): AsyncIterable<ChaincodeEvent> {
    /** Where the stream is: events of blocks before `block` are passed, and these of `block`. */
    let block = Number(options.startBlock ?? this.tip.height);
    let passedInBlock = new Set<string>();
    /** Within `block`, read from its start: events up to and including this transaction are skipped. */
    let skipThrough = options.afterTransactionId;
    const passed = (event: ChaincodeEvent): boolean => {
      const n = Number(event.blockNumber);
      if (n !== block) return n < block;
      if (passedInBlock.has(event.transactionId)) return true;
      if (skipThrough === undefined) return false;
      passedInBlock.add(event.transactionId);
      if (event.transactionId === skipThrough) skipThrough = undefined;
      return true;
    };
    const reached = (n: number): void => {
      if (n === block) return;
      block = n;
      passedInBlock = new Set();
      skipThrough = undefined;
    };
    const delivered = (event: ChaincodeEvent): void => {
      reached(Number(event.blockNumber));
      passedInBlock.add(event.transactionId);
    };
    while (!options.signal?.aborted && !this.closed) {
      // Subscribe first, then replay the stored blocks: an event committed meanwhile is either in the
      // replay or in the live queue; its position tells which, so none is lost or repeated. A reader
      // that falls LIVE_EVENTS_LIMIT events behind loses its live queue and replays again from the
      // store, so a slow one costs a block read, not memory.
      const live = new AsyncQueue<ChaincodeEvent>(LIVE_EVENTS_LIMIT);
      this.listeners.add(live);
      const abort = (): void => live.close();
      options.signal?.addEventListener('abort', abort);
      try {
        const replayUntil = this.tip.height;
        for (let n = block; n < replayUntil; n++) {
          if (options.signal?.aborted) return;
          for (const event of eventsOf(await this.getBlock(n), this.options.chaincode.name)) {
            if (passed(event)) continue;
            yield event;
            delivered(event);
          }
        }
        if (replayUntil > block) reached(replayUntil);
        for await (const event of live) {
          if (passed(event)) continue;
          yield event;
          delivered(event);
        }
        if (!live.overflowed) return;
      } finally {
        options.signal?.removeEventListener('abort', abort);
        this.listeners.delete(live);
      }
    }
  }

  async getBlockBytes(number: number | bigint): Promise<Uint8Array> {
    const bytes = await this.store.blocks.get(blockKey(number));
    if (!bytes) throw new Error(`block ${number} does not exist (height ${this.tip.height})`);
    return bytes;
  }

  async getBlock(number: number | bigint): Promise<Block> {
    return decodeBlock(await this.getBlockBytes(number));
  }

  /** Re-verifies the stored block chain from genesis (hash links and data hashes). */
  verifyChain(onBlock?: (n: number) => void): Promise<ChainVerification> {
    return verifyChain(this.tip.height, (n) => this.store.blocks.get(blockKey(n)), this.tip.hash, onBlock);
  }

  /** The commit status of a transaction already in a block (the first copy, as Fabric reports it). */
  async getTransactionStatus(txId: string): Promise<CommitStatus | undefined> {
    const entry = this.store.read(this.store.transactions, txId);
    if (!entry) return undefined;
    const { block, code } = JSON.parse(Buffer.from(entry).toString()) as { block: number; code: number };
    return {
      transactionId: txId,
      code,
      successful: code === TxValidationCode.VALID,
      blockNumber: BigInt(block),
    };
  }

  async blockOf(_identity: ClientIdentity, transactionId: string): Promise<bigint | undefined> {
    return (await this.getTransactionStatus(transactionId))?.blockNumber;
  }

  async committedTransaction(
    _identity: ClientIdentity,
    transactionId: string,
  ): Promise<CommittedTransaction | undefined> {
    const status = await this.getTransactionStatus(transactionId);
    if (!status) return undefined;
    const { data } = await this.getBlock(status.blockNumber);
    const envelope = isConfigData(data)
      ? undefined
      : data.transactions.find((tx) => tx.txId === transactionId);
    if (!envelope) throw new Error(`block ${status.blockNumber} does not hold transaction ${transactionId}`);
    return {
      transactionId,
      blockNumber: status.blockNumber,
      code: status.code,
      result: Buffer.from(envelope.response.payload, 'base64'),
    };
  }

  /** What the store's read caches hold now, and their budget (`cacheBytes`). */
  cacheUsage(): CacheUsage {
    return this.store.cacheUsage();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.orderer.flush();
    await this.commitChain;
    for (const listener of this.listeners) listener.close();
    await this.store.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new GatewayError(GrpcStatus.UNAVAILABLE, 'ledger is closed');
  }

  private async propose(
    identity: ClientIdentity,
    transactionName: string,
    options: ProposalOptions,
    { unsigned = false }: { unsigned?: boolean } = {},
  ): Promise<Proposal> {
    this.assertOpen();
    const args = [transactionName, ...(options.arguments ?? [])].map((a) =>
      typeof a === 'string' ? Buffer.from(a, 'utf8') : a,
    );
    const proposal = await buildSignedProposal({
      channel: this.options.channel,
      chaincode: this.options.chaincode.name,
      identity,
      args,
      transient: options.transientData,
      nonce: options.nonce,
      unsigned,
    });
    if (
      !this.isMemberIdentity(proposal.mspId, proposal.certificate) ||
      !this.isAuthentic(identity, proposal)
    ) {
      throw new GatewayError(
        GrpcStatus.ABORTED,
        `access denied: creator ${proposal.mspId} could not be authenticated`,
      );
    }
    // Membership holds whatever the date, as validation must; an expired certificate is refused
    // here, where a transaction is made, as Fabric's orderer refuses an expired creator.
    const expiry = certificateExpiry(proposal.certificate);
    if (expiry && Date.now() > expiry.getTime()) {
      throw new GatewayError(
        GrpcStatus.ABORTED,
        `access denied: creator ${proposal.mspId} identity expired (its certificate's validity ended at ${expiry.toISOString()})`,
      );
    }
    return proposal;
  }

  /** Endorsement on the organisations the client named: every one must endorse, with equal results. */
  private async endorseOn(proposal: Proposal, orgs: readonly string[]): Promise<EndorsementOutcome[]> {
    const missing = orgs.filter((org) => !this.peers.get(org)?.available);
    if (missing.length > 0) {
      throw new EndorseError(
        GrpcStatus.UNAVAILABLE,
        `failed to find any endorsing peers for org(s): ${missing.join(', ')}`,
        [],
        proposal.transactionId,
      );
    }
    const outcomes = await Promise.all(orgs.map((org) => this.peer(org).endorse(proposal)));
    const details = outcomes.flatMap((o) => (o.ok ? [] : [o.detail]));
    const reference = outcomes.find((o) => o.ok);
    for (const o of outcomes) {
      if (o.ok && reference?.ok && o.responsePayload !== reference.responsePayload)
        details.push(this.mismatch(o.mspId));
    }
    if (details.length > 0)
      throw new EndorseError(GrpcStatus.ABORTED, FAILED_TO_COLLECT, details, proposal.transactionId);
    return outcomes;
  }

  /**
   * The Fabric gateway's plan: endorse on the client's own peer, then add the fewest available
   * organisations that satisfy every policy the simulated writes are subject to, trying further
   * organisations when one fails or disagrees. When private data is written or read, only members
   * of those collections may endorse: transient data must not reach other organisations, and
   * other peers do not hold the data.
   */
  private async endorseWithPlan(proposal: Proposal, gatewayMspId: string): Promise<EndorsementOutcome[]> {
    const gatewayPeer = this.peers.get(gatewayMspId);
    if (!gatewayPeer?.available) {
      throw new EndorseError(
        GrpcStatus.UNAVAILABLE,
        `failed to find any endorsing peers for org(s): ${gatewayMspId}`,
        [],
        proposal.transactionId,
      );
    }
    const first = await gatewayPeer.endorse(proposal);
    if (!first.ok)
      throw new EndorseError(GrpcStatus.ABORTED, FAILED_TO_ENDORSE, [first.detail], proposal.transactionId);
    const written = first.encodedRwSet.collections
      .filter((c) => c.hashedWrites.length > 0)
      .map((c) => c.collection);
    const interest = [...new Set([...written, ...first.simulation.privateReadCollections])];
    const eligible = this.orgIds.filter((org) =>
      interest.every((name) => this.collections.get(name)?.members.has(org) ?? false),
    );
    const required = this.requiredPolicies(first);
    const satisfies = (orgs: readonly string[]): boolean =>
      required.every((policy) =>
        evaluatePolicy(
          policy,
          orgs.map((mspId) => ({ mspId, role: 'peer' as const })),
        ),
      );
    const available = eligible.filter((org) => this.peers.get(org)?.available);
    const keepFirst = eligible.includes(gatewayMspId);
    const layout = smallestSatisfyingSet(available, keepFirst ? gatewayMspId : undefined, satisfies);
    if (!layout) {
      const anyOrgs = this.orgIds.filter((org) => this.peers.get(org)?.available);
      if (
        written.length > 0 &&
        proposal.transient.size > 0 &&
        smallestSatisfyingSet(anyOrgs, gatewayMspId, satisfies)
      ) {
        throw new EndorseError(
          GrpcStatus.FAILED_PRECONDITION,
          `requires endorsement from organisation(s) that are not in the distribution policy of the private data collection(s): [${written.join(' ')}]; retry specifying trusted endorsing organizations to protect transient data`,
          [],
          proposal.transactionId,
        );
      }
      const down = this.orgIds.filter((org) => !this.peers.get(org)?.available);
      throw new EndorseError(
        GrpcStatus.UNAVAILABLE,
        `failed to find any endorsing peers for org(s): ${down.join(', ')}`,
        [],
        proposal.transactionId,
      );
    }
    const endorsed: (EndorsementOutcome & { ok: true })[] = keepFirst ? [first] : [];
    const details: ErrorDetail[] = [];
    const accept = (outcome: EndorsementOutcome): void => {
      if (!outcome.ok) details.push(outcome.detail);
      else if (endorsed[0] && outcome.responsePayload !== endorsed[0].responsePayload)
        details.push(this.mismatch(outcome.mspId));
      else endorsed.push(outcome);
    };
    const planned = layout.filter((org) => !(keepFirst && org === gatewayMspId));
    for (const outcome of await Promise.all(planned.map((org) => this.peer(org).endorse(proposal))))
      accept(outcome);
    for (const org of available.filter((o) => !layout.includes(o))) {
      if (satisfies(endorsed.map((o) => o.mspId))) break;
      accept(await this.peer(org).endorse(proposal));
    }
    if (!satisfies(endorsed.map((o) => o.mspId))) {
      throw new EndorseError(GrpcStatus.ABORTED, FAILED_TO_COLLECT, details, proposal.transactionId);
    }
    return endorsed;
  }

  private mismatch(mspId: string): ErrorDetail {
    return { address: this.peer(mspId).address, mspId, message: PAYLOADS_DO_NOT_MATCH };
  }

  /** Which policies the writes of a simulation must satisfy, from committed key-level policies. */
  private requiredPolicies(outcome: EndorsementOutcome & { ok: true }): EndorsementPolicy[] {
    const rwset = outcome.encodedRwSet;
    const policies: EndorsementPolicy[] = [];
    let chaincodeLevel = false;
    for (const key of new Set([
      ...rwset.writes.map((w) => w.key),
      ...rwset.metadataWrites.map((w) => w.key),
    ])) {
      const param = this.store.read(this.store.metadata, key);
      if (param && param.length > 0) policies.push(decodeValidationParameter(param));
      else chaincodeLevel = true;
    }
    for (const c of rwset.collections) {
      for (const keyHash of new Set([
        ...c.hashedWrites.map((w) => w.keyHash),
        ...c.metadataWrites.map((w) => w.keyHash),
      ])) {
        const param = this.store.read(this.store.privateMetadata, collectionKey(c.collection, keyHash));
        const collectionPolicy = this.collectionPolicies.get(c.collection);
        if (param && param.length > 0) policies.push(decodeValidationParameter(param));
        else if (collectionPolicy) policies.push(collectionPolicy);
        else chaincodeLevel = true;
      }
    }
    if (chaincodeLevel || policies.length === 0) policies.push(this.chaincodePolicy);
    return policies;
  }

  private peer(mspId: string): Peer {
    const peer = this.peers.get(mspId);
    if (!peer)
      throw new GatewayError(
        GrpcStatus.UNAVAILABLE,
        `failed to find any endorsing peers for org(s): ${mspId}`,
      );
    return peer;
  }

  private availablePeer(mspId: string): Peer {
    const peer = this.peer(mspId);
    if (!peer.available) {
      throw new GatewayError(
        GrpcStatus.UNAVAILABLE,
        `failed to find any endorsing peers for org(s): ${mspId}`,
      );
    }
    return peer;
  }

  /** Membership as validation and endorsement check it: Fabric's, which expiry does not change (wasIssuedBy). */
  private isMemberIdentity(mspId: string, certificate: string): boolean {
    const cacheKey = `${mspId}\u0000${certificate}`;
    let ok = this.trusted.get(cacheKey);
    if (ok === undefined) {
      ok = this.orgIds.includes(mspId) && wasIssuedBy(certificate, this.msp.caCertificate(mspId));
      this.trusted.set(cacheKey, ok);
    }
    return ok;
  }

  /**
   * The endorser's check of the client's signature. This process built the proposal one call before,
   * so what can fail is only the identity's key not matching its certificate: checked on an
   * identity's first proposal, and remembered only when it passes. Later proposals by a proven
   * identity are not signed at all (evaluate, endorse): the block keeps the envelope's signature.
   */
  private isAuthentic(identity: ClientIdentity, proposal: Proposal): boolean {
    if (this.authenticIdentities.has(identity)) return true;
    if (!verifySignature(proposal.certificate, proposal.proposalBytes, proposal.signature)) return false;
    this.authenticIdentities.add(identity);
    return true;
  }

  private waitForCommit(txId: string): Promise<CommitStatus> {
    return new Promise((resolve, reject) => {
      const waiters = this.commitWaiters.get(txId) ?? [];
      waiters.push({ resolve, reject });
      this.commitWaiters.set(txId, waiters);
    });
  }

  private enqueueCommit(batch: OrderedTransaction[]): void {
    this.blocksInFlight += 1;
    this.commitChain = this.commitChain
      .then(() => this.commitBlock(batch))
      .catch((error: unknown) => this.failBlock(batch, error))
      .finally(() => {
        this.blocksInFlight -= 1;
        if (this.blocksInFlight === 0) this.orderer.committerIdle();
      });
  }

  /**
   * The store refused the block's batch. A LevelDB batch is atomic and this process's state and
   * caches are unchanged. Whether the batch reached the disk is not known (it may have been logged
   * before the write failed), so the store is reopened before the next block, which is then cut on
   * the tip the store reports (reopenStore). So submitters learn that their transaction is not
   * confirmed (503-class), not that it did not happen; a retry of theirs is answered from it.
   */
  private failBlock(batch: OrderedTransaction[], error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    for (const tx of batch) {
      const waiters = this.commitWaiters.get(tx.envelope.txId) ?? [];
      this.commitWaiters.delete(tx.envelope.txId);
      for (const waiter of waiters) {
        waiter.reject(
          new OutcomeUnknownError(
            GrpcStatus.UNAVAILABLE,
            `block could not be confirmed written (it may appear once the store is reopened): ${reason}`,
            [],
            tx.envelope.txId,
          ),
        );
      }
    }
  }

  private async commitBlock(batch: OrderedTransaction[]): Promise<void> {
    if (this.store.needsReopen) await this.reopenStore();
    const number = this.tip.height;
    const validated = await this.validator.validate(number, this.tip.hash, batch);
    if (validated.purgedKeys.length > 0) await this.store.flushBeforePurge(validated.purgedKeys);
    await this.commitLock.exclusive(() => this.store.write(validated.ops));
    // The block is durable from here: whatever fails next, the next block must be cut on top of it.
    this.tip = { height: number + 1, hash: validated.hash };
    // Fabric purges earlier versions from its private data store in the background; here it is done
    // before the commit is reported, so a client that saw the purge commit knows the data is gone.
    // If compaction fails, the keys stay recorded and are compacted with the next purge or when the
    // store is next opened; the block is committed all the same, and its clients are told so.
    if (validated.purgedKeys.length > 0) {
      await this.store.compactPurged().catch((error: unknown) => {
        process.emitWarning(
          `block ${number} is committed, but compacting its purged private data failed (retried with the next purge and when the store is opened): ${error instanceof Error ? error.message : String(error)}`,
          { code: PURGE_COMPACTION_FAILED },
        );
      });
    }
    const codes = validated.block.metadata.validationCodes;
    for (const [txNum, tx] of batch.entries()) {
      const txId = tx.envelope.txId;
      const waiters = this.commitWaiters.get(txId);
      if (!waiters) continue;
      this.commitWaiters.delete(txId);
      // A resubmitted transaction id reports the status of its first commit, as Fabric does.
      const status =
        codes[txNum] === TxValidationCode.DUPLICATE_TXID ? await this.getTransactionStatus(txId) : undefined;
      for (const { resolve } of waiters) {
        resolve(
          status ?? {
            transactionId: txId,
            code: codes[txNum]!,
            successful: codes[txNum] === TxValidationCode.VALID,
            blockNumber: BigInt(number),
          },
        );
      }
    }
    this.publish(validated.block);
  }

  private publish(block: Block): void {
    for (const event of eventsOf(block, this.options.chaincode.name)) {
      for (const listener of this.listeners) listener.push(event);
    }
  }

  /**
   * Reopens the store after a failed block write (storage/reopen.ts), before the next block. The
   * failed block may have reached the log after all: it is then committed, on the tip the store
   * reports, and its events go out as any block's (its submitters were told its outcome is not
   * known, and a retry of theirs is answered from it).
   */
  private async reopenStore(): Promise<void> {
    await this.commitLock.exclusive(() => this.store.reopen());
    const tip = await readTip(this.store);
    if (!tip) throw new Error('the reopened store has no tip');
    for (let n = this.tip.height; n < tip.height; n++) this.publish(await this.getBlock(n));
    this.tip = tip;
  }
}

/** Events of the valid transactions of a block, in order: what a Fabric event service delivers. */
function eventsOf(block: Block, chaincodeName: string): ChaincodeEvent[] {
  if (isConfigData(block.data)) return [];
  const events: ChaincodeEvent[] = [];
  for (const [i, tx] of block.data.transactions.entries()) {
    if (block.metadata.validationCodes[i] !== TxValidationCode.VALID || !tx.event) continue;
    events.push({
      blockNumber: BigInt(block.header.number),
      transactionId: tx.txId,
      chaincodeName,
      eventName: tx.event.name,
      payload: Buffer.from(tx.event.payload, 'base64'),
    });
  }
  return events;
}

/** The smallest subset of `orgs` (containing `required` when given) for which `satisfies` holds. */
function smallestSatisfyingSet(
  orgs: readonly string[],
  required: string | undefined,
  satisfies: (orgs: string[]) => boolean,
): string[] | undefined {
  const pool = orgs.filter((org) => org !== required);
  if (required !== undefined && !orgs.includes(required)) return undefined;
  const base = required === undefined ? [] : [required];
  for (let size = 0; size <= pool.length; size++) {
    for (const combination of combinations(pool, size)) {
      const candidate = [...base, ...combination];
      if (candidate.length > 0 && satisfies(candidate)) return candidate;
    }
  }
  return undefined;
}

function* combinations<T>(items: readonly T[], size: number, start = 0): Generator<T[]> {
  if (size === 0) {
    yield [];
    return;
  }
  for (let i = start; i <= items.length - size; i++) {
    for (const rest of combinations(items, size - 1, i + 1)) yield [items[i]!, ...rest];
  }
}

async function readTip(store: LedgerStore): Promise<Tip | undefined> {
  const bytes = await store.savepoint.get('tip');
  return bytes ? (JSON.parse(Buffer.from(bytes).toString()) as Tip) : undefined;
}

/** Block 0 records the channel's configuration: organisations with their CA certificates, policies, collections. */
async function writeGenesis(store: LedgerStore, options: EmbeddedLedgerOptions, msp: MspStore): Promise<Tip> {
  const data = {
    type: 'config' as const,
    channel: options.channel,
    config: {
      organisations: options.organisations.map((o) => ({ ...o, caCertificate: msp.caCertificate(o.mspId) })),
      chaincode: options.chaincode.name,
      endorsementPolicy: options.endorsementPolicy ?? DEFAULT_ENDORSEMENT_POLICY,
      collections: loadCollectionsConfig(options.collections).map((c) => ({
        ...c,
        members: [...c.members].sort(),
      })),
    },
  };
  const { bytes, hash } = sealBlock(0, '', data, []);
  await store.write([
    { type: 'put', sublevel: store.blocks, key: blockKey(0), value: bytes },
    {
      type: 'put',
      sublevel: store.savepoint,
      key: 'tip',
      value: Buffer.from(JSON.stringify({ height: 1, hash })),
    },
  ]);
  return { height: 1, hash };
}
