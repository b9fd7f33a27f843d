import { z } from 'zod';

import { isErased, merkleRoot, underPath, type DisclosurePackage, type HeldLeaf } from './merkle';
import { ConsignmentId, PartyId, Reference, type PartyKind, type RecordKind } from './schemas';
import { isFinal, type ConsignmentStatus } from './state-machine';

/*
 * Erasure of a party's personal data: which fields are whose, how long each data set is kept, and
 * when a purge is allowed. Pure, so the rules have table tests and read the same on every endorser.
 */

export const erasureReasons = ['retention_expired', 'erasure_request'] as const;
export type ErasureReason = (typeof erasureReasons)[number];

/**
 * The private records that hold personal data: the four consignment records, a trader's answers to
 * customs' referrals on a consignment, and party registrations.
 */
export type ErasableRecord = RecordKind | 'referral_answer' | 'party';

/**
 * The personal data of a buyer or seller in each record, as JSON pointers (a pointer covers its
 * subtree). The buyer's data set is what the buyer gave at checkout: their name and identity
 * document, the consignee (the buyer's delivery contact, possibly a recipient they named) and the
 * payer. Kept: ids (pseudonyms that the public commitments refer to), amounts, goods, HS codes,
 * dates, order, tracking and payment numbers, which customs must keep for its records. A seller is
 * a business; its name is erasable, its registration entirely. The declaration names the declarant
 * (the filing organisation), not the parties. A referral answer is free text for customs' question
 * (and the references of the documents it names): it may name either party, so it goes whole.
 */
export const PERSONAL_DATA: Readonly<Record<ErasableRecord, Readonly<Record<PartyKind, readonly string[]>>>> =
  {
    order: { buyer: ['/buyer/name', '/buyer/document', '/consignee'], seller: ['/seller/name'] },
    payment: { buyer: ['/payer'], seller: [] },
    logistics: { buyer: ['/consignee'], seller: [] },
    declaration: { buyer: [], seller: [] },
    referral_answer: { buyer: [''], seller: [''] },
    party: { buyer: [''], seller: [''] },
  };

export type DataSet = 'consignment' | 'party';

export interface RetentionRule {
  readonly years: number;
  /** What the period runs from, as said in refusals. */
  readonly from: string;
}

/**
 * Retention periods. Consignment records: 10 years after release (DOMAIN: EU customs records are
 * kept 10 years); a consignment never released (seized, returned) counts from its final status.
 * Party registrations: 5 years after the latest registration (the platform's know-your-customer
 * file, as anti-money-laundering rules keep it).
 */
export const RETENTION: Readonly<Record<DataSet, RetentionRule>> = {
  consignment: { years: 10, from: 'release (or the final status of a consignment never released)' },
  party: { years: 5, from: 'the latest registration' },
};

/**
 * Statuses that put a consignment under legal hold: seized goods are evidence in proceedings, so
 * their records are kept to the end of the retention period whatever the data subject asks.
 */
export const LEGAL_HOLD_STATUSES: readonly ConsignmentStatus[] = ['seized'];

/** The ISO time `years` calendar years after `start` (UTC); 29 February rolls to 1 March. */
export function addYears(start: string, years: number): string {
  const d = new Date(start);
  if (Number.isNaN(d.getTime())) throw new Error(`'${start}' is not a date`);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d.toISOString();
}

export interface ConsignmentFacts {
  readonly consignmentId: string;
  readonly status: ConsignmentStatus;
  /** The latest release decision, if any. */
  readonly releasedAt?: string;
  /** When the consignment last changed status (its final status, once final). */
  readonly statusSince: string;
}

/** When the consignment's retention period starts, or undefined while it has not started. */
export function consignmentRetentionStart(c: ConsignmentFacts): string | undefined {
  return c.releasedAt ?? (isFinal(c.status) ? c.statusSince : undefined);
}

/** Refuses, with the rule and dates, a purge of a consignment's personal data that is not allowed now. */
export function assertConsignmentErasure(
  reason: ErasureReason,
  now: string,
  c: ConsignmentFacts,
  rule: RetentionRule = RETENTION.consignment,
): void {
  const subject = `consignment ${c.consignmentId}`;
  const start = consignmentRetentionStart(c);
  const end = start === undefined ? undefined : addYears(start, rule.years);
  if (reason === 'retention_expired') {
    if (end === undefined) {
      throw new Error(
        `retention of ${subject} has not started: its records are kept ${rule.years} years from ${rule.from}, and it is in status '${c.status}'`,
      );
    }
    if (now < end) {
      throw new Error(
        `retention of ${subject} has not expired: its records are kept ${rule.years} years from ${rule.from} (${start}), until ${end}`,
      );
    }
    return;
  }
  // A delivered consignment can still be returned; the return steps read only fields an erasure
  // keeps (lines, amounts, currency), so erasing the buyer's data does not stop a return or refund.
  if (!isFinal(c.status)) {
    throw new Error(
      `erasure request for ${subject} is refused while it is in status '${c.status}': its personal data is needed until the consignment is delivered or has left the country (exited)`,
    );
  }
  if (LEGAL_HOLD_STATUSES.includes(c.status) && end !== undefined && now < end) {
    throw new Error(
      `${subject} is under legal hold (status '${c.status}': evidence in proceedings) until its retention ends on ${end}; erasure requests are refused`,
    );
  }
}

/** Refuses a purge of a party registration that is not allowed now. Requests are honoured at any time. */
export function assertPartyErasure(
  reason: ErasureReason,
  now: string,
  registration: { readonly partyId: string; readonly registeredAt: string },
  rule: RetentionRule = RETENTION.party,
): void {
  if (reason !== 'retention_expired') return;
  const end = addYears(registration.registeredAt, rule.years);
  if (now < end) {
    throw new Error(
      `retention of the registration of party ${registration.partyId} has not expired: it is kept ${rule.years} years from ${rule.from} (${registration.registeredAt}), until ${end}`,
    );
  }
}

/** The subject's personal-data paths in one record. */
export function personalPaths(record: ErasableRecord, role: PartyKind): readonly string[] {
  return PERSONAL_DATA[record][role];
}

/** Which role the party plays in an order, from the order's (possibly redacted) leaves. */
export function roleInOrder(leaves: readonly HeldLeaf[], partyId: string): PartyKind | undefined {
  const valueAt = (path: string) => {
    const leaf = leaves.find((l) => l.path === path);
    return leaf && !isErased(leaf) ? leaf.value : undefined;
  };
  if (valueAt('/buyer/id') === partyId) return 'buyer';
  if (valueAt('/seller/id') === partyId) return 'seller';
  return undefined;
}

/** What of the access record of an orderProof's disclosure the erasure checks. */
export interface ProofDisclosure {
  readonly recordKind: string;
  readonly purpose: string;
  readonly fields?: readonly string[];
}

/**
 * Why an orderProof's disclosure does not stand for a data subject's request (undefined: it does).
 * `access` is the access record of the transaction the proof names on the consignment's log. The
 * disclosure must be of the order, for purpose data_subject_request, and hold no field that
 * transaction did not disclose. An audit disclosure does not do, not even one made before 1.4,
 * when audit could still reveal /buyer/id: the data minimisation rule no longer lets audit see the
 * buyer, and honouring such a package would keep using what the rule now refuses; the platform
 * discloses the id again, for this purpose.
 */
export function orderProofRefusal(
  consignmentId: string,
  proof: { readonly accessTxId: string; readonly disclosure: Pick<DisclosurePackage, 'fields'> },
  access: ProofDisclosure | undefined,
): string | undefined {
  const named = `orderProof of consignment ${consignmentId}`;
  if (access === undefined || access.recordKind !== 'order' || access.fields === undefined) {
    return `${named} names transaction ${proof.accessTxId}, which recorded no disclosure of its order record`;
  }
  if (access.purpose !== 'data_subject_request') {
    return `${named} was disclosed for purpose '${access.purpose}'; an erasure takes a disclosure of the order's /buyer/id or /seller/id for purpose 'data_subject_request'`;
  }
  const undisclosed = proof.disclosure.fields.find((field) => !access.fields!.includes(field.path));
  if (undisclosed) {
    return `${named} holds field '${undisclosed.path}', which transaction ${proof.accessTxId} did not disclose`;
  }
  return undefined;
}

export interface ErasureStep {
  readonly erasedAt: string;
  readonly txId: string;
  readonly reason: ErasureReason;
  /** The leaf paths erased by this step. */
  readonly paths: readonly string[];
}

/**
 * What stays in the private collection after a purge: every leaf's hash, the kept leaves' values
 * and salts, no salt seed (with it the salts of erased short values could be recomputed and the
 * values guessed against their hashes), and the erasures made.
 */
export interface RedactedEnvelope {
  readonly root: string;
  readonly leafCount: number;
  readonly leaves: readonly HeldLeaf[];
  readonly erasures: readonly ErasureStep[];
}

/**
 * The leaves with those under `paths` erased (missing optional fields are simply absent), or
 * undefined when nothing is left to erase. The root cannot change: only values and salts go.
 */
export function redactLeaves(
  leaves: readonly HeldLeaf[],
  paths: readonly string[],
): { leaves: HeldLeaf[]; erased: string[] } | undefined {
  const erased: string[] = [];
  const redacted = leaves.map((leaf): HeldLeaf => {
    if (isErased(leaf) || !paths.some((p) => underPath(leaf.path, p))) return leaf;
    erased.push(leaf.path);
    return { path: leaf.path, hash: leaf.hash, erased: true };
  });
  if (erased.length === 0) return undefined;
  if (merkleRoot(redacted) !== merkleRoot(leaves)) throw new Error('redaction changed the Merkle root');
  return { leaves: redacted, erased };
}

/** The private key of the n-th redacted version of a record: a new key, so a purge never meets a put. */
export function redactedKey(originalKey: string, version: number): string {
  return `${originalKey}~erased~${version}`;
}

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);

/** A disclosure package as an argument (checked field by field by verifyDisclosure). */
export const DisclosureShape = z.strictObject({
  root: Hex64,
  leafCount: z.number().int().min(1),
  fields: z
    .array(
      z.strictObject({
        index: z.number().int().min(0),
        path: z.string(),
        value: z.union([z.string(), z.number(), z.boolean(), z.null()]),
        salt: Hex64,
        hash: Hex64,
        proof: z.array(Hex64),
      }),
    )
    .min(1)
    .max(8),
});

/** Why and under which case reference a controller erases personal data. */
export const ErasureRequest = z.strictObject({
  reason: z.enum(erasureReasons),
  /** The controller's case reference for the request or the retention run. */
  reference: Reference.optional(),
});

/**
 * A holder's proof of which party an order names: a disclosure package of the order's /buyer/id or
 * /seller/id, and the transaction that recorded the disclosure (the answer of POST
 * /v1/consignments/{id}/disclosures gives both), whose purpose must be data_subject_request.
 */
export const OrderProof = z.strictObject({ accessTxId: Hex64, disclosure: DisclosureShape });
export type OrderProof = z.infer<typeof OrderProof>;

/** An erasure of a party's data from one consignment's records; see ErasureSubject for orderProof. */
export const ConsignmentErasureRequest = ErasureRequest.extend({
  partyId: PartyId,
  orderProof: OrderProof.optional(),
});
export type ConsignmentErasureRequest = z.infer<typeof ConsignmentErasureRequest>;
export type ErasureRequest = z.infer<typeof ErasureRequest>;

/**
 * What erasure:erase takes, in transient data so that the link between the party and its
 * consignments never reaches a block. One target per transaction: the party's registration, or
 * one consignment's records held by the caller. `orderProof` lets a holder that is not the order's
 * platform (payment provider, carrier) show that the consignment's order names the party: a
 * disclosure of /buyer/id or /seller/id checked against the order's public commitment, made by the
 * platform for purpose data_subject_request (orderProofRefusal).
 */
export const ErasureSubject = ErasureRequest.extend({
  partyId: PartyId,
  target: z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('party') }),
    z.strictObject({
      type: z.literal('consignment'),
      consignmentId: ConsignmentId,
      orderProof: OrderProof.optional(),
    }),
  ]),
});
export type ErasureSubject = z.infer<typeof ErasureSubject>;

/** Public: who erased which fields of which record, when and why. No personal data, no party link for records. */
export interface ErasureRecord {
  readonly subjectType: 'consignment' | 'party';
  /** The consignment id, or the party id for a registration. */
  readonly subjectId: string;
  readonly recordKind: ErasableRecord;
  /** The transaction that wrote the record, for a kind a consignment holds several of (referral answers). */
  readonly recordTxId?: string;
  /** The organisation whose collection (with customs) held the record. */
  readonly holder: string;
  readonly collection: string;
  /** The commitment that stays on the ledger. */
  readonly root: string;
  readonly leafCount: number;
  /** Every leaf path erased so far. */
  readonly erasedPaths: readonly string[];
  /** The current redacted version's number in the private collection. */
  readonly redactedVersion: number;
  readonly erasures: readonly {
    readonly txId: string;
    readonly at: string;
    readonly reason: ErasureReason;
    readonly reference?: string;
    readonly erasedBy: string;
    readonly userId: string;
    readonly paths: readonly string[];
  }[];
  readonly txId: string;
}

/** How refusals name an erasable record. */
export function describeRecord(r: {
  readonly subjectType: 'consignment' | 'party';
  readonly subjectId: string;
  readonly recordKind: ErasableRecord;
  readonly recordTxId?: string;
  readonly holder: string;
}): string {
  if (r.subjectType === 'party') return `the registration of party ${r.subjectId} by ${r.holder}`;
  if (r.recordKind === 'referral_answer') {
    return `the referral answer of consignment ${r.subjectId} by ${r.holder} (transaction ${r.recordTxId})`;
  }
  return `the ${r.recordKind} record of consignment ${r.subjectId}`;
}

/** The refusal for a read of erased data; the gateway answers it with 410 Gone. */
export function erasedMessage(mark: ErasureRecord): string {
  const last = mark.erasures.at(-1);
  return `${describeRecord(mark)} was erased (transaction ${mark.txId}, ${last?.reason ?? 'erasure'} at ${last?.at ?? ''}): fields ${mark.erasedPaths.join(', ')} are gone; the commitment remains`;
}
