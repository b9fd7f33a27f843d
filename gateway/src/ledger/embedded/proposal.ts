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
}

export interface BuiltProposal {
  readonly transactionId: string;
  readonly signedProposal: SignedProposal;
  readonly proposalBytes: Uint8Array;
  readonly chaincodeInput: ChaincodeInput;
}

export interface DecodedProposal {
  readonly transactionId: string;
  readonly channel: string;
  readonly chaincode: string;
  readonly mspId: string;
  /** PEM certificate of the creator (the SerializedIdentity id_bytes). */
  readonly certificate: string;
  /** The serialized SerializedIdentity: what the transaction ID is computed over. */
  readonly creatorBytes: Uint8Array;
  readonly nonce: Uint8Array;
  readonly timestamp: Date;
  readonly txTimestamp: TxTimestamp;
  readonly args: Uint8Array[];
  readonly transient: Map<string, Uint8Array>;
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

export async function buildSignedProposal(spec: ProposalSpec): Promise<BuiltProposal> {
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
  const transientMap = payload.getTransientmapMap();
  for (const [key, value] of Object.entries(spec.transient ?? {})) transientMap.set(key, value);

  const proposal = new peer.Proposal();
  proposal.setHeader(header.serializeBinary());
  proposal.setPayload(payload.serializeBinary());
  const proposalBytes = proposal.serializeBinary();

  const signedProposal = new peer.SignedProposal();
  signedProposal.setProposalBytes(proposalBytes);
  signedProposal.setSignature(await spec.identity.sign(proposalBytes));

  return { transactionId, signedProposal, proposalBytes, chaincodeInput };
}

/** Decodes a signed proposal, checking its structure as a peer's endorser does (not its signature). */
export function decodeSignedProposal(input: SignedProposal | Uint8Array): DecodedProposal {
  const signedProposal =
    input instanceof Uint8Array
      ? decode('SignedProposal', () => peer.SignedProposal.deserializeBinary(input))
      : input;
  const proposalBytes = signedProposal.getProposalBytes_asU8();
  const signature = signedProposal.getSignature_asU8();
  if (proposalBytes.length === 0) throw malformed('proposal bytes are empty');

  const proposal = decode('Proposal', () => peer.Proposal.deserializeBinary(proposalBytes));
  const headerBytes = proposal.getHeader_asU8();
  if (headerBytes.length === 0) throw malformed('proposal header is empty');
  const payloadBytes = proposal.getPayload_asU8();
  if (payloadBytes.length === 0) throw malformed('proposal payload is empty');

  const header = decode('Header', () => common.Header.deserializeBinary(headerBytes));
  const channelHeader = decode('ChannelHeader', () =>
    common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8()),
  );
  const signatureHeader = decode('SignatureHeader', () =>
    common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8()),
  );

  if (channelHeader.getType() !== common.HeaderType.ENDORSER_TRANSACTION) {
    throw malformed(`invalid header type ${channelHeader.getType()}`);
  }
  const transactionId = channelHeader.getTxId();
  if (!transactionId) throw malformed('transaction ID is empty');
  const channel = channelHeader.getChannelId();
  if (!channel) throw malformed('channel ID is empty');
  const protoTimestamp = channelHeader.getTimestamp() as TimestampMessage | undefined;
  if (!protoTimestamp) throw malformed('channel header has no timestamp');
  const seconds = protoTimestamp.getSeconds();
  const nanos = protoTimestamp.getNanos();
  if (nanos < 0 || nanos >= 1_000_000_000) throw malformed(`invalid timestamp nanos ${nanos}`);

  const extension = decode('ChaincodeHeaderExtension', () =>
    peer.ChaincodeHeaderExtension.deserializeBinary(channelHeader.getExtension_asU8()),
  );
  const chaincode = extension.getChaincodeId()?.getName();
  if (!chaincode) throw malformed('ChaincodeHeaderExtension has no chaincode name');

  const nonce = signatureHeader.getNonce_asU8();
  if (nonce.length === 0) throw malformed('nonce is empty');
  const creatorBytes = signatureHeader.getCreator_asU8();
  if (creatorBytes.length === 0) throw malformed('creator is empty');
  const creator = decode('SerializedIdentity', () => msp.SerializedIdentity.deserializeBinary(creatorBytes));
  const mspId = creator.getMspid();
  if (!mspId) throw malformed('creator has no MSP ID');
  let certificate: string;
  try {
    certificate = new TextDecoder('utf-8', { fatal: true }).decode(creator.getIdBytes_asU8());
  } catch {
    throw malformed('creator certificate is not UTF-8 PEM');
  }
  if (!certificate.includes('-----BEGIN CERTIFICATE-----')) throw malformed('creator has no PEM certificate');

  const payload = decode('ChaincodeProposalPayload', () =>
    peer.ChaincodeProposalPayload.deserializeBinary(payloadBytes),
  );
  const invocation = decode('ChaincodeInvocationSpec', () =>
    peer.ChaincodeInvocationSpec.deserializeBinary(payload.getInput_asU8()),
  );
  const chaincodeInput = invocation.getChaincodeSpec()?.getInput();
  if (!chaincodeInput) throw malformed('ChaincodeInvocationSpec has no chaincode input');

  const transient = new Map<string, Uint8Array>();
  payload.getTransientmapMap().forEach((value: Uint8Array | string, key: string) => {
    transient.set(key, typeof value === 'string' ? Buffer.from(value, 'base64') : value);
  });

  return {
    transactionId,
    channel,
    chaincode,
    mspId,
    certificate,
    creatorBytes,
    nonce,
    timestamp: new Date(seconds * 1000 + Math.floor(nanos / 1_000_000)),
    txTimestamp: { seconds: LongClass.fromNumber(seconds, true), nanos },
    args: chaincodeInput.getArgsList_asU8(),
    transient,
    proposalBytes,
    signature,
    signedProposal,
    chaincodeInput,
  };
}

function malformed(detail: string): Error {
  return new Error(`Malformed signed proposal: ${detail}`);
}

function decode<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw malformed(`cannot decode ${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
