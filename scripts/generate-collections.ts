/**
 * Writes chaincode/collections_config.json from the organisation list, so the collections deployed to
 * Fabric and those the embedded ledger loads come from one naming rule. Usage:
 *   npx tsx scripts/generate-collections.ts [network.json] [out.json]
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
// The TypeScript source, not the built package: this must work before `npm run build:chaincode`.
import { collectionsConfigFor, parseNetworkConfig } from '../chaincode/src/domain/collections.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const networkPath = process.argv[2] ?? `${root}config/organisations.json`;
const outPath = process.argv[3] ?? `${root}chaincode/collections_config.json`;

const network = parseNetworkConfig(JSON.parse(await readFile(networkPath, 'utf8')) as unknown);
const collections = collectionsConfigFor(network);
await writeFile(outPath, `${JSON.stringify(collections, null, 2)}\n`);
console.log(`wrote ${collections.length} collections to ${outPath}`);
