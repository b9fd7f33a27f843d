import { createRequire } from 'node:module';
import { tuneShim } from '@customs-ledger/chaincode';
import type { TxSimulator, QueryPage, HistoryEntry } from './simulator.js';
import { VALIDATION_PARAMETER } from './simulator.js';

/*
 * The peer side of fabric-shim's chaincode stream. The real ChaincodeMessageHandler, ChaincodeStub
 * and ChaincodeFromContract run unchanged: they write ChaincodeMessages (GET_STATE, PUT_STATE, …)
 * to a stream, and this module answers each one from a TxSimulator exactly as a peer's handler
 * would, including the shape of its error messages ("<TYPE> failed: transaction ID: <txid>: …").
 */

const requireFromShim = createRequire(createRequire(import.meta.url).resolve('fabric-shim'));
// The same protobuf module instance fabric-shim uses, so messages pass between us without copying.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const protos: any = requireFromShim('@hyperledger/fabric-protos');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const { ChaincodeMessageHandler } = requireFromShim('./lib/handler.js') as { ChaincodeMessageHandler: any };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ChaincodeFromContract = requireFromShim('./lib/contract-spi/chaincodefromcontract.js') as any;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ChaincodeStub = requireFromShim('./lib/stub.js') as any;
const { JSONSerializer } = requireFromShim('fabric-contract-api') as { JSONSerializer: unknown };

const { Timestamp } = createRequire(requireFromShim.resolve('@hyperledger/fabric-protos'))(
  'google-protobuf/google/protobuf/timestamp_pb.js',
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
) as { Timestamp: any };
const { peer, ledger: ledgerProtos } = protos;
const Type = peer.ChaincodeMessage.Type;

/** What the chaincode answered for one simulation. */
export interface ChaincodeResponse {
  readonly status: number;
  readonly message: string;
  readonly payload: Uint8Array;
  readonly event?: { readonly name: string; readonly payload: Uint8Array };
}

interface PendingTransaction {
  readonly simulator: TxSimulator;
  readonly resolve: (response: ChaincodeResponse) => void;
  readonly reject: (error: Error) => void;
}

/*
 * fabric-shim reads getMspID() from CORE_PEER_LOCALMSPID, one value per process. In-process, many
 * "peers" share one process, so the stub asks the handler that created it: each peer has its own.
 */
const originalGetMspID = ChaincodeStub.prototype.getMspID as () => string;
ChaincodeStub.prototype.getMspID = function getMspID(this: { handler: unknown }): string {
  const handler = this.handler as { peerMspId?: string };
  return handler.peerMspId ?? originalGetMspID.call(this);
};

/** Fabric's default `chaincode.executetimeout`. */
const DEFAULT_EXECUTE_TIMEOUT_MS = 30_000;

/** A simulation the peer gave up on: the chaincode did not complete within the execute timeout. */
export class ExecuteTimeoutError extends Error {
  override readonly name = 'ExecuteTimeoutError';
  constructor() {
    super('timeout expired while executing transaction');
  }
}

/** A peer's answer to a chaincode call it refuses, worded as Fabric's handler words it. */
function failure(type: number, txId: string, reason: string): Buffer {
  return Buffer.from(`${messageTypeName(type)} failed: transaction ID: ${txId}: ${reason}`);
}

/** One organisation's peer running the chaincode through fabric-shim's contract layer. */
export class ChaincodeRuntime {
  private readonly pending = new Map<string, PendingTransaction>();
  private readonly handler: { peerMspId: string; chat(msg: unknown): void };
  private listener: ((msg: unknown) => void) | undefined;

  constructor(
    readonly peerMspId: string,
    readonly chaincodeName: string,
    contracts: readonly unknown[],
    /**
     * How long a simulation may run before the peer gives up on it, as Fabric's peer does: it holds
     * the commit lock meanwhile, so a chaincode that never completes would hold back every commit.
     */
    private readonly executeTimeoutMs = DEFAULT_EXECUTE_TIMEOUT_MS,
  ) {
    // Any chaincode run here (test fixtures too) gets the shim's cheap, quiet logging.
    tuneShim();
    // A copy: ChaincodeFromContract appends its system contract to the array it is given.
    const chaincode = new ChaincodeFromContract(
      [...contracts],
      { transaction: 'jsonSerializer', serializers: { jsonSerializer: JSONSerializer } },
      {},
      chaincodeName,
      '1.0',
    );
    const stream = {
      on: (event: string, callback: (msg: unknown) => void) => {
        if (event === 'data') this.listener = callback;
      },
      write: (msg: unknown) => this.onChaincodeMessage(msg),
      end: () => undefined,
    };
    this.handler = new ChaincodeMessageHandler(stream, chaincode);
    this.handler.peerMspId = peerMspId;
    const register = new peer.ChaincodeMessage();
    register.setType(Type.REGISTER);
    this.handler.chat(register);
  }

  /**
   * Runs one transaction proposal; resolves with the chaincode's response, whatever its status, or
   * rejects with ExecuteTimeoutError (the simulator is closed: what the chaincode does later is lost).
   */
  execute(
    channel: string,
    txId: string,
    chaincodeInput: unknown,
    signedProposal: unknown,
    simulator: TxSimulator,
  ): Promise<ChaincodeResponse> {
    const contextId = channel + txId;
    if (this.pending.has(contextId)) {
      return Promise.reject(new Error(`transaction ${txId} is already being simulated on ${this.peerMspId}`));
    }
    let timer: NodeJS.Timeout | undefined;
    return new Promise<ChaincodeResponse>((resolve, reject) => {
      timer = setTimeout(() => reject(new ExecuteTimeoutError()), this.executeTimeoutMs);
      this.pending.set(contextId, { simulator, resolve, reject });
      const message = new peer.ChaincodeMessage();
      message.setType(Type.TRANSACTION);
      message.setTxid(txId);
      message.setChannelId(channel);
      message.setPayload((chaincodeInput as { serializeBinary(): Uint8Array }).serializeBinary());
      message.setProposal(signedProposal);
      this.send(message);
    }).finally(() => {
      clearTimeout(timer);
      this.pending.delete(contextId);
      simulator.close();
    });
  }

  private send(message: unknown): void {
    const listener = this.listener;
    if (!listener) throw new Error('chaincode stream is not open');
    listener(message);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private onChaincodeMessage(msg: any): void {
    const type: number = msg.getType();
    if (type === Type.REGISTER) {
      // Answer asynchronously, as a peer would: the handler installs its listener before it writes.
      queueMicrotask(() => {
        for (const reply of [Type.REGISTERED, Type.READY]) {
          const m = new peer.ChaincodeMessage();
          m.setType(reply);
          this.send(m);
        }
      });
      return;
    }
    const txId: string = msg.getTxid();
    const channel: string = msg.getChannelId();
    const transaction = this.pending.get(channel + txId);
    if (!transaction) {
      // A simulation given up on (execute timeout) goes on calling: answered as a Fabric peer does,
      // so that its calls fail and it ends, instead of waiting for ever with what it holds.
      if (type !== Type.COMPLETED && type !== Type.ERROR) {
        queueMicrotask(() => this.reply(msg, Type.ERROR, failure(type, txId, 'no ledger context')));
      }
      return;
    }
    if (type === Type.COMPLETED || type === Type.ERROR) {
      transaction.resolve(this.completed(msg));
      return;
    }
    this.answer(transaction.simulator, msg).then(
      (payload) => this.reply(msg, Type.RESPONSE, payload),
      (error: Error) => this.reply(msg, Type.ERROR, failure(type, txId, error.message)),
    );
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private completed(msg: any): ChaincodeResponse {
    if (msg.getType() === Type.ERROR) {
      return {
        status: 500,
        message: Buffer.from(msg.getPayload_asU8()).toString(),
        payload: new Uint8Array(),
      };
    }
    const response = peer.Response.deserializeBinary(msg.getPayload_asU8());
    const event = msg.getChaincodeEvent();
    return {
      status: response.getStatus(),
      message: response.getMessage(),
      payload: response.getPayload_asU8(),
      event: event ? { name: event.getEventName(), payload: event.getPayload_asU8() } : undefined,
    };
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private reply(request: any, type: number, payload: Uint8Array): void {
    const message = new peer.ChaincodeMessage();
    message.setType(type);
    message.setTxid(request.getTxid());
    message.setChannelId(request.getChannelId());
    message.setPayload(payload);
    this.send(message);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private async answer(sim: TxSimulator, msg: any): Promise<Uint8Array> {
    const type: number = msg.getType();
    const payload: Uint8Array = msg.getPayload_asU8();
    switch (type) {
      case Type.GET_STATE: {
        const m = peer.GetState.deserializeBinary(payload);
        const collection: string = m.getCollection();
        return collection === '' ? sim.getState(m.getKey()) : sim.getPrivateData(collection, m.getKey());
      }
      case Type.GET_PRIVATE_DATA_HASH: {
        const m = peer.GetState.deserializeBinary(payload);
        return sim.getPrivateDataHash(m.getCollection(), m.getKey());
      }
      case Type.PUT_STATE: {
        const m = peer.PutState.deserializeBinary(payload);
        const collection: string = m.getCollection();
        if (collection === '') sim.putState(m.getKey(), m.getValue_asU8());
        else sim.putPrivateData(collection, m.getKey(), m.getValue_asU8());
        return new Uint8Array();
      }
      case Type.DEL_STATE: {
        const m = peer.DelState.deserializeBinary(payload);
        const collection: string = m.getCollection();
        if (collection === '') sim.deleteState(m.getKey());
        else sim.deletePrivateData(collection, m.getKey());
        return new Uint8Array();
      }
      case Type.PURGE_PRIVATE_DATA: {
        const m = peer.PurgePrivateState.deserializeBinary(payload);
        sim.purgePrivateData(m.getCollection(), m.getKey());
        return new Uint8Array();
      }
      case Type.PUT_STATE_METADATA: {
        const m = peer.PutStateMetadata.deserializeBinary(payload);
        const metadata = m.getMetadata();
        sim.setStateMetadata(m.getCollection(), m.getKey(), metadata.getMetakey(), metadata.getValue_asU8());
        return new Uint8Array();
      }
      case Type.GET_STATE_METADATA: {
        const m = peer.GetStateMetadata.deserializeBinary(payload);
        const entries = await sim.getStateMetadata(m.getCollection(), m.getKey());
        const result = new peer.StateMetadataResult();
        for (const [metakey, value] of entries) {
          const entry = new peer.StateMetadata();
          entry.setMetakey(metakey);
          entry.setValue(value);
          result.addEntries(entry);
        }
        return result.serializeBinary();
      }
      case Type.GET_STATE_BY_RANGE: {
        const m = peer.GetStateByRange.deserializeBinary(payload);
        const metadataBytes: Uint8Array = m.getMetadata_asU8();
        let pagination: { pageSize: number; bookmark: string } | undefined;
        if (metadataBytes.length > 0) {
          const qm = peer.QueryMetadata.deserializeBinary(metadataBytes);
          pagination = { pageSize: qm.getPagesize(), bookmark: qm.getBookmark() };
        }
        const page = await sim.rangeQuery(m.getCollection(), m.getStartkey(), m.getEndkey(), pagination);
        return encodeKvPage(page);
      }
      case Type.QUERY_STATE_NEXT: {
        const m = peer.QueryStateNext.deserializeBinary(payload);
        const page = await sim.queryNext(m.getId());
        return isHistoryPage(page) ? encodeHistoryPage(page) : encodeKvPage(page as QueryPage<KvResult>);
      }
      case Type.QUERY_STATE_CLOSE: {
        const m = peer.QueryStateClose.deserializeBinary(payload);
        sim.closeQuery(m.getId());
        const response = new peer.QueryResponse();
        response.setId(m.getId());
        return response.serializeBinary();
      }
      case Type.GET_HISTORY_FOR_KEY: {
        const m = peer.GetHistoryForKey.deserializeBinary(payload);
        return encodeHistoryPage(await sim.getHistoryForKey(m.getKey()));
      }
      case Type.GET_QUERY_RESULT:
        throw new Error('ExecuteQuery not supported for leveldb');
      case Type.INVOKE_CHAINCODE:
        throw new Error('chaincode-to-chaincode invocation is not supported by the embedded ledger');
      default:
        throw new Error(`unsupported chaincode message type ${type}`);
    }
  }
}

interface KvResult {
  key: string;
  value: Uint8Array;
}

function isHistoryPage(page: QueryPage<unknown>): page is QueryPage<HistoryEntry> {
  const first = page.results[0] as Partial<HistoryEntry> | undefined;
  return first !== undefined && typeof first.txId === 'string';
}

function encodeKvPage(page: QueryPage<KvResult>): Uint8Array {
  const response = new peer.QueryResponse();
  response.setId(page.id);
  response.setHasMore(page.hasMore);
  for (const { key, value } of page.results) {
    const kv = new ledgerProtos.queryresult.KV();
    kv.setKey(key);
    kv.setValue(value);
    const bytes = new peer.QueryResultBytes();
    bytes.setResultbytes(kv.serializeBinary());
    response.addResults(bytes);
  }
  if (page.metadata) {
    const metadata = new peer.QueryResponseMetadata();
    metadata.setFetchedRecordsCount(page.metadata.fetchedRecordsCount);
    metadata.setBookmark(page.metadata.bookmark);
    response.setMetadata(metadata.serializeBinary());
  }
  return response.serializeBinary();
}

function encodeHistoryPage(page: QueryPage<HistoryEntry>): Uint8Array {
  const response = new peer.QueryResponse();
  response.setId(page.id);
  response.setHasMore(page.hasMore);
  for (const entry of page.results) {
    const modification = new ledgerProtos.queryresult.KeyModification();
    modification.setTxId(entry.txId);
    modification.setValue(entry.value);
    modification.setIsDelete(entry.isDelete);
    const timestamp = new Timestamp();
    timestamp.setSeconds(entry.timestamp.seconds);
    timestamp.setNanos(entry.timestamp.nanos);
    modification.setTimestamp(timestamp);
    const bytes = new peer.QueryResultBytes();
    bytes.setResultbytes(modification.serializeBinary());
    response.addResults(bytes);
  }
  return response.serializeBinary();
}

const typeNames = new Map<number, string>(
  Object.entries(Type as Record<string, number>).map(([name, value]) => [value, name]),
);
function messageTypeName(type: number): string {
  return typeNames.get(type) ?? String(type);
}

export { VALIDATION_PARAMETER };
