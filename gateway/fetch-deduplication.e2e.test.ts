import { demoCatalog } from '../lib/demo-data';
import { demoAdmin, demoCustomer, startTestSupergraph, WITHOUT_RESPONSE_CACHE, type TestSupergraph } from '../test/supergraph-harness';

/**
 * In-flight deduplication through the whole supergraph: identical concurrent
 * product lists share their subgraph calls (counted on the gateway's
 * /metrics) and every client still gets the whole, right answer; signed-in
 * viewers never share a call with another viewer.
 */
const PRODUCT_LIST = `{ products(first: 20) { nodes { id name category { name } inStock availableQuantity } } }`;
const demo = demoCatalog();

describe('deduplication of identical subgraph fetches through the gateway', () => {
  let supergraph: TestSupergraph;

  beforeAll(async () => {
    supergraph = await startTestSupergraph(WITHOUT_RESPONSE_CACHE);
  }, 60_000);
  afterAll(() => supergraph?.stop());

  /** A counter of the gateway's /metrics, by subgraph. */
  async function counters(name: string): Promise<Record<string, number>> {
    const text = await (await fetch(`${supergraph.gateway.url}/metrics`)).text();
    const values: Record<string, number> = {};
    for (const [, subgraph, value] of text.matchAll(new RegExp(`^${name}\\{subgraph="(\\w+)"\\} (\\d+)$`, 'gm'))) values[subgraph] = Number(value);
    return values;
  }

  const sum = (values: Record<string, number>) => Object.values(values).reduce((total, value) => total + value, 0);

  it('answers 20 concurrent identical product lists correctly with fewer subgraph calls', async () => {
    const fetchesBefore = sum(await counters('subgraph_fetches_total'));
    const deduplicatedBefore = sum(await counters('subgraph_fetches_deduplicated_total'));
    const results = await Promise.all(Array.from({ length: 20 }, () => supergraph.query(PRODUCT_LIST)));
    const fetches = sum(await counters('subgraph_fetches_total')) - fetchesBefore;
    const deduplicated = sum(await counters('subgraph_fetches_deduplicated_total')) - deduplicatedBefore;

    const newest = [...demo.products].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()).slice(0, 20);
    const expected = newest.map((product) => {
      const available = demo.stock.filter((s) => s.productId === product.id).reduce((total, s) => total + s.onHand, 0);
      return {
        id: product.id,
        name: product.name,
        category: { name: demo.categories.find((c) => c.id === product.categoryId)!.name },
        inStock: available > 0,
        availableQuantity: available,
      };
    });
    for (const result of results) {
      expect(result.errors).toBeUndefined();
      expect(result.data).toEqual({ products: { nodes: expected } });
    }
    // Each request fetches from catalog, then from inventory: 40 fetches, of which the identical ones in flight together shared a call.
    expect(fetches).toBe(40);
    expect(deduplicated).toBeGreaterThan(0);
    expect(fetches - deduplicated).toBeLessThan(40);
  });

  it('never gives one signed-in viewer what another one asked for', async () => {
    const viewers = [demoCustomer, demoAdmin, null, demoCustomer, demoAdmin, null, demoCustomer, demoAdmin];
    const tokens = await Promise.all(viewers.map((viewer) => (viewer ? supergraph.tokenFor(viewer) : null)));
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(tokens.map((token) => supergraph.query(`{ me { id } }`, {}, token)));
      results.forEach((result, index) => {
        expect(result.errors).toBeUndefined();
        expect(result.data).toEqual({ me: viewers[index] ? { id: viewers[index]!.id } : null });
      });
    }
  });
});
