import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import { z } from 'zod';

import { customsCollection, traderCollection } from '../domain/collections';
import { collectionMembers } from '../domain/consignment';
import { fromBytesOrUndefined } from '../domain/canonical';
import { commitPayload } from '../domain/merkle';
import { assertPurpose } from '../domain/purposes';
import { assertAllowed, seesEveryOrganisation } from '../domain/roles';
import {
  IsoDateTime,
  MspId,
  PartyId,
  PartyKind,
  parsePayload,
  parseWith,
  Reference,
  VerificationLevel,
} from '../domain/schemas';
import {
  KeyType,
  booleanArgument,
  compositeKey,
  emitEvent,
  listByPartialKey,
  listPrivateRange,
  privateKey,
  privateKeyRange,
  putJson,
  putPrivateJson,
  readJson,
  readPrivateJson,
  resolveCaller,
  result,
  transientBytes,
  transientPayload,
  txTime,
  type Caller,
} from './context';
import { boundRead, commitAccessRecord, requireRecordedAccess, type BoundRead } from './access-records';
import { assertNotErased, heldPartyRegistration, minimisedEnvelope } from './private-records';
import type { ErasureRecord } from '../domain/erasure';
import type {
  FlagRecord,
  PartyRegistration,
  PrivateEnvelope,
  TrustedTraderAdoption,
  TrustedTraderRecord,
} from './records';

/** How party:adoptTrustedTraders refuses a second adoption: customs' gateway takes it for done. */
export const ADOPTED_ALREADY = 'trusted-trader statuses were adopted from the public state already';

/**
 * A public trusted-trader record of before 1.12 of the shape 1.11 wrote, for adoption. Its setBy is
 * checked against customs' MSP id; what colluding peers might have written in customs' name cannot be
 * told apart (the adoption's answer names every party copied, for customs to review).
 */
const PublicTrustedTrader = z.strictObject({
  partyId: PartyId,
  trusted: z.boolean(),
  reference: Reference,
  setBy: MspId,
  setAt: IsoDateTime,
  txId: z.string().regex(/^[0-9a-f]{64}$/),
}) satisfies z.ZodType<Omit<TrustedTraderRecord, 'adoptedTxId'>>;

@Info({
  title: 'PartyContract',
  description:
    'Pseudonymous sellers and buyers: registrations by platforms, trusted-trader status and customs flags',
})
export class PartyContract extends Contract {
  constructor() {
    super('party');
  }

  /**
   * A platform registers (or re-registers) a party it knows. Transient: 'payload' (PartyPayload
   * JSON) and 'saltSeed' (hex, ≥ 16 bytes). The identity data goes to the platform–customs
   * collection; only its Merkle root is public.
   */
  @Transaction()
  @Returns('string')
  public async register(
    ctx: Context,
    partyId: string,
    kind: string,
    verificationLevel: string,
  ): Promise<string> {
    const caller = await resolveCaller(ctx);
    assertAllowed('registerParty', caller);
    const id = parseWith(PartyId, 'partyId', partyId);
    const partyKind = parseWith(PartyKind, 'kind', kind);
    const level = parseWith(VerificationLevel, 'verificationLevel', verificationLevel);
    const { payload, saltSeed } = transientPayload(ctx, 'party');

    const key = compositeKey(ctx, KeyType.party, [id, caller.mspId]);
    const previous = await readJson<PartyRegistration>(ctx, key);
    if (previous && previous.kind !== partyKind) {
      throw new Error(`party ${id} is registered by ${caller.mspId} as ${previous.kind}, not ${partyKind}`);
    }
    const collection = traderCollection(caller.mspId, caller.network.customsMspId);
    const commitment = commitPayload(payload, saltSeed);
    await putPrivateJson(ctx, collection, privateKey.party(id), {
      payload,
      saltSeed,
    } satisfies PrivateEnvelope);
    const registration: PartyRegistration = {
      partyId: id,
      kind: partyKind,
      verificationLevel: level,
      registeredBy: caller.mspId,
      collection,
      root: commitment.root,
      leafCount: commitment.leafCount,
      registeredAt: txTime(ctx),
      version: (previous?.version ?? 0) + 1,
      txId: ctx.stub.getTxID(),
    };
    await putJson(ctx, key, registration);
    emitEvent(ctx, 'PartyRegistered', {
      partyId: id,
      kind: partyKind,
      verificationLevel: level,
      registeredBy: caller.mspId,
      root: commitment.root,
      version: registration.version,
    });
    return result(registration);
  }

  /**
   * Customs grants or withdraws trusted-trader (AEO) status. Kept in customs' own collection, which
   * customs' peer alone endorses (privateKey.trustedOperator says why); the event tells the
   * platforms that registered the party.
   */
  @Transaction()
  @Returns('string')
  public async setTrustedTrader(
    ctx: Context,
    partyId: string,
    trusted: boolean,
    reference: string,
  ): Promise<string> {
    const caller = await resolveCaller(ctx);
    assertAllowed('setTrustedTrader', caller);
    const id = parseWith(PartyId, 'partyId', partyId);
    const isTrusted = booleanArgument(trusted as unknown, 'trusted');
    const ref = parseWith(Reference, 'reference', reference);
    await this.requireRegistrations(ctx, id);
    const record: TrustedTraderRecord = {
      partyId: id,
      trusted: isTrusted,
      reference: ref,
      setBy: caller.mspId,
      setAt: txTime(ctx),
      txId: ctx.stub.getTxID(),
    };
    await putPrivateJson(
      ctx,
      customsCollection(caller.network.customsMspId),
      privateKey.trustedTrader(id),
      record,
    );
    emitEvent(ctx, 'TrustedTraderSet', { partyId: id, trusted: isTrusted });
    return result(record);
  }

  /**
   * Copies the trusted-trader statuses that chaincode before 1.12 kept on the public state into
   * customs' collection, once (customs' gateway does it at start). A party whose status customs has
   * set since is left as customs set it; a record not of the shape 1.11 wrote, or not in customs'
   * name, is not copied. What two other organisations' peers might have written there in customs'
   * name is copied too: the answer, and party:trustedTraders after, name every copied status for
   * customs to review. Only customs' collection is written, so customs' peer alone endorses.
   */
  @Transaction()
  @Returns('string')
  public async adoptTrustedTraders(ctx: Context): Promise<string> {
    const caller = await resolveCaller(ctx);
    assertAllowed('setTrustedTrader', caller);
    const collection = customsCollection(caller.network.customsMspId);
    const done = await readPrivateJson<TrustedTraderAdoption>(
      ctx,
      collection,
      privateKey.trustedTraderAdoption,
    );
    if (done) throw new Error(`${ADOPTED_ALREADY}, by ${done.txId}`);
    const adopted: string[] = [];
    const skipped: TrustedTraderAdoption['skipped'][number][] = [];
    const txId = ctx.stub.getTxID();
    for await (const { key, value } of ctx.stub.getStateByPartialCompositeKey(KeyType.trusted, [])) {
      const [keyPartyId = ''] = ctx.stub.splitCompositeKey(key).attributes;
      const parsed = PublicTrustedTrader.safeParse(fromBytesOrUndefined(value));
      if (!parsed.success || parsed.data.partyId !== keyPartyId) {
        skipped.push({ partyId: keyPartyId, reason: 'malformed' });
      } else if (parsed.data.setBy !== caller.network.customsMspId) {
        skipped.push({ partyId: keyPartyId, reason: 'not_set_by_customs' });
      } else if (await readPrivateJson(ctx, collection, privateKey.trustedTrader(keyPartyId))) {
        skipped.push({ partyId: keyPartyId, reason: 'already_set' });
      } else {
        const record: TrustedTraderRecord = { ...parsed.data, adoptedTxId: txId };
        await putPrivateJson(ctx, collection, privateKey.trustedTrader(keyPartyId), record);
        adopted.push(keyPartyId);
      }
    }
    const adoption: TrustedTraderAdoption = {
      adopted,
      skipped,
      adoptedBy: caller.mspId,
      adoptedAt: txTime(ctx),
      txId,
    };
    await putPrivateJson(ctx, collection, privateKey.trustedTraderAdoption, adoption);
    return result(adoption);
  }

  /**
   * Every trusted-trader status customs has set, withdrawn ones included, by party id, and the
   * adoption of the public ones of before 1.12 (null until it ran). Customs only (evaluate).
   */
  @Transaction(false)
  @Returns('string')
  public async trustedTraders(ctx: Context): Promise<string> {
    const caller = await resolveCaller(ctx);
    assertAllowed('readTrustedTraders', caller);
    const collection = customsCollection(caller.network.customsMspId);
    return result({
      trustedTraders: await listPrivateRange<TrustedTraderRecord>(
        ctx,
        collection,
        privateKeyRange(privateKey.trustedTrader('')),
      ),
      adoption:
        (await readPrivateJson<TrustedTraderAdoption>(ctx, collection, privateKey.trustedTraderAdoption)) ??
        null,
    });
  }

  /**
   * Customs records its own note on a party (transient 'payload': {watchlisted, reasonCode})
   * in its customs-only collection. The event carries no party id, so subscribers learn only
   * that customs noted something; the party id argument itself is still in the block.
   */
  @Transaction()
  @Returns('string')
  public async flagParty(ctx: Context, partyId: string): Promise<string> {
    const caller = await resolveCaller(ctx);
    assertAllowed('flagParty', caller);
    const id = parseWith(PartyId, 'partyId', partyId);
    // Not committed on the public state, so no salt seed: nothing public to open it against.
    const payload = parsePayload('flag', transientBytes(ctx, 'payload'));
    const flag: FlagRecord = {
      partyId: id,
      watchlisted: payload.watchlisted,
      reasonCode: payload.reasonCode,
      flaggedBy: caller.mspId,
      flaggedAt: txTime(ctx),
      txId: ctx.stub.getTxID(),
    };
    await putPrivateJson(ctx, customsCollection(caller.network.customsMspId), privateKey.flag(id), flag);
    emitEvent(ctx, 'PartyFlagged', {});
    return result({ txId: flag.txId });
  }

  /**
   * The registrations (one per platform) and their erasure marks, and for customs the party's
   * trusted-trader status (in customs' collection, which no other organisation's peer holds).
   * Customs and auditors see every platform's registrations; any other organisation its own only:
   * that another platform registered the same person (found by registering a known document number,
   * since the id is the document's keyed hash) would tell it whose customer that person is.
   */
  @Transaction(false)
  @Returns('string')
  public async get(ctx: Context, partyId: string): Promise<string> {
    const caller = await resolveCaller(ctx);
    assertAllowed('readParty', caller);
    const id = parseWith(PartyId, 'partyId', partyId);
    const registrations = await this.requireRegistrations(ctx, id);
    const erasures = await listByPartialKey<ErasureRecord>(ctx, KeyType.erasure, ['party', id]);
    const seesAll = seesEveryOrganisation(caller.role);
    const trusted =
      caller.role === 'customs'
        ? ((await readPrivateJson<TrustedTraderRecord>(
            ctx,
            customsCollection(caller.network.customsMspId),
            privateKey.trustedTrader(id),
          )) ?? null)
        : undefined;
    return result({
      partyId: id,
      registrations: seesAll ? registrations : registrations.filter((r) => r.registeredBy === caller.mspId),
      ...(trusted !== undefined && { trusted }),
      erasures: seesAll ? erasures : erasures.filter((e) => e.holder === caller.mspId),
    });
  }

  /**
   * Puts customs' read of its note on a party on the party's access log, under a purpose customs
   * has: getFlag then gives this user the note. Whether a person is watch-listed, and why, is
   * customs' data about that person. Not tied to a registration: customs may note a party id no
   * platform registered (a seller known from orders alone).
   */
  @Transaction()
  @Returns('string')
  public async recordFlagRead(ctx: Context, partyId: string, purpose: string): Promise<string> {
    const caller = await resolveCaller(ctx);
    assertAllowed('flagParty', caller);
    const allowedPurpose = assertPurpose(purpose, caller);
    const id = parseWith(PartyId, 'partyId', partyId);
    return result(await commitAccessRecord(ctx, caller, flagRead(id).target, allowedPurpose));
  }

  /**
   * Customs' note on a party (null when there is none), for the customs user whose read of it
   * recordFlagRead committed (accessTxId) less than ACCESS_VALID_MINUTES ago. Evaluate only.
   */
  @Transaction(false)
  @Returns('string')
  public async getFlag(ctx: Context, partyId: string, accessTxId: string): Promise<string> {
    const caller = await resolveCaller(ctx);
    assertAllowed('flagParty', caller);
    const id = parseWith(PartyId, 'partyId', partyId);
    await requireRecordedAccess(ctx, caller, flagRead(id), accessTxId);
    const flag = await readPrivateJson<FlagRecord>(
      ctx,
      customsCollection(caller.network.customsMspId),
      privateKey.flag(id),
    );
    return result(flag ?? null);
  }

  /**
   * Puts a read of a platform's registration of a party on the party's access log, under a purpose
   * the caller's role has: getPrivateRecord then hands this user the registration. For members of
   * the registering platform's collection (that platform and customs); refused, and nothing
   * recorded, wherever the read would be refused: no such registration, not a member, erased.
   */
  @Transaction()
  @Returns('string')
  public async recordRegistrationRead(
    ctx: Context,
    partyId: string,
    platformMspId: string,
    purpose: string,
  ): Promise<string> {
    const caller = await resolveCaller(ctx);
    const allowedPurpose = assertPurpose(purpose, caller);
    const registration = await this.memberRegistration(ctx, caller, partyId, platformMspId);
    await assertNotErased(ctx, heldPartyRegistration(registration));
    return result(
      await commitAccessRecord(ctx, caller, registrationRead(registration).target, allowedPurpose),
    );
  }

  /**
   * The registered identity data, less the fields the access record's purpose does not need
   * (private-records.ts minimisedEnvelope), for the user whose read of this registration
   * recordRegistrationRead committed (accessTxId) less than ACCESS_VALID_MINUTES ago. Evaluate
   * only: a submitted result would land in the block.
   */
  @Transaction(false)
  @Returns('string')
  public async getPrivateRecord(
    ctx: Context,
    partyId: string,
    platformMspId: string,
    accessTxId: string,
  ): Promise<string> {
    const caller = await resolveCaller(ctx);
    const registration = await this.memberRegistration(ctx, caller, partyId, platformMspId);
    const access = await requireRecordedAccess(ctx, caller, registrationRead(registration), accessTxId);
    const held = heldPartyRegistration(registration);
    return result({ ...registration, ...(await minimisedEnvelope(ctx, held, 'party', access.purpose)) });
  }

  /** A platform's registration of a party, if the caller is a member of its collection. */
  private async memberRegistration(
    ctx: Context,
    caller: Caller,
    partyId: string,
    platformMspId: string,
  ): Promise<PartyRegistration> {
    const id = parseWith(PartyId, 'partyId', partyId);
    const registration = await readJson<PartyRegistration>(
      ctx,
      compositeKey(ctx, KeyType.party, [id, platformMspId]),
    );
    if (!registration) throw new Error(`party ${id} is not registered by ${platformMspId}`);
    if (!collectionMembers(registration.registeredBy, caller.network.customsMspId).includes(caller.mspId)) {
      throw new Error(`${caller.mspId} is not a member of collection ${registration.collection}`);
    }
    return registration;
  }

  private async requireRegistrations(ctx: Context, partyId: string): Promise<PartyRegistration[]> {
    const registrations = await listByPartialKey<PartyRegistration>(ctx, KeyType.party, [partyId]);
    if (registrations.length === 0) throw new Error(`party ${partyId} is not registered`);
    return registrations;
  }
}

/**
 * A read of a registration. A party has one per registering platform, each rewritten by a
 * re-registration: the access record names the version read by the transaction that wrote it.
 */
function registrationRead(registration: PartyRegistration): BoundRead {
  const read = boundRead(heldPartyRegistration(registration), 'party:recordRegistrationRead');
  return { ...read, target: { ...read.target, recordTxId: registration.txId } };
}

function flagRead(partyId: string): BoundRead {
  return {
    target: { subjectType: 'party', subjectId: partyId, recordKind: 'flag' },
    form: 'read',
    what: `customs' note on party ${partyId}`,
    recordedBy: 'party:recordFlagRead',
  };
}
