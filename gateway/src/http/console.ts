import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type Request, type Response } from 'express';
import { pageHeaders } from './page-headers.js';

/** console/dist, from gateway/src/http (tsx) and gateway/dist/http (built) alike. */
export const CONSOLE_DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../../../console/dist');

/** A file name's extension at the end of a path: what the console's client routes do not have. */
const EXTENSION = /\.[A-Za-z0-9]+$/;
/** The console's one client route that may end in one: a consignment's page (ids may hold dots). */
const CONSIGNMENT_PAGE = /^\/console\/consignments\/[^/]+$/;

function noSuchFile(_req: Request, res: Response): void {
  res.status(404).type('text/plain').send('no such console file');
}

/**
 * The web console (console/, built by `npm install` or `npm start`) at /console: hashed assets
 * cached for good (their source map too: the console is open source, and the map holds nothing
 * that its repository does not), every other path under /console answered with index.html so that
 * the console's own routes survive a reload, except a file name the build does not have (a
 * missing script answered with the page would fail in the browser as a script that is HTML). The
 * token never reaches these routes: the console sends it only to /v1, so they need no
 * authentication.
 */
export function consoleRouter(dist = CONSOLE_DIST): Router {
  const router = Router({ caseSensitive: true, strict: true });
  router.use('/console', pageHeaders);
  // The console's page is served as /console/; its file name is what a user may type or bookmark.
  for (const path of ['/console', '/console/index.html'])
    router.get(path, (_req, res) => res.redirect(301, '/console/'));
  router.use(
    '/console/assets',
    express.static(join(dist, 'assets'), { index: false, immutable: true, maxAge: '365d' }),
    noSuchFile,
  );
  router.get('/console/{*path}', (req, res) => {
    if (EXTENSION.test(req.path) && !CONSIGNMENT_PAGE.test(req.path)) {
      noSuchFile(req, res);
      return;
    }
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
