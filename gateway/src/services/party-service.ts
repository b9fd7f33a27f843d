import { createHmac } from 'node:crypto';
import canonicalizeModule from 'canonicalize';
import type { NetworkConfig, PartyPayload } from '@customs-ledger/chaincode';
import type { Principal } from '../auth/principal.js';
import type { LedgerClient, Submitted } from './ledger-client.js';
import { privateTransient } from './private-payload.js';

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

  async setTrustedTrader(
    principal: Principal,
    partyId: string,
    trusted: boolean,
    reference: string,
  ): Promise<Submitted<unknown>> {
    return this.ledger.submit(principal, 'party:setTrustedTrader', [partyId, String(trusted), reference]);
  }
}
