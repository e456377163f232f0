import { startReceiver, type ReceivedEvent, type Receiver } from '../src/events/receiver';
import type { EventType, OutboundEvent } from '../src/shared/events';

export const EVENTS_SECRET = 'test-events-secret';

/** A local receiver that checks signatures (a bad one is refused, so it would never be recorded) and keeps all. */
export async function collectEvents(port = 0) {
  const received: ReceivedEvent[] = [];
  const rejected: string[] = [];
  const receiver: Receiver = await startReceiver({
    port,
    secret: EVENTS_SECRET,
    onEvent: (r) => received.push(r),
    onRejected: (reason) => rejected.push(reason),
  });
  /** Each id once, in the order first received. */
  const unique = (): OutboundEvent[] => received.filter((r) => !r.duplicate).map((r) => r.event);
  return { receiver, received, rejected, unique, url: `http://127.0.0.1:${receiver.port}/` };
}

const HOLD_RANK: Record<EventType, number> = {
  'hold.created': 0,
  'hold.released': 1,
  'hold.expired': 1,
  'order.created': 1,
  'order.completed': 2,
  'order.cancelled': 2,
  'order.refund_due': 3,
};

/** The hold an event belongs to. */
export const holdOf = (e: OutboundEvent) =>
  e.type.startsWith('hold.') ? Number((e.data as { id: number }).id) : Number((e.data as { hold_id: number }).hold_id);

/** Per hold, the types in the order first received; throws when one arrived before an event it must follow. */
export function typesByHold(events: OutboundEvent[]): Map<number, EventType[]> {
  const byHold = new Map<number, EventType[]>();
  for (const e of events) {
    const list = byHold.get(holdOf(e)) ?? [];
    const last = list[list.length - 1];
    if (last && HOLD_RANK[last] > HOLD_RANK[e.type]) throw new Error(`hold ${holdOf(e)}: ${e.type} after ${last}`);
    list.push(e.type);
    byHold.set(holdOf(e), list);
  }
  return byHold;
}
