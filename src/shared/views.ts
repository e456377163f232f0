/** The JSON shapes the API returns; shared by activities, workflows and routes. Times are ISO-8601 UTC. */
export interface ProductView {
  id: number;
  name: string;
  total_stock: number;
  available_stock: number;
  price: number;
  created_at: string;
  updated_at: string;
}

export interface AdminProductView extends ProductView {
  /** Units one customer may have held or bought (unreleased holds plus orders not cancelled); null: no limit. */
  max_per_customer: number | null;
}

export interface HoldView {
  id: number;
  product_id: number;
  quantity: number;
  /** The shop's customer the hold was made for; null when none was given. */
  customer_id: string | null;
  hold_expires_at: string;
  released_at: string | null;
  used_at: string | null;
  created_at: string;
  updated_at: string;
}

export type OrderStatus = 'pending' | 'completed' | 'cancelled';

export interface OrderView {
  id: number;
  hold_id: number;
  status: OrderStatus;
  payment_idempotency_key: string | null;
  /** A payment came after the order had left `pending` and is owed back (until an operator closes the refund). */
  refund_due: boolean;
  /** The hold's customer, copied when the order is placed; null when none. */
  customer_id: string | null;
  /** `quantity × price` in the currency's minor units (cents for usd, yen for jpy), fixed when the order is placed. */
  amount: number;
  /** Lower-case ISO 4217 code (CURRENCY when the order was placed). */
  currency: string;
  created_at: string;
  updated_at: string;
}
