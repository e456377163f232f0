import type { Middleware } from 'koa';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { FiguresPublisher, FiguresSnapshot } from '../sale/figures';
import type { Admission } from '../temporal/admission';
import type { ApiState } from './state';

/**
 * Prometheus metrics of one API process. Request figures are counted here; stock and hold figures come from the
 * figures publisher. Default process metrics are unprefixed (stock Node.js dashboards work); Prometheus's `job`
 * label tells the API from the worker.
 */
export function createMetrics(
  publisher: FiguresPublisher,
  admission: Admission | null = null,
  holdStarts: Record<string, number> = {},
  holdWorker?: HoldWorkerState,
) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const requests = new Histogram({
    name: 'flash_sale_http_request_duration_seconds',
    help: 'HTTP requests by route pattern, method and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const events = new Counter({
    name: 'flash_sale_api_events_total',
    help: 'Outcomes answered by this API process: hold_created, sold_out, order_created, payment_processed, payment_late, payment_replayed, hold_released, hold_extended',
    labelNames: ['event'],
    registers: [registry],
  });

  registerProcessMetrics(registry, admission, holdStarts, holdWorker);
  registerSaleGauges(registry, publisher);

  // One labelled series per method, route and status, looked up by a string key: the labels are not hashed again on
  // every request (the cheapest answers come thousands of times a second).
  const series = new Map<string, ReturnType<typeof requests.labels>>();
  const observe = (method: string, route: string, status: number, seconds: number) => {
    const key = `${method} ${status} ${route}`;
    let s = series.get(key);
    if (!s) {
      s = requests.labels({ method, route, status: String(status) });
      if (series.size < 10_000) series.set(key, s);
    }
    s.observe(seconds);
  };

  const middleware: Middleware<ApiState> = async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const route = String((ctx as unknown as { _matchedRoute?: string })._matchedRoute ?? 'unmatched');
      observe(ctx.method, route, ctx.status, (performance.now() - started) / 1000);
      const event = ctx.method === 'POST' ? outcome(route, ctx.status, ctx.body) : null;
      if (event) events.inc({ event });
    }
  };

  return { registry, middleware };
}

type HoldWorkerState = { running: () => boolean; restarts: () => number };

/** This API process's own Temporal calls, hold starts and hold worker. */
function registerProcessMetrics(
  registry: Registry,
  admission: Admission | null,
  holdStarts: Record<string, number>,
  holdWorker: HoldWorkerState | undefined,
): void {
  new Gauge({
    name: 'flash_sale_temporal_calls',
    help: 'Temporal calls of this API process: in_flight, and queued for a slot (TEMPORAL_MAX_IN_FLIGHT)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.set({ state: 'in_flight' }, admission?.active ?? 0);
      this.set({ state: 'queued' }, admission?.queued ?? 0);
    },
  });
  new Counter({
    name: 'flash_sale_hold_starts_total',
    help: 'Holds this API process started, by how: eager (answered in-process), update_with_start (answered by the workflow)',
    labelNames: ['how'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [how, n] of Object.entries(holdStarts)) this.inc({ how }, n);
    },
  });
  if (holdWorker) {
    new Gauge({
      name: 'flash_sale_hold_worker_running',
      help: "1 while this API process's hold worker runs (HOLD_EAGER_START), 0 while it is down or restarting",
      registers: [registry],
      collect() {
        this.set(holdWorker.running() ? 1 : 0);
      },
    });
    new Counter({
      name: 'flash_sale_hold_worker_restarts_total',
      help: "Times this API process's hold worker was restarted after it stopped or failed to start",
      registers: [registry],
      collect() {
        this.reset();
        this.inc(holdWorker.restarts());
      },
    });
  }
}

/**
 * Stock, holds, late payments, refunds and outbound events: computed from MariaDB once per interval by the one
 * process holding the publisher lease (src/sale/figures.ts) and exported by it alone, so a sum over replicas is the
 * total. Every other process exports no series of these.
 */
function registerSaleGauges(registry: Registry, publisher: FiguresPublisher): void {
  const gauge = (
    name: string,
    help: string,
    labelNames: string[],
    fill: (g: Gauge, s: FiguresSnapshot) => void,
  ): void => {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        const snapshot = publisher.snapshot();
        if (snapshot) fill(this, snapshot);
      },
    });
  };
  gauge(
    'flash_sale_product_available_stock',
    'available_stock per product (the 1000 most recently changed), from MariaDB',
    ['product_id'],
    (g, s) => s.availableStock.forEach((r) => g.set({ product_id: String(r.id) }, Number(r.available_stock))),
  );
  gauge(
    'flash_sale_holds',
    'Holds by state (held, ordered, expired, released, sweep, payment_failed, payment_timeout), from MariaDB',
    ['state'],
    (g, s) => s.holdsByState.forEach((r) => g.set({ state: r.state ?? 'released' }, Number(r.n))),
  );
  gauge('flash_sale_orders', 'Orders by status (pending, completed, cancelled), from MariaDB', ['status'], (g, s) =>
    Object.entries(s.ordersByStatus).forEach(([status, n]) => g.set({ status }, n)),
  );
  gauge(
    'flash_sale_late_payments',
    'Payment events that came after their order had left pending, by status (paid, failed), from MariaDB',
    ['status'],
    (g, s) => {
      for (const status of ['paid', 'failed']) g.set({ status }, 0);
      for (const r of s.latePaymentsByStatus) g.set({ status: r.status }, Number(r.n));
    },
  );
  gauge(
    'flash_sale_orders_refund_due',
    'Orders owing a refund for a late payment that no operator has closed yet, from MariaDB',
    [],
    (g, s) => g.set(s.refundsDue),
  );
  gauge(
    'flash_sale_outbound_events',
    'Outbound event deliveries by status (delivered, retrying, undeliverable), from MariaDB',
    ['status'],
    (g, s) => Object.entries(s.outboundEvents).forEach(([status, n]) => g.set({ status }, n)),
  );
  gauge(
    'flash_sale_figures_refreshed_timestamp_seconds',
    'When the publishing process last computed the figures above (Unix seconds)',
    [],
    (g, s) => g.set(s.refreshedAt),
  );
  new Gauge({
    name: 'flash_sale_figures_publisher',
    help: '1 while this process holds the lease to compute and export the database-derived figures, else 0',
    registers: [registry],
    collect() {
      this.set(publisher.publishing() ? 1 : 0);
    },
  });
}

/** Names the business outcome of a write from its route and answer, so handlers stay free of metrics code. */
function outcome(route: string, status: number, body: unknown): string | null {
  if (route === '/api/holds') return status === 201 ? 'hold_created' : status === 400 ? 'sold_out' : null;
  if (route === '/api/orders') return status === 201 ? 'order_created' : status === 400 ? 'order_refused' : null;
  if (route === '/api/holds/:id/release') return status === 200 ? 'hold_released' : null;
  if (route === '/api/holds/:id/extend') return status === 200 ? 'hold_extended' : null;
  if (route === '/api/payments/webhook' && status === 200) {
    const message = (body as { message?: string })?.message;
    if (message === 'Late payment recorded') return 'payment_late';
    return message === 'Payment processed' ? 'payment_processed' : 'payment_replayed';
  }
  return null;
}

export type Metrics = ReturnType<typeof createMetrics>;
