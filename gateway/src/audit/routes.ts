import { defineRoute, type RouteDefinition } from '../http/route.js';
import { HttpProblem } from '../http/problem.js';
import { z } from '../http/openapi.js';
import { JsonResult } from '../api/schemas.js';
import type { AuditLog } from './audit-log.js';

const TAGS = ['audit'];
const ROLES = ['auditor', 'customs'] as const;
const Index = z.coerce.number().int().min(0);

function within<T>(call: () => Promise<T>): Promise<T> {
  return call().catch((error: unknown) => {
    if (error instanceof RangeError) throw new HttpProblem(400, error.message);
    throw error;
  });
}

/** The audit log for auditors (and customs): entries, signed tree heads, inclusion and consistency proofs. */
export function auditRoutes(log: AuditLog): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/audit/tree-head',
      summary: 'The current signed tree head of the gateway audit log',
      tags: TAGS,
      roles: ROLES,
      query: z.strictObject({}),
      responses: { 200: { description: 'Signed tree head', schema: JsonResult } },
      handler: async () => ({ status: 200, body: await log.treeHead() }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/audit/entries',
      summary: 'Audit log entries in order',
      tags: TAGS,
      roles: ROLES,
      query: z.strictObject({
        from: Index.default(0),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
      }),
      responses: { 200: { description: 'Entries', schema: JsonResult } },
      handler: async ({ query }) => ({
        status: 200,
        body: { treeSize: log.size(), entries: await log.entries(query.from, query.limit) },
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/audit/entries/{index}',
      summary: 'One audit log entry with its leaf hash',
      tags: TAGS,
      roles: ROLES,
      params: z.object({ index: Index.openapi({ param: { name: 'index', in: 'path' } }) }),
      query: z.strictObject({}),
      responses: { 200: { description: 'The entry', schema: JsonResult } },
      handler: async ({ params }) => {
        const entry = await log.entry(params.index);
        if (!entry)
          throw new HttpProblem(404, `audit entry ${params.index} does not exist (log size ${log.size()})`);
        return {
          status: 200,
          body: { entry, leafHash: (await log.leafHashAt(params.index)).toString('hex') },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/audit/proofs/inclusion',
      summary: 'RFC 6962 inclusion proof of an entry in the tree of a given size',
      tags: TAGS,
      roles: ROLES,
      query: z.strictObject({ index: Index, treeSize: z.coerce.number().int().min(1) }),
      responses: { 200: { description: 'Inclusion proof', schema: JsonResult } },
      handler: async ({ query }) =>
        within(async () => {
          const auditPath = await log.inclusionProof(query.index, query.treeSize);
          return {
            status: 200,
            body: {
              leafIndex: query.index,
              treeSize: query.treeSize,
              leafHash: (await log.leafHashAt(query.index)).toString('hex'),
              auditPath: auditPath.map((h) => h.toString('hex')),
              rootHash: (await log.rootAt(query.treeSize)).toString('hex'),
            },
          };
        }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/audit/proofs/consistency',
      summary: 'RFC 6962 consistency proof between two tree sizes',
      tags: TAGS,
      roles: ROLES,
      query: z.strictObject({ from: z.coerce.number().int().min(1), to: z.coerce.number().int().min(1) }),
      responses: { 200: { description: 'Consistency proof', schema: JsonResult } },
      handler: async ({ query }) =>
        within(async () => {
          const proof = await log.consistencyProof(query.from, query.to);
          return {
            status: 200,
            body: {
              from: query.from,
              to: query.to,
              proof: proof.map((h) => h.toString('hex')),
              fromRoot: (await log.rootAt(query.from)).toString('hex'),
              toRoot: (await log.rootAt(query.to)).toString('hex'),
            },
          };
        }),
    }),
  ];
}
