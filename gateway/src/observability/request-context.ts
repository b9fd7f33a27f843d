import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

/** What a caller-supplied request id may look like; anything else is replaced, never echoed. */
const VALID_REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

/** Gives every request an id (the caller's X-Request-Id when it is well-formed) and echoes it. */
export function requestContext(): RequestHandler {
  return (req, res, next) => {
    const given = req.get('X-Request-Id');
    req.requestId = given !== undefined && VALID_REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', req.requestId);
    next();
  };
}
