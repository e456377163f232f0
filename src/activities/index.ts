import type { ActivityDeps } from './deps';
import { createEventActivities } from './events';
import { createExtensionActivities } from './extensions';
import { createOrderActivities } from './orders';
import { createPurgeActivities } from './purge';
import { createReleaseActivities } from './release';
import { createStockActivities } from './stock';
import { createSweepActivities } from './sweep';

export type { ActivityDeps } from './deps';

/** Every activity the worker registers, built around its dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createStockActivities(deps),
    ...createReleaseActivities(deps),
    ...createOrderActivities(deps),
    ...createSweepActivities(deps),
    ...createPurgeActivities(deps),
    ...createEventActivities(deps),
    ...createExtensionActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
