import { execFileSync } from 'node:child_process';
import path from 'node:path';
import Router from '@koa/router';
import { openApiDocument } from '../../src/api/openapi';
import { startStack, type Stack } from '../../harness/stack';

type Json = Record<string, any>;
const doc = openApiDocument as unknown as Json;
const ROOT = path.resolve(__dirname, '../..');
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'];

/**
 * The maintained validator is an ES module; jest runs CommonJS, so it runs in a child node process that
 * reads the document on stdin and prints its verdict.
 */
function validateWithSchema(document: unknown): { valid: boolean; errors?: unknown } {
  const script = `
    import { Validator } from '@seriousme/openapi-schema-validator';
    let input = '';
    for await (const chunk of process.stdin) input += chunk;
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(input));
    process.stdout.write(JSON.stringify({ version: validator.version, ...result }));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    input: JSON.stringify(document),
    encoding: 'utf8',
  });
  const result = JSON.parse(out) as { version: string; valid: boolean; errors?: unknown };
  expect(result.version).toBe('3.1');
  return result;
}

/** Every "METHOD /path" a router serves, with Koa's `:id` written as OpenAPI's `{id}`. */
function servedRoutes(router: Router): string[] {
  const routes = new Set<string>();
  for (const layer of router.stack) {
    for (const method of layer.methods) {
      if (method === 'HEAD') continue; // Koa's router answers HEAD with every GET route.
      routes.add(`${method} ${String(layer.path).replace(/:([A-Za-z_]\w*)/g, '{$1}')}`);
    }
  }
  return [...routes].sort();
}

/** Every operation the document describes, with its path and method. */
const operations = () =>
  Object.entries(doc.paths as Json).flatMap(([p, item]) =>
    Object.entries(item as Json)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ p, method, op: op as Json })),
  );

const documentedRoutes = () =>
  operations()
    .map(({ p, method }) => `${method.toUpperCase()} ${p}`)
    .sort();

function walk(node: unknown, visit: (value: Json, at: string) => void, at = '#'): void {
  if (Array.isArray(node)) node.forEach((v, i) => walk(v, visit, `${at}/${i}`));
  else if (node !== null && typeof node === 'object') {
    visit(node as Json, at);
    for (const [k, v] of Object.entries(node)) walk(v, visit, `${at}/${k}`);
  }
}

function resolvePointer(pointer: string): unknown {
  return pointer
    .replace(/^#\//, '')
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, key) => (node as Json | undefined)?.[key], doc);
}

describe('the OpenAPI document', () => {
  test('is a valid OpenAPI 3.1 document', () => {
    const result = validateWithSchema(openApiDocument);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
  });

  test('the validator does reject a broken document', () => {
    const broken = { ...doc, paths: { '/x': { get: { responses: { '200': { content: {} } } } } } };
    expect(validateWithSchema(broken).valid).toBe(false);
  });

  test('every $ref resolves, operation ids are unique and links name real operations', () => {
    const operationIds = new Set<string>();
    for (const { op } of operations()) {
      expect(operationIds.has(op.operationId)).toBe(false);
      operationIds.add(op.operationId);
    }
    const dangling: string[] = [];
    walk(doc, (node, at) => {
      if (typeof node.$ref === 'string' && resolvePointer(node.$ref) === undefined)
        dangling.push(`${at}: ${node.$ref}`);
      if (at.endsWith('/links')) {
        for (const [name, link] of Object.entries(node)) {
          if (!operationIds.has((link as Json).operationId)) dangling.push(`${at}/${name}`);
        }
      }
    });
    expect(dangling).toEqual([]);
  });

  test('every answer documents X-Request-Id, and every operation its 500', () => {
    const missing: string[] = [];
    for (const { p, method, op } of operations()) {
      if (!op.responses['500']) missing.push(`${method} ${p} 500`);
      for (const [status, res] of Object.entries(op.responses as Json)) {
        const resolved = (res.$ref ? resolvePointer(res.$ref) : res) as Json;
        if (!resolved.headers?.['X-Request-Id']) missing.push(`${method} ${p} ${status}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('the running service', () => {
  let stack: Stack;
  /** The routers the real app builds, caught as it mounts them: the last one mounted is the app's root. */
  let root: Router;
  beforeAll(async () => {
    const mounted = jest.spyOn(Router.prototype, 'middleware');
    try {
      // Every optional route mounted, so that every documented one is served.
      stack = await startStack({ STRIPE_WEBHOOK_SECRET: 'whsec_openapi_test' }, { worker: false });
      root = mounted.mock.contexts[mounted.mock.contexts.length - 1] as Router;
    } finally {
      mounted.mockRestore();
    }
  });
  afterAll(async () => stack?.close());

  test('documents exactly the routes its router serves', () => {
    const served = servedRoutes(root);
    expect(served).toContain('POST /api/holds/{id}/release');
    expect(documentedRoutes()).toEqual(served);
  });

  test('GET /api/openapi.json serves the document as JSON', async () => {
    const res = await stack.http.get('/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(res.body).toEqual(JSON.parse(JSON.stringify(openApiDocument)));
  });

  test('GET /docs answers an HTML page whose assets all load from this service', async () => {
    const page = await stack.http.get('/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.text).toContain('id="swagger-ui"');
    // No CDN: nothing the page loads points off this origin.
    expect(page.text).not.toMatch(/(src|href)="(https?:)?\/\//);

    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    const local = assets.filter((a) => a.startsWith('/docs/'));
    expect(local).toEqual(
      expect.arrayContaining(['/docs/swagger-ui.css', '/docs/swagger-ui-bundle.js', '/docs/docs.js']),
    );
    const expectedType: Record<string, RegExp> = { css: /^text\/css/, js: /^text\/javascript/, png: /^image\/png/ };
    for (const asset of local) {
      const res = await fetch(stack.baseUrl + asset);
      const body = Buffer.from(await res.arrayBuffer());
      expect({ asset, status: res.status }).toEqual({ asset, status: 200 });
      expect(res.headers.get('content-type')).toMatch(expectedType[asset.split('.').pop()!]);
      expect(body.length).toBeGreaterThan(0);
    }
    // The initializer points Swagger UI at this document and at no outside validator.
    const init = await stack.http.get('/docs/docs.js');
    expect(init.text).toContain("url: '/api/openapi.json'");
    expect(init.text).toContain('validatorUrl: null');
  });

  test('the documented asset names are the ones served, and others are 404 JSON', async () => {
    const names: string[] = doc.paths['/docs/{asset}'].get.parameters[0].schema.enum;
    for (const name of names) expect((await fetch(`${stack.baseUrl}/docs/${name}`)).status).toBe(200);
    for (const name of ['index.html', 'package.json', '..%2Fpackage.json', 'swagger-ui.js.map']) {
      const res = await stack.http.get(`/docs/${name}`);
      expect({ name, status: res.status }).toEqual({ name, status: 404 });
      expect(res.body).toMatchObject({ status: 'error', message: 'Route not found' });
    }
  });
});
