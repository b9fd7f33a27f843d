import {
  ConsignmentId,
  CreateConsignment,
  MAX_BATCH_OPERATIONS,
  Movement,
  payloadSchemas,
  type BatchFunction,
  type BatchOutcome,
  type OrgRole,
  type RecordKind,
} from '@customs-ledger/chaincode';
import type { ZodType } from 'zod';
import type { Principal } from '../auth/principal.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { problemFromLedgerError, statusForRefusal, unconfirmedTransaction } from '../http/ledger-errors.js';
import {
  fieldErrors,
  HttpProblem,
  invalidFields,
  problemBody,
  type FieldError,
  type ProblemBody,
} from '../http/problem.js';
import { ProblemSchema, z } from '../http/openapi.js';
import type { BatchOperationInput, ConsignmentService } from '../services/consignment-service.js';
import { NoQuery } from './schemas.js';
import { ConsignmentSchema, MovementSchema, RecordCommitmentSchema } from './responses.js';

const MAX_OPERATIONS = 500;
/**
 * A transaction's share of a batch: at most the chaincode's limit of operations, and about this many
 * bytes of arguments and payloads, well inside Fabric's gRPC message and block limits.
 */
const TRANSACTION_BYTES = 4 * 1024 * 1024;

interface OperationKind {
  readonly roles: readonly OrgRole[];
  readonly body: ZodType;
  /** The chaincode operation for a validated body. */
  operation(consignmentId: string, body: unknown): BatchOperationInput;
}

const CreateBody = CreateConsignment.extend({ consignmentId: ConsignmentId });

const submitRecord = (kind: RecordKind, fn: BatchFunction, roles: readonly OrgRole[]): OperationKind => ({
  roles,
  body: payloadSchemas[kind],
  operation: (id, payload) => ({ fn, args: [id], payload }),
});

const OPERATIONS: Record<string, OperationKind> = {
  create: {
    roles: ['platform', 'post', 'express'],
    body: CreateBody,
    operation: (id, body) => {
      const { consignmentId: _, ...keysAndNames } = body as z.infer<typeof CreateBody>;
      return { fn: 'create', args: [id, JSON.stringify(keysAndNames)] };
    },
  },
  order: submitRecord('order', 'submitOrder', ['platform']),
  payment: submitRecord('payment', 'submitPayment', ['payment', 'platform']),
  logistics: submitRecord('logistics', 'submitLogistics', ['post', 'express']),
  declaration: submitRecord('declaration', 'submitDeclaration', ['platform', 'post', 'express']),
  movement: {
    roles: ['post', 'express'],
    body: Movement,
    operation: (id, body) => ({ fn: 'recordMovement', args: [id, JSON.stringify(body)] }),
  },
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

const OperationResult = z
  .object({
    index: z.number().int(),
    status: z.number().int(),
    txId: z.string().optional().openapi({
      description:
        'The transaction that applied it (201), or that the ledger took but did not confirm (503: it may yet be applied)',
    }),
    result: z
      .union([ConsignmentSchema, RecordCommitmentSchema, MovementSchema])
      .optional()
      .openapi({ description: 'What its single request answers (201)' }),
    problem: ProblemSchema.optional().openapi({
      description:
        'Why it was not applied, or not confirmed: the problem its single request would answer (4xx, 5xx)',
    }),
    // The batch's answer is kept under its Idempotency-Key like any other, so that what was applied
    // is never applied twice: such operations go again in a new batch, with a new key. An answer
    // with an unconfirmed transaction (503 with a txId) is not kept: the batch goes again, same key.
    retryAfter: z.string().optional().openapi({
      description:
        'Seconds after which to send it again, when the ledger could not take it now (503, 504, a conflict)',
    }),
  })
  .openapi('BatchOperationResult');
// The chaincode's answer is passed on as it came: the schema documents it, the gateway does not parse it.
type OperationResult = Omit<z.infer<typeof OperationResult>, 'problem' | 'result'> & {
  readonly problem?: ProblemBody;
  readonly result?: unknown;
};

const BatchResponse = z.object({
  succeeded: z.number().int(),
  failed: z.number().int(),
  unconfirmed: z.literal(true).optional().openapi({
    description:
      'A transaction of this batch may yet be applied (an operation answered 503 with its txId): this answer is not kept, and the only safe retry is the same batch under the same Idempotency-Key, for every operation of it, whatever its own answer advises',
  }),
  results: z.array(OperationResult),
});

/** An operation not applied, answered with the problem its single request would answer. */
function notApplied(index: number, problem: HttpProblem, retryAfter?: string): OperationResult {
  return {
    index,
    status: problem.status,
    problem: problemBody(problem),
    ...(retryAfter === undefined ? {} : { retryAfter }),
  };
}

/**
 * Many operations in one request, each validated and authorised as its single-request twin, each
 * answered on its own (one failing operation does not undo the others). A create's consignment id
 * is given by the client so later operations in the batch can refer to it.
 *
 * On Fabric a transaction's latency is mostly block cutting, so the operations go to the ledger in
 * as few consignment:batch transactions as the limits allow: in rounds, each round taking the
 * next operation of every consignment (the chaincode does not see its own transaction's writes,
 * so a consignment's operations go in successive transactions). An operation the chaincode
 * deferred, because it touched what an earlier one of its transaction wrote, goes in the next round.
 */
export function batchRoutes(service: ConsignmentService): RouteDefinition[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/batch',
      summary: 'Submit many operations (create, order, payment, logistics, declaration, movement) at once',
      description:
        'Each operation is validated and authorised like its single request and answered on its own, in request order (status, and txId or problem). An operation the ledger could not take now (503, 504, or a conflict it kept losing: 409) carries retryAfter (seconds), and so do the operations of later rounds, which are then not tried (503, with the round’s longest retryAfter): the answer is kept under the batch’s Idempotency-Key like any other, so that nothing applied is applied twice, and such operations go again in a new batch with a new key. One exception: an operation whose transaction the ledger took but did not confirm is answered 503 with that txId, since it may yet be applied, and the answer says unconfirmed: true. Such an answer is not kept, and the whole batch goes again under the same Idempotency-Key, the other operations’ advice notwithstanding: the retry answers from the ledger what was applied and tries the rest (without a key, read the consignments before sending any of its operations again).',
      tags: ['batch'],
      roles: 'any',
      query: NoQuery,
      body: BatchRequest,
      responses: {
        200: { description: 'One result per operation, in request order', schema: BatchResponse },
      },
      handler: async ({ principal, body, audit }) => {
        audit({ resource: `batch/${body.operations.length}` });
        const results = new Array<OperationResult>(body.operations.length);
        const queues = new Map<string, Prepared[]>();
        body.operations.forEach((op, index) => {
          const prepared = prepare(principal, index, op.op, op.consignmentId, op.body);
          if ('status' in prepared) {
            results[index] = prepared;
            return;
          }
          const queue = queues.get(op.consignmentId) ?? [];
          queue.push(prepared);
          queues.set(op.consignmentId, queue);
        });
        let unconfirmed = false;
        while (queues.size > 0) {
          const round = [...queues.values()].map((queue) => queue[0]!);
          const transactions = await Promise.all(
            transactionsOf(round).map((operations) => applyTransaction(service, principal, operations)),
          );
          unconfirmed ||= transactions.some((t) => t.unconfirmed);
          const answered = transactions.flatMap((t) => t.results);
          for (const result of answered) {
            results[result.index] = result;
            const consignmentId = body.operations[result.index]!.consignmentId;
            const queue = queues.get(consignmentId)!;
            queue.shift();
            if (queue.length === 0) queues.delete(consignmentId);
          }
          // The ledger could not take part of this round: the later rounds are not tried. They would
          // likely fail alike, and a retry of the batch (its answer lost) must meet the same rounds
          // as this run, so that what this run committed is answered from it, not applied again.
          const waits = answered.flatMap((r) => (r.retryAfter === undefined ? [] : [Number(r.retryAfter)]));
          if (waits.length > 0) {
            // The longest wait of the round: a conflict's is 0, a ledger that is down asks for more.
            const retryAfter = String(Math.max(...waits));
            for (const op of [...queues.values()].flat()) {
              results[op.index] = notApplied(
                op.index,
                new HttpProblem(
                  503,
                  'not tried: the ledger could not take an earlier operation of this batch',
                ),
                retryAfter,
              );
            }
            break;
          }
        }
        const succeeded = results.filter((r) => r.status < 300).length;
        const failed = results.length - succeeded;
        return unconfirmed
          ? { status: 200, body: { succeeded, failed, unconfirmed, results }, unconfirmed }
          : { status: 200, body: { succeeded, failed, results } };
      },
    }),
  ];
}

/** A validated, authorised operation waiting for its transaction. */
interface Prepared {
  readonly index: number;
  readonly operation: BatchOperationInput;
  readonly bytes: number;
}

function prepare(
  principal: Principal,
  index: number,
  opName: string,
  consignmentId: string,
  rawBody: unknown,
): Prepared | OperationResult {
  const kind = OPERATIONS[opName]!;
  if (!kind.roles.includes(principal.orgRole)) {
    return notApplied(index, new HttpProblem(403, `${opName} is not allowed for role ${principal.orgRole}`));
  }
  const id = ConsignmentId.safeParse(consignmentId);
  if (!id.success) return invalid(index, fieldErrors(id.error, '/consignmentId'));
  const named = (rawBody as { consignmentId?: unknown }).consignmentId;
  if (opName === 'create' && named !== undefined && named !== consignmentId) {
    return invalid(index, [
      { pointer: '/body/consignmentId', message: 'must be the operation’s consignmentId, or left out' },
    ]);
  }
  const parsed = kind.body.safeParse(
    opName === 'create' ? { ...(rawBody as object), consignmentId } : rawBody,
  );
  if (!parsed.success) return invalid(index, fieldErrors(parsed.error, '/body'));
  const operation = kind.operation(consignmentId, parsed.data);
  const bytes =
    operation.args.reduce((sum, arg) => sum + Buffer.byteLength(arg), 0) +
    (operation.payload === undefined ? 0 : Buffer.byteLength(JSON.stringify(operation.payload)));
  return { index, operation, bytes };
}

/** An operation refused by validation, as its single request would be: 400 naming the fields. */
function invalid(index: number, errors: readonly FieldError[]): OperationResult {
  return notApplied(index, invalidFields(errors));
}

/** The round's operations cut into transactions within the operation and byte limits. */
function transactionsOf(round: readonly Prepared[]): Prepared[][] {
  const transactions: Prepared[][] = [];
  let current: Prepared[] = [];
  let bytes = 0;
  for (const op of round) {
    if (
      current.length > 0 &&
      (current.length === MAX_BATCH_OPERATIONS || bytes + op.bytes > TRANSACTION_BYTES)
    ) {
      transactions.push(current);
      current = [];
      bytes = 0;
    }
    current.push(op);
    bytes += op.bytes;
  }
  if (current.length > 0) transactions.push(current);
  return transactions;
}

/** A transaction's operations answered, and whether its outcome is unconfirmed (it may yet commit). */
interface TransactionAnswer {
  readonly results: OperationResult[];
  readonly unconfirmed: boolean;
}

/**
 * One transaction's operations answered: applied (201, with the transaction id), refused (the
 * status its single-request twin would get). A deferred operation gets no answer yet; a
 * transaction that failed as a whole answers each of its operations with the failure, and one the
 * ledger took without confirming it with its transaction id too.
 */
async function applyTransaction(
  service: ConsignmentService,
  principal: Principal,
  operations: readonly Prepared[],
): Promise<TransactionAnswer> {
  let outcomes: readonly BatchOutcome[];
  let txId: string;
  try {
    ({ value: outcomes, txId } = await service.applyBatch(
      principal,
      operations.map((op) => op.operation),
    ));
  } catch (error) {
    const problem = error instanceof HttpProblem ? error : problemFromLedgerError(error);
    if (!problem) throw error;
    const retryAfter = problem.options.headers?.['Retry-After'];
    const unconfirmed = unconfirmedTransaction(error);
    return {
      results: operations.map(({ index }) => ({ ...notApplied(index, problem, retryAfter), ...unconfirmed })),
      unconfirmed: unconfirmed !== undefined,
    };
  }
  const results = outcomes.flatMap((outcome): OperationResult[] => {
    const index = operations[outcome.index]!.index;
    switch (outcome.status) {
      case 'applied':
        return [{ index, status: 201, txId, result: outcome.result }];
      case 'refused':
        return [notApplied(index, new HttpProblem(statusForRefusal(outcome.message), outcome.message))];
      case 'deferred':
        return [];
    }
  });
  return { results, unconfirmed: false };
}
