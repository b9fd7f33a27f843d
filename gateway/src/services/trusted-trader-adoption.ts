import type { Logger } from 'pino';
import { ADOPTED_ALREADY, type NetworkConfig, type TrustedTraderAdoption } from '@customs-ledger/chaincode';
import { chaincodeMessage, GatewayError } from '../ledger/port.js';
import { customsServiceUser } from './customs-service.js';
import type { LedgerClient } from './ledger-client.js';

const RETRY_MS = 60_000;

/**
 * Chaincode before 1.12 kept a seller's trusted-trader status on the public state, where two other
 * organisations' peers could write one; since, assessments read customs' collection only. Customs'
 * gateway copies the public statuses there once (party:adoptTrustedTraders): at start and, while
 * that fails (the ledger down, the chaincode not upgraded yet, a conflict), again every minute.
 * Nothing waits for it: until it is made, a trusted seller is scored as any other, the safe side.
 */
export class PublicTrustedTraderAdoption {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly ledger: LedgerClient,
    private readonly network: NetworkConfig,
    private readonly logger: Logger,
    private readonly retryMs = RETRY_MS,
  ) {}

  /** Tries once, and on failure keeps trying in the background until stop(). Never rejects. */
  async start(): Promise<void> {
    if (this.stopped || (await this.tryOnce())) return;
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.start(), this.retryMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Whether the adoption is made, by this try or an earlier one (another gateway's included). */
  private async tryOnce(): Promise<boolean> {
    try {
      const { value } = await this.ledger.submit<TrustedTraderAdoption>(
        customsServiceUser(this.network),
        'party:adoptTrustedTraders',
        [],
        { endorsingOrganizations: [this.network.customsMspId] },
      );
      this.logger.info(
        { adopted: value.adopted.length, skipped: value.skipped, txId: value.txId },
        'adopted the public trusted-trader statuses of before chaincode 1.12 into customs’ collection (GET /v1/parties/trusted-traders lists them)',
      );
      return true;
    } catch (error) {
      if (error instanceof GatewayError && chaincodeMessage(error)?.startsWith(ADOPTED_ALREADY)) return true;
      this.logger.warn(
        { err: error, retryInMs: this.retryMs },
        'could not adopt the public trusted-trader statuses of before chaincode 1.12 yet: until then no seller is scored as trusted',
      );
      return false;
    }
  }
}
