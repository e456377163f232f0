import type { Priority } from '@temporalio/common';

/**
 * Temporal task priorities (1 runs first, 3 is the server's default, 5 last): during a burst, hold work (a new
 * hold's tasks, its expiry, a release, an extension) goes ahead of orders and their payments, and outbound events
 * go last. Priority only orders a backlog: with an idle queue every task runs at once, and orders catch up as soon
 * as the burst of holds is answered (well inside their payment timeout). Child workflows and activities inherit
 * their workflow's priority unless given one here.
 */
export const HOLD_PRIORITY: Priority = { priorityKey: 1 };
export const ORDER_PRIORITY: Priority = { priorityKey: 4 };
export const EVENT_PRIORITY: Priority = { priorityKey: 5 };
