import { demoCatalog } from '../../lib/demo-data';
import { signAccessToken } from '../../lib/access-token';
import { SUBGRAPH_NAMES, type SubgraphName } from '../../lib/subgraph-names';
import { exitCode, freePort, startProcess, startRedisServer, waitUntilHealthy, type ServiceProcess } from '../../test/processes';
import { postGraphQL, testDatabasePrefix, testServerUrl, TEST_INTERNAL_SECRET, TEST_JWT_SECRET } from '../../test/subgraph-harness';
import { demoAdmin } from '../../test/supergraph-harness';
import { subscribe, wsClient } from '../../test/ws-client';

/**
 * The split deployment of docker-compose.yml, natively: every subgraph and two
 * gateway replicas as separate processes started from dist/, events between
 * them over a Redis of this test's own (so it can be restarted).
 */
const STOCK = `subscription($ids: [ID!]) { stockChanged(productIds: $ids) { availableQuantity product { id name price { formatted } } } }`;
const ADJUST = `mutation($productId: ID!, $warehouseId: ID!, $delta: Int!) { adjustStock(productId: $productId, warehouseId: $warehouseId, delta: $delta) { onHand } }`;

const demo = demoCatalog();
const stocked = demo.stock.filter((s) => s.onHand > 5);

describe('split deployment: one process per service, two gateways, Redis', () => {
  const processes: ServiceProcess[] = [];
  let redis: ServiceProcess;
  let redisPort: number;
  let env: Record<string, string>;
  const ports = {} as Record<SubgraphName | 'gatewayA' | 'gatewayB', number>;
  let adminToken: string;


  beforeAll(async () => {
    redisPort = await freePort();
    redis = startRedisServer(redisPort);
    for (const name of [...SUBGRAPH_NAMES, 'gatewayA', 'gatewayB'] as const) ports[name] = await freePort();
    env = {
      NODE_ENV: 'production',
      DATABASE_URL: testServerUrl(),
      DATABASE_NAME_PREFIX: `${testDatabasePrefix()}_split`,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      INTERNAL_SECRET: TEST_INTERNAL_SECRET,
      JWT_SECRET: TEST_JWT_SECRET,
      HOST: '127.0.0.1',
      ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`${name.toUpperCase()}_URL`, `http://127.0.0.1:${ports[name]}/graphql`])),
    };
    // Seeding creates and migrates the databases before any service starts.
    const seed = startProcess('seed', 'dist/scripts/seed.js', env);
    expect(await exitCode(seed, 60_000)).toBe(0);
    await Promise.all(SUBGRAPH_NAMES.map((name) => startService(name, `dist/subgraphs/${name}/main.js`, ports[name])));
    await Promise.all((['gatewayA', 'gatewayB'] as const).map((name) => startService(name, 'dist/gateway/main.js', ports[name])));
    adminToken = await signAccessToken(demoAdmin, TEST_JWT_SECRET);
  }, 90_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await redis?.stop();
  });

  async function startService(name: string, entry: string, port: number): Promise<ServiceProcess> {
    const service = startProcess(name, entry, { ...env, PORT: String(port) });
    processes.push(service);
    await waitUntilHealthy(`http://127.0.0.1:${port}/health`, service);
    return service;
  }

  const gatewayUrl = (replica: 'gatewayA' | 'gatewayB') => `http://127.0.0.1:${ports[replica]}/graphql`;

  async function adjustThrough(replica: 'gatewayA' | 'gatewayB', stock: (typeof stocked)[number], delta: number) {
    const result = await postGraphQL(gatewayUrl(replica), ADJUST, { productId: stock.productId, warehouseId: stock.warehouseId, delta }, { authorization: `Bearer ${adminToken}` });
    expect(result.errors).toBeUndefined();
  }

  it('delivers an event caused through replica A to a subscriber on replica B', async () => {
    const stock = stocked[0];
    const product = demo.products.find((p) => p.id === stock.productId)!;
    const client = wsClient(gatewayUrl('gatewayB'));
    try {
      const subscription = subscribe(client, STOCK, { ids: [product.id] });
      await new Promise((resolve) => setTimeout(resolve, 500));
      await adjustThrough('gatewayA', stock, 3);
      const event = await subscription.next(10_000);
      expect(event.errors).toBeUndefined();
      expect(event.data.stockChanged.product).toEqual({ id: product.id, name: product.name, price: { formatted: `$${(product.priceAmount / 100).toFixed(2)}` } });
    } finally {
      await client.dispose();
    }
  });

  it('keeps subscriptions alive through a restart of the owning subgraph and of Redis', async () => {
    const stock = stocked[1];
    const client = wsClient(gatewayUrl('gatewayA'));
    try {
      const subscription = subscribe(client, STOCK, { ids: [stock.productId] });
      await new Promise((resolve) => setTimeout(resolve, 500));

      const inventory = processes.find((p) => p.name === 'inventory')!;
      await inventory.stop();
      processes.splice(processes.indexOf(inventory), 1);
      await startService('inventory', 'dist/subgraphs/inventory/main.js', ports.inventory);
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // the gateway resubscribes with backoff
      await adjustThrough('gatewayB', stock, 1);
      expect((await subscription.next(10_000)).data.stockChanged.product.id).toBe(stock.productId);

      await redis.stop();
      redis = startRedisServer(redisPort);
      await new Promise((resolve) => setTimeout(resolve, 2_000)); // ioredis reconnects and resubscribes
      await adjustThrough('gatewayB', stock, 1);
      expect((await subscription.next(10_000)).data.stockChanged.product.id).toBe(stock.productId);
      expect(await Promise.race([subscription.ended, Promise.resolve('open')])).toBe('open');
    } finally {
      await client.dispose();
    }
  }, 60_000);

  it('refuses to start an event-publishing subgraph alone without REDIS_URL', async () => {
    const { REDIS_URL: _omitted, ...withoutRedis } = env;
    const lonely = startProcess('inventory-without-redis', 'dist/subgraphs/inventory/main.js', { ...withoutRedis, PORT: String(await freePort()) });
    expect(await exitCode(lonely)).toBe(1);
    expect(lonely.output()).toMatch(/REDIS_URL: required when inventory runs as its own process/);
  });
});
