import { ConsignmentId, recordKinds, type DisclosurePackage } from '@customs-ledger/chaincode';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { z } from '../http/openapi.js';
import type { ConsignmentService } from '../services/consignment-service.js';
import { NoQuery } from './schemas.js';
import { VerdictSchema } from './responses.js';

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);

/** A package as POST /v1/consignments/{id}/disclosures produced it, or just its record and disclosure. */
const VerifyRequest = z.strictObject({
  consignmentId: ConsignmentId,
  record: z.enum(recordKinds),
  version: z
    .number()
    .int()
    .min(1)
    .optional()
    .openapi({ description: 'Informative; the transaction decides' }),
  txId: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional()
    .openapi({ description: 'The transaction that wrote the disclosed version; default the latest version' }),
  block: z.number().int().min(0).nullable().optional().openapi({ description: 'The block said to hold it' }),
  accessTxId: z.string().max(128).optional().openapi({ description: 'Informative: the recorded read' }),
  disclosure: z.strictObject({
    root: Hex64,
    leafCount: z.number().int().min(1),
    fields: z
      .array(
        z.strictObject({
          path: z.string(),
          value: z.unknown(),
          salt: z.string(),
          index: z.number().int().min(0),
          hash: Hex64,
          proof: z.array(Hex64),
        }),
      )
      .min(1)
      .max(1000),
  }),
});

/**
 * Selective disclosure: the holder of a record reveals some fields with their salts and Merkle
 * proofs; the verifier checks them against the root committed on the ledger, seeing nothing else.
 */
export function verifyRoutes(service: ConsignmentService): RouteDefinition[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/verify',
      summary: 'Verify disclosed fields of a record against the commitment on the ledger',
      description:
        'Takes the package as POST /v1/consignments/{id}/disclosures produced it. Checked against the record version its transaction wrote (a package made before a correction verifies and reports the latest version), else the latest. A changed value, salt, path, proof, root, transaction or block fails with a code and a reason.',
      tags: ['verification'],
      roles: 'any',
      query: NoQuery,
      body: VerifyRequest,
      responses: {
        200: { description: 'Verdict: verified, or the reason it failed', schema: VerdictSchema },
      },
      handler: async ({ principal, body, audit }) => {
        audit({ resource: `consignment/${body.consignmentId}/${body.record}` });
        const verdict = await service.verifyDisclosure(principal, {
          consignmentId: body.consignmentId,
          record: body.record,
          txId: body.txId,
          block: body.block ?? undefined,
          disclosure: body.disclosure as unknown as DisclosurePackage,
        });
        return { status: 200, body: { verified: verdict.ok, ...verdict } };
      },
    }),
  ];
}
