import type { AdminProductView, HoldView, OrderView, ProductView } from '../shared/views';
import { iso } from './time';

type Row = Record<string, unknown>;

const isoOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : iso(v));

export const productView = (r: Row): ProductView => ({
  id: Number(r.id),
  name: String(r.name),
  total_stock: Number(r.total_stock),
  available_stock: Number(r.available_stock),
  price: Number(r.price),
  created_at: iso(r.created_at),
  updated_at: iso(r.updated_at),
});

/** What the admin API answers: the product as everyone sees it, plus its purchase limit (null: none). */
export const adminProductView = (r: Row): AdminProductView => ({
  ...productView(r),
  max_per_customer: r.max_per_customer === null || r.max_per_customer === undefined ? null : Number(r.max_per_customer),
});

export const holdView = (r: Row): HoldView => ({
  id: Number(r.id),
  product_id: Number(r.product_id),
  quantity: Number(r.quantity),
  customer_id: (r.customer_id as string | null | undefined) ?? null,
  hold_expires_at: iso(r.hold_expires_at),
  released_at: isoOrNull(r.released_at),
  used_at: isoOrNull(r.used_at),
  created_at: iso(r.created_at),
  updated_at: iso(r.updated_at),
});

export const orderView = (r: Row): OrderView => ({
  id: Number(r.id),
  hold_id: Number(r.hold_id),
  status: r.status as OrderView['status'],
  payment_idempotency_key: (r.payment_idempotency_key as string | null) ?? null,
  refund_due: r.refund_due_at != null && r.refunded_at == null,
  customer_id: (r.customer_id as string | null | undefined) ?? null,
  amount: Number(r.amount),
  currency: String(r.currency),
  created_at: iso(r.created_at),
  updated_at: iso(r.updated_at),
});
