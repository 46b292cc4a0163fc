import { countStatements } from '../test/sql-counter';
import { startTestSupergraph, WITHOUT_RESPONSE_CACHE, type TestSupergraph } from '../test/supergraph-harness';

/**
 * No N+1: a product page costs the same number of SQL statements per subgraph
 * whether it has 5 products or 50, because every reference and relation is
 * batched through request-scoped DataLoaders.
 */
const PAGE = `query($first: Int) {
  products(first: $first) {
    totalCount
    nodes { id name price { formatted } category { name parent { name } } inStock availableQuantity }
  }
}`;

describe('SQL statements of a product page', () => {
  let supergraph: TestSupergraph;

  beforeAll(async () => {
    // No sweepers or relays: only the statements of the request itself are counted.
    supergraph = await startTestSupergraph({ ...WITHOUT_RESPONSE_CACHE, backgroundTasks: false });
  }, 60_000);
  afterAll(() => supergraph?.stop());

  async function statementsFor(first: number): Promise<Record<string, number>> {
    const counters = Object.fromEntries(Object.entries(supergraph.subgraphs).map(([name, s]) => [name, countStatements(s.orm)]));
    try {
      const result = await supergraph.query(PAGE, { first });
      expect(result.errors).toBeUndefined();
      expect(result.data!.products.nodes).toHaveLength(first);
      return Object.fromEntries(Object.entries(counters).map(([name, counter]) => [name, counter.count]));
    } finally {
      Object.values(counters).forEach((counter) => counter.detach());
    }
  }

  it('does not grow with the page size', async () => {
    await statementsFor(5); // warm-up: metadata and plan caches
    const small = await statementsFor(5);
    const large = await statementsFor(50);
    process.stdout.write(`SQL statements per subgraph: page of 5 ${JSON.stringify(small)}, page of 50 ${JSON.stringify(large)}\n`);
    expect(large).toEqual(small);
    expect(small.catalog).toBeGreaterThan(0);
    expect(small.inventory).toBeGreaterThan(0);
    expect(small.catalog).toBeLessThanOrEqual(4);
    expect(small.inventory).toBeLessThanOrEqual(2);
  });
});
