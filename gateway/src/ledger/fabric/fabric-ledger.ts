import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import {
  connect,
  GatewayError as FabricGatewayError,
  hash,
  type ChaincodeEvent as FabricChaincodeEvent,
  type CloseableAsyncIterable,
  type Contract,
  type Gateway,
  type Network,
  type Proposal as FabricProposal,
  type ProposalOptions as FabricProposalOptions,
  type Status,
  type Transaction,
} from '@hyperledger/fabric-gateway';
import { common, gateway as gatewayProtos, peer } from '@hyperledger/fabric-protos';
import {
  commitEndorsed,
  GatewayError,
  GrpcStatus,
  type ChaincodeEvent,
  type ClientIdentity,
  type Commit,
  type CommitStatus,
  type CommittedTransaction,
  type EndorsedTransaction,
  type EventsOptions,
  type LedgerPort,
  type ProposalOptions,
  type SubmitResult,
} from '../port.js';
import { FileCheckpoint } from './checkpoint.js';
import {
  loadConnectionProfiles,
  loadOrgProfile,
  type ConnectionProfiles,
  type OrgProfile,
  type PeerConnection,
} from './connection-profile.js';
import {
  isOutcomeUnknown,
  isTransientStreamError,
  toLedgerError,
  toOutcomeUnknown,
  unavailable,
} from './errors.js';
import { loadUserIdentity, ProfileIdentityProvider } from './identities.js';
import { linkedSignal } from '../../signals.js';

/** Per-call gRPC deadlines, in milliseconds. */
export interface FabricDeadlines {
  readonly evaluateMs: number;
  readonly endorseMs: number;
  readonly submitMs: number;
  readonly commitStatusMs: number;
}

/** The deadlines measured to work on a small native network (FABRIC.md, "Client facts"). */
export const DEFAULT_DEADLINES: FabricDeadlines = {
  evaluateMs: 5_000,
  endorseMs: 15_000,
  submitMs: 5_000,
  commitStatusMs: 60_000,
};

export interface FabricLedgerOptions {
  /** Folder with `network.json` and one `<MSPID>.json` per organisation. */
  readonly profileDir: string;
  /** The organisation operating this gateway: its peer is dialled at open and reads the event stream. */
  readonly mspId: string;
  /** When given, `ledger.checkpoint` is a FileCheckpoint kept in this file. */
  readonly checkpointFile?: string;
  /** The chaincode called (default: the profiles' chaincode); benchmarks call a reference chaincode. */
  readonly chaincode?: string;
  /** The operator's profile user that reads chaincode events (default: the first non-admin user). */
  readonly eventsUser?: string;
  readonly deadlines?: Partial<FabricDeadlines>;
  /** How long open() waits for the operator's peer to accept a connection (default 10 s). */
  readonly connectTimeoutMs?: number;
  /**
   * Backoff between reconnections (default 250 ms doubling up to 10 s): of the event stream, and of
   * a Submit or CommitStatus call that failed leaving the transaction's outcome unknown.
   */
  readonly reconnect?: { readonly initialDelayMs?: number; readonly maxDelayMs?: number };
  /** Told about each event stream failure that will be retried (for logging). */
  readonly onEventsRetry?: (error: unknown, delayMs: number) => void;
}

/** At most this many Gateway objects are cached (one per client identity). */
const GATEWAY_CACHE_LIMIT = 1024;

/**
 * How many times a Submit or CommitStatus call is made while its failure leaves the outcome unknown:
 * with the default backoff, its pauses add up to 3.75 s.
 */
const OUTCOME_ATTEMPTS = 5;

/** Preferred profile users for reading events, before any other non-admin user. */
const EVENTS_USERS = ['service', 'client', 'user', 'default'];

/**
 * The ledger port over a real Fabric network, through the Fabric Gateway service of its peers
 * (@hyperledger/fabric-gateway). Each client identity reaches the ledger through its own
 * organisation's peer (as on the embedded ledger, where that peer endorses first and evaluates),
 * or through the operator's peer when its organisation has no profile. gRPC connections are
 * shared per peer endpoint; one Gateway is kept per identity. Errors are the port's classes with
 * Fabric's codes, messages and details.
 */
export class FabricLedger implements LedgerPort {
  private readonly clients = new Map<string, grpc.Client>();
  private readonly gateways = new Map<string, Gateway>();
  private readonly shutdown = new AbortController();
  private closed = false;

  private constructor(
    readonly profiles: ConnectionProfiles,
    private readonly operator: OrgProfile,
    private readonly eventsIdentity: ClientIdentity,
    /** The persistent event checkpoint, when open() was given a checkpointFile. */
    readonly checkpoint: FileCheckpoint | undefined,
    private readonly deadlines: FabricDeadlines,
    private readonly options: FabricLedgerOptions,
  ) {}

  /**
   * Loads the connection profiles, dials the operator's peer and waits until it accepts the
   * connection; a peer that cannot be reached fails with GatewayError 14 UNAVAILABLE.
   */
  static async open(options: FabricLedgerOptions): Promise<FabricLedger> {
    const loaded = await loadConnectionProfiles(options.profileDir);
    let operator = loaded.organisations.get(options.mspId);
    let profiles = loaded;
    if (!operator) {
      // Not listed in network.json (or its file is missing): this names the file that is needed.
      operator = await loadOrgProfile(options.profileDir, options.mspId);
      profiles = {
        network: loaded.network,
        organisations: new Map([...loaded.organisations, [operator.mspId, operator]]),
      };
    }
    const eventsIdentity = await loadUserIdentity(operator, options.eventsUser ?? eventsUserOf(operator));
    const checkpoint = options.checkpointFile ? await FileCheckpoint.open(options.checkpointFile) : undefined;
    const ledger = new FabricLedger(
      profiles,
      operator,
      eventsIdentity,
      checkpoint,
      { ...DEFAULT_DEADLINES, ...options.deadlines },
      options,
    );
    try {
      await ledger.waitForPeer(operator, options.connectTimeoutMs ?? 10_000);
    } catch (error) {
      await ledger.close();
      throw error;
    }
    return ledger;
  }

  get channel(): string {
    return this.profiles.network.channel;
  }

  get chaincode(): string {
    return this.options.chaincode ?? this.profiles.network.chaincode;
  }

  /** Signs for gateway principals with the profiles' users (see ProfileIdentityProvider). */
  identityProvider(): ProfileIdentityProvider {
    return new ProfileIdentityProvider(this.profiles.organisations);
  }

  async evaluate(
    identity: ClientIdentity,
    transactionName: string,
    options: ProposalOptions = {},
  ): Promise<Uint8Array> {
    const contract = this.contractFor(identity);
    try {
      return await contract.evaluate(transactionName, fabricProposalOptions(options));
    } catch (error) {
      throw toLedgerError(error);
    }
  }

  async blockOf(identity: ClientIdentity, transactionId: string): Promise<bigint | undefined> {
    const bytes = await this.byTransactionId(identity, 'GetBlockByTxID', transactionId);
    return bytes && BigInt(common.Block.deserializeBinary(bytes).getHeader()?.getNumber() ?? 0);
  }

  async committedTransaction(
    identity: ClientIdentity,
    transactionId: string,
  ): Promise<CommittedTransaction | undefined> {
    const bytes = await this.byTransactionId(identity, 'GetTransactionByID', transactionId);
    if (!bytes) return undefined;
    const processed = peer.ProcessedTransaction.deserializeBinary(bytes);
    const blockNumber = await this.blockOf(identity, transactionId);
    if (blockNumber === undefined) return undefined;
    return {
      transactionId,
      blockNumber,
      code: processed.getValidationcode(),
      result: chaincodeResult(processed),
    };
  }

  /** A qscc query by transaction id; undefined when the peer's block index does not hold the id. */
  private async byTransactionId(
    identity: ClientIdentity,
    query: 'GetBlockByTxID' | 'GetTransactionByID',
    transactionId: string,
  ): Promise<Uint8Array | undefined> {
    this.assertOpen();
    const qscc = this.gatewayFor(identity).getNetwork(this.channel).getContract('qscc');
    try {
      return await qscc.evaluate(query, { arguments: [this.channel, transactionId] });
    } catch (error) {
      const mapped = toLedgerError(error);
      // qscc's answer for a transaction id its block index does not hold.
      if (
        mapped instanceof GatewayError &&
        /no such transaction ID/i.test(mapped.message + JSON.stringify(mapped.details))
      ) {
        return undefined;
      }
      throw mapped;
    }
  }

  async endorse(
    identity: ClientIdentity,
    transactionName: string,
    options: ProposalOptions = {},
  ): Promise<EndorsedTransaction> {
    const built = this.contractFor(identity).newProposal(transactionName, fabricProposalOptions(options));
    const proposal =
      options.nonce === undefined
        ? built
        : this.gatewayFor(identity).newProposal(withNonce(built, options.nonce));
    let transaction: Transaction;
    try {
      transaction = await proposal.endorse();
    } catch (error) {
      throw toLedgerError(error);
    }
    const transactionId = transaction.getTransactionId();
    return {
      transactionId,
      result: transaction.getResult(),
      submit: async (): Promise<Commit> => {
        this.assertOpen();
        const submitted = await this.untilKnown(() => transaction.submit(), isOutcomeUnknown);
        let status: Promise<CommitStatus> | undefined;
        return {
          transactionId,
          getStatus: () => {
            status ??= this.untilKnown(() => submitted.getStatus(), mayLearnStatus).then(
              toCommitStatus,
              (error: unknown) => {
                status = undefined;
                throw error;
              },
            );
            return status;
          },
        };
      },
    };
  }

  /**
   * Makes a Submit or CommitStatus call, and makes it again (with the reconnection backoff, at most
   * OUTCOME_ATTEMPTS times) while its failure leaves the transaction's outcome unknown: answering
   * with that failure would have the client submit a new transaction while the first one may commit.
   * Submitting the same signed transaction again cannot write twice: Fabric keeps only the first
   * valid copy of a transaction id (later ones are DUPLICATE_TXID) and its commit status reports that
   * copy (FABRIC-SEMANTICS 3i).
   */
  private async untilKnown<T>(call: () => Promise<T>, askAgain: (error: unknown) => boolean): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (attempt >= OUTCOME_ATTEMPTS || !askAgain(error)) {
          throw isOutcomeUnknown(error) ? toOutcomeUnknown(error) : toLedgerError(error);
        }
        await sleep(this.backoff(attempt - 1), this.shutdown.signal);
        this.assertOpen();
      }
    }
  }

  /** The pause before a reconnection after this many failures in a row. */
  private backoff(failures: number): number {
    const initialDelay = this.options.reconnect?.initialDelayMs ?? 250;
    const maxDelay = this.options.reconnect?.maxDelayMs ?? 10_000;
    return Math.min(maxDelay, initialDelay * 2 ** failures);
  }

  async submit(
    identity: ClientIdentity,
    transactionName: string,
    options: ProposalOptions = {},
  ): Promise<SubmitResult> {
    return commitEndorsed(await this.endorse(identity, transactionName, options));
  }

  /**
   * Chaincode events of this ledger's chaincode in commit order, read through the operator's peer.
   * When the stream fails (a peer restart ends it with an error) it is reopened, with backoff, from
   * the block of the last event delivered, and events already delivered from that block are
   * skipped: nothing is lost or repeated. With no start block, it starts at the chain height read
   * before the first stream opens. Ends when the signal aborts or the ledger closes.
   */
  async *events(options: EventsOptions = {}): AsyncIterable<ChaincodeEvent> {
    this.assertOpen();
    const linked = options.signal ? linkedSignal(options.signal, this.shutdown.signal) : undefined;
    try {
      yield* this.eventsUntil(options, linked?.signal ?? this.shutdown.signal);
    } finally {
      linked?.release();
    }
  }

  private async *eventsUntil(options: EventsOptions, signal: AbortSignal): AsyncGenerator<ChaincodeEvent> {
    const network = this.gatewayFor(this.eventsIdentity).getNetwork(this.channel);

    let start = options.startBlock;
    /** Within the start block, events up to and including this transaction are skipped. */
    let skipUntil = options.afterTransactionId;
    /** The position reached: the block of the last event passed (delivered or skipped), and its events. */
    let lastBlock: bigint | undefined;
    const passed = new Set<string>();
    let failures = 0;

    while (!signal.aborted) {
      let stream: CloseableAsyncIterable<FabricChaincodeEvent> | undefined;
      const closeStream = (): void => stream?.close();
      try {
        // With no start block, "the next block to be committed" is read and fixed before the first
        // stream opens: a stream opened at "next" and reopened after a failure would skip the blocks
        // committed in between. A failure to read it is retried like a stream failure.
        start ??= await this.heightOn(network);
        stream = await network.getChaincodeEvents(this.chaincode, { startBlock: lastBlock ?? start });
        signal.addEventListener('abort', closeStream, { once: true });
        if (signal.aborted) return;
        for await (const event of stream) {
          failures = 0;
          if (lastBlock !== undefined) {
            if (event.blockNumber < lastBlock) continue;
            if (event.blockNumber === lastBlock && passed.has(event.transactionId)) continue;
          }
          let skip = false;
          if (skipUntil !== undefined) {
            if (event.blockNumber === start) {
              skip = true;
              if (event.transactionId === skipUntil) skipUntil = undefined;
            } else {
              skipUntil = undefined;
            }
          }
          if (event.blockNumber !== lastBlock) {
            lastBlock = event.blockNumber;
            passed.clear();
          }
          passed.add(event.transactionId);
          if (!skip) yield toPortEvent(event);
        }
        if (signal.aborted) return;
        // A stream that ends without an error was closed by the peer: reopen it as after a failure.
        throw unavailable('chaincode event stream ended');
      } catch (error) {
        if (signal.aborted) return;
        if (!isTransientStreamError(error)) throw toLedgerError(error);
        const delay = this.backoff(failures);
        failures += 1;
        this.options.onEventsRetry?.(toLedgerError(error), delay);
        // Close the failed stream before waiting, not after.
        stream?.close();
        await sleep(delay, signal);
      } finally {
        signal.removeEventListener('abort', closeStream);
        stream?.close();
      }
    }
  }

  /** Closes the event streams, the gateways and the gRPC connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.shutdown.abort();
    for (const gateway of this.gateways.values()) gateway.close();
    this.gateways.clear();
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
    await this.checkpoint?.flush();
  }

  private assertOpen(): void {
    if (this.closed) throw new GatewayError(GrpcStatus.UNAVAILABLE, 'ledger is closed');
  }

  private contractFor(identity: ClientIdentity): Contract {
    this.assertOpen();
    return this.gatewayFor(identity).getNetwork(this.channel).getContract(this.chaincode);
  }

  /** One Gateway per client identity, through the peer of the identity's organisation. */
  private gatewayFor(identity: ClientIdentity): Gateway {
    const key = `${identity.mspId}\u0000${identity.certificate}`;
    let gateway = this.gateways.get(key);
    if (gateway) return gateway;
    const peer = this.profiles.organisations.get(identity.mspId) ?? this.operator;
    const { evaluateMs, endorseMs, submitMs, commitStatusMs } = this.deadlines;
    gateway = connect({
      client: this.clientFor(peer),
      identity: { mspId: identity.mspId, credentials: Buffer.from(identity.certificate, 'utf8') },
      // fabric-gateway hands the signer hash(message); with hash.none that is the message itself,
      // which ClientIdentity.sign hashes (SHA-256) and signs, so the key never leaves the identity.
      hash: hash.none,
      signer: (message) => identity.sign(message),
      evaluateOptions: () => ({ deadline: Date.now() + evaluateMs }),
      endorseOptions: () => ({ deadline: Date.now() + endorseMs }),
      submitOptions: () => ({ deadline: Date.now() + submitMs }),
      commitStatusOptions: () => ({ deadline: Date.now() + commitStatusMs }),
    });
    if (this.gateways.size >= GATEWAY_CACHE_LIMIT) {
      const oldest = this.gateways.keys().next().value;
      if (oldest !== undefined) {
        this.gateways.get(oldest)?.close();
        this.gateways.delete(oldest);
      }
    }
    this.gateways.set(key, gateway);
    return gateway;
  }

  /** One gRPC connection per peer endpoint, shared by every gateway that uses that peer. */
  private clientFor(peer: PeerConnection): grpc.Client {
    this.assertOpen();
    let client = this.clients.get(peer.peerEndpoint);
    if (!client) {
      const channelOptions: grpc.ChannelOptions = {
        // Fabric peers refuse pings more often than every 60 s (keepalive enforcement).
        'grpc.keepalive_time_ms': 120_000,
        'grpc.keepalive_timeout_ms': 20_000,
      };
      if (peer.hostAlias !== undefined) channelOptions['grpc.ssl_target_name_override'] = peer.hostAlias;
      client = new grpc.Client(
        peer.peerEndpoint,
        grpc.credentials.createSsl(peer.tlsRootCert),
        channelOptions,
      );
      this.clients.set(peer.peerEndpoint, client);
    }
    return client;
  }

  private waitForPeer(peer: PeerConnection, timeoutMs: number): Promise<void> {
    const client = this.clientFor(peer);
    return new Promise((resolve, reject) => {
      client.waitForReady(Date.now() + timeoutMs, (error) => {
        if (!error) return resolve();
        reject(
          unavailable(
            `cannot connect to the peer of ${peer.mspId} at ${peer.peerEndpoint} within ${timeoutMs} ms (${error.message})`,
            error,
          ),
        );
      });
    });
  }

  async chainHeight(): Promise<bigint> {
    this.assertOpen();
    try {
      return await this.heightOn(this.gatewayFor(this.eventsIdentity).getNetwork(this.channel));
    } catch (error) {
      throw toLedgerError(error);
    }
  }

  /**
   * The channel height (= the next block to be committed), from qscc (Fabric's gateway evaluates
   * system chaincodes since 2.4.4).
   */
  private async heightOn(network: Network): Promise<bigint> {
    // On the operator's own peer, the one the event stream is read from.
    const bytes = await network.getContract('qscc').evaluate('GetChainInfo', {
      arguments: [this.channel],
      endorsingOrganizations: [this.operator.mspId],
    });
    return BigInt(common.BlockchainInfo.deserializeBinary(bytes).getHeight());
  }
}

/**
 * Whether a failed CommitStatus call is worth making again: the outcome is unknown, and the call did
 * not time out (it already waited the whole commitStatusMs; asking again would make the caller wait
 * as long again).
 */
function mayLearnStatus(error: unknown): boolean {
  return (
    isOutcomeUnknown(error) &&
    !(error instanceof FabricGatewayError && error.code === GrpcStatus.DEADLINE_EXCEEDED)
  );
}

/**
 * The proposal with another nonce, and so another transaction id (the hash of nonce and creator),
 * as serialized ProposedTransaction bytes: fabric-gateway draws a random nonce and has no option
 * to choose it. Unsigned: the Proposal made from these bytes signs them when it is endorsed.
 */
function withNonce(proposal: FabricProposal, nonce: Uint8Array): Uint8Array {
  const proposed = gatewayProtos.ProposedTransaction.deserializeBinary(proposal.getBytes());
  const signed = proposed.getProposal()!;
  const body = peer.Proposal.deserializeBinary(signed.getProposalBytes_asU8());
  const header = common.Header.deserializeBinary(body.getHeader_asU8());
  const signatureHeader = common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8());
  signatureHeader.setNonce(nonce);
  const transactionId = createHash('sha256')
    .update(nonce)
    .update(signatureHeader.getCreator_asU8())
    .digest('hex');
  const channelHeader = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
  channelHeader.setTxId(transactionId);
  header.setSignatureHeader(signatureHeader.serializeBinary());
  header.setChannelHeader(channelHeader.serializeBinary());
  body.setHeader(header.serializeBinary());
  signed.setProposalBytes(body.serializeBinary());
  signed.setSignature(new Uint8Array());
  proposed.setProposal(signed);
  proposed.setTransactionId(transactionId);
  return proposed.serializeBinary();
}

/** The chaincode's response payload inside a committed transaction, as its endorsers returned it. */
function chaincodeResult(processed: peer.ProcessedTransaction): Uint8Array {
  const envelope = processed.getTransactionenvelope();
  if (!envelope) return new Uint8Array();
  const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
  const transaction = peer.Transaction.deserializeBinary(payload.getData_asU8());
  const action = transaction.getActionsList()[0];
  if (!action) return new Uint8Array();
  const endorsed = peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8()).getAction();
  if (!endorsed) return new Uint8Array();
  const response = peer.ProposalResponsePayload.deserializeBinary(endorsed.getProposalResponsePayload_asU8());
  return (
    peer.ChaincodeAction.deserializeBinary(response.getExtension_asU8()).getResponse()?.getPayload_asU8() ??
    new Uint8Array()
  );
}

function eventsUserOf(profile: OrgProfile): string {
  const names = Object.keys(profile.users);
  return (
    EVENTS_USERS.find((name) => names.includes(name)) ??
    names.find((name) => name !== 'admin') ??
    names[0] ??
    'admin'
  );
}

function fabricProposalOptions(options: ProposalOptions): FabricProposalOptions {
  const result: FabricProposalOptions = {};
  if (options.arguments) result.arguments = [...options.arguments];
  if (options.transientData) result.transientData = { ...options.transientData };
  if (options.endorsingOrganizations) result.endorsingOrganizations = [...options.endorsingOrganizations];
  return result;
}

function toCommitStatus(status: Status): CommitStatus {
  return {
    transactionId: status.transactionId,
    code: status.code,
    successful: status.successful,
    blockNumber: status.blockNumber,
  };
}

function toPortEvent(event: FabricChaincodeEvent): ChaincodeEvent {
  return {
    blockNumber: event.blockNumber,
    transactionId: event.transactionId,
    chaincodeName: event.chaincodeName,
    eventName: event.eventName,
    payload: event.payload,
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
