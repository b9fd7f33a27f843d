import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Level } from 'level';
import { openTestNetwork, type TestNetwork } from '../support/network.js';
import {
  declarationPayload,
  logisticsPayload,
  orderPayload,
  paymentPayload,
  PERSONAL,
} from '../support/payloads.js';

let net: TestNetwork;
const personalValues = Object.values(PERSONAL);

/** Every way a value could be stored: raw UTF-8, and base64 at the three byte alignments. */
function encodings(value: string): Buffer[] {
  const raw = Buffer.from(value);
  const b64 = [0, 1, 2].map((shift) =>
    Buffer.from(
      Buffer.concat([Buffer.alloc(shift), raw])
        .toString('base64')
        .slice(Math.ceil((shift * 4) / 3) + 1, -2),
    ),
  );
  return [raw, ...b64.filter((b) => b.length >= 8)];
}
const leaks = (haystack: Uint8Array): string[] =>
  personalValues.filter((value) => encodings(value).some((needle) => Buffer.from(haystack).includes(needle)));

beforeAll(async () => {
  net = await openTestNetwork();
  const party = {
    name: PERSONAL.sellerName,
    document: { type: 'tax_id', number: 'CN-91330100-XYZ', country: 'CN' },
  };
  await net.submit('platformA', 'party:register', ['d'.repeat(64), 'seller', 'verified'], party);
  for (let i = 0; i < 3; i++) {
    const id = `PRIV-${i}`;
    await net.submit('platformA', 'consignment:create', [
      id,
      JSON.stringify({ orderNumber: `ORD-${id}`, originCountry: 'CN', destinationCountry: 'FR' }),
    ]);
    await net.submit('platformA', 'consignment:submitOrder', [id], orderPayload(`ORD-${id}`));
    await net.submit('payment', 'consignment:submitPayment', [id], paymentPayload(`ORD-${id}`, `PAY-${id}`));
    await net.submit(
      'post',
      'consignment:submitLogistics',
      [id],
      logisticsPayload(`ORD-${id}`, `RR${i}0000000CN`),
    );
    await net.submit('platformA', 'consignment:submitDeclaration', [id], declarationPayload());
    await net.submit('post', 'consignment:recordMovement', [
      id,
      JSON.stringify({ type: 'dispatched', location: 'CNSHA' }),
    ]);
    await net.submit('customs', 'consignment:recordAccess', ['consignment', id, 'order', 'risk_assessment']);
  }
});
afterAll(async () => {
  await net?.close();
});

describe('no personal value reaches public state, blocks or events', () => {
  it('blocks hold none of the personal values (arguments, results, events, write sets)', async () => {
    for (let b = 0; b < Number(net.ledger.height()); b++) {
      expect(leaks(await net.ledger.getBlockBytes(b)), `block ${b}`).toEqual([]);
    }
  });

  it('chaincode events hold none of them', async () => {
    const controller = new AbortController();
    const height = net.ledger.height();
    let seen = 0;
    for await (const event of net.ledger.events({ startBlock: 0n, signal: controller.signal })) {
      expect(leaks(event.payload)).toEqual([]);
      seen++;
      if (event.blockNumber >= height - 1n) break;
    }
    controller.abort();
    expect(seen).toBeGreaterThan(15);
  });

  it('public state and history hold none of them, while the private store does (so the scan is not vacuous)', async () => {
    await net.ledger.close();
    const db = new Level<string, Uint8Array>(join(net.dataDir, 'ledger'), {
      keyEncoding: 'utf8',
      valueEncoding: 'view',
    });
    await db.open();
    try {
      for (const name of ['state', 'history', 'meta', 'pvthash', 'blocks', 'txids']) {
        const sub = db.sublevel<string, Uint8Array>(name, { keyEncoding: 'utf8', valueEncoding: 'view' });
        for await (const [key, value] of sub.iterator()) {
          expect(leaks(Buffer.from(key)), `${name} key`).toEqual([]);
          expect(leaks(value), `${name}/${key}`).toEqual([]);
        }
      }
      const privateData = db.sublevel<string, Uint8Array>('pvt', {
        keyEncoding: 'utf8',
        valueEncoding: 'view',
      });
      const found = new Set<string>();
      for await (const value of privateData.values()) for (const leak of leaks(value)) found.add(leak);
      expect([...found].sort()).toEqual([...personalValues].sort());
    } finally {
      await db.close();
    }
  });
});
