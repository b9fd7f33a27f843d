/*
 * A child process for the crash test: commits consignment creations under load and prints one
 * JSON line per acknowledged transaction (after submit resolved), until it is killed.
 */
import '../../gateway/src/ledger/embedded/chaincode-logging.js';
import { openEmbeddedNetwork } from '../../gateway/src/ledger/embedded/network.js';

const [dataDir, prefix] = process.argv.slice(2) as [string, string];
const { ledger } = await openEmbeddedNetwork({
  dataDir,
  networkConfigPath: 'config/organisations.json',
  collectionsConfigPath: 'chaincode/collections_config.json',
});
const user = await ledger.enrolUser('PlatformAMSP', 'crash-writer', { role: 'operator' });
process.stdout.write(JSON.stringify({ ready: true }) + '\n');
let next = 0;
await Promise.all(
  Array.from({ length: 50 }, async () => {
    for (;;) {
      const id = `${prefix}-${next++}`;
      const { transactionId, blockNumber } = await ledger.submit(user, 'consignment:create', {
        arguments: [id, JSON.stringify({ originCountry: 'CN', destinationCountry: 'FR' })],
      });
      process.stdout.write(JSON.stringify({ id, txId: transactionId, block: Number(blockNumber) }) + '\n');
    }
  }),
);
