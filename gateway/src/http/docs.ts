import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Router } from 'express';
import { openApiDocument } from './openapi.js';
import { pageHeaders } from './page-headers.js';

// The assets' folder, found without loading the package: its main module evaluates the 1.5 MB
// bundle (≈ 0.3 s of every gateway start) only to export what the browser loads from here anyway.
const SWAGGER_UI_ASSETS = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
// Only what the page loads: the package's folder also holds its own index.html, oauth2-redirect.html
// and package.json, which would answer as undocumented pages.
const ASSETS = new Set([
  'swagger-ui.css',
  'swagger-ui.css.map',
  'swagger-ui-bundle.js',
  'swagger-ui-bundle.js.map',
]);

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Customs ledger API</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>`;

// A separate file, so the page needs no inline script and its Content-Security-Policy holds.
const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, persistAuthorization: true });`;

/** The OpenAPI document and a docs page rendering it, served from local assets (no CDN). */
export function docsRouter(): Router {
  const router = Router({ caseSensitive: true, strict: true });
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  router.use('/docs', pageHeaders);
  router.get('/docs', (_req, res) => {
    res.type('html').send(PAGE);
  });
  // A person's page, often typed with a slash: sent to its one spelling rather than answered 401
  // (for want of credentials) as every other unknown path is.
  router.get('/docs/', (_req, res) => res.redirect(301, '/docs'));
  router.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(INIT);
  });
  router.get('/docs/assets/:file', (req, res, next) => {
    if (!ASSETS.has(req.params.file)) return next();
    res.sendFile(join(SWAGGER_UI_ASSETS, req.params.file), { maxAge: '1h' });
  });
  return router;
}
