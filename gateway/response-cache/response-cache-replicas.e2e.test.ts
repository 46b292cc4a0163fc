import { signAccessToken } from '../../lib/access-token';
import { demoCatalog } from '../../lib/demo-data';
import { startSplitDeployment, type SplitDeployment } from '../../test/split-deployment';
import { TEST_JWT_SECRET } from '../../test/subgraph-harness';
import { demoAdmin } from '../../test/supergraph-harness';
import { scrape } from '../../test/prometheus-text';
import { eventually } from '../../test/wait';

/**
 * Two gateway replicas with their response caches, every service its own
 * process, events over Redis: a change made through either replica, or by a
 * service on its own, is never answered stale by either replica once its
 * event has reached it, and the Redis tier is shared by both.
 */
const demo = demoCatalog();
const PRODUCT_PAGE = `query ProductPage($slug: String!) { product(slug: $slug) { id name price { amount } availableQuantity } }`;
const UPDATE_PRICE = `mutation($id: ID!, $amount: Int!) { updateProduct(id: $id, input: { priceAmount: $amount }) { id } }`;
const ADJUST = `mutation($productId: ID!, $warehouseId: ID!, $delta: Int!) { adjustStock(productId: $productId, warehouseId: $warehouseId, delta: $delta) { onHand } }`;
const REPLICAS = ['gatewayA', 'gatewayB'] as const;
type Replica = (typeof REPLICAS)[number];

describe('response cache across two gateway replicas', () => {
  let deployment: SplitDeployment;
  let adminToken: string;

  beforeAll(async () => {
    deployment = await startSplitDeployment({ databaseSuffix: 'cache', gateways: { gatewayA: {}, gatewayB: {} } });
    adminToken = await signAccessToken(demoAdmin, TEST_JWT_SECRET);
  }, 90_000);
  afterAll(() => deployment?.stop());

  async function post(replica: Replica, query: string, variables: Record<string, unknown>, token?: string) {
    const response = await fetch(deployment.gatewayUrl(replica), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: any; errors?: unknown[] };
    expect(body.errors).toBeUndefined();
    return { cache: response.headers.get('x-cache'), data: body.data };
  }

  const metricsOf = (replica: Replica) => scrape(deployment.gatewayUrl(replica).replace('/graphql', '/metrics'));

  async function invalidations(replica: Replica): Promise<number> {
    return (await metricsOf(replica)).sum('graphql_response_cache_invalidations_total');
  }

  /**
   * Makes a change, then on each replica: waits for its
   * invalidation count to move (the event has been handled there) and reads
   * at once, which must already be fresh. Returns the milliseconds from the
   * change's answer to that moment on each replica.
   */
  async function changeAndCheck(change: () => Promise<unknown>, slug: string, isFresh: (product: any) => boolean, readsOwnWrite?: Replica): Promise<Record<Replica, number>> {
    for (const replica of REPLICAS) {
      await post(replica, PRODUCT_PAGE, { slug });
      expect((await post(replica, PRODUCT_PAGE, { slug })).cache).toBe('HIT');
    }
    const before = Object.fromEntries(await Promise.all(REPLICAS.map(async (replica) => [replica, await invalidations(replica)] as const))) as Record<Replica, number>;
    await change();
    const committed = Date.now();
    if (readsOwnWrite) {
      // The replica that ran the mutation dropped what its answer holds before answering: no wait for the event.
      expect(isFresh((await post(readsOwnWrite, PRODUCT_PAGE, { slug })).data.product)).toBe(true);
    }
    const elapsed = {} as Record<Replica, number>;
    await Promise.all(
      REPLICAS.map(async (replica) => {
        await eventually(async () => (await invalidations(replica)) > before[replica], `the event on ${replica}`, 10_000);
        elapsed[replica] = Date.now() - committed;
        const read = await post(replica, PRODUCT_PAGE, { slug });
        expect(isFresh(read.data.product)).toBe(true);
      }),
    );
    return elapsed;
  }

  it('shares responses between replicas through Redis', async () => {
    const { slug } = demo.products[20];
    expect((await post('gatewayA', PRODUCT_PAGE, { slug })).cache).toBe('MISS');
    expect((await post('gatewayB', PRODUCT_PAGE, { slug })).cache).toBe('HIT');
  });

  it('serves a price changed through replica A fresh on A at once and on B once the event arrives', async () => {
    const product = demo.products[21];
    const amount = product.priceAmount + 500;
    const elapsed = await changeAndCheck(
      () => post('gatewayA', UPDATE_PRICE, { id: product.id, amount }, adminToken),
      product.slug,
      (read) => read.price.amount === amount,
      'gatewayA',
    );
    console.log(`price change: commit to invalidation seen on gatewayA ${elapsed.gatewayA} ms, gatewayB ${elapsed.gatewayB} ms (polling every 50 ms)`);
  });

  it('serves stock adjusted through replica B fresh on both replicas once the event arrives', async () => {
    const stock = demo.stock.find((s) => s.onHand > 5 && demo.products.some((p) => p.id === s.productId && p !== demo.products[21]))!;
    const product = demo.products.find((p) => p.id === stock.productId)!;
    const { data } = await post('gatewayB', PRODUCT_PAGE, { slug: product.slug });
    const expected = (data.product.availableQuantity as number) - 4;
    const elapsed = await changeAndCheck(
      () => post('gatewayB', ADJUST, { productId: stock.productId, warehouseId: stock.warehouseId, delta: -4 }, adminToken),
      product.slug,
      (read) => read.availableQuantity === expected,
    );
    console.log(`stock change: commit to invalidation seen on gatewayA ${elapsed.gatewayA} ms, gatewayB ${elapsed.gatewayB} ms (polling every 50 ms)`);
  });

  it('neither answers from nor fills the cache while events cannot arrive, and forgets its memory when they can again', async () => {
    const { slug } = demo.products[30];
    await post('gatewayA', PRODUCT_PAGE, { slug });
    expect((await post('gatewayA', PRODUCT_PAGE, { slug })).cache).toBe('HIT');
    await deployment.redis.stop();
    await eventually(async () => (await post('gatewayA', PRODUCT_PAGE, { slug })).cache === 'BYPASS', 'gatewayA to bypass its cache without Redis');
    await deployment.restartRedis();
    // Back: what was kept before may have missed events, so it is gone; new answers are kept again.
    await eventually(async () => (await post('gatewayA', PRODUCT_PAGE, { slug })).cache !== 'BYPASS', 'gatewayA to use its cache again', 15_000);
    expect((await post('gatewayA', PRODUCT_PAGE, { slug })).cache).toBe('HIT');
    expect((await metricsOf('gatewayA')).sum('graphql_response_cache_entries')).toBe(1);
  }, 30_000);

  it('reports the time from each change to its invalidation on every replica', async () => {
    for (const replica of REPLICAS) {
      const metrics = await metricsOf(replica);
      const sum = metrics.sum('graphql_response_cache_invalidation_lag_seconds_sum');
      const count = metrics.sum('graphql_response_cache_invalidation_lag_seconds_count');
      expect(count).toBeGreaterThanOrEqual(2);
      console.log(`${replica}: ${count} invalidations, mean lag from commit ${((sum / count) * 1000).toFixed(1)} ms`);
    }
  });
});
