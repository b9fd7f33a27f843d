import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeBlock, isConfigData } from '../../gateway/src/ledger/embedded/block.js';
import type { EmbeddedLedger } from '../../gateway/src/ledger/embedded/embedded-ledger.js';
import { openEmbeddedNetwork } from '../../gateway/src/ledger/embedded/network.js';
import { decodeHistoryEntry } from '../../gateway/src/ledger/embedded/simulator.js';
import { blockKey, collectionKey, historyKey, LedgerStore } from '../../gateway/src/ledger/embedded/store.js';
import { decodeVersioned } from '../../gateway/src/ledger/embedded/version.js';
import { TxValidationCode, type ClientIdentity } from '../../gateway/src/ledger/port.js';
import { outcome } from '../support/network.js';
import type { CrashAck } from '../support/crash-writer.js';

/*
 * Crash safety of the embedded ledger. A child process commits consignment creations from 50
 * concurrent clients and prints each one only once `submit` has resolved; the test kills it with
 * SIGKILL at a random point after a few hundred acknowledgements, then checks the data directory:
 * the ledger reopens, its chain verifies, every acknowledged transaction is there, the stores hold
 * exactly what the blocks say (nothing of a transaction or block more, nothing less), and it
 * accepts new transactions. Three kills on the same directory, so recovery is itself recovered.
 */

const NETWORK = {
  networkConfigPath: 'config/organisations.json',
  collectionsConfigPath: 'chaincode/collections_config.json',
} as const;
const ROUNDS = 3;
const WRITERS = 50;
/** Acknowledgements to wait for before the kill: at least MIN, plus up to SPREAD more. */
const MIN_ACKS = 200;
const SPREAD = 200;
/** After the threshold, the kill lands 0–KILL_JITTER_MS later, at no particular phase of a block. */
const KILL_JITTER_MS = 25;

const consignmentKey = (id: string): string => `\u0000consignment\u0000${id}\u0000`;
const orderNumberKey = (mspId: string, orderNumber: string): string =>
  `\u0000ordernum\u0000${mspId}\u0000${orderNumber}\u0000`;
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');
const fromBase64 = (value: string): string => Buffer.from(value, 'base64').toString('utf8');

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/**
 * Runs the writer until at least `threshold` transactions are acknowledged, SIGKILLs it a random
 * moment later, and returns every acknowledgement it printed: complete lines only, including those
 * still in the pipe when it died (they were acknowledged before the kill).
 */
function writeAndKill(dataDir: string, prefix: string, threshold: number): Promise<CrashAck[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/support/crash-writer.ts', dataDir, prefix, String(WRITERS)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const acks: CrashAck[] = [];
    let buffered = '';
    let stderr = '';
    let killScheduled = false;
    let killed = false;
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`writer ${prefix} acknowledged only ${acks.length} in 30 s\n${stderr}`));
    }, 30_000);
    const kill = (): void => {
      killed = true;
      child.kill('SIGKILL');
    };
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        let message: CrashAck | { ready: true };
        try {
          message = JSON.parse(line) as CrashAck | { ready: true };
        } catch {
          child.kill('SIGKILL');
          reject(new Error(`writer ${prefix} printed ${JSON.stringify(line)}`));
          return;
        }
        if ('txId' in message) acks.push(message);
      }
      if (!killScheduled && acks.length >= threshold) {
        killScheduled = true;
        setTimeout(kill, Math.floor(Math.random() * KILL_JITTER_MS));
      }
    });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(guard);
      if (!killed || signal !== 'SIGKILL') {
        reject(new Error(`writer ${prefix} ended by itself (code ${code}, signal ${signal})\n${stderr}`));
      } else {
        resolve(acks);
      }
    });
  });
}

interface Created {
  readonly txId: string;
  readonly block: number;
  readonly txNum: number;
  readonly orderNumber: string;
  readonly creator: string;
}

interface StoreAudit {
  readonly height: number;
  /** Consignments created by a valid transaction in a block, by id. */
  readonly created: ReadonlyMap<string, Created>;
}

/** How `actual` differs from `expected`, as at most ten readable lines (keys may hold U+0000). */
function differences(expected: ReadonlyMap<string, string>, actual: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [key, value] of expected) {
    const found = actual.get(key);
    if (found === undefined) out.push(`missing ${JSON.stringify(key)}`);
    else if (found !== value) out.push(`${JSON.stringify(key)} is ${found}, expected ${value}`);
  }
  for (const key of actual.keys()) if (!expected.has(key)) out.push(`unexpected ${JSON.stringify(key)}`);
  return out.slice(0, 10);
}

/**
 * Opens the closed ledger's LevelDB directly and replays its blocks: the savepoint names the last
 * block, blocks 0..height-1 exist (no more), each decodes and carries a code per transaction, and
 * public state, state metadata, private data hashes, history and the transaction index are exactly
 * what the valid transactions of those blocks write. A transaction applied in part, a block written
 * without its state or state without its block, or an index entry of a lost block all show here.
 */
async function auditStore(dataDir: string): Promise<StoreAudit> {
  const store = await LedgerStore.open(join(dataDir, 'ledger'));
  try {
    const tipBytes = await store.savepoint.get('tip');
    expect(tipBytes, 'savepoint').toBeDefined();
    const { height } = JSON.parse(text(tipBytes!)) as { height: number; hash: string };

    const blockKeys: string[] = [];
    for await (const key of store.blocks.keys()) blockKeys.push(key);
    expect(blockKeys, 'stored blocks are exactly 0..height-1').toEqual(
      Array.from({ length: height }, (_, n) => blockKey(n)),
    );

    const state = new Map<string, string>();
    const metadata = new Map<string, string>();
    const hashes = new Map<string, string>();
    const history = new Map<string, string>();
    const txids = new Map<string, string>();
    const created = new Map<string, Created>();
    for (let n = 0; n < height; n++) {
      const block = decodeBlock((await store.blocks.get(blockKey(n)))!);
      expect(block.header.number).toBe(n);
      if (isConfigData(block.data)) continue;
      const { transactions } = block.data;
      const codes = block.metadata.validationCodes;
      expect(codes.length, `block ${n} has a code per transaction`).toBe(transactions.length);
      for (const [txNum, tx] of transactions.entries()) {
        const code = codes[txNum]!;
        if (code === TxValidationCode.DUPLICATE_TXID) continue;
        expect(txids.has(tx.txId), `${tx.txId} is indexed once`).toBe(false);
        txids.set(tx.txId, JSON.stringify({ block: n, tx: txNum, code }));
        if (code !== TxValidationCode.VALID) continue;
        const version = `${n}:${txNum}`;
        for (const w of tx.rwset.writes) {
          const value = w.value === null ? '' : Buffer.from(w.value, 'base64').toString('hex');
          if (w.value === null) {
            state.delete(w.key);
            metadata.delete(w.key);
          } else state.set(w.key, `${version}=${value}`);
          history.set(historyKey(w.key, { blockNum: n, txNum }), `${tx.txId} ${w.value === null} ${value}`);
        }
        for (const w of tx.rwset.metadataWrites) {
          if (w.validationParameter === '') metadata.delete(w.key);
          else metadata.set(w.key, Buffer.from(w.validationParameter, 'base64').toString('hex'));
        }
        for (const c of tx.rwset.collections) {
          for (const w of c.hashedWrites) {
            const key = collectionKey(c.collection, w.keyHash);
            if (w.valueHash === null) hashes.delete(key);
            else hashes.set(key, `${version}=${w.valueHash}`);
          }
        }
        if (fromBase64(tx.args[0]!) === 'consignment:create') {
          const id = fromBase64(tx.args[1]!);
          const { orderNumber } = JSON.parse(fromBase64(tx.args[2]!)) as { orderNumber: string };
          expect(created.has(id), `${id} is created once`).toBe(false);
          created.set(id, { txId: tx.txId, block: n, txNum, orderNumber, creator: tx.creator.mspId });
        }
      }
    }

    const read = async (
      sub: LedgerStore['state'],
      show: (key: string, value: Uint8Array) => string,
    ): Promise<Map<string, string>> => {
      const out = new Map<string, string>();
      for await (const [key, value] of sub.iterator()) out.set(key, show(key, value));
      return out;
    };
    const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
    const versioned = (_key: string, bytes: Uint8Array): string => {
      const { version, value } = decodeVersioned(bytes);
      return `${version.blockNum}:${version.txNum}=${hex(value)}`;
    };
    const actualState = await read(store.state, versioned);
    expect(differences(state, actualState), 'public state = replay of the blocks').toEqual([]);
    expect(
      differences(metadata, await read(store.metadata, (_k, v) => hex(v))),
      'state metadata = replay of the blocks',
    ).toEqual([]);
    expect(
      differences(hashes, await read(store.privateHashes, versioned)),
      'private data hashes = replay of the blocks',
    ).toEqual([]);
    const historyRow = (_key: string, bytes: Uint8Array): string => {
      const entry = decodeHistoryEntry(bytes);
      return `${entry.txId} ${entry.isDelete} ${hex(entry.value)}`;
    };
    expect(
      differences(history, await read(store.history, historyRow)),
      'history = replay of the blocks',
    ).toEqual([]);
    expect(
      differences(txids, await read(store.transactions, (_k, v) => JSON.stringify(JSON.parse(text(v))))),
      'transaction index = replay of the blocks',
    ).toEqual([]);

    // Said in the consignment's own terms: a create in a valid transaction has both its keys (the
    // consignment and its order-number claim) in state, written by that transaction, and state
    // holds no consignment that no valid transaction in a block created.
    for (const [id, c] of created) {
      const version = `${c.block}:${c.txNum}=`;
      expect(actualState.get(consignmentKey(id))?.startsWith(version), `consignment ${id} of ${c.txId}`).toBe(
        true,
      );
      expect(
        actualState.get(orderNumberKey(c.creator, c.orderNumber))?.startsWith(version),
        `order number of ${id} (${c.txId})`,
      ).toBe(true);
    }
    const inState = [...actualState.keys()].filter((k) => k.startsWith('\u0000consignment\u0000'));
    expect(inState.sort()).toEqual([...created.keys()].map(consignmentKey).sort());
    return { height, created };
  } finally {
    await store.close();
  }
}

/** Runs `work` over `items`, `width` at a time. */
async function inBatches<T>(
  items: readonly T[],
  width: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(work));
}

/** The reopened ledger through its port: chain, acknowledged transactions, their state, new writes. */
async function checkReopened(
  ledger: EmbeddedLedger,
  acknowledged: readonly CrashAck[],
  round: number,
): Promise<void> {
  expect(await ledger.verifyChain()).toEqual({ ok: true, height: Number(ledger.height()) });
  const customs = await ledger.enrolUser('CustomsMSP', 'crash-check', { role: 'officer' });
  await inBatches(acknowledged, 32, async (ack) => {
    const status = await ledger.getTransactionStatus(ack.txId);
    expect(status, `status of acknowledged ${ack.id}`).toEqual({
      transactionId: ack.txId,
      code: TxValidationCode.VALID,
      successful: true,
      blockNumber: BigInt(ack.block),
    });
    const view = JSON.parse(
      text(await ledger.evaluate(customs, 'consignment:get', { arguments: [ack.id] })),
    ) as { consignment: { consignmentId: string; txId: string } };
    expect(view.consignment, `state of acknowledged ${ack.id}`).toMatchObject({
      consignmentId: ack.id,
      txId: ack.txId,
    });
  });

  // The reopened ledger takes new transactions, and its chaincode sees what the crashed run wrote.
  const writer: ClientIdentity = await ledger.enrolUser('PlatformAMSP', 'crash-writer', { role: 'operator' });
  const create = (id: string, orderNumber: string): Promise<unknown> =>
    ledger.submit(writer, 'consignment:create', {
      arguments: [id, JSON.stringify({ orderNumber, originCountry: 'CN', destinationCountry: 'FR' })],
    });
  const before = ledger.height();
  await Promise.all(
    Array.from({ length: 5 }, (_, i) => create(`AFTER-R${round}-${i}`, `ORD-AFTER-R${round}-${i}`)),
  );
  expect(ledger.height()).toBeGreaterThan(before);
  const last = acknowledged.at(-1)!;
  expect(await outcome(create(last.id, `ORD-AGAIN-${round}`))).toBe(`consignment ${last.id} already exists`);
  expect(await outcome(create(`AGAIN-R${round}`, `ORD-${last.id}`))).toMatch(
    /is already used by consignment/,
  );
}

describe('crash safety', () => {
  it('a writer SIGKILLed three times under load leaves whole blocks and every acknowledged transaction', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'crash-'));
    dirs.push(dataDir);
    const acknowledged: CrashAck[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const prefix = `R${round}`;
      const threshold = MIN_ACKS + Math.floor(Math.random() * SPREAD);
      const acks = await writeAndKill(dataDir, prefix, threshold);
      expect(acks.length).toBeGreaterThanOrEqual(threshold);
      acknowledged.push(...acks);

      // The ledger recovers from the kill itself (nothing opened the directory in between).
      const { ledger } = await openEmbeddedNetwork({ dataDir, ...NETWORK });
      let height: bigint;
      try {
        height = ledger.height();
        await checkReopened(ledger, acknowledged, round);
      } finally {
        await ledger.close();
      }

      const audit = await auditStore(dataDir);
      for (const ack of acknowledged) {
        expect(audit.created.get(ack.id), `acknowledged ${ack.id} in a block`).toMatchObject({
          txId: ack.txId,
          block: ack.block,
        });
      }
      // Transactions of the killed run committed but not yet acknowledged are whole, and those never
      // committed left nothing (auditStore); the savepoint is at or past every acknowledged block.
      const committed = [...audit.created.keys()].filter((id) => id.startsWith(`${prefix}-`));
      expect(committed.length).toBeGreaterThanOrEqual(acks.length);
      expect(Number(height)).toBeGreaterThan(Math.max(...acks.map((a) => a.block)));
      console.info(
        `round ${round}: killed after ${acks.length} acknowledged (threshold ${threshold}), ` +
          `${committed.length - acks.length} committed unacknowledged, height ${height}`,
      );
    }
  }, 120_000);
});
