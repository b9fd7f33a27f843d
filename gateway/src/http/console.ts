import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type RequestHandler } from 'express';
import helmet from 'helmet';

/** console/dist, from gateway/src/http (tsx) and gateway/dist/http (built) alike. */
export const CONSOLE_DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../../../console/dist');

/**
 * Stricter than the gateway's default policy: the console is its own bundle, so nothing but this
 * origin, no inline style or script, and no framing (clickjacking of the officers' actions).
 */
const consoleHeaders: RequestHandler = helmet({
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

/**
 * The web console (console/, built by `npm install` or `npm start`) at /console: hashed assets
 * cached for good, every other path under /console answered with index.html so that the
 * console's own routes survive a reload. The token never reaches these routes: the console sends
 * it only to /v1, so they need no authentication.
 */
export function consoleRouter(dist = CONSOLE_DIST): Router {
  const router = Router({ caseSensitive: true, strict: true });
  router.use('/console', consoleHeaders);
  router.get('/console', (_req, res) => res.redirect(301, '/console/'));
  router.use(
    '/console/assets',
    express.static(join(dist, 'assets'), { index: false, immutable: true, maxAge: '365d' }),
    (_req, res) => res.status(404).type('text/plain').send('no such console asset'),
  );
  router.get('/console/{*path}', (_req, res) => {
    const index = join(dist, 'index.html');
    if (!existsSync(index)) {
      res
        .status(503)
        .type('text/plain')
        .send('The console is not built: run `npm run build:console` (npm install and npm start do it).');
      return;
    }
    res.set('Cache-Control', 'no-cache').sendFile(index);
  });
  return router;
}
