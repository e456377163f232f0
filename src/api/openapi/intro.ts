import { HOLD_TTL_DEFAULT_SECONDS, PAYMENT_TIMEOUT_DEFAULT_SECONDS } from '../../config';
import { PRODUCT_CACHE_TTL_SECONDS } from '../../sale/products';
import { GENERIC_MESSAGES } from '../errors';
import { IDEMPOTENCY_KEY_MAX_LENGTH, IDEMPOTENCY_KEY_REUSED, IDEMPOTENCY_TTL_HOURS } from '../idempotency';
import { BODY_LIMIT_BYTES } from '../middleware';
import { ADMIN_MESSAGES } from '../routes/admin';
import { PAYMENT_MESSAGES } from '../routes/payments';
import { SIGNATURE_TOLERANCE_SECONDS } from '../../signature';

export const BODY_LIMIT = `${BODY_LIMIT_BYTES / 1024} KiB`;

/** The document's introduction: the conventions every endpoint shares and the behaviours the contract leaves open. */
export const description = `Stock reservation for flash sales: a client **holds** units of a product for a short time, turns the hold into an **order**, and the payment provider settles the order through a signed **webhook**. Holds, orders and payment timeouts run as Temporal workflows; MariaDB is the source of truth and Redis caches single products.

## Conventions
- JSON in, JSON out, whatever \`Accept\` or \`Content-Type\` say: request bodies are read as JSON (an empty body counts as \`{}\`). Bodies over ${BODY_LIMIT} answer 413; bodies that are not JSON answer 400 \`${GENERIC_MESSAGES.malformedJson}\`.
- Times are UTC ISO-8601 strings with milliseconds (\`2026-11-24T10:02:00.000Z\`). \`price\` is a JSON number with at most two decimals.
- Write endpoints answer \`{"status":"success","timestamp":…,"data":…}\` (the webhook adds \`message\`). Reads answer the bare resource or a bare array.
- Errors answer \`{"status":"error","message":…,"timestamp":…}\`; 5xx bodies only ever say \`${GENERIC_MESSAGES.internal}\` or \`${GENERIC_MESSAGES.unavailable}\` (the details go to the log under the request id).
- Validation errors answer 422 \`{"message":…,"errors":{field:[messages]}}\` in Laravel's wording (\`The quantity field must be at least 1.\`); \`message\` is the first error plus \`(and N more errors)\`. Unknown referenced rows (\`product_id\`, \`hold_id\`, \`order_id\`) are 422s on that field (\`The selected product id is invalid.\`). \`null\` and blank strings count as missing.
- Every answer carries an \`X-Request-Id\` header. A client's own \`X-Request-Id\` (1–128 of \`A-Z a-z 0-9 . _ : -\`) is kept; otherwise the service makes a UUID.
- Ids in paths are canonical positive integers only: \`/api/products/01\`, \`/api/products/1abc\` and \`/api/products/abc\` answer 404 and never touch the database or the cache.
- An unknown route answers 404 \`{"status":"error","message":"${GENERIC_MESSAGES.routeNotFound}",…}\`; a known path with a method it does not serve (including methods the server does not know, such as \`TRACE\`) answers 405 \`${GENERIC_MESSAGES.methodNotAllowed}\` (same error body) with an \`Allow\` header; \`OPTIONS\` on a known path answers 204 with \`Allow\`.

## Holds, orders and stock
- A hold takes \`quantity\` off the product's \`available_stock\` at once, under a row lock, and lasts \`HOLD_TTL_SECONDS\` (default ${HOLD_TTL_DEFAULT_SECONDS}); \`hold_expires_at\` says when it ends. A hold that expires without an order gives its quantity back exactly once (its own timer or the backup sweep, whichever comes first), and \`released_at\` is set.
- An order takes the hold (\`used_at\` set); an ordered hold never expires back into stock while its order is pending. \`paid\` completes the order (the stock is sold); \`failed\`, or no payment within \`PAYMENT_TIMEOUT_SECONDS\` (default ${PAYMENT_TIMEOUT_DEFAULT_SECONDS}), cancels it and gives the quantity back exactly once.
- **Conservation rule**, per product, at every instant a reader can observe: \`available_stock\` + the quantities of its unreleased holds (held, or ordered and not cancelled) = the stock it was created with + its restocks. \`available_stock\` is never negative.
- \`GET /api/products/{id}\` is served from Redis (TTL ${PRODUCT_CACHE_TTL_SECONDS} s) and never shows stock older than the last committed change: every write invalidates the cached product after its transaction commits.

## Idempotency-Key
\`POST /api/holds\` and \`POST /api/orders\` take an optional \`Idempotency-Key\` header (1–${IDEMPOTENCY_KEY_MAX_LENGTH} visible ASCII characters). Keys are scoped per endpoint and kept for **${IDEMPOTENCY_TTL_HOURS} hours**. A retry with the same key and the same parameters (after validation: \`"5"\` and \`5\` are the same) gets the first answer again, status and body, without reserving anything more, and carries \`Idempotent-Replayed: true\`. The same key with different parameters answers 422 \`${IDEMPOTENCY_KEY_REUSED}\`. Concurrent requests with one key produce one hold. Only final answers (2xx and 4xx) are stored: after a 5xx a retry with the same key does the work.

## Webhook signature
With \`WEBHOOK_SECRET\` configured, \`POST /api/payments/webhook\` needs \`X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>\`, where the HMAC is computed with the secret over the exact bytes \`<t>.<raw request body>\`. \`t\` must be within ${SIGNATURE_TOLERANCE_SECONDS} s of the server's clock. Several \`v1=\` entries may be sent (secret rotation); one matching is enough. A missing, malformed or wrong signature, or a stale \`t\`, answers 401 \`${PAYMENT_MESSAGES.invalidSignature}\` and changes nothing. Without a secret (local development only; refused with \`NODE_ENV=production\`) unsigned webhooks are accepted and the service logs a warning at start-up.

## Admin API
\`/api/admin/*\` needs \`Authorization: Bearer <ADMIN_TOKEN>\`. Without a configured \`ADMIN_TOKEN\` it answers 403 \`${ADMIN_MESSAGES.disabled}\`.`;
