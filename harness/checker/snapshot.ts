import type { RowDataPacket } from 'mysql2/promise';

/** The rows of one consistent read, and the indexes every invariant uses. */
export interface ProductRow extends RowDataPacket {
  id: number;
  total_stock: number;
  available_stock: number;
}
export interface HoldRow extends RowDataPacket {
  id: number;
  product_id: number;
  quantity: number;
  hold_expires_at: string;
  released_at: string | null;
  used_at: string | null;
  release_reason: string | null;
  extended_seconds: number;
  created_at: string;
}
export interface OrderRow extends RowDataPacket {
  id: number;
  hold_id: number;
  status: string;
  payment_idempotency_key: string | null;
  refund_due_at: string | null;
  created_at: string;
}
export interface EventRow extends RowDataPacket {
  event_id: string;
  order_id: number;
  status: string;
  late: number;
}

export interface Snapshot {
  nowMs: number;
  /** The products checked (undefined: all of them). */
  scope: number[] | undefined;
  products: ProductRow[];
  holds: HoldRow[];
  orders: OrderRow[];
  events: EventRow[];
  productIds: Set<number>;
  holdById: Map<number, HoldRow>;
  orderByHold: Map<number, OrderRow>;
  orderById: Map<number, OrderRow>;
  eventById: Map<string, EventRow>;
  /** On-time events (they settle a pending order) and late ones (after it left pending), by order. */
  eventsByOrder: Map<number, EventRow[]>;
  lateByOrder: Map<number, EventRow[]>;
  /** Hold ids by the Idempotency-Key that made them (read only for the settled checks). */
  holdByKey: Map<string, number>;
}

/** DATETIME(3) as stored (UTC, no zone) to epoch ms. */
export const ms = (v: string | null): number | null => (v === null ? null : Date.parse(`${v.replace(' ', 'T')}Z`));
/** Clock slack between the processes that write times (all on this machine, so small). */
export const SLACK_MS = 5;

const push = <K, V>(map: Map<K, V[]>, key: K, value: V) => map.set(key, [...(map.get(key) ?? []), value]);

export function indexed(
  nowMs: number,
  scope: number[] | undefined,
  rows: { products: ProductRow[]; holds: HoldRow[]; orders: OrderRow[]; events: EventRow[] },
  holdByKey = new Map<string, number>(),
): Snapshot {
  const s: Snapshot = {
    nowMs,
    scope,
    ...rows,
    productIds: new Set(rows.products.map((p) => Number(p.id))),
    holdById: new Map(rows.holds.map((h) => [Number(h.id), h])),
    orderByHold: new Map(rows.orders.map((o) => [Number(o.hold_id), o])),
    orderById: new Map(rows.orders.map((o) => [Number(o.id), o])),
    eventById: new Map(rows.events.map((e) => [e.event_id, e])),
    eventsByOrder: new Map(),
    lateByOrder: new Map(),
    holdByKey,
  };
  for (const e of rows.events) push(Number(e.late) ? s.lateByOrder : s.eventsByOrder, Number(e.order_id), e);
  return s;
}

/** A late `paid` that completed its cancelled order (LATE_PAYMENT_POLICY=honour_if_available). */
export function honouredBy(s: Snapshot, o: OrderRow): EventRow | undefined {
  if (o.status !== 'completed') return undefined;
  return (s.lateByOrder.get(Number(o.id)) ?? []).find(
    (e) => e.status === 'paid' && e.event_id === o.payment_idempotency_key,
  );
}

export const inScope = (s: Snapshot, productId: number) => !s.scope || s.scope.includes(productId);
