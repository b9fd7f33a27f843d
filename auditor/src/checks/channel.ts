import {
  envelopeSigningBytes,
  type ConfigData,
  type TransactionEnvelope,
} from '../../../gateway/src/ledger/embedded/block.js';
import { endorsementFault, envelopeResponsePayload } from '../../../gateway/src/ledger/embedded/endorser.js';
import { certificateExpiry, verifySignature, wasIssuedBy } from '../../../gateway/src/ledger/embedded/msp.js';
import {
  configuredPolicies,
  type ValidationPolicies,
} from '../../../gateway/src/ledger/embedded/validator.js';

/** What the embedded ledger's configuration block records of the channel (writeGenesis). */
interface StoredConfig {
  readonly organisations: readonly { readonly mspId: string; readonly caCertificate: string }[];
  readonly endorsementPolicy: string;
  readonly collections: readonly { readonly name: string; readonly endorsementPolicy?: string }[];
}

/**
 * The channel as a configuration block on the chain defines it: which organisations it has, the
 * CA certificate of each (the only trust anchors an offline check has: the MSP directory beside
 * the ledger is the insider's to replace), and the endorsement policies the committer applied.
 */
export class ChannelConfig {
  /** Certificate checks by MSP and certificate bytes: a store has few identities and many transactions. */
  private readonly trusted = new Map<string, boolean>();

  private constructor(
    private readonly cas: ReadonlyMap<string, string>,
    readonly policies: ValidationPolicies,
  ) {}

  /** The configuration a config block holds; throws saying what is missing from it. */
  static of(data: ConfigData): ChannelConfig {
    const config = data.config as Partial<StoredConfig> | null;
    const organisations = config?.organisations;
    if (!Array.isArray(organisations) || organisations.length === 0) {
      throw new Error('the configuration block names no organisations');
    }
    if (typeof config?.endorsementPolicy !== 'string') {
      throw new Error('the configuration block holds no endorsement policy');
    }
    const cas = new Map(organisations.map((o) => [o.mspId, o.caCertificate]));
    const channel: ChannelConfig = new ChannelConfig(cas, {
      ...configuredPolicies(config.endorsementPolicy, [...cas.keys()], config.collections ?? []),
      isMemberIdentity: (mspId: string, certificate: string): boolean => channel.isMember(mspId, certificate),
    });
    return channel;
  }

  /**
   * Whether `certificate` was issued by the CA the configuration gives organisation `mspId`, as the
   * committer checked it: whatever the date, so that a check made years later finds what it did.
   */
  isMember(mspId: string, certificate: string): boolean {
    const key = `${mspId}\u0000${certificate}`;
    let ok = this.trusted.get(key);
    if (ok === undefined) {
      const ca = this.cas.get(mspId);
      ok = typeof ca === 'string' && typeof certificate === 'string' && wasIssuedBy(certificate, ca);
      this.trusted.set(key, ok);
    }
    return ok;
  }

  /**
   * What is wrong with the signatures of a stored transaction, each named: the creator's
   * certificate, its expiry by the transaction's time and its signature over the envelope, then each
   * endorsement's certificate and its signature over the proposal response payload. Empty when all
   * hold.
   */
  signatureFaults(envelope: TransactionEnvelope): string[] {
    const faults: string[] = [];
    const { mspId, certificate } = envelope.creator;
    if (!this.isMember(mspId, certificate)) {
      faults.push(`the creator's certificate is not issued by a CA of ${mspId} in the channel configuration`);
    } else if (expiredAt(certificate, envelope.timestamp)) {
      faults.push(
        `the creator's certificate had expired (at ${certificateExpiry(certificate)!.toISOString()}) by the transaction's time, ${envelope.timestamp}: ` +
          'no transaction is made with an expired identity',
      );
    } else if (
      !verifySignature(
        certificate,
        envelopeSigningBytes(envelope),
        Buffer.from(String(envelope.signature), 'base64'),
      )
    ) {
      faults.push(`the creator's signature (${mspId}) does not verify over the transaction envelope`);
    }
    const payload = envelopeResponsePayload(envelope);
    const isMember = (id: string, cert: string): boolean => this.isMember(id, cert);
    for (const [i, endorsement] of envelope.endorsements.entries()) {
      const fault = endorsementFault(payload, endorsement, isMember);
      if (fault) faults.push(`endorsement ${i}: ${fault}`);
    }
    return faults;
  }
}

/** Whether the certificate had expired by a transaction's (client) timestamp: the orderer refuses such a creator. */
function expiredAt(certificate: string, timestamp: string): boolean {
  const expiry = certificateExpiry(certificate);
  return expiry !== undefined && Date.parse(timestamp) > expiry.getTime();
}
