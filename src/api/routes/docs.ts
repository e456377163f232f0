import { readFile } from 'node:fs/promises';
import path from 'node:path';
import Router from '@koa/router';
import type { ApiState } from '../context';
import { notFound } from '../errors';
import { openApiDocument } from '../openapi';

/** Swagger UI's own files, served from node_modules: the page loads nothing from anywhere else. */
const SWAGGER_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

/** Starts Swagger UI on this service's document; a file of its own so the page needs no inline script. */
const INIT_SCRIPT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/api/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    tryItOutEnabled: false,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Flash Sale API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="/docs/favicon-16x16.png" sizes="16x16">
</head>
<body>
  <noscript>This page needs JavaScript; the raw document is at <a href="/api/openapi.json">/api/openapi.json</a>.</noscript>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/docs.js"></script>
</body>
</html>
`;

/** Same origin only: swagger-ui styles its elements inline, everything else comes from this service. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

let assetDir: string | undefined;
const assetCache = new Map<string, Buffer>();

async function loadAsset(name: string): Promise<Buffer> {
  let body = assetCache.get(name);
  if (!body) {
    assetDir ??= path.dirname(require.resolve('swagger-ui-dist/package.json'));
    body = await readFile(path.join(assetDir, name));
    assetCache.set(name, body);
  }
  return body;
}

export function docsRoutes() {
  const router = new Router<ApiState>();

  router.get('/api/openapi.json', (ctx) => {
    ctx.body = openApiDocument;
  });

  router.get('/docs', (ctx) => {
    ctx.set('Content-Security-Policy', CSP);
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = PAGE;
  });

  router.get('/docs/:asset', async (ctx) => {
    const name = ctx.params.asset;
    if (name === 'docs.js') {
      ctx.type = 'text/javascript; charset=utf-8';
      ctx.body = INIT_SCRIPT;
    } else if (Object.hasOwn(SWAGGER_ASSETS, name)) {
      ctx.type = SWAGGER_ASSETS[name];
      ctx.body = await loadAsset(name);
    } else {
      throw notFound('Route');
    }
    // Pinned files of one installed version: a browser may keep them for an hour.
    ctx.set('Cache-Control', 'public, max-age=3600');
  });

  return router;
}
