import type { AnchorPage, AnchorPageInput, AuditAnchor } from '@customs-ledger/chaincode';
import type { Principal } from '../auth/principal.js';
import type { LedgerClient } from './ledger-client.js';

/** An anchor as the ledger holds it, with the block of its transaction (null if the block index does not say). */
export interface AnchorWithBlock extends AuditAnchor {
  readonly block: number | null;
}

/**
 * The anchors of one gateway's audit log as the ledger holds them (audit:getAnchors and
 * audit:latestAnchor, read as the caller's own identity), each with its block: what an auditor
 * checks the gateway's tree heads against, rather than against the gateway's word.
 */
export class AuditAnchorService {
  constructor(
    private readonly ledger: LedgerClient,
    /** The organisation whose gateway's log it is. */
    readonly gatewayMspId: string,
  ) {}

  /** A page by increasing tree size; the contract pages them, so a page costs the same however many there are. */
  async anchors(
    principal: Principal,
    logId: string,
    page: AnchorPageInput,
  ): Promise<{ readonly anchors: AnchorWithBlock[]; readonly next: number | null }> {
    const { anchors, next } = await this.ledger.evaluate<AnchorPage>(principal, 'audit:getAnchors', [
      this.gatewayMspId,
      logId,
      JSON.stringify(page),
    ]);
    return { anchors: await this.withBlocks(principal, anchors), next };
  }

  /** The latest anchor, or null before the first. */
  async latest(principal: Principal, logId: string): Promise<AnchorWithBlock | null> {
    const anchor = await this.ledger.evaluate<AuditAnchor | null>(principal, 'audit:latestAnchor', [
      this.gatewayMspId,
      logId,
    ]);
    if (anchor === null) return null;
    const [withBlock] = await this.withBlocks(principal, [anchor]);
    return withBlock!;
  }

  private async withBlocks(
    principal: Principal,
    anchors: readonly AuditAnchor[],
  ): Promise<AnchorWithBlock[]> {
    const blocks = await this.ledger.blocksOf(
      principal,
      anchors.map((anchor) => anchor.txId),
    );
    return anchors.map((anchor) => {
      const block = blocks.get(anchor.txId);
      return { ...anchor, block: block === undefined ? null : Number(block) };
    });
  }
}
