import type { Context } from 'fabric-contract-api';
import type { ChaincodeStub } from 'fabric-shim';

/*
 * Many operations in one Fabric transaction, each seeing exactly what it would see as a transaction
 * of its own: its own transient entries, its own event slot, and writes that count only if it
 * succeeds. Fabric gives a transaction no read-your-writes, so an operation that reads or writes
 * a key an earlier operation of the same transaction wrote would act on stale state: it is
 * deferred (BatchConflict) for the caller to run in a later transaction, never applied wrongly.
 */

/** Thrown inside an operation that touches a key an earlier operation of the transaction wrote. */
export class BatchConflict extends Error {
  override readonly name = 'BatchConflict';
}

export interface OperationEvent {
  readonly name: string;
  readonly payload: Buffer;
}

type StagedWrite =
  | { readonly kind: 'state'; readonly key: string; readonly value: Uint8Array }
  | {
      readonly kind: 'private';
      readonly collection: string;
      readonly key: string;
      readonly value: Uint8Array;
    }
  | { readonly kind: 'validation'; readonly key: string; readonly policy: Uint8Array };

const privateId = (collection: string, key: string): string => `${collection}\u0000${key}`;

/**
 * The writes of a batch transaction so far, which later operations must not rely on reading, and
 * the public values read so far: within one transaction an unwritten key cannot change, so each is
 * fetched from the peer once (every operation reads the organisation registry, for one).
 */
export class BatchWrites {
  private readonly state = new Set<string>();
  private readonly privateKeys = new Set<string>();
  private readonly reads = new Map<string, Promise<Uint8Array>>();

  read(stub: ChaincodeStub, key: string): Promise<Uint8Array> {
    this.assertUntouched(key);
    let value = this.reads.get(key);
    if (value === undefined) this.reads.set(key, (value = stub.getState(key)));
    return value;
  }

  /**
   * A context for operation `index`: transient `payload.<index>` and `saltSeed.<index>` appear as
   * `payload` and `saltSeed`; writes and the event are held until `commit`.
   */
  stage(ctx: Context, index: number): StagedOperation {
    return new StagedOperation(ctx, index, this);
  }

  assertUntouched(key: string): void {
    if (this.state.has(key)) throw new BatchConflict(`key ${key} was written earlier in this transaction`);
  }

  assertPrivateUntouched(collection: string, key: string): void {
    if (this.privateKeys.has(privateId(collection, key))) {
      throw new BatchConflict(`private key ${key} of ${collection} was written earlier in this transaction`);
    }
  }

  /** For a range read [from, to) (to '' = unbounded), or with `prefix`, a partial composite key read. */
  assertRangeUntouched(from: string, to: string, prefix?: string): void {
    for (const key of this.state) {
      const inRange = prefix !== undefined ? key.startsWith(prefix) : key >= from && (to === '' || key < to);
      if (inRange)
        throw new BatchConflict(`key ${key} in a range read was written earlier in this transaction`);
    }
  }

  record(write: StagedWrite): void {
    if (write.kind === 'private') this.privateKeys.add(privateId(write.collection, write.key));
    else this.state.add(write.key);
  }
}

export class StagedOperation {
  readonly ctx: Context;
  private readonly writes: StagedWrite[] = [];
  private eventSet: OperationEvent | undefined;

  constructor(
    private readonly parent: Context,
    index: number,
    private readonly batch: BatchWrites,
  ) {
    const stub = parent.stub;
    const transient = new Map<string, Uint8Array>();
    for (const name of ['payload', 'saltSeed']) {
      const value = stub.getTransient().get(`${name}.${index}`);
      if (value !== undefined) transient.set(name, value);
    }
    const staged: Partial<ChaincodeStub> = {
      getTransient: () => transient,
      getState: (key) => batch.read(stub, key),
      getPrivateData: async (collection, key) => {
        batch.assertPrivateUntouched(collection, key);
        return stub.getPrivateData(collection, key);
      },
      getStateByRange: ((from: string, to: string) => {
        batch.assertRangeUntouched(from, to);
        return stub.getStateByRange(from, to);
      }) as ChaincodeStub['getStateByRange'],
      getStateByPartialCompositeKey: ((type: string, attrs: string[]) => {
        const prefix = stub.createCompositeKey(type, attrs);
        batch.assertRangeUntouched(prefix, '', prefix);
        return stub.getStateByPartialCompositeKey(type, attrs);
      }) as ChaincodeStub['getStateByPartialCompositeKey'],
      putState: async (key, value) => this.hold({ kind: 'state', key, value }),
      putPrivateData: async (collection, key, value) =>
        this.hold({ kind: 'private', collection, key, value }),
      setStateValidationParameter: async (key, policy) => this.hold({ kind: 'validation', key, policy }),
      setEvent: (name, payload) => {
        this.eventSet = { name, payload: Buffer.from(payload) };
      },
    };
    const unsupported = (name: string) => () => {
      throw new Error(`${name} is not supported in a batch operation`);
    };
    Object.assign(staged, {
      deleteState: unsupported('deleteState'),
      deletePrivateData: unsupported('deletePrivateData'),
      purgePrivateData: unsupported('purgePrivateData'),
      getStateByRangeWithPagination: unsupported('getStateByRangeWithPagination'),
      getQueryResult: unsupported('getQueryResult'),
    });
    // Everything else (transaction id, timestamp, creator, composite keys) is the transaction's own.
    this.ctx = Object.assign(Object.create(parent) as Context, {
      stub: Object.assign(Object.create(stub) as ChaincodeStub, staged),
    });
  }

  /** The operation's event, if it set one. */
  get event(): OperationEvent | undefined {
    return this.eventSet;
  }

  /** Applies the operation's writes to the transaction, in the order it made them. */
  async commit(): Promise<void> {
    const stub = this.parent.stub;
    for (const write of this.writes) {
      if (write.kind === 'state') await stub.putState(write.key, write.value);
      else if (write.kind === 'private') await stub.putPrivateData(write.collection, write.key, write.value);
      else await stub.setStateValidationParameter(write.key, write.policy);
      this.batch.record(write);
    }
  }

  private hold(write: StagedWrite): void {
    if (write.kind === 'private') this.batch.assertPrivateUntouched(write.collection, write.key);
    else this.batch.assertUntouched(write.key);
    this.writes.push(write);
  }
}
