/**
 * Every request body and query the API validates, with its limits: the routes check requests with these
 * (src/api/validation.ts) and the OpenAPI document's request schemas are generated from them (src/api/openapi).
 * Descriptions are written for the document; the wording of errors is the field kinds' (./fields.ts).
 */
import { z } from 'zod';
import { MAX_STOCK_SHARDS } from '../../sale/catalogue';
import { CUSTOMER_ID_MAX_LENGTH, OTHER_CUSTOMER_MESSAGE } from '../../sale/customers';
import { customerLimitMessage } from '../../shared/refusals';
import { integer, money, oneOf, text } from './fields';

export const STOCK_MAX = 1_000_000_000;
export const PRICE_MAX = 99_999_999.99;
export const PRODUCT_NAME_MAX_LENGTH = 255;
export const MAX_PER_CUSTOMER_MAX = STOCK_MAX;
export const EVENT_ID_MAX_LENGTH = 255;
export const PAGE_SIZE_MAX = 1000;
export const PAGE_SIZE_DEFAULT = 100;

/** Request bodies accept fields they do not know (a newer client's) and ignore them. */
const body = z.looseObject;

const CUSTOMER_TEXT = `The shop's own id of its customer, 1–${CUSTOMER_ID_MAX_LENGTH} characters (an opaque id, not an e-mail: it is shown in the Temporal Web UI). Not a string, or longer: 422 on \`customer_id\`. An empty string counts as absent.`;
const customerId = (more: string) =>
  text({ max: CUSTOMER_ID_MAX_LENGTH, description: `${CUSTOMER_TEXT} ${more}`, examples: ['cus_42'] }).optional();
const OTHER_CUSTOMER_403 = `When the hold was made for another customer: 403 \`${OTHER_CUSTOMER_MESSAGE}\` (nothing changes).`;

/** POST /api/holds; `maxQuantity` is MAX_QUANTITY_PER_HOLD (unset: only the integer range bounds a hold). */
export const createHoldRequest = (maxQuantity?: number) =>
  body({
    product_id: integer({ min: 1, description: 'An existing product (otherwise 422 on `product_id`).' }),
    quantity: integer({
      min: 1,
      max: maxQuantity,
      description:
        'Units to hold. With `MAX_QUANTITY_PER_HOLD` set, more than that answers 422 (`The quantity field must not be greater than N.`).',
    }),
    customer_id: customerId(
      `Stored on the hold and its order; a product's \`max_per_customer\` bounds this customer's unreleased units (400 \`${customerLimitMessage(2).replace('2', 'N')}\`).`,
    ),
  });

/** POST /api/holds/{id}/release (the body is optional). */
export const customerRequest = body({ customer_id: customerId(OTHER_CUSTOMER_403) });

/** POST /api/holds/{id}/extend. */
export const extendHoldRequest = body({
  seconds: integer({ min: 1, description: 'Seconds to add to `hold_expires_at`.' }),
  customer_id: customerId(OTHER_CUSTOMER_403),
});

/** POST /api/orders. */
export const createOrderRequest = body({
  hold_id: integer({ min: 1, description: 'An existing hold (otherwise 422 on `hold_id`).' }),
  customer_id: customerId(OTHER_CUSTOMER_403),
});

/** POST /api/payments/webhook. */
export const paymentWebhookRequest = body({
  event_id: text({
    max: EVENT_ID_MAX_LENGTH,
    description: `The payment provider's unique event id (at most ${EVENT_ID_MAX_LENGTH} characters, not blank). Replays of one id are answered, never applied twice.`,
    examples: ['evt_01HX4B6W'],
  }),
  order_id: integer({ min: 1, description: 'An existing order (otherwise 422 on `order_id`).' }),
  status: oneOf(['paid', 'failed']),
});

const maxPerCustomer = () =>
  integer({
    min: 1,
    max: MAX_PER_CUSTOMER_MAX,
    description: `Units one customer (\`customer_id\`) may have held or bought: unreleased holds plus orders not cancelled. \`null\`: no limit. Past it a hold answers 400 \`${customerLimitMessage(2).replace('2', 'N')}\`.`,
  })
    .nullable()
    .optional();

/** POST /api/admin/products: `available_stock` defaults to `total_stock` and may not exceed it. */
export const createProductRequest = body({
  name: text({
    max: PRODUCT_NAME_MAX_LENGTH,
    description: `At most ${PRODUCT_NAME_MAX_LENGTH} characters, not blank; stored trimmed.`,
    examples: ['Limited Edition Flash Sale Item'],
  }),
  total_stock: integer({ min: 0, max: STOCK_MAX, description: 'Units the product starts with.' }),
  price: money({
    max: PRICE_MAX,
    description: 'At most two decimals (otherwise 422). A string holding a decimal number is accepted as that number.',
  }),
  available_stock: integer({
    min: 0,
    max: STOCK_MAX,
    description: 'Units available now; defaults to `total_stock` and may not exceed it. `null` counts as absent.',
  })
    .nullable()
    .optional(),
  max_per_customer: maxPerCustomer(),
}).check(
  z.refine((p) => p.available_stock == null || p.available_stock <= p.total_stock, {
    path: ['available_stock'],
    error: (iss) =>
      `The available stock field must be less than or equal to ${(iss.input as { total_stock: number }).total_stock}.`,
    // Checked whenever both stock fields are valid, whatever the other fields' errors (Laravel checks each field).
    when: (payload) => !payload.issues.some((i) => ['total_stock', 'available_stock'].includes(String(i.path?.[0]))),
  }),
);

/** PATCH /api/admin/products/{id}: the field must be present; `null` lifts the limit. */
export const productLimitRequest = body({ max_per_customer: maxPerCustomer() });

/** POST /api/admin/products/{id}/restock. */
export const restockRequest = body({
  quantity: integer({ min: 1, max: STOCK_MAX, description: 'Units added to `total_stock` and `available_stock`.' }),
});

/** PUT /api/admin/products/{id}/stock-shards. */
export const stockShardsRequest = body({
  shards: integer({ min: 1, max: MAX_STOCK_SHARDS, description: 'Stock rows for this product (1: no sharding).' }),
});

/** `?limit=` and `?after_id=` of every list (a repeated parameter is not an integer). */
export const pageQuery = body({
  limit: integer({
    min: 1,
    max: PAGE_SIZE_MAX,
    description: `Page size, 1 to ${PAGE_SIZE_MAX}. Not an integer, out of range or repeated: 422 on \`limit\`.`,
  }).default(PAGE_SIZE_DEFAULT),
  after_id: integer({
    min: 0,
    description:
      'Only rows with a larger id (the last id of the previous page). Not an integer, negative or repeated: 422 on `after_id`.',
  }).default(0),
});

/** `?customer_id=` of the hold and order lists (exact match). */
export const customerQuery = body({
  customer_id: text({
    max: CUSTOMER_ID_MAX_LENGTH,
    description: `Only the rows of this customer (exact match). Repeated or longer than ${CUSTOMER_ID_MAX_LENGTH} characters: 422 on \`customer_id\`.`,
  }).optional(),
});

/** `?refund_due=` of the admin order list. */
export const refundDueQuery = body({
  refund_due: oneOf(
    ['true', 'false'],
    '`true`: orders whose money is owed back; `false`: every other order.',
  ).optional(),
});
