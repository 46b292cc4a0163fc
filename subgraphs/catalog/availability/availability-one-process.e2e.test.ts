import { isDeepStrictEqual } from 'node:util';
import { demoCatalog } from '../../../lib/demo-data';
import { demoAdmin, startTestSupergraph, WITHOUT_RESPONSE_CACHE, type TestSupergraph } from '../../../test/supergraph-harness';
import { eventually } from '../../../test/wait';

/*
 * Under `npm start` all five subgraphs share one process and one in-process
 * event bus, each with its own MikroORM instance and database. Inventory
 * publishes stock.changed from inside its outbox relay's transaction; catalog's
 * availability projection must record it in catalog's database, not in the
 * publisher's (MikroORM resolves a fork through AsyncLocalStorage contexts
 * keyed by a name all five instances share). The change must show in the
 * `available` filter and the availability facet within moments, not at the
 * next resync.
 */

const STOCK = `query Stock($id: ID!) { product(id: $id) { stockLevels { warehouse { id } available } } }`;
const ADJUST = `mutation Adjust($productId: ID!, $warehouseId: ID!, $delta: Int!) { adjustStock(productId: $productId, warehouseId: $warehouseId, delta: $delta) { available } }`;
const LIST = `query List($filter: ProductFilter) {
  products(filter: $filter, first: 100) {
    nodes { id }
    facets { id values { id count } }
  }
}`;

type LogLine = { level: number; name: string; msg: string; err?: unknown };
type Listing = { products: { nodes: { id: string }[]; facets: { id: string; values: { id: string; count: number }[] }[] } };

/** What the storefront shows of a category: which products each availability lists, and the availability facet's counts. */
interface CategoryView {
  available: string[];
  soldOut: string[];
  facet: Record<string, number>;
}

describe('the availability projection when every subgraph shares one process (npm start)', () => {
  let supergraph: TestSupergraph;
  const lines: LogLine[] = [];
  const demo = demoCatalog();
  const stockOf = (productId: string) => demo.stock.filter((level) => level.productId === productId).reduce((sum, level) => sum + level.onHand, 0);
  // A sold-out product, and an in-stock one of another category whose only variant is the default (its stock levels are the product's).
  const soldOut = demo.products.find((product) => stockOf(product.id) === 0)!;
  const inStock = demo.products.find((product) => product.options.length === 0 && stockOf(product.id) > 0 && product.categoryId !== soldOut.categoryId)!;

  beforeAll(async () => {
    supergraph = await startTestSupergraph({
      ...WITHOUT_RESPONSE_CACHE,
      logLevel: 'info',
      logDestination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
    });
    // Catalog's start-up resync retries until inventory (started after it) answers. Once it has, only the
    // stock.changed events can carry the changes below to catalog before the next resync (15 minutes).
    await eventually(() => lines.some((line) => line.name === 'catalog' && line.msg === 'availability projection resynchronised from inventory'), 'the start-up resync', 15_000);
  }, 60_000);
  afterAll(() => supergraph?.stop());

  async function view(categoryId: string): Promise<CategoryView> {
    const list = async (available?: boolean) => {
      const result = await supergraph.query<Listing>(LIST, { filter: { categoryId, available } });
      expect(result.errors).toBeUndefined();
      return result.data!.products;
    };
    const [all, available, soldOutList] = await Promise.all([list(), list(true), list(false)]);
    const facet = all.facets.find((f) => f.id === 'availability')!;
    return {
      available: available.nodes.map((node) => node.id).sort(),
      soldOut: soldOutList.nodes.map((node) => node.id).sort(),
      facet: Object.fromEntries(facet.values.map((value) => [value.id, value.count])),
    };
  }

  /** The view after `productId` has moved from one availability to the other. */
  function moved(before: CategoryView, productId: string, nowAvailable: boolean): CategoryView {
    const [from, to] = nowAvailable ? (['soldOut', 'available'] as const) : (['available', 'soldOut'] as const);
    expect(before[from]).toContain(productId);
    const [fromValue, toValue] = nowAvailable ? ['availability.false', 'availability.true'] : ['availability.true', 'availability.false'];
    return {
      ...before,
      [from]: before[from].filter((id) => id !== productId),
      [to]: [...before[to], productId].sort(),
      facet: { ...before.facet, [fromValue]: before.facet[fromValue] - 1, [toValue]: before.facet[toValue] + 1 },
    };
  }

  it('shows a restocked product as available and a sold-out one as unavailable within 2 s, without a projection error', async () => {
    const restockedBefore = await view(soldOut.categoryId);
    const soldOutBefore = await view(inStock.categoryId);
    const expectedRestocked = moved(restockedBefore, soldOut.id, true);
    const expectedSoldOut = moved(soldOutBefore, inStock.id, false);

    const adjust = async (productId: string, warehouseId: string, delta: number) => {
      const result = await supergraph.query(ADJUST, { productId, warehouseId, delta }, demoAdmin);
      expect(result.errors).toBeUndefined();
    };
    await adjust(soldOut.id, demo.stock.find((level) => level.productId === soldOut.id)!.warehouseId, 5);
    const levels = await supergraph.query<{ product: { stockLevels: { warehouse: { id: string }; available: number }[] } }>(STOCK, { id: inStock.id }, demoAdmin);
    expect(levels.errors).toBeUndefined();
    for (const level of levels.data!.product.stockLevels) if (level.available > 0) await adjust(inStock.id, level.warehouse.id, -level.available);

    let seen: [CategoryView, CategoryView] | undefined;
    const changedAt = Date.now();
    await eventually(
      async () => {
        seen = [await view(soldOut.categoryId), await view(inStock.categoryId)];
        return isDeepStrictEqual(seen, [expectedRestocked, expectedSoldOut]);
      },
      'the availability filter and facet to follow the stock changes',
      2_000,
    ).catch(() => undefined);
    expect(seen).toEqual([expectedRestocked, expectedSoldOut]);
    console.log(`one process: the availability filter and facet followed both stock changes ${Date.now() - changedAt} ms after the last one was answered`);
    expect(lines.filter((line) => line.level >= 50 && /could not record/.test(line.msg))).toEqual([]);
  });
});
