import { FailureType } from '../../shared/types';
import { refusal } from '../errors';
import { createHoldRequest, customerRequest, extendHoldRequest } from '../schemas/requests';
import { keyed, keyedCreate } from './security';
import {
  bodyErrors,
  envelope,
  jsonBodyOf,
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

/** Where a new hold leads: the hold, its early release, its order. */
const HOLD_ID = '$response.body#/data/hold_id';
const HOLD_CREATED_LINKS = {
  GetHold: { operationId: 'getHold', parameters: { id: HOLD_ID } },
  ReleaseHold: { operationId: 'releaseHold', parameters: { id: HOLD_ID } },
  CreateOrder: { operationId: 'createOrder', requestBody: { hold_id: HOLD_ID } },
};
const CREATE_HOLD =
  "Takes `quantity` off the product's `available_stock` under a row lock, for `HOLD_TTL_SECONDS`. Refused with 400 when fewer units are available (the count is read under the lock).";
const HOLD_REFUSALS = {
  insufficient_stock: refusal.insufficientStock(2),
  customer_limit: refusal.customerLimit(2),
};

export const holdPaths = {
  '/api/holds': {
    post: keyedCreate({
      tag: 'holds',
      operationId: 'createHold',
      summary: 'Hold stock',
      description: CREATE_HOLD,
      request: 'CreateHoldRequest',
      created: { description: 'Held.', schema: 'HoldCreated', links: HOLD_CREATED_LINKS },
      refusals: { description: 'not enough stock', examples: HOLD_REFUSALS },
    }),
    get: keyed(
      listOperation('holds', 'listHolds', 'List holds', 'Hold', '/api/holds', 'All holds, whatever their state.'),
      { list: true },
    ),
  },
  '/api/holds/{id}': {
    get: keyed({
      tags: ['holds'],
      operationId: 'getHold',
      summary: 'Show a hold',
      parameters: [parameter('HoldId'), requestId],
      responses: {
        '200': jsonResponse('The hold.', schema('Hold')),
        '404': notFoundResponse('Hold'),
        ...withDependencies,
      },
    }),
  },
  '/api/holds/{id}/release': {
    post: keyed(
      {
        tags: ['holds'],
        operationId: 'releaseHold',
        summary: 'Release a hold early',
        description:
          "Gives the hold's quantity back to `available_stock` now. Refused for a hold that became an order, and for one already released (an expired hold counts as released); refused with 403 when the body names another customer than the hold's. No request body is needed; one that is sent must be JSON.",
        parameters: [parameter('HoldId'), requestId],
        requestBody: { required: false, content: { 'application/json': { schema: schema('CustomerRequest') } } },
        responses: {
          '200': jsonResponse('Released: the hold, `released_at` set.', envelope(schema('Hold'))),
          ...bodyErrors(
            {
              ordered: refusal.release(FailureType.HoldUsed),
              released: refusal.release(FailureType.HoldReleased),
            },
            'Malformed JSON, or the hold cannot be released.',
          ),
          '403': response('OtherCustomer'),
          '404': notFoundResponse('Hold'),
          '422': response('ValidationFailed'),
          ...withDependencies,
        },
      },
      { write: true },
    ),
  },
  '/api/holds/{id}/extend': {
    post: keyed(
      {
        tags: ['holds'],
        operationId: 'extendHold',
        summary: 'Extend a hold',
        description:
          "Moves the hold's `hold_expires_at` later by `seconds`, up to `HOLD_MAX_EXTENSION_SECONDS` in total per hold (unset or 0: extension is disabled). The database moves the expiry under the hold's row lock and the hold's workflow moves its timer (and its `HoldExpiresAt` search attribute) with it. An extension racing the expiry instant has exactly one outcome: extended, or refused as expired with the stock back once. Refused, in this order, for an expired hold (even once released), a released one, one that became an order, and past the limit.",
        parameters: [parameter('HoldId'), requestId],
        requestBody: jsonBodyOf('ExtendHoldRequest'),
        responses: {
          '200': jsonResponse('Extended: the hold with its later `hold_expires_at`.', envelope(schema('Hold'))),
          ...bodyErrors(
            {
              disabled: refusal.extensionDisabled(),
              expired: refusal.extend(FailureType.HoldExpired),
              released: refusal.extend(FailureType.HoldReleased),
              ordered: refusal.extend(FailureType.HoldUsed),
              limit: refusal.extend(FailureType.ExtensionLimit),
            },
            'Malformed JSON, extension disabled, or the hold cannot be extended.',
          ),
          '403': response('OtherCustomer'),
          '404': notFoundResponse('Hold'),
          '413': response('PayloadTooLarge'),
          '422': response('ValidationFailed'),
          ...withDependencies,
        },
      },
      { write: true },
    ),
  },
};

export const holdSchemas = {
  Hold: {
    type: 'object',
    required: [
      'id',
      'product_id',
      'quantity',
      'customer_id',
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
      customer_id: { type: ['string', 'null'], description: 'The customer the hold was made for; null when none.' },
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
  // Request bodies: generated from the schemas the routes validate with.
  ExtendHoldRequest: requestSchema(extendHoldRequest),
  CreateHoldRequest: requestSchema(createHoldRequest()),
  CustomerRequest: requestSchema(customerRequest),
};
