import { Gauge } from 'prom-client';
import type { AppDeps } from '../platform/http/context.js';
import { ORDER_STATUSES } from './lifecycle.js';
import { listOrders } from './order-queries.js';

/**
 * `simline_suspension_orders{status}`: orders by their status at scrape time. Status follows
 * the clock (scheduled → active → expired), so it is counted when Prometheus asks, not stored.
 */
export function registerOrderMetrics(deps: AppDeps): void {
  const name = 'simline_suspension_orders';
  if (deps.metrics.registry.getSingleMetric(name)) return;
  new Gauge({
    name,
    help: 'Suspension orders by status, as of the scrape',
    labelNames: ['status'] as const,
    registers: [deps.metrics.registry],
    async collect() {
      const counts = new Map<string, number>(ORDER_STATUSES.map((s) => [s, 0]));
      for (const o of await listOrders(deps.db, { now: deps.clock() }))
        counts.set(o.status, (counts.get(o.status) ?? 0) + 1);
      for (const [status, n] of counts) this.set({ status }, n);
    },
  });
}
