import { createHash, randomUUID } from 'node:crypto';
import { readGatewayConfig, type GatewayConfig } from './gateway.config';
import { startGateway, type RunningGateway } from './gateway.server';
import { createLogger } from '../lib/logger';
import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/subgraph-names';
import { codeOf, freshIp, post } from '../test/hostile';
import { testRedisNamespace, testRedisUrl } from '../test/redis';
import { demoCustomer, startTestSupergraph, type TestSupergraph } from '../test/supergraph-harness';
import { TEST_INTERNAL_SECRET, TEST_JWT_SECRET } from '../test/subgraph-harness';

/**
 * Budgets at the edge: cost-point rate limits per client shared by replicas
 * through Redis, with the IETF RateLimit headers; credential throttling; APQ
 * registration quotas; and the cost a client can ask to see.
 */
const PAGE = '{ products(first: 50) { nodes { id name category { id } } } }';

describe('rate limits, credential throttling and APQ quotas', () => {
  let supergraph: TestSupergraph;
  const extraGateways: RunningGateway[] = [];
  const namespace = `${testRedisNamespace()}rl-${randomUUID().slice(0, 8)}:`;
  const settings: Partial<GatewayConfig> = {
    redisUrl: testRedisUrl(),
    redisNamespace: namespace,
    clientIdentity: { trustedProxies: ['loopback'] },
    rateLimit: { mode: 'enforce', windowSeconds: 60, apiKeyPoints: 100_000, userPoints: 400, ipPoints: 300 },
    credentialThrottle: { fieldsPerOperation: 1, attemptsPerIp: 8, attemptWindowSeconds: 60, failuresPerAccountAndIp: 3, failuresPerAccount: 50, failureWindowSeconds: 900 },
  };

  beforeAll(async () => {
    supergraph = await startTestSupergraph({ gateway: settings });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(extraGateways.map((gateway) => gateway.stop()));
    await supergraph?.stop();
  });

  /** A second replica over the same subgraphs and the same Redis. */
  async function replica(overrides: Partial<GatewayConfig> = {}): Promise<string> {
    const subgraphUrls = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, `${supergraph.subgraphs[name].url}/graphql`])) as Record<SubgraphName, string>;
    const config: GatewayConfig = {
      ...readGatewayConfig({ NODE_ENV: 'test', INTERNAL_SECRET: TEST_INTERNAL_SECRET, JWT_SECRET: TEST_JWT_SECRET }),
      host: '127.0.0.1',
      port: 0,
      subgraphUrls,
      ...settings,
      ...overrides,
    };
    const gateway = await startGateway(config, createLogger('gateway', 'silent'));
    extraGateways.push(gateway);
    return `${gateway.url}/graphql`;
  }

  it('puts the RateLimit headers on every response and refuses over budget with 429, RATE_LIMITED and Retry-After', async () => {
    const ip = freshIp();
    const first = await post(supergraph.gatewayUrl, { query: PAGE }, { 'x-forwarded-for': ip });
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toBe('"cost";q=300;w=60');
    const remaining = Number(/r=(\d+)/.exec(first.headers.get('ratelimit') ?? '')?.[1]);
    expect(remaining).toBeLessThan(300);
    expect(remaining).toBeGreaterThan(0);

    let answer = first;
    for (let i = 0; i < 10 && answer.status === 200; i += 1) answer = await post(supergraph.gatewayUrl, { query: PAGE }, { 'x-forwarded-for': ip });
    expect({ status: answer.status, code: codeOf(answer) }).toEqual({ status: 429, code: 'RATE_LIMITED' });
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(answer.headers.get('ratelimit')).toMatch(/^"cost";r=0;t=\d+$/);
    // A refusal before the budget step still tells the client where it stands.
    const invalid = await post(supergraph.gatewayUrl, { query: '{ nope }' }, { 'x-forwarded-for': ip });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('ratelimit')).toMatch(/^"cost";r=0;t=\d+$/);
    // Another client is unaffected.
    expect((await post(supergraph.gatewayUrl, { query: PAGE })).status).toBe(200);
  });

  it('shares budgets between gateway replicas through Redis', async () => {
    const other = await replica();
    const ip = freshIp();
    let status = 200;
    for (let i = 0; i < 10 && status === 200; i += 1) status = (await post(supergraph.gatewayUrl, { query: PAGE }, { 'x-forwarded-for': ip })).status;
    expect(status).toBe(429);
    const elsewhere = await post(other, { query: PAGE }, { 'x-forwarded-for': ip });
    expect({ status: elsewhere.status, code: codeOf(elsewhere) }).toEqual({ status: 429, code: 'RATE_LIMITED' });
  });

  it('counts a signed-in user against the user budget, whatever the address', async () => {
    const token = await supergraph.tokenFor({ ...demoCustomer, id: randomUUID() });
    const asUser = (ip: string) => post(supergraph.gatewayUrl, { query: PAGE }, { 'x-forwarded-for': ip, authorization: `Bearer ${token}` });
    const first = await asUser(freshIp());
    expect(first.headers.get('ratelimit-policy')).toBe('"cost";q=400;w=60');
    let status = first.status;
    for (let i = 0; i < 10 && status === 200; i += 1) status = (await asUser(freshIp())).status;
    expect(status).toBe(429);
  });

  it('reports the cost and the budget in extensions.cost when asked', async () => {
    const answer = await post(supergraph.gatewayUrl, { query: '{ categories { id } }' }, { 'x-graphql-cost': 'include' });
    expect(answer.body?.extensions?.cost).toEqual({
      requestedQueryCost: expect.any(Number),
      // What came back, by the same rules: the demo shop's 14 categories.
      actualQueryCost: 14,
      maximumCost: 5_000,
      throttleStatus: { maximumAvailable: 300, currentlyAvailable: expect.any(Number), windowSeconds: 60, resetSeconds: expect.any(Number) },
    });
    const cost = answer.body!.extensions!.cost as { requestedQueryCost: number; throttleStatus: { currentlyAvailable: number } };
    expect(cost.requestedQueryCost).toBeGreaterThan(0);
    expect(cost.throttleStatus.currentlyAvailable).toBe(300 - cost.requestedQueryCost);
    const unasked = await post(supergraph.gatewayUrl, { query: '{ categories { id } }' });
    expect(unasked.body?.extensions?.cost).toBeUndefined();
  });

  it('throttles failed logins per account and address without locking the real user out elsewhere', async () => {
    const email = `throttle-${randomUUID()}@example.com`;
    const password = 'the right password';
    const registered = await post(supergraph.gatewayUrl, { query: 'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }', variables: { input: { email, password, name: 'T' } } });
    expect(registered.body?.errors).toBeUndefined();
    const login = (guess: string, ip: string) =>
      post(supergraph.gatewayUrl, { query: 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }', variables: { e: email, p: guess } }, { 'x-forwarded-for': ip });

    const attacker = freshIp();
    const codes: unknown[] = [];
    for (let i = 0; i < 6; i += 1) codes.push(codeOf(await login(`guess ${i}`, attacker)));
    expect(codes).toEqual(['INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
    const refused = await login(password, attacker);
    expect({ status: refused.status, code: codeOf(refused) }).toEqual({ status: 429, code: 'RATE_LIMITED' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(800);

    const owner = await login(password, freshIp());
    expect(owner.body?.errors).toBeUndefined();
    expect((owner.body?.data as { login: { accessToken: string } }).login.accessToken).toBeTruthy();
  });

  it('caps credential attempts per address, each alias counting', async () => {
    const ip = freshIp();
    const refresh = () => post(supergraph.gatewayUrl, { query: 'mutation { refreshToken(refreshToken: "not-a-token") { accessToken } }' }, { 'x-forwarded-for': ip });
    const codes: unknown[] = [];
    for (let i = 0; i < 9; i += 1) codes.push(codeOf(await refresh()));
    expect(codes.slice(0, 8).every((code) => code === 'UNAUTHENTICATED')).toBe(true);
    expect(codes[8]).toBe('RATE_LIMITED');
  });

  it('caps APQ registrations per client and window', async () => {
    const limited = await replica({ persistedQueries: { ...supergraph.gateway.config.persistedQueries, apqRegistrationsPerWindow: 2 } });
    const ip = freshIp();
    const register = (i: number) => {
      const query = `query Registered${i} { categories { id } }`;
      return post(limited, { query, extensions: { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } } }, { 'x-forwarded-for': ip });
    };
    expect((await register(1)).body?.errors).toBeUndefined();
    expect((await register(2)).body?.errors).toBeUndefined();
    const third = await register(3);
    expect({ status: third.status, code: codeOf(third) }).toEqual({ status: 429, code: 'PERSISTED_QUERY_REGISTRATION_REFUSED' });
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});
