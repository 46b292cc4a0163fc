import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * Metrics of the gateway's subscriptions, on the gateway's registry. Counts
 * that exist anyway (subscribers, upstream streams) are read at scrape time;
 * per-event work is one counter step per event and subscriber group, never
 * per subscriber.
 */
export class SubscriptionMetrics {
  readonly connections: Gauge;
  readonly events: Counter<'subgraph'>;
  readonly delivered: Counter<'subgraph'>;
  readonly dropped: Counter;
  readonly latency: Histogram<'subgraph'>;

  constructor(registry: Registry, counts: () => { subscribers: number; upstreams: number }) {
    this.connections = new Gauge({
      name: 'graphql_ws_connections',
      help: 'Open graphql-ws (WebSocket) connections of clients',
      registers: [registry],
    });
    new Gauge({
      name: 'graphql_subscriptions_active',
      help: 'Subscriptions clients are running',
      registers: [registry],
      collect() {
        this.set(counts().subscribers);
      },
    });
    new Gauge({
      name: 'graphql_subscription_upstreams',
      help: 'Subscription streams open to subgraphs (one per distinct subscription, shared by its subscribers)',
      registers: [registry],
      collect() {
        this.set(counts().upstreams);
      },
    });
    this.events = new Counter({
      name: 'graphql_subscription_events_total',
      help: 'Events received from subgraph subscription streams and executed, by the subgraph that sent them',
      labelNames: ['subgraph'] as const,
      registers: [registry],
    });
    this.delivered = new Counter({
      name: 'graphql_subscription_results_delivered_total',
      help: 'Subscription results handed to clients (one per event and subscriber), by the subgraph the event came from',
      labelNames: ['subgraph'] as const,
      registers: [registry],
    });
    this.dropped = new Counter({
      name: 'graphql_subscription_results_dropped_total',
      help: 'Subscription results dropped because a slow client fell more than SUBSCRIPTION_QUEUE_SIZE results behind',
      registers: [registry],
    });
    this.latency = new Histogram({
      name: 'graphql_subscription_event_latency_seconds',
      help: 'Time from a domain event (its changedAt, committed in the outbox) to its result being handed to the subscribers, by subgraph',
      labelNames: ['subgraph'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  }
}
