import { readFileSync } from 'node:fs';
import path from 'node:path';
import { dashboardMetricNames, isRegistered } from '../deploy/grafana/dashboard';
import { demoCatalog } from '../lib/demo-data';
import { createLogger } from '../lib/logger';
import { schemaDir } from '../lib/paths';
import { parsePrometheusText, scrape, type Scrape } from '../test/prometheus-text';
import { postGraphQL } from '../test/subgraph-harness';
import { demoAdmin, startTestSupergraph, type TestSupergraph } from '../test/supergraph-harness';
import { eventually } from '../test/wait';
import { subscribe, wsClient } from '../test/ws-client';
import { startGateway } from './gateway.server';

const manifest = JSON.parse(readFileSync(path.join(schemaDir(), 'persisted-query-manifest.json'), 'utf8')) as { operations: { name: string; body: string }[] };
const body = (name: string) => manifest.operations.find((operation) => operation.name === name)!.body;

const CLIENT = { 'apollographql-client-name': 'metrics-test', 'apollographql-client-version': '1.0.0' };
const demo = demoCatalog();
const stocked = demo.stock.find((stock) => stock.onHand > 5)!;

/** What moved between two scrapes of one endpoint. */
function delta(before: Scrape, after: Scrape) {
  return (name: string, labels?: Record<string, string>) => after.sum(name, labels) - before.sum(name, labels);
}

describe('metrics of the gateway and the subgraphs', () => {
  let supergraph: TestSupergraph;
  const gatewayMetrics = () => scrape(supergraph.gateway.metricsUrl);
  const subgraphMetrics = (name: 'catalog' | 'inventory') => scrape(supergraph.subgraphs[name].metricsUrl);

  beforeAll(async () => {
    supergraph = await startTestSupergraph();
  }, 60_000);
  afterAll(() => supergraph?.stop());

  it('count a known set of operations by name, client and code, and their subgraph work', async () => {
    const [gatewayBefore, catalogBefore] = await Promise.all([gatewayMetrics(), subgraphMetrics('catalog')]);
    const post = (query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
      postGraphQL(supergraph.gatewayUrl, query, variables, { ...CLIENT, ...headers });

    // Two named manifest queries (the second Categories is a response-cache hit), one name the manifest does not know.
    expect((await post(body('Categories'))).errors).toBeUndefined();
    expect((await post(body('Categories'))).errors).toBeUndefined();
    expect((await post(body('ProductList'), { first: 3 })).errors).toBeUndefined();
    expect((await post('query MadeUpName { categories { id name } }')).errors).toBeUndefined();
    // Refused by the depth limit, and refused by validation.
    const deep = await post(`query TooDeep { categories { ${'parent { '.repeat(11)}id${' }'.repeat(11)} } }`);
    expect(deep.errors?.[0].extensions?.code).toBe('QUERY_TOO_COMPLEX');
    const invalid = await post('query Categories { noSuchField }');
    expect(invalid.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    const [gatewayAfter, catalogAfter] = await Promise.all([gatewayMetrics(), subgraphMetrics('catalog')]);
    const moved = delta(gatewayBefore, gatewayAfter);
    const client = { client_name: 'metrics-test', client_version: '1.0.0' };
    expect(moved('graphql_operations_total', { ...client, operation_name: 'Categories', operation_type: 'query', outcome: 'success' })).toBe(2);
    expect(moved('graphql_operations_total', { ...client, operation_name: 'ProductList', outcome: 'success' })).toBe(1);
    expect(moved('graphql_operations_total', { ...client, operation_name: 'other', outcome: 'success' })).toBe(1);
    expect(moved('graphql_operations_total', { ...client, operation_name: 'other', outcome: 'refused' })).toBe(1);
    // A document that does not validate keeps the name it claims only when the manifest lists it.
    expect(moved('graphql_operations_total', { ...client, operation_name: 'Categories', outcome: 'refused' })).toBe(1);
    expect(moved('graphql_operations_total', client)).toBe(6);
    // The refused one too: the operation analysis knows its type before validation refuses it.
    expect(moved('graphql_operation_duration_seconds_count', { client_name: 'metrics-test', operation_name: 'Categories', operation_type: 'query' })).toBe(3);
    expect(moved('graphql_operation_duration_seconds_count', { client_name: 'metrics-test' })).toBe(6);
    expect(moved('graphql_operation_errors_total', { client_name: 'metrics-test', code: 'QUERY_TOO_COMPLEX', operation_name: 'other' })).toBe(1);
    expect(moved('graphql_operation_errors_total', { client_name: 'metrics-test', code: 'GRAPHQL_VALIDATION_FAILED' })).toBe(1);
    expect(moved('graphql_operation_errors_total', { client_name: 'metrics-test' })).toBe(2);
    expect(moved('graphql_operation_refusals_total', { code: 'QUERY_TOO_COMPLEX', transport: 'http' })).toBe(1);
    expect(moved('graphql_operation_refusals_total', { code: 'GRAPHQL_VALIDATION_FAILED', transport: 'http' })).toBe(1);
    expect(moved('graphql_operation_refusals_total')).toBe(2);
    expect(moved('graphql_response_cache_lookups_total', { result: 'hit' })).toBe(1);
    // Every fetch is timed: Categories (once), ProductList and MadeUpName ask catalog; ProductList's inStock asks inventory.
    expect(moved('subgraph_fetches_total', { subgraph: 'catalog' })).toBe(3);
    expect(moved('subgraph_fetch_duration_seconds_count', { subgraph: 'catalog' })).toBe(3);
    expect(moved('subgraph_fetch_duration_seconds_count', { subgraph: 'inventory' })).toBe(1);
    expect(moved('subgraph_call_failures_total')).toBe(0);
    expect(gatewayAfter.has('subgraph_circuit_breaker_state', { subgraph: 'catalog', state: 'closed' })).toBe(true);

    // catalog answered the same three fetches, under the client's operation names, and ran SQL for them.
    const catalogMoved = delta(catalogBefore, catalogAfter);
    expect(catalogMoved('subgraph_operation_duration_seconds_count', { subgraph: 'catalog', operation_name: 'Categories', operation_type: 'query' })).toBe(1);
    expect(catalogMoved('subgraph_operation_duration_seconds_count', { subgraph: 'catalog', operation_name: 'ProductList' })).toBe(1);
    expect(catalogMoved('subgraph_operation_duration_seconds_count', { subgraph: 'catalog', operation_name: 'MadeUpName' })).toBe(1);
    expect(catalogMoved('subgraph_sql_duration_seconds_count', { subgraph: 'catalog', statement: 'select' })).toBeGreaterThanOrEqual(3);
    expect(catalogAfter.sum('subgraph_db_pool_connections', { subgraph: 'catalog' })).toBeGreaterThan(0);
    expect(catalogAfter.has('subgraph_db_pool_pending_acquires', { subgraph: 'catalog' })).toBe(true);
    expect(catalogAfter.has('outbox_lag_seconds', { subgraph: 'catalog' })).toBe(true);
    expect(catalogAfter.has('nodejs_eventloop_lag_seconds')).toBe(true);
    expect(gatewayAfter.has('nodejs_eventloop_lag_p99_seconds')).toBe(true);
  });

  it('count WebSocket connections, subscriptions, delivered events and their latency', async () => {
    const before = await gatewayMetrics();
    const client = wsClient(supergraph.gatewayUrl);
    try {
      const subscription = subscribe(client, body('ProductAvailability'), { productIds: [stocked.productId] });
      await eventually(() => supergraph.gateway.subscriptions.federated.stats.upstreams === 1, 'the subscription upstream');
      const open = await gatewayMetrics();
      expect(open.sum('graphql_ws_connections')).toBe(before.sum('graphql_ws_connections') + 1);
      expect(open.sum('graphql_subscriptions_active')).toBe(1);
      expect(open.sum('graphql_subscription_upstreams')).toBe(1);

      const adjusted = await supergraph.query(body('AdminAdjustStock'), { productId: stocked.productId, warehouseId: stocked.warehouseId, delta: 1, reason: 'metrics test' }, demoAdmin);
      expect(adjusted.errors).toBeUndefined();
      const event = await subscription.next();
      expect(event.errors).toBeUndefined();
      // The event time travels from inventory to the gateway, never to the client.
      expect(event.extensions).toBeUndefined();

      const after = await eventually(async () => {
        const current = await gatewayMetrics();
        return current.sum('graphql_subscription_event_latency_seconds_count') > before.sum('graphql_subscription_event_latency_seconds_count') && current;
      }, 'the event latency');
      const moved = delta(before, after);
      expect(moved('graphql_subscription_events_total', { subgraph: 'inventory' })).toBe(1);
      expect(moved('graphql_subscription_results_delivered_total', { subgraph: 'inventory' })).toBe(1);
      expect(moved('graphql_subscription_event_latency_seconds_count', { subgraph: 'inventory' })).toBe(1);
      expect(moved('graphql_subscription_results_dropped_total')).toBe(0);
      expect(moved('graphql_operations_total', { operation_name: 'AdminAdjustStock', operation_type: 'mutation', outcome: 'success' })).toBe(1);
    } finally {
      await client.dispose();
    }
    // The subscription's own line and count come when it ends.
    const closed = await eventually(async () => {
      const current = await gatewayMetrics();
      return current.sum('graphql_ws_connections') === before.sum('graphql_ws_connections') && current.sum('graphql_subscriptions_active') === 0 && current;
    }, 'the connection to close');
    expect(delta(before, closed)('graphql_operations_total', { operation_name: 'ProductAvailability', operation_type: 'subscription', transport: 'ws' })).toBe(1);
    // inventory published the change through its outbox; its lag is back to 0 once the relay ran.
    const inventory = await eventually(async () => {
      const current = await subgraphMetrics('inventory');
      return current.has('outbox_lag_seconds', { subgraph: 'inventory' }) && current.sum('outbox_unpublished_events', { subgraph: 'inventory' }) === 0 && current;
    }, 'the inventory outbox to drain');
    expect(inventory.sum('outbox_lag_seconds', { subgraph: 'inventory' })).toBe(0);
  });

  it('are served on an internal port of their own when METRICS_PORT is set, and then not on the service port', async () => {
    const gateway = await startGateway({ ...supergraph.gateway.config, port: 0, metricsPort: 0 }, createLogger('gateway', 'silent'));
    try {
      expect(gateway.metricsUrl).not.toBe(`${gateway.url}/metrics`);
      const served = await fetch(gateway.metricsUrl);
      expect(served.status).toBe(200);
      expect(served.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(parsePrometheusText(await served.text()).families).toContain('graphql_operations_total');
      expect((await fetch(`${gateway.url}/metrics`)).status).toBe(404);
      expect((await fetch(gateway.metricsUrl.replace(/\/metrics$/, '/graphql'))).status).toBe(404);
      const taken = Number(new URL(gateway.metricsUrl).port);
      await expect(startGateway({ ...supergraph.gateway.config, port: 0, metricsPort: taken }, createLogger('gateway', 'silent'))).rejects.toThrow(
        `port ${taken} on 127.0.0.1 is already in use by another program: stop that program, or set METRICS_PORT to a free port`,
      );
    } finally {
      await gateway.stop();
    }
  });

  it('have every metric the Grafana dashboard reads', async () => {
    const texts = await Promise.all([supergraph.gateway.metricsUrl, ...Object.values(supergraph.subgraphs).map((subgraph) => subgraph.metricsUrl)].map(async (url) => (await fetch(url)).text()));
    const families = new Set(texts.flatMap((text) => [...parsePrometheusText(text).families]));
    const missing = [...dashboardMetricNames()].filter(([name]) => !isRegistered(name, families)).map(([name, panels]) => `${name} (${panels.join(', ')})`);
    expect(missing).toEqual([]);
  });
});
