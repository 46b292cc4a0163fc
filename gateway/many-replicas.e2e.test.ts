import { createHash } from 'node:crypto';
import { signAccessToken } from '../lib/access-token';
import { demoCatalog } from '../lib/demo-data';
import { SUBGRAPH_NAMES } from '../lib/subgraph-names';
import { startLoadBalancer, type LoadBalancer } from '../test/load-balancer';
import { exitCode, freePort, startProcess, startRedisServer, waitUntilHealthy, type ServiceProcess } from '../test/processes';
import { testDatabasePrefix, testServerUrl, TEST_INTERNAL_SECRET, TEST_JWT_SECRET } from '../test/subgraph-harness';
import { demoAdmin, demoCustomer } from '../test/supergraph-harness';
import { eventually } from '../test/wait';
import { subscribe, wsClient } from '../test/ws-client';

/**
 * Many replicas behave as one: three gateway replicas and two replicas of
 * each subgraph, every one its own process from dist/ in production mode,
 * behind load balancers (test/load-balancer.ts: one in front of the
 * gateways, one per subgraph that the gateways and siblings call), sharing
 * PostgreSQL and one Redis.
 */
const GATEWAYS = ['gatewayA', 'gatewayB', 'gatewayC'] as const;
const SUBGRAPH_REPLICAS = 2;
const demo = demoCatalog();
const STOCK = 'subscription($ids: [ID!]) { stockChanged(productIds: $ids) { availableQuantity product { id name } } }';
const ADJUST = 'mutation($productId: ID!, $warehouseId: ID!, $delta: Int!) { adjustStock(productId: $productId, warehouseId: $warehouseId, delta: $delta) { onHand } }';
const PRODUCT_PAGE = 'query($slug: String!) { product(slug: $slug) { id name price { amount } availableQuantity } }';

jest.setTimeout(120_000);

describe('many replicas behind load balancers', () => {
  const processes: ServiceProcess[] = [];
  const balancers: LoadBalancer[] = [];
  const gatewayPorts: Record<string, number> = {};
  const gatewayProcess: Record<string, ServiceProcess> = {};
  let redis: ServiceProcess;
  let front: LoadBalancer;
  let adminToken: string;

  beforeAll(async () => {
    const redisPort = await freePort();
    redis = startRedisServer(redisPort);
    const env: Record<string, string> = {
      NODE_ENV: 'production',
      DATABASE_URL: testServerUrl(),
      DATABASE_NAME_PREFIX: `${testDatabasePrefix()}_replicas`,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      INTERNAL_SECRET: TEST_INTERNAL_SECRET,
      JWT_SECRET: TEST_JWT_SECRET,
      HOST: '127.0.0.1',
      // Anonymous traffic comes from one address here; a signed-in user's budget is small, to be spent.
      RATE_LIMIT_IP_POINTS: '10000000',
      RATE_LIMIT_USER_POINTS: '30',
      SHUTDOWN_DELAY_MS: '0',
    };
    const seed = startProcess('seed', 'dist/scripts/seed.js', env);
    const seeded = await exitCode(seed, 60_000);
    if (seeded !== 0) throw new Error(`seeding failed (${seeded}):\n${seed.output()}`);

    // Each subgraph: two replicas behind a balancer, which is the subgraph's URL for everyone else.
    const subgraphUrls: Record<string, string> = {};
    const replicaPorts: Record<string, number[]> = {};
    for (const name of SUBGRAPH_NAMES) {
      replicaPorts[name] = [];
      for (let i = 0; i < SUBGRAPH_REPLICAS; i++) replicaPorts[name].push(await freePort());
      const balancer = await startLoadBalancer(replicaPorts[name]);
      balancers.push(balancer);
      subgraphUrls[`${name.toUpperCase()}_URL`] = `${balancer.url}/graphql`;
    }
    Object.assign(env, subgraphUrls);
    await Promise.all(
      SUBGRAPH_NAMES.flatMap((name) =>
        replicaPorts[name].map(async (port, index) => {
          const service = startProcess(`${name}-${index + 1}`, `dist/subgraphs/${name}/main.js`, { ...env, PORT: String(port) });
          processes.push(service);
          await waitUntilHealthy(`http://127.0.0.1:${port}/health`, service, 60_000);
        }),
      ),
    );
    for (const name of GATEWAYS) gatewayPorts[name] = await freePort();
    await Promise.all(
      GATEWAYS.map(async (name) => {
        const service = startProcess(name, 'dist/gateway/main.js', { ...env, PORT: String(gatewayPorts[name]) });
        processes.push(service);
        gatewayProcess[name] = service;
        await waitUntilHealthy(`http://127.0.0.1:${gatewayPorts[name]}/health`, service, 60_000);
      }),
    );
    front = await startLoadBalancer(GATEWAYS.map((name) => gatewayPorts[name]));
    balancers.push(front);
    adminToken = await signAccessToken(demoAdmin, TEST_JWT_SECRET);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(balancers.map((balancer) => balancer.close()));
    await Promise.all(processes.map((service) => service.stop()));
    await redis?.stop();
  });

  const gatewayUrl = (name: string) => `http://127.0.0.1:${gatewayPorts[name]}/graphql`;

  async function post(url: string, body: Record<string, unknown>, token?: string) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: response.status, cache: response.headers.get('x-cache'), body: (await response.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] } };
  }

  it('delivers an event caused through the balancer to subscribers on every gateway replica', async () => {
    const stock = demo.stock.find((entry) => entry.onHand > 5)!;
    const clients = GATEWAYS.map((name) => wsClient(gatewayUrl(name)));
    try {
      const subscriptions = clients.map((client) => subscribe(client, STOCK, { ids: [stock.productId] }));
      await new Promise((resolve) => setTimeout(resolve, 500));
      const adjusted = await post(`${front.url}/graphql`, { query: ADJUST, variables: { productId: stock.productId, warehouseId: stock.warehouseId, delta: 2 } }, adminToken);
      expect(adjusted.body.errors).toBeUndefined();
      const events = await Promise.all(subscriptions.map((subscription) => subscription.next(15_000)));
      for (const event of events) {
        expect(event.errors).toBeUndefined();
        expect(event.data.stockChanged.product.id).toBe(stock.productId);
      }
    } finally {
      await Promise.all(clients.map((client) => client.dispose()));
    }
  });

  it('serves an APQ registered on one gateway replica from another', async () => {
    const query = `query ApqAcrossReplicas { categories { id name } }`;
    const hash = createHash('sha256').update(query).digest('hex');
    const persistedQuery = { version: 1, sha256Hash: hash };
    const registered = await post(gatewayUrl('gatewayA'), { query, extensions: { persistedQuery } });
    expect(registered.body.errors).toBeUndefined();
    const byHash = await post(gatewayUrl('gatewayC'), { extensions: { persistedQuery } });
    expect(byHash.body.errors).toBeUndefined();
    expect(byHash.body.data).toEqual(registered.body.data);
  });

  it('spends one rate-limit budget whichever replica answers', async () => {
    const token = await signAccessToken(demoCustomer, TEST_JWT_SECRET);
    let refusedOnA = false;
    for (let i = 0; i < 60 && !refusedOnA; i++) {
      const answer = await post(gatewayUrl('gatewayA'), { query: '{ products(first: 3) { nodes { id } } }' }, token);
      refusedOnA = answer.status === 429;
    }
    expect(refusedOnA).toBe(true);
    for (const name of ['gatewayB', 'gatewayC']) {
      const answer = await post(gatewayUrl(name), { query: '{ products(first: 3) { nodes { id } } }' }, token);
      expect({ name, status: answer.status, code: answer.body.errors?.[0]?.extensions?.code }).toEqual({ name, status: 429, code: 'RATE_LIMITED' });
    }
  });

  it('shares the response cache and drops it on every replica when a price changes', async () => {
    const product = demo.products[40];
    expect((await post(gatewayUrl('gatewayA'), { query: PRODUCT_PAGE, variables: { slug: product.slug } })).cache).toBe('MISS');
    expect((await post(gatewayUrl('gatewayB'), { query: PRODUCT_PAGE, variables: { slug: product.slug } })).cache).toBe('HIT');
    const amount = product.priceAmount + 250;
    const changed = await post(`${front.url}/graphql`, { query: 'mutation($id: ID!, $amount: Int!) { updateProduct(id: $id, input: { priceAmount: $amount }) { id } }', variables: { id: product.id, amount } }, adminToken);
    expect(changed.body.errors).toBeUndefined();
    for (const name of GATEWAYS) {
      await eventually(async () => (await post(gatewayUrl(name), { query: PRODUCT_PAGE, variables: { slug: product.slug } })).body.data.product.price.amount === amount, `the new price on ${name}`, 10_000);
    }
  });

  /** Steady load through the front balancer while `kill` runs after a second; how many were sent and failed. */
  async function underLoad(kill: () => void): Promise<{ sent: number; failed: number; loops: number }> {
    const url = `${front.url}/graphql`;
    const loops = 8;
    let sent = 0;
    let failed = 0;
    let stop = false;
    const slugs = demo.products.slice(0, 50).map((product) => product.slug);
    const loop = async (index: number) => {
      for (let i = index; !stop; i += loops) {
        sent += 1;
        try {
          // A comment makes every text new: no cached answer, so every request reaches the subgraphs.
          const answer = await post(url, { query: `${PRODUCT_PAGE} # ${index}-${i}`, variables: { slug: slugs[i % slugs.length] } });
          if (answer.status !== 200 || answer.body.errors) failed += 1;
        } catch {
          failed += 1;
        }
      }
    };
    const running = Array.from({ length: loops }, (_, index) => loop(index));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    kill();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    stop = true;
    await Promise.all(running);
    return { sent, failed, loops };
  }

  it('loses no request beyond those a killed gateway replica held', async () => {
    const { sent, failed, loops } = await underLoad(() => gatewayProcess.gatewayC.child.kill('SIGKILL'));
    process.stdout.write(`killed gatewayC under load: ${sent} requests through the balancer, ${failed} failed\n`);
    expect(sent).toBeGreaterThan(loops * 4);
    // At most one request was in flight on each of the loops' connections when it died.
    expect(failed).toBeLessThanOrEqual(loops);
  });

  it('loses no request beyond those a killed subgraph replica held', async () => {
    const catalog = processes.find((service) => service.name === 'catalog-1')!;
    const { sent, failed, loops } = await underLoad(() => catalog.child.kill('SIGKILL'));
    process.stdout.write(`killed catalog-1 under load: ${sent} requests through the balancer, ${failed} failed\n`);
    expect(sent).toBeGreaterThan(loops * 4);
    expect(failed).toBeLessThanOrEqual(loops);
  });
});
