import { randomUUID } from 'node:crypto';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { SpanKind } from '@opentelemetry/api';
import { demoCatalog } from '../lib/demo-data';
import { startTracing, type TracingHandle } from '../lib/tracing';
import { demoAdmin, demoCustomer, startTestSupergraph, WITHOUT_RESPONSE_CACHE, type TestSupergraph } from '../test/supergraph-harness';
import { subscribe, wsClient } from '../test/ws-client';

/**
 * One trace per request, across the gateway and the subgraphs: everything
 * runs in this process, so one in-memory exporter sees every span. Tracing is
 * on for this file only (the other files register nothing).
 */

const PRODUCT_LIST = 'query ProductList { products(first: 5) { nodes { name category { name } inStock availableQuantity } } }';
const ADD = 'mutation Add($productId: ID!, $quantity: Int!) { addToCart(productId: $productId, quantity: $quantity) { id } }';
const CHECKOUT = 'mutation Checkout($input: CheckoutInput!) { checkout(input: $input) { id status total { formatted } } }';
const STOCK_WATCH = 'subscription StockWatch($ids: [ID!]) { stockChanged(productIds: $ids) { availableQuantity product { name } } }';
const ADJUST = 'mutation Adjust($productId: ID!, $warehouseId: ID!, $delta: Int!) { adjustStock(productId: $productId, warehouseId: $warehouseId, delta: $delta) { onHand } }';
const ADDRESS = { line1: 'Keizersgracht 1', line2: null, city: 'Amsterdam', postalCode: '1015 CJ', country: 'NL' };

jest.setTimeout(60_000);

const idOf = (span: ReadableSpan) => span.spanContext().spanId;
const parentIdOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const ms = (span: ReadableSpan) => span.duration[0] * 1e3 + span.duration[1] / 1e6;

/** The trace as an indented tree of span names with durations, children in start order. */
function printTree(spans: ReadableSpan[]): string {
  const ids = new Set(spans.map(idOf));
  const children = new Map<string | undefined, ReadableSpan[]>();
  for (const span of spans) {
    const parent = parentIdOf(span);
    const key = parent && ids.has(parent) ? parent : undefined;
    children.set(key, [...(children.get(key) ?? []), span]);
  }
  const start = (span: ReadableSpan) => span.startTime[0] * 1e9 + span.startTime[1];
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    for (const span of [...(children.get(parent) ?? [])].sort((a, b) => start(a) - start(b))) {
      const service = span.attributes['subgraph.name'] ?? span.attributes.service;
      lines.push(`${'  '.repeat(depth)}${span.name}${service ? ` [${service}]` : ''}  ${ms(span).toFixed(1)} ms`);
      walk(idOf(span), depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
}

describe('tracing across the supergraph', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: TracingHandle;
  let supergraph: TestSupergraph;

  beforeAll(async () => {
    tracing = startTracing('supergraph', { spanProcessor: new SimpleSpanProcessor(exporter) });
    supergraph = await startTestSupergraph(WITHOUT_RESPONSE_CACHE);
  }, 60_000);
  afterAll(async () => {
    await supergraph?.stop();
    await tracing?.shutdown();
  });

  /** The spans of the trace whose gateway span has this name, once the subgraphs' server spans have ended too. */
  async function traceOf(rootName: string): Promise<ReadableSpan[]> {
    let spans: ReadableSpan[] = [];
    for (let attempt = 0; attempt < 50; attempt++) {
      const root = exporter.getFinishedSpans().find((span) => span.name === rootName);
      if (root) {
        const traceId = root.spanContext().traceId;
        spans = exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
        // Every span's parent has ended (the HTTP server spans end after the response is written).
        const ids = new Set(spans.map(idOf));
        const topLevel = spans.filter((span) => !parentIdOf(span) || !ids.has(parentIdOf(span)!));
        if (topLevel.length === 1) return spans;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no complete trace for ${rootName}: ${exporter.getFinishedSpans().map((span) => `${span.name}/${span.spanContext().traceId.slice(0, 6)}/${parentIdOf(span) ?? "-"}`).join(', ')}`);
  }

  const byId = (spans: ReadableSpan[]) => new Map(spans.map((span) => [idOf(span), span]));
  const ancestors = (spans: ReadableSpan[], span: ReadableSpan): ReadableSpan[] => {
    const index = byId(spans);
    const chain: ReadableSpan[] = [];
    for (let parent = index.get(parentIdOf(span) ?? ''); parent; parent = index.get(parentIdOf(parent) ?? '')) chain.push(parent);
    return chain;
  };
  /** A subgraph's operation span: below its HTTP server span, below the client span of the call that made it. */
  const calledBy = (spans: ReadableSpan[], operationSpan: ReadableSpan): ReadableSpan => {
    const [server, client] = ancestors(spans, operationSpan);
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(client.kind).toBe(SpanKind.CLIENT);
    expect(client.attributes['peer.service']).toBe(operationSpan.attributes['subgraph.name']);
    return client;
  };
  const operationSpansOf = (spans: ReadableSpan[], subgraph: string) =>
    spans.filter((span) => span.attributes['subgraph.name'] === subgraph && span.attributes['graphql.operation.type'] !== undefined);
  const sqlBelow = (spans: ReadableSpan[], operationSpan: ReadableSpan) =>
    spans.filter((span) => span.name.startsWith('pg.query') && ancestors(spans, span).includes(operationSpan));

  it('follows the product list from the gateway through each fetch into the subgraphs and their SQL', async () => {
    const result = await supergraph.query(PRODUCT_LIST, {});
    expect(result.errors).toBeUndefined();
    const spans = await traceOf('query ProductList');
    process.stdout.write(`\nTrace of the product list (${spans.length} spans):\n${printTree(spans)}\n`);

    const request = spans.find((span) => span.name === 'query ProductList')!;
    expect(request.attributes).toMatchObject({ 'graphql.operation.name': 'ProductList', 'graphql.operation.type': 'query', 'gateway.refused': false });
    expect(request.attributes['graphql.operation.cost']).toEqual(expect.any(Number));
    expect(spans.find((span) => span.name === 'gateway.admission' && parentIdOf(span) === idOf(request))).toBeDefined();
    const gatewayRequest = spans.find((span) => span.name === 'gateway.request')!;
    expect(parentIdOf(gatewayRequest)).toBe(idOf(request));

    const fetches = spans.filter((span) => span.name === 'gateway.fetch');
    expect(new Set(fetches.map((span) => span.attributes.service))).toEqual(new Set(['catalog', 'inventory']));
    for (const fetch of fetches) {
      expect(ancestors(spans, fetch)).toContain(gatewayRequest);
      // The fetch's call, the subgraph's server span below it, and the operation span below that.
      const calls = spans.filter((span) => span.kind === SpanKind.CLIENT && parentIdOf(span) === idOf(fetch));
      expect(calls).toHaveLength(1);
      const [operationSpan] = operationSpansOf(spans, fetch.attributes.service as string).filter((span) => calledBy(spans, span) === calls[0]);
      expect(operationSpan).toBeDefined();
      expect(sqlBelow(spans, operationSpan).length).toBeGreaterThan(0);
    }
  });

  it('follows a checkout into orders and from orders into its siblings', async () => {
    const product = demoCatalog().products[3];
    expect((await supergraph.query(ADD, { productId: product.id, quantity: 1 }, demoCustomer)).errors).toBeUndefined();
    exporter.reset();
    const result = await supergraph.query(CHECKOUT, { input: { shippingAddress: ADDRESS, paymentToken: 'tok_visa', idempotencyKey: randomUUID() } }, demoCustomer);
    expect(result.errors).toBeUndefined();
    const spans = await traceOf('mutation Checkout');
    process.stdout.write(`\nTrace of a checkout (${spans.length} spans):\n${printTree(spans)}\n`);

    const fetchToOrders = spans.find((span) => span.name === 'gateway.fetch' && span.attributes.service === 'orders')!;
    expect(fetchToOrders).toBeDefined();
    const [checkout] = operationSpansOf(spans, 'orders').filter((span) => calledBy(spans, span).parentSpanContext?.spanId === idOf(fetchToOrders));
    expect(checkout.attributes['graphql.operation.type']).toBe('mutation');
    expect(sqlBelow(spans, checkout).length).toBeGreaterThan(0);

    // Orders' calls to its siblings: client spans below its operation span, each sibling's operation span below its call.
    for (const sibling of ['inventory', 'cart']) {
      const siblingSpans = operationSpansOf(spans, sibling);
      expect(siblingSpans.length).toBeGreaterThan(0);
      for (const span of siblingSpans) {
        const call = calledBy(spans, span);
        expect(ancestors(spans, call)).toContain(checkout);
      }
    }
  });

  it('traces each subscription event as a trace of its own, linked to the request that subscribed', async () => {
    const stock = demoCatalog().stock.find((entry) => entry.onHand > 3)!;
    const client = wsClient(supergraph.gatewayUrl);
    try {
      const subscription = subscribe(client, STOCK_WATCH, { ids: [stock.productId] });
      await new Promise((resolve) => setTimeout(resolve, 300));
      exporter.reset();
      const adjusted = await supergraph.query(ADJUST, { productId: stock.productId, warehouseId: stock.warehouseId, delta: 1 }, demoAdmin);
      expect(adjusted.errors).toBeUndefined();
      const event = await subscription.next(10_000);
      expect(event.errors).toBeUndefined();
      const spans = await traceOf('subscription event StockWatch');
      process.stdout.write(`\nTrace of a stock event delivered to a subscriber (${spans.length} spans):\n${printTree(spans)}\n`);
      const root = spans.find((span) => span.name === 'subscription event StockWatch')!;
      expect(parentIdOf(root)).toBeUndefined();
      // Linked to the span of the subscribe request, which is another trace (it is still open).
      expect(root.links).toHaveLength(1);
      expect(root.links[0].context.traceId).not.toBe(root.spanContext().traceId);
      // The event's product name came from catalog, in this trace.
      expect(operationSpansOf(spans, 'catalog').length).toBeGreaterThan(0);
    } finally {
      await client.dispose();
    }
  });

  it('marks a refused request and its refusal on the gateway span', async () => {
    exporter.reset();
    const refused = await supergraph.query('query Broken { products(first: 5) { nodes { noSuchField } } }', {});
    expect(refused.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    // Validation failed, so the operation was never resolved: the gateway span is the one marked refused.
    let request: ReadableSpan | undefined;
    for (let attempt = 0; attempt < 50 && !request; attempt++) {
      request = exporter.getFinishedSpans().find((span) => span.attributes['gateway.refused'] === true);
      if (!request) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(request).toBeDefined();
    const spans = exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === request!.spanContext().traceId);
    expect(request!.status.code).toBe(2); // SpanStatusCode.ERROR
    // The refusal is recorded as the span's exception, with its code.
    const exception = request!.events.find((event) => event.name === 'exception');
    expect(String(exception?.attributes?.['exception.message'])).toMatch(/^GRAPHQL_VALIDATION_FAILED: /);
    expect(spans.some((span) => span.name === 'gateway.fetch')).toBe(false);
  });
});
