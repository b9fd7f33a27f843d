import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import {
  b64,
  canonical,
  encodeRwSet,
  type Endorsement,
  type EncodedRwSet,
  type TransactionEnvelope,
} from './block.js';
import type { CollectionDefinition } from './collections.js';
import type { CommitLock } from './commit-lock.js';
import type { Proposal } from './proposal.js';
import { ExecuteTimeoutError, type ChaincodeResponse, type ChaincodeRuntime } from './shim-bridge.js';
import { TxSimulator } from './simulator.js';
import type { SimulationResult } from './rwset.js';
import type { LedgerStore } from './store.js';
import type { ErrorDetail } from '../port.js';
import { toLowS, verifySignature, type StoredIdentity } from './msp.js';

/** Fabric's endorser refuses any chaincode response with status ≥ 400. */
const ERROR_THRESHOLD = 400;

export interface PeerContext {
  readonly store: LedgerStore;
  /** Held shared for the whole simulation, as a Fabric peer's simulator holds its ledger's. */
  readonly commitLock: CommitLock;
  readonly channel: string;
  readonly chaincode: string;
  readonly collections: ReadonlyMap<string, CollectionDefinition>;
  /** Whether a certificate was issued by a channel organisation's CA. */
  readonly isMemberIdentity: (mspId: string, certificate: string) => boolean;
}

/** A proposal run against the peer's state: the chaincode's response and what it read and wrote. */
export type ExecutionOutcome =
  | {
      readonly ok: true;
      readonly mspId: string;
      readonly response: ChaincodeResponse;
      readonly simulation: SimulationResult;
    }
  | { readonly ok: false; readonly mspId: string; readonly detail: ErrorDetail };

export type EndorsementOutcome =
  | {
      readonly ok: true;
      readonly mspId: string;
      readonly response: ChaincodeResponse;
      readonly simulation: SimulationResult;
      readonly encodedRwSet: EncodedRwSet;
      /** Canonical proposal response payload: compared across endorsers, signed by each. */
      readonly responsePayload: string;
      readonly endorsement: Endorsement;
    }
  | { readonly ok: false; readonly mspId: string; readonly detail: ErrorDetail };

/** What the endorsers sign and the validator re-derives from the block: everything but private data. */
export function proposalResponsePayload(
  txId: string,
  chaincode: string,
  response: { status: number; message: string; payload: string },
  event: { name: string; payload: string } | undefined,
  rwset: EncodedRwSet,
): string {
  return canonical({ txId, chaincode, response, event, rwset });
}

export function endorsementMessage(responsePayload: string, endorserCertificate: string): Buffer {
  return Buffer.concat([Buffer.from(responsePayload, 'utf8'), Buffer.from(endorserCertificate, 'utf8')]);
}

/**
 * Why an endorsement of `responsePayload` does not count, or undefined when it does: its
 * certificate must be issued by its organisation's CA, and its signature verify. The committer
 * counts only endorsements without a fault; the auditor names the faults.
 */
export function endorsementFault(
  responsePayload: string,
  endorsement: Endorsement,
  isMemberIdentity: (mspId: string, certificate: string) => boolean,
): string | undefined {
  const { mspId, certificate, signature } = endorsement;
  if (!isMemberIdentity(mspId, certificate)) {
    return `the endorser's certificate is not issued by a CA of ${mspId} in the channel configuration`;
  }
  if (
    !verifySignature(
      certificate,
      endorsementMessage(responsePayload, certificate),
      Buffer.from(signature, 'base64'),
    )
  ) {
    return `the endorser's signature (${mspId}) does not verify over the proposal response payload`;
  }
  return undefined;
}

/** The proposal response payload a stored transaction's endorsers signed, re-derived from its envelope. */
export function envelopeResponsePayload(envelope: TransactionEnvelope): string {
  return proposalResponsePayload(
    envelope.txId,
    envelope.chaincode,
    envelope.response,
    envelope.event,
    envelope.rwset,
  );
}

/** One organisation's peer: checks a proposal, simulates it, and (to endorse it) signs the result. */
export class Peer {
  available = true;
  private readonly key: KeyObject;

  constructor(
    readonly mspId: string,
    readonly address: string,
    private readonly identity: StoredIdentity,
    private readonly runtime: ChaincodeRuntime,
    private readonly ctx: PeerContext,
  ) {
    this.key = createPrivateKey(identity.privateKeyPem);
  }

  /**
   * Checks and simulates the proposal. An evaluation stops here: Fabric's peer signs its response
   * too, but the gateway hands the client only the payload, so the signature would never be read.
   */
  async execute(proposal: Proposal): Promise<ExecutionOutcome> {
    const fail = (message: string): ExecutionOutcome => ({
      ok: false,
      mspId: this.mspId,
      detail: { address: this.address, mspId: this.mspId, message },
    });
    if (proposal.channel !== this.ctx.channel) return fail(`channel '${proposal.channel}' not found`);
    if (proposal.chaincode !== this.ctx.chaincode) {
      return fail(`make sure the chaincode ${proposal.chaincode} has been successfully defined on channel`);
    }
    if (!this.ctx.isMemberIdentity(proposal.mspId, proposal.certificate)) {
      return fail(`access denied: channel [${this.ctx.channel}] creator org unknown, creator is malformed`);
    }
    const simulator = new TxSimulator({
      store: this.ctx.store,
      channel: this.ctx.channel,
      chaincode: this.ctx.chaincode,
      txId: proposal.transactionId,
      peerMspId: this.mspId,
      creatorMspId: proposal.mspId,
      collections: this.ctx.collections,
    });
    let response: ChaincodeResponse;
    try {
      response = await this.ctx.commitLock.shared(() =>
        this.runtime.execute(
          proposal.channel,
          proposal.transactionId,
          proposal.chaincodeInput,
          proposal.signedProposal,
          simulator,
        ),
      );
    } catch (error) {
      if (error instanceof ExecuteTimeoutError) return fail(`error in simulation: ${error.message}`);
      throw error;
    }
    if (response.status >= ERROR_THRESHOLD)
      return fail(`chaincode response ${response.status}, ${response.message}`);
    return { ok: true, mspId: this.mspId, response, simulation: simulator.result() };
  }

  /** Executes the proposal and signs the proposal response, as an endorsement. */
  async endorse(proposal: Proposal): Promise<EndorsementOutcome> {
    const executed = await this.execute(proposal);
    if (!executed.ok) return executed;
    const { response, simulation } = executed;
    const encodedRwSet = encodeRwSet(simulation.rwset);
    const responsePayload = proposalResponsePayload(
      proposal.transactionId,
      proposal.chaincode,
      { status: response.status, message: response.message, payload: b64(response.payload) },
      response.event ? { name: response.event.name, payload: b64(response.event.payload) } : undefined,
      encodedRwSet,
    );
    // Fabric rejects high-S ECDSA signatures, so endorsements are normalised like client signatures.
    const signature = Buffer.from(
      toLowS(sign('sha256', endorsementMessage(responsePayload, this.identity.certificate), this.key)),
    );
    return {
      ok: true,
      mspId: this.mspId,
      response,
      simulation,
      encodedRwSet,
      responsePayload,
      endorsement: {
        mspId: this.mspId,
        certificate: this.identity.certificate,
        signature: signature.toString('base64'),
      },
    };
  }
}
