import { expect } from 'vitest';
import type { TestGateway } from './gateway.js';

export interface SseEvent {
  id: string;
  event: string;
  data: Record<string, unknown>;
}

/**
 * Reads Server-Sent Events from /v1/events over real HTTP as a demo user, from block 0 or after
 * `lastEventId`, until `count` events or the timeout.
 */
export function readSse(
  t: TestGateway,
  user: string,
  count: number,
  lastEventId?: string,
  timeoutMs = 10_000,
): Promise<SseEvent[]> {
  return readSseUntil(t, user, (events) => events.length >= count, lastEventId, timeoutMs);
}

/** Like readSse, until the events read so far are `enough`, or the timeout. */
export async function readSseUntil(
  t: TestGateway,
  user: string,
  enough: (events: readonly SseEvent[]) => boolean,
  lastEventId?: string,
  timeoutMs = 10_000,
): Promise<SseEvent[]> {
  const key = t.gateway.credentials.find((c) => c.user === user)!.apiKey;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const response = await fetch(`${t.gateway.url}/v1/events${lastEventId ? '' : '?startBlock=0'}`, {
    headers: { Authorization: `Bearer ${key}`, ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}) },
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of response.body!) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = Object.fromEntries(
          block
            .split('\n')
            .filter((line) => !line.startsWith(':') && line.includes(':'))
            .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trimStart()]),
        );
        if (fields.data !== undefined && fields.id !== undefined) {
          events.push({ id: fields.id, event: fields.event ?? 'message', data: JSON.parse(fields.data) });
        }
        if (enough(events)) {
          controller.abort();
          return events;
        }
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
  }
  return events;
}

/**
 * Opens /v1/events as a demo user with no position, reads the stream's opening up to its position
 * (the first `id:` frame) and closes it: what a client that drops before any event has been told.
 */
export async function openingFrame(t: TestGateway, user: string): Promise<string> {
  const key = t.gateway.credentials.find((c) => c.user === user)!.apiKey;
  const controller = new AbortController();
  const response = await fetch(`${t.gateway.url}/v1/events`, {
    headers: { Authorization: `Bearer ${key}` },
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let opening = '';
  const position = /^id: .*\n\n/m;
  let match: RegExpExecArray | null;
  while (!(match = position.exec(opening))) opening += (await reader.read()).value ?? '';
  controller.abort();
  return opening.slice(0, match.index + match[0].length);
}
