import { routeNotFound } from '../errors';
import { PROBE_TIMEOUT_MS } from '../routes/health';
import { common, errorResponse, headers, jsonResponse, requestId, schema, withDependencies } from './build';

export const operationPaths = {
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
      description: `Probes MariaDB, Redis and Temporal (${PROBE_TIMEOUT_MS / 1000} s each); 503 names the ones that do not answer.`,
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
        '404': errorResponse('Metrics are not enabled in this process.', { not_found: routeNotFound() }),
        ...withDependencies,
      },
    },
  },
};

export const operationSchemas = {
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
};
