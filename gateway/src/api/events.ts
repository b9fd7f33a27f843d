import { once } from 'node:events';
import type { Response } from 'express';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { z } from '../http/openapi.js';
import { CLOCK_TOLERANCE_SECONDS } from '../auth/jwt.js';
import type { Principal } from '../auth/principal.js';
import type { EventHub } from '../services/event-hub.js';
import { jsonText } from '../http/json.js';
import { HttpProblem } from '../http/problem.js';
import { NumberParam } from './schemas.js';
import { linkedSignal } from '../signals.js';

export interface EventRoutesOptions {
  /** Streams one user (organisation and user name) may hold open at once; past it, 429. */
  readonly streamsPerUser: number;
  /** Interval of the comment lines that keep proxies from closing an idle stream (default 15 s). */
  readonly heartbeatMs?: number;
  /**
   * How long a client may leave the socket's buffer full before the stream is ended (default 30 s);
   * the client reconnects with Last-Event-ID and loses nothing, and the gateway holds no backlog.
   */
  readonly slowClientMs?: number;
  /** Whether the credential a stream was opened with is still accepted: asked before each event and heartbeat. */
  readonly stillAccepts: (principal: Principal) => boolean;
}

/** What a user holding all the streams it may is told to wait before trying again, in seconds. */
const STREAMS_RETRY_AFTER_S = 30;
/** What the client's EventSource waits before reconnecting, in milliseconds. */
const RETRY_MS = 2000;
/** Reads of the chain height for a stream's position before it ends (7.5 s of the hub's backoff between them). */
const POSITION_ATTEMPTS = 5;
/** The longest delay setTimeout keeps (about 24.8 days); a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const EventsQuery = z.strictObject({
  lastEventId: z.string().max(100).optional().openapi({
    description:
      'Resume after this event id (or from the start of a block, for a block number alone), for clients that reconnect by URL; the Last-Event-ID header takes precedence.',
  }),
  startBlock: NumberParam({
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    description:
      'Without Last-Event-ID: replay from this block (0: from the beginning). Default: only events committed from now on.',
  }).optional(),
});

const DESCRIPTION = `Server-Sent Events (\`text/event-stream\`) of the ledger's chaincode events, in commit order.

The stream starts with \`retry: ${RETRY_MS}\`, then \`id: <position>\` (no event): where the stream starts, the block number it starts at (the next block to be committed unless \`startBlock\` says otherwise) or the Last-Event-ID it resumes from. A client that loses the stream before any event resumes from there; EventSource does so by itself. When the ledger does not answer, the stream ends after \`retry:\` alone, within seconds, and the client reconnects. Each event is \`id: <block>:<transaction id>\`, \`event: <chaincode event name>\` (ConsignmentCreated, RecordSubmitted, MovementRecorded, DecisionRecorded, PartyRegistered, PersonalDataAccessed, …) and \`data: <the event's JSON payload>\` (less what the caller's role may not see, as on GET /v1/consignments/{id}: customs' reason codes are for customs alone; order, tracking and payment ids are not for auditors); a comment line (heartbeat) is sent every 15 seconds.

Reconnecting with the \`Last-Event-ID\` header (or the \`lastEventId\` query parameter) resumes right after that event (or at the start of that block, for a block number), with no gap and no duplicate; a malformed id is refused with 400. A stream opened with a JWT ends when that token expires (its \`exp\` plus ${CLOCK_TOLERANCE_SECONDS} seconds of clock tolerance), and one opened with an API key when the key expires, or by the next heartbeat after it is revoked, so reconnecting needs a valid credential: the expired or revoked one is refused with 401. Customs and auditors see every event; any other organisation sees the events of consignments it takes part in (created, or submitted one of their records), among them every read of their personal data (PersonalDataAccessed, as the consignment's access log lists it; a party's registrant sees its own reads of the party only), a carrier named for a return the events of that return from its request on, and events naming its own organisation.

A user may hold a number of streams open at once (the gateway's EVENT_STREAMS_PER_USER, 16 unless set otherwise); one more is refused with 429 and Retry-After until one of them closes.`;

/** Chaincode events as Server-Sent Events, resumable with Last-Event-ID, filtered by organisation. */
export function eventRoutes(hub: EventHub, options: EventRoutesOptions): RouteDefinition[] {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const slowClientMs = options.slowClientMs ?? 30_000;
  /** Open streams by user. */
  const open = new Map<string, number>();
  return [
    defineRoute({
      method: 'get',
      path: '/v1/events',
      summary: 'Stream ledger events (Server-Sent Events)',
      description: DESCRIPTION,
      tags: ['events'],
      roles: 'any',
      query: EventsQuery,
      responses: {
        200: {
          description:
            'Content-Type: text/event-stream. First `retry: <ms>`, then `id: <position>` alone (where the stream starts; the stream ends before it if the ledger does not answer); then events, each `id: <block>:<transaction id>`, `event: <name>`, `data: <JSON payload>`; frames are separated by a blank line; comment lines (`: …`) are heartbeats.',
        },
      },
      stream: async ({ principal, query }, req, res) => {
        // The rate limit counts a stream once, however long it stays open: each user has a number
        // of them, freed as its streams close, however they end.
        const user = `${principal.mspId}/${principal.user}`;
        const held = open.get(user) ?? 0;
        if (held >= options.streamsPerUser) {
          throw new HttpProblem(
            429,
            `${user} has ${held} event streams open, as many as one user may (EVENT_STREAMS_PER_USER): close one first`,
            { headers: { 'Retry-After': String(STREAMS_RETRY_AFTER_S) } },
          );
        }
        open.set(user, held + 1);
        res.once('close', () => {
          const left = (open.get(user) ?? 1) - 1;
          if (left === 0) open.delete(user);
          else open.set(user, left);
        });
        const controller = new AbortController();
        const stop = (): void => controller.abort();
        // The response's 'close' fires when the client goes away (or the response ends).
        req.on('close', stop);
        res.on('close', stop);
        // A malformed Last-Event-ID throws 400 here, before anything is sent. The position is sent
        // first, as the stream's id: a client that loses the stream before its first event resumes
        // from there, not from a later "now". Reading the chain height for it waits out a ledger
        // that does not answer for a while, behind heartbeats; then the stream ends, and the
        // client reconnects (a ledger thread that stopped never answers again).
        const position = hub.position({
          lastEventId: req.get('Last-Event-ID') ?? query.lastEventId,
          startBlock: query.startBlock === undefined ? undefined : BigInt(query.startBlock),
          signal: controller.signal,
          attempts: POSITION_ATTEMPTS,
        });
        res.writeHead(200, {
          'Content-Type': 'text/event-stream',
          'Cache-Control': 'no-cache',
          'X-Accel-Buffering': 'no',
          Connection: 'keep-alive',
        });
        res.write(`retry: ${RETRY_MS}\n\n`);
        // A revoked API key's stream delivers nothing more and ends by the next heartbeat at the
        // latest, as does a stream whose credential expired; its reconnection is refused.
        const heartbeat = setInterval(() => {
          if (options.stillAccepts(principal)) res.write(': heartbeat\n\n');
          else stop();
        }, heartbeatMs);
        // The credential was checked when the stream opened: it must not deliver past its expiry (a
        // JWT's, or an API key's). One valid for longer than a timer can wait ends its stream early;
        // the client resumes.
        const expiry =
          principal.expiresAt === undefined
            ? undefined
            : setTimeout(stop, Math.min(principal.expiresAt - Date.now(), MAX_TIMER_MS));
        try {
          const from = await position;
          if (from === undefined) return;
          res.write(`id: ${from}\n\n`);
          const events = hub.subscribe(principal, { lastEventId: from, signal: controller.signal });
          for await (const { id, event, data } of events) {
            if (!options.stillAccepts(principal)) break;
            // JSON has no raw line breaks; the name is the chaincode's, so it is kept to one line too.
            const name = event.replace(/[\r\n]/g, '');
            const frame = `id: ${id}\nevent: ${name}\ndata: ${jsonText(data)}\n\n`;
            if (!res.write(frame) && !(await drained(res, controller.signal, slowClientMs))) break;
          }
        } finally {
          clearInterval(heartbeat);
          clearTimeout(expiry);
          req.off('close', stop);
          res.off('close', stop);
          controller.abort();
          if (!res.writableEnded) res.end();
        }
      },
    }),
  ];
}

/** Waits for the socket's buffer to drain; false when the client left or was too slow. */
async function drained(res: Response, signal: AbortSignal, timeoutMs: number): Promise<boolean> {
  if (signal.aborted) return false;
  const waiting = linkedSignal(signal, AbortSignal.timeout(timeoutMs));
  try {
    await once(res, 'drain', { signal: waiting.signal });
    return true;
  } catch {
    return false;
  } finally {
    waiting.release();
  }
}
