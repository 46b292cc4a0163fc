import { signAccessToken } from '../../lib/access-token';
import { demoCatalog } from '../../lib/demo-data';
import { postGraphQLWithHeaders, type HttpGraphQLAnswer } from '../../test/graphql-http';
import { startSplitDeployment, type SplitDeployment } from '../../test/split-deployment';
import { TEST_JWT_SECRET } from '../../test/subgraph-harness';
import { demoAdmin } from '../../test/supergraph-harness';

/**
 * Lists that follow stock in the split deployment (every service its own
 * process, production mode, events through Redis, the response cache on):
 * a list filtered by availability, and the availability facet, warmed to a
 * cache hit, show a restocked product and lose a sold-out one within 2 s of
 * the stock change; catalog logs no error recording the events.
 */
const LIST = `query Available($categoryId: ID!, $available: Boolean) {
  products(filter: { categoryId: $categoryId, available: $available }, first: 100) { nodes { id } facets { id values { id count } } }
}`;
const STOCK = `query Stock($id: ID!) { product(id: $id) { stockLevels { warehouse { id } available } } }`;
const ADJUST = `mutation Adjust($productId: ID!, $warehouseId: ID!, $delta: Int!) { adjustStock(productId: $productId, warehouseId: $warehouseId, delta: $delta, reason: "split test") { onHand } }`;

const demo = demoCatalog();
const stockOf = (productId: string) => demo.stock.filter((level) => level.productId === productId).reduce((sum, level) => sum + level.onHand, 0);
const soldOut = demo.products.find((product) => stockOf(product.id) === 0)!;
const inStock = demo.products.find((product) => product.options.length === 0 && stockOf(product.id) > 0 && product.categoryId !== soldOut.categoryId)!;

describe('lists that follow stock, in the split deployment', () => {
  let deployment: SplitDeployment;
  let adminToken: string;

  beforeAll(async () => {
    deployment = await startSplitDeployment({ databaseSuffix: 'availability_split', gateways: { gateway: {} } });
    adminToken = await signAccessToken(demoAdmin, TEST_JWT_SECRET);
  }, 90_000);
  afterAll(() => deployment?.stop());

  const post = (query: string, variables: Record<string, unknown>, token?: string): Promise<HttpGraphQLAnswer> =>
    postGraphQLWithHeaders(deployment.gatewayUrl('gateway'), query, variables, token);

  /** The ids an availability-filtered list holds, and its availability facet counts; warmed to a cache hit first. */
  async function availableIn(categoryId: string): Promise<{ ids: string[]; cache: string | null; facet: Record<string, number> }> {
    const answer = await post(LIST, { categoryId, available: true });
    expect(answer.body.errors).toBeUndefined();
    const facet = (answer.body.data.products.facets as { id: string; values: { id: string; count: number }[] }[]).find((f) => f.id === 'availability');
    return {
      ids: (answer.body.data.products.nodes as { id: string }[]).map((node) => node.id),
      cache: answer.headers.get('x-cache'),
      facet: Object.fromEntries((facet?.values ?? []).map((value) => [value.id, value.count])),
    };
  }

  async function adjust(productId: string, warehouseId: string, delta: number) {
    const answer = await post(ADJUST, { productId, warehouseId, delta }, adminToken);
    expect(answer.body.errors).toBeUndefined();
  }

  /** Polls for up to 2 s after `since` until `check` holds; the time it took. */
  async function within2s(since: number, check: () => Promise<boolean>): Promise<number> {
    for (;;) {
      if (await check()) return Date.now() - since;
      if (Date.now() - since > 2_000) throw new Error('not within 2 s of the stock change');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('shows a restocked product and drops a sold-out one from cached availability lists within 2 s, with no event error in catalog', async () => {
    // Warm both lists to a hit.
    for (const categoryId of [soldOut.categoryId, inStock.categoryId]) await availableIn(categoryId);
    const restockBefore = await availableIn(soldOut.categoryId);
    const sellOutBefore = await availableIn(inStock.categoryId);
    expect([restockBefore.cache, sellOutBefore.cache]).toEqual(['HIT', 'HIT']);
    expect(restockBefore.ids).not.toContain(soldOut.id);
    expect(sellOutBefore.ids).toContain(inStock.id);

    const restockedAt = Date.now();
    await adjust(soldOut.id, demo.stock.find((level) => level.productId === soldOut.id)!.warehouseId, 5);
    const restockShownMs = await within2s(restockedAt, async () => {
      const now = await availableIn(soldOut.categoryId);
      return now.ids.includes(soldOut.id) && now.facet['availability.true'] === (restockBefore.facet['availability.true'] ?? 0) + 1;
    });

    const levels = await post(STOCK, { id: inStock.id }, adminToken);
    const soldOutAt = Date.now();
    for (const level of levels.body.data.product.stockLevels as { warehouse: { id: string }; available: number }[]) {
      if (level.available > 0) await adjust(inStock.id, level.warehouse.id, -level.available);
    }
    const sellOutShownMs = await within2s(soldOutAt, async () => !(await availableIn(inStock.categoryId)).ids.includes(inStock.id));
    console.log(`split deployment, cached availability list: restock shown ${restockShownMs} ms, sell-out shown ${sellOutShownMs} ms after the stock mutation was sent`);

    // Catalog recorded every stock event in its projection (the same holds in one process: availability-one-process.e2e.test.ts).
    const failures = deployment.process('catalog').logLines().filter((line) => /could not record/.test(String(line.msg)));
    expect(failures).toEqual([]);
  }, 60_000);
});
