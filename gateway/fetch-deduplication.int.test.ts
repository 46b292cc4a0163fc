import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { CircuitBreakers } from '../lib/circuit-breaker';
import { ErrorCode } from '../lib/errors';
import { Role, VIEWER_HEADER, type Viewer } from '../lib/identity';
import { readResilienceConfig } from '../lib/resilience';
import { canonicalJson } from './fetch-deduplication';
import type { GatewayContext } from './gateway.context';
import type { GatewayOperation } from './pipeline/operation';
import { SubgraphDataSource } from './subgraph-data-source';

/**
 * In-flight deduplication in the gateway's data source, against a real HTTP
 * server standing in for a subgraph: it counts the requests it gets and
 * answers each after a delay, with the variables and the viewer it was sent
 * (so a result shared with the wrong fetch would show).
 */
const QUERY = 'query Q__catalog__0($id: ID!) { product(id: $id) { id name tags } }';
const MUTATION = 'mutation M__catalog__0($id: ID!) { product: touchProduct(id: $id) { id name tags } }';
const alice: Viewer = { id: 'u-alice', role: Role.CUSTOMER };
const bob: Viewer = { id: 'u-bob', role: Role.CUSTOMER };

describe('in-flight deduplication of identical subgraph fetches', () => {
  let server: Server;
  let url: string;
  let received: { variables: Record<string, unknown>; viewer?: string }[] = [];
  /** How long the stand-in takes to answer, and whether it fails (HTTP 503). */
  let delayMs = 150;
  let failing = false;
  const sources: SubgraphDataSource[] = [];
  const breakerSets: CircuitBreakers[] = [];

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      const request = JSON.parse(await bodyOf(req)) as { variables: Record<string, unknown> };
      const viewer = req.headers[VIEWER_HEADER] as string | undefined;
      received.push({ variables: request.variables, viewer });
      await sleep(delayMs);
      if (failing) {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('down');
        return;
      }
      const product = { id: request.variables.id, name: `seen by ${viewer ? (JSON.parse(viewer) as Viewer).id : 'anonymous'}`, tags: ['a', 'b'] };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { product } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });

  beforeEach(() => {
    received = [];
    delayMs = 150;
    failing = false;
  });

  afterAll(async () => {
    await Promise.all(sources.map((source) => source.close()));
    for (const breakers of breakerSets) breakers.shutdown();
    await new Promise((resolve) => server.close(resolve));
  });

  function dataSource(options: { deduplicate?: boolean; timeoutMs?: number; requestDeadlineMs?: number } = {}) {
    const registry = new Registry();
    // A breaker that never opens here: each test sees the calls themselves.
    const breakers = new CircuitBreakers({ settings: readResilienceConfig({ BREAKER_VOLUME_THRESHOLD: '1000', BREAKER_CONSECUTIVE_FAILURES: '1000' }).breaker, registry });
    breakerSets.push(breakers);
    const source = new SubgraphDataSource({
      name: 'catalog',
      url,
      internalSecret: 'secret',
      timeoutMs: options.timeoutMs ?? 5_000,
      requestDeadlineMs: options.requestDeadlineMs ?? 10_000,
      breakers,
      deduplicate: options.deduplicate,
      registry,
    });
    sources.push(source);
    const counter = async (name: string) => (await registry.getSingleMetric(name)?.get())?.values.find((v) => v.labels.subgraph === 'catalog')?.value ?? 0;
    return { source, counter };
  }

  /** A fetch as @apollo/gateway's executor makes it, for a request of `viewer` of kind `incoming` that arrived `ageMs` ago. */
  function fetchOf(
    query: string,
    variables: Record<string, unknown>,
    { viewer = null, ageMs = 0, incoming = 'query' }: { viewer?: Viewer | null; ageMs?: number; incoming?: 'query' | 'mutation' } = {},
  ): GraphQLDataSourceProcessOptions<GatewayContext> {
    const operation = { startedAt: process.hrtime.bigint() - BigInt(Math.round(ageMs * 1e6)) } as GatewayOperation;
    const context: GatewayContext = { viewer, operation };
    return {
      kind: 'incoming operation',
      request: { query, variables },
      context,
      incomingRequestContext: { context, overallCachePolicy: undefined, operation: { operation: incoming } },
      pathInIncomingRequest: [],
    } as unknown as GraphQLDataSourceProcessOptions<GatewayContext>;
  }

  const productOf = (result: GatewayGraphQLResponse) => (result.data as { product: { id: string; name: string; tags: string[] } }).product;

  it('sends N identical concurrent fetches as one call; each gets its own copy of the result', async () => {
    const { source, counter } = dataSource();
    const results = await Promise.all(Array.from({ length: 10 }, () => source.process(fetchOf(QUERY, { id: 'p1' }))));
    expect(received).toHaveLength(1);
    for (const result of results) {
      expect(result.errors).toBeUndefined();
      expect(productOf(result)).toEqual({ id: 'p1', name: 'seen by anonymous', tags: ['a', 'b'] });
    }
    // The gateway merges into what it gets: one fetch's copy changed leaves every other as it was.
    productOf(results[0]).tags.push('mutated');
    productOf(results[3]).name = 'renamed';
    expect(productOf(results[1])).toEqual({ id: 'p1', name: 'seen by anonymous', tags: ['a', 'b'] });
    expect(productOf(results[9])).toEqual({ id: 'p1', name: 'seen by anonymous', tags: ['a', 'b'] });
    expect(await counter('subgraph_fetches_total')).toBe(10);
    expect(await counter('subgraph_fetches_deduplicated_total')).toBe(9);
  });

  it('treats variables that differ only in key order as identical', async () => {
    const { source } = dataSource();
    expect(canonicalJson({ b: [1, { d: 1, c: null }], a: 'x', skip: undefined })).toBe('{"a":"x","b":[1,{"c":null,"d":1}]}');
    const results = await Promise.all([
      source.process(fetchOf(QUERY, { id: 'p1', filter: { min: 1, max: 2 } })),
      source.process(fetchOf(QUERY, { filter: { max: 2, min: 1 }, id: 'p1' })),
    ]);
    expect(received).toHaveLength(1);
    expect(results.map(productOf)).toEqual([productOf(results[0]), productOf(results[0])]);
  });

  it('sends a call for each different variables, each viewer, and never shares between anonymous and signed-in', async () => {
    const { source } = dataSource();
    const [p1, p2, anonymous, forAlice, forAlice2, forBob] = await Promise.all([
      source.process(fetchOf(QUERY, { id: 'p1' })),
      source.process(fetchOf(QUERY, { id: 'p2' })),
      source.process(fetchOf(QUERY, { id: 'p3' })),
      source.process(fetchOf(QUERY, { id: 'p3' }, { viewer: alice })),
      source.process(fetchOf(QUERY, { id: 'p3' }, { viewer: alice })),
      source.process(fetchOf(QUERY, { id: 'p3' }, { viewer: bob })),
    ]);
    // p1, p2, p3 anonymous, p3 for alice (shared by her two fetches), p3 for bob.
    expect(received).toHaveLength(5);
    expect(productOf(p1).id).toBe('p1');
    expect(productOf(p2).id).toBe('p2');
    expect(productOf(anonymous).name).toBe('seen by anonymous');
    expect(productOf(forAlice).name).toBe('seen by u-alice');
    expect(productOf(forAlice2).name).toBe('seen by u-alice');
    expect(productOf(forBob).name).toBe('seen by u-bob');
  });

  it('never shares a mutation, nor a query fetch of a mutation operation', async () => {
    const { source, counter } = dataSource();
    await Promise.all([
      source.process(fetchOf(MUTATION, { id: 'p1' }, { incoming: 'mutation' })),
      source.process(fetchOf(MUTATION, { id: 'p1' }, { incoming: 'mutation' })),
      source.process(fetchOf(QUERY, { id: 'p1' }, { incoming: 'mutation' })),
      source.process(fetchOf(QUERY, { id: 'p1' }, { incoming: 'mutation' })),
    ]);
    expect(received).toHaveLength(4);
    expect(await counter('subgraph_fetches_deduplicated_total')).toBe(0);
  });

  it('gives every waiter the failure, as the errors at its fields; the subgraph sees one call, the breaker every fetch', async () => {
    failing = true;
    const { source, counter } = dataSource();
    const results = await Promise.all(Array.from({ length: 5 }, () => source.process(fetchOf(QUERY, { id: 'p1' }))));
    expect(received).toHaveLength(1);
    for (const result of results) {
      expect(result).toEqual({
        errors: [{ message: 'The catalog service is unavailable', path: ['product'], extensions: { code: ErrorCode.SUBGRAPH_UNAVAILABLE, serviceName: 'catalog' } }],
      });
    }
    // Five fetches failed (so a frozen subgraph trips its breaker as it would without deduplication), over one call.
    expect(await counter('subgraph_call_failures_total')).toBe(5);
    // Settled: nothing is kept, the next fetch calls again.
    failing = false;
    const again = await source.process(fetchOf(QUERY, { id: 'p1' }));
    expect(productOf(again).id).toBe('p1');
    expect(received).toHaveLength(2);
  });

  it('keeps nothing after the call: a fetch after it settled calls again', async () => {
    const { source } = dataSource();
    await source.process(fetchOf(QUERY, { id: 'p1' }));
    await source.process(fetchOf(QUERY, { id: 'p1' }));
    expect(received).toHaveLength(2);
  });

  it('lets a waiter wait no longer than its own deadline', async () => {
    delayMs = 600;
    const { source } = dataSource({ requestDeadlineMs: 1_000 });
    const started = performance.now();
    const leader = source.process(fetchOf(QUERY, { id: 'p1' }));
    await sleep(20);
    // This request arrived 800 ms ago: 200 ms of its deadline are left.
    const waiter = source.process(fetchOf(QUERY, { id: 'p1' }, { ageMs: 800 }));
    const waited = await waiter;
    const waiterMs = performance.now() - started;
    expect(waited.errors).toEqual([expect.objectContaining({ path: ['product'], extensions: { code: ErrorCode.SUBGRAPH_TIMEOUT, serviceName: 'catalog' } })]);
    expect(waiterMs).toBeGreaterThanOrEqual(190);
    expect(waiterMs).toBeLessThan(450);
    expect(productOf(await leader).id).toBe('p1');
    expect(received).toHaveLength(1);
  });

  it("does not join a call cut short by its request's deadline when it may wait longer", async () => {
    delayMs = 400;
    const { source } = dataSource({ requestDeadlineMs: 1_000 });
    // The first request has 200 ms left: its call times out; the fresh one must not inherit that.
    const [old, fresh] = await Promise.all([source.process(fetchOf(QUERY, { id: 'p1' }, { ageMs: 800 })), source.process(fetchOf(QUERY, { id: 'p1' }))]);
    expect(old.errors?.[0]).toMatchObject({ extensions: { code: ErrorCode.SUBGRAPH_TIMEOUT } });
    expect(productOf(fresh).id).toBe('p1');
    expect(received).toHaveLength(2);
  });

  it('sends every fetch when deduplication is off (SUBGRAPH_DEDUPLICATION=false)', async () => {
    const { source, counter } = dataSource({ deduplicate: false });
    const results = await Promise.all(Array.from({ length: 5 }, () => source.process(fetchOf(QUERY, { id: 'p1' }))));
    expect(received).toHaveLength(5);
    for (const result of results) expect(productOf(result).id).toBe('p1');
    expect(await counter('subgraph_fetches_total')).toBe(5);
    expect(await counter('subgraph_fetches_deduplicated_total')).toBe(0);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
