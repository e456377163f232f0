import { response } from './build';

/** The shop's API keys (src/api/api-keys.ts): needed by holds and orders once `API_KEYS` is configured. */
export const apiKeySecuritySchemes = {
  apiKey: {
    type: 'http',
    scheme: 'bearer',
    description:
      '`Authorization: Bearer <key>`, one of `API_KEYS` (or `API_KEYS_FILE`). Needed by every hold and order operation once keys are configured; without keys (local development) these operations are open. Products, `GET /api`, the signed webhook and the admin API (its own token) never need one. See docs/integration.md.',
  },
};

/** Security of a hold or order operation: a key when keys are configured, nothing in open mode. */
export const apiKeySecurity = [{ apiKey: [] }, {}];

/** The answers every keyed operation may give before its own work: no key, and the rate limits. */
export const keyedErrors = {
  '401': response('ApiKeyRequired'),
  '429': response('RateLimited'),
};
