import { defineRoute, type RouteDefinition } from '../http/route.js';
import { z } from '../http/openapi.js';
import type { EventHub } from '../services/event-hub.js';

const HEARTBEAT_MS = 15_000;

const EventsQuery = z.strictObject({
  lastEventId: z
    .string()
    .max(100)
    .optional()
    .openapi({ description: 'Resume after this event (as Last-Event-ID)' }),
  startBlock: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .openapi({ description: 'Replay from this block (0: from the beginning); default: new events only' }),
});

/** Chaincode events as Server-Sent Events, resumable with Last-Event-ID, filtered by organisation. */
export function eventRoutes(hub: EventHub): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/events',
      summary: 'Stream ledger events (Server-Sent Events)',
      description:
        'Each event has an id (`<block>:<transaction id>`); reconnecting with `Last-Event-ID` resumes after it with no gap and no duplicate. Customs and auditors see every event; traders see events about their own consignments.',
      tags: ['events'],
      roles: 'any',
      query: EventsQuery,
      responses: { 200: { description: 'text/event-stream of ledger events' } },
      stream: async ({ principal, query }, req, res) => {
        const controller = new AbortController();
        req.on('close', () => controller.abort());
        const events = hub.subscribe(principal, {
          lastEventId: req.get('Last-Event-ID') ?? query.lastEventId,
          startBlock: query.startBlock === undefined ? undefined : BigInt(query.startBlock),
          signal: controller.signal,
        });
        const iterator = events[Symbol.asyncIterator]();
        // Validate the checkpoint before committing to a 200 stream.
        let first = iterator.next();
        await Promise.race([first, new Promise((resolve) => setImmediate(resolve))]);
        res.writeHead(200, {
          'Content-Type': 'text/event-stream; charset=utf-8',
          'Cache-Control': 'no-cache',
          Connection: 'keep-alive',
          'X-Accel-Buffering': 'no',
        });
        res.write('retry: 2000\n\n');
        const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
        try {
          for (let step = await first; !step.done; step = await (first = iterator.next())) {
            const { id, event, data } = step.value;
            res.write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
          }
        } finally {
          clearInterval(heartbeat);
          res.end();
        }
      },
    }),
  ];
}
