import { ApplicationFailure, Context } from '@temporalio/activity';
import { signPayload } from '../signature';
import { recordDelivery } from '../db/deliveries';
import type { OutboundEvent } from '../shared/events';
import { FailureType } from '../shared/types';
import type { ActivityDeps } from './deps';

/** A receiver that neither answers nor fails within this is treated as down; the retry policy tries again. */
const RECEIVER_TIMEOUT_MS = 10_000;

export function createEventActivities({ db, log, events }: ActivityDeps) {
  return {
    /**
     * POSTs one event, signed like the inbound webhook (`X-Signature: t=…,v1=…`). Any answer but a 2xx, or none, is
     * a failed attempt: Temporal retries with exponential back-off (the workflow's policy) and the receiver dedupes by
     * `id`. Each attempt's outcome is recorded for /metrics.
     */
    async deliverEvent(event: OutboundEvent): Promise<void> {
      if (!events?.url || !events.secret) {
        throw ApplicationFailure.nonRetryable(
          'EVENTS_URL or EVENTS_SECRET is not set on this worker',
          FailureType.EventsOff,
        );
      }
      const attempt = Context.current().info.attempt;
      const body = JSON.stringify(event);
      try {
        const res = await fetch(events.url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'X-Signature': signPayload(events.secret, body),
            'User-Agent': 'flash-sale-events/1',
          },
          body,
          signal: AbortSignal.timeout(RECEIVER_TIMEOUT_MS),
        });
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`receiver answered ${res.status}`);
      } catch (err) {
        const error = (err as Error).message;
        await recordDelivery(db, { eventId: event.id, type: event.type, status: 'retrying', attempts: attempt, error });
        log.warn({ event_id: event.id, attempt, err: error }, 'event delivery failed; will retry');
        throw ApplicationFailure.retryable(`delivery of ${event.id} failed: ${error}`, FailureType.DeliveryFailed);
      }
      await recordDelivery(db, { eventId: event.id, type: event.type, status: 'delivered', attempts: attempt });
      log.info({ event_id: event.id, type: event.type, attempt }, 'event delivered');
    },

    /** The retry window is over: the event is given up on, and says so in /metrics and the log. */
    async markUndeliverable(event: OutboundEvent, error: string): Promise<void> {
      await recordDelivery(db, { eventId: event.id, type: event.type, status: 'undeliverable', attempts: 0, error });
      log.error({ event_id: event.id, type: event.type, err: error }, 'event undeliverable: retry window over');
    },
  };
}
