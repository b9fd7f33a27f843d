import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitPayload, disclose, verifyDisclosure } from '@customs-ledger/chaincode';
import { TxValidationCode } from '../../gateway/src/ledger/port.js';
import { openTestNetwork, readPrivateRecord, type TestNetwork } from '../support/network.js';
import { declarationPayload, logisticsPayload, orderPayload, paymentPayload } from '../support/payloads.js';

let net: TestNetwork;
const joinKeys = (order: string, keys: Record<string, string> = {}) =>
  JSON.stringify({ orderNumber: order, ...keys, originCountry: 'CN', destinationCountry: 'FR' });
const tracking = (id: string) => `TRK${id.replace(/\W/g, '')}`;

beforeAll(async () => {
  net = await openTestNetwork();
  await net.submit('platformA', 'consignment:create', ['ROLE-1', joinKeys('ORD-ROLE-1')]);
});
afterAll(async () => {
  await net?.close();
});

describe('who may write what, checked in chaincode by MSP and role', () => {
  const submitCases: [string, string, (id: string) => [string[], Record<string, unknown>?]][] = [
    ['consignment:create', 'createConsignment', (id) => [[`${id}-new`, joinKeys(`ORD-${id}-new`)]]],
    ['consignment:submitOrder', 'submitOrder', (id) => [[id], orderPayload(`ORD-${id}`)]],
    ['consignment:submitPayment', 'submitPayment', (id) => [[id], paymentPayload(`ORD-${id}`, `PAY-${id}`)]],
    [
      'consignment:submitLogistics',
      'submitLogistics',
      (id) => [[id], logisticsPayload(`ORD-${id}`, tracking(id))],
    ],
    ['consignment:submitDeclaration', 'submitDeclaration', (id) => [[id], declarationPayload()]],
    [
      'consignment:recordDecision',
      'recordDecision',
      (id) => [[id, JSON.stringify({ decision: 'hold', reasonCodes: ['DOCS'] })]],
    ],
  ];
  const allowed: Record<string, string[]> = {
    createConsignment: ['platformA', 'platformB', 'post', 'express'],
    submitOrder: ['platformA'],
    submitPayment: ['payment', 'platformA'],
    submitLogistics: ['post', 'express'],
    submitDeclaration: ['platformA', 'post', 'express'],
    recordDecision: ['customs'],
  };
  const everyone = ['platformA', 'platformB', 'payment', 'post', 'express', 'customs', 'auditor'];

  for (const [fn, action, build] of submitCases) {
    for (const user of everyone) {
      const expected = allowed[action]!.includes(user);
      it(`${user} ${expected ? 'may' : 'may not'} ${fn}`, async () => {
        // A fresh consignment per case, created by the platform naming its carrier's and payment
        // provider's keys, so cases do not interact.
        const id = `R-${action}-${user}`;
        const keys = { trackingNumber: tracking(id), paymentTransactionId: `PAY-${id}` };
        await net.submit('platformA', 'consignment:create', [id, joinKeys(`ORD-${id}`, keys)]);
        // A carrier declares (as broker) a consignment it carries.
        if (action === 'submitDeclaration' && (user === 'post' || user === 'express')) {
          await net.submit(
            user,
            'consignment:submitLogistics',
            [id],
            logisticsPayload(`ORD-${id}`, tracking(id)),
          );
        }
        const heightBefore = net.ledger.height();
        const [args, transient] = build(id);
        const outcome = await net.outcome(net.submit(user, fn, args, transient));
        if (expected) {
          expect(outcome).toBe('ok');
        } else {
          expect(outcome).toMatch(/is not allowed for|does not exist or is not visible to/);
          // A refused write is not ordered at all.
          expect(net.ledger.height()).toBe(heightBefore);
        }
      });
    }
  }

  it('party registration is for platforms; trusted-trader status is for customs', async () => {
    const party = { name: 'Seller One', document: { type: 'tax_id', number: 'CN-TAX-1', country: 'CN' } };
    const partyId = 'c'.repeat(64);
    expect(
      await net.outcome(net.submit('post', 'party:register', [partyId, 'seller', 'verified'], party)),
    ).toMatch(/not allowed/);
    expect(
      await net.outcome(net.submit('platformA', 'party:register', [partyId, 'seller', 'verified'], party)),
    ).toBe('ok');
    expect(
      await net.outcome(net.submit('platformA', 'party:setTrustedTrader', [partyId, 'true', 'AEO-1'])),
    ).toMatch(/not allowed/);
    expect(
      await net.outcome(net.submit('customs', 'party:setTrustedTrader', [partyId, 'true', 'AEO-1'])),
    ).toBe('ok');
  });

  it('only a governance identity changes the organisation registry', async () => {
    const officer = await net.outcome(
      net.submit('customs', 'org:setOrganisation', ['NewMSP', 'platform', 'New Platform']),
    );
    expect(officer).toMatch(/governance/);
    const trader = await net.outcome(net.submit('platformA', 'org:removeOrganisation', ['PlatformBMSP']));
    expect(trader).toMatch(/governance/);
  });

  it('a platform cannot read another platform’s consignment, nor a carrier another carrier’s', async () => {
    expect(await net.outcome(net.evaluate('platformB', 'consignment:get', ['ROLE-1']))).toMatch(
      /is not visible to PlatformBMSP/,
    );
    await net.submit('express', 'consignment:create', [
      'EXP-1',
      JSON.stringify({ trackingNumber: 'EXP00001', originCountry: 'CN', destinationCountry: 'FR' }),
    ]);
    expect(await net.outcome(net.evaluate('post', 'consignment:get', ['EXP-1']))).toMatch(
      /is not visible to PostMSP/,
    );
    expect(
      await net.outcome(
        net.submit('post', 'consignment:recordMovement', [
          'EXP-1',
          JSON.stringify({ type: 'dispatched', location: 'CNSHA' }),
        ]),
      ),
    ).toBe('consignment EXP-1 does not exist or is not visible to PostMSP');
  });
});

describe('the consignment state machine through real transactions', () => {
  it('follows created → dispatched → arrived → released → delivered and refuses illegal steps', async () => {
    await net.submit('post', 'consignment:create', [
      'SM-1',
      JSON.stringify({ trackingNumber: 'RR000000001CN', originCountry: 'CN', destinationCountry: 'FR' }),
    ]);
    const move = (type: string) =>
      net.submit('post', 'consignment:recordMovement', ['SM-1', JSON.stringify({ type, location: 'FRCDG' })]);
    expect(await net.outcome(move('delivered'))).toMatch(
      /cannot apply 'delivered' to consignment SM-1 in status 'created'; allowed: /,
    );
    await move('dispatched');
    await move('arrived');
    expect(await net.outcome(move('delivered'))).toMatch(/in status 'arrived'/);
    await net.submit('post', 'consignment:submitDeclaration', ['SM-1'], declarationPayload());
    await net.submit('customs', 'consignment:recordDecision', [
      'SM-1',
      JSON.stringify({ decision: 'release', reasonCodes: [] }),
    ]);
    await move('delivered');
    const view = (await net.evaluate('customs', 'consignment:get', ['SM-1'])) as {
      consignment: { status: string };
    };
    expect(view.consignment.status).toBe('delivered');
    expect(await net.outcome(move('dispatched'))).toMatch(/none \(final status\)/);
  });

  it('refuses a stated time later than the transaction, and takes earlier ones in any order', async () => {
    await net.submit('platformA', 'consignment:create', [
      'TIME-1',
      joinKeys('ORD-TIME-1', { trackingNumber: 'RR000000077CN', paymentTransactionId: 'PAY-TIME-1' }),
    ]);
    await net.submit(
      'post',
      'consignment:submitLogistics',
      ['TIME-1'],
      logisticsPayload('ORD-TIME-1', 'RR000000077CN'),
    );
    const later =
      /: 2099-01-01T00:00:00Z is later than the transaction recording it \(.*\), by more than the 10 minutes clocks may differ$/;
    const move = (type: string, occurredAt: string) =>
      net.outcome(
        net.submit('post', 'consignment:recordMovement', [
          'TIME-1',
          JSON.stringify({ type, location: 'FRCDG', occurredAt }),
        ]),
      );
    expect(await move('dispatched', '2099-01-01T00:00:00Z')).toMatch(/^invalid movement: \/occurredAt/);
    expect(await move('dispatched', new Date(Date.now() - 3_600_000).toISOString())).toBe('ok');
    // Scans reach the carrier late and out of order: an arrival dated before the dispatch is recorded.
    expect(await move('arrived', '1971-01-01T00:00:00Z')).toBe('ok');
    const order = orderPayload('ORD-TIME-1', { orderedAt: '2099-01-01T00:00:00Z' });
    const outcome = await net.outcome(net.submit('platformA', 'consignment:submitOrder', ['TIME-1'], order));
    expect(outcome).toMatch(/^invalid order payload: \/orderedAt/);
    expect(outcome).toMatch(later);
    const payment = { ...paymentPayload('ORD-TIME-1', 'PAY-TIME-1'), paidAt: '2099-01-01T00:00:00Z' };
    expect(
      await net.outcome(net.submit('payment', 'consignment:submitPayment', ['TIME-1'], payment)),
    ).toMatch(later);
  });

  it('join keys are unique per platform and per carrier', async () => {
    await net.submit('platformA', 'consignment:create', ['UQ-1', joinKeys('ORD-UQ')]);
    expect(
      await net.outcome(net.submit('platformA', 'consignment:create', ['UQ-2', joinKeys('ORD-UQ')])),
    ).toMatch(/already used/);
    expect(
      await net.outcome(net.submit('platformB', 'consignment:create', ['UQ-3', joinKeys('ORD-UQ')])),
    ).toBe('ok');
  });
});

describe('commitments', () => {
  it('the public root verifies against the private data, and a disclosure of two fields verifies', async () => {
    await net.submit('platformA', 'consignment:create', ['ROOT-1', joinKeys('ORD-ROOT-1')]);
    await net.submit('platformA', 'consignment:submitOrder', ['ROOT-1'], orderPayload('ORD-ROOT-1'));
    const view = (await net.evaluate('platformA', 'consignment:get', ['ROOT-1'])) as {
      records: { kind: string; root: string; leafCount: number }[];
    };
    const record = view.records.find((r) => r.kind === 'order')!;
    const stored = (await readPrivateRecord(net, 'customs', 'ROOT-1', 'order', 'risk_assessment')) as {
      payload: unknown;
      saltSeed: string;
    };
    const commitment = commitPayload(stored.payload, stored.saltSeed);
    expect(commitment.root).toBe(record.root);
    expect(commitment.leafCount).toBe(record.leafCount);
    const pkg = disclose(stored.payload, stored.saltSeed, ['/goodsValue', '/lines/0/hsCode']);
    expect(verifyDisclosure(pkg, record)).toEqual({ ok: true });
    const tampered = { ...pkg, fields: pkg.fields.map((f, i) => (i === 0 ? { ...f, value: 1 } : f)) };
    expect(verifyDisclosure(tampered, record).ok).toBe(false);
    expect(await net.outcome(readPrivateRecord(net, 'post', 'ROOT-1', 'order'))).toMatch(
      /not visible|not a member/,
    );
  });
});

describe('the organisation registry needs the governance organisations’ peers', () => {
  interface Registry {
    organisations: { mspId: string; role: string }[];
    protectedBy: string[];
  }
  const registry = async () => (await net.evaluate('customs', 'org:listOrganisations')) as Registry;
  /** A registry change by the governance identity, endorsed by two peers other than customs'. */
  const endorsedByTraders = async (fn: string, args: string[]) => {
    const endorsed = await net.ledger.endorse(net.users.governance!, fn, {
      arguments: args,
      endorsingOrganizations: ['PlatformAMSP', 'PostMSP'],
    });
    return (await (await endorsed.submit()).getStatus()).code;
  };

  it('is under its key-level policy from the start: two trader peers can neither change nor remove an organisation', async () => {
    const before = await registry();
    expect(before.protectedBy).toEqual(['CustomsMSP']);
    expect(await endorsedByTraders('org:setOrganisation', ['PostMSP', 'platform', 'Post Platform'])).toBe(
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
    );
    expect(await endorsedByTraders('org:removeOrganisation', ['PaymentMSP'])).toBe(
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
    );
    expect(await registry()).toEqual(before);
  });

  it('registers nothing two trader peers endorse: neither a new organisation nor one removed', async () => {
    await net.submit('governance', 'org:setOrganisation', ['ExtraMSP', 'express', 'Extra Express']);
    await net.submit('governance', 'org:removeOrganisation', ['ExtraMSP']);
    const removed = await registry();
    expect(removed.organisations.map((o) => o.mspId)).not.toContain('ExtraMSP');
    // A registration writes the registry's own record too, which is under its policy.
    expect(await endorsedByTraders('org:setOrganisation', ['ExtraMSP', 'express', 'Extra Again'])).toBe(
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
    );
    expect(await endorsedByTraders('org:setOrganisation', ['NeverMSP', 'auditor', 'Never Registered'])).toBe(
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
    );
    expect(await registry()).toEqual(removed);
    for (const mspId of ['ExtraMSP', 'NeverMSP']) {
      expect(await net.outcome(net.evaluate('customs', 'org:getOrganisation', [mspId]))).toBe(
        `organisation ${mspId} is not registered`,
      );
    }
    // Nor can they protect the registry again, which would rewrite its record.
    expect(await endorsedByTraders('org:protectRegistry', [])).toBe(
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
    );
    // Governance, through customs' peer, registers it again.
    await net.submit('governance', 'org:setOrganisation', ['ExtraMSP', 'express', 'Extra Again']);
    expect((await registry()).organisations).toContainEqual({
      mspId: 'ExtraMSP',
      role: 'express',
      name: 'Extra Again',
    });
  });
});

describe('customs records need the customs peer', () => {
  it('a decision endorsed by two trader peers (even running honest chaincode for a customs client) is invalid', async () => {
    await net.submit('platformA', 'consignment:create', ['SEAL-1', joinKeys('ORD-SEAL-1')]);
    const decision = JSON.stringify({ decision: 'hold', reasonCodes: ['DOCS'] });
    const forged = await net.ledger.endorse(net.users.customs!, 'consignment:recordDecision', {
      arguments: ['SEAL-1', decision],
      endorsingOrganizations: ['PlatformAMSP', 'PostMSP'],
    });
    const status = await (await forged.submit()).getStatus();
    expect(status.code).toBe(TxValidationCode.ENDORSEMENT_POLICY_FAILURE);
    const view = (await net.evaluate('customs', 'consignment:get', ['SEAL-1'])) as {
      consignment: { status: string };
      decisions: unknown[];
    };
    expect(view.consignment.status).toBe('created');
    expect(view.decisions).toEqual([]);
    // With customs among the endorsers the same decision commits.
    expect(await net.outcome(net.submit('customs', 'consignment:recordDecision', ['SEAL-1', decision]))).toBe(
      'ok',
    );
  });

  it('a seller’s trusted-trader status endorsed by the peers of a platform and a carrier is invalid', async () => {
    const seller = 'd'.repeat(64);
    await net.submit('platformA', 'party:register', [seller, 'seller', 'verified'], {
      name: 'Seller Two',
      document: { type: 'tax_id', number: 'CN-TAX-2', country: 'CN' },
    });
    const forged = await net.ledger.endorse(net.users.customs!, 'party:setTrustedTrader', {
      arguments: [seller, 'true', 'AEO-FORGED'],
      endorsingOrganizations: ['PlatformAMSP', 'PostMSP'],
    });
    const status = await (await forged.submit()).getStatus();
    expect(status.code).toBe(TxValidationCode.ENDORSEMENT_POLICY_FAILURE);
    expect(await net.evaluate('customs', 'party:get', [seller])).toMatchObject({ trusted: null });
    // Customs' peer alone commits one.
    await net.submit('customs', 'party:setTrustedTrader', [seller, 'true', 'AEO-CONTROL']);
    expect(await net.evaluate('customs', 'party:get', [seller])).toMatchObject({
      trusted: { partyId: seller, trusted: true, reference: 'AEO-CONTROL' },
    });
  });

  it('a trusted-operator status endorsed by the peers of a platform and a carrier is invalid', async () => {
    const forged = await net.ledger.endorse(net.users.customs!, 'customs:setTrustedOperator', {
      arguments: ['PlatformAMSP', 'true', 'AEOF-FORGED'],
      endorsingOrganizations: ['PlatformAMSP', 'PostMSP'],
    });
    const status = await (await forged.submit()).getStatus();
    expect(status.code).toBe(TxValidationCode.ENDORSEMENT_POLICY_FAILURE);
    expect(await net.evaluate('customs', 'customs:trustedOperators')).toEqual({ trustedOperators: [] });
    // Customs' peer alone commits one (a withdrawal, which changes no assessment of this file).
    await net.submit('customs', 'customs:setTrustedOperator', ['PlatformAMSP', 'false', 'AEOF-CONTROL']);
    expect(await net.evaluate('customs', 'customs:trustedOperators')).toEqual({
      trustedOperators: [expect.objectContaining({ mspId: 'PlatformAMSP', trusted: false })],
    });
  });
});
