import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * prom-client's Node process metrics on a registry, once per registry: CPU,
 * memory, heap, handles, GC and event-loop lag (`nodejs_eventloop_lag_*`).
 */
export function collectProcessMetrics(registry: Registry): void {
  if (registry.getSingleMetric('nodejs_eventloop_lag_seconds')) return;
  collectDefaultMetrics({ register: registry });
}
