import { Counter, Gauge, Histogram, register } from 'prom-client';

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

export const checkoutQueueWaiting = new Gauge({
  name: 'orders_checkout_queue_waiting',
  help: 'Checkouts waiting for their turn at a product (CHECKOUT_CONCURRENCY_PER_PRODUCT), over all products',
  registers: [register],
});

export const checkoutQueueWaitSeconds = new Histogram({
  name: 'orders_checkout_queue_wait_seconds',
  help: 'Time checkouts waited for their turn at their products before reserving stock (0 when there was no queue)',
  buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
  registers: [register],
});

export const checkoutQueueRefused = new Counter({
  name: 'orders_checkout_queue_refused_total',
  help: 'Checkouts refused with CHECKOUT_BUSY by admission, nothing reserved or charged: by reason (full: too many waiting; waited: CHECKOUT_QUEUE_WAIT_MS passed in the queue; late: it had passed before the checkout reached orders)',
  labelNames: ['reason'] as const,
  registers: [register],
});

export const checkoutAnsweredPending = new Counter({
  name: 'orders_checkout_answered_pending_total',
  help: 'Checkouts answered with their order PENDING because paying and finishing took longer than CHECKOUT_ANSWER_MS (finished in the background)',
  registers: [register],
});

export const checkoutsInBackground = new Gauge({
  name: 'orders_checkout_background',
  help: 'Checkouts answered PENDING that are still finishing in the background',
  registers: [register],
});
