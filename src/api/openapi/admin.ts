import { unauthorized } from '../errors';
import { ADMIN_MESSAGES, adminRefusal } from '../routes/admin';
import {
  STOCK_MAX,
  createProductRequest,
  productLimitRequest,
  refundDueQuery,
  restockRequest,
  stockShardsRequest,
} from '../schemas/requests';
import { productSchemas } from './products';
import {
  bodyErrors,
  envelope,
  errorResponse,
  jsonBodyOf,
  jsonResponse,
  notFoundResponse,
  parameter,
  queryParameter,
  requestId,
  requestSchema,
  response,
  schema,
  withDependencies,
} from './build';

/** What every admin operation can answer besides its own result. */
const adminErrors = {
  ...bodyErrors({}, 'Malformed JSON.'),
  '401': response('Unauthorized'),
  '403': response('AdminDisabled'),
  '429': response('RateLimited'),
};

/** An admin operation on one product that answers the product. */
const productChange = (operationId: string, summary: string, description: string, body: string, answer: string) => ({
  tags: ['admin'],
  operationId,
  summary,
  description,
  security: [{ adminToken: [] }],
  parameters: [parameter('ProductId'), requestId],
  requestBody: jsonBodyOf(body),
  responses: {
    '200': jsonResponse(answer, envelope(schema('AdminProduct'))),
    ...adminErrors,
    '404': notFoundResponse('Product'),
    '422': response('ValidationFailed'),
    ...withDependencies,
  },
});

export const adminPaths = {
  '/api/admin/products': {
    post: {
      tags: ['admin'],
      operationId: 'createProduct',
      summary: 'Create a product',
      description:
        '`available_stock` defaults to `total_stock` and may not exceed it. The name is stored trimmed. The token is checked before the body is read.',
      security: [{ adminToken: [] }],
      parameters: [requestId],
      requestBody: jsonBodyOf('CreateProductRequest'),
      responses: {
        '201': {
          ...jsonResponse('Created: the product.', envelope(schema('AdminProduct'))),
          links: {
            GetProduct: { operationId: 'getProduct', parameters: { id: '$response.body#/data/id' } },
            RestockProduct: { operationId: 'restockProduct', parameters: { id: '$response.body#/data/id' } },
            HoldProduct: { operationId: 'createHold', requestBody: { product_id: '$response.body#/data/id' } },
          },
        },
        ...adminErrors,
        '422': response('ValidationFailed'),
        ...withDependencies,
      },
    },
  },
  '/api/admin/products/{id}': {
    patch: productChange(
      'limitProduct',
      "Set a product's purchase limit",
      '`max_per_customer`: the units one customer may have held or bought (unreleased holds plus orders not cancelled), checked inside every later reservation; `null` lifts the limit. Holds already made stay. The field must be present.',
      'ProductLimitRequest',
      'Updated: the product.',
    ),
  },
  '/api/admin/products/{id}/restock': {
    post: productChange(
      'restockProduct',
      'Restock a product',
      `Adds \`quantity\` to both \`total_stock\` and \`available_stock\` in one statement, then invalidates the cached product. \`total_stock\` never exceeds ${STOCK_MAX.toLocaleString('en-US')}: a larger restock answers 422 on \`quantity\` naming the room left.`,
      'RestockRequest',
      'Restocked: the product.',
    ),
  },
  '/api/admin/products/{id}/stock-shards': {
    put: productChange(
      'reshardProduct',
      "Split a hot product's stock over shards",
      'Spreads `available_stock` evenly over `shards` rows that holds lock independently (1 puts it back on the product row); a hold takes from one shard and falls back to the others when it runs dry. The sum is unchanged and the product reads as before. See docs/scaling.md.',
      'StockShardsRequest',
      'Resharded: the product.',
    ),
  },
  '/api/admin/orders': {
    get: {
      tags: ['admin'],
      operationId: 'listOrdersAdmin',
      summary: 'List orders, by refund owed',
      description:
        "Orders as `GET /api/orders` lists them; `refund_due=true` keeps only those owing a refund for a late payment (the operator's to-do list), `refund_due=false` the others. Bare JSON array, ascending `id`, paged by `limit` and `after_id` with a `Link` header to the next page.",
      security: [{ adminToken: [] }],
      parameters: [queryParameter(refundDueQuery, 'refund_due'), parameter('limit'), parameter('after_id'), requestId],
      responses: {
        '200': jsonResponse('A page of orders.', { type: 'array', items: schema('Order') }, { headers: ['Link'] }),
        '401': response('Unauthorized'),
        '403': response('AdminDisabled'),
        '422': response('ValidationFailed'),
        ...withDependencies,
      },
    },
  },
  '/api/admin/orders/{id}/refunded': {
    post: {
      tags: ['admin'],
      operationId: 'closeRefund',
      summary: "Close an order's refund",
      description:
        "The late payment's money is back with the customer: `refund_due` turns false, and the order's workflow stops showing `OrderStatus=refund_due` in the Temporal Web UI. Same as `npm run admin -- order:refunded <id>`.",
      security: [{ adminToken: [] }],
      parameters: [parameter('OrderId'), requestId],
      responses: {
        '200': jsonResponse('Closed: the order.', envelope(schema('Order'))),
        ...bodyErrors({ no_refund: adminRefusal.noRefundDue() }, 'Malformed JSON, or the order owes no refund.'),
        '401': response('Unauthorized'),
        '403': response('AdminDisabled'),
        '404': notFoundResponse('Order'),
        ...withDependencies,
      },
    },
  },
};

export const adminSecuritySchemes = {
  adminToken: {
    type: 'http',
    scheme: 'bearer',
    description: `\`Authorization: Bearer <ADMIN_TOKEN>\`. A missing or wrong token answers 401 \`${ADMIN_MESSAGES.unauthorized}\`; without a configured \`ADMIN_TOKEN\` the admin API answers 403 \`${ADMIN_MESSAGES.disabled}\`.`,
  },
};

export const adminResponses = {
  Unauthorized: errorResponse('Missing or wrong bearer token.', { unauthorized: unauthorized() }),
  AdminDisabled: errorResponse('No `ADMIN_TOKEN` is configured.', { disabled: adminRefusal.disabled() }),
};

export const adminSchemas = {
  AdminProduct: {
    ...productSchemas.Product,
    required: [...productSchemas.Product.required, 'max_per_customer'],
    properties: {
      ...productSchemas.Product.properties,
      max_per_customer: { type: ['integer', 'null'], minimum: 1, description: 'The purchase limit; null: none.' },
    },
  },
  // Request bodies: generated from the schemas the routes validate with.
  ProductLimitRequest: { ...requestSchema(productLimitRequest), required: ['max_per_customer'] },
  CreateProductRequest: requestSchema(createProductRequest),
  RestockRequest: requestSchema(restockRequest),
  StockShardsRequest: requestSchema(stockShardsRequest),
};
