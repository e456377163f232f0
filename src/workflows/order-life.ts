import { condition, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { DB_STEP_OPTIONS } from './activity-options';
import { outboundEvent } from '../shared/events';
import { holdEventsDeliveredSignal, latePaymentSignal, refundClosedSignal } from '../shared/messages';
import { OrderStatusKey } from '../shared/search-attributes';
import type { LatePayment, OrderWorkflowInput } from '../shared/types';
import type { OrderStatus, OrderView } from '../shared/views';
import { Outbox } from './outbox';

const { readOrder } = proxyActivities<Activities>(DB_STEP_OPTIONS);

/**
 * What happens to an order after its payment is settled: its outbound events, and late payments (a refund owed stays
 * visible as OrderStatus=refund_due, with the run open, until an operator closes it). Handlers are registered when
 * the order's workflow starts; the work runs only for runs that have events or a late payment, so shipped histories
 * replay unchanged.
 */
export class OrderAftermath {
  readonly outbox: Outbox;
  private readonly late: LatePayment[] = [];
  private readonly lateSeen = new Set<string>();
  private refundOwed = false;
  private refundClosed = false;

  constructor(
    private readonly input: OrderWorkflowInput,
    private readonly describe: () => void,
  ) {
    this.outbox = new Outbox(input.events, describe, !input.events?.afterHold);
    setHandler(holdEventsDeliveredSignal, () => this.outbox.open());
    setHandler(latePaymentSignal, (p) => {
      // Sent again when the provider retries the webhook: once per payment event.
      if (this.lateSeen.has(p.eventId)) return;
      this.lateSeen.add(p.eventId);
      this.late.push(p);
    });
    setHandler(refundClosedSignal, () => {
      if (this.refundOwed) this.refundClosed = true;
    });
  }

  /** True when this run has more to do than the shipped order workflow did. */
  get needed(): boolean {
    return this.outbox.enabled || this.late.length > 0 || this.input.settled !== undefined;
  }

  details(): string {
    return (this.refundOwed ? '; refund due' : '') + this.outbox.describe();
  }

  /** Reports the settled order, then each late payment, until nothing is owed and every event is out. */
  async run(status: OrderStatus, settledOrder: OrderView | undefined): Promise<OrderStatus> {
    if (this.input.settled === undefined && this.outbox.enabled) {
      const order = settledOrder ?? (await readOrder(this.input.orderId));
      this.outbox.push(
        outboundEvent(status === 'completed' ? 'order.completed' : 'order.cancelled', order, order.updated_at),
      );
    }
    for (;;) {
      await condition(
        () =>
          this.late.length > 0 || (this.refundOwed && this.refundClosed) || (!this.refundOwed && this.outbox.idle()),
      );
      while (this.late.length > 0) status = this.apply(this.late.shift()!);
      if (this.refundOwed && this.refundClosed) {
        this.refundOwed = this.refundClosed = false;
        upsertSearchAttributes([{ key: OrderStatusKey, value: status }]);
        this.describe();
      }
      if (this.late.length === 0 && !this.refundOwed && this.outbox.idle()) return status;
    }
  }

  private apply(p: LatePayment): OrderStatus {
    if (p.outcome === 'refund-due') {
      this.refundOwed = true;
      this.refundClosed = false;
      this.outbox.push(outboundEvent('order.refund_due', p.order, p.order.updated_at, p.eventId));
    } else {
      this.outbox.push(outboundEvent('order.completed', p.order, p.order.updated_at));
    }
    upsertSearchAttributes([{ key: OrderStatusKey, value: this.refundOwed ? 'refund_due' : p.order.status }]);
    this.describe();
    return p.order.status;
  }
}
