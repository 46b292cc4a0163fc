import { demoCatalog } from '../../lib/demo-data';
import { startTestSubgraph, type GraphQLResult, type TestSubgraph } from '../../test/subgraph-harness';
import { catalogSubgraph } from './catalog.server';

const PAGE = `query Page($first: Int, $after: String, $sort: ProductSort, $filter: ProductFilter) {
  products(first: $first, after: $after, sort: $sort, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name createdAt price { amount currency formatted } category { id } } }
  }
}`;

type Page = {
  products: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: { cursor: string; node: { id: string; name: string; createdAt: string; price: { amount: number; formatted: string }; category: { id: string } } }[];
  };
};

describe('catalog subgraph', () => {
  let catalog: TestSubgraph;
  const demo = demoCatalog();

  beforeAll(async () => {
    catalog = await startTestSubgraph(catalogSubgraph, { seed: true });
  });
  afterAll(() => catalog?.stop());

  async function allPages(variables: Record<string, unknown>): Promise<Page['products']['edges']> {
    const edges: Page['products']['edges'] = [];
    let after: string | null = null;
    for (let i = 0; i < 50; i += 1) {
      const result: GraphQLResult<Page> = await catalog.query<Page>(PAGE, { ...variables, first: 37, after });
      expect(result.errors).toBeUndefined();
      edges.push(...result.data!.products.edges);
      if (!result.data!.products.pageInfo.hasNextPage) return edges;
      after = result.data!.products.pageInfo.endCursor;
    }
    throw new Error('pagination did not end');
  }

  it('pages through every product exactly once in each ordering', async () => {
    for (const sort of ['NEWEST', 'PRICE_ASC', 'PRICE_DESC', 'NAME_ASC']) {
      const edges = await allPages({ sort });
      expect(edges).toHaveLength(demo.products.length);
      expect(new Set(edges.map((e) => e.node.id)).size).toBe(demo.products.length);
      const prices = edges.map((e) => e.node.price.amount);
      if (sort === 'PRICE_ASC') expect(prices).toEqual([...prices].sort((a, b) => a - b));
      if (sort === 'PRICE_DESC') expect(prices).toEqual([...prices].sort((a, b) => b - a));
      if (sort === 'NEWEST') {
        const times = edges.map((e) => Date.parse(e.node.createdAt));
        expect(times).toEqual([...times].sort((a, b) => b - a));
      }
    }
  });

  it('filters by a top-level category including its descendants', async () => {
    const top = demo.categories.find((c) => c.parentId === null)!;
    const childIds = new Set(demo.categories.filter((c) => c.parentId === top.id).map((c) => c.id));
    const expected = demo.products.filter((p) => childIds.has(p.categoryId)).length;
    const edges = await allPages({ filter: { categoryId: top.id } });
    expect(edges).toHaveLength(expected);
    expect(edges.every((e) => childIds.has(e.node.category.id))).toBe(true);
  });

  it('searches full text, ranks by relevance and filters by price', async () => {
    const result = await catalog.query<Page>(PAGE, { first: 100, sort: 'RELEVANCE', filter: { search: 'skillet', maxPrice: 10000 } });
    expect(result.errors).toBeUndefined();
    const nodes = result.data!.products.edges.map((e) => e.node);
    const expected = demo.products.filter((p) => /skillet/i.test(p.name) && p.priceAmount <= 10000);
    expect(nodes.map((n) => n.id).sort()).toEqual(expected.map((p) => p.id).sort());
    expect(result.data!.products.totalCount).toBe(expected.length);
  });

  it('rejects first above 100 and foreign cursors with BAD_USER_INPUT', async () => {
    const tooMany = await catalog.query(PAGE, { first: 101 });
    expect(tooMany.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const first = await catalog.query<Page>(PAGE, { first: 1, sort: 'NEWEST' });
    const wrongOrdering = await catalog.query(PAGE, { first: 1, sort: 'PRICE_ASC', after: first.data!.products.pageInfo.endCursor });
    expect(wrongOrdering.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const garbage = await catalog.query(PAGE, { first: 1, after: 'not-a-cursor' });
    expect(garbage.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('answers unknown ids and slugs with null', async () => {
    const result = await catalog.query(`{ a: product(id: "00000000-0000-4000-8000-000000000000") { id } b: product(id: "nope") { id } c: product(slug: "nope") { id } }`);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ a: null, b: null, c: null });
  });

  it('refuses calls without the internal credential', async () => {
    const response = await fetch(catalog.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ categories { id } }' }) });
    expect(response.status).toBe(401);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });
});
