import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';

import {
  KeyType,
  compositeKey,
  emitEvent,
  listByPartialKey,
  putJson,
  readJson,
  resolveCaller,
  result,
  txTime,
} from './context';

/** A signed tree head of a gateway's audit log, anchored so the log can never be rewritten unseen. */
export interface AuditAnchor {
  readonly gatewayMspId: string;
  readonly treeSize: number;
  readonly rootHash: string;
  readonly timestamp: string;
  readonly signature: string;
  readonly signerId: string;
  readonly anchoredAt: string;
  readonly txId: string;
}

const HEX_HASH = /^[0-9a-f]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const TREE_SIZE_DIGITS = 15;

@Info({
  title: 'AuditContract',
  description: 'Anchors of the gateways’ audit logs: signed Merkle tree heads, increasing in size',
})
export class AuditContract extends Contract {
  constructor() {
    super('audit');
  }

  /**
   * Records a signed tree head of the caller organisation's gateway log. Sizes only grow: a
   * rewritten log would need a smaller or conflicting head, which an auditor detects.
   */
  @Transaction()
  @Returns('string')
  public async anchor(
    ctx: Context,
    treeSize: string,
    rootHash: string,
    timestamp: string,
    signature: string,
  ): Promise<string> {
    const caller = await resolveCaller(ctx);
    const size = Number(treeSize);
    if (!/^\d{1,15}$/.test(treeSize) || !Number.isSafeInteger(size) || size < 1) {
      throw new Error(`treeSize must be a positive integer, got '${treeSize}'`);
    }
    if (!HEX_HASH.test(rootHash)) throw new Error('rootHash must be 64 lowercase hex characters');
    if (Number.isNaN(Date.parse(timestamp))) throw new Error('timestamp must be an ISO date-time');
    if (!BASE64.test(signature) || signature.length > 512) throw new Error('signature must be base64');
    const headKey = compositeKey(ctx, KeyType.auditHead, [caller.mspId]);
    const previous = await readJson<AuditAnchor>(ctx, headKey);
    if (previous && size <= previous.treeSize) {
      throw new Error(
        `tree size ${size} does not exceed the last anchored size ${previous.treeSize} of ${caller.mspId}`,
      );
    }
    const anchor: AuditAnchor = {
      gatewayMspId: caller.mspId,
      treeSize: size,
      rootHash,
      timestamp,
      signature,
      signerId: caller.userId,
      anchoredAt: txTime(ctx),
      txId: ctx.stub.getTxID(),
    };
    await putJson(
      ctx,
      compositeKey(ctx, KeyType.auditAnchor, [caller.mspId, String(size).padStart(TREE_SIZE_DIGITS, '0')]),
      anchor,
    );
    await putJson(ctx, headKey, anchor);
    emitEvent(ctx, 'AuditAnchored', { gatewayMspId: caller.mspId, treeSize: size, rootHash });
    return result(anchor);
  }

  @Transaction(false)
  @Returns('string')
  public async getAnchors(ctx: Context, gatewayMspId: string): Promise<string> {
    await resolveCaller(ctx);
    return result(await listByPartialKey<AuditAnchor>(ctx, KeyType.auditAnchor, [gatewayMspId]));
  }

  @Transaction(false)
  @Returns('string')
  public async latestAnchor(ctx: Context, gatewayMspId: string): Promise<string> {
    await resolveCaller(ctx);
    return result(
      (await readJson<AuditAnchor>(ctx, compositeKey(ctx, KeyType.auditHead, [gatewayMspId]))) ?? null,
    );
  }
}
