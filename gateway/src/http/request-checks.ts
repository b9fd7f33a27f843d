import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { HttpProblem } from './problem.js';

/**
 * How deep a request body may nest arrays and objects (the top level is 1). The deepest body the
 * API takes (a batch's order, its lines, their fields) is under ten; code that walks a body
 * recursively (the Idempotency-Key's canonical hash, JSON.stringify for the chaincode) ran out of
 * stack on fields that take any JSON, from a depth of about 10,000, and answered 500.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether a parsed JSON value nests deeper than `max`; iterative, so that it never recurses itself. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [node, depth] = next;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Right after the body parser: a body nested deeper than MAX_JSON_DEPTH goes no further. */
export const refuseDeepJson: RequestHandler = (req, _res, next) => {
  if (nestsDeeperThan(req.body, MAX_JSON_DEPTH)) {
    next(new HttpProblem(400, `request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`));
    return;
  }
  next();
};

/**
 * The body parser's `verify`, which sees the charset it is about to decode with: it takes any
 * UTF-*, but JSON between systems is UTF-8 (RFC 8259 §8.1), and a body declared UTF-16 was decoded
 * to garbage and refused as not valid JSON. Refused as the unsupported charset it is (problem.ts).
 */
export function utf8Only(_req: IncomingMessage, _res: unknown, _body: Buffer, charset: string): void {
  if (charset === 'utf-8') return;
  throw Object.assign(new Error(`unsupported charset ${charset}`), {
    status: 415,
    type: 'charset.unsupported',
  });
}

/**
 * How many times a header was sent. Node keeps the first of some repeated headers (Authorization)
 * and joins others with ', ' (Idempotency-Key): a proxy in front that reads another of them would
 * act on a different value than the gateway.
 */
export function headerCount(req: IncomingMessage, name: string): number {
  let count = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]!.toLowerCase() === name) count += 1;
  }
  return count;
}
