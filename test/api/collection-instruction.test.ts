/**
 * The duty and tax a carrier collects at delivery, over HTTP: the consignment's carrier reads what
 * customs' assessment (automatic or an officer's) left it to collect; another carrier, the platform,
 * the payment provider and auditors get the 404 of a consignment they do not see; a re-assessment
 * replaces the instruction, and one that leaves nothing to collect withdraws it.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, parcelToFrance, startCustomsTestGateway } from '../support/parcel.js';
import type { ApiResponse, TestGateway } from '../support/gateway.js';
import { declarationPayload } from '../support/payloads.js';

let t: TestGateway;
const OFFICER = 'customs-officer';
const PLATFORM = 'platforma-operator';
const CARRIER = 'post-operator';
const RUN = randomBytes(3).toString('hex').toUpperCase();

beforeAll(async () => {
  t = await startCustomsTestGateway('collect-test-1');
});
afterAll(async () => {
  await t?.close();
});

const parcel = (id: string, paid?: number): Promise<void> => parcelToFrance(t, id, paid);

interface Duty {
  currency: string;
  duty: number;
  vat: number;
  collectedAtCheckout: number;
  toCollect: number;
}
interface Explained {
  number: number;
  txId: string;
  assessedAt: string;
  basis: Record<string, number>;
  revenue: { assessed: boolean; duty: Duty };
}
interface Instruction extends Duty {
  consignmentId: string;
  carrierMspId: string;
  assessment: { number: number; txId: string; assessedAt: string };
}

const explained = (id: string) => t.as(OFFICER).get<Explained>(`/v1/customs/assessments/${id}`);
const instruction = (id: string, user = CARRIER) =>
  t
    .as(user)
    .get<{ consignmentId: string; instruction: Instruction | null }>(
      `/v1/consignments/${id}/collection-instruction`,
    );
/**
 * The latest assessment and the carrier's instruction once they agree: customs' pipeline may assess
 * again on its own (a record's event reaching it after it read the record), so a test compares the
 * instruction with the assessment it names, not with one it expected to be the last.
 */
async function settled(id: string, done: (a: Explained) => boolean = () => true) {
  const read = async () => {
    const assessment = (await explained(id)).body;
    return { assessment, instruction: (await instruction(id)).body.instruction };
  };
  return eventually(
    read,
    (r) =>
      done(r.assessment) && (r.instruction?.assessment.number ?? r.assessment.number) === r.assessment.number,
  );
}

const status = async (id: string) =>
  (await t.as(OFFICER).get<{ consignment?: { status: string } }>(`/v1/consignments/${id}`)).body.consignment
    ?.status;

/** The instruction the carrier must have been given by this assessment. */
function expectedFrom(id: string, a: Explained): Instruction {
  const { currency, duty, vat, collectedAtCheckout, toCollect } = a.revenue.duty;
  return {
    consignmentId: id,
    carrierMspId: 'PostMSP',
    currency,
    duty,
    vat,
    collectedAtCheckout,
    toCollect,
    assessment: { number: a.number, txId: a.txId, assessedAt: a.assessedAt },
  };
}

function expectNotFound(res: ApiResponse): void {
  expect(res.status, res.text).toBe(404);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
}

describe('the collection instruction', () => {
  it('tells the carrier of a parcel customs-service released what to collect, and no one else', async () => {
    const id = `COL-GREEN-${RUN}`;
    await parcel(id);
    expect(
      await eventually(
        () => status(id),
        (s) => s === 'released',
      ),
    ).toBe('released');
    const assessed = (await explained(id)).body;
    // The demo tariff set has the carrier collect what no platform collected at checkout.
    expect(assessed.revenue.duty.toCollect).toBeGreaterThan(0);

    const read = await instruction(id);
    expect(read.status, read.text).toBe(200);
    expect(read.body).toEqual({ consignmentId: id, instruction: expectedFrom(id, assessed) });
    const { duty, vat, collectedAtCheckout, toCollect } = read.body.instruction!;
    expect(Math.round((duty + vat - collectedAtCheckout) * 100)).toBe(Math.round(toCollect * 100));
    expect((await instruction(id, OFFICER)).body).toEqual(read.body);

    // The platform, payment provider and auditor see the consignment, but not the amount; another
    // carrier does not see the consignment at all. All of them get what a missing one gets.
    const missing = await instruction(`COL-NONE-${RUN}`);
    expectNotFound(missing);
    for (const user of ['express-operator', PLATFORM, 'platformb-operator', 'payment-operator', 'auditor']) {
      const res = await instruction(id, user);
      expectNotFound(res);
      expect(Object.keys(res.body).sort()).toEqual(Object.keys(missing.body).sort());
      expect(res.text).not.toContain(String(toCollect));
    }
  });

  it('is replaced by an officer’s assessment and a corrected declaration’s, and withdrawn once nothing is to collect', async () => {
    const id = `COL-AMBER-${RUN}`;
    await parcel(id, 40);
    const first = await settled(id, (a) => a.basis?.declaration === 1);
    expect(await status(id)).toBe('created');
    expect(first.instruction).toEqual(expectedFrom(id, first.assessment));

    const officer = await t
      .as(OFFICER)
      .post<{ assessment: Explained }>(`/v1/consignments/${id}/assessment`, {});
    expect(officer.status, officer.text).toBe(201);
    expect(officer.body.assessment.number).toBeGreaterThan(first.assessment.number);
    const byOfficer = await settled(id, (a) => a.number >= officer.body.assessment.number);
    expect(byOfficer.instruction).toEqual(expectedFrom(id, byOfficer.assessment));

    // Dearer goods: more duty and VAT, assessed again on the corrected declaration.
    const dearer = declarationPayload();
    const corrected = await t.as(PLATFORM).post(`/v1/consignments/${id}/declaration`, {
      ...dearer,
      lines: dearer.lines.map((l) => ({ ...l, value: 400 })),
    });
    expect(corrected.status, corrected.text).toBe(201);
    const second = await settled(id, (a) => a.basis?.declaration === 2);
    expect(second.instruction).toEqual(expectedFrom(id, second.assessment));
    expect(second.instruction!.toCollect).toBeGreaterThan(officer.body.assessment.revenue.duty.toCollect);

    // The platform collected the tax at checkout under a collection number: nothing left for the carrier.
    const ioss = await t.as(PLATFORM).post(`/v1/consignments/${id}/declaration`, {
      ...declarationPayload(),
      vatCollectionNumber: 'IM2500000042',
    });
    expect(ioss.status, ioss.text).toBe(201);
    const third = await settled(id, (a) => a.basis?.declaration === 3);
    expect(third.assessment.revenue.duty).toMatchObject({ collectionModel: 'platform' });
    expect(third.instruction).toBeNull();
  });
});
