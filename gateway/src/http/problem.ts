import type { Socket } from 'node:net';
import type { ErrorRequestHandler, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { ZodError } from 'zod';
import { isStoreUnavailable } from '../storage/reopen.js';
import { jsonText } from './json.js';

/** RFC 9457 problem details: every error the API returns has this shape. */
export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  /** Field-level problems: JSON pointer to the offending field and what is wrong with it. */
  readonly errors?: readonly { readonly pointer: string; readonly message: string }[];
  readonly [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  431: 'Request Header Fields Too Large',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly options: {
      readonly errors?: ProblemBody['errors'];
      readonly headers?: Readonly<Record<string, string>>;
      readonly extensions?: Readonly<Record<string, unknown>>;
    } = {},
  ) {
    super(detail);
  }
}

/** A field a request got wrong: its JSON pointer (under /params, /query or /body) and what is wrong. */
export interface FieldError {
  readonly pointer: string;
  readonly message: string;
}

/** A validation error's issues as field errors under `where`, each unknown field on its own. */
export function fieldErrors(error: ZodError, where: string): FieldError[] {
  return error.issues.flatMap((issue) => {
    const pointer = [where, ...issue.path.map(String)].join('/');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => ({ pointer: `${pointer}/${k}`, message: `unknown field '${k}'` }));
    }
    return [{ pointer, message: issue.message }];
  });
}

/** 400 naming every field error, the first in its detail. */
export function invalidFields(errors: readonly FieldError[]): HttpProblem {
  const first = errors[0]!;
  return new HttpProblem(400, `${first.pointer}: ${first.message}`, { errors });
}

/** The body of a problem as the API answers it, and as an idempotent replay answers it again. */
export function problemBody(problem: HttpProblem, instance?: string): ProblemBody {
  return {
    type: 'about:blank',
    title: TITLES[problem.status] ?? 'Error',
    status: problem.status,
    detail: problem.detail,
    ...(instance ? { instance } : {}),
    ...(problem.options.errors ? { errors: problem.options.errors } : {}),
    ...problem.options.extensions,
  };
}

/**
 * Node's HTTP server answers a request its parser refuses (headers over its 16 KiB limit, bytes
 * that are not HTTP) before any route sees it, with a bare status line. The server's 'clientError'
 * listener: the same refusal, as problem+json like every other.
 */
export function answerUnparsedRequest(error: Error & { code?: string }, socket: Socket): void {
  // As Node's own handler: nothing is written on a connection that has already answered (a stream,
  // an earlier response), where a status line would land inside what was sent.
  if (error.code === 'ECONNRESET' || !socket.writable || socket.bytesWritten > 0) {
    socket.destroy();
    return;
  }
  const problem =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new HttpProblem(431, 'the request headers are larger than the limit of 16 KiB')
      : error.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW'
        ? new HttpProblem(413, 'the request body’s chunk extensions are larger than the limit')
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? new HttpProblem(408, 'the request did not arrive whole in time')
          : new HttpProblem(400, 'the request is not valid HTTP/1.1');
  const body = jsonText(problemBody(problem));
  socket.end(
    `HTTP/1.1 ${problem.status} ${TITLES[problem.status]}\r\n` +
      'Content-Type: application/problem+json\r\n' +
      'X-Content-Type-Options: nosniff\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

export function sendProblem(res: Response, problem: HttpProblem, instance?: string): void {
  for (const [name, value] of Object.entries(problem.options.headers ?? {})) res.setHeader(name, value);
  res
    .status(problem.status)
    .type('application/problem+json')
    .send(jsonText(problemBody(problem, instance)));
}

interface ClientError {
  readonly type?: string;
  readonly limit?: number;
  readonly status?: number;
  readonly expose?: boolean;
  readonly message?: string;
}

/**
 * Errors of the HTTP stack below our routes: body-parser's carry a `type`, each with a precise
 * client error; the router's (a path that is not valid percent-encoding), body-parser's others (a
 * body that does not decompress: zlib's own words, such as 'incorrect header check') and
 * serve-static's carry a 4xx `status`, and a message that is safe to show only when `expose` says so.
 */
function fromHttpStack(error: ClientError, req: Request): HttpProblem | undefined {
  switch (error.type) {
    case 'entity.too.large':
      return new HttpProblem(413, `request body is larger than the limit of ${error.limit} bytes`);
    case 'entity.parse.failed':
      return new HttpProblem(400, 'request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpProblem(415, 'request body must be UTF-8 JSON');
  }
  const status = error.status;
  if (status === undefined || status < 400 || status > 499) return undefined;
  if (error instanceof URIError) return new HttpProblem(status, 'request path is not valid percent-encoding');
  const encoding = req.get('Content-Encoding');
  if (error.type === undefined && encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    return new HttpProblem(400, 'request body could not be decompressed as its Content-Encoding says');
  }
  return new HttpProblem(
    status,
    error.expose && error.message ? error.message : 'the request could not be read as sent',
  );
}

/**
 * The last middleware: turns any error into problem+json. Client errors are reported as they are; a
 * store that cannot serve the request now is a 503; anything unexpected is logged with its stack
 * and answered with a 500 that reveals nothing.
 */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const problem =
      error instanceof HttpProblem
        ? error
        : isStoreUnavailable(error)
          ? new HttpProblem(
              503,
              'the gateway’s store is unavailable (a full disk, or reopening after one); retry shortly',
              {
                headers: { 'Retry-After': '1' },
              },
            )
          : fromHttpStack((error ?? {}) as ClientError, req);
    if (problem) {
      // A 500 answered on purpose names what failed (a record whose storage no longer matches its
      // commitment); the request line alone would not tell the operator where to look.
      if (problem.status === 500) logger.error({ requestId: req.requestId }, problem.detail);
      sendProblem(res, problem, req.originalUrl);
      return;
    }
    logger.error({ err: error, requestId: req.requestId }, 'unhandled error');
    if (res.headersSent) {
      res.end();
      return;
    }
    sendProblem(res, new HttpProblem(500, `internal error (request id ${req.requestId})`), req.originalUrl);
  };
}
