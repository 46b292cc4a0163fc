import { demoCatalog } from '../../lib/demo-data';
import { startTestSupergraph, WITHOUT_RESPONSE_CACHE, type TestSupergraph } from '../../test/supergraph-harness';

/*
 * Faceted search through the gateway on the demo catalog: every facet count
 * is checked against a count made independently, from the whole product list
 * paged through the gateway (each product's price, category, inStock from
 * inventory, and its variants' selected options), with the count semantics
 * applied in the test: the products matching every other active filter plus
 * the value.
 */

// Pages of 10: a product weighs about 400 (its variants list is assumed 100 long), under the gateway's cost limit of 5000.
const PAGE = `query All($after: String) {
  products(first: 10, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id price { amount } category { id } inStock variants { selectedOptions { name value } } }
  }
}`;
const FACETS = `query Facets($filter: ProductFilter) {
  products(filter: $filter, first: 100) {
    totalCount
    nodes { id }
    facets { id label type values { id label count selected input } }
  }
}`;

interface Listed {
  id: string;
  price: { amount: number };
  category: { id: string };
  inStock: boolean;
  variants: { selectedOptions: { name: string; value: string }[] }[];
}
interface Filter {
  categoryId?: string;
  options?: { name: string; value: string }[];
  available?: boolean;
  priceRanges?: { min?: number; max?: number }[];
}
interface FacetView {
  id: string;
  label: string;
  type: string;
  values: { id: string; label: string; count: number; selected: boolean; input: string }[];
}

const BUCKETS = [
  { min: 0, max: 2500 },
  { min: 2500, max: 5000 },
  { min: 5000, max: 10000 },
  { min: 10000, max: 20000 },
  { min: 20000, max: undefined },
];

describe('faceted search through the gateway', () => {
  let supergraph: TestSupergraph;
  let all: Listed[];
  const demo = demoCatalog();
  const subtree = (categoryId: string): Set<string> => {
    const ids = new Set([categoryId]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const category of demo.categories) {
        if (category.parentId && ids.has(category.parentId) && !ids.has(category.id)) {
          ids.add(category.id);
          grew = true;
        }
      }
    }
    return ids;
  };

  beforeAll(async () => {
    // Paging through the whole catalog with its variants costs more than an anonymous client's rate budget.
    supergraph = await startTestSupergraph({
      gateway: { ...WITHOUT_RESPONSE_CACHE.gateway, rateLimit: { mode: 'off', windowSeconds: 60, apiKeyPoints: 1, userPoints: 1, ipPoints: 1 } },
    });
    all = [];
    let after: string | null = null;
    do {
      const result: { data?: { products: { pageInfo: { hasNextPage: boolean; endCursor: string }; nodes: Listed[] } } | null; errors?: unknown } = await supergraph.query(PAGE, { after });
      expect(result.errors).toBeUndefined();
      all.push(...result.data!.products.nodes);
      after = result.data!.products.pageInfo.hasNextPage ? result.data!.products.pageInfo.endCursor : null;
    } while (after);
  }, 90_000);
  afterAll(() => supergraph?.stop());

  /** The filter's conditions in the test's own terms; `leaveOut` drops one facet's filter (an option name, "availability", "price"). */
  function matches(product: Listed, filter: Filter, leaveOut?: string, extraOption?: { name: string; value: string }): boolean {
    if (filter.categoryId && !subtree(filter.categoryId).has(product.category.id)) return false;
    if (leaveOut !== 'availability' && filter.available != null && product.inStock !== filter.available) return false;
    if (leaveOut !== 'price' && filter.priceRanges?.length) {
      const price = product.price.amount;
      if (!filter.priceRanges.some((range) => (range.min == null || price >= range.min) && (range.max == null || price < range.max))) return false;
    }
    const wanted = new Map<string, string[]>();
    for (const option of filter.options ?? []) {
      if (option.name === leaveOut) continue;
      wanted.set(option.name, [...(wanted.get(option.name) ?? []), option.value]);
    }
    if (extraOption) wanted.set(extraOption.name, [extraOption.value]);
    if (wanted.size === 0) return true;
    return product.variants.some((variant) =>
      [...wanted].every(([name, values]) => variant.selectedOptions.some((selected) => selected.name === name && values.includes(selected.value))),
    );
  }

  /** The facets as this test counts them: `{ facetId: { valueId: count } }`, zero-count option values left out. */
  function expectedCounts(filter: Filter): Record<string, Record<string, number>> {
    const expected: Record<string, Record<string, number>> = {};
    const names = new Set(all.flatMap((product) => product.variants.flatMap((variant) => variant.selectedOptions.map((option) => option.name))));
    for (const name of names) {
      const values = new Set(all.flatMap((product) => product.variants.flatMap((variant) => variant.selectedOptions.filter((o) => o.name === name).map((o) => o.value))));
      const counts: Record<string, number> = {};
      for (const value of values) {
        const count = all.filter((product) => matches(product, filter, name, { name, value })).length;
        if (count > 0) counts[`option.${name}.${value}`] = count;
      }
      if (Object.keys(counts).length > 0) expected[`option.${name}`] = counts;
    }
    expected.availability = Object.fromEntries(
      [true, false].map((available) => [`availability.${available}`, all.filter((p) => matches(p, filter, 'availability') && p.inStock === available).length]),
    );
    expected.price = Object.fromEntries(
      BUCKETS.map((bucket) => [
        `price.${bucket.min}-${bucket.max ?? ''}`,
        all.filter((p) => matches(p, filter, 'price') && p.price.amount >= bucket.min && (bucket.max == null || p.price.amount < bucket.max)).length,
      ]),
    );
    return expected;
  }

  const actualCounts = (facets: FacetView[]) => Object.fromEntries(facets.map((facet) => [facet.id, Object.fromEntries(facet.values.map((value) => [value.id, value.count]))]));

  it('lists the demo catalog with variants of 2-3 options for at least a quarter of the products', () => {
    expect(all).toHaveLength(demo.products.length);
    const withOptions = all.filter((product) => new Set(product.variants.flatMap((v) => v.selectedOptions.map((o) => o.name))).size >= 2);
    expect(withOptions.length).toBeGreaterThanOrEqual(all.length / 4);
  });

  const jackets = demo.categories.find((category) => category.name === 'Jackets')!;
  const apparelRoot = demo.categories.find((category) => category.id === jackets.parentId)!;
  const filters: [string, Filter][] = [
    ['no filter', {}],
    ['one option value', { options: [{ name: 'Size', value: 'M' }] }],
    ['two option names, availability', { options: [{ name: 'Size', value: 'M' }, { name: 'Size', value: 'L' }, { name: 'Color', value: 'Black' }], available: true }],
    ['category subtree, price ranges, sold out', { categoryId: apparelRoot.id, priceRanges: [{ min: 2500, max: 10000 }, { min: 20000 }], available: false }],
  ];

  it.each(filters)('counts every facet value as an independent count over the product list does: %s', async (_name, filter) => {
    const result = await supergraph.query<{ products: { totalCount: number; nodes: { id: string }[]; facets: FacetView[] } }>(FACETS, { filter });
    expect(result.errors).toBeUndefined();
    const page = result.data!.products;
    const matching = all.filter((product) => matches(product, filter));
    expect(page.totalCount).toBe(matching.length);
    // The first page (100) of the matching products.
    expect(page.nodes).toHaveLength(Math.min(100, matching.length));
    const matchingIds = new Set(matching.map((product) => product.id));
    expect(page.nodes.filter((node) => !matchingIds.has(node.id))).toEqual([]);
    expect(actualCounts(page.facets)).toEqual(expectedCounts(filter));
    // `selected` is what the filter selects; `input` selects the value when used as a filter.
    for (const facet of page.facets) {
      for (const value of facet.values) {
        const input = JSON.parse(value.input) as Filter;
        const selected = input.options
          ? (filter.options ?? []).some((option) => option.name === input.options![0].name && option.value === input.options![0].value)
          : input.available !== undefined
            ? filter.available === input.available
            : (filter.priceRanges ?? []).some((range) => (range.min ?? 0) === input.priceRanges![0].min && range.max === input.priceRanges![0].max);
        expect({ id: value.id, selected: value.selected }).toEqual({ id: value.id, selected });
      }
    }
  }, 20_000);

  it("a value's input, used as the filter, lists as many products as its count says", async () => {
    const result = await supergraph.query<{ products: { facets: FacetView[] } }>(FACETS, { filter: {} });
    const size = result.data!.products.facets.find((facet) => facet.id === 'option.Size')!;
    for (const value of size.values.slice(0, 3)) {
      const listed = await supergraph.query<{ products: { totalCount: number } }>(FACETS, { filter: JSON.parse(value.input) });
      expect(listed.data!.products.totalCount).toBe(value.count);
    }
  }, 20_000);
});
