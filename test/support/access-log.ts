import { expect } from 'vitest';
import { PAGE_LIMIT, type AccessRecord, type Page } from '@customs-ledger/chaincode';
import type { TestGateway } from './gateway.js';
import type { TestNetwork } from './network.js';

/** Whose access log: a consignment's (reads of its records) or a party's (of its registrations, its note). */
export type AccessLogSubject = 'consignment' | 'party';

const PATHS: Record<AccessLogSubject, string> = { consignment: 'consignments', party: 'parties' };

/** Every entry of a log read page after page, the largest pages there are. */
async function wholeLog(
  page: (after: string | undefined) => Promise<Page<AccessRecord>>,
): Promise<AccessRecord[]> {
  const entries: AccessRecord[] = [];
  let after: string | undefined;
  for (;;) {
    const p = await page(after);
    entries.push(...p.entries);
    if (!p.hasMore) return entries;
    after = p.next!;
  }
}

/**
 * The entries of a subject's access log as `user` reads it over HTTP (GET
 * /v1/consignments/{id}/access-log or /v1/parties/{id}/access-log), every page answered 200.
 */
export async function accessLog(
  t: TestGateway,
  subject: AccessLogSubject,
  id: string,
  user = 'auditor',
): Promise<AccessRecord[]> {
  return wholeLog(async (after) => {
    const query = new URLSearchParams({
      limit: String(PAGE_LIMIT.max),
      ...(after === undefined ? {} : { after }),
    });
    const res = await t.as(user).get<Page<AccessRecord>>(`/v1/${PATHS[subject]}/${id}/access-log?${query}`);
    expect(res.status, res.text).toBe(200);
    return res.body;
  });
}

/** The entries of a subject's access log as the chaincode answers `user` (consignment:accessLog). */
export async function ledgerAccessLog(
  net: TestNetwork,
  subject: AccessLogSubject,
  id: string,
  user = 'auditor',
): Promise<AccessRecord[]> {
  return wholeLog(
    async (after) =>
      (await net.evaluate(user, 'consignment:accessLog', [
        subject,
        id,
        JSON.stringify({ limit: PAGE_LIMIT.max, after }),
      ])) as Page<AccessRecord>,
  );
}
