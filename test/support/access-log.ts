import { expect } from 'vitest';
import type { AccessRecord } from '@customs-ledger/chaincode';
import type { TestGateway } from './gateway.js';
import type { TestNetwork } from './network.js';

/** Whose access log: a consignment's (reads of its records) or a party's (of its registrations, its note). */
export type AccessLogSubject = 'consignment' | 'party';

const PATHS: Record<AccessLogSubject, string> = { consignment: 'consignments', party: 'parties' };

/**
 * The entries of a subject's access log as `user` reads it over HTTP (GET
 * /v1/consignments/{id}/access-log or /v1/parties/{id}/access-log), answered 200.
 */
export async function accessLog(
  t: TestGateway,
  subject: AccessLogSubject,
  id: string,
  user = 'auditor',
): Promise<AccessRecord[]> {
  const res = await t.as(user).get<{ entries: AccessRecord[] }>(`/v1/${PATHS[subject]}/${id}/access-log`);
  expect(res.status, res.text).toBe(200);
  return res.body.entries;
}

/** The entries of a subject's access log as the chaincode answers `user` (consignment:accessLog). */
export async function ledgerAccessLog(
  net: TestNetwork,
  subject: AccessLogSubject,
  id: string,
  user = 'auditor',
): Promise<AccessRecord[]> {
  return ((await net.evaluate(user, 'consignment:accessLog', [subject, id])) as { entries: AccessRecord[] })
    .entries;
}
