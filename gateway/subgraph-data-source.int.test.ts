import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { CircuitBreakers } from '../lib/circuit-breaker';
import { ErrorCode } from '../lib/errors';
import { readResilienceConfig } from '../lib/resilience';
import type { GatewayContext } from './gateway.context';
import type { GatewayOperation } from './pipeline/operation';
import { SubgraphDataSource } from './subgraph-data-source';

/**
 * The gateway's data source against a real TCP server that accepts and reads
 * requests but never answers: the timeout, the request deadline, and the
 * errors it answers with instead (placed where @apollo/gateway maps them to
 * the client's fields).
 */
describe('SubgraphDataSource timeouts and failure paths', () => {
  let blackHole: Server;
  const sockets = new Set<Socket>();
  let connections = 0;
  let url: string;
  let breakers: CircuitBreakers;
  const sources: SubgraphDataSource[] = [];

  beforeAll(async () => {
    blackHole = createServer((socket) => {
      connections++;
      sockets.add(socket);
      socket.on('data', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(blackHole.address() as AddressInfo).port}/graphql`;
    // A breaker that never opens here: each test sees the call itself.
    breakers = new CircuitBreakers({ settings: readResilienceConfig({ BREAKER_VOLUME_THRESHOLD: '1000', BREAKER_CONSECUTIVE_FAILURES: '1000' }).breaker });
  });

  afterAll(async () => {
    await Promise.all(sources.map((source) => source.close()));
    breakers.shutdown();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => blackHole.close(resolve));
  });

  function dataSource(timeoutMs: number, requestDeadlineMs = 10_000): SubgraphDataSource {
    const source = new SubgraphDataSource({ name: 'catalog', url, internalSecret: 'secret', timeoutMs, requestDeadlineMs, breakers });
    sources.push(source);
    return source;
  }

  /** A fetch as @apollo/gateway's executor makes it, for a request that arrived `ageMs` ago. */
  function fetchOf(query: string, variables: Record<string, unknown> = {}, ageMs = 0): GraphQLDataSourceProcessOptions<GatewayContext> {
    const operation = { startedAt: process.hrtime.bigint() - BigInt(Math.round(ageMs * 1e6)) } as GatewayOperation;
    const context: GatewayContext = { viewer: null, operation };
    return {
      kind: 'incoming operation',
      request: { query, variables },
      context,
      incomingRequestContext: { context, overallCachePolicy: undefined },
      pathInIncomingRequest: [],
    } as unknown as GraphQLDataSourceProcessOptions<GatewayContext>;
  }

  async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
    const started = performance.now();
    const value = await run();
    return { value, ms: performance.now() - started };
  }

  it('answers a root fetch that gets no answer within the timeout with SUBGRAPH_TIMEOUT at each root field', async () => {
    const { value, ms } = await timed(() =>
      dataSource(300).process(fetchOf('query Mixed__catalog__0($id: ID!) { product(id: $id) { name } alias: categories { id } __typename }', { id: 'p1' })),
    );
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(600);
    const extensions = { code: ErrorCode.SUBGRAPH_TIMEOUT, serviceName: 'catalog' };
    expect(value).toEqual({
      errors: [
        { message: 'The catalog service did not answer within 300 ms', path: ['product'], extensions },
        { message: 'The catalog service did not answer within 300 ms', path: ['alias'], extensions },
      ],
    });
  });

  it("answers an entity fetch with an error at each entity's fields, typed by each representation", async () => {
    const query =
      'query Q__catalog__1($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { name price { formatted } } ... on Category { ...CategoryName } } }' +
      ' fragment CategoryName on Category { name }';
    const representations = [
      { __typename: 'Product', id: 'p1' },
      { __typename: 'Category', id: 'c1' },
      { __typename: 'Product', id: 'p2' },
    ];
    const { value } = await timed(() => dataSource(200).process(fetchOf(query, { representations })));
    expect(value.errors?.map((error) => error.path)).toEqual([
      ['_entities', 0, 'name'],
      ['_entities', 0, 'price'],
      ['_entities', 1, 'name'],
      ['_entities', 2, 'name'],
      ['_entities', 2, 'price'],
    ]);
  });

  it('never waits past the request deadline: the timeout is cut to what is left of it', async () => {
    const { value, ms } = await timed(() => dataSource(5_000, 1_000).process(fetchOf('{ categories { id } }', {}, 700)));
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(600);
    expect(value.errors?.[0]).toMatchObject({ path: ['categories'], extensions: { code: ErrorCode.SUBGRAPH_TIMEOUT, serviceName: 'catalog' } });
  });

  it('does not call the subgraph at all once the deadline has passed', async () => {
    const before = connections;
    const { value, ms } = await timed(() => dataSource(5_000, 1_000).process(fetchOf('{ categories { id } }', {}, 1_500)));
    expect(ms).toBeLessThan(50);
    expect(value.errors?.[0]).toMatchObject({ path: ['categories'], extensions: { code: ErrorCode.SUBGRAPH_TIMEOUT, serviceName: 'catalog' } });
    expect(connections).toBe(before);
  });
});
