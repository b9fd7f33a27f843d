import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import {
  DEFAULT_RULE_SET,
  DEFAULT_TARIFF_SET,
  recordsLocked,
  SERVICE_ROLE,
  type AssessmentRecord,
  type ConsignmentStatus,
  type NetworkConfig,
  type ReferralAnswer,
  type RuleSet,
  type SubmissionRecord,
  type TariffSet,
} from '@customs-ledger/chaincode';
import type { Principal } from '../auth/principal.js';
import { isRetryableConflict } from '../http/ledger-errors.js';
import type { EventHub } from './event-hub.js';
import type { LedgerClient } from './ledger-client.js';
import { privateTransient } from './private-payload.js';
import type { WriteResult } from './consignment-service.js';

/** Events after which a consignment may be ready for (another) assessment. */
const TRIGGERS = new Set(['RecordSubmitted', 'ReferralAnswered']);
/** Assessments at once: enough to keep the customs peer busy, few enough not to collide on hot keys. */
const WORKERS = 4;
/** Tries of one consignment's assessment when it keeps colliding with other transactions. */
const MAX_TRIES = 5;
const REQUIRED_RECORDS = ['order', 'payment', 'logistics'] as const;
export const AUTO_RELEASE_REASON = 'AUTO_RELEASE_GREEN_LANE';

/** Where the automatic pipeline is in the event stream (an event id of the hub). */
export interface EventCheckpoint {
  load(): Promise<string | undefined>;
  save(eventId: string): Promise<void>;
}

export interface AssessmentOutcome {
  readonly assessment: AssessmentRecord & { readonly status: ConsignmentStatus };
  /** The automatic release's transaction, when the assessment allowed one. */
  readonly automaticRelease?: string;
}

/**
 * Customs' side of the API, and the automatic pipeline: as soon as a consignment has order, payment
 * and logistics data (in whatever order they came, and again whenever a record changes or a referral
 * is answered), customs' service identity assesses it; when the assessment is releasable it records
 * the release, which the chaincode accepts from that identity on a releasable assessment only.
 */
export class CustomsService {
  private readonly serviceUser: Principal;
  private configured: Promise<void> | undefined;
  /** Consignments waiting or being assessed; 'again' when a trigger came during the assessment. */
  private readonly pending = new Map<string, 'queued' | 'running' | 'again'>();
  private readonly waiting: string[] = [];
  private running = 0;

  constructor(
    private readonly ledger: LedgerClient,
    private readonly network: NetworkConfig,
    private readonly logger: Logger,
  ) {
    this.serviceUser = {
      user: 'customs-service',
      mspId: network.customsMspId,
      orgRole: 'customs',
      role: SERVICE_ROLE,
      authMethod: 'api-key',
    };
  }

  /**
   * Follows the ledger's events until the hub closes, assessing consignments as they complete.
   * With a checkpoint it resumes after the last event it took, so records committed while customs'
   * gateway was down are assessed when it is back (an assessment cut short by a stop waits for its
   * consignment's next event). Resolves when the subscription has ended.
   */
  async follow(events: EventHub, checkpoint?: EventCheckpoint): Promise<void> {
    const stop = new AbortController();
    try {
      // The first time, "now" is fixed and kept at once: a stop before the first event must not
      // move it to a later "now" and skip what was committed meanwhile.
      let from = await checkpoint?.load();
      if (from === undefined) {
        from = await events.position({ signal: stop.signal });
        if (from === undefined) return;
        await checkpoint?.save(from);
      }
      const subscription = events.subscribe(this.serviceUser, { signal: stop.signal, lastEventId: from });
      for await (const event of subscription) {
        const id = event.data.consignmentId;
        if (TRIGGERS.has(event.event) && typeof id === 'string') this.enqueue(id);
        await checkpoint?.save(event.id);
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'customs event subscription ended');
    }
  }

  // ---------------------------------------------------------------- configuration

  async putRuleSet(principal: Principal, ruleSet: RuleSet): Promise<WriteResult<unknown>> {
    // The first rule set brings customs' secret; the defaults carry a fresh one.
    await this.ensureConfigured();
    return this.ledger.submit(principal, 'customs:putRuleSet', [], {
      transient: { ruleSet: json(ruleSet) },
      endorsingOrganizations: [this.network.customsMspId],
    });
  }

  async putTariffs(principal: Principal, tariffs: TariffSet): Promise<WriteResult<unknown>> {
    return this.ledger.submit(principal, 'customs:putTariffs', [], {
      transient: { tariffs: json(tariffs) },
      endorsingOrganizations: [this.network.customsMspId],
    });
  }

  async getRuleSet(principal: Principal, version = ''): Promise<unknown> {
    return this.ledger.evaluate(principal, 'customs:getRuleSet', [version]);
  }

  async getTariffs(principal: Principal, version = ''): Promise<unknown> {
    return this.ledger.evaluate(principal, 'customs:getTariffs', [version]);
  }

  /**
   * The demo's rule set and tariffs, with a fresh secret, on a ledger that has none: customs'
   * gateway does it at start, and any customs write does it first if that failed (ledger down);
   * customs replaces them through the API whenever it likes. Never rejects: a failure is logged
   * and tried again by the next write.
   */
  async configure(): Promise<void> {
    await this.ensureConfigured().catch((error: unknown) =>
      this.logger.warn({ err: error }, 'could not install the default customs configuration yet'),
    );
  }

  private ensureConfigured(): Promise<void> {
    this.configured ??= (async () => {
      if ((await this.getRuleSet(this.serviceUser)) === null) {
        await this.ledger.submit(this.serviceUser, 'customs:putRuleSet', [], {
          transient: {
            ruleSet: json(DEFAULT_RULE_SET),
            secret: Buffer.from(randomBytes(32).toString('hex')),
          },
          endorsingOrganizations: [this.network.customsMspId],
        });
        this.logger.info({ version: DEFAULT_RULE_SET.version }, 'installed the default customs rule set');
      }
      if ((await this.getTariffs(this.serviceUser)) === null) {
        await this.putTariffs(this.serviceUser, DEFAULT_TARIFF_SET);
        this.logger.info({ version: DEFAULT_TARIFF_SET.version }, 'installed the default tariff set');
      }
    })();
    this.configured.catch(() => (this.configured = undefined));
    return this.configured;
  }

  // ---------------------------------------------------------------- assessments

  /** Assesses now, as the principal, then releases automatically when the assessment allows it. */
  async assess(principal: Principal, id: string): Promise<AssessmentOutcome> {
    await this.ensureConfigured();
    // Only customs' peer holds all three records: it alone endorses.
    await this.ledger.submit(principal, 'customs:assess', [id], {
      endorsingOrganizations: [this.network.customsMspId],
    });
    return this.releaseIfAllowed(id);
  }

  async getAssessment(principal: Principal, id: string): Promise<AssessmentOutcome['assessment']> {
    return this.ledger.evaluate(principal, 'customs:getAssessment', [id]);
  }

  async getMatch(principal: Principal, id: string): Promise<unknown> {
    return this.ledger.evaluate(principal, 'customs:getMatch', [id]);
  }

  async workQueue(principal: Principal, filter: Record<string, unknown>): Promise<unknown> {
    return this.ledger.evaluate(principal, 'customs:workQueue', [JSON.stringify(filter)]);
  }

  async reconciliation(principal: Principal, filter: Record<string, unknown>): Promise<unknown> {
    return this.ledger.evaluate(principal, 'customs:reconciliation', [JSON.stringify(filter)]);
  }

  /** The answer is the trader's: transient data, to its collection with customs. */
  async answerReferral(
    principal: Principal,
    id: string,
    answer: ReferralAnswer,
  ): Promise<WriteResult<unknown>> {
    return this.ledger.submit(principal, 'customs:answerReferral', [id], {
      transient: privateTransient(answer),
      endorsingOrganizations: [principal.mspId, this.network.customsMspId],
    });
  }

  private async releaseIfAllowed(id: string): Promise<AssessmentOutcome> {
    const assessment = await this.getAssessment(this.serviceUser, id);
    if (!assessment.releasable) return { assessment };
    const { txId } = await this.ledger.submit(this.serviceUser, 'consignment:recordDecision', [
      id,
      JSON.stringify({ decision: 'release', reasonCodes: [AUTO_RELEASE_REASON] }),
    ]);
    return { assessment: { ...assessment, status: 'released' }, automaticRelease: txId };
  }

  // ---------------------------------------------------------------- the automatic pipeline

  private enqueue(id: string): void {
    const state = this.pending.get(id);
    if (state === 'running') this.pending.set(id, 'again');
    if (state !== undefined) return;
    this.pending.set(id, 'queued');
    this.waiting.push(id);
    this.drain();
  }

  private drain(): void {
    while (this.running < WORKERS && this.waiting.length > 0) {
      const id = this.waiting.shift()!;
      this.running++;
      this.pending.set(id, 'running');
      void this.process(id).finally(() => {
        this.running--;
        const again = this.pending.get(id) === 'again';
        this.pending.delete(id);
        if (again) this.enqueue(id);
        this.drain();
      });
    }
  }

  private async process(id: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const view = await this.ledger.evaluate<{
          consignment: { status: ConsignmentStatus };
          records: SubmissionRecord[];
        }>(this.serviceUser, 'consignment:get', [id]);
        const kinds = new Set(view.records.map((r) => r.kind));
        if (recordsLocked(view.consignment.status) || !REQUIRED_RECORDS.every((k) => kinds.has(k))) return;
        const { assessment, automaticRelease } = await this.assess(this.serviceUser, id);
        this.logger.debug(
          { consignmentId: id, number: assessment.number, automaticRelease },
          'consignment assessed',
        );
        return;
      } catch (error) {
        if (attempt < MAX_TRIES && isRetryableConflict(error)) continue;
        this.logger.warn({ err: error, consignmentId: id }, 'automatic assessment failed');
        return;
      }
    }
  }
}

function json(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value), 'utf8');
}
