import type { Sequelize } from 'sequelize';
import type { ProductCache } from '../cache/product-cache';
import type { FaultPoints } from '../faults';
import type { Logger } from '../logger';

export interface ActivityDeps {
  db: Sequelize;
  cache: ProductCache;
  log: Logger;
  /** Where outbound events go (EVENTS_URL, EVENTS_SECRET); absent: none are sent. */
  events?: { url?: string; secret?: string };
  /** CURRENCY: what new orders are priced in (src/shared/money.ts); absent: usd. */
  currency?: string;
  /** The chaos suite's fault points (FAULT_POINTS, built by the process entry point); absent: none. */
  faults?: FaultPoints;
}
