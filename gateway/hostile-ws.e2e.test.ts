import { randomUUID } from 'node:crypto';
import type { Client } from 'graphql-ws';
import WebSocket from 'ws';
import { codeOf, freshIp, leaks, post, runOverSocket, startProductionSupergraph, wsClientWith } from '../test/hostile';
import { demoCustomer, type TestSupergraph } from '../test/supergraph-harness';
import { DOUBLING_40_LOADS, HOSTILE_SHAPES, type HostileShape } from '../scripts/abusive-operations';
import { expectShapeAnswer, measureOf } from '../test/hostile-shapes';

/**
 * The same admission pipeline on the WebSocket: every refusal an HTTP client
 * gets, a graphql-ws client gets as the operation's errors, with the same
 * code and nothing leaked. Budgets are shared with HTTP.
 */
describe('hostile inputs over WebSocket (production mode)', () => {
  let supergraph: TestSupergraph;
  const clients: Client[] = [];

  beforeAll(async () => {
    supergraph = await startProductionSupergraph({
      rateLimit: { mode: 'enforce', windowSeconds: 60, apiKeyPoints: 100_000, userPoints: 20_000, ipPoints: 300 },
    });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await supergraph?.stop();
  });

  const client = (connectionParams: Record<string, unknown> = {}, ip = freshIp()) => {
    const created = wsClientWith(supergraph.gatewayUrl, connectionParams, { 'x-forwarded-for': ip });
    clients.push(created);
    return created;
  };

  const expectRefused = async (outcome: Promise<{ errors?: readonly unknown[]; result?: unknown }>, code: string) => {
    const { errors, result } = await outcome;
    expect(result).toBeUndefined();
    expect(codeOf(errors ?? [])).toBe(code);
    expect(leaks(JSON.stringify(errors))).toEqual([]);
  };

  const deep = (levels: number) => {
    let selection = 'id';
    for (let level = 0; level < levels; level += 1) selection = `children { ${selection} }`;
    return `{ categories { ${selection} } }`;
  };

  it('refuses a 50-level query', () => expectRefused(runOverSocket(client(), { query: deep(50) }), 'QUERY_TOO_COMPLEX'));

  it('refuses 40 aliases', () =>
    expectRefused(runOverSocket(client(), { query: `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: __typename`).join(' ')} }` }), 'QUERY_TOO_COMPLEX'));

  it('refuses an over-cost query', () =>
    expectRefused(runOverSocket(client(), { query: '{ products(first: 100) { nodes { category { products(first: 100) { nodes { id } } } } } }' }), 'QUERY_TOO_COMPLEX'));

  it('refuses a deep subscription before subscribing upstream', () =>
    expectRefused(
      runOverSocket(client(), { query: `subscription { stockChanged(productIds: []) { product { category { ${'children { '.repeat(12)}id${' }'.repeat(12)} } } } }` }),
      'QUERY_TOO_COMPLEX',
    ));

  it('refuses an unknown API key in connectionParams', () => expectRefused(runOverSocket(client({ 'x-api-key': 'nope' }), { query: '{ __typename }' }), 'UNAUTHENTICATED'));

  it('refuses a forged token in connectionParams', () => expectRefused(runOverSocket(client({ authorization: 'Bearer a.b.c' }), { query: '{ __typename }' }), 'UNAUTHENTICATED'));

  it('refuses a validation error without suggestions', () => expectRefused(runOverSocket(client(), { query: '{ prodcts { totalCount } }' }), 'GRAPHQL_VALIDATION_FAILED'));

  it('refuses introspection in production', () => expectRefused(runOverSocket(client(), { query: '{ __schema { types { name } } }' }), 'GRAPHQL_VALIDATION_FAILED'));

  it('refuses an unknown operationName', () => expectRefused(runOverSocket(client(), { query: 'query A { __typename }', operationName: 'B' }), 'OPERATION_RESOLUTION_FAILURE'));

  it('refuses variables of the wrong type', () =>
    expectRefused(runOverSocket(client(), { query: 'query($n: Int) { products(first: $n) { totalCount } }', variables: { n: 'many' } }), 'BAD_USER_INPUT'));

  it('refuses aliased logins', () =>
    expectRefused(
      runOverSocket(client(), { query: `mutation { a: login(email: "x@example.com", password: "p1") { accessToken } b: login(email: "x@example.com", password: "p2") { accessToken } }` }),
      'QUERY_TOO_COMPLEX',
    ));

  describe('the hostile-shape family (scripts/hostile-shapes.ts): the same answers as over HTTP', () => {
    /** A refusal arrives as the error message's payload; an answer as the result. */
    const overSocket = async (body: { query: string; variables?: Record<string, unknown> }) => {
      const { errors, result } = await runOverSocket(client(), { query: body.query, variables: body.variables ?? {} });
      return { body: errors ? { errors } : result };
    };

    it.each(HOSTILE_SHAPES.map((shape) => [`${shape.family}. ${shape.name}`, shape] as const))('%s', async (_name, shape: HostileShape) => {
      const answer = await overSocket(shape.body);
      expectShapeAnswer(shape, answer);
      if (shape.sameMeasureAs) expect(measureOf(answer)).toEqual(measureOf(await overSocket(shape.sameMeasureAs)));
    });

    it.each(Object.keys(DOUBLING_40_LOADS) as (keyof typeof DOUBLING_40_LOADS)[])('keeps /health answering while 50 documents of 2^40 %s spreads are sent by 5 sockets at once, and answers them all', async (load) => {
      const body = DOUBLING_40_LOADS[load];
      // Signed in: 50 of these (about 51 points each) fit the user budget, not the 300 points of an address.
      // 5 sockets, each sending 10 in a row: under the 25 operations a connection may run at once.
      const token = await supergraph.tokenFor({ ...demoCustomer, id: randomUUID() });
      let sending = true;
      const all = Promise.all(
        Array.from({ length: 5 }, async () => {
          const socket = client({ authorization: `Bearer ${token}` });
          const outcomes: Awaited<ReturnType<typeof runOverSocket>>[] = [];
          for (let i = 0; i < 10; i += 1) outcomes.push(await runOverSocket(socket, { query: body.query, variables: body.variables ?? {} }));
          return outcomes;
        }),
      ).finally(() => (sending = false));
      const health: (number | string)[] = [];
      do {
        health.push(await fetch(`${supergraph.gateway.url}/health`, { signal: AbortSignal.timeout(2_000) }).then((response) => response.status, (error: Error) => `failed: ${error.name}`));
        await new Promise((resolve) => setTimeout(resolve, 10));
      } while (sending);
      const outcomes = (await all).flat();
      expect(outcomes).toHaveLength(50);
      expect(health.length).toBeGreaterThan(0);
      expect(health.filter((status) => status !== 200)).toEqual([]);
      expect(outcomes.filter(({ errors, result }) => errors !== undefined || !Array.isArray(result?.data?.categories)).slice(0, 3)).toEqual([]);
    }, 60_000);
  });

  it('spends the same budget as HTTP: a client over budget on HTTP is RATE_LIMITED on the socket', async () => {
    const ip = freshIp();
    // 300 points per minute for this IP; each of these costs about 100.
    const page = '{ products(first: 50) { nodes { id name category { id } } } }';
    let status = 200;
    for (let i = 0; i < 10 && status === 200; i += 1) status = (await post(supergraph.gatewayUrl, { query: page }, { 'x-forwarded-for': ip })).status;
    expect(status).toBe(429);
    await expectRefused(runOverSocket(client({}, ip), { query: page }), 'RATE_LIMITED');
  });

  it('closes the socket on a message over the size limit', async () => {
    const socket = new WebSocket(supergraph.gatewayUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
    await new Promise((resolve) => socket.once('open', resolve));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(200 * 1024) } }));
    expect(await closed).toBe(1009);
  });

  it('refuses the upgrade from a browser page of an origin not in CORS_ORIGINS', async () => {
    const socket = new WebSocket(supergraph.gatewayUrl.replace(/^http/, 'ws'), 'graphql-transport-ws', { headers: { origin: 'https://evil.example' } });
    const status = await new Promise<number | undefined>((resolve) => {
      socket.once('unexpected-response', (_request, response) => resolve(response.statusCode));
      socket.once('open', () => resolve(undefined));
      socket.once('error', () => resolve(-1));
    });
    expect(status).toBe(403);
  });

  it('serves a good query, counted under the client name and version of its connectionParams', async () => {
    const named = client({ 'apollographql-client-name': 'ws-storefront', 'apollographql-client-version': '3.1.0' });
    const good = await runOverSocket(named, { query: '{ categories { id } }' });
    expect(good.errors).toBeUndefined();
    expect((good.result?.data?.categories as unknown[]).length).toBeGreaterThan(0);
    await runOverSocket(named, { query: '{ nope }' });
    const metrics = await (await fetch(`${supergraph.gateway.url}/metrics`)).text();
    const count = (outcome: string) =>
      metrics
        .split('\n')
        .filter((line) => line.startsWith('graphql_operations_total{') && line.includes('client_name="ws-storefront"') && line.includes('client_version="3.1.0"') && line.includes('transport="ws"') && line.includes(`outcome="${outcome}"`))
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    expect(count('success')).toBe(1);
    expect(count('refused')).toBe(1);
  });
});
