/**
 * The private data collections and the chaincode-level endorsement policy for this network's
 * organisations, from the same functions the chaincode and the embedded ledger use. Usage:
 *   npx tsx network/lib/collections.ts <organisations.json> <collections_config.json> <policy.txt>
 * where organisations.json is network/organizations/organisations.json (config/organisations.json's
 * shape, filtered to the organisations in network/network.config.json).
 */
import { readFile, writeFile } from 'node:fs/promises';
// The TypeScript source, not the built package: this must work before `npm run build:chaincode`.
import {
  chaincodeEndorsementPolicy,
  collectionsConfigFor,
  parseNetworkConfig,
} from '../../chaincode/src/domain/collections.js';

const [networkPath, collectionsPath, policyPath] = process.argv.slice(2);
if (!networkPath || !collectionsPath || !policyPath) {
  console.error(
    'usage: npx tsx network/lib/collections.ts <organisations.json> <collections.json> <policy.txt>',
  );
  process.exit(2);
}

const network = parseNetworkConfig(JSON.parse(await readFile(networkPath, 'utf8')) as unknown);
const collections = collectionsConfigFor(network);
await writeFile(collectionsPath, `${JSON.stringify(collections, null, 2)}\n`);
await writeFile(policyPath, `${chaincodeEndorsementPolicy(network)}\n`);
console.log(`wrote ${collections.length} collections to ${collectionsPath}`);
