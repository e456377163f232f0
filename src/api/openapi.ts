import { MAX_STOCK_SHARDS } from '../db/shards';
/**
 * OpenAPI 3.1 description of the HTTP contract, served at GET /api/openapi.json and rendered at GET /docs.
 * It describes what the code answers (src/api/routes, middleware, validation), including the behaviours the
 * contract leaves to this service: the webhook signature, Idempotency-Key replays and the conservation rule.
 */

type Json = Record<string, unknown>;

const INT32_MAX = 2_147_483_647;
const STOCK_MAX = 1_000_000_000;
const PRICE_MAX = 99_999_999.99;
const BODY_LIMIT = '16 KiB';

const schema = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const response = (name: string): Json => ({ $ref: `#/components/responses/${name}` });
const parameter = (name: string): Json => ({ $ref: `#/components/parameters/${name}` });
const header = (name: string): Json => ({ $ref: `#/components/headers/${name}` });

const JSON_TYPE = 'application/json';

/** Every answer carries the request id; `extra` adds more headers (Link, Retry-After, Idempotent-Replayed). */
const headers = (...extra: string[]): Json =>
  Object.fromEntries([['X-Request-Id', header('X-Request-Id')], ...extra.map((h) => [h, header(h)])]);

function jsonResponse(description: string, body: Json, opts: { headers?: string[]; examples?: Json } = {}): Json {
  return {
    description,
    headers: headers(...(opts.headers ?? [])),
    content: { [JSON_TYPE]: { schema: body, ...(opts.examples ? { examples: opts.examples } : {}) } },
  };
}

/** `{"status":"error","message":…,"timestamp":…}` with named example messages. */
function errorResponse(description: string, messages: Record<string, string>, extraHeaders: string[] = []): Json {
  return jsonResponse(description, schema('Error'), {
    headers: extraHeaders,
    examples: Object.fromEntries(
      Object.entries(messages).map(([name, message]) => [
        name,
        { value: { status: 'error', message, timestamp: '2026-11-24T10:02:00.000Z' } },
      ]),
    ),
  });
}

/** `{"status":"success","timestamp":…,"data":…}`; the webhook's envelope adds `message`. */
function envelope(data: Json, message?: Json): Json {
  return {
    type: 'object',
    required: message ? ['status', 'message', 'timestamp', 'data'] : ['status', 'timestamp', 'data'],
    additionalProperties: false,
    properties: {
      status: { const: 'success' },
      ...(message ? { message } : {}),
      timestamp: schema('Timestamp'),
      data,
    },
  };
}

const integerField = (description: string, minimum: number, maximum: number, example?: number): Json => ({
  type: 'integer',
  minimum,
  maximum,
  description: `${description} A JSON integer; a string holding one (\`"5"\`) is accepted as that integer. Decimals (\`5.5\`), other strings, booleans and values above ${maximum} answer 422.`,
  ...(example === undefined ? {} : { examples: [example] }),
});

const idPath = (what: string): Json => ({
  name: 'id',
  in: 'path',
  required: true,
  description: `The ${what} id: a canonical positive integer. Anything else (\`01\`, \`1abc\`, \`abc\`, \`-1\`, numbers beyond 2^53) matches no ${what} and answers 404.`,
  schema: { type: 'string', pattern: '^[1-9][0-9]*$', examples: ['1'] },
});

/** Answers every body-reading operation can give before its own checks run. */
const bodyErrors = (badRequest: Record<string, string>, description = 'Malformed JSON, or a refusal.'): Json => ({
  '400': errorResponse(description, { malformed_json: 'Malformed JSON body', ...badRequest }),
  '413': response('PayloadTooLarge'),
});

const common = {
  '500': response('InternalError'),
};
const withDependencies = {
  ...common,
  '503': response('Unavailable'),
};

const requestId = parameter('X-Request-Id');

const listOperation = (
  tag: string,
  operationId: string,
  summary: string,
  item: string,
  path: string,
  description: string,
): Json => ({
  tags: [tag],
  operationId,
  summary,
  description: `${description} Bare JSON array, ascending \`id\`. Paged by \`limit\` and \`after_id\`; when more remain, a \`Link\` header points at the next page (\`<${path}?limit=2&after_id=7>; rel="next"\`).`,
  parameters: [parameter('limit'), parameter('after_id'), requestId],
  responses: {
    '200': jsonResponse(`A page of ${tag}.`, { type: 'array', items: schema(item) }, { headers: ['Link'] }),
    '422': response('ValidationFailed'),
    ...withDependencies,
  },
});

const description = `Stock reservation for flash sales: a client **holds** units of a product for a short time, turns the hold into an **order**, and the payment provider settles the order through a signed **webhook**. Holds, orders and payment timeouts run as Temporal workflows; MariaDB is the source of truth and Redis caches single products.

## Conventions
- JSON in, JSON out, whatever \`Accept\` or \`Content-Type\` say: request bodies are read as JSON (an empty body counts as \`{}\`). Bodies over ${BODY_LIMIT} answer 413; bodies that are not JSON answer 400 \`Malformed JSON body\`.
- Times are UTC ISO-8601 strings with milliseconds (\`2026-11-24T10:02:00.000Z\`). \`price\` is a JSON number with at most two decimals.
- Write endpoints answer \`{"status":"success","timestamp":…,"data":…}\` (the webhook adds \`message\`). Reads answer the bare resource or a bare array.
- Errors answer \`{"status":"error","message":…,"timestamp":…}\`; 5xx bodies only ever say \`Internal server error\` or \`Service temporarily unavailable\` (the details go to the log under the request id).
- Validation errors answer 422 \`{"message":…,"errors":{field:[messages]}}\` in Laravel's wording (\`The quantity field must be at least 1.\`); \`message\` is the first error plus \`(and N more errors)\`. Unknown referenced rows (\`product_id\`, \`hold_id\`, \`order_id\`) are 422s on that field (\`The selected product id is invalid.\`). \`null\` and blank strings count as missing.
- Every answer carries an \`X-Request-Id\` header. A client's own \`X-Request-Id\` (1–128 of \`A-Z a-z 0-9 . _ : -\`) is kept; otherwise the service makes a UUID.
- Ids in paths are canonical positive integers only: \`/api/products/01\`, \`/api/products/1abc\` and \`/api/products/abc\` answer 404 and never touch the database or the cache.
- An unknown route answers 404 \`{"status":"error","message":"Route not found",…}\`; a known path with a method it does not serve (including methods the server does not know, such as \`TRACE\`) answers 405 \`Method not allowed\` (same error body) with an \`Allow\` header; \`OPTIONS\` on a known path answers 204 with \`Allow\`.

## Holds, orders and stock
- A hold takes \`quantity\` off the product's \`available_stock\` at once, under a row lock, and lasts \`HOLD_TTL_SECONDS\` (default 120); \`hold_expires_at\` says when it ends. A hold that expires without an order gives its quantity back exactly once (its own timer or the backup sweep, whichever comes first), and \`released_at\` is set.
- An order takes the hold (\`used_at\` set); an ordered hold never expires back into stock while its order is pending. \`paid\` completes the order (the stock is sold); \`failed\`, or no payment within \`PAYMENT_TIMEOUT_SECONDS\` (default 900), cancels it and gives the quantity back exactly once.
- **Conservation rule**, per product, at every instant a reader can observe: \`available_stock\` + the quantities of its unreleased holds (held, or ordered and not cancelled) = the stock it was created with + its restocks. \`available_stock\` is never negative.
- \`GET /api/products/{id}\` is served from Redis (TTL 60 s) and never shows stock older than the last committed change: every write invalidates the cached product after its transaction commits.

## Idempotency-Key
\`POST /api/holds\` and \`POST /api/orders\` take an optional \`Idempotency-Key\` header (1–255 visible ASCII characters). Keys are scoped per endpoint and kept for **24 hours**. A retry with the same key and the same parameters (after validation: \`"5"\` and \`5\` are the same) gets the first answer again, status and body, without reserving anything more, and carries \`Idempotent-Replayed: true\`. The same key with different parameters answers 422 \`Idempotency-Key reused with different parameters\`. Concurrent requests with one key produce one hold. Only final answers (2xx and 4xx) are stored: after a 5xx a retry with the same key does the work.

## Webhook signature
With \`WEBHOOK_SECRET\` configured, \`POST /api/payments/webhook\` needs \`X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>\`, where the HMAC is computed with the secret over the exact bytes \`<t>.<raw request body>\`. \`t\` must be within 300 s of the server's clock. Several \`v1=\` entries may be sent (secret rotation); one matching is enough. A missing, malformed or wrong signature, or a stale \`t\`, answers 401 \`Invalid signature\` and changes nothing. Without a secret (local development only; refused with \`NODE_ENV=production\`) unsigned webhooks are accepted and the service logs a warning at start-up.

## Admin API
\`/api/admin/*\` needs \`Authorization: Bearer <ADMIN_TOKEN>\`. Without a configured \`ADMIN_TOKEN\` it answers 403 \`Admin API disabled\`.`;

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Flash Sale API',
    version: '1.0.0',
    summary: 'Flash-sale stock holds, orders and payment webhooks.',
    description,
    license: { name: 'MIT', identifier: 'MIT' },
  },
  tags: [
    { name: 'meta', description: 'Welcome message, this document and its rendering.' },
    { name: 'products', description: 'Products and their stock.' },
    { name: 'holds', description: 'Short-lived stock reservations.' },
    { name: 'orders', description: 'Orders placed on holds.' },
    { name: 'payments', description: "The payment provider's webhook." },
    { name: 'admin', description: 'Product management (bearer token).' },
    { name: 'operations', description: 'Liveness and readiness probes.' },
  ],
  paths: {
    '/api': {
      get: {
        tags: ['meta'],
        operationId: 'welcome',
        summary: 'Welcome message',
        parameters: [requestId],
        responses: {
          '200': jsonResponse('The API answers.', schema('Welcome')),
          ...common,
        },
      },
    },
    '/api/products': {
      get: listOperation('products', 'listProducts', 'List products', 'Product', '/api/products', 'All products.'),
    },
    '/api/products/{id}': {
      get: {
        tags: ['products'],
        operationId: 'getProduct',
        summary: 'Show a product',
        description:
          'The bare product, served from Redis (TTL 60 s). The cached copy is invalidated after every committed stock change, so it never shows stock older than the last commit.',
        parameters: [parameter('ProductId'), requestId],
        responses: {
          '200': jsonResponse('The product.', schema('Product')),
          '404': errorResponse('No such product, or a non-canonical id.', { not_found: 'Product not found' }),
          ...withDependencies,
        },
      },
    },
    '/api/holds': {
      post: {
        tags: ['holds'],
        operationId: 'createHold',
        summary: 'Hold stock',
        description:
          'Takes `quantity` off the product\'s `available_stock` under a row lock, for `HOLD_TTL_SECONDS`. Refused with 400 when fewer units are available (the count is read under the lock). See "Idempotency-Key" above for retries.',
        parameters: [parameter('Idempotency-Key'), requestId],
        requestBody: {
          required: true,
          content: { [JSON_TYPE]: { schema: schema('CreateHoldRequest') } },
        },
        responses: {
          '201': {
            ...jsonResponse('Held.', envelope(schema('HoldCreated')), { headers: ['Idempotent-Replayed'] }),
            links: {
              GetHold: { operationId: 'getHold', parameters: { id: '$response.body#/data/hold_id' } },
              ReleaseHold: { operationId: 'releaseHold', parameters: { id: '$response.body#/data/hold_id' } },
              CreateOrder: { operationId: 'createOrder', requestBody: { hold_id: '$response.body#/data/hold_id' } },
            },
          },
          '400': errorResponse(
            'Malformed JSON, or not enough stock (a replay of an earlier refusal carries `Idempotent-Replayed`).',
            {
              malformed_json: 'Malformed JSON body',
              insufficient_stock: 'Insufficient stock available. Only 2 units remaining.',
            },
            ['Idempotent-Replayed'],
          ),
          '413': response('PayloadTooLarge'),
          '422': response('ValidationFailed'),
          ...withDependencies,
        },
      },
      get: listOperation('holds', 'listHolds', 'List holds', 'Hold', '/api/holds', 'All holds, whatever their state.'),
    },
    '/api/holds/{id}': {
      get: {
        tags: ['holds'],
        operationId: 'getHold',
        summary: 'Show a hold',
        parameters: [parameter('HoldId'), requestId],
        responses: {
          '200': jsonResponse('The hold.', schema('Hold')),
          '404': errorResponse('No such hold, or a non-canonical id.', { not_found: 'Hold not found' }),
          ...withDependencies,
        },
      },
    },
    '/api/holds/{id}/release': {
      post: {
        tags: ['holds'],
        operationId: 'releaseHold',
        summary: 'Release a hold early',
        description:
          "Gives the hold's quantity back to `available_stock` now. Refused for a hold that became an order, and for one already released (an expired hold counts as released). No request body is needed; one that is sent must be JSON.",
        parameters: [parameter('HoldId'), requestId],
        responses: {
          '200': jsonResponse('Released: the hold, `released_at` set.', envelope(schema('Hold'))),
          ...bodyErrors(
            {
              ordered: 'Cannot release: Hold is already associated with an order',
              released: 'Cannot release: Hold has already been released',
            },
            'Malformed JSON, or the hold cannot be released.',
          ),
          '404': errorResponse('No such hold, or a non-canonical id.', { not_found: 'Hold not found' }),
          ...withDependencies,
        },
      },
    },
    '/api/orders': {
      post: {
        tags: ['orders'],
        operationId: 'createOrder',
        summary: 'Order a hold',
        description:
          'Turns a held hold into a pending order. Refusals are checked in this order: expired (even once released), released, already ordered. See "Idempotency-Key" above for retries.',
        parameters: [parameter('Idempotency-Key'), requestId],
        requestBody: {
          required: true,
          content: { [JSON_TYPE]: { schema: schema('CreateOrderRequest') } },
        },
        responses: {
          '201': {
            ...jsonResponse('Ordered.', envelope(schema('OrderCreated')), { headers: ['Idempotent-Replayed'] }),
            links: {
              GetOrder: { operationId: 'getOrder', parameters: { id: '$response.body#/data/id' } },
              GetOrderedHold: { operationId: 'getHold', parameters: { id: '$response.body#/data/hold_id' } },
              PayOrder: { operationId: 'paymentWebhook', requestBody: { order_id: '$response.body#/data/id' } },
            },
          },
          '400': errorResponse(
            'Malformed JSON, or the hold cannot be ordered (a replay of an earlier refusal carries `Idempotent-Replayed`).',
            {
              malformed_json: 'Malformed JSON body',
              expired: 'Cannot create order: Hold has expired',
              released: 'Cannot create order: Hold has been released',
              ordered: 'Cannot create order: Hold is already associated with an order',
            },
            ['Idempotent-Replayed'],
          ),
          '413': response('PayloadTooLarge'),
          '422': response('ValidationFailed'),
          ...withDependencies,
        },
      },
      get: listOperation('orders', 'listOrders', 'List orders', 'Order', '/api/orders', 'All orders.'),
    },
    '/api/orders/{id}': {
      get: {
        tags: ['orders'],
        operationId: 'getOrder',
        summary: 'Show an order',
        parameters: [parameter('OrderId'), requestId],
        responses: {
          '200': jsonResponse('The order.', schema('Order')),
          '404': errorResponse('No such order, or a non-canonical id.', { not_found: 'Order not found' }),
          ...withDependencies,
        },
      },
    },
    '/api/payments/webhook': {
      post: {
        tags: ['payments'],
        operationId: 'paymentWebhook',
        summary: 'Payment result (payment provider)',
        description:
          '`paid` completes a pending order; `failed` cancels it and gives its stock back. Each `event_id` is recorded once: replaying it answers 200 `Webhook already processed` with the order\'s current status and changes nothing; using it for another order answers 409. A new event for an order that is no longer pending answers 400. The signature (see "Webhook signature" above) is checked before anything else, over the raw body.',
        security: [{ webhookSignature: [] }],
        parameters: [requestId],
        requestBody: {
          required: true,
          content: { [JSON_TYPE]: { schema: schema('PaymentWebhookRequest') } },
        },
        responses: {
          '200': jsonResponse(
            'Processed, or a replay of an event already processed.',
            envelope(schema('PaymentResult'), {
              type: 'string',
              enum: ['Payment processed', 'Webhook already processed'],
            }),
          ),
          ...bodyErrors(
            { not_pending: 'Order is not in pending state' },
            'Malformed JSON, or a new event for an order that is no longer pending.',
          ),
          '401': errorResponse('Missing, malformed, wrong or stale `X-Signature` (only with a webhook secret).', {
            invalid_signature: 'Invalid signature',
          }),
          '409': errorResponse('The `event_id` was already used for another order.', {
            event_reused: 'Event id has already been used for another order',
          }),
          '422': response('ValidationFailed'),
          ...withDependencies,
        },
      },
    },
    '/api/admin/products': {
      post: {
        tags: ['admin'],
        operationId: 'createProduct',
        summary: 'Create a product',
        description:
          '`available_stock` defaults to `total_stock` and may not exceed it. The name is stored trimmed. The token is checked before the body is read.',
        security: [{ adminToken: [] }],
        parameters: [requestId],
        requestBody: {
          required: true,
          content: { [JSON_TYPE]: { schema: schema('CreateProductRequest') } },
        },
        responses: {
          '201': {
            ...jsonResponse('Created: the product.', envelope(schema('Product'))),
            links: {
              GetProduct: { operationId: 'getProduct', parameters: { id: '$response.body#/data/id' } },
              RestockProduct: { operationId: 'restockProduct', parameters: { id: '$response.body#/data/id' } },
              HoldProduct: { operationId: 'createHold', requestBody: { product_id: '$response.body#/data/id' } },
            },
          },
          ...bodyErrors({}, 'Malformed JSON.'),
          '401': response('Unauthorized'),
          '403': response('AdminDisabled'),
          '422': response('ValidationFailed'),
          ...withDependencies,
        },
      },
    },
    '/api/admin/products/{id}/restock': {
      post: {
        tags: ['admin'],
        operationId: 'restockProduct',
        summary: 'Restock a product',
        description:
          'Adds `quantity` to both `total_stock` and `available_stock` in one statement, then invalidates the cached product. `total_stock` never exceeds 1,000,000,000: a larger restock answers 422 on `quantity` naming the room left.',
        security: [{ adminToken: [] }],
        parameters: [parameter('ProductId'), requestId],
        requestBody: {
          required: true,
          content: { [JSON_TYPE]: { schema: schema('RestockRequest') } },
        },
        responses: {
          '200': jsonResponse('Restocked: the product.', envelope(schema('Product'))),
          ...bodyErrors({}, 'Malformed JSON.'),
          '401': response('Unauthorized'),
          '403': response('AdminDisabled'),
          '404': errorResponse('No such product, or a non-canonical id.', { not_found: 'Product not found' }),
          '422': response('ValidationFailed'),
          ...withDependencies,
        },
      },
    },
    '/api/admin/products/{id}/stock-shards': {
      put: {
        tags: ['admin'],
        operationId: 'reshardProduct',
        summary: "Split a hot product's stock over shards",
        description:
          'Spreads `available_stock` evenly over `shards` rows that holds lock independently (1 puts it back on the product row); a hold takes from one shard and falls back to the others when it runs dry. The sum is unchanged and the product reads as before. See docs/scaling.md.',
        security: [{ adminToken: [] }],
        parameters: [parameter('ProductId'), requestId],
        requestBody: {
          required: true,
          content: { [JSON_TYPE]: { schema: schema('StockShardsRequest') } },
        },
        responses: {
          '200': jsonResponse('Resharded: the product.', envelope(schema('Product'))),
          ...bodyErrors({}, 'Malformed JSON.'),
          '401': response('Unauthorized'),
          '403': response('AdminDisabled'),
          '404': errorResponse('No such product, or a non-canonical id.', { not_found: 'Product not found' }),
          '422': response('ValidationFailed'),
          ...withDependencies,
        },
      },
    },
    '/health': {
      get: {
        tags: ['operations'],
        operationId: 'health',
        summary: 'Liveness',
        description: 'The process is up and serving; dependencies are not checked.',
        parameters: [requestId],
        responses: {
          '200': jsonResponse('Alive.', schema('Health')),
          ...common,
        },
      },
    },
    '/ready': {
      get: {
        tags: ['operations'],
        operationId: 'ready',
        summary: 'Readiness',
        description: 'Probes MariaDB, Redis and Temporal (1.5 s each); 503 names the ones that do not answer.',
        parameters: [requestId],
        responses: {
          '200': jsonResponse('Every dependency answers.', schema('Readiness')),
          '503': jsonResponse('At least one dependency does not answer.', schema('Readiness')),
          ...common,
        },
      },
    },
    '/metrics': {
      get: {
        tags: ['operations'],
        operationId: 'metrics',
        summary: 'Prometheus metrics',
        description:
          "This API process's metrics in the Prometheus text format: requests by route, method and status, business outcomes, and per-product stock read from MariaDB at scrape time. 404 when the process runs without metrics.",
        parameters: [requestId],
        responses: {
          '200': {
            description: 'The metrics, Prometheus text exposition format 0.0.4.',
            headers: headers(),
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
          '404': errorResponse('Metrics are not enabled in this process.', { not_found: 'Route not found' }),
          ...withDependencies,
        },
      },
    },
    '/api/openapi.json': {
      get: {
        tags: ['meta'],
        operationId: 'openApiDocument',
        summary: 'This document',
        parameters: [requestId],
        responses: {
          '200': jsonResponse('The OpenAPI 3.1 document.', {
            type: 'object',
            required: ['openapi', 'info', 'paths'],
            properties: { openapi: { type: 'string', pattern: '^3\\.1\\.' } },
          }),
          ...common,
        },
      },
    },
    '/docs': {
      get: {
        tags: ['meta'],
        operationId: 'docsPage',
        summary: 'Browsable documentation',
        description:
          'An HTML page rendering this document with Swagger UI, served from this service (no external resources).',
        parameters: [requestId],
        responses: {
          '200': {
            description: 'The HTML page.',
            headers: headers(),
            content: { 'text/html': { schema: { type: 'string' } } },
          },
          ...common,
        },
      },
    },
    '/docs/{asset}': {
      get: {
        tags: ['meta'],
        operationId: 'docsAsset',
        summary: 'Static files of the documentation page',
        parameters: [
          {
            name: 'asset',
            in: 'path',
            required: true,
            description: 'One of the files the page loads; any other name answers 404.',
            schema: {
              type: 'string',
              enum: ['swagger-ui.css', 'swagger-ui-bundle.js', 'docs.js', 'favicon-32x32.png', 'favicon-16x16.png'],
            },
          },
          requestId,
        ],
        responses: {
          '200': {
            description: 'The file.',
            headers: headers(),
            content: {
              'text/css': { schema: { type: 'string' } },
              'text/javascript': { schema: { type: 'string' } },
              'image/png': { schema: { type: 'string', contentMediaType: 'image/png' } },
            },
          },
          '404': errorResponse('No such file.', { not_found: 'Route not found' }),
          ...common,
        },
      },
    },
  },
  components: {
    securitySchemes: {
      adminToken: {
        type: 'http',
        scheme: 'bearer',
        description:
          '`Authorization: Bearer <ADMIN_TOKEN>`. A missing or wrong token answers 401 `Unauthorized`; without a configured `ADMIN_TOKEN` the admin API answers 403 `Admin API disabled`.',
      },
      webhookSignature: {
        type: 'apiKey',
        in: 'header',
        name: 'X-Signature',
        description:
          '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with WEBHOOK_SECRET>`; `t` within 300 s of now. Required whenever `WEBHOOK_SECRET` is configured (always in production). Example in a shell: `t=$(date +%s); sig=$(printf \'%s.%s\' "$t" "$body" | openssl dgst -sha256 -hmac "$WEBHOOK_SECRET" -hex | sed \'s/^.* //\'); curl -H "X-Signature: t=$t,v1=$sig" -d "$body" …/api/payments/webhook`.',
      },
    },
    parameters: {
      ProductId: idPath('product'),
      HoldId: idPath('hold'),
      OrderId: idPath('order'),
      limit: {
        name: 'limit',
        in: 'query',
        required: false,
        description: 'Page size, 1 to 1000. Not an integer, out of range or repeated: 422 on `limit`.',
        schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
      },
      after_id: {
        name: 'after_id',
        in: 'query',
        required: false,
        description:
          'Only rows with a larger id (the last id of the previous page). Not an integer, negative or repeated: 422 on `after_id`.',
        schema: { type: 'integer', minimum: 0, maximum: INT32_MAX, default: 0 },
      },
      'Idempotency-Key': {
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description:
          'Makes retries safe for 24 h: the same key with the same parameters replays the first answer (`Idempotent-Replayed: true`); with different parameters, 422. 1–255 visible ASCII characters, otherwise 422 on `idempotency_key`. An empty value counts as absent.',
        schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[!-~]+$' },
      },
      'X-Request-Id': {
        name: 'X-Request-Id',
        in: 'header',
        required: false,
        description:
          "The client's request id, echoed back and written to every log line of the request. Kept when it is 1–128 characters of `A-Z a-z 0-9 . _ : -`; otherwise replaced by a UUID.",
        schema: { type: 'string', maxLength: 128 },
      },
    },
    headers: {
      'X-Request-Id': {
        description: "The request id: the client's own when sane, otherwise a UUID made by the service.",
        required: true,
        schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
      },
      Link: {
        description: 'Present when more rows remain: `<path?limit=N&after_id=LAST>; rel="next"`.',
        required: false,
        schema: { type: 'string', pattern: '^<[^>]+>; rel="next"$' },
      },
      'Retry-After': {
        description: 'Seconds to wait before retrying.',
        required: true,
        schema: { type: 'string', pattern: '^[0-9]+$' },
      },
      'Idempotent-Replayed': {
        description: 'Present (`true`) when this answer is the stored answer to an earlier request with the same key.',
        required: false,
        schema: { type: 'string', enum: ['true'] },
      },
    },
    responses: {
      PayloadTooLarge: errorResponse(`The body is larger than ${BODY_LIMIT}.`, { too_large: 'Payload too large' }),
      ValidationFailed: jsonResponse('Validation failed.', schema('ValidationErrors'), {
        examples: {
          required: {
            value: {
              message: 'The product id field is required. (and 1 more error)',
              errors: {
                product_id: ['The product id field is required.'],
                quantity: ['The quantity field must be at least 1.'],
              },
            },
          },
          unknown: {
            value: {
              message: 'The selected product id is invalid.',
              errors: { product_id: ['The selected product id is invalid.'] },
            },
          },
          idempotency: {
            value: {
              message: 'Idempotency-Key reused with different parameters',
              errors: { idempotency_key: ['Idempotency-Key reused with different parameters'] },
            },
          },
        },
      }),
      Unauthorized: errorResponse('Missing or wrong bearer token.', { unauthorized: 'Unauthorized' }),
      AdminDisabled: errorResponse('No `ADMIN_TOKEN` is configured.', { disabled: 'Admin API disabled' }),
      InternalError: errorResponse('An unexpected failure; the details are in the log under the request id.', {
        internal: 'Internal server error',
      }),
      Unavailable: errorResponse(
        'MariaDB, Redis or Temporal did not answer in time; nothing was changed that a retry would repeat.',
        { unavailable: 'Service temporarily unavailable' },
        ['Retry-After'],
      ),
    },
    schemas: {
      Timestamp: {
        type: 'string',
        format: 'date-time',
        description: 'UTC, ISO-8601 with milliseconds.',
        examples: ['2026-11-24T10:02:00.000Z'],
      },
      Id: { type: 'integer', minimum: 1 },
      Welcome: {
        type: 'object',
        required: ['message', 'status', 'timestamp'],
        additionalProperties: false,
        properties: {
          message: { const: 'Welcome to the API' },
          status: { const: 'success' },
          timestamp: schema('Timestamp'),
        },
      },
      Product: {
        type: 'object',
        required: ['id', 'name', 'total_stock', 'available_stock', 'price', 'created_at', 'updated_at'],
        additionalProperties: false,
        properties: {
          id: schema('Id'),
          name: { type: 'string', examples: ['Limited Edition Flash Sale Item'] },
          total_stock: {
            type: 'integer',
            minimum: 0,
            description: 'Units the product was created with, plus restocks.',
          },
          available_stock: {
            type: 'integer',
            minimum: 0,
            description: 'Units neither held nor sold (see the conservation rule).',
          },
          price: { type: 'number', minimum: 0, description: 'At most two decimals.', examples: [99.99] },
          created_at: schema('Timestamp'),
          updated_at: schema('Timestamp'),
        },
      },
      Hold: {
        type: 'object',
        required: [
          'id',
          'product_id',
          'quantity',
          'hold_expires_at',
          'released_at',
          'used_at',
          'created_at',
          'updated_at',
        ],
        additionalProperties: false,
        properties: {
          id: schema('Id'),
          product_id: schema('Id'),
          quantity: { type: 'integer', minimum: 1 },
          hold_expires_at: schema('Timestamp'),
          released_at: {
            oneOf: [schema('Timestamp'), { type: 'null' }],
            description: 'When its stock went back (early release, expiry or a cancelled order); null while taken.',
          },
          used_at: {
            oneOf: [schema('Timestamp'), { type: 'null' }],
            description: 'When it became an order; null otherwise.',
          },
          created_at: schema('Timestamp'),
          updated_at: schema('Timestamp'),
        },
      },
      HoldCreated: {
        type: 'object',
        required: ['hold_id', 'hold_expires_at'],
        additionalProperties: false,
        properties: { hold_id: schema('Id'), hold_expires_at: schema('Timestamp') },
      },
      OrderStatus: { type: 'string', enum: ['pending', 'completed', 'cancelled'] },
      Order: {
        type: 'object',
        required: ['id', 'hold_id', 'status', 'payment_idempotency_key', 'created_at', 'updated_at'],
        additionalProperties: false,
        properties: {
          id: schema('Id'),
          hold_id: schema('Id'),
          status: schema('OrderStatus'),
          payment_idempotency_key: {
            type: ['string', 'null'],
            description: 'The `event_id` of the payment event that settled the order; null while pending.',
          },
          created_at: schema('Timestamp'),
          updated_at: schema('Timestamp'),
        },
      },
      OrderCreated: {
        type: 'object',
        required: ['id', 'hold_id', 'status', 'created_at', 'updated_at'],
        additionalProperties: false,
        properties: {
          id: schema('Id'),
          hold_id: schema('Id'),
          status: { const: 'pending' },
          created_at: schema('Timestamp'),
          updated_at: schema('Timestamp'),
        },
      },
      PaymentResult: {
        type: 'object',
        required: ['order_id', 'status'],
        additionalProperties: false,
        properties: {
          order_id: schema('Id'),
          status: {
            ...schema('OrderStatus'),
            description: '`completed` or `cancelled` for a processed event; the current status for a replay.',
          },
        },
      },
      Error: {
        type: 'object',
        required: ['status', 'message', 'timestamp'],
        additionalProperties: false,
        properties: {
          status: { const: 'error' },
          message: { type: 'string', minLength: 1 },
          timestamp: schema('Timestamp'),
        },
      },
      ValidationErrors: {
        type: 'object',
        required: ['message', 'errors'],
        additionalProperties: false,
        properties: {
          message: {
            type: 'string',
            description: 'The first error, then ` (and N more error|errors)` when there are more.',
          },
          errors: {
            type: 'object',
            minProperties: 1,
            description: 'Messages per field (snake_case field names; `idempotency_key` for the header).',
            additionalProperties: { type: 'array', minItems: 1, items: { type: 'string' } },
          },
        },
      },
      Health: {
        type: 'object',
        required: ['status', 'timestamp'],
        additionalProperties: false,
        properties: { status: { const: 'ok' }, timestamp: schema('Timestamp') },
      },
      Readiness: {
        type: 'object',
        required: ['status', 'checks', 'timestamp'],
        additionalProperties: false,
        properties: {
          status: { type: 'string', enum: ['ok', 'unavailable'] },
          message: { type: 'string', description: 'Only when unavailable: `Unavailable: <names>`.' },
          checks: {
            type: 'object',
            description: 'One entry per dependency (`mariadb`, `redis`, `temporal`).',
            additionalProperties: { type: 'string', enum: ['ok', 'unavailable'] },
          },
          timestamp: schema('Timestamp'),
        },
      },
      CreateHoldRequest: {
        type: 'object',
        required: ['product_id', 'quantity'],
        properties: {
          product_id: integerField('An existing product (otherwise 422 on `product_id`).', 1, INT32_MAX, 1),
          quantity: integerField('Units to hold.', 1, INT32_MAX, 1),
        },
      },
      CreateOrderRequest: {
        type: 'object',
        required: ['hold_id'],
        properties: {
          hold_id: integerField('An existing hold (otherwise 422 on `hold_id`).', 1, INT32_MAX, 1),
        },
      },
      PaymentWebhookRequest: {
        type: 'object',
        required: ['event_id', 'order_id', 'status'],
        properties: {
          event_id: {
            type: 'string',
            minLength: 1,
            maxLength: 255,
            description:
              "The payment provider's unique event id (at most 255 characters, not blank). Replays of one id are answered, never applied twice.",
            examples: ['evt_01HX4B6W'],
          },
          order_id: integerField('An existing order (otherwise 422 on `order_id`).', 1, INT32_MAX, 1),
          status: { type: 'string', enum: ['paid', 'failed'] },
        },
      },
      CreateProductRequest: {
        type: 'object',
        required: ['name', 'total_stock', 'price'],
        properties: {
          name: {
            type: 'string',
            minLength: 1,
            maxLength: 255,
            description: 'At most 255 characters, not blank; stored trimmed.',
            examples: ['Limited Edition Flash Sale Item'],
          },
          total_stock: integerField('Units the product starts with.', 0, STOCK_MAX, 200),
          price: {
            type: 'number',
            minimum: 0,
            maximum: PRICE_MAX,
            description:
              'At most two decimals (otherwise 422). A string holding a decimal number is accepted as that number.',
            examples: [99.99],
          },
          available_stock: {
            ...integerField(
              'Units available now; defaults to `total_stock` and may not exceed it. `null` counts as absent.',
              0,
              STOCK_MAX,
              100,
            ),
            type: ['integer', 'null'],
          },
        },
      },
      RestockRequest: {
        type: 'object',
        required: ['quantity'],
        properties: { quantity: integerField('Units added to `total_stock` and `available_stock`.', 1, STOCK_MAX, 50) },
      },
      StockShardsRequest: {
        type: 'object',
        required: ['shards'],
        properties: { shards: integerField('Stock rows for this product (1: no sharding).', 1, MAX_STOCK_SHARDS, 8) },
      },
    },
  },
} as const;
