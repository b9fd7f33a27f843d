import { ConsignmentId, JoinKeys, Movement, payloadSchemas, type OrgRole } from '@customs-ledger/chaincode';
import type { ZodType } from 'zod';
import type { Principal } from '../auth/principal.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { problemFromLedgerError } from '../http/ledger-errors.js';
import { HttpProblem } from '../http/problem.js';
import { z } from '../http/openapi.js';
import type { ConsignmentService } from '../services/consignment-service.js';
import { JsonResult, NoQuery } from './schemas.js';

const MAX_OPERATIONS = 500;
/** Operations on different consignments run side by side; each consignment's run in order. */
const CONCURRENCY = 64;

interface OperationKind {
  readonly roles: readonly OrgRole[];
  readonly body: ZodType;
  run(
    service: ConsignmentService,
    principal: Principal,
    consignmentId: string,
    body: unknown,
  ): Promise<{ value: unknown; txId: string }>;
}

const CreateBody = JoinKeys.extend({ consignmentId: ConsignmentId });

const OPERATIONS: Record<string, OperationKind> = {
  create: {
    roles: ['platform', 'post', 'express'],
    body: CreateBody,
    run: (s, p, _id, body) => s.create(p, body as never),
  },
  order: {
    roles: ['platform'],
    body: payloadSchemas.order,
    run: (s, p, id, b) => s.submitRecord(p, id, 'order', b),
  },
  payment: {
    roles: ['payment', 'platform'],
    body: payloadSchemas.payment,
    run: (s, p, id, b) => s.submitRecord(p, id, 'payment', b),
  },
  logistics: {
    roles: ['post', 'express'],
    body: payloadSchemas.logistics,
    run: (s, p, id, b) => s.submitRecord(p, id, 'logistics', b),
  },
  declaration: {
    roles: ['platform', 'post', 'express'],
    body: payloadSchemas.declaration,
    run: (s, p, id, b) => s.submitRecord(p, id, 'declaration', b),
  },
  movement: { roles: ['post', 'express'], body: Movement, run: (s, p, id, b) => s.recordMovement(p, id, b) },
};

const BatchRequest = z.strictObject({
  operations: z
    .array(
      z.strictObject({
        op: z.enum(Object.keys(OPERATIONS) as [string, ...string[]]),
        consignmentId: z.string().min(1).max(64),
        body: z.record(z.string(), z.unknown()),
      }),
    )
    .min(1)
    .max(MAX_OPERATIONS),
});

interface OperationResult {
  readonly index: number;
  readonly status: number;
  readonly txId?: string;
  readonly result?: unknown;
  readonly problem?: { readonly detail: string; readonly errors?: unknown };
}

/**
 * Many operations in one request, each validated and authorised as its single-request twin, each
 * answered on its own (one failing operation does not undo the others). A create's consignment id
 * is given by the client so later operations in the batch can refer to it.
 */
export function batchRoutes(service: ConsignmentService): RouteDefinition[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/batch',
      summary: 'Submit many operations (create, order, payment, logistics, declaration, movement) at once',
      tags: ['batch'],
      roles: 'any',
      query: NoQuery,
      body: BatchRequest,
      responses: { 200: { description: 'One result per operation, in request order', schema: JsonResult } },
      handler: async ({ principal, body, audit }) => {
        audit({ resource: `batch/${body.operations.length}` });
        const results = new Array<OperationResult>(body.operations.length);
        const queues = new Map<string, number[]>();
        body.operations.forEach((op, index) => {
          const queue = queues.get(op.consignmentId) ?? [];
          queue.push(index);
          queues.set(op.consignmentId, queue);
        });
        const pending = [...queues.values()];
        const worker = async (): Promise<void> => {
          for (let queue = pending.shift(); queue; queue = pending.shift()) {
            for (const index of queue) {
              const op = body.operations[index]!;
              results[index] = await runOperation(
                service,
                principal,
                index,
                op.op,
                op.consignmentId,
                op.body,
              );
            }
          }
        };
        await Promise.all(Array.from({ length: Math.min(CONCURRENCY, pending.length) }, worker));
        const succeeded = results.filter((r) => r.status < 300).length;
        return { status: 200, body: { succeeded, failed: results.length - succeeded, results } };
      },
    }),
  ];
}

async function runOperation(
  service: ConsignmentService,
  principal: Principal,
  index: number,
  opName: string,
  consignmentId: string,
  rawBody: unknown,
): Promise<OperationResult> {
  const kind = OPERATIONS[opName]!;
  if (!kind.roles.includes(principal.orgRole)) {
    return {
      index,
      status: 403,
      problem: { detail: `${opName} is not allowed for role ${principal.orgRole}` },
    };
  }
  const parsed = kind.body.safeParse(
    opName === 'create' ? { ...(rawBody as object), consignmentId } : rawBody,
  );
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) => ({
      pointer: `/body/${i.path.join('/')}`,
      message: i.message,
    }));
    return {
      index,
      status: 400,
      problem: { detail: `${errors[0]!.pointer}: ${errors[0]!.message}`, errors },
    };
  }
  try {
    const { value, txId } = await kind.run(service, principal, consignmentId, parsed.data);
    return { index, status: 201, txId, result: value };
  } catch (error) {
    const problem = error instanceof HttpProblem ? error : problemFromLedgerError(error);
    if (!problem) throw error;
    return { index, status: problem.status, problem: { detail: problem.detail } };
  }
}
