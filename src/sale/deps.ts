import type { ProductCache } from '../cache/product-cache';
import type { FaultPoints } from '../faults';
import type { Models } from '../db/models';
import type { Sequelize } from 'sequelize';
import type { HoldGateway } from '../temporal/holds';
import type { Logger } from '../logger';

/** What the sale's rules need: the database that decides, the cache that answers fast, the workflows. */
export interface SaleDeps {
  db: Sequelize;
  models: Models;
  cache: ProductCache;
  holds: HoldGateway;
  log?: Logger;
  /** The chaos suite's fault points (FAULT_POINTS), built by the process entry point; absent: none. */
  faults?: FaultPoints;
}
