import type Redis from 'ioredis';
import type { SaleFigures } from '../db/sale-figures';
import type { Logger } from '../logger';

/** The database-derived figures of one refresh, as the metrics serve them until the next. */
export interface FiguresSnapshot {
  availableStock: { id: number; available_stock: number }[];
  holdsByState: { state: string | null; n: number }[];
  ordersByStatus: Record<string, number>;
  latePaymentsByStatus: { status: string; n: number }[];
  refundsDue: number;
  outboundEvents: Record<string, number>;
  /** Unix seconds of the refresh. */
  refreshedAt: number;
}

export interface FiguresPublisher {
  /** The last refresh while this process publishes the figures; null in every other process. */
  snapshot: () => FiguresSnapshot | null;
  /** 1 while this process holds the publisher lease. */
  publishing: () => boolean;
  /** Stops refreshing and gives the lease up, so another process takes over at its next tick. */
  stop: () => Promise<void>;
}

// Takes the lease when free, or extends it when this process holds it; answers 1 when this process holds it now.
const ACQUIRE_OR_EXTEND = `
if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * Database-derived figures are computed by one process per interval, not per scrape per replica: the API
 * processes of one service (one Redis, one task queue) race for a Redis lease every interval; the holder runs the
 * GROUP BY queries once and is the only one to export the results. The lease lives three intervals, so a dead
 * holder's place is taken within that time; while Redis is unreachable no process publishes, and the dashboard's
 * `FiguresNotPublished` alert says so.
 */
export function startFiguresPublisher(opts: {
  figures: SaleFigures;
  redis: Redis;
  leaseKey: string;
  intervalMs: number;
  processId: string;
  log: Logger;
}): FiguresPublisher {
  const { figures, redis, leaseKey, intervalMs, processId, log } = opts;
  let latest: FiguresSnapshot | null = null;
  let holder = false;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  // Redis not connected yet (start-up) or down: ask again within a second rather than a whole interval.
  let leaseUnknown = false;

  const holdsLease = async () =>
    Number(await redis.eval(ACQUIRE_OR_EXTEND, 1, leaseKey, processId, String(intervalMs * 3))) === 1;

  const tick = async () => {
    try {
      const was = holder;
      holder = await holdsLease();
      leaseUnknown = false;
      if (holder !== was) log.info({ publishing: holder, lease: leaseKey }, 'sale figures publisher changed');
    } catch (err) {
      if (!leaseUnknown) log.warn({ err: (err as Error).message }, 'sale figures lease unavailable');
      holder = false;
      leaseUnknown = true;
    }
    if (!holder) {
      latest = null;
      return;
    }
    try {
      latest = await readFigures(figures);
    } catch (err) {
      // The previous figures stay (their refreshed_at ages), rather than gaps in every panel.
      log.warn({ err: (err as Error).message }, 'sale figures refresh failed');
    }
  };

  const schedule = () => {
    running = tick();
    void running.then(() => {
      if (!stopped) timer = setTimeout(schedule, leaseUnknown ? Math.min(intervalMs, 1_000) : intervalMs);
    });
  };
  let timer: NodeJS.Timeout | undefined;
  schedule();

  return {
    snapshot: () => (holder ? latest : null),
    publishing: () => holder,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      if (holder) await redis.eval(RELEASE, 1, leaseKey, processId).catch(() => undefined);
      holder = false;
    },
  };
}

async function readFigures(figures: SaleFigures): Promise<FiguresSnapshot> {
  const [availableStock, holdsByState, ordersByStatus, latePaymentsByStatus, refundsDue, outboundEvents] =
    await Promise.all([
      figures.availableStock(),
      figures.holdsByState(),
      figures.ordersByStatus(),
      figures.latePaymentsByStatus(),
      figures.refundsDue(),
      figures.outboundEvents(),
    ]);
  return {
    availableStock,
    holdsByState,
    ordersByStatus,
    latePaymentsByStatus,
    refundsDue,
    outboundEvents,
    refreshedAt: Date.now() / 1000,
  };
}
