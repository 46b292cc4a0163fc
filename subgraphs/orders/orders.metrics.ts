import { Counter, register } from 'prom-client';

/*
 * Prometheus metrics of the orders service, on prom-client's default
 * registry, served on the subgraph's /metrics (lib/subgraph.ts). Every
 * increment also has a log line with a stable message, for operators who
 * follow logs rather than metrics.
 */

/** Stable log message of an order newly marked as needing attention (with orderId, reason, needsAttention: true). */
export const NEEDS_ATTENTION_LOG = 'order needs attention';

export const ordersNeedingAttention = new Counter({
  name: 'orders_needs_attention_total',
  help: 'Paid orders marked as needing attention (counted once per order and reason), by reason',
  labelNames: ['reason'] as const,
  registers: [register],
});

export const ordersStockRenewed = new Counter({
  name: 'orders_stock_renewed_total',
  help: 'Paid orders whose lapsed stock reservation was taken again and committed',
  registers: [register],
});
