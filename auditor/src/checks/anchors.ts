import { verify, X509Certificate } from 'node:crypto';
import { auditTreeHeadMessage } from '@customs-ledger/chaincode';
import { isConfigData } from '../../../gateway/src/ledger/embedded/block.js';
import { BLOCK_KEY, storedBlockExtent } from '../../../gateway/src/ledger/embedded/chain.js';
import { certificateExpiry, wasIssuedBy } from '../../../gateway/src/ledger/embedded/msp.js';
import type { LedgerStore } from '../../../gateway/src/ledger/embedded/store.js';
import { TxValidationCode } from '../../../gateway/src/ledger/port.js';
import type { Progress } from '../progress.js';
import { StrayKeys, type ChainProblem } from './chain.js';
import { MalformedBlockError, readStoredBlock } from './stored-block.js';

/** The chaincode function that anchors a tree head (chaincode/src/contracts/audit.ts). */
const ANCHOR_FUNCTION = 'audit:anchor';

/** A signed tree head as a valid audit:anchor transaction put it on the ledger. */
export interface AnchoredHead {
  readonly blockNumber: number;
  readonly txId: string;
  /** The organisation whose gateway anchored it: the transaction creator's MSP. */
  readonly gatewayMspId: string;
  /**
   * The anchoring identity: the creator's Fabric user id (x509::<subject>::<issuer>), which the
   * chaincode records as the anchor's signerId; '' when the certificate does not parse.
   */
  readonly signerId: string;
  /** The anchored log (an organisation may run several gateways, each with its own log). */
  readonly logId: string;
  readonly treeSize: number;
  readonly rootHash: string;
  readonly timestamp: string;
  /** Where the signature and the creator's certificate were found wanting; undefined when sound. */
  readonly signatureProblem?: string;
}

/**
 * Reads every anchored tree head from the blocks (not from world state: the blocks are what the
 * chain check covers), in block order, keeping only transactions the committer marked VALID.
 * Every stored block is read, not only those the savepoint counts, so a savepoint moved back
 * hides no anchor. Each head's signature is checked again here — over the same bytes the gateway
 * signs — with the creator's certificate from the transaction, and that certificate against its
 * organisation's CA as the genesis block records it, so the auditor trusts neither the gateway
 * nor the chaincode run. `unreadableBlock` names the first block that cannot be read, else keys
 * among the blocks that are no block number: anchors they may hold are not checked.
 */
export async function readAnchors(
  store: LedgerStore,
  progress: Progress,
): Promise<{ anchors: AnchoredHead[]; unreadableBlock?: ChainProblem }> {
  const extent = await storedBlockExtent(store);
  const caByMsp = new Map<string, string>();
  const anchors: AnchoredHead[] = [];
  let unreadableBlock: ChainProblem | undefined;
  const stray = new StrayKeys();
  progress.start(extent, 'reading anchors');
  try {
    // The stored blocks, by key: a block stored far beyond the others (verify-chain names it) is
    // read without counting up to it. A missing block holds no anchor; verify-chain names it too.
    for await (const [key, bytes] of store.blocks.iterator()) {
      progress.tick();
      stray.see(key);
      const n = BLOCK_KEY.test(key) ? Number.parseInt(key, 16) : Number.NaN;
      if (!Number.isSafeInteger(n)) continue; // not a block key (stray), or one past 2^53
      let block;
      try {
        block = readStoredBlock(bytes);
      } catch (error) {
        if (!(error instanceof MalformedBlockError)) throw error;
        // Its anchors, if any, cannot be read: the first such block is the finding.
        unreadableBlock ??= { blockNumber: n, reason: `the block cannot be read: ${error.message}` };
        continue;
      }
      if (isConfigData(block.data)) {
        // Only the genesis block's: a configuration block appended later (or stored beyond the
        // savepoint) must not vouch for a CA of its writer's choosing.
        const organisations =
          n === 0
            ? (block.data.config as { organisations?: { mspId: string; caCertificate: string }[] })
                ?.organisations
            : undefined;
        for (const org of organisations ?? []) caByMsp.set(org.mspId, org.caCertificate);
        continue;
      }
      for (const [i, tx] of block.data.transactions.entries()) {
        if (block.metadata.validationCodes[i] !== TxValidationCode.VALID) continue;
        const args = tx.args.map((a) => Buffer.from(a, 'base64').toString('utf8'));
        if (args[0] !== ANCHOR_FUNCTION) continue;
        const [, logId = '', treeSize = '', rootHash = '', timestamp = '', signature = ''] = args;
        const head = { logId, treeSize: Number(treeSize), rootHash, timestamp };
        anchors.push({
          blockNumber: n,
          txId: tx.txId,
          gatewayMspId: tx.creator.mspId,
          signerId: fabricUserId(tx.creator.certificate),
          ...head,
          signatureProblem: signatureProblem(
            auditTreeHeadMessage(head),
            signature,
            tx.creator.certificate,
            caByMsp.get(tx.creator.mspId),
            new Date(tx.timestamp),
          ),
        });
      }
    }
  } finally {
    progress.stop();
  }
  return { anchors, unreadableBlock: unreadableBlock ?? stray.problem() };
}

/**
 * The Fabric user id of a certificate in the form fabric-shim's ClientIdentity gives it, which the
 * chaincode records as signerId: each name's attributes as /<short name>=<value>, a value's first
 * '/' escaped. Node prints names with RFC 2253 escapes (of ',', '+' and the like) where the shim
 * prints none, so for such names the two ids differ in form, not in which identity they name.
 */
function fabricUserId(certificatePem: string): string {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificatePem);
  } catch {
    return '';
  }
  const name = (lines: string): string =>
    lines
      .split('\n')
      .map((attribute) => {
        const at = attribute.indexOf('=');
        return `/${attribute.slice(0, at)}=${attribute.slice(at + 1).replace('/', '\\/')}`;
      })
      .join('');
  return `x509::${name(certificate.subject)}::${name(certificate.issuer)}`;
}

function signatureProblem(
  message: Buffer,
  signature: string,
  certificatePem: string,
  caPem: string | undefined,
  at: Date,
): string | undefined {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificatePem);
  } catch {
    return 'the anchoring transaction carries no readable certificate';
  }
  let signed = false;
  try {
    signed = verify('sha256', message, certificate.publicKey, Buffer.from(signature, 'base64'));
  } catch {
    signed = false;
  }
  if (!signed) return 'the tree head signature does not verify with the anchoring identity’s certificate';
  if (!caPem) return 'the genesis block names no CA for the anchoring organisation';
  if (!wasIssuedBy(certificatePem, caPem)) {
    return 'the anchoring certificate was not issued by its organisation’s CA (as the genesis block records it)';
  }
  if (at.getTime() > certificateExpiry(certificatePem)!.getTime()) {
    return 'the anchoring certificate had expired by the anchoring transaction’s time';
  }
  return undefined;
}
