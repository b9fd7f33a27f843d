import {
  assessmentFailureCodes,
  BusinessNumber,
  collectionModels,
  CurrencyCode,
  decisionEvents,
  erasureReasons,
  hardRuleCodes,
  indicatorCodes,
  JoinKeys,
  lanes,
  matchReasonCodes,
  movementEvents,
  ORG_ROLES,
  Period,
  purposeNames,
  recordKinds,
  ReferralAnswer,
  releaseBlockers,
  ReturnDecision,
  ReturnLine,
  ReturnPolicySet,
  ReturnReason,
  returnStatuses,
  RuleSet,
  statuses,
  TariffSet,
  unweightedReasonCodes,
} from '@customs-ledger/chaincode';
import { nestedChaincodeSchema, orNull, z } from '../http/openapi.js';
import { PageFields } from './schemas.js';

/*
 * What the gateway answers, as the chaincode returns it (chaincode/src/contracts/records.ts and the
 * contracts' results) and the policy layer filters it (policy/public-view.ts): a property some roles
 * do not see is optional here. Times are the transactions' (ISO 8601, UTC); organisations are named
 * by MSP id. The chaincode's own schemas (join keys, rule and tariff sets, return lines…) are
 * nested through nestedChaincodeSchema, so the document and the chaincode cannot drift apart.
 */

const TxId = z
  .string()
  .regex(/^[0-9a-f]{64}$/)
  .openapi({ description: 'A ledger transaction id (64 lowercase hex)' });
const Hash = z.string().regex(/^[0-9a-f]{64}$/);
const Time = z.iso.datetime({ offset: true });
const MspId = z.string().openapi({ description: 'An organisation, by MSP id' });
const Count = z.number().int().min(0);
const Amount = z.number();
const ReasonCodes = z.array(z.string());

const MerkleCommitment = {
  collection: z.string().openapi({ description: 'The private data collection that holds the payload' }),
  root: Hash.openapi({ description: 'Merkle root over the payload’s salted field hashes' }),
  leafCount: z.number().int().min(1),
};

const RecordVersions = z
  .object(Object.fromEntries(recordKinds.map((kind) => [kind, z.number().int().min(1).optional()])))
  .openapi('RecordVersions', { description: 'The version of each record an assessment was made on' });

export const ConsignmentSchema = z
  .object({
    consignmentId: z.string(),
    status: z.enum(statuses),
    // Order, tracking and payment ids are withheld from auditors; the countries are for all.
    joinKeys: nestedChaincodeSchema(JoinKeys),
    platformMspId: MspId.optional(),
    carrierMspId: MspId.optional(),
    paymentMspId: MspId.optional(),
    pendingClaims: z
      .array(z.enum(['platformMspId', 'carrierMspId', 'paymentMspId']))
      .optional()
      .openapi({
        description:
          'Parts named at creation whose organisation has written no record yet (their join keys are not claimed in its name until it does); absent when none',
      }),
    createdBy: MspId,
    createdAt: Time,
    updatedAt: Time,
    txId: TxId.openapi({ description: 'The transaction that last wrote it' }),
  })
  .openapi('Consignment', { description: 'A consignment’s public record: no personal data' });

export const RecordCommitmentSchema = z
  .object({
    kind: z.enum(recordKinds),
    consignmentId: z.string(),
    submittedBy: MspId,
    ...MerkleCommitment,
    submittedAt: Time,
    version: z
      .number()
      .int()
      .min(1)
      .openapi({ description: '1 for the first submission, +1 per correction' }),
    txId: TxId,
  })
  .openapi('RecordCommitment', {
    description: 'A record’s public commitment; its payload stays in the submitter’s collection with customs',
  });

export const MovementSchema = z
  .object({
    consignmentId: z.string(),
    type: z.enum(movementEvents),
    location: z.string().openapi({ description: 'UN/LOCODE' }),
    occurredAt: z.string().optional().openapi({ description: 'When the scan says it happened, if given' }),
    recordedBy: MspId,
    recordedAt: Time,
    statusBefore: z.enum(statuses),
    statusAfter: z.enum(statuses),
    txId: TxId,
  })
  .openapi('Movement');

export const DecisionSchema = z
  .object({
    consignmentId: z.string(),
    decision: z.enum(decisionEvents),
    reasonCodes: ReasonCodes.optional().openapi({
      description: 'For customs; the others see a referral’s only (the questions they are to answer)',
    }),
    decidedBy: MspId,
    decidedAt: Time,
    statusBefore: z.enum(statuses),
    statusAfter: z.enum(statuses),
    automatic: z.boolean().optional().openapi({
      description: 'Recorded by customs’ service identity on a releasable assessment, with no officer',
    }),
    txId: TxId,
  })
  .openapi('Decision');

export const ErasureMarkSchema = z
  .object({
    subjectType: z.enum(['consignment', 'party']),
    subjectId: z.string().openapi({ description: 'The consignment id, or the party id for a registration' }),
    recordKind: z.enum([...recordKinds, 'referral_answer', 'party']),
    recordTxId: TxId.optional().openapi({
      description: 'For a referral answer: the transaction that wrote it',
    }),
    holder: MspId.openapi({
      description: 'The organisation whose collection (with customs) held the record',
    }),
    ...MerkleCommitment,
    erasedPaths: z.array(z.string()).openapi({ description: 'Every field (JSON pointer) erased so far' }),
    redactedVersion: z.number().int(),
    erasures: z.array(
      z.object({
        txId: TxId,
        at: Time,
        reason: z.enum(erasureReasons),
        reference: z.string().optional().openapi({ description: 'The controller’s case number' }),
        erasedBy: MspId,
        userId: z.string(),
        paths: z.array(z.string()),
      }),
    ),
    txId: TxId,
  })
  .openapi('ErasureMark', {
    description: 'Who erased which fields of a record, when and why; the commitment stays',
  });

export const ConsignmentViewSchema = z
  .object({
    consignment: ConsignmentSchema,
    records: z.array(RecordCommitmentSchema),
    erasures: z.array(ErasureMarkSchema),
    movements: z.array(MovementSchema).openapi({ description: 'Oldest first' }),
    decisions: z.array(DecisionSchema).openapi({ description: 'Oldest first' }),
  })
  .openapi('ConsignmentView');

/** What every purpose-bound read answers beside the data: the access record that let it out. */
const ReadAccessTxId = TxId.openapi({ description: 'The access record committed before the read' });

export const RecordDetailsSchema = z
  .object({
    record: RecordCommitmentSchema,
    payload: z.record(z.string(), z.unknown()).openapi({
      description:
        'The record as submitted (the schema of POST /v1/consignments/{id}/<record>), less the fields the purpose does not need and those erased',
    }),
    accessTxId: ReadAccessTxId,
  })
  .openapi('RecordDetails');

export const DisclosurePackageSchema = z
  .object({
    root: Hash,
    leafCount: z.number().int().min(1),
    fields: z.array(
      z.object({
        path: z.string().openapi({ description: 'JSON pointer of the field' }),
        value: z.unknown().openapi({ description: 'A scalar, or an empty object or array' }),
        salt: z.string(),
        index: z.number().int().min(0).openapi({ description: 'The leaf’s index in the tree' }),
        hash: Hash.openapi({ description: 'The committed leaf hash' }),
        proof: z.array(Hash).openapi({ description: 'Merkle proof, leaf end first' }),
      }),
    ),
  })
  .openapi('DisclosurePackage');

export const DisclosureSchema = z
  .object({
    consignmentId: z.string(),
    record: z.enum(recordKinds),
    version: z.number().int().min(1),
    txId: TxId.openapi({ description: 'The transaction that wrote the disclosed version' }),
    block: z.number().int().nullable().openapi({ description: 'Its block; null if the peer has none yet' }),
    disclosure: DisclosurePackageSchema,
    accessTxId: TxId.openapi({ description: 'The access record of the disclosure, naming its fields' }),
  })
  .openapi('Disclosure', { description: 'A selective-disclosure package, as POST /v1/verify takes it' });

export const VerdictSchema = z
  .object({
    verified: z.boolean(),
    ok: z.boolean().openapi({ description: 'The same as verified' }),
    code: z
      .enum(['format', 'path', 'salt', 'value', 'leaf', 'proof', 'root', 'transaction', 'block'])
      .optional()
      .openapi({ description: 'What failed, when it failed' }),
    path: z.string().optional().openapi({ description: 'The field that failed, when one did' }),
    reason: z.string().optional(),
    committed: z
      .object({
        root: Hash,
        leafCount: z.number().int(),
        version: z.number().int(),
        txId: TxId,
        block: z.number().int().nullable(),
        latestVersion: z
          .number()
          .int()
          .openapi({ description: 'Greater than version when the record was corrected since' }),
      })
      .optional()
      .openapi({ description: 'The record version checked against; absent when none was found' }),
  })
  .openapi('DisclosureVerdict');

const AppliedReturnPolicy = z.object({
  requestDays: z.number().int(),
  arrivalDays: z.number().int(),
  decisionDays: z.number().int(),
  version: z.string().openapi({ description: 'The policy set’s version' }),
  entry: z.string().openapi({ description: 'Which entry applied: the country, EU or default' }),
});

export const ReturnSchema = z
  .object({
    consignmentId: z.string(),
    returnId: z.string(),
    status: z.enum(returnStatuses),
    step: z
      .enum(['request', 'ship', 'scan', 'refund', 'decide'])
      .openapi({ description: 'The step that wrote this version' }),
    reason: z.enum(ReturnReason.options),
    lines: z.array(nestedChaincodeSchema(ReturnLine)),
    authorisation: z.string().optional().openapi({ description: 'The RMA number; withheld from auditors' }),
    carrierMspId: MspId.openapi({ description: 'The only carrier that may ship and scan the return' }),
    destinationCountry: z.string(),
    policy: AppliedReturnPolicy.openapi({ description: 'The policy in force when it was requested' }),
    deadlines: z.object({ releasedAt: Time, request: Time, arrival: Time, decision: Time }).openapi({
      description:
        'Each the close of its last day in the destination, moved to the next working day where the policy set names the destination’s days off (GET /v1/return-policy?version=)',
    }),
    requestedBy: MspId,
    requestedAt: Time,
    shipment: z
      .object({
        carrierMspId: MspId,
        trackingNumber: z.string().optional().openapi({ description: 'Withheld from auditors' }),
        shippedAt: Time,
      })
      .optional(),
    proof: z
      .object({
        type: z.enum(['exited', 'arrived_at_origin']),
        location: z.string(),
        country: z.string(),
        scannedBy: MspId,
        scannedAt: Time,
      })
      .optional(),
    refund: z
      .object({ refundedBy: MspId, ...MerkleCommitment, recordedAt: Time })
      .optional()
      .openapi({ description: 'The refund’s commitment; the refund itself is in the refunder’s collection' }),
    // ReturnDecision's fields as decided, with its reasons optional: they are for customs alone.
    decision: z
      .object({
        outcome: z.enum(ReturnDecision.shape.outcome.options),
        dutyRefund: Amount,
        vatRefund: Amount,
        currency: z.string(),
        quotaRestored: Amount.optional().openapi({
          description: 'What was given back to the buyer’s annual limit, for a purchase counted against it',
        }),
        reasonCodes: ReasonCodes.optional().openapi({ description: 'For customs alone' }),
        decidedBy: MspId,
        decidedAt: Time,
      })
      .optional(),
    updatedAt: Time,
    txId: TxId.openapi({ description: 'The transaction that wrote this version' }),
  })
  .openapi('Return', { description: 'A return as it now stands (no personal data)' });

export const ReturnListSchema = z
  .object({
    consignmentId: z.string(),
    returns: z.array(ReturnSchema).openapi({ description: 'Oldest first' }),
  })
  .openapi('ReturnList');

export const StoredReturnPolicySetSchema = z
  .object({ policySet: nestedChaincodeSchema(ReturnPolicySet), setBy: MspId, setAt: Time, txId: TxId })
  .openapi('StoredReturnPolicySet', { description: 'A return policy set as customs put it' });

export const ReturnPolicyInForceSchema = z
  .union([
    StoredReturnPolicySetSchema,
    z.object({ policySet: nestedChaincodeSchema(ReturnPolicySet), builtIn: z.literal(true) }).openapi({
      description: 'The built-in set, until customs puts its own (or asked for by its version)',
    }),
  ])
  .openapi('ReturnPolicyInForce');

export const PartyRegistrationSchema = z
  .object({
    partyId: z.string(),
    kind: z.enum(['seller', 'buyer']),
    verificationLevel: z.enum(['none', 'basic', 'verified']),
    registeredBy: MspId,
    ...MerkleCommitment,
    registeredAt: Time,
    version: z.number().int().min(1),
    txId: TxId,
  })
  .openapi('PartyRegistration');

export const PartyRegistrationReadSchema = z
  .object({
    registration: PartyRegistrationSchema,
    payload: z.record(z.string(), z.unknown()).openapi({
      description:
        'The registered identity data (name, document, address: the schema of `party` in POST /v1/parties), less the fields the purpose does not need',
    }),
    accessTxId: ReadAccessTxId,
  })
  .openapi('PartyRegistrationRead');

export const WatchListNoteSchema = z
  .object({
    partyId: z.string(),
    watchlisted: z.boolean(),
    reasonCode: z.string(),
    flaggedBy: MspId,
    flaggedAt: Time,
    txId: TxId.openapi({ description: 'The transaction that set the note' }),
  })
  .openapi('WatchListNote');

export const WatchListReadSchema = z
  .object({
    note: orNull(WatchListNoteSchema),
    accessTxId: ReadAccessTxId,
  })
  .openapi('WatchListRead', { description: '`note` is null when customs never noted the party' });

export const WatchListWriteSchema = z
  .object({
    txId: TxId.openapi({ description: 'The transaction that set the note' }),
  })
  .openapi('WatchListWrite');

/** Customs' grant or withdrawal of authorised economic operator (AEO) status. */
const AeoStatusFields = {
  trusted: z.boolean(),
  reference: z.string(),
  setBy: MspId,
  setAt: Time,
  txId: TxId,
};

export const TrustedTraderSchema = z
  .object({
    partyId: z.string(),
    ...AeoStatusFields,
    adoptedTxId: TxId.optional().openapi({
      description:
        'Set on a status chaincode before 1.12 kept on the public state: the transaction that copied it into customs’ collection (`txId` is the public record’s)',
    }),
  })
  .openapi('TrustedTrader');

export const TrustedTradersSchema = z
  .object({
    trustedTraders: z.array(TrustedTraderSchema).openapi({
      description: 'Every status customs has set, withdrawn ones included, by party id',
    }),
    adoption: orNull(
      z
        .object({
          adopted: z
            .array(z.string())
            .openapi({ description: 'The party ids whose public statuses were copied' }),
          skipped: z
            .array(
              z.object({
                partyId: z.string(),
                reason: z.enum(['already_set', 'malformed', 'not_set_by_customs']),
              }),
            )
            .openapi({
              description:
                'Public records not copied: the party’s status had been set in customs’ collection already (`already_set`), the record was not of the shape chaincode 1.11 wrote (`malformed`), or it named another organisation than customs as its setter (`not_set_by_customs`)',
            }),
          adoptedBy: MspId,
          adoptedAt: Time,
          txId: TxId,
        })
        .openapi('TrustedTraderAdoption', {
          description:
            'The one copy of the public trusted-trader statuses of chaincode before 1.12 into customs’ collection, which customs’ gateway makes at start; null until then',
        }),
    ),
  })
  .openapi('TrustedTraders');

export const TrustedOperatorSchema = z
  .object({ mspId: MspId, ...AeoStatusFields })
  .openapi('TrustedOperator');

export const OrganisationsSchema = z
  .object({
    channel: z.string(),
    customsMspId: MspId,
    governanceMspIds: z.array(MspId),
    organisations: z.array(
      z.object({
        mspId: MspId,
        role: z.enum(ORG_ROLES),
        name: z.string(),
      }),
    ),
    protectedBy: z.array(MspId).optional().openapi({
      description:
        'The organisations a peer of each of which must endorse any change of the registry (its key-level policy, since chaincode 1.12); empty on a registry not yet protected, absent from a chaincode before 1.12',
    }),
  })
  .openapi('Organisations');

export const TrustedOperatorsSchema = z
  .object({
    trustedOperators: z.array(TrustedOperatorSchema).openapi({
      description: 'Every status customs has set, withdrawn ones included, by MSP id',
    }),
  })
  .openapi('TrustedOperators');

export const PartySchema = z
  .object({
    partyId: z.string(),
    registrations: z.array(PartyRegistrationSchema).openapi({
      description: 'Customs and auditors see every platform’s; any other organisation its own',
    }),
    trusted: orNull(TrustedTraderSchema).optional().openapi({
      description:
        'For customs only (kept in its own collection, which no other organisation’s peer holds); null when customs never set it',
    }),
    erasures: z.array(ErasureMarkSchema),
  })
  .openapi('Party');

export const ErasureResultSchema = z
  .object({
    subjectType: z.enum(['consignment', 'party']),
    subjectId: z.string(),
    erased: z.array(
      z.object({
        recordKind: z.enum([...recordKinds, 'referral_answer', 'party']),
        recordTxId: TxId.optional().openapi({
          description: 'For a referral answer: the transaction that wrote it',
        }),
        paths: z.array(z.string()).openapi({ description: 'The fields (JSON pointers) this erasure took' }),
      }),
    ),
    txId: TxId,
  })
  .openapi('ErasureResult');

export const AccessLogSchema = z
  .object({
    subjectType: z.enum(['consignment', 'party']),
    subjectId: z.string(),
    entries: z.array(
      z
        .object({
          subjectType: z.enum(['consignment', 'party']),
          subjectId: z.string(),
          recordKind: z.enum([...recordKinds, 'referral_answer', 'party', 'flag']),
          recordTxId: TxId.optional().openapi({
            description:
              'For a referral answer, or a party’s registration (one per platform): the transaction that wrote the one read',
          }),
          purpose: z.enum(purposeNames as [string, ...string[]]),
          mspId: MspId,
          userId: z.string().openapi({ description: 'The reading user (x509::subject::issuer)' }),
          at: Time,
          txId: TxId,
          fields: z.array(z.string()).optional().openapi({
            description: 'A disclosure’s fields (JSON pointers); absent for a read of the record',
          }),
        })
        .openapi('AccessRecord'),
    ),
    ...PageFields,
  })
  .openapi('AccessLog', { description: 'A page of a subject’s access log, oldest first' });

export const ConfigVersionSetSchema = z
  .object({ kind: z.enum(['ruleset', 'tariffs']), version: z.string(), txId: TxId })
  .openapi('ConfigVersionSet');

/** A rule set or tariff set as customs keeps it. */
function storedConfig(value: typeof RuleSet | typeof TariffSet, name: string) {
  return z
    .object({
      value: nestedChaincodeSchema(value),
      setBy: MspId,
      setByUser: z.string().openapi({ description: 'The customs user who put it' }),
      setAt: Time,
      txId: TxId,
    })
    .nullable()
    .openapi(name, { description: 'null when none is set' });
}

export const RuleSetViewSchema = z.object({ ruleSet: storedConfig(RuleSet, 'StoredRuleSet') });
export const TariffsViewSchema = z.object({ tariffs: storedConfig(TariffSet, 'StoredTariffSet') });

const MatchSchema = z.object({
  complete: z.boolean().openapi({ description: 'Order, payment and logistics data are all present' }),
  result: z.enum(['pass', 'fail', 'incomplete']),
  reasons: z.array(z.enum(matchReasonCodes)),
});

const DutyAssessmentSchema = z
  .object({
    currency: z.string(),
    collectionModel: z.enum(collectionModels),
    intrinsicValue: Amount.openapi({ description: 'Goods only' }),
    customsValue: Amount,
    itemCategories: Count.openapi({ description: 'Distinct HS6 subheadings' }),
    duty: Amount,
    vat: Amount,
    dutyBasis: z.enum(['flat', 'ad_valorem', 'de_minimis']),
    vatBasis: z.enum(['standard', 'de_minimis']),
    totalDue: Amount,
    collectedAtCheckout: Amount.openapi({
      description: 'Tax the platform declared it collected at checkout; platform model only',
    }),
    toCollect: Amount.openapi({
      description:
        'What customs collects at import: the duty and the VAT, or under the platform model (a checkout scheme such as IOSS, which exempts the import from VAT) the duty alone',
    }),
    lines: z.array(
      z.object({
        hsCode: z.string(),
        hs6: z.string(),
        value: Amount,
        freight: Amount,
        insurance: Amount,
        customsValue: Amount,
        dutyRate: z.number().nullable().openapi({ description: 'null under a flat duty or the de minimis' }),
        duty: Amount,
        vatRate: z.number().nullable().openapi({ description: 'null under the VAT de minimis' }),
        vat: Amount,
      }),
    ),
  })
  .openapi('DutyAssessment', { description: 'All amounts in the tariff’s currency' });

const ReferralAnswerRecordShape = {
  consignmentId: z.string(),
  answeredBy: MspId,
  referralTxId: TxId.nullable().openapi({ description: 'The referral (decision transaction) it answers' }),
  ...MerkleCommitment,
  answeredAt: Time,
  txId: TxId,
};

export const ReferralAnswerRecordSchema = z
  .object(ReferralAnswerRecordShape)
  .openapi('ReferralAnswerRecord', { description: 'An answer’s commitment; the answer is personal data' });

export const ReferralAnswerReadSchema = z
  .object({
    ...ReferralAnswerRecordShape,
    answer: nestedChaincodeSchema(ReferralAnswer),
    access: z.object({ txId: TxId, purpose: z.enum(purposeNames as [string, ...string[]]), at: Time }),
  })
  .openapi('ReferralAnswerRead');

export const AssessmentSchema = z
  .object({
    consignmentId: z.string(),
    number: z.number().int().min(1),
    status: z.enum(statuses).openapi({ description: 'The consignment’s status now' }),
    platformMspId: MspId.optional(),
    destinationCountry: z.string(),
    paidAt: Time.optional().openapi({
      description: 'When the payment was accepted: the month the reconciliation counts the sale in',
    }),
    ruleSetVersion: z.string(),
    tariffSetVersion: z.string(),
    basis: RecordVersions,
    decisionsSoFar: Count,
    match: MatchSchema,
    buyerLimits: z
      .object({
        currency: z.string(),
        perPurchase: Amount.optional(),
        perYear: Amount.optional(),
        purchase: Amount,
        usedBefore: Amount.optional().openapi({
          description:
            'The year’s other purchases that count, net of returns; absent when one is in a currency the tariff has no rate for',
        }),
        reasons: z.array(z.enum(matchReasonCodes)),
        notChecked: z.string().optional().openapi({
          description:
            'Why the annual limit was not checked (a rate missing to add up the year): the risk reason RATE_MISSING says it too, and an officer decides',
        }),
      })
      .nullable()
      .openapi({ description: 'null when the tariff sets no per-buyer limits or revenue was not assessed' }),
    risk: z.object({
      ruleSetVersion: z.string(),
      lane: z.enum(lanes),
      score: z
        .number()
        .openapi({ description: 'After the trusted-trader and trusted-operator factors, 2 decimals' }),
      reasons: z.array(
        z.object({
          code: z.enum([...hardRuleCodes, ...indicatorCodes, ...unweightedReasonCodes]),
          weight: z.number().optional().openapi({ description: 'Indicators only' }),
          detail: z.string(),
        }),
      ),
      hardRule: z
        .enum(hardRuleCodes)
        .optional()
        .openapi({ description: 'The hard rule that decided the lane' }),
      selectedAtRandom: z.boolean(),
    }),
    collectionModel: z.enum(collectionModels),
    revenue: z.union([
      z.object({
        assessed: z.literal(true),
        tariff: z.object({ country: z.string(), validFrom: z.string() }),
        duty: DutyAssessmentSchema,
        collectionNumberRefused: z
          .string()
          .optional()
          .openapi({ description: 'Why the declaration’s collection number was not honoured' }),
      }),
      z.object({ assessed: z.literal(false), error: z.string() }),
    ]),
    releasable: z.boolean(),
    blockers: z
      .array(z.enum(releaseBlockers))
      .openapi({ description: 'Why it is not releasable; empty when it is' }),
    buyerQuota: z
      .object({ buyer: z.string(), year: z.string() })
      .optional()
      .openapi({ description: 'Where the purchase counts against its buyer’s annual limit (a keyed hash)' }),
    sellerConsignmentsBefore: Count,
    firstAssessedAt: Time,
    taxPointAt: Time.optional().openapi({
      description:
        'When the customs debt arose: the first assessment that priced the goods on a declaration, whose day’s tariff and rates every later assessment keeps; absent until one has',
    }),
    assessedAt: Time,
    assessedBy: z.string().openapi({ description: 'The assessing customs user' }),
    txId: TxId,
    earlier: z.array(
      z.object({
        number: z.number().int(),
        assessedAt: Time,
        txId: TxId,
        lane: z.enum(lanes),
        score: z.number(),
        matchResult: z.enum(['pass', 'fail', 'incomplete']),
        releasable: z.boolean(),
      }),
    ),
    referralAnswers: z.array(
      z.object({
        ...ReferralAnswerRecordShape,
        erased: z
          .object({ txId: TxId, at: Time, reason: z.enum(erasureReasons) })
          .optional()
          .openapi({ description: 'The answer was erased with the consignment’s personal data' }),
      }),
    ),
    assessmentFailed: z
      .object({
        consignmentId: z.string(),
        destinationCountry: z.string(),
        code: z.enum(assessmentFailureCodes),
        reason: z.string(),
        basis: RecordVersions,
        failures: Count,
        firstFailedAt: Time,
        failedAt: Time,
        recordedBy: z.string(),
        txId: TxId,
      })
      .nullable()
      .openapi({ description: 'A failure of an automatic assessment since this one' }),
  })
  .openapi('Assessment', { description: 'Customs’ latest assessment of a consignment, explained' });

export const AssessmentOutcomeSchema = z
  .object({
    assessment: AssessmentSchema,
    automaticRelease: TxId.optional().openapi({
      description: 'The automatic release’s transaction, when the assessment allowed one',
    }),
  })
  .openapi('AssessmentOutcome');

export const MatchViewSchema = z
  .object({
    consignmentId: z.string(),
    assessment: z
      .object({
        number: z.number().int(),
        assessedAt: Time,
        txId: TxId,
        match: z.object({
          result: z.enum(['pass', 'fail', 'incomplete']),
          reasons: z.array(z.enum(matchReasonCodes)),
        }),
        releasable: z.boolean(),
        basis: RecordVersions,
        decisionsSoFar: Count,
      })
      .nullable()
      .openapi({ description: 'The public part of the latest assessment; null before any' }),
    assessmentFailed: z
      .object({
        code: z.enum(assessmentFailureCodes),
        failedAt: Time,
        txId: TxId,
        basis: RecordVersions,
      })
      .nullable()
      .openapi({
        description:
          'A failure of customs’ assessment since the latest one (null when none stands): nothing is released automatically until an assessment succeeds',
      }),
  })
  .openapi('MatchView');

export const CollectionInstructionViewSchema = z
  .object({
    consignmentId: z.string(),
    instruction: z
      .object({
        consignmentId: z.string(),
        carrierMspId: MspId,
        currency: z.string(),
        duty: Amount,
        vat: Amount,
        collectedAtCheckout: Amount,
        toCollect: Amount.openapi({ description: 'duty + vat − collectedAtCheckout' }),
        assessment: z.object({ number: z.number().int(), txId: TxId, assessedAt: Time }),
      })
      .nullable()
      .openapi({ description: 'null when nothing is to collect' }),
  })
  .openapi('CollectionInstructionView');

export const ReconciliationSchema = z
  .object({
    rows: z.array(
      z.object({
        platformMspId: MspId,
        period: z.string().openapi({ description: 'YYYY-MM' }),
        currency: z.string(),
        consignments: Count,
        declared: Amount.openapi({ description: 'VAT the platform declared as collected at checkout' }),
        assessed: Amount.openapi({ description: 'VAT customs assessed' }),
        difference: Amount.openapi({ description: 'declared − assessed' }),
        remittances: Count.openapi({ description: 'Remittances the platform recorded for the period' }),
        remitted: Amount.openapi({ description: 'What they add up to' }),
        unremitted: Amount.openapi({
          description:
            'declared − remitted: positive when the platform remitted less than it declared as collected',
        }),
      }),
    ),
  })
  .openapi('Reconciliation');

export const RemittanceSchema = z
  .object({
    platformMspId: MspId,
    period: Period.describe('YYYY-MM: the month of the sales it is for'),
    currency: CurrencyCode,
    amount: Amount.openapi({ description: 'Negative for a correction downwards' }),
    reference: BusinessNumber.describe('The return’s or the payment’s reference'),
    recordedAt: Time,
    txId: TxId,
  })
  .openapi('Remittance', {
    description: 'What a platform remitted for a month’s sales under a checkout scheme',
  });

export const RemittanceListSchema = z
  .object({ remittances: z.array(RemittanceSchema) })
  .openapi('RemittanceList');
