import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { createScanner, SyntaxKind } from 'jsonc-parser';
import { escapePointerToken } from '@customs-ledger/chaincode';
import { HttpProblem } from './problem.js';

/**
 * How deep a request body may nest arrays and objects (the top level is 1). The deepest body the
 * API takes (a batch's order, its lines, their fields) is under ten; code that walks a body
 * recursively (the Idempotency-Key's canonical hash, JSON.stringify for the chaincode) ran out of
 * stack on fields that take any JSON, from a depth of about 10,000, and answered 500.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * What JSON.parse lets through that no field of the API may hold, first found: nesting deeper than
 * MAX_JSON_DEPTH; a string, or a field name, that is not well-formed UTF-16 (a lone surrogate such
 * as "\ud800", valid JSON but no text: stored, it is served back as JSON strict parsers and UTF-8
 * encoders refuse); and the field name __proto__, which JSON.parse keeps as a field but copying
 * into an object (a record's keys, a spread) turns into a prototype, silently dropped. Iterative,
 * so that it never recurses itself.
 */
export function jsonBodyProblem(body: unknown): string | undefined {
  // Where each node is, as its parent's place and its own name: a pointer is spelled only for a
  // problem, not for every field of a large batch.
  interface Place {
    readonly parent?: Place;
    readonly name: string;
  }
  const pointer = (place: Place | undefined): string =>
    place === undefined ? '/body' : `${pointer(place.parent)}/${escapePointerToken(place.name)}`;
  const stack: [unknown, Place | undefined, number][] = [[body, undefined, 1]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [node, place, depth] = next;
    if (typeof node === 'string') {
      if (LONE_SURROGATE.test(node)) return `${pointer(place)}: the string holds ${NO_TEXT}`;
      continue;
    }
    if (typeof node !== 'object' || node === null) continue;
    if (depth > MAX_JSON_DEPTH) {
      return TOO_DEEP;
    }
    for (const [name, child] of Object.entries(node)) {
      if (LONE_SURROGATE.test(name)) return `${pointer(place)}: a field name holds ${NO_TEXT}`;
      const at = { parent: place, name };
      if (name === '__proto__') return `${pointer(at)}: the field name __proto__ is not allowed`;
      stack.push([child, at, depth + 1]);
    }
  }
  return undefined;
}

const TOO_DEEP = `request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`;

/** In a /u pattern a surrogate pair is one code point: only a lone surrogate is of category Cs. */
const LONE_SURROGATE = /\p{Cs}/u;
const NO_TEXT = 'a lone UTF-16 surrogate (\\ud800 to \\udfff without its pair), which is no text';

/**
 * Right after the body parser: a body jsonBodyProblem or duplicateFieldProblem finds fault with goes
 * no further.
 */
export const checkJsonBody: RequestHandler = (req, _res, next) => {
  const text = parsedTexts.get(req);
  const problem = jsonBodyProblem(req.body) ?? (text === undefined ? undefined : duplicateFieldProblem(text));
  next(problem === undefined ? undefined : new HttpProblem(400, problem));
};

/** The raw JSON body of each request the body parser read, for checkJsonBody. */
const parsedTexts = new WeakMap<IncomingMessage, Buffer>();

/**
 * The body parser's `verify`, which sees the raw body and the charset it is about to decode with.
 * It takes any UTF-*, but JSON between systems is UTF-8 (RFC 8259 §8.1), and a body declared UTF-16
 * was decoded to garbage and refused as not valid JSON: refused as the unsupported charset it is
 * (problem.ts).
 */
export function verifyJsonText(req: IncomingMessage, _res: unknown, body: Buffer, charset: string): void {
  if (charset !== 'utf-8') {
    throw Object.assign(new Error(`unsupported charset ${charset}`), {
      status: 415,
      type: 'charset.unsupported',
    });
  }
  // Decoding would turn each malformed sequence into U+FFFD: what is stored would not be what was sent.
  if (!isUtf8(body)) throw new HttpProblem(400, 'request body is not valid UTF-8');
  parsedTexts.set(req, body);
}

/**
 * The first field that an object of a JSON body names twice (names compared after their escapes,
 * as JSON.parse compares them). JSON.parse keeps the last of the two silently, while another parser
 * (a proxy's, the client's own) may keep the first: the value committed to the ledger would not be
 * the one the sender's other systems read. I-JSON (RFC 7493 §2.3) refuses such texts. `text` must
 * be JSON that JSON.parse took. Token by token, never recursing: a value JSON.parse dropped (the
 * first of two) may nest deeper than the parsed body, so the depth is bounded here too.
 */
export function duplicateFieldProblem(text: Buffer | string): string | undefined {
  const scanner = createScanner(text.toString(), true);
  // One frame per open object (its names so far and the one whose value is being read) or array
  // (the index of the value being read).
  const open: ({ names: Set<string>; name: string } | { index: number })[] = [];
  let nameNext = false;
  for (let token = scanner.scan(); token !== SyntaxKind.EOF; token = scanner.scan()) {
    const frame = open.at(-1);
    switch (token) {
      case SyntaxKind.OpenBraceToken:
      case SyntaxKind.OpenBracketToken:
        open.push(token === SyntaxKind.OpenBraceToken ? { names: new Set(), name: '' } : { index: 0 });
        if (open.length > MAX_JSON_DEPTH) return TOO_DEEP;
        nameNext = token === SyntaxKind.OpenBraceToken;
        break;
      case SyntaxKind.CloseBraceToken:
      case SyntaxKind.CloseBracketToken:
        open.pop();
        nameNext = false;
        break;
      case SyntaxKind.CommaToken:
        if (frame !== undefined && 'index' in frame) frame.index += 1;
        else nameNext = true;
        break;
      case SyntaxKind.StringLiteral:
        if (nameNext && frame !== undefined && 'names' in frame) {
          nameNext = false;
          frame.name = scanner.getTokenValue();
          if (frame.names.has(frame.name)) {
            const place = open.map((f) => `/${escapePointerToken('names' in f ? f.name : String(f.index))}`);
            return `/body${place.join('')}: the field is named twice in its object; send each field once`;
          }
          frame.names.add(frame.name);
        }
        break;
    }
  }
  return undefined;
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
