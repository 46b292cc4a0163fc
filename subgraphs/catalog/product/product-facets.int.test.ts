import { createEventBus, type EventBus } from '../../../lib/event-bus';
import { Topics } from '../../../lib/events';
import { createLogger } from '../../../lib/logger';
import type { SubgraphClient } from '../../../lib/subgraph-client';
import { countStatements } from '../../../test/sql-counter';
import { startTestSubgraph, type GraphQLResult, type TestSubgraph } from '../../../test/subgraph-harness';
import { startAvailabilityProjection } from '../availability/availability-projection';
import { recordAvailability, resyncAvailability } from '../availability/product-availability';
import { catalogSubgraph } from '../catalog.server';

/*
 * A small catalog inserted by SQL, with every count below worked out by hand:
 *
 *   product       category  price  availability  variants (Size, Color)
 *   P1 Alpha Tee  C2        1500   5             (S,Red) (M,Red) (L,Blue)
 *   P2 Beta Tee   C2        3000   0             (M,Blue) (L,Blue)
 *   P3 Gamma Hood C1        6000   2             (S) (M)              Size only
 *   P4 Delta Shoe C3        12000  no row        (M,Red)
 *   P5 Epsilon Mug C3       800    10            no options
 *   P6 Zeta Cap   C1        25000  1             (Red) (Green)        Color only
 *
 * C2 is a child of C1. Price buckets: 0-2500, 2500-5000, 5000-10000, 10000-20000, 20000+.
 */
const id = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
const C1 = 'c0000000-0000-4000-8000-000000000001';
const C2 = 'c0000000-0000-4000-8000-000000000002';
const C3 = 'c0000000-0000-4000-8000-000000000003';

interface FixtureProduct {
  n: number;
  name: string;
  category: string;
  price: number;
  available: number | null;
  options: [string, string[]][];
  variants: Record<string, string>[];
}

const PRODUCTS: FixtureProduct[] = [
  { n: 1, name: 'Alpha Tee', category: C2, price: 1500, available: 5, options: [['Size', ['S', 'M', 'L']], ['Color', ['Red', 'Blue']]], variants: [{ Size: 'S', Color: 'Red' }, { Size: 'M', Color: 'Red' }, { Size: 'L', Color: 'Blue' }] },
  { n: 2, name: 'Beta Tee', category: C2, price: 3000, available: 0, options: [['Size', ['M', 'L']], ['Color', ['Blue']]], variants: [{ Size: 'M', Color: 'Blue' }, { Size: 'L', Color: 'Blue' }] },
  { n: 3, name: 'Gamma Hoodie', category: C1, price: 6000, available: 2, options: [['Size', ['S', 'M']]], variants: [{ Size: 'S' }, { Size: 'M' }] },
  { n: 4, name: 'Delta Shoe', category: C3, price: 12000, available: null, options: [['Size', ['M']], ['Color', ['Red']]], variants: [{ Size: 'M', Color: 'Red' }] },
  { n: 5, name: 'Epsilon Mug', category: C3, price: 800, available: 10, options: [], variants: [{}] },
  { n: 6, name: 'Zeta Cap', category: C1, price: 25000, available: 1, options: [['Color', ['Red', 'Green']]], variants: [{ Color: 'Red' }, { Color: 'Green' }] },
];

const FACETS = `
  query Facets($filter: ProductFilter, $first: Int) {
    products(filter: $filter, first: $first) {
      totalCount
      nodes { id }
      facets { id label type values { id label count selected input } }
    }
  }`;
const COUNT = `query Count($filter: ProductFilter) { products(filter: $filter, first: 100) { totalCount nodes { id } } }`;

interface FacetView {
  id: string;
  label: string;
  type: string;
  values: { id: string; label: string; count: number; selected: boolean; input: string }[];
}
type Filter = Record<string, unknown> & { options?: { name: string; value: string }[] };

/** A facet list as `{ facetId: { valueLabel: count } }` and the selected value ids, for compact expectations. */
function counts(facets: FacetView[]): Record<string, Record<string, number>> {
  return Object.fromEntries(facets.map((facet) => [facet.id, Object.fromEntries(facet.values.map((value) => [value.label, value.count]))]));
}
const selectedIds = (facets: FacetView[]) => facets.flatMap((facet) => facet.values.filter((value) => value.selected).map((value) => value.id));

/** `filter` with `facet`'s own field replaced by what `input` selects: the list a value's count promises. */
function withValue(filter: Filter, facet: FacetView, input: string): Filter {
  const chosen = JSON.parse(input) as Filter;
  if (facet.id.startsWith('option.')) {
    const name = facet.id.slice('option.'.length);
    return { ...filter, options: [...(filter.options ?? []).filter((option) => option.name !== name), ...chosen.options!] };
  }
  return { ...filter, ...chosen };
}

const uuidOf = (p: FixtureProduct) => id(p.n);

async function insertFixture(catalog: TestSubgraph): Promise<void> {
  const connection = catalog.orm.em.getConnection();
  await connection.execute(`insert into category (id, name, slug, parent_id, created_at) values
    ('${C1}', 'Clothing', 'clothing', null, now()), ('${C2}', 'Tops', 'tops', '${C1}', now()), ('${C3}', 'Other', 'other', null, now())`);
  for (const p of PRODUCTS) {
    const pid = uuidOf(p);
    await connection.execute(
      `insert into product (id, sku, slug, name, description, price_amount, currency, category_id, created_at, updated_at) values (?, ?, ?, ?, ?, ?, 'USD', ?, now() - make_interval(hours => ?), now())`,
      [pid, `FX-${p.n}`, `fx-${p.n}`, p.name, `${p.name} for the facet tests`, p.price, p.category, p.n],
    );
    for (const [position, [name, values]] of p.options.entries()) {
      await connection.execute(`insert into product_option (id, product_id, position, name, "values") values (gen_random_uuid(), ?, ?, ?, ?::text[])`, [
        pid,
        position,
        name,
        `{${values.join(',')}}`,
      ]);
    }
    for (const [position, variant] of p.variants.entries()) {
      // The default variant has the product's id.
      const vid = position === 0 ? pid : `00000000-0000-4000-8000-0000000${p.n}${String(position).padStart(4, '0')}`;
      await connection.execute(
        `insert into product_variant (id, product_id, position, sku, title, price_amount, currency, weight_grams, created_at, updated_at) values (?, ?, ?, ?, ?, ?, 'USD', 500, now(), now())`,
        [vid, pid, position, `FX-${p.n}-${position}`, Object.values(variant).join(' / ') || 'Default', p.price],
      );
      for (const [name, value] of Object.entries(variant)) {
        await connection.execute(`insert into product_variant_option (variant_id, product_id, name, value) values (?, ?, ?, ?)`, [vid, pid, name, value]);
      }
    }
    if (p.available !== null) {
      await connection.execute(`insert into product_availability (product_id, available_quantity, changed_at) values (?, ?, '2026-11-01T00:00:00Z')`, [pid, p.available]);
    }
  }
}

describe('faceted product search', () => {
  let catalog: TestSubgraph;

  beforeAll(async () => {
    catalog = await startTestSubgraph(catalogSubgraph);
    await insertFixture(catalog);
  });
  afterAll(() => catalog?.stop());

  const facetsFor = async (filter: Filter | null) => {
    const result = await catalog.query<{ products: { totalCount: number; nodes: { id: string }[]; facets: FacetView[] } }>(FACETS, { filter, first: 100 });
    expect(result.errors).toBeUndefined();
    return result.data!.products;
  };
  const listed = async (filter: Filter) => {
    const result = await catalog.query<{ products: { totalCount: number; nodes: { id: string }[] } }>(COUNT, { filter });
    expect(result.errors).toBeUndefined();
    return result.data!.products;
  };
  const ids = (...ns: number[]) => ns.map(id).sort();
  const nodeIds = (page: { nodes: { id: string }[] }) => page.nodes.map((node) => node.id).sort();

  /** Every value's count is the totalCount of the filter with that value in place of the facet's own selection. */
  async function expectCountsToMatchLists(filter: Filter, facets: FacetView[]) {
    for (const facet of facets) {
      for (const value of facet.values) {
        const page = await listed(withValue(filter, facet, value.input));
        expect({ value: value.id, count: page.totalCount }).toEqual({ value: value.id, count: value.count });
      }
    }
  }

  it('counts every value over the whole catalog without a filter; options in display order, zero counts left out of option facets', async () => {
    const page = await facetsFor(null);
    expect(page.totalCount).toBe(6);
    expect(counts(page.facets)).toEqual({
      'option.Color': { Red: 3, Blue: 2, Green: 1 },
      'option.Size': { S: 2, M: 4, L: 2 },
      availability: { 'In stock': 4, 'Out of stock': 2 },
      price: { '$0.00 – $25.00': 2, '$25.00 – $50.00': 1, '$50.00 – $100.00': 1, '$100.00 – $200.00': 1, '$200.00 and above': 1 },
    });
    // Display order: Color from P1 (two values, lowest id), Green after it; Size from P1 (S, M, L).
    expect(page.facets.find((f) => f.id === 'option.Color')!.values.map((v) => v.label)).toEqual(['Red', 'Blue', 'Green']);
    expect(page.facets.map((f) => [f.id, f.label, f.type])).toEqual([
      ['option.Color', 'Color', 'LIST'],
      ['option.Size', 'Size', 'LIST'],
      ['availability', 'Availability', 'BOOLEAN'],
      ['price', 'Price', 'PRICE_RANGE'],
    ]);
    expect(selectedIds(page.facets)).toEqual([]);
    const size = page.facets.find((f) => f.id === 'option.Size')!;
    expect(size.values[1]).toEqual({ id: 'option.Size.M', label: 'M', count: 4, selected: false, input: '{"options":[{"name":"Size","value":"M"}]}' });
    expect(page.facets.find((f) => f.id === 'availability')!.values.map((v) => [v.id, v.input])).toEqual([
      ['availability.true', '{"available":true}'],
      ['availability.false', '{"available":false}'],
    ]);
    expect(page.facets.find((f) => f.id === 'price')!.values.map((v) => [v.id, v.input])).toEqual([
      ['price.0-2500', '{"priceRanges":[{"min":0,"max":2500}]}'],
      ['price.2500-5000', '{"priceRanges":[{"min":2500,"max":5000}]}'],
      ['price.5000-10000', '{"priceRanges":[{"min":5000,"max":10000}]}'],
      ['price.10000-20000', '{"priceRanges":[{"min":10000,"max":20000}]}'],
      ['price.20000-', '{"priceRanges":[{"min":20000}]}'],
    ]);
    await expectCountsToMatchLists({}, page.facets);
  });

  it('one option value: its own facet counts as if unfiltered, the others under it (within one variant)', async () => {
    const filter = { options: [{ name: 'Size', value: 'M' }] };
    const page = await facetsFor(filter);
    expect(page.totalCount).toBe(4);
    expect(nodeIds(page)).toEqual(ids(1, 2, 3, 4));
    expect(counts(page.facets)).toEqual({
      // P1 is Blue only in L, P6 has no size.
      'option.Color': { Red: 2, Blue: 1 },
      'option.Size': { S: 2, M: 4, L: 2 },
      availability: { 'In stock': 2, 'Out of stock': 2 },
      price: { '$0.00 – $25.00': 1, '$25.00 – $50.00': 1, '$50.00 – $100.00': 1, '$100.00 – $200.00': 1, '$200.00 and above': 0 },
    });
    expect(selectedIds(page.facets)).toEqual(['option.Size.M']);
    await expectCountsToMatchLists(filter, page.facets);
  });

  it('two option names, availability and two price ranges together', async () => {
    const filter = {
      options: [
        { name: 'Size', value: 'S' },
        { name: 'Size', value: 'L' },
        { name: 'Color', value: 'Blue' },
      ],
      available: true,
      priceRanges: [
        { min: 0, max: 2500 },
        { min: 5000, max: 10000 },
      ],
    };
    const page = await facetsFor(filter);
    expect(page.totalCount).toBe(1);
    expect(nodeIds(page)).toEqual(ids(1));
    expect(counts(page.facets)).toEqual({
      // P1's (S,Red) and (L,Blue): P3 (in stock, in range) has sizes but no Color variant.
      'option.Color': { Red: 1, Blue: 1 },
      'option.Size': { L: 1 },
      availability: { 'In stock': 1, 'Out of stock': 0 },
      price: { '$0.00 – $25.00': 1, '$25.00 – $50.00': 0, '$50.00 – $100.00': 0, '$100.00 – $200.00': 0, '$200.00 and above': 0 },
    });
    expect(selectedIds(page.facets).sort()).toEqual(['availability.true', 'option.Color.Blue', 'option.Size.L', 'price.0-2500', 'price.5000-10000']);
    await expectCountsToMatchLists(filter, page.facets);
  });

  it('base filters (category subtree, search, min/max price) narrow every facet', async () => {
    const inClothing = { categoryId: C1, options: [{ name: 'Color', value: 'Red' }] };
    const clothing = await facetsFor(inClothing);
    expect(clothing.totalCount).toBe(2);
    expect(nodeIds(clothing)).toEqual(ids(1, 6));
    expect(counts(clothing.facets)).toEqual({
      'option.Color': { Red: 2, Blue: 2, Green: 1 },
      'option.Size': { S: 1, M: 1 },
      availability: { 'In stock': 2, 'Out of stock': 0 },
      price: { '$0.00 – $25.00': 1, '$25.00 – $50.00': 0, '$50.00 – $100.00': 0, '$100.00 – $200.00': 0, '$200.00 and above': 1 },
    });
    await expectCountsToMatchLists(inClothing, clothing.facets);

    const soldOutTees = { search: 'tee', available: false };
    const tees = await facetsFor(soldOutTees);
    expect(nodeIds(tees)).toEqual(ids(2));
    expect(counts(tees.facets)).toEqual({
      'option.Color': { Blue: 1 },
      'option.Size': { M: 1, L: 1 },
      availability: { 'In stock': 1, 'Out of stock': 1 },
      price: { '$0.00 – $25.00': 0, '$25.00 – $50.00': 1, '$50.00 – $100.00': 0, '$100.00 – $200.00': 0, '$200.00 and above': 0 },
    });
    await expectCountsToMatchLists(soldOutTees, tees.facets);

    const priced = { minPrice: 1000, maxPrice: 12000 };
    const page = await facetsFor(priced);
    expect(nodeIds(page)).toEqual(ids(1, 2, 3, 4));
    expect(counts(page.facets).availability).toEqual({ 'In stock': 2, 'Out of stock': 2 });
    await expectCountsToMatchLists(priced, page.facets);
  });

  it('an unknown category or a value nobody has: empty list, zero counts', async () => {
    const unknown = await facetsFor({ categoryId: 'c0000000-0000-4000-8000-0000000000ff' });
    expect(unknown.totalCount).toBe(0);
    expect(counts(unknown.facets)).toEqual({
      availability: { 'In stock': 0, 'Out of stock': 0 },
      price: { '$0.00 – $25.00': 0, '$25.00 – $50.00': 0, '$50.00 – $100.00': 0, '$100.00 – $200.00': 0, '$200.00 and above': 0 },
    });
    const purple = await facetsFor({ options: [{ name: 'Color', value: 'Purple' }] });
    expect(purple.totalCount).toBe(0);
    // Color's own counts ignore the Color filter; nothing else matches.
    expect(counts(purple.facets)['option.Color']).toEqual({ Red: 3, Blue: 2, Green: 1 });
    expect(counts(purple.facets)['option.Size']).toBeUndefined();
  });

  it('keeps keyset pagination and sorting under the new filters', async () => {
    const filter = { options: [{ name: 'Size', value: 'M' }] };
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const result: GraphQLResult<{ products: { totalCount: number; nodes: { id: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } }> = await catalog.query(
        `query($filter: ProductFilter, $after: String) { products(filter: $filter, sort: PRICE_DESC, first: 1, after: $after) { totalCount nodes { id } pageInfo { hasNextPage endCursor } } }`,
        { filter, after },
      );
      expect(result.errors).toBeUndefined();
      seen.push(...result.data!.products.nodes.map((node) => node.id));
      if (!result.data!.products.pageInfo.hasNextPage) break;
      after = result.data!.products.pageInfo.endCursor;
    }
    expect(seen).toEqual([id(4), id(3), id(2), id(1)]);
  });

  it('refuses out-of-bounds filters with BAD_USER_INPUT naming the argument', async () => {
    const refusal = async (filter: Filter) => {
      const result = await catalog.query(FACETS, { filter });
      expect(result.data?.products ?? null).toBeNull();
      return result.errors!.map((error) => [error.extensions?.code, error.extensions?.argumentName]);
    };
    const options = Array.from({ length: 21 }, (_, i) => ({ name: 'Size', value: `V${i}` }));
    expect(await refusal({ options })).toEqual([['BAD_USER_INPUT', 'filter.options']]);
    const twenty = await catalog.query(FACETS, { filter: { options: options.slice(0, 20) } });
    expect(twenty.errors).toBeUndefined();
    const ranges = Array.from({ length: 11 }, (_, i) => ({ min: i * 100, max: i * 100 + 50 }));
    expect(await refusal({ priceRanges: ranges })).toEqual([['BAD_USER_INPUT', 'filter.priceRanges']]);
    expect(await refusal({ priceRanges: [{ min: 10, max: 20 }, { min: 500, max: 100 }] })).toEqual([['BAD_USER_INPUT', 'filter.priceRanges.1']]);
    expect(await refusal({ priceRanges: [{ min: -1 }] })).toEqual([['BAD_USER_INPUT', 'filter.priceRanges.0.min']]);
    expect(await refusal({ priceRanges: [{ max: -5 }] })).toEqual([['BAD_USER_INPUT', 'filter.priceRanges.0.max']]);
  });

  it('runs a fixed number of statements: rows and count, plus one for all facets only when selected', async () => {
    const counter = countStatements(catalog.orm);
    try {
      const statementsFor = async (query: string, filter: Filter | null) => {
        counter.reset();
        const result = await catalog.query(query, { filter, first: 10 });
        expect(result.errors).toBeUndefined();
        return counter.count;
      };
      const filters: Filter[] = [
        {},
        { options: [{ name: 'Size', value: 'M' }] },
        { options: [{ name: 'Size', value: 'M' }, { name: 'Color', value: 'Red' }], available: true, priceRanges: [{ min: 0, max: 5000 }, { min: 10000 }] },
      ];
      const withFacets = [];
      for (const filter of filters) withFacets.push(await statementsFor(FACETS, filter));
      expect(withFacets).toEqual([3, 3, 3]);
      const plain = [];
      for (const filter of filters) plain.push(await statementsFor(COUNT, filter));
      expect(plain).toEqual([2, 2, 2]);
      // Selected twice (aliases): still one facet statement.
      counter.reset();
      await catalog.query(`{ products(first: 5) { a: facets { id } b: facets { id values { count } } } }`);
      expect(counter.count).toBe(3);
    } finally {
      counter.detach();
    }
  });
});

describe('availability projection', () => {
  let catalog: TestSubgraph;
  const logger = createLogger('catalog', process.env.LOG_LEVEL ?? 'silent');
  const availabilityOf = async (n: number) =>
    (await catalog.orm.em.getConnection().execute<{ available_quantity: number; changed_at: string }[]>(`select available_quantity, changed_at from product_availability where product_id = ?`, [id(n)]))[0];

  /** A stand-in for catalog's inventory client: answers `_entities(Product)` from a table of figures. */
  function fakeInventory(figures: Map<string, number>, calls: string[][] = []) {
    return {
      calls,
      client: {
        entities: async (typename: string, selection: string, ids: readonly string[]) => {
          expect([typename, selection]).toEqual(['Product', 'availableQuantity']);
          calls.push([...ids]);
          return ids.map((productId) => ({ availableQuantity: figures.get(productId) ?? 0 }));
        },
      } as unknown as SubgraphClient,
    };
  }

  beforeAll(async () => {
    catalog = await startTestSubgraph(catalogSubgraph);
    await insertFixture(catalog);
  });
  afterAll(() => catalog?.stop());

  it('keeps the newest figure whatever the order figures arrive in', async () => {
    const em = catalog.orm.em.fork();
    expect(await recordAvailability(em, [{ productId: id(4), availableQuantity: 7, changedAt: '2026-11-30T10:00:00.000Z' }])).toBe(1);
    const row = await availabilityOf(4);
    expect([row.available_quantity, new Date(row.changed_at).toISOString()]).toEqual([7, '2026-11-30T10:00:00.000Z']);
    // Older: ignored. Same time: ignored (not newer).
    expect(await recordAvailability(em, [{ productId: id(4), availableQuantity: 0, changedAt: '2026-11-30T09:59:59.999Z' }])).toBe(0);
    expect(await recordAvailability(em, [{ productId: id(4), availableQuantity: 1, changedAt: '2026-11-30T10:00:00.000Z' }])).toBe(0);
    expect((await availabilityOf(4)).available_quantity).toBe(7);
    // Newer wins; in one batch, the newest of a product's figures.
    expect(
      await recordAvailability(em, [
        { productId: id(4), availableQuantity: 3, changedAt: '2026-11-30T10:00:02.000Z' },
        { productId: id(4), availableQuantity: 2, changedAt: '2026-11-30T10:00:01.000Z' },
      ]),
    ).toBe(1);
    expect((await availabilityOf(4)).available_quantity).toBe(3);
    // A product catalog does not have is not recorded.
    expect(await recordAvailability(em, [{ productId: '00000000-0000-4000-8000-0000000000aa', availableQuantity: 3, changedAt: new Date() }])).toBe(0);
  });

  it('follows stock.changed events, resyncs every product in batches at start and after a reconnect, and the filter reads it', async () => {
    const inner = createEventBus();
    let reconnect: () => void = () => undefined;
    const events: EventBus = { ...inner, onReconnect: (listener) => void (reconnect = listener) };
    const figures = new Map<string, number>(PRODUCTS.map((p) => [uuidOf(p), 4]));
    const inventory = fakeInventory(figures);
    const projection = startAvailabilityProjection({ orm: catalog.orm, logger, inventory: inventory.client, events, retryMs: 60_000 });
    try {
      // The start-up resync (it runs in the background: wait for it).
      for (let i = 0; i < 50 && !projection.synchronised(); i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(projection.synchronised()).toBe(true);
      expect(inventory.calls).toEqual([PRODUCTS.map(uuidOf).sort()]);
      for (const p of PRODUCTS) expect((await availabilityOf(p.n)).available_quantity).toBe(4);

      // An event newer than the resync replaces its figure; an older one is ignored.
      await events.publish(Topics.STOCK_CHANGED, { productId: id(1), availableQuantity: 0, inStock: false, changedAt: new Date(Date.now() + 1000).toISOString() });
      await events.publish(Topics.STOCK_CHANGED, { productId: id(2), availableQuantity: 9, inStock: true, changedAt: '2026-01-02T00:00:00.000Z' });
      await projection.settled();
      expect((await availabilityOf(1)).available_quantity).toBe(0);
      expect((await availabilityOf(2)).available_quantity).toBe(4);
      const soldOut = await catalog.query<{ products: { nodes: { id: string }[] } }>(`{ products(filter: { available: false }, first: 10) { nodes { id } } }`);
      expect(soldOut.data!.products.nodes.map((node) => node.id)).toEqual([id(1)]);

      // After a reconnect the whole projection is read again (events may have been lost meanwhile).
      figures.set(id(3), 0);
      inventory.calls.length = 0;
      reconnect();
      for (let i = 0; i < 50 && inventory.calls.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
      await projection.resync();
      expect((await availabilityOf(3)).available_quantity).toBe(0);
      // The event from the future still wins over the resync.
      expect((await availabilityOf(1)).available_quantity).toBe(0);
    } finally {
      await projection.stop();
      await inner.close();
    }
  });

  it('resyncs in batches of at most the batch size, and retries in the background while inventory cannot answer', async () => {
    const figures = new Map<string, number>(PRODUCTS.map((p) => [uuidOf(p), p.n]));
    const { client, calls } = fakeInventory(figures);
    const result = await resyncAvailability(catalog.orm.em.fork(), client, 4);
    expect(result).toMatchObject({ products: 6, batches: 2 });
    expect(calls.map((batch) => batch.length)).toEqual([4, 2]);

    let up = false;
    const flaky = {
      entities: async (_typename: string, _selection: string, ids: readonly string[]) => {
        if (!up) throw new Error('inventory is not up yet');
        return ids.map(() => ({ availableQuantity: 11 }));
      },
    } as unknown as SubgraphClient;
    const projection = startAvailabilityProjection({ orm: catalog.orm, logger, inventory: flaky, retryMs: 30 });
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(projection.synchronised()).toBe(false);
      up = true;
      for (let i = 0; i < 100 && !projection.synchronised(); i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(projection.synchronised()).toBe(true);
      expect((await availabilityOf(5)).available_quantity).toBe(11);
    } finally {
      await projection.stop();
    }
  });
});
