/**
 * The API's queue for Temporal calls during a scenario, read from its /metrics twice a second
 * (flash_sale_temporal_calls: in flight, and queued for a slot under TEMPORAL_MAX_IN_FLIGHT). It shows whether the
 * buyers' calls waited in the API for a slot, and for how much of the scenario.
 */
import { percentile, round } from './util';

const figure = (metrics: string, state: string) =>
  Number(new RegExp(`^flash_sale_temporal_calls\\{state="${state}"\\} (\\d+)`, 'm').exec(metrics)?.[1] ?? NaN);

/** Samples until `stop()`, which answers the summary (null when the API has no such metric, e.g. the floor). */
export function sampleTemporalCalls(base: string, everyMs = 500) {
  const queued: number[] = [];
  const inFlight: number[] = [];
  const timer = setInterval(() => {
    fetch(`${base}/metrics`, { signal: AbortSignal.timeout(everyMs) })
      .then((r) => (r.ok ? r.text() : ''))
      .then((text) => {
        const [q, f] = [figure(text, 'queued'), figure(text, 'in_flight')];
        if (!Number.isFinite(q) || !Number.isFinite(f)) return;
        queued.push(q);
        inFlight.push(f);
      })
      .catch(() => undefined); // A sample the busy API did not answer in time is skipped, not guessed.
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      if (!queued.length) return null;
      return {
        samples: queued.length,
        // The share of samples in which calls were queued for a slot.
        share_queued: round(queued.filter((n) => n > 0).length / queued.length, 2),
        queued_p50: percentile(queued, 50),
        queued_max: Math.max(...queued),
        in_flight_max: Math.max(...inFlight),
      };
    },
  };
}
