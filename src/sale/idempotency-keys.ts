import { createIdempotencyKeys } from '../db/idempotency-keys';
import type { SaleDeps } from './deps';

/** Where the Idempotency-Keys of holds and orders are kept: beside the sale's own rows, in the same database. */
export const idempotencyKeysOf = ({ db }: Pick<SaleDeps, 'db'>) => createIdempotencyKeys(db);
