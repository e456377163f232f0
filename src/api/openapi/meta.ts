import { routeNotFound } from '../errors';
import { WELCOME_MESSAGE } from '../routes/health';
import { common, errorResponse, headers, jsonResponse, requestId, schema } from './build';

/** `GET /api`, the first path of the document. */
export const welcomePath = {
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
};

/** This document and the page that renders it (src/api/routes/docs.ts). */
export const documentationPaths = {
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
        '404': errorResponse('No such file.', { not_found: routeNotFound() }),
        ...common,
      },
    },
  },
};

export const metaSchemas = {
  Welcome: {
    type: 'object',
    required: ['message', 'status', 'timestamp'],
    additionalProperties: false,
    properties: {
      message: { const: WELCOME_MESSAGE },
      status: { const: 'success' },
      timestamp: schema('Timestamp'),
    },
  },
};
