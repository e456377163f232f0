import { condition, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { EventSettings, OutboundEvent } from '../shared/events';
import { EVENT_PRIORITY } from '../shared/priorities';

// Options are given per call (retry window from the workflow's input); these are the defaults for the bookkeeping.
const { deliverEvent, markUndeliverable } = proxyActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumInterval: '1m' },
  priority: EVENT_PRIORITY,
});

/**
 * A workflow's outbound events, delivered one at a time in the order they were pushed (so in order per hold), each by
 * an activity that Temporal retries with exponential back-off until the retry window (EVENTS_RETRY_HOURS) is over.
 * Events are pushed only after the activity that committed the change has returned, so a receiver never hears of a
 * change that did not happen; a worker killed mid-delivery leaves the activity to be retried, so none is lost.
 *
 * Without settings (EVENTS_URL unset) it does nothing at all: no command, no timer, no state.
 */
export class Outbox {
  private readonly queue: OutboundEvent[] = [];
  private pumping = false;
  delivered = 0;
  undeliverable = 0;

  constructor(
    private readonly settings: EventSettings | undefined,
    /** Called whenever delivery moves on, to refresh the workflow's details in the Web UI. */
    private readonly onChange: () => void = () => undefined,
    /** Closed: wait for `open()` before delivering (an order waits until its hold's events are out). */
    private gateOpen = true,
  ) {}

  get enabled(): boolean {
    return this.settings !== undefined;
  }

  push(event: OutboundEvent): void {
    if (!this.settings) return;
    this.queue.push(event);
    this.pump();
  }

  open(): void {
    this.gateOpen = true;
    this.pump();
  }

  /** True once every pushed event is delivered or given up on (always true when events are off). */
  idle(): boolean {
    return !this.settings || (this.queue.length === 0 && !this.pumping);
  }

  /** Waits until idle; the workflow does not end with events still owed to the receiver. */
  async drained(): Promise<void> {
    if (this.settings) await condition(() => this.idle() && this.gateOpen);
  }

  describe(): string {
    if (!this.settings) return '';
    const pending = this.queue.length ? `, ${this.queue.length} pending (next: ${this.queue[0].type})` : '';
    const failed = this.undeliverable ? `, ${this.undeliverable} undeliverable` : '';
    return `; events: ${this.delivered} delivered${pending}${failed}`;
  }

  private pump(): void {
    if (this.pumping || !this.gateOpen || this.queue.length === 0) return;
    this.pumping = true;
    void this.drain();
  }

  private async drain(): Promise<void> {
    const settings = this.settings!;
    while (this.queue.length > 0) {
      const event = this.queue[0];
      try {
        await deliverEvent.executeWithOptions(
          {
            startToCloseTimeout: '30s',
            scheduleToCloseTimeout: settings.retryHours * 3_600_000,
            // 1 s, 2 s, 4 s … at most 10 minutes apart: a receiver back after an hour down hears again within minutes.
            retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10m' },
            summary: `deliver ${event.type} (${event.id})`,
            priority: EVENT_PRIORITY,
          },
          [event],
        );
        this.delivered++;
      } catch (err) {
        // The retry window is over (or the worker has no EVENTS_URL): recorded, and the next event goes on.
        this.undeliverable++;
        await markUndeliverable(event, (err as Error).message);
      }
      this.queue.shift();
      this.onChange();
    }
    this.pumping = false;
  }
}
