/**
 * OpenAPI 3.1 description of the HTTP contract, served at GET /api/openapi.json and rendered at GET /docs.
 * It describes what the code answers (src/api/routes, middleware, validation), including the behaviours the
 * contract leaves to this service: the webhook signature, Idempotency-Key replays and the conservation rule.
 * One module per resource; limits and messages are imported from the code that enforces them.
 */
import { adminPaths, adminResponses, adminSchemas, adminSecuritySchemes } from './admin';
import { commonHeaders, commonParameters, commonResponses, commonSchemas } from './common';
import { holdPaths, holdSchemas } from './holds';
import { description } from './intro';
import { documentationPaths, metaSchemas, welcomePath } from './meta';
import { operationPaths, operationSchemas } from './operations';
import { orderPaths, orderSchemas } from './orders';
import { paymentPaths, paymentSchemas, paymentSecuritySchemes } from './payments';
import { productPaths, productSchemas } from './products';
import { apiKeySecuritySchemes, customerParameters } from './security';
import { withErrorCodes } from './codes';

export const openApiDocument = withErrorCodes({
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
    ...welcomePath,
    ...productPaths,
    ...holdPaths,
    ...orderPaths,
    ...paymentPaths,
    ...adminPaths,
    ...operationPaths,
    ...documentationPaths,
  },
  components: {
    securitySchemes: { ...apiKeySecuritySchemes, ...adminSecuritySchemes, ...paymentSecuritySchemes },
    parameters: { ...commonParameters, ...customerParameters },
    headers: commonHeaders,
    responses: { ...commonResponses, ...adminResponses },
    schemas: {
      ...commonSchemas,
      ...metaSchemas,
      ...productSchemas,
      ...holdSchemas,
      ...orderSchemas,
      ...paymentSchemas,
      ...operationSchemas,
      ...adminSchemas,
    },
  },
} as const);
