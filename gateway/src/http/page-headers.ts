import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * The headers of the gateway's pages, the web console and the API docs. Stricter than the API's
 * default policy: each page is its own bundle, so nothing but this origin, no inline style or
 * script, and no framing (clickjacking of the officers' actions). And without the default's
 * `upgrade-insecure-requests`: the gateway speaks plain HTTP (TLS is a proxy's), and a page opened
 * over it at any address but localhost's would have every asset upgraded to https, and fail.
 */
export const pageHeaders: RequestHandler = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'"],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
});
