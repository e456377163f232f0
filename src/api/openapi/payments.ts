import { PAYMENT_MESSAGES, paymentRefusal } from '../routes/payments';
import { STRIPE_MESSAGES, STRIPE_SIGNATURE_TOLERANCE_SECONDS } from '../routes/stripe';
import { HttpError, notFound } from '../errors';
import { paymentWebhookRequest } from '../schemas/requests';
import { SIGNATURE_TOLERANCE_SECONDS } from '../../signature';
import {
  bodyErrors,
  envelope,
  errorResponse,
  jsonBodyOf,
  jsonResponse,
  requestId,
  requestSchema,
  response,
  schema,
  withDependencies,
} from './build';

export const paymentPaths = {
  '/api/payments/webhook': {
    post: {
      tags: ['payments'],
      operationId: 'paymentWebhook',
      summary: 'Payment result (payment provider)',
      description: `\`paid\` completes a pending order; \`failed\` cancels it and gives its stock back. Each \`event_id\` is recorded once: replaying it answers 200 \`${PAYMENT_MESSAGES.replayed}\` with the order's current status and changes nothing; using it for another order answers 409. A new \`failed\` event for an order that is no longer pending answers 400 (and is recorded). A new \`paid\` event for an order that is no longer pending (a late payment) is recorded and answered 200 \`${PAYMENT_MESSAGES.late}\` with \`refund_due: true\`: the money is owed back (the order view shows \`refund_due\` until \`POST /api/admin/orders/{id}/refunded\`). With \`LATE_PAYMENT_POLICY=honour_if_available\` a cancelled order whose product still has the units takes them again and is completed instead (200 \`${PAYMENT_MESSAGES.processed}\`). The signature (see "Webhook signature" above) is checked before anything else, over the raw body.`,
      security: [{ webhookSignature: [] }],
      parameters: [requestId],
      requestBody: jsonBodyOf('PaymentWebhookRequest'),
      responses: {
        '200': jsonResponse(
          'Processed, a late payment recorded, or a replay of an event already processed.',
          envelope(schema('PaymentResult'), {
            type: 'string',
            enum: [PAYMENT_MESSAGES.processed, PAYMENT_MESSAGES.late, PAYMENT_MESSAGES.replayed],
          }),
        ),
        ...bodyErrors(
          { not_pending: paymentRefusal.notPending() },
          'Malformed JSON, or a new event for an order that is no longer pending.',
        ),
        '401': errorResponse('Missing, malformed, wrong or stale `X-Signature` (only with a webhook secret).', {
          invalid_signature: paymentRefusal.invalidSignature(),
        }),
        '409': errorResponse('The `event_id` was already used for another order.', {
          event_reused: paymentRefusal.eventReused(),
        }),
        '422': response('ValidationFailed'),
        '429': response('RateLimited'),
        ...withDependencies,
      },
    },
  },
  '/api/payments/stripe': {
    post: {
      tags: ['payments'],
      operationId: 'stripeWebhook',
      summary: 'Stripe events (only with STRIPE_WEBHOOK_SECRET)',
      description: `Stripe's events as Stripe sends them, the raw body verified against \`Stripe-Signature\` (HMAC-SHA256 of \`t.body\`, ${STRIPE_SIGNATURE_TOLERANCE_SECONDS} s tolerance) with the official \`stripe\` package. \`payment_intent.succeeded\` and a paid \`checkout.session.completed\` act as a \`paid\` event, \`payment_intent.payment_failed\` as a \`failed\` event, for the order in the object's \`metadata.order_id\`; Stripe's event \`id\` is the \`event_id\`, so a redelivery is a replay. Outcomes and messages are the payment webhook's (late payments included). Other event types, or an object without \`metadata.order_id\`: 200 \`${STRIPE_MESSAGES.ignored}\`. Without \`STRIPE_WEBHOOK_SECRET\` the route does not exist (404).`,
      security: [{ stripeSignature: [] }],
      parameters: [requestId],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { type: 'object', description: 'A Stripe event object.' } } },
      },
      responses: {
        '200': jsonResponse(
          'Processed, a late payment recorded, a replay, or an event this service does not act on.',
          envelope(
            {
              oneOf: [
                schema('PaymentResult'),
                {
                  type: 'object',
                  required: ['event_id', 'type'],
                  additionalProperties: false,
                  properties: { event_id: { type: 'string' }, type: { type: 'string' } },
                },
              ],
            },
            {
              type: 'string',
              enum: [
                PAYMENT_MESSAGES.processed,
                PAYMENT_MESSAGES.late,
                PAYMENT_MESSAGES.replayed,
                STRIPE_MESSAGES.ignored,
              ],
            },
          ),
        ),
        ...bodyErrors(
          {
            invalid_signature: new HttpError(400, 'invalid_signature', PAYMENT_MESSAGES.invalidSignature),
            not_pending: paymentRefusal.notPending(),
          },
          'Malformed JSON, a missing, wrong or stale `Stripe-Signature`, or a new event for an order no longer pending.',
        ),
        '404': errorResponse("No order with the event's `metadata.order_id`, or Stripe is not configured here.", {
          not_found: notFound('Order'),
        }),
        '409': errorResponse('The event id was already used for another order.', {
          event_reused: paymentRefusal.eventReused(),
        }),
        '429': response('RateLimited'),
        ...withDependencies,
      },
    },
  },
};

export const paymentSecuritySchemes = {
  stripeSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'Stripe-Signature',
    description:
      "Stripe's own signature (`t=…,v1=…`), made with the endpoint's signing secret (`STRIPE_WEBHOOK_SECRET`).",
  },
  webhookSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Signature',
    description: `\`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with WEBHOOK_SECRET>\`; \`t\` within ${SIGNATURE_TOLERANCE_SECONDS} s of now. Required whenever \`WEBHOOK_SECRET\` is configured (always in production). Example in a shell: \`t=$(date +%s); sig=$(printf '%s.%s' "$t" "$body" | openssl dgst -sha256 -hmac "$WEBHOOK_SECRET" -hex | sed 's/^.* //'); curl -H "X-Signature: t=$t,v1=$sig" -d "$body" …/api/payments/webhook\`.`,
  },
};

export const paymentSchemas = {
  PaymentResult: {
    type: 'object',
    required: ['order_id', 'status'],
    additionalProperties: false,
    properties: {
      order_id: schema('Id'),
      status: {
        ...schema('OrderStatus'),
        description:
          '`completed` or `cancelled` for a processed event; the current status for a late payment or a replay.',
      },
      refund_due: { const: true, description: 'Only for a late payment: its money is owed back.' },
    },
  },
  PaymentWebhookRequest: requestSchema(paymentWebhookRequest),
};
