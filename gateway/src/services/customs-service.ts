import { randomBytes, randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import {
  DEFAULT_RULE_SET,
  DEFAULT_TARIFF_SET,
  describeAssessmentFailure,
  recordsLocked,
  SERVICE_ROLE,
  type AssessmentFailureCode,
  type AssessmentFailureReport,
  type AssessmentView,
  type ConsignmentStatus,
  type MatchView,
  type NetworkConfig,
  type QueuePage,
  type Purpose,
  type ReferralAnswer,
  type RemittanceInput,
  type RemittanceReceipt,
  type RemittanceRecord,
  type ReferralAnswerRecord,
  type RuleSet,
  type SubmissionRecord,
  type TariffSet,
} from '@customs-ledger/chaincode';
import type { Principal } from '../auth/principal.js';
import { problemFromLedgerError } from '../http/ledger-errors.js';
import type { HttpProblem } from '../http/problem.js';
import { isRetryableConflict } from '../ledger/port.js';
import type { PipelineState } from './customs-pipeline-state.js';
import type { EventHub } from './event-hub.js';
import { sleep, untilAborted } from '../signals.js';
import type { LedgerClient } from './ledger-client.js';
import { privateTransient } from './private-payload.js';
import { recordedRead } from './recorded-read.js';
import type { WriteResult } from './consignment-service.js';
import { KeyedWrite } from './keyed-write.js';

/** Events after which a consignment may be ready for (another) assessment. */
const TRIGGERS = new Set(['RecordSubmitted', 'ReferralAnswered']);
/** Consignments with a failed assessment listed at a time, when a configuration change retries them. */
const FAILED_PAGE = 200;
/** Assessments at once: enough to keep the customs peer busy, few enough not to collide on hot keys. */
const WORKERS = 4;
/** Tries of one consignment's assessment when it keeps colliding with other transactions. */
const MAX_TRIES = 5;
/** Pauses before a consignment the ledger could not take is tried again: doubling from the first. */
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 60_000;
/**
 * Tries in a row the ledger did not take before the failure is recorded for the officers (after
 * about 15 s of pauses): long enough for a conflict storm or a brief outage to pass, short enough
 * that a consignment whose assessment always times out does not wait unseen. It is still tried
 * again, every minute, and the record goes once an assessment succeeds.
 */
const RECORD_UNAVAILABLE_AFTER = 5;
/** Pauses before customs' subscription is opened again after it failed: doubling from the first. */
const RESUBSCRIBE_MIN_MS = 500;
const RESUBSCRIBE_MAX_MS = 30_000;
/**
 * How long, and for how many consignments, what an assessment that went through had read is kept
 * for the events still on their way: they follow the state by seconds under load, not minutes.
 */
const ANSWERED_KEPT = { max: 10_000, ttl: 5 * 60_000 } as const;
const REQUIRED_RECORDS = ['order', 'payment', 'logistics'] as const;

/** A record's kind and version, as a RecordSubmitted event names them. */
interface RecordVersion {
  readonly kind: string;
  readonly version: number;
}
/** A consignment's records, kind → version. */
type RecordVersions = ReadonlyMap<string, number>;

/** The record version a RecordSubmitted event announces; undefined for any other event. */
function recordOf(event: { event: string; data: Record<string, unknown> }): RecordVersion | undefined {
  const { kind, version } = event.data;
  return event.event === 'RecordSubmitted' && typeof kind === 'string' && typeof version === 'number'
    ? { kind, version }
    : undefined;
}
export const AUTO_RELEASE_REASON = 'AUTO_RELEASE_GREEN_LANE';

/** customs:readReferralAnswer: the answer's public record, the answer, and the read that let it out. */
export interface ReferralAnswerRead extends ReferralAnswerRecord {
  readonly answer: ReferralAnswer;
  readonly access: { readonly txId: string; readonly purpose: Purpose; readonly at: string };
}

/** Where the pipeline counts what operators watch (observability/metrics.ts). */
export interface PipelineObserver {
  assessmentFailed(code: AssessmentFailureCode): void;
}

export interface AssessmentOutcome {
  readonly assessment: AssessmentView;
  /** The automatic release's transaction, when the assessment allowed one. */
  readonly automaticRelease?: string;
}

/** Customs' service identity, as which its gateway acts on its own: only customs' gateway holds it. */
export function customsServiceUser(network: NetworkConfig): Principal {
  return {
    user: 'customs-service',
    mspId: network.customsMspId,
    orgRole: 'customs',
    role: SERVICE_ROLE,
    authMethod: 'api-key',
  };
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
  /**
   * Consignments in the pipeline: queued, being assessed, or waiting to be tried again after the
   * ledger could not take them.
   */
  private readonly pending = new Map<string, 'queued' | 'running' | 'waiting'>();
  /**
   * The triggers that came while a consignment was being assessed, each with the record version its
   * event announced (undefined: any change): weighed when the try ends (settle()), against what it
   * found.
   */
  private readonly cameWhileRunning = new Map<string, (RecordVersion | undefined)[]>();
  private readonly queue: string[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  /** Failures in a row by consignment, for the pause before the next try. */
  private readonly failures = new Map<string, number>();
  /** Consignments whose run of failures the ledger took a record of (LEDGER_UNAVAILABLE): once a run. */
  private readonly recordedUnavailable = new Set<string>();
  /**
   * Consignments whose last try ended without an answer (the ledger did not confirm a transaction,
   * or did not take one), with the key that try's transaction ids were derived from
   * (services/keyed-write.ts): the next try proposes the same transactions and, where one was
   * committed, is answered with it, so that an assessment or release that went through is not made a
   * second time. A trigger that comes meanwhile of something the try had not read (a record
   * changed) forgets it: the consignment is then assessed afresh.
   */
  private readonly unconfirmed = new Map<string, string>();
  /**
   * The record versions a consignment's try found ready (until it ends, and with its key while
   * unconfirmed: the first try's, which any committed one saw at least). The event of a version at
   * or below it is one that try already had, arriving late (events follow the state, under load by
   * seconds): it triggers nothing, or it would forget the key and assess a second time.
   */
  private readonly seen = new Map<string, RecordVersions>();
  /** The same of the consignments whose last try was assessed, for the events still to come. */
  private readonly answered = new LRUCache<string, RecordVersions>(ANSWERED_KEPT);
  /** The state of the pipeline while it follows; work starts only then. */
  private state: PipelineState | undefined;
  private following = false;

  constructor(
    private readonly ledger: LedgerClient,
    private readonly network: NetworkConfig,
    private readonly logger: Logger,
    private readonly observer?: PipelineObserver,
  ) {
    this.serviceUser = customsServiceUser(network);
  }

  /**
   * Follows the ledger's events until the hub closes, assessing consignments as they complete.
   * With a state it resumes where it stopped: after the last event it took, and with the
   * consignments it had taken but not dealt with (queued, being assessed, or waiting to be tried
   * again after the ledger could not take them), so nothing committed while customs' gateway was
   * down or busy is missed. A failed subscription is opened again, with backoff, from the last
   * event taken. Resolves when the hub has closed and the assessments in progress have settled.
   */
  async follow(events: EventHub, state?: PipelineState): Promise<void> {
    this.state = state;
    this.following = true;
    try {
      let saved: { readonly position?: string; readonly pending: readonly string[] } = { pending: [] };
      if (state) {
        const origin = await events.ledgerOrigin();
        if (origin === undefined) return;
        saved = await state.load(origin);
      }
      for (const id of saved.pending) this.enqueue(id);
      // The first time, "now" is fixed and kept at once: a stop before the first event must not
      // move it to a later "now" and skip what was committed meanwhile.
      let position = saved.position;
      if (position === undefined) {
        position = await events.position({ signal: events.closing });
        if (position === undefined) return;
        await state?.advance(position);
      }
      let pause = RESUBSCRIBE_MIN_MS;
      while (!events.closing.aborted) {
        try {
          const subscription = events.subscribe(this.serviceUser, {
            signal: events.closing,
            lastEventId: position,
          });
          for await (const event of subscription) {
            const ids = await this.triggeredBy(event);
            const record = recordOf(event);
            // In memory first, then in the store: see settle() for why the order matters.
            const taken = ids.filter((id) => this.trigger(id, record));
            await state?.advance(event.id, taken);
            position = event.id;
            pause = RESUBSCRIBE_MIN_MS;
          }
          // Only the hub closing ends it for good; anything else (the ledger closed first) is a failure.
          if (!events.closing.aborted) throw new Error('customs event subscription ended');
        } catch (error) {
          this.logger.warn({ err: error, retryInMs: pause }, 'customs event subscription failed');
          await untilAborted(sleep(pause), events.closing);
          pause = Math.min(pause * 2, RESUBSCRIBE_MAX_MS);
        }
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'customs pipeline could not read or keep its state');
    } finally {
      await this.stopFollowing();
    }
  }

  /**
   * The consignments an event gives the pipeline to assess: the one whose records or referral
   * answers it brings; on a change of customs' configuration (a rule set, tariffs), every one whose
   * assessment failed, since the change may be what it was waiting for (a missing currency rate).
   * A failure to list them fails the subscription, which takes the event again.
   */
  private async triggeredBy(event: { event: string; data: Record<string, unknown> }): Promise<string[]> {
    const id = event.data.consignmentId;
    if (TRIGGERS.has(event.event) && typeof id === 'string') return [id];
    if (event.event !== 'CustomsConfigChanged') return [];
    const failed: string[] = [];
    for (let offset = 0; ; offset += FAILED_PAGE) {
      const page = (await this.workQueue(this.serviceUser, {
        reason: 'ASSESSMENT_FAILED',
        offset,
        limit: FAILED_PAGE,
      })) as QueuePage;
      failed.push(...page.items.map((item) => item.consignmentId));
      if (page.items.length < FAILED_PAGE) return failed;
    }
  }

  /** Lets the assessments in progress finish; what is queued or waiting stays on the stored list. */
  private async stopFollowing(): Promise<void> {
    this.following = false;
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
    await Promise.all(this.inFlight);
    this.queue.length = 0;
    this.pending.clear();
    this.failures.clear();
    this.recordedUnavailable.clear();
    this.unconfirmed.clear();
    this.seen.clear();
    this.answered.clear();
    this.cameWhileRunning.clear();
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
    return this.releaseIfAllowed(id, principal);
  }

  async getAssessment(principal: Principal, id: string): Promise<AssessmentOutcome['assessment']> {
    return this.ledger.evaluate(principal, 'customs:getAssessment', [id]);
  }

  /**
   * A referral answer's text, read for a purpose: the access record (customs:recordReferralAnswerRead)
   * commits first, and the chaincode hands the answer only to the user whose committed read names it
   * (customs:readReferralAnswer). A refused read (no such answer, erased, a purpose customs does not
   * have) records nothing.
   */
  async readReferralAnswer(
    principal: Principal,
    id: string,
    answerTxId: string,
    purpose: Purpose,
  ): Promise<ReferralAnswerRead> {
    const { value } = await recordedRead<ReferralAnswerRead>(
      this.ledger,
      principal,
      purpose,
      { fn: 'customs:recordReferralAnswerRead', args: [id, answerTxId, purpose] },
      { fn: 'customs:readReferralAnswer', args: [id, answerTxId] },
    );
    return value;
  }

  async getMatch(principal: Principal, id: string): Promise<MatchView> {
    return this.ledger.evaluate(principal, 'customs:getMatch', [id]);
  }

  async getCollectionInstruction(principal: Principal, id: string): Promise<unknown> {
    return this.ledger.evaluate(principal, 'customs:getCollectionInstruction', [id]);
  }

  async workQueue(principal: Principal, filter: Record<string, unknown>): Promise<unknown> {
    return this.ledger.evaluate(principal, 'customs:workQueue', [JSON.stringify(filter)]);
  }

  async reconciliation(principal: Principal, filter: Record<string, unknown>): Promise<unknown> {
    return this.ledger.evaluate(principal, 'customs:reconciliation', [JSON.stringify(filter)]);
  }

  /**
   * The amounts are the platform's business: transient data, to its collection with customs. The
   * chaincode answers public facts only (its answer is in the block); the remittance recorded is
   * those and what was sent.
   */
  async recordRemittance(
    principal: Principal,
    remittance: RemittanceInput,
  ): Promise<WriteResult<RemittanceRecord>> {
    const { value, txId } = await this.ledger.submit<RemittanceReceipt>(
      principal,
      'customs:recordRemittance',
      [],
      {
        transient: privateTransient(remittance),
        endorsingOrganizations: [principal.mspId, this.network.customsMspId],
      },
    );
    return { value: { ...remittance, ...value }, txId };
  }

  async remittances(principal: Principal, filter: Record<string, unknown>): Promise<unknown> {
    return this.ledger.evaluate(principal, 'customs:remittances', [JSON.stringify(filter)]);
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

  /**
   * The release that follows a releasable assessment, by customs' service identity. Part of the
   * request that asked for the assessment: under its Idempotency-Key (a retry whose answer was
   * lost meets the release already made, not a second one the chaincode would refuse).
   */
  private async releaseIfAllowed(id: string, requester: Principal): Promise<AssessmentOutcome> {
    const assessment = await this.getAssessment(this.serviceUser, id);
    if (!assessment.releasable) return { assessment };
    const releaser = requester.keyedWrite
      ? { ...this.serviceUser, keyedWrite: requester.keyedWrite }
      : this.serviceUser;
    try {
      const { txId } = await this.ledger.submit(releaser, 'consignment:recordDecision', [
        id,
        JSON.stringify({ decision: 'release', reasonCodes: [AUTO_RELEASE_REASON] }),
      ]);
      return { assessment: { ...assessment, status: 'released' }, automaticRelease: txId };
    } catch (error) {
      const refusal = refusalOf(error);
      if (refusal === undefined || !changedSinceAssessment(refusal)) throw error;
      // The consignment changed between the assessment and its release (a record corrected, an
      // officer's decision), and the chaincode releases on neither: the assessment stands, not
      // released. A changed record brings the consignment back to the pipeline (trigger).
      this.logger.info(
        { consignmentId: id, reason: refusal.detail },
        'automatic release refused: the consignment changed after its assessment',
      );
      return { assessment };
    }
  }

  // ---------------------------------------------------------------- the automatic pipeline

  /**
   * An event that may change the assessment: the consignment is assessed afresh, as it now is,
   * unless the event is of a record version its current, unconfirmed or last assessed try already
   * had. Whether the consignment is in the pipeline after it (to be kept on the stored list).
   */
  private trigger(id: string, record?: RecordVersion): boolean {
    if (this.pending.get(id) === 'running') {
      // Whether the running try had it is known once it has read its records: at its end.
      this.cameWhileRunning.set(id, [...(this.cameWhileRunning.get(id) ?? []), record]);
      return true;
    }
    if (this.hadAlready(id, record)) return this.pending.has(id);
    this.unconfirmed.delete(id);
    this.seen.delete(id);
    this.answered.delete(id);
    this.enqueue(id);
    return true;
  }

  /** Whether the consignment's current, unconfirmed or last assessed try found this record version or a later one. */
  private hadAlready(id: string, record: RecordVersion | undefined): boolean {
    const had = record && (this.seen.get(id) ?? this.answered.get(id))?.get(record.kind);
    return record !== undefined && had !== undefined && record.version <= had;
  }

  private enqueue(id: string): void {
    const stage = this.pending.get(id);
    if (stage !== undefined && stage !== 'waiting') return;
    // A new trigger for a consignment waiting to be tried again: now, then.
    clearTimeout(this.retryTimers.get(id));
    this.retryTimers.delete(id);
    this.pending.set(id, 'queued');
    this.queue.push(id);
    this.drain();
  }

  private drain(): void {
    while (this.following && this.inFlight.size < WORKERS && this.queue.length > 0) {
      const id = this.queue.shift()!;
      this.pending.set(id, 'running');
      const work = this.process(id).then((outcome) => this.settle(id, outcome));
      this.inFlight.add(work);
      void work.finally(() => {
        this.inFlight.delete(work);
        this.drain();
      });
    }
  }

  /**
   * After a consignment's turn: again at once if a trigger of something it had not read came
   * meanwhile; later if the ledger could not take it; else off the stored list. The stored list is
   * only ever shortened here, after the turn, and a trigger is in memory (cameWhileRunning, or the
   * queue) before the store (advance), whose writes keep their order: so a trigger that arrives as
   * a turn ends is never lost between the two.
   */
  private settle(id: string, outcome: 'done' | 'retry'): void {
    const again = (this.cameWhileRunning.get(id) ?? []).some((record) => !this.hadAlready(id, record));
    this.cameWhileRunning.delete(id);
    // A try that ended in an answer: what it read stays for the events still to come.
    const read = this.seen.get(id);
    if (!this.unconfirmed.has(id)) {
      this.seen.delete(id);
      if (read !== undefined && outcome === 'done') this.answered.set(id, read);
    }
    this.pending.delete(id);
    if (again) {
      this.trigger(id);
      return;
    }
    if (outcome === 'retry') {
      const failures = (this.failures.get(id) ?? 0) + 1;
      this.failures.set(id, failures);
      // After a stop it is still on the stored list, and tried at the next start.
      if (!this.following) return;
      this.pending.set(id, 'waiting');
      const pause = Math.min(RETRY_MIN_MS * 2 ** (failures - 1), RETRY_MAX_MS);
      this.retryTimers.set(
        id,
        setTimeout(() => {
          this.retryTimers.delete(id);
          this.pending.delete(id);
          this.enqueue(id);
        }, pause),
      );
      return;
    }
    this.failures.delete(id);
    this.recordedUnavailable.delete(id);
    this.state
      ?.done(id)
      .catch((error: unknown) =>
        this.logger.warn({ err: error, consignmentId: id }, 'could not take a consignment off customs’ list'),
      );
  }

  /**
   * Assesses a consignment if it is ready, and releases it when the assessment allows. 'retry' when
   * the ledger could not take it now (unavailable, timed out, still colliding); a refusal is an
   * answer, and ends its turn: the records were not ready after all, or the assessment failed and
   * its failure is on the ledger for the officers (see failed()).
   */
  private async process(id: string): Promise<'done' | 'retry'> {
    for (let attempt = 1; ; attempt++) {
      const key = this.unconfirmed.get(id) ?? randomUUID();
      this.unconfirmed.delete(id);
      const assessor = { ...this.serviceUser, keyedWrite: new KeyedWrite(this.serviceUser, key, id) };
      try {
        const records = await this.ready(id);
        if (records === undefined) return 'done';
        if (!this.seen.has(id)) this.seen.set(id, records);
        const { assessment, automaticRelease } = await this.assess(assessor, id);
        this.logger.debug(
          { consignmentId: id, number: assessment.number, automaticRelease },
          'consignment assessed',
        );
        return 'done';
      } catch (error) {
        // Until a try ends in an answer (a refusal, or a conflict: committed invalid), the next one
        // proposes the same transactions, so that whatever of this one reached the ledger is found
        // there, not made again.
        if (refusalOf(error) === undefined && !isRetryableConflict(error)) this.unconfirmed.set(id, key);
        if (attempt < MAX_TRIES && isRetryableConflict(error)) {
          // Proposed afresh: what it finds is the next attempt's.
          this.seen.delete(id);
          continue;
        }
        return this.failed(id, error);
      }
    }
  }

  /**
   * The versions of the consignment's records when it has what an assessment needs (order, payment
   * and logistics, records not final); undefined when it does not.
   */
  private async ready(id: string): Promise<RecordVersions | undefined> {
    const view = await this.ledger.evaluate<{
      consignment: { status: ConsignmentStatus };
      records: SubmissionRecord[];
    }>(this.serviceUser, 'consignment:get', [id]);
    const versions: RecordVersions = new Map(view.records.map((r) => [r.kind, r.version]));
    const ready = !recordsLocked(view.consignment.status) && REQUIRED_RECORDS.every((k) => versions.has(k));
    return ready ? versions : undefined;
  }

  /**
   * After a try that failed. A refusal of a consignment still ready is an assessment that cannot
   * be made (an exception in the chaincode, a stored value it cannot read, a configuration it cannot
   * apply): tried again it fails again, so it is recorded for the officers, and the next record
   * change, referral answer or officer's assessment tries again. A refusal of one no longer ready (a
   * decision came meanwhile) is an answer. The rest, the ledger not taking it, is tried again with
   * backoff, and recorded too after RECORD_UNAVAILABLE_AFTER tries in a row.
   */
  private async failed(id: string, error: unknown): Promise<'done' | 'retry'> {
    const refusal = refusalOf(error);
    if (refusal === undefined) {
      const tries = (this.failures.get(id) ?? 0) + 1;
      this.logger.warn(
        { err: error, consignmentId: id, tries },
        'automatic assessment failed; it will be tried again',
      );
      if (tries >= RECORD_UNAVAILABLE_AFTER && !this.recordedUnavailable.has(id)) {
        const message = problemFromLedgerError(error)?.detail ?? String(error);
        const report = { cause: 'unavailable', message } as const;
        if (await this.recordFailure(id, report)) this.recordedUnavailable.add(id);
      }
      return 'retry';
    }
    let stillReady: boolean;
    try {
      stillReady = (await this.ready(id)) !== undefined;
    } catch {
      return 'retry';
    }
    if (!stillReady) {
      this.logger.info({ consignmentId: id }, 'automatic assessment refused: records not ready or final');
      return 'done';
    }
    // Refused, not assessed: on a peer behind the one ready() read, perhaps; what it read vouches for nothing.
    this.seen.delete(id);
    return (await this.recordFailure(id, { cause: 'refused', message: refusal.detail })) ? 'done' : 'retry';
  }

  /**
   * Logs and counts a failed assessment, and records it on the ledger (customs:recordAssessmentFailure)
   * so that the consignment waits in the officers' queue. False when the ledger did not take the
   * record: the consignment stays on the pipeline's stored list and is tried again.
   *
   * Why the ledger and not this gateway's store: the queue is the ledger's (customs:workQueue, from
   * customs' collection), so every customs gateway and console sees the failure; the chaincode itself
   * then refuses an automatic release while it stands; and the seal's history shows auditors that
   * customs knew, as it shows every assessment. Only the error's code and a reason free of personal
   * data are kept (domain/assessment-failure.ts), and only they are logged: an officer's on-demand
   * assessment shows the chaincode's own words.
   */
  private async recordFailure(id: string, report: AssessmentFailureReport): Promise<boolean> {
    const { code, reason } = describeAssessmentFailure(report);
    this.observer?.assessmentFailed(code);
    this.logger.error(
      { consignmentId: id, code, reason },
      'automatic assessment failed: the consignment waits for an officer',
    );
    try {
      await this.ledger.submit(this.serviceUser, 'customs:recordAssessmentFailure', [id], {
        transient: { failure: json(report) },
        endorsingOrganizations: [this.network.customsMspId],
      });
      return true;
    } catch (error) {
      this.logger.warn(
        { consignmentId: id, code, error: problemFromLedgerError(error)?.status ?? 'unavailable' },
        'could not record a failed assessment; it will be tried again',
      );
      return false;
    }
  }
}

function json(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/**
 * The chaincode's refusals of an automatic release on an assessment the consignment has moved past:
 * its records changed or a decision was recorded since (domain/customs.ts automaticDecisionRefusal),
 * or its status no longer takes a release (409: an officer released or seized it meanwhile).
 */
const CHANGED_SINCE_ASSESSMENT = /: (records changed|a customs decision was recorded) since assessment \d+/;

function changedSinceAssessment(refusal: HttpProblem): boolean {
  return refusal.status === 409 || CHANGED_SINCE_ASSESSMENT.test(refusal.detail);
}

/** The chaincode's refusal (a 4xx problem); undefined when the ledger did not take the transaction now. */
function refusalOf(error: unknown): HttpProblem | undefined {
  const problem = problemFromLedgerError(error);
  return problem !== undefined && problem.status < 500 && !isRetryableConflict(error) ? problem : undefined;
}
