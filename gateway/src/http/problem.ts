import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
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
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
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

export function sendProblem(res: Response, problem: HttpProblem, instance?: string): void {
  const body: ProblemBody = {
    type: 'about:blank',
    title: TITLES[problem.status] ?? 'Error',
    status: problem.status,
    detail: problem.detail,
    ...(instance ? { instance } : {}),
    ...(problem.options.errors ? { errors: problem.options.errors } : {}),
    ...problem.options.extensions,
  };
  for (const [name, value] of Object.entries(problem.options.headers ?? {})) res.setHeader(name, value);
  res.status(problem.status).type('application/problem+json').send(jsonText(body));
}

/** Errors thrown by body-parser carry a `type`; each gets a precise client error. */
function fromBodyParser(error: { type?: string; limit?: number }): HttpProblem | undefined {
  switch (error.type) {
    case 'entity.too.large':
      return new HttpProblem(413, `request body is larger than the limit of ${error.limit} bytes`);
    case 'entity.parse.failed':
      return new HttpProblem(400, 'request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpProblem(415, 'request body must be UTF-8 JSON');
    default:
      return undefined;
  }
}

/**
 * The last middleware: turns any error into problem+json. Client errors are reported as they are;
 * anything unexpected is logged with its stack and answered with a 500 that reveals nothing.
 */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const problem =
      error instanceof HttpProblem ? error : fromBodyParser(error as { type?: string; limit?: number });
    if (problem) {
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
