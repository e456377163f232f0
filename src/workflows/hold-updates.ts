import { condition, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { outboundEvent } from '../shared/events';
import { ORDER_PRIORITY } from '../shared/priorities';
import { orderRefusal, releaseRefusal } from '../shared/refusals';
import { HoldExpiresAtKey } from '../shared/search-attributes';
import { FailureType, type ExtendRequest } from '../shared/types';
import type { HoldView, OrderView } from '../shared/views';
import { DB_STEP_OPTIONS } from './activity-options';
import { businessFailure, HoldRecord, refuse } from './hold-record';

// A client's order, release or extension is a scheduled activity: the update is accepted and the activity recorded
// in history before it commits, so a worker killed right after the commit leaves a retry that finds its own change.
// (As local activities they would commit inside an unfinished workflow task: a crash then loses the update while
// the database keeps the change, and the workflow no longer knows its hold.) Each retries without a cap on attempts.
const { releaseHold, extendHold } = proxyActivities<Activities>(DB_STEP_OPTIONS);
// Creating the order waits behind a burst's hold work (shared/priorities.ts); the hold's own steps keep its priority.
const { createOrder } = proxyActivities<Activities>({ ...DB_STEP_OPTIONS, priority: ORDER_PRIORITY });

/**
 * A hold in its workflow (holdWorkflowV2, hold.ts): its state (HoldRecord) with the updates a client sends it, each a
 * validator, which refuses before anything is written to history, and a handler, which lets the database decide
 * (Temporal's safe-message-handlers sample: an entity's state and its handlers in one class).
 */
export class Hold extends HoldRecord {
  /** The `reserve` update (Update-with-Start): answers once the reservation has committed or been refused. */
  async reservation(): Promise<HoldView> {
    await condition(() => this.state !== 'RESERVING');
    if (this.rejection) throw this.rejection;
    return this.view!;
  }

  validateOrder(): void {
    this.check(orderRefusal);
  }

  async placeOrder(): Promise<OrderView> {
    if (this.unsettled()) await this.whenSettled(orderRefusal);
    this.enter('ORDERING');
    let order: OrderView;
    try {
      order = await createOrder(this.input.holdId);
    } catch (err) {
      // The database refused (expired or released meanwhile): keep waiting for the timer, which settles it.
      this.enter('HELD');
      throw businessFailure(err) ?? err;
    }
    this.orderId = order.id;
    this.view = { ...this.view!, used_at: order.created_at, updated_at: order.created_at };
    this.enter('ORDERED');
    this.outbox.push(outboundEvent('order.created', order, order.created_at));
    // The workflow starts the order's own workflow, in the same workflow task: the update answers now.
    return order;
  }

  validateRelease(): void {
    this.check(releaseRefusal);
  }

  async release(): Promise<HoldView> {
    if (this.unsettled()) await this.whenSettled(releaseRefusal);
    this.enter('RELEASING');
    const result = await releaseHold(this.input.holdId, 'released');
    this.view = result.hold;
    if (result.released) {
      this.enter('RELEASED');
      this.outbox.push(outboundEvent('hold.released', this.view, this.view.released_at ?? this.view.updated_at));
      return this.view;
    }
    this.enter('HELD');
    throw refuse(this.view.used_at ? FailureType.HoldUsed : FailureType.HoldReleased);
  }

  /**
   * Refused here, before anything is written to history, when the hold is not held any more (same order of reasons
   * as an order: expired first); the activity decides the rest under the row lock.
   */
  validateExtension(): void {
    this.check(orderRefusal);
  }

  async extend({ seconds, maxTotalSeconds }: ExtendRequest): Promise<HoldView> {
    if (this.unsettled()) await this.whenSettled(orderRefusal);
    this.enter('EXTENDING');
    let extended: HoldView;
    try {
      extended = await extendHold({
        holdId: this.input.holdId,
        seconds,
        maxTotalSeconds,
        fromExpiresAt: this.view!.hold_expires_at,
      });
    } catch (err) {
      // Refused: the timer loop takes over again with the expiry the hold still has.
      this.enter('HELD');
      throw businessFailure(err) ?? err;
    }
    this.view = extended;
    upsertSearchAttributes([{ key: HoldExpiresAtKey, value: new Date(extended.hold_expires_at) }]);
    this.enter('HELD');
    return extended;
  }
}
