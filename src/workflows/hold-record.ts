import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  setCurrentDetails,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { outboundEvent } from '../shared/events';
import type { orderRefusal } from '../shared/refusals';
import { HoldExpiresAtKey, HoldStatusKey } from '../shared/search-attributes';
import { FailureType, type HoldState, type HoldStatus, type HoldWorkflowInput } from '../shared/types';
import type { HoldView } from '../shared/views';
import { Outbox } from './outbox';

/** States a hold does not leave; HoldStatus in the Web UI is written only when the hold reaches one. */
const FINAL: HoldState[] = ['ORDERED', 'RELEASED', 'EXPIRED', 'REJECTED'];

/**
 * A hold's state as its workflow keeps it, and each change of it: what the status query, the Web UI's details and
 * search attributes show, and the rules a client's request is checked against. The database decides every change;
 * this mirrors it. The updates that change it are `Hold`'s (hold-updates.ts).
 */
export class HoldRecord {
  state: HoldState = 'RESERVING';
  /** The hold's row as the last activity returned it; null until the reservation commits. */
  view: HoldView | null = null;
  orderId: number | null = null;
  protected rejection: ApplicationFailure | null = null;
  readonly outbox: Outbox;

  constructor(protected readonly input: HoldWorkflowInput) {
    this.outbox = new Outbox(input.events, () => this.describe());
  }

  status(): HoldStatus {
    return { state: this.state, hold: this.view, orderId: this.orderId, rejection: this.rejection?.type ?? null };
  }

  /** The reservation committed: the hold is held from now on. */
  reserved(view: HoldView): void {
    this.view = view;
    // A reservation that ran late starts the hold's life later than the API announced at the start: the Web UI's
    // expiry follows (one upsert, only then).
    if (this.input.expiresAt && view.hold_expires_at !== this.input.expiresAt) {
      upsertSearchAttributes([{ key: HoldExpiresAtKey, value: new Date(view.hold_expires_at) }]);
    }
    this.enter('HELD');
    this.outbox.push(outboundEvent('hold.created', view, view.created_at));
  }

  /** The reservation was refused (sold out, a limit) or failed: the `reserve` update answers with the refusal. */
  refused(err: unknown): void {
    this.rejection =
      businessFailure(err) ?? ApplicationFailure.nonRetryable('reservation failed', FailureType.ReservationFailed);
    this.enter('REJECTED');
  }

  isHeld(): boolean {
    return this.state === 'HELD';
  }

  isFinal(): boolean {
    return FINAL.includes(this.state);
  }

  /** An order, a release or an extension is in flight: its activity decides what the hold becomes. */
  changing(): boolean {
    return this.state === 'ORDERING' || this.state === 'RELEASING' || this.state === 'EXTENDING';
  }

  /** Read again each time the timer is set: an extension moves it. */
  msUntilExpiry(): number {
    return Date.parse(this.view!.hold_expires_at) - Date.now();
  }

  /** Marked before the release runs, so a late order is refused by the validator instead of racing it. */
  expiring(): void {
    this.enter('EXPIRED');
  }

  /** Expired, whoever gave the stock back (the timer's release or the backup sweep). */
  expired(view: HoldView): void {
    this.view = view;
    this.outbox.push(outboundEvent('hold.expired', view, view.released_at ?? view.updated_at));
  }

  protected enter(next: HoldState): void {
    this.state = next;
    if (FINAL.includes(next)) upsertSearchAttributes([{ key: HoldStatusKey, value: next }]);
    this.describe();
  }

  private describe(): void {
    const until = this.view ? `, expires ${this.view.hold_expires_at}` : '';
    const order = this.orderId ? `, order ${this.orderId}` : '';
    const { holdId, quantity, productId } = this.input;
    setCurrentDetails(
      `hold ${holdId}: ${quantity} × product ${productId} — ${this.state}${until}${order}${this.outbox.describe()}`,
    );
  }

  // One change at a time: an order, a release or an extension arriving while an extension is in flight, or while the
  // reservation itself still runs, waits for it to settle, then is checked again against the hold as it is now. The
  // reservation case is eager start's: the API answers 201 in-process before the first workflow task completes, and
  // when that task is retried (its worker died) the client's next request arrives with the start itself.
  protected unsettled(): boolean {
    return this.state === 'EXTENDING' || this.state === 'RESERVING';
  }

  protected async whenSettled(refusalOf: typeof orderRefusal): Promise<void> {
    await condition(() => !this.unsettled());
    this.check(refusalOf);
  }

  /** The check of validators and settled handlers; while the reservation runs there is nothing to check yet. */
  protected check(refusalOf: typeof orderRefusal): void {
    if (this.state === 'REJECTED') throw refuse(FailureType.HoldMissing);
    if (this.state === 'RESERVING') return;
    const facts = {
      expiresAtMs: this.view ? Date.parse(this.view.hold_expires_at) : 0,
      released: this.state === 'RELEASED' || this.state === 'RELEASING' || this.state === 'EXPIRED',
      used: this.state === 'ORDERED' || this.state === 'ORDERING',
    };
    const refusal = refusalOf(facts, Date.now());
    if (refusal) throw refuse(refusal);
  }
}

export const refuse = (type: FailureType) => ApplicationFailure.create({ type, message: type, nonRetryable: true });

/** The activity's own refusal, whether it arrives bare (local activity) or wrapped in an ActivityFailure. */
export function businessFailure(err: unknown): ApplicationFailure | null {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause;
  return null;
}
