import { createHmac } from 'node:crypto';
import canonicalizeModule from 'canonicalize';
import type {
  FlagPayload,
  FlagRecord,
  NetworkConfig,
  PartyPayload,
  PartyRegistration,
  Purpose,
} from '@customs-ledger/chaincode';
import type { Principal } from '../auth/principal.js';
import { HttpProblem } from '../http/problem.js';
import type { LedgerClient, Submitted } from './ledger-client.js';
import { privateTransient } from './private-payload.js';
import { recordedRead } from './recorded-read.js';

const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

export interface RegisterPartyInput {
  readonly kind: 'seller' | 'buyer';
  readonly verificationLevel: 'none' | 'basic' | 'verified';
  readonly party: PartyPayload;
}

/**
 * The pseudonymous party id: a keyed hash of the identity document. The same document always
 * gives the same id (so customs can link a buyer's parcels across platforms), but without the key
 * nobody can confirm a guessed document number against the ledger.
 */
export function pseudonymousPartyId(key: string, document: PartyPayload['document']): string {
  const normalised = {
    type: document.type.trim().toUpperCase(),
    number: document.number.replace(/[\s-]/g, '').toUpperCase(),
    country: document.country.toUpperCase(),
  };
  return createHmac('sha256', key).update(canonicalize(normalised)!).digest('hex');
}

export class PartyService {
  constructor(
    private readonly ledger: LedgerClient,
    private readonly network: NetworkConfig,
    private readonly partyIdKey: string,
  ) {}

  async register(principal: Principal, input: RegisterPartyInput): Promise<Submitted<unknown>> {
    const { kind, verificationLevel, party: payload } = input;
    const partyId = pseudonymousPartyId(this.partyIdKey, payload.document);
    return this.ledger.submit(principal, 'party:register', [partyId, kind, verificationLevel], {
      transient: privateTransient(payload),
      endorsingOrganizations: [principal.mspId, this.network.customsMspId],
    });
  }

  async get(principal: Principal, partyId: string): Promise<unknown> {
    return this.ledger.evaluate(principal, 'party:get', [partyId]);
  }

  /** Kept in customs' own collection: only customs' peer holds it, so it alone endorses. */
  async setTrustedTrader(
    principal: Principal,
    partyId: string,
    trusted: boolean,
    reference: string,
  ): Promise<Submitted<unknown>> {
    return this.ledger.submit(principal, 'party:setTrustedTrader', [partyId, String(trusted), reference], {
      endorsingOrganizations: [this.network.customsMspId],
    });
  }

  async trustedTraders(principal: Principal): Promise<unknown> {
    return this.ledger.evaluate(principal, 'party:trustedTraders', []);
  }

  /**
   * Customs' note on a party, in its own collection: only customs' peer holds it, so it alone
   * endorses. The note travels as transient data, and the chaincode answers only the transaction.
   */
  async setWatchList(principal: Principal, partyId: string, note: FlagPayload): Promise<Submitted<unknown>> {
    return this.ledger.submit(principal, 'party:flagParty', [partyId], {
      transient: { payload: Buffer.from(JSON.stringify(note), 'utf8') },
      endorsingOrganizations: [this.network.customsMspId],
    });
  }

  /** Customs' note on a party (null when there is none), read on the party's access log. */
  async readWatchList(
    principal: Principal,
    partyId: string,
    purpose: Purpose,
  ): Promise<{ note: FlagRecord | null; accessTxId: string }> {
    const { value, accessTxId } = await recordedRead<FlagRecord | null>(
      this.ledger,
      principal,
      purpose,
      { fn: 'party:recordFlagRead', args: [partyId, purpose] },
      { fn: 'party:getFlag', args: [partyId] },
    );
    return { note: value, accessTxId };
  }

  /**
   * A platform's registration of a party with its identity data, read on the party's access log,
   * less what the purpose does not need (the chaincode minimises it). A platform reads its own
   * registrations only: another's is answered as one that does not exist, since telling them apart
   * would tell it whose customer the person is (party:get hides them for the same reason); the
   * chaincode would refuse it anyway.
   */
  async readRegistration(
    principal: Principal,
    partyId: string,
    platformMspId: string,
    purpose: Purpose,
  ): Promise<{ registration: PartyRegistration; payload: unknown; accessTxId: string }> {
    if (principal.orgRole === 'platform' && platformMspId !== principal.mspId) {
      throw new HttpProblem(404, `party ${partyId} is not registered by ${platformMspId}`);
    }
    const { value, accessTxId } = await recordedRead<
      PartyRegistration & { payload: unknown; saltSeed?: unknown }
    >(
      this.ledger,
      principal,
      purpose,
      { fn: 'party:recordRegistrationRead', args: [partyId, platformMspId, purpose] },
      { fn: 'party:getPrivateRecord', args: [partyId, platformMspId] },
    );
    const { payload, saltSeed: _seed, ...registration } = value;
    return { registration, payload, accessTxId };
  }
}
