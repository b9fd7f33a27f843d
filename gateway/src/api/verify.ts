import { recordKinds, verifyDisclosure, type DisclosurePackage } from '@customs-ledger/chaincode';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { z } from '../http/openapi.js';
import type { ConsignmentService } from '../services/consignment-service.js';
import { JsonResult, NoQuery } from './schemas.js';

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);

const VerifyRequest = z.strictObject({
  consignmentId: z.string().min(1).max(64),
  record: z.enum(recordKinds),
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
      tags: ['verification'],
      roles: 'any',
      query: NoQuery,
      body: VerifyRequest,
      responses: { 200: { description: 'Verdict: verified, or the reason it failed', schema: JsonResult } },
      handler: async ({ principal, body, audit }) => {
        audit({ resource: `consignment/${body.consignmentId}/${body.record}` });
        const committed = await service.commitment(principal, body.consignmentId, body.record);
        const verdict = verifyDisclosure(body.disclosure as unknown as DisclosurePackage, committed);
        return {
          status: 200,
          body: { verified: verdict.ok, ...verdict, committed },
        };
      },
    }),
  ];
}
