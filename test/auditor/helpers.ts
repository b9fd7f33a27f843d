import { createPrivateKey, sign } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { runCli } from '../../auditor/src/cli.js';
import {
  decodeBlock,
  envelopeSigningBytes,
  isConfigData,
  sealBlock,
  type Block,
  type TransactionEnvelope,
} from '../../gateway/src/ledger/embedded/block.js';
import { endorsementMessage, envelopeResponsePayload } from '../../gateway/src/ledger/embedded/endorser.js';
import { toLowS } from '../../gateway/src/ledger/embedded/msp.js';
import { blockKey, LedgerStore } from '../../gateway/src/ledger/embedded/store.js';
import type { TestGateway } from '../support/gateway.js';
import { orderPayload } from '../support/payloads.js';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed, for runs with --json. */
  json<T = Record<string, unknown>>(): T;
}

/**
 * Runs the auditor CLI in-process, as `customs-audit <args>` would, with its output captured and
 * only the given environment (never the test process's DATA_DIR or keys).
 */
export async function audit(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stderrIsTTY: false,
    env,
    cwd: root,
  });
  return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
}

export const PLATFORM = 'platforma-operator';
export const CUSTOMS = 'customs-officer';

export interface Consignment {
  readonly id: string;
  /** The transaction of customs' purpose-bound read of the order record. */
  readonly readTxId: string;
}

/** A consignment with an order record that customs has read for risk assessment. */
export async function consignmentReadByCustoms(t: TestGateway, id: string): Promise<Consignment> {
  const created = await t.as(PLATFORM).post('/v1/consignments', {
    consignmentId: id,
    orderNumber: `ORD-${id}`,
    originCountry: 'CN',
    destinationCountry: 'FR',
  });
  expect(created.status, created.text).toBe(201);
  const order = await t.as(PLATFORM).post(`/v1/consignments/${id}/order`, orderPayload(`ORD-${id}`));
  expect(order.status, order.text).toBe(201);
  const read = await t
    .as(CUSTOMS)
    .get<{ accessTxId: string }>(`/v1/consignments/${id}/details?record=order&purpose=risk_assessment`);
  expect(read.status, read.text).toBe(200);
  return { id, readTxId: read.body.accessTxId };
}

/**
 * Waits until the gateway has anchored a tree head of at least `treeSize` entries on the ledger,
 * watching the AuditAnchored chaincode events as customs (the gateway's operator) sees them.
 */
export async function waitForAnchor(t: TestGateway, treeSize: number, timeoutMs = 20_000): Promise<void> {
  const key = t.gateway.credentials.find((c) => c.user === CUSTOMS)!.apiKey;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(`${t.gateway.url}/v1/events?startBlock=0`, {
      headers: { Authorization: `Bearer ${key}` },
      signal: controller.signal,
    });
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body!) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!frame.includes('event: AuditAnchored')) continue;
        const data = JSON.parse(/^data: (.*)$/m.exec(frame)![1]!) as { treeSize: number };
        if (data.treeSize >= treeSize) return;
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  throw new Error(`no tree head of ${treeSize} entries was anchored within ${timeoutMs} ms`);
}

/** Copies of a stopped gateway's data directory, for changes that are not undone. */
export class DataDirCopies {
  private readonly made: string[] = [];

  async of(dataDir: string): Promise<string> {
    const copy = await mkdtemp(join(tmpdir(), 'audit-copy-'));
    this.made.push(copy);
    await cp(dataDir, copy, { recursive: true });
    return copy;
  }

  async removeAll(): Promise<void> {
    await Promise.all(this.made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

/** Runs a change on the ledger store of a stopped gateway's data directory (or a copy's), through the project's own store class. */
export async function withLedgerStore<T>(use: (store: LedgerStore) => Promise<T>, dir: string): Promise<T> {
  const store = await LedgerStore.openExisting(join(dir, 'ledger'));
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/**
 * Replaces the data of block `at` with what `change` makes of it, then re-seals it and every later
 * block and moves the savepoint to the new tip: the chain still links from genesis, as an insider
 * re-hashing it would leave it.
 */
export async function rewriteChain(
  dir: string,
  at: number,
  change: (data: Block['data']) => Block['data'],
): Promise<void> {
  await withLedgerStore(async (store) => {
    const { height } = JSON.parse(Buffer.from((await store.savepoint.get('tip'))!).toString()) as {
      height: number;
    };
    let previousHash = decodeBlock((await store.blocks.get(blockKey(at)))!).header.previousHash;
    for (let n = at; n < height; n++) {
      const block = decodeBlock((await store.blocks.get(blockKey(n)))!);
      const data = n === at ? change(block.data) : block.data;
      const sealed = sealBlock(n, previousHash, data, block.metadata.validationCodes);
      await store.blocks.put(blockKey(n), sealed.bytes);
      previousHash = sealed.hash;
    }
    await store.savepoint.put('tip', Buffer.from(JSON.stringify({ height, hash: previousHash })));
  }, dir);
}

/**
 * Replaces transaction `txId` of a stopped gateway's data directory (or a copy's) with what `change`
 * makes of it, then re-seals its block and every later one (rewriteChain). Resolves with the block's
 * number.
 */
export async function rewriteTransactionById(
  dir: string,
  txId: string,
  change: (tx: TransactionEnvelope) => TransactionEnvelope,
): Promise<number> {
  const block = await withLedgerStore(async (store) => {
    const entry = Buffer.from((await store.transactions.get(txId))!).toString();
    return (JSON.parse(entry) as { block: number }).block;
  }, dir);
  await rewriteChain(dir, block, (data) =>
    isConfigData(data)
      ? data
      : { transactions: data.transactions.map((tx) => (tx.txId === txId ? change(tx) : tx)) },
  );
  return block;
}

/** The private keys a data directory's msp/ folder holds (every CA, peer and user), by certificate. */
export async function keysByCertificate(dir: string): Promise<Map<string, string>> {
  const keys = new Map<string, string>();
  const walk = async (folder: string): Promise<void> => {
    const entries = await readdir(folder, { withFileTypes: true });
    if (entries.some((e) => e.name === 'cert.pem')) {
      keys.set(
        await readFile(join(folder, 'cert.pem'), 'utf8'),
        await readFile(join(folder, 'key.pem'), 'utf8'),
      );
    }
    for (const e of entries) if (e.isDirectory()) await walk(join(folder, e.name));
  };
  await walk(join(dir, 'msp'));
  return keys;
}

/** An ECDSA signature as the ledger's signers make one: SHA-256, DER, low S. */
export const signWith = (privateKeyPem: string, message: Uint8Array): string =>
  Buffer.from(toLowS(sign('sha256', message, createPrivateKey(privateKeyPem)))).toString('base64');

/**
 * A transaction signed again with the keys of its signers' certificates (endorsements whose key is
 * not among `keys` kept as they are), its envelope last, as the envelope signature covers them.
 */
export function resign(tx: TransactionEnvelope, keys: ReadonlyMap<string, string>): TransactionEnvelope {
  const payload = envelopeResponsePayload(tx);
  const endorsements = tx.endorsements.map((e) => {
    const key = keys.get(e.certificate);
    return key ? { ...e, signature: signWith(key, endorsementMessage(payload, e.certificate)) } : e;
  });
  const signed = { ...tx, endorsements };
  return { ...signed, signature: signWith(keys.get(tx.creator.certificate)!, envelopeSigningBytes(signed)) };
}
