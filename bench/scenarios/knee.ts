/**
 * The knee: how holds/s and CPU per hold change with connections, for several bounds on the Temporal calls one API
 * process keeps in flight (TEMPORAL_MAX_IN_FLIGHT). Past the bound, requests wait in the API in arrival order.
 */
import type { Pool } from 'mysql2/promise';
import { settings } from '../lib/settings';
import { say } from '../lib/util';
import { contender, holdRun } from './holds';
import { startService } from './processes';

export async function measureKnee(db: Pool) {
  for (const bound of settings.inFlight) {
    say(`Knee: TEMPORAL_MAX_IN_FLIGHT=${bound}`);
    const service = await startService({
      env: { TEMPORAL_MAX_IN_FLIGHT: String(bound) },
      label: `knee-${bound}`,
    });
    try {
      const c = await contender(db, 'service', service);
      for (const connections of settings.connections) {
        const r = await holdRun(db, c, connections, 1, `-in-flight-${bound}`);
        r.title = `Knee: service holds, in flight ≤ ${bound}`;
        r.extra = { ...r.extra, max_in_flight: bound };
      }
    } finally {
      await service.stop();
    }
  }
}
