import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { isConfigData } from '../../gateway/src/ledger/embedded/block.js';
import { openEmbeddedNetwork } from '../../gateway/src/ledger/embedded/network.js';
import { TxValidationCode } from '../../gateway/src/ledger/port.js';

interface Ack {
  readonly id: string;
  readonly txId: string;
  readonly block: number;
}

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Runs the writer until it has acknowledged `count` transactions, then kills it with SIGKILL. */
async function writeAndKill(dataDir: string, prefix: string, count: number): Promise<Ack[]> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/support/crash-writer.ts', dataDir, prefix],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const acks: Ack[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for await (const line of createInterface({ input: child.stdout! })) {
    const message = JSON.parse(line) as Ack | { ready: true };
    if ('txId' in message) acks.push(message);
    if (acks.length >= count) {
      child.kill('SIGKILL');
      break;
    }
  }
  await exited;
  return acks;
}

describe('crash safety', () => {
  it('a writer killed with SIGKILL while committing reopens at the last whole block with every acknowledged transaction', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'crash-'));
    dirs.push(dataDir);
    const acknowledged: Ack[] = [];
    for (let round = 0; round < 3; round++) {
      // A random point: somewhere between 60 and 300 acknowledged transactions into the run.
      const acks = await writeAndKill(dataDir, `R${round}`, 60 + Math.floor(Math.random() * 240));
      acknowledged.push(...acks);

      const { ledger } = await openEmbeddedNetwork({
        dataDir,
        networkConfigPath: 'config/organisations.json',
        collectionsConfigPath: 'chaincode/collections_config.json',
      });
      try {
        expect(await ledger.verifyChain()).toMatchObject({ ok: true });
        const customs = await ledger.enrolUser('CustomsMSP', 'crash-check', { role: 'officer' });
        for (const ack of acknowledged) {
          const status = await ledger.getTransactionStatus(ack.txId);
          expect(status, `acknowledged ${ack.id}`).toMatchObject({ code: TxValidationCode.VALID });
        }
        // Whole transactions only: every valid create in a block has its state, and every
        // consignment in state was created by a valid transaction in a block.
        const created = new Set<string>();
        for (let b = 0; b < Number(ledger.height()); b++) {
          const block = await ledger.getBlock(b);
          if (isConfigData(block.data)) continue;
          block.data.transactions.forEach((tx, i) => {
            const fn = Buffer.from(tx.args[0]!, 'base64').toString();
            if (fn === 'consignment:create' && block.metadata.validationCodes[i] === TxValidationCode.VALID) {
              created.add(Buffer.from(tx.args[1]!, 'base64').toString());
            }
          });
        }
        for (const ack of acknowledged) expect(created.has(ack.id)).toBe(true);
        for (const id of [...created].slice(-50)) {
          const view = JSON.parse(
            Buffer.from(await ledger.evaluate(customs, 'consignment:get', { arguments: [id] })).toString(),
          );
          expect(view.consignment.consignmentId).toBe(id);
        }
        // The reopened ledger takes new transactions.
        const writer = await ledger.enrolUser('PlatformAMSP', 'after-crash', { role: 'operator' });
        await ledger.submit(writer, 'consignment:create', {
          arguments: [`AFTER-${round}`, JSON.stringify({ originCountry: 'CN', destinationCountry: 'FR' })],
        });
      } finally {
        await ledger.close();
      }
    }
  });
});
