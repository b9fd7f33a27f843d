/*
 * The child process of the crash test (test/embedded/crash.test.ts): opens the embedded network on
 * a data directory and commits consignment creations from concurrent clients until it is killed.
 *
 *   node --import tsx test/support/crash-writer.ts <dataDir> <idPrefix> [concurrency]
 *
 * stdout carries one JSON line per acknowledged transaction, written only after `submit` resolved
 * (the block holding it is committed): {"id","txId","block"}; the first line is {"ready":true}.
 * Any failure is printed to stderr and ends the process with status 1: under this load every
 * submit must succeed.
 */
import '../../gateway/src/ledger/chaincode-logging.js';
import { openEmbeddedNetwork } from '../../gateway/src/ledger/embedded/network.js';

export interface CrashAck {
  readonly id: string;
  readonly txId: string;
  readonly block: number;
}

const [dataDir, prefix, concurrencyArg = '50'] = process.argv.slice(2);
if (!dataDir || !prefix) {
  process.stderr.write('usage: crash-writer.ts <dataDir> <idPrefix> [concurrency]\n');
  process.exit(2);
}

// Writes to a pipe are synchronous on Linux and macOS and each line is far below PIPE_BUF: once emit
// returns, the whole line is in the pipe, where a later SIGKILL cannot take it back or cut it.
const emit = (message: object): void => void process.stdout.write(JSON.stringify(message) + '\n');

try {
  const { ledger } = await openEmbeddedNetwork({
    dataDir,
    networkConfigPath: 'config/organisations.json',
    collectionsConfigPath: 'chaincode/collections_config.json',
  });
  const user = await ledger.enrolUser('PlatformAMSP', 'crash-writer', { role: 'operator' });
  emit({ ready: true });
  let next = 0;
  await Promise.all(
    Array.from({ length: Number(concurrencyArg) }, async () => {
      for (;;) {
        const id = `${prefix}-${next++}`;
        // The order number is claimed under a second state key by the same transaction.
        const joinKeys = { orderNumber: `ORD-${id}`, originCountry: 'CN', destinationCountry: 'FR' };
        const { transactionId, blockNumber } = await ledger.submit(user, 'consignment:create', {
          arguments: [id, JSON.stringify(joinKeys)],
        });
        const ack: CrashAck = { id, txId: transactionId, block: Number(blockNumber) };
        emit(ack);
      }
    }),
  );
} catch (error) {
  process.stderr.write(
    `crash-writer failed: ${error instanceof Error ? (error.stack ?? error.message) : error}\n`,
  );
  process.exit(1);
}
