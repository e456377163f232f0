import { FailureType } from '../../shared/types';
import { refusal } from '../errors';
import { createOrderRequest } from '../schemas/requests';
import { keyed, keyedCreate } from './security';
import {
  jsonResponse,
  listOperation,
  notFoundResponse,
  parameter,
  requestId,
  requestSchema,
  response,
  schema,
  withDependencies,
} from './build';

/** Where a new order leads: the order, its hold, its payment. */
const ORDER_ID = '$response.body#/data/id';
const ORDER_CREATED_LINKS = {
  GetOrder: { operationId: 'getOrder', parameters: { id: ORDER_ID } },
  GetOrderedHold: { operationId: 'getHold', parameters: { id: '$response.body#/data/hold_id' } },
  PayOrder: { operationId: 'paymentWebhook', requestBody: { order_id: ORDER_ID } },
};
const CREATE_ORDER =
  'Turns a held hold into a pending order. Refusals are checked in this order: expired (even once released), released, already ordered.';
/** In the order they are checked. */
const ORDER_REFUSALS = {
  expired: refusal.order(FailureType.HoldExpired),
  released: refusal.order(FailureType.HoldReleased),
  ordered: refusal.order(FailureType.HoldUsed),
};

export const orderPaths = {
  '/api/orders': {
    post: keyedCreate({
      tag: 'orders',
      operationId: 'createOrder',
      summary: 'Order a hold',
      description: CREATE_ORDER,
      request: 'CreateOrderRequest',
      created: { description: 'Ordered.', schema: 'OrderCreated', links: ORDER_CREATED_LINKS },
      refusals: { description: 'the hold cannot be ordered', examples: ORDER_REFUSALS },
      more: { '403': response('OtherCustomer') },
    }),
    get: keyed(listOperation('orders', 'listOrders', 'List orders', 'Order', '/api/orders', 'All orders.'), {
      list: true,
    }),
  },
  '/api/orders/{id}': {
    get: keyed({
      tags: ['orders'],
      operationId: 'getOrder',
      summary: 'Show an order',
      parameters: [parameter('OrderId'), requestId],
      responses: {
        '200': jsonResponse('The order.', schema('Order')),
        '404': notFoundResponse('Order'),
        ...withDependencies,
      },
    }),
  },
};

export const orderSchemas = {
  OrderStatus: { type: 'string', enum: ['pending', 'completed', 'cancelled'] },
  Order: {
    type: 'object',
    required: [
      'id',
      'hold_id',
      'status',
      'payment_idempotency_key',
      'refund_due',
      'customer_id',
      'amount',
      'currency',
      'created_at',
      'updated_at',
    ],
    additionalProperties: false,
    properties: {
      id: schema('Id'),
      hold_id: schema('Id'),
      status: schema('OrderStatus'),
      payment_idempotency_key: {
        type: ['string', 'null'],
        description: 'The `event_id` of the payment event that settled the order; null while pending.',
      },
      refund_due: {
        type: 'boolean',
        description:
          'A `paid` event came after the order had left `pending` (LATE_PAYMENT_POLICY) and its money is owed back; ' +
          'false again once an operator closes the refund (`POST /api/admin/orders/{id}/refunded`).',
      },
      customer_id: { type: ['string', 'null'], description: "The hold's customer; null when none." },
      amount: {
        type: 'integer',
        minimum: 0,
        description: "quantity × price in the currency's minor units (exact, never floating point).",
      },
      currency: { type: 'string', pattern: '^[a-z]{3}$', description: 'Lower-case ISO 4217 code (CURRENCY).' },
      created_at: schema('Timestamp'),
      updated_at: schema('Timestamp'),
    },
  },
  OrderCreated: {
    type: 'object',
    required: ['id', 'hold_id', 'status', 'amount', 'currency', 'created_at', 'updated_at'],
    additionalProperties: false,
    properties: {
      id: schema('Id'),
      hold_id: schema('Id'),
      status: { const: 'pending' },
      amount: {
        type: 'integer',
        minimum: 0,
        description: "quantity × price in the currency's minor units (exact, never floating point).",
      },
      currency: { type: 'string', pattern: '^[a-z]{3}$', description: 'Lower-case ISO 4217 code (CURRENCY).' },
      created_at: schema('Timestamp'),
      updated_at: schema('Timestamp'),
    },
  },
  CreateOrderRequest: requestSchema(createOrderRequest),
};
