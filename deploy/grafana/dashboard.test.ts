import { dashboardMetricNames, isRegistered, metricNamesIn, readDashboard } from './dashboard';

// That every metric the dashboard reads exists is checked against the gateway's and the
// subgraphs' real /metrics after traffic, in gateway/metrics.e2e.test.ts.
describe('the Grafana dashboard', () => {
  const dashboard = readDashboard();

  it('takes its Prometheus data source from a variable, in every panel and query', () => {
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }));
    const queried = dashboard.panels.filter((panel) => panel.type !== 'row');
    expect(queried.length).toBeGreaterThan(10);
    for (const panel of queried) {
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(panel.targets?.length).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expect(target.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
    expect(new Set(dashboard.panels.map((panel) => panel.id)).size).toBe(dashboard.panels.length);
  });

  it('shows what an operator needs', () => {
    const names = [...dashboardMetricNames(dashboard).keys()];
    for (const needed of [
      'graphql_operations_total',
      'graphql_operation_duration_seconds_bucket',
      'graphql_operation_errors_total',
      'subgraph_fetch_duration_seconds_bucket',
      'subgraph_call_failures_total',
      'subgraph_circuit_breaker_state',
      'graphql_ws_connections',
      'graphql_subscriptions_active',
      'graphql_subscription_results_delivered_total',
      'graphql_subscription_results_dropped_total',
      'graphql_response_cache_lookups_total',
      'outbox_lag_seconds',
      'nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(names).toContain(needed);
    }
  });

  it('reads metric names out of PromQL', () => {
    expect(metricNamesIn('histogram_quantile(0.95, sum by (le, operation_name) (rate(graphql_operation_duration_seconds_bucket{job="x"}[$__rate_interval])))')).toEqual([
      'graphql_operation_duration_seconds_bucket',
    ]);
    expect(metricNamesIn('sum(rate(a_total{result="hit"}[5m])) / sum(rate(a_total{result=~"hit|miss"}[5m]))')).toEqual(['a_total']);
    expect(metricNamesIn('max by (subgraph, state) (breaker_state{state!="closed"}) and on (subgraph) up_metric')).toEqual(['breaker_state', 'up_metric']);
    expect(isRegistered('h_seconds_bucket', new Set(['h_seconds']))).toBe(true);
    expect(isRegistered('h_seconds_total', new Set(['h_seconds']))).toBe(false);
  });
});
