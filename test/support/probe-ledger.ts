/**
 * The network the embedded ledger's semantics suites run on (test/embedded/fidelity.test.ts, the
 * rows measured on a real peer, and commit.test.ts): three organisations, one private collection of
 * two of them, MAJORITY endorsement, and the probe chaincode test/fixtures/kv-chaincode.cjs, plus
 * any contracts a suite adds.
 */
import { createRequire } from 'node:module';
import type { EmbeddedLedgerOptions } from '../../gateway/src/ledger/embedded/embedded-ledger.js';

export const COLLECTION = 'PlatformCustomsCollection';
export const PLATFORM = 'PlatformMSP';
export const POST = 'PostMSP';
export const CUSTOMS = 'CustomsMSP';

type Contracts = EmbeddedLedgerOptions['chaincode']['contracts'];

const kvChaincode = createRequire(import.meta.url)('../fixtures/kv-chaincode.cjs') as {
  contracts: Contracts;
};

export function probeLedgerOptions(dataDir: string, extraContracts: Contracts = []): EmbeddedLedgerOptions {
  return {
    dataDir,
    channel: 'mychannel',
    organisations: [
      { mspId: PLATFORM, domain: 'platform.example.com' },
      { mspId: POST, domain: 'post.example.com' },
      { mspId: CUSTOMS, domain: 'customs.example.com' },
    ],
    collections: [
      {
        name: COLLECTION,
        policy: `OR('${PLATFORM}.member','${CUSTOMS}.member')`,
        requiredPeerCount: 0,
        maxPeerCount: 1,
        blockToLive: 0,
        memberOnlyRead: true,
        memberOnlyWrite: true,
      },
    ],
    // fabric-shim's ChaincodeFromContract appends its system contract to the array it is given: pass a copy.
    chaincode: { name: 'kv', contracts: [...kvChaincode.contracts, ...extraContracts] },
    endorsementPolicy: 'MAJORITY Endorsement',
    batchTimeoutMs: 20,
    maxBatchSize: 500,
  };
}
