import { demoCatalog } from '../../lib/demo-data';
import { signAccessToken } from '../../lib/access-token';
import { exitCode, freePort, startProcess } from '../../test/processes';
import { startSplitDeployment, type SplitDeployment } from '../../test/split-deployment';
import { postGraphQL, TEST_JWT_SECRET } from '../../test/subgraph-harness';
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
  let deployment: SplitDeployment;
  let adminToken: string;

  beforeAll(async () => {
    deployment = await startSplitDeployment({ databaseSuffix: 'split', gateways: { gatewayA: {}, gatewayB: {} } });
    adminToken = await signAccessToken(demoAdmin, TEST_JWT_SECRET);
  }, 90_000);

  afterAll(() => deployment?.stop());

  const gatewayUrl = (replica: 'gatewayA' | 'gatewayB') => deployment.gatewayUrl(replica);

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

      // An event published before the gateway has resubscribed is lost (subscriptions are live, not replayed),
      // and the resubscription waits out a backoff that a loaded machine stretches to seconds: change the stock
      // again until an event of a change made after the restart arrives (its quantity is above the one read
      // before), within a bound. Late events of earlier attempts are skipped by that quantity.
      const availableNow = async () =>
        (await postGraphQL<{ product: { availableQuantity: number } }>(gatewayUrl('gatewayB'), 'query($id: ID!) { product(id: $id) { availableQuantity } }', { id: stock.productId })).data!.product.availableQuantity;
      const deliveredAfter = async (restart: () => Promise<void>) => {
        const before = await availableNow();
        await restart();
        for (let attempt = 1; attempt <= 10; attempt += 1) {
          await adjustThrough('gatewayB', stock, 1);
          const deadline = Date.now() + 2_000;
          while (Date.now() < deadline) {
            const event = await subscription.next(Math.max(1, deadline - Date.now())).catch(() => undefined);
            if (event?.data.stockChanged.availableQuantity > before) return event!;
          }
        }
        throw new Error(`no stock event after the restart within 10 changes (quantity before: ${before})`);
      };

      const afterSubgraph = await deliveredAfter(async () => {
        await deployment.process('inventory').stop();
        await deployment.start('inventory');
      });
      expect(afterSubgraph.data.stockChanged.product.id).toBe(stock.productId);

      const afterRedis = await deliveredAfter(() => deployment.restartRedis());
      expect(afterRedis.data.stockChanged.product.id).toBe(stock.productId);
      expect(await Promise.race([subscription.ended, Promise.resolve('open')])).toBe('open');
    } finally {
      await client.dispose();
    }
  }, 90_000);

  it('refuses to start an event-publishing subgraph alone without REDIS_URL', async () => {
    const { REDIS_URL: _omitted, ...withoutRedis } = deployment.env;
    const lonely = startProcess('inventory-without-redis', 'dist/subgraphs/inventory/main.js', { ...withoutRedis, PORT: String(await freePort()) });
    expect(await exitCode(lonely)).toBe(1);
    expect(lonely.output()).toMatch(/REDIS_URL: required when inventory runs as its own process/);
  });
});
