import { verify, X509Certificate } from 'node:crypto';
import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';

import { z } from 'zod';
import { canonicalJson, fromBytes } from '../domain/canonical';
import { parseJsonWith } from '../domain/schemas';
import {
  KeyType,
  compositeKey,
  emitEvent,
  putJson,
  readJson,
  resolveCaller,
  result,
  txTime,
} from './context';

/**
 * A signed tree head of a gateway's audit log (RFC 6962 Merkle tree of its requests), anchored so
 * the log can never be rewritten unseen: every later head of that log must be consistent with it.
 */
export interface AuditAnchor {
  /** The organisation operating the gateway: the caller's MSP. */
  readonly gatewayMspId: string;
  /** The log's own id: an organisation may run several gateways, each with its own log. */
  readonly logId: string;
  readonly treeSize: number;
  /** Hex SHA-256 Merkle root of the first treeSize entries. */
  readonly rootHash: string;
  /** When the gateway signed the head (ISO 8601). */
  readonly timestamp: string;
  /** Base64 DER ECDSA signature over auditTreeHeadMessage, by the calling identity. */
  readonly signature: string;
  /**
   * The caller's Fabric user id (x509::subject::issuer) of the gateway's service identity: the same
   * in every anchor of a log, that of its first anchor.
   */
  readonly signerId: string;
  readonly txId: string;
  /** The transaction timestamp. */
  readonly anchoredAt: string;
}

/** Most anchors in one page of audit:getAnchors. */
export const AUDIT_ANCHOR_PAGE_LIMIT = 100;

/** A page of a log's anchors: those of a tree size above `after`, at most `limit`. */
export const AnchorPageRequest = z.strictObject({
  /** The `next` of the page before; 0 for the first page. */
  after: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  limit: z.number().int().min(1).max(AUDIT_ANCHOR_PAGE_LIMIT).default(AUDIT_ANCHOR_PAGE_LIMIT),
});
export type AnchorPageInput = z.input<typeof AnchorPageRequest>;

export interface AnchorPage {
  /** By increasing tree size. */
  readonly anchors: readonly AuditAnchor[];
  /** The last anchor's tree size when more follow (the next page's `after`), else null. */
  readonly next: number | null;
}

const HEX_HASH = /^[0-9a-f]{64}$/;
const TREE_SIZE = /^[1-9][0-9]{0,14}$/;
const TREE_SIZE_DIGITS = 15;
const MAX_TREE_SIZE = 10 ** TREE_SIZE_DIGITS - 1;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** A DER ECDSA signature is at most 72 bytes for P-256, 139 for P-521; RSA-4096 is 512. */
const MAX_SIGNATURE_BYTES = 512;
const MSP_ID = /^[A-Za-z0-9.-]{1,64}$/;
/** 128 random bits in hex, drawn by the gateway when its log is created. */
export const AUDIT_LOG_ID = /^[0-9a-f]{32}$/;

/**
 * The bytes a tree head signature covers: canonical JSON (RFC 8785) of {logId, rootHash, timestamp,
 * treeSize}. The log id is signed so a head of one log can never be presented as another's.
 */
export function auditTreeHeadMessage(head: {
  logId: string;
  treeSize: number;
  rootHash: string;
  timestamp: string;
}): Buffer {
  return Buffer.from(
    canonicalJson({
      logId: head.logId,
      treeSize: head.treeSize,
      rootHash: head.rootHash,
      timestamp: head.timestamp,
    }),
    'utf8',
  );
}

function signedByCaller(ctx: Context, message: Buffer, signature: Buffer): boolean {
  try {
    const certificate = new X509Certificate(Buffer.from(ctx.clientIdentity.getIDBytes()));
    return verify('sha256', message, certificate.publicKey, signature);
  } catch {
    return false;
  }
}

/** Zero-padded, so that the keys of a log's anchors sort by tree size. */
function treeSizeKey(size: number): string {
  return String(size).padStart(TREE_SIZE_DIGITS, '0');
}

function checkMspId(gatewayMspId: string): string {
  if (!MSP_ID.test(gatewayMspId)) throw new Error(`gatewayMspId must be an MSP id, got '${gatewayMspId}'`);
  return gatewayMspId;
}

function checkLogId(logId: string): string {
  if (!AUDIT_LOG_ID.test(logId)) throw new Error(`logId must be 32 lowercase hex characters, got '${logId}'`);
  return logId;
}

@Info({
  title: 'AuditContract',
  description: 'Anchors of the gateways’ audit logs: signed Merkle tree heads, strictly increasing in size',
})
export class AuditContract extends Contract {
  constructor() {
    super('audit');
  }

  /**
   * Records a signed tree head of one of the caller organisation's gateway logs. Any registered
   * organisation may anchor its own gateways' logs, and only its own: a log is keyed by the
   * caller's MSP and the log's id, and the head must be signed by the calling identity. Sizes only grow, so a
   * rewritten log would need a head inconsistent with an anchored one, which an auditor detects.
   * A log belongs to the identity that first anchored it (its gateway's audit signer): any other
   * identity of the organisation could otherwise anchor a size the log never reached and so stop
   * the gateway from ever anchoring again. Every anchor checks against the last one, so by
   * induction its signer is the first anchor's. The signer's user role is not checked: on a
   * cryptogen network identities carry no role attribute, the gateway's included.
   *
   * The last anchor is kept under its own key ('audithead', msp, log) as well as in the append-only
   * series ('auditanchor', msp, log, size): a point read, so the check is O(1) and two concurrent
   * anchors conflict on its version (MVCC) instead of a range read that grows with every anchor
   * and is re-executed at validation (phantom check). Fabric has no read-your-writes, so the
   * previous anchor is read before anything is written.
   */
  @Transaction()
  @Returns('string')
  public async anchor(
    ctx: Context,
    logId: string,
    treeSize: string,
    rootHash: string,
    timestamp: string,
    signature: string,
  ): Promise<string> {
    const caller = await resolveCaller(ctx);
    checkLogId(logId);
    if (!TREE_SIZE.test(treeSize)) {
      throw new Error(
        `treeSize must be a positive integer of at most ${TREE_SIZE_DIGITS} digits, got '${treeSize}'`,
      );
    }
    const size = Number(treeSize);
    if (!HEX_HASH.test(rootHash))
      throw new Error('rootHash must be a SHA-256 hash in 64 lowercase hex characters');
    if (!ISO_INSTANT.test(timestamp) || Number.isNaN(Date.parse(timestamp))) {
      throw new Error(`timestamp must be an ISO 8601 UTC date-time such as 2026-01-31T12:00:00.000Z`);
    }
    const signatureBytes = Buffer.from(signature, 'base64');
    if (
      !BASE64.test(signature) ||
      signature.length % 4 !== 0 ||
      signatureBytes.length === 0 ||
      signatureBytes.length > MAX_SIGNATURE_BYTES
    ) {
      throw new Error('signature must be a base64 DER signature');
    }
    if (
      !signedByCaller(
        ctx,
        auditTreeHeadMessage({ logId, treeSize: size, rootHash, timestamp }),
        signatureBytes,
      )
    ) {
      throw new Error('signature does not verify: the tree head must be signed by the calling identity');
    }

    const headKey = compositeKey(ctx, KeyType.auditHead, [caller.mspId, logId]);
    const previous = await readJson<AuditAnchor>(ctx, headKey);
    if (previous && previous.signerId !== caller.userId) {
      throw new Error(
        `log ${logId} of ${caller.mspId} is anchored by ${previous.signerId}: only the identity that made its first anchor may anchor it, not ${caller.userId}`,
      );
    }
    if (previous && size <= previous.treeSize) {
      throw new Error(
        `tree size ${size} does not exceed the last anchored size ${previous.treeSize} of log ${logId} of ${caller.mspId}`,
      );
    }
    const anchor: AuditAnchor = {
      gatewayMspId: caller.mspId,
      logId,
      treeSize: size,
      rootHash,
      timestamp,
      signature,
      signerId: caller.userId,
      txId: ctx.stub.getTxID(),
      anchoredAt: txTime(ctx),
    };
    await putJson(
      ctx,
      compositeKey(ctx, KeyType.auditAnchor, [caller.mspId, logId, treeSizeKey(size)]),
      anchor,
    );
    await putJson(ctx, headKey, anchor);
    // Public and non-personal: no signer id, only the organisation, the size and the root.
    emitEvent(ctx, 'AuditAnchored', {
      gatewayMspId: caller.mspId,
      logId,
      treeSize: size,
      rootHash,
      previousTreeSize: previous?.treeSize ?? 0,
    });
    return result(anchor);
  }

  /**
   * A page of a gateway log's anchors, by increasing tree size (pageJson: AnchorPageRequest). Any
   * registered organisation may read. A page reads only its own anchors, however many the log has:
   * the keys end in the zero-padded tree size, so the page starts at the key after `after`.
   */
  @Transaction(false)
  @Returns('string')
  public async getAnchors(
    ctx: Context,
    gatewayMspId: string,
    logId: string,
    pageJson: string,
  ): Promise<string> {
    const { after, limit } = parseJsonWith(AnchorPageRequest, 'anchor page', pageJson);
    await resolveCaller(ctx);
    const log = [checkMspId(gatewayMspId), checkLogId(logId)];
    // No tree size has more digits than the keys hold, and a longer start key would sort among them.
    if (after >= MAX_TREE_SIZE) return result({ anchors: [], next: null } satisfies AnchorPage);
    const start = compositeKey(ctx, KeyType.auditAnchor, [...log, treeSizeKey(after + 1)]);
    const anchors: AuditAnchor[] = [];
    // One more than the page, to know whether more follow.
    for await (const kv of ctx.stub.getStateByPartialCompositeKeyWithPagination(
      KeyType.auditAnchor,
      log,
      limit + 1,
      start,
    )) {
      anchors.push(fromBytes(kv.value) as AuditAnchor);
    }
    const page: AnchorPage = {
      anchors: anchors.slice(0, limit),
      next: anchors.length > limit ? anchors[limit - 1]!.treeSize : null,
    };
    return result(page);
  }

  /** The last anchor of a gateway's log, or null. */
  @Transaction(false)
  @Returns('string')
  public async latestAnchor(ctx: Context, gatewayMspId: string, logId: string): Promise<string> {
    await resolveCaller(ctx);
    const key = compositeKey(ctx, KeyType.auditHead, [checkMspId(gatewayMspId), checkLogId(logId)]);
    return result((await readJson<AuditAnchor>(ctx, key)) ?? null);
  }
}
