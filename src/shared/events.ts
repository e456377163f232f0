import type { HoldView, OrderView } from './views';

/** The outbound event types (CONTRACT.md "Outbound events"). */
export type EventType =
  | 'hold.created'
  | 'hold.released'
  | 'hold.expired'
  | 'order.created'
  | 'order.completed'
  | 'order.cancelled'
  | 'order.refund_due';

/** The body POSTed to EVENTS_URL. `id` is stable across retries and replays: receivers dedupe by it. */
export interface OutboundEvent {
  id: string;
  type: EventType;
  created_at: string;
  data: HoldView | OrderView | Record<string, unknown>;
}

/** Workflow input when events are on; absent, a workflow schedules no event work at all. */
export interface EventSettings {
  /** How long one event is retried before it is marked undeliverable (EVENTS_RETRY_HOURS). */
  retryHours: number;
}

/**
 * One event per change of one object, so the type and the object's id make a stable id; a late payment adds its
 * payment event id (one order may owe several refunds).
 */
export function outboundEvent(
  type: EventType,
  data: HoldView | OrderView,
  createdAt: string,
  suffix?: string,
): OutboundEvent {
  return { id: `${type}:${data.id}${suffix ? `:${suffix}` : ''}`, type, created_at: createdAt, data };
}

/** The hold's events in delivery order; used by tests and the invariant checker. */
export const HOLD_EVENT_ORDER: EventType[] = ['hold.created', 'hold.released', 'hold.expired', 'order.created'];
