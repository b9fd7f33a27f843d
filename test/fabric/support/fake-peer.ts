import * as grpc from '@grpc/grpc-js';
import { common, gateway, google, msp, peer } from '@hyperledger/fabric-protos';
import { verify, X509Certificate } from 'node:crypto';
import { openSignedProposal } from '../../support/signed-proposal.js';
import type { TestPki } from './pki.js';

/**
 * A stand-in for a Fabric peer's Gateway service (gateway.Gateway over TLS) for unit tests of the
 * Fabric adapter: it decodes and verifies what the real fabric-gateway client sends, and answers
 * with the messages, gRPC statuses and error details a Fabric 2.5 peer uses. Behaviour is set per
 * test through the `on*` handlers.
 */

export interface EndorserError {
  readonly address: string;
  readonly mspId: string;
  readonly message: string;
}

/** A gRPC failure as the Fabric gateway reports it: code, message, and per-endorser details. */
export class FakeFailure {
  constructor(
    readonly code: number,
    readonly details: string,
    readonly endorsers: readonly EndorserError[] = [],
  ) {}
}

export interface SeenProposal {
  readonly method: 'evaluate' | 'endorse';
  readonly transactionId: string;
  readonly channel: string;
  readonly chaincode: string;
  /** Function name then arguments, as UTF-8. */
  readonly args: string[];
  readonly transient: Record<string, string>;
  /** Target organisations (evaluate) or endorsing organisations (endorse). */
  readonly organizations: string[];
  readonly mspId: string;
  readonly certificate: string;
  /** Whether the signature verifies (ECDSA-SHA256 over the proposal bytes) with the creator's certificate. */
  readonly signatureValid: boolean;
}

export interface SeenEventsRequest {
  readonly channel: string;
  readonly chaincode: string;
  /** The specified start block, or 'next' for the next commit. */
  readonly start: bigint | 'next';
  readonly afterTransactionId: string;
  readonly signatureValid: boolean;
}

export interface FakeEvent {
  readonly transactionId: string;
  readonly eventName?: string;
  readonly payload?: string;
}

export type EventsStream = grpc.ServerWritableStream<
  gateway.SignedChaincodeEventsRequest,
  gateway.ChaincodeEventsResponse
>;

export class FakeGatewayPeer {
  readonly proposals: SeenProposal[] = [];
  readonly submitted: { transactionId: string; signatureValid: boolean }[] = [];
  readonly commitStatusRequests: string[] = [];
  readonly eventRequests: SeenEventsRequest[] = [];
  /** Chain height reported by qscc GetChainInfo. */
  height = 1;

  /** Return 'hang' to never answer (the client's deadline then expires). */
  onEvaluate: (p: SeenProposal) => Uint8Array | FakeFailure | 'hang' = () => new Uint8Array();
  onEndorse: (p: SeenProposal) => Uint8Array | FakeFailure | 'hang' = () => new Uint8Array();
  onSubmit: (transactionId: string) => undefined | FakeFailure = () => undefined;
  onCommitStatus: (transactionId: string) => { code: number; blockNumber: number } | FakeFailure = () => ({
    code: 0,
    blockNumber: 2,
  });
  onChaincodeEvents: (request: SeenEventsRequest, stream: EventsStream) => void = () => undefined;

  private constructor(
    private readonly server: grpc.Server,
    readonly port: number,
  ) {}

  get endpoint(): string {
    return `127.0.0.1:${this.port}`;
  }

  static async start(pki: TestPki, port = 0): Promise<FakeGatewayPeer> {
    const server = new grpc.Server();
    const credentials = grpc.ServerCredentials.createSsl(
      null,
      [{ private_key: Buffer.from(pki.serverKeyPem), cert_chain: Buffer.from(pki.serverCertPem) }],
      false,
    );
    const bound = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, credentials, (error, p) => (error ? reject(error) : resolve(p))),
    );
    const fake = new FakeGatewayPeer(server, bound);
    server.addService(gateway.GatewayService as unknown as grpc.ServiceDefinition, fake.implementation());
    return fake;
  }

  /** Stops at once, cutting open streams (as a peer that is killed). */
  stop(): void {
    this.server.forceShutdown();
  }

  private implementation(): grpc.UntypedServiceImplementation {
    const evaluate: grpc.handleUnaryCall<gateway.EvaluateRequest, gateway.EvaluateResponse> = (
      call,
      callback,
    ) => {
      const seen = decodeProposal('evaluate', call.request.getProposedTransaction(), {
        transactionId: call.request.getTransactionId(),
        organizations: call.request.getTargetOrganizationsList(),
      });
      this.proposals.push(seen);
      const outcome =
        seen.chaincode === 'qscc' && seen.args[0] === 'GetChainInfo'
          ? chainInfo(this.height)
          : this.onEvaluate(seen);
      if (outcome === 'hang') return;
      if (outcome instanceof FakeFailure) return callback(toStatus(outcome));
      const response = new peer.Response();
      response.setStatus(200);
      response.setPayload(outcome);
      const result = new gateway.EvaluateResponse();
      result.setResult(response);
      callback(null, result);
    };
    const endorse: grpc.handleUnaryCall<gateway.EndorseRequest, gateway.EndorseResponse> = (
      call,
      callback,
    ) => {
      const seen = decodeProposal('endorse', call.request.getProposedTransaction(), {
        transactionId: call.request.getTransactionId(),
        organizations: call.request.getEndorsingOrganizationsList(),
      });
      this.proposals.push(seen);
      const outcome = this.onEndorse(seen);
      if (outcome === 'hang') return;
      if (outcome instanceof FakeFailure) return callback(toStatus(outcome));
      const result = new gateway.EndorseResponse();
      result.setPreparedTransaction(preparedTransaction(seen.channel, seen.transactionId, outcome));
      callback(null, result);
    };
    const submit: grpc.handleUnaryCall<gateway.SubmitRequest, gateway.SubmitResponse> = (call, callback) => {
      const envelope = call.request.getPreparedTransaction();
      this.submitted.push({
        transactionId: call.request.getTransactionId(),
        signatureValid: envelope ? this.verifiesWithLastCreator(envelope) : false,
      });
      const outcome = this.onSubmit(call.request.getTransactionId());
      if (outcome instanceof FakeFailure) return callback(toStatus(outcome));
      callback(null, new gateway.SubmitResponse());
    };
    const commitStatus: grpc.handleUnaryCall<
      gateway.SignedCommitStatusRequest,
      gateway.CommitStatusResponse
    > = (call, callback) => {
      const request = gateway.CommitStatusRequest.deserializeBinary(call.request.getRequest_asU8());
      this.commitStatusRequests.push(request.getTransactionId());
      const outcome = this.onCommitStatus(request.getTransactionId());
      if (outcome instanceof FakeFailure) return callback(toStatus(outcome));
      const result = new gateway.CommitStatusResponse();
      result.setResult(outcome.code as gateway.CommitStatusResponse.AsObject['result']);
      result.setBlockNumber(outcome.blockNumber);
      callback(null, result);
    };
    const chaincodeEvents: grpc.handleServerStreamingCall<
      gateway.SignedChaincodeEventsRequest,
      gateway.ChaincodeEventsResponse
    > = (call) => {
      const bytes = call.request.getRequest_asU8();
      const request = gateway.ChaincodeEventsRequest.deserializeBinary(bytes);
      const identity = msp.SerializedIdentity.deserializeBinary(request.getIdentity_asU8());
      const position = request.getStartPosition();
      const seen: SeenEventsRequest = {
        channel: request.getChannelId(),
        chaincode: request.getChaincodeId(),
        start: position?.hasSpecified() ? BigInt(position.getSpecified()!.getNumber()) : 'next',
        afterTransactionId: request.getAfterTransactionId(),
        signatureValid: verifies(
          Buffer.from(identity.getIdBytes_asU8()).toString('utf8'),
          bytes,
          call.request.getSignature_asU8(),
        ),
      };
      this.eventRequests.push(seen);
      this.onChaincodeEvents(seen, call);
    };
    return { evaluate, endorse, submit, commitStatus, chaincodeEvents };
  }

  private verifiesWithLastCreator(envelope: common.Envelope): boolean {
    const last = this.proposals.at(-1);
    return last
      ? verifies(last.certificate, envelope.getPayload_asU8(), envelope.getSignature_asU8())
      : false;
  }
}

/** Sends one ChaincodeEventsResponse: the events of one block. */
export function sendBlockEvents(
  stream: EventsStream,
  blockNumber: bigint,
  chaincode: string,
  events: readonly FakeEvent[],
): void {
  const response = new gateway.ChaincodeEventsResponse();
  response.setBlockNumber(Number(blockNumber));
  response.setEventsList(
    events.map((e) => {
      const event = new peer.ChaincodeEvent();
      event.setChaincodeId(chaincode);
      event.setTxId(e.transactionId);
      event.setEventName(e.eventName ?? 'Event');
      event.setPayload(Buffer.from(e.payload ?? `payload-${e.transactionId}`));
      return event;
    }),
  );
  stream.write(response);
}

/** Ends an event stream with an error, as a peer going down does. */
export function failStream(stream: EventsStream, failure: FakeFailure): void {
  // grpc-js sends an 'error' event's status as the call's final status (destroy() would send none).
  stream.emit('error', Object.assign(new Error(failure.details), toStatus(failure)));
}

function decodeProposal(
  method: 'evaluate' | 'endorse',
  signed: peer.SignedProposal | undefined,
  request: { transactionId: string; organizations: string[] },
): SeenProposal {
  if (!signed) throw new Error('no signed proposal');
  const { proposalBytes, signature, channelHeader, creator, certificate, spec, transient } =
    openSignedProposal(signed);
  return {
    method,
    transactionId: request.transactionId,
    channel: channelHeader.getChannelId(),
    chaincode: spec?.getChaincodeId()?.getName() ?? '',
    args: (spec?.getInput()?.getArgsList_asU8() ?? []).map((a) => Buffer.from(a).toString('utf8')),
    transient: Object.fromEntries([...transient].map(([key, value]) => [key, value.toString('utf8')])),
    organizations: request.organizations,
    mspId: creator.getMspid(),
    certificate,
    signatureValid: verifies(certificate, proposalBytes, signature),
  };
}

function verifies(certificatePem: string, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify('sha256', message, new X509Certificate(certificatePem).publicKey, signature);
  } catch {
    return false;
  }
}

function chainInfo(height: number): Uint8Array {
  const info = new common.BlockchainInfo();
  info.setHeight(height);
  return info.serializeBinary();
}

/** A gRPC status with Fabric's details: google.rpc.Status of gateway.ErrorDetail in grpc-status-details-bin. */
function toStatus(failure: FakeFailure): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  const status = new google.rpc.Status();
  status.setCode(failure.code);
  status.setMessage(failure.details);
  for (const endorser of failure.endorsers) {
    const detail = new gateway.ErrorDetail();
    detail.setAddress(endorser.address);
    detail.setMspId(endorser.mspId);
    detail.setMessage(endorser.message);
    const any = status.addDetails();
    any.setTypeUrl('type.googleapis.com/gateway.ErrorDetail');
    any.setValue(detail.serializeBinary());
  }
  metadata.set('grpc-status-details-bin', Buffer.from(status.serializeBinary()));
  return { code: failure.code, details: failure.details, metadata };
}

/** The envelope a Fabric gateway returns from Endorse, holding the chaincode response payload. */
function preparedTransaction(channel: string, transactionId: string, result: Uint8Array): common.Envelope {
  const response = new peer.Response();
  response.setStatus(200);
  response.setPayload(result);
  const chaincodeAction = new peer.ChaincodeAction();
  chaincodeAction.setResponse(response);
  const responsePayload = new peer.ProposalResponsePayload();
  responsePayload.setExtension$(chaincodeAction.serializeBinary());
  const endorsed = new peer.ChaincodeEndorsedAction();
  endorsed.setProposalResponsePayload(responsePayload.serializeBinary());
  const actionPayload = new peer.ChaincodeActionPayload();
  actionPayload.setAction(endorsed);
  const action = new peer.TransactionAction();
  action.setPayload(actionPayload.serializeBinary());
  const transaction = new peer.Transaction();
  transaction.setActionsList([action]);
  const channelHeader = new common.ChannelHeader();
  channelHeader.setType(common.HeaderType.ENDORSER_TRANSACTION);
  channelHeader.setChannelId(channel);
  channelHeader.setTxId(transactionId);
  const header = new common.Header();
  header.setChannelHeader(channelHeader.serializeBinary());
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(transaction.serializeBinary());
  const envelope = new common.Envelope();
  envelope.setPayload(payload.serializeBinary());
  return envelope;
}
