/**
 * Signed proposals in Fabric's wire format, built the way @hyperledger/fabric-gateway builds them, so the
 * embedded ledger can hand fabric-shim's ChaincodeStub the same bytes a peer would.
 */
import protos from '@hyperledger/fabric-protos';
import type Long from 'long';
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { ClientIdentity } from '../port.js';

const { common, msp, peer } = protos;

export type SignedProposal = InstanceType<typeof peer.SignedProposal>;
export type ChaincodeInput = InstanceType<typeof peer.ChaincodeInput>;

interface TimestampMessage {
  getSeconds(): number;
  setSeconds(value: number): void;
  getNanos(): number;
  setNanos(value: number): void;
}

const require = createRequire(import.meta.url);
// The Timestamp class and Long must be the very ones fabric-protos and fabric-shim load (no typings ship
// for google-protobuf, and fabric-shim builds its Long with require).
const protosRequire = createRequire(require.resolve('@hyperledger/fabric-protos'));
const { Timestamp } = protosRequire('google-protobuf/google/protobuf/timestamp_pb.js') as {
  Timestamp: new () => TimestampMessage;
};
const LongClass = require('long') as typeof Long;

/** The proposal timestamp as fabric-shim's `stub.getTxTimestamp()` gives it: unsigned Long seconds. */
export interface TxTimestamp {
  readonly seconds: Long;
  readonly nanos: number;
}

export interface ProposalSpec {
  readonly channel: string;
  readonly chaincode: string;
  readonly identity: ClientIdentity;
  /** The transaction name first, then its arguments, as in ChaincodeInput.args. */
  readonly args: readonly Uint8Array[];
  readonly transient?: Readonly<Record<string, Uint8Array>>;
  /** Defaults to now; fabric-gateway stamps the proposal with the client's clock, at ms precision. */
  readonly timestamp?: Date;
  /** Defaults to 24 random bytes, as fabric-gateway uses. */
  readonly nonce?: Uint8Array;
  /**
   * Leave the proposal unsigned (an empty signature, which is what the chaincode's stub then holds).
   * Only for a proposal that never leaves the process, by an identity whose key the endorser has
   * already proven to match its certificate (EmbeddedLedger's isAuthentic), so nothing checks it.
   */
  readonly unsigned?: boolean;
}

/**
 * A signed proposal with the fields a peer reads from it. The embedded ledger builds every proposal in
 * the process that endorses it, so it keeps these fields rather than decode its own bytes again;
 * fabric-shim's ChaincodeStub still decodes `signedProposal`, as it does on a peer.
 */
export interface Proposal {
  readonly transactionId: string;
  readonly channel: string;
  readonly chaincode: string;
  readonly mspId: string;
  /** PEM certificate of the creator (the SerializedIdentity id_bytes). */
  readonly certificate: string;
  readonly timestamp: Date;
  readonly args: readonly Uint8Array[];
  readonly transient: ReadonlyMap<string, Uint8Array>;
  readonly proposalBytes: Uint8Array;
  readonly signature: Uint8Array;
  readonly signedProposal: SignedProposal;
  readonly chaincodeInput: ChaincodeInput;
}

const NONCE_LENGTH = 24;

/** Fabric's rule: the transaction ID is the hex SHA-256 of nonce ‖ serialized creator. */
export function computeTransactionId(nonce: Uint8Array, creatorBytes: Uint8Array): string {
  return createHash('sha256').update(nonce).update(creatorBytes).digest('hex');
}

/** msp.SerializedIdentity bytes, the `creator` of a proposal. */
export function serializeIdentity(mspId: string, certificatePem: string): Uint8Array {
  const identity = new msp.SerializedIdentity();
  identity.setMspid(mspId);
  identity.setIdBytes(new TextEncoder().encode(certificatePem));
  return identity.serializeBinary();
}

export function txTimestamp(date: Date): TxTimestamp {
  const { seconds, nanos } = splitDate(date);
  return { seconds: LongClass.fromNumber(seconds, true), nanos };
}

/** google.protobuf.Timestamp.fromDate's split, so sub-second time is whole milliseconds. */
function splitDate(date: Date): { seconds: number; nanos: number } {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new Error('Invalid proposal timestamp');
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

export async function buildSignedProposal(spec: ProposalSpec): Promise<Proposal> {
  const nonce = spec.nonce ?? randomBytes(NONCE_LENGTH);
  const creator = serializeIdentity(spec.identity.mspId, spec.identity.certificate);
  const transactionId = computeTransactionId(nonce, creator);

  const chaincodeId = new peer.ChaincodeID();
  chaincodeId.setName(spec.chaincode);

  const headerExtension = new peer.ChaincodeHeaderExtension();
  headerExtension.setChaincodeId(chaincodeId);

  const { seconds, nanos } = splitDate(spec.timestamp ?? new Date());
  const timestamp = new Timestamp();
  timestamp.setSeconds(seconds);
  timestamp.setNanos(nanos);

  const channelHeader = new common.ChannelHeader();
  channelHeader.setType(common.HeaderType.ENDORSER_TRANSACTION);
  channelHeader.setTxId(transactionId);
  channelHeader.setTimestamp(timestamp);
  channelHeader.setChannelId(spec.channel);
  channelHeader.setExtension$(headerExtension.serializeBinary());
  channelHeader.setEpoch(0);

  const signatureHeader = new common.SignatureHeader();
  signatureHeader.setCreator(creator);
  signatureHeader.setNonce(nonce);

  const header = new common.Header();
  header.setChannelHeader(channelHeader.serializeBinary());
  header.setSignatureHeader(signatureHeader.serializeBinary());

  const chaincodeInput = new peer.ChaincodeInput();
  chaincodeInput.setArgsList([...spec.args]);

  const chaincodeSpec = new peer.ChaincodeSpec();
  chaincodeSpec.setType(peer.ChaincodeSpec.Type.NODE);
  chaincodeSpec.setChaincodeId(chaincodeId);
  chaincodeSpec.setInput(chaincodeInput);

  const invocationSpec = new peer.ChaincodeInvocationSpec();
  invocationSpec.setChaincodeSpec(chaincodeSpec);

  const payload = new peer.ChaincodeProposalPayload();
  payload.setInput(invocationSpec.serializeBinary());
  const transient = new Map(Object.entries(spec.transient ?? {}));
  const transientMap = payload.getTransientmapMap();
  for (const [key, value] of transient) transientMap.set(key, value);

  const proposal = new peer.Proposal();
  proposal.setHeader(header.serializeBinary());
  proposal.setPayload(payload.serializeBinary());
  const proposalBytes = proposal.serializeBinary();

  const signature = spec.unsigned ? new Uint8Array(0) : await spec.identity.sign(proposalBytes);
  const signedProposal = new peer.SignedProposal();
  signedProposal.setProposalBytes(proposalBytes);
  signedProposal.setSignature(signature);

  return {
    transactionId,
    channel: spec.channel,
    chaincode: spec.chaincode,
    mspId: spec.identity.mspId,
    certificate: spec.identity.certificate,
    // What a peer reads back from the Timestamp: whole milliseconds.
    timestamp: new Date(seconds * 1000 + nanos / 1_000_000),
    args: spec.args,
    transient,
    proposalBytes,
    signature,
    signedProposal,
    chaincodeInput,
  };
}
