import { defineRoute, type RouteDefinition } from '../http/route.js';
import { HttpProblem } from '../http/problem.js';
import { orNull, z } from '../http/openapi.js';
import { AUDIT_ANCHOR_PAGE_LIMIT } from '@customs-ledger/chaincode';
import { AuditRangeError, type AuditLog } from './audit-log.js';
import { NumberParam } from '../api/schemas.js';
import type { AuditAnchorService } from '../services/audit-anchor-service.js';

const TAGS = ['audit'];
const ROLES = ['auditor', 'customs'] as const;
const MAX_ENTRIES = 1000;

const Hash = z
  .string()
  .regex(/^[0-9a-f]{64}$/)
  .openapi({ description: 'SHA-256 hash, lowercase hex' });
const Count = (description: string, required = true) =>
  NumberParam({ min: 0, max: Number.MAX_SAFE_INTEGER, description, required });
const Size = (description: string, required = true) =>
  NumberParam({ min: 1, max: Number.MAX_SAFE_INTEGER, description, required });

/** What a tree head signs, as the gateway serves it and as the ledger's anchors hold it. */
const SignedHeadFields = {
  logId: z.string().openapi({
    description: "This gateway's log id: anchors on the ledger are kept per organisation and log",
  }),
  treeSize: z.number().int(),
  rootHash: Hash,
  timestamp: z.string().openapi({ description: 'When the head was signed (ISO 8601)' }),
  signature: z.string().openapi({
    description:
      'Base64 DER ECDSA (SHA-256) signature over the canonical JSON (RFC 8785) of {logId, rootHash, timestamp, treeSize}',
  }),
};

const TreeHeadSchema = z
  .object({
    ...SignedHeadFields,
    signerMspId: z.string(),
    signerCertificate: z.string().openapi({ description: 'PEM certificate of the signing identity' }),
  })
  .openapi('AuditTreeHead', { description: 'A signed tree head of the gateway audit log (RFC 6962)' });

const EntrySchema = z
  .object({
    index: z.number().int(),
    time: z.string(),
    requestId: z.string(),
    user: z.string().openapi({ description: "'' when the request was refused before authentication" }),
    mspId: z.string(),
    role: z.string(),
    method: z.string(),
    route: z.string().openapi({ description: "Route template, or 'unmatched'" }),
    resource: z.string(),
    purpose: z.string(),
    outcome: z.number().int().openapi({ description: 'HTTP status of the response' }),
    txId: z.string(),
  })
  .openapi('AuditEntry', {
    description: 'One request; its leaf data is the canonical JSON (RFC 8785) of this object',
  });

const EntriesSchema = z.object({
  treeSize: z.number().int(),
  from: z.number().int(),
  entries: z.array(EntrySchema),
  next: z.number().int().nullable().openapi({ description: 'The `from` of the next page, null at the end' }),
});

const EntryWithHashSchema = z.object({ entry: EntrySchema, leafHash: Hash });

const InclusionSchema = z.object({
  leafIndex: z.number().int(),
  treeSize: z.number().int(),
  leafHash: Hash,
  auditPath: z.array(Hash).openapi({ description: 'RFC 6962 §2.1.1 audit path, leaf end first' }),
  rootHash: Hash,
});

const ConsistencySchema = z.object({
  from: z.number().int(),
  to: z.number().int(),
  proof: z.array(Hash).openapi({ description: 'RFC 6962 §2.1.2 consistency proof' }),
  fromRoot: Hash,
  toRoot: Hash,
});

const AnchorSchema = z
  .object({
    gatewayMspId: z.string().openapi({ description: 'The organisation that anchored it' }),
    ...SignedHeadFields,
    signerId: z
      .string()
      .openapi({ description: 'Fabric id (x509::subject::issuer) of the anchoring identity' }),
    txId: z.string(),
    anchoredAt: z.string().openapi({ description: 'The transaction time (ISO 8601)' }),
    block: z.number().int().nullable().openapi({
      description: "The block holding the transaction; null if the ledger's block index does not say",
    }),
  })
  .openapi('AuditAnchor', {
    description:
      "A signed tree head of the audit log as the ledger holds it, signed by the gateway's audit signer (the certificate of GET /v1/audit/tree-head)",
  });

const AnchorsSchema = z.object({
  gatewayMspId: z.string(),
  logId: z.string(),
  anchors: z.array(AnchorSchema).openapi({ description: 'By increasing tree size' }),
  next: z.number().int().nullable().openapi({ description: 'The `after` of the next page, null at the end' }),
});

const LatestAnchorSchema = z
  .object({ gatewayMspId: z.string(), logId: z.string(), anchor: orNull(AnchorSchema) })
  .openapi({ description: '`anchor` is null before the first anchor' });

const hex = (hashes: readonly Buffer[]): string[] => hashes.map((h) => h.toString('hex'));

/** Out-of-range sizes and indices are the caller's mistake: 400 with the log's message. */
async function inRange<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof AuditRangeError) throw new HttpProblem(400, error.message);
    throw error;
  }
}

function beyond(name: string, value: number, size: number): HttpProblem {
  return new HttpProblem(
    400,
    `${name} ${value} is beyond the end of the audit log (current size ${size}); take a tree head first`,
  );
}

/**
 * The audit log for auditors (and customs): signed tree heads, entries, and RFC 6962 inclusion and
 * consistency proofs, so an auditor can check an entry against a tree head and that a later head
 * extends an earlier (e.g. anchored) one. Each route first waits for the appends already requested
 * (log.drain()), so it reflects every request answered before it arrived.
 */
export function auditRoutes(log: AuditLog): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/audit/tree-head',
      summary: 'The current signed tree head of the gateway audit log',
      description:
        'Anchored on the ledger periodically (audit:anchor), so a later rewrite of the log is detectable.',
      tags: TAGS,
      roles: ROLES,
      query: z.strictObject({}),
      responses: { 200: { description: 'Signed tree head', schema: TreeHeadSchema } },
      handler: async () => {
        await log.drain();
        return { status: 200, body: await log.treeHead() };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/audit/entries',
      summary: 'Audit log entries in order',
      description: `At most ${MAX_ENTRIES} entries per page; follow \`next\` for the following page.`,
      tags: TAGS,
      roles: ROLES,
      query: z.strictObject({
        from: Count('Index of the first entry; default 0', false).default(0),
        limit: NumberParam({
          min: 1,
          max: MAX_ENTRIES,
          description: `At most ${MAX_ENTRIES}; default 100`,
        }).default(100),
      }),
      responses: { 200: { description: 'A page of entries', schema: EntriesSchema } },
      handler: async ({ query }) => {
        await log.drain();
        const treeSize = log.size();
        if (query.from > treeSize) throw beyond('from', query.from, treeSize);
        const entries =
          query.from === treeSize
            ? []
            : await log.entries(query.from, Math.min(query.limit, treeSize - query.from));
        const end = query.from + entries.length;
        return {
          status: 200,
          body: { treeSize, from: query.from, entries, next: end < treeSize ? end : null },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/audit/entries/{index}',
      summary: 'One audit log entry with its leaf hash',
      tags: TAGS,
      roles: ROLES,
      params: z.object({
        index: Count('Entry index').openapi({ param: { name: 'index', in: 'path', required: true } }),
      }),
      query: z.strictObject({}),
      responses: {
        200: { description: 'The entry', schema: EntryWithHashSchema },
        404: { description: 'No such entry' },
      },
      handler: async ({ params, audit }) => {
        await log.drain();
        const treeSize = log.size();
        if (params.index >= treeSize) {
          throw new HttpProblem(
            404,
            `audit entry ${params.index} does not exist: the log has ${treeSize} entries (0 to ${treeSize - 1})`,
          );
        }
        audit({ resource: `audit-entry/${params.index}` });
        const [entry, leafHash] = await Promise.all([log.entry(params.index), log.leafHashAt(params.index)]);
        return { status: 200, body: { entry, leafHash: leafHash.toString('hex') } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/audit/proofs/inclusion',
      summary: 'RFC 6962 inclusion proof of an entry in the tree of a given size',
      description:
        'Verify with RFC 9162 §2.1.3.2: hash the entry’s canonical JSON as a leaf, fold the audit path, compare with the root of a tree head of that size.',
      tags: TAGS,
      roles: ROLES,
      query: z.strictObject({
        index: Count('Entry index'),
        treeSize: Size('Size of the tree to prove against; default: the current size', false).optional(),
      }),
      responses: { 200: { description: 'Inclusion proof', schema: InclusionSchema } },
      handler: async ({ query }) => {
        await log.drain();
        const current = log.size();
        const treeSize = query.treeSize ?? current;
        if (treeSize > current) throw beyond('treeSize', treeSize, current);
        if (query.index >= treeSize) {
          throw new HttpProblem(
            400,
            `index ${query.index} is not in a tree of size ${treeSize} (valid indices: 0 to ${treeSize - 1})`,
          );
        }
        return inRange(async () => {
          const [auditPath, leafHash, rootHash] = await Promise.all([
            log.inclusionProof(query.index, treeSize),
            log.leafHashAt(query.index),
            log.rootAt(treeSize),
          ]);
          return {
            status: 200,
            body: {
              leafIndex: query.index,
              treeSize,
              leafHash: leafHash.toString('hex'),
              auditPath: hex(auditPath),
              rootHash: rootHash.toString('hex'),
            },
          };
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/audit/proofs/consistency',
      summary: 'RFC 6962 consistency proof between two tree sizes',
      description:
        'Proves the tree of `from` entries is a prefix of the tree of `to` entries; verify with RFC 9162 §2.1.4.2.',
      tags: TAGS,
      roles: ROLES,
      query: z.strictObject({
        from: Size('The older tree size'),
        to: Size('The newer tree size; default: the current size', false).optional(),
      }),
      responses: { 200: { description: 'Consistency proof', schema: ConsistencySchema } },
      handler: async ({ query }) => {
        await log.drain();
        const current = log.size();
        const to = query.to ?? current;
        if (to > current) throw beyond('to', to, current);
        if (query.from > to) {
          throw new HttpProblem(400, `from ${query.from} must not exceed to ${to}`);
        }
        return inRange(async () => {
          const [proof, fromRoot, toRoot] = await Promise.all([
            log.consistencyProof(query.from, to),
            log.rootAt(query.from),
            log.rootAt(to),
          ]);
          return {
            status: 200,
            body: {
              from: query.from,
              to,
              proof: hex(proof),
              fromRoot: fromRoot.toString('hex'),
              toRoot: toRoot.toString('hex'),
            },
          };
        });
      },
    }),
  ];
}

/**
 * The anchors of this gateway's log as the ledger holds them, with the block of each: an auditor
 * online checks the tree heads and consistency proofs the gateway serves against what the ledger
 * holds, rather than against the gateway's word.
 */
export function auditAnchorRoutes(log: AuditLog, anchors: AuditAnchorService): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/audit/anchors',
      summary: "The ledger's anchors of this gateway's audit log",
      description: `By increasing tree size, at most ${AUDIT_ANCHOR_PAGE_LIMIT} a page; follow \`next\`. Check them against GET /v1/audit/proofs/consistency and the current tree head: the head extends what the ledger holds. The latest alone: GET /v1/audit/anchors/latest.`,
      tags: TAGS,
      roles: ROLES,
      query: z.strictObject({
        after: Count(
          'Only anchors of a larger tree size (the `next` of the page before); default 0',
          false,
        ).default(0),
        limit: NumberParam({
          min: 1,
          max: AUDIT_ANCHOR_PAGE_LIMIT,
          description: `At most ${AUDIT_ANCHOR_PAGE_LIMIT}; default ${AUDIT_ANCHOR_PAGE_LIMIT}`,
        }).default(AUDIT_ANCHOR_PAGE_LIMIT),
      }),
      responses: { 200: { description: 'A page of anchors', schema: AnchorsSchema } },
      handler: async ({ principal, query }) => {
        const logId = log.logId!;
        const page = await anchors.anchors(principal, logId, { after: query.after, limit: query.limit });
        return { status: 200, body: { gatewayMspId: anchors.gatewayMspId, logId, ...page } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/audit/anchors/latest',
      summary: "The ledger's latest anchor of this gateway's audit log",
      description:
        'Check it against the current tree head: its signature with the head’s certificate, then GET /v1/audit/proofs/consistency?from=<its treeSize>&to=<the head’s treeSize> from its root to the head’s.',
      tags: TAGS,
      roles: ROLES,
      responses: { 200: { description: 'The latest anchor, or null', schema: LatestAnchorSchema } },
      handler: async ({ principal }) => {
        const logId = log.logId!;
        const anchor = await anchors.latest(principal, logId);
        return { status: 200, body: { gatewayMspId: anchors.gatewayMspId, logId, anchor } };
      },
    }),
  ];
}
