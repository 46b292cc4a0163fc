import { randomUUID } from 'node:crypto';
import { demoCatalog, DEMO_WAREHOUSES } from '../../lib/demo-data';
import { demoAdmin, demoCustomer, startTestSupergraph, type TestSupergraph } from '../../test/supergraph-harness';

const demo = demoCatalog();
const category = demo.categories.find((c) => c.name === 'Coffee')!;
const otherCategory = demo.categories.find((c) => c.name === 'Camping')!;

const PRODUCT = 'id sku slug name description price { amount currency formatted } category { id name } imageUrl inStock availableQuantity';
const CREATE = `mutation Create($input: CreateProductInput!) { createProduct(input: $input) { ${PRODUCT} } }`;
const UPDATE = `mutation Update($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { ${PRODUCT} } }`;
const BY_ID = `query Product($id: ID) { product(id: $id) { ${PRODUCT} } }`;
const SEARCH = `query Search($search: String!) { products(filter: { search: $search }, sort: RELEVANCE, first: 5) { totalCount nodes { id name inStock } } }`;
const ADJUST = `mutation Adjust($productId: ID!, $warehouseId: ID!, $delta: Int!) { adjustStock(productId: $productId, warehouseId: $warehouseId, delta: $delta) { onHand available } }`;

type Product = {
  id: string;
  sku: string;
  slug: string;
  name: string;
  price: { amount: number; currency: string; formatted: string };
  category: { id: string; name: string };
  imageUrl: string | null;
  inStock: boolean;
  availableQuantity: number;
};

const codes = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => result.errors?.map((e) => e.extensions?.code);

describe('managing the catalog through the gateway', () => {
  let supergraph: TestSupergraph;
  const input = (overrides: Record<string, unknown> = {}) => ({
    sku: `E2E-${randomUUID().slice(0, 8)}`,
    name: 'Copper Moka Pot',
    description: 'A stovetop espresso maker in hammered copper.',
    priceAmount: 5450,
    categoryId: category.id,
    imageUrl: 'https://images.example.com/moka.jpg',
    ...overrides,
  });

  beforeAll(async () => {
    supergraph = await startTestSupergraph();
  }, 60_000);
  afterAll(() => supergraph?.stop());

  it('creates a product that is listed and searchable, out of stock until inventory stocks it', async () => {
    const created = await supergraph.query<{ createProduct: Product }>(CREATE, { input: input() }, demoAdmin);
    expect(created.errors).toBeUndefined();
    const product = created.data!.createProduct;
    expect(product).toMatchObject({
      slug: 'copper-moka-pot',
      name: 'Copper Moka Pot',
      price: { amount: 5450, currency: 'USD', formatted: '$54.50' },
      category: { id: category.id, name: 'Coffee' },
      inStock: false,
      availableQuantity: 0,
    });

    const newest = await supergraph.query<{ products: { totalCount: number; nodes: { id: string }[] } }>('{ products(first: 1) { totalCount nodes { id } } }');
    expect(newest.data!.products).toEqual({ totalCount: demo.products.length + 1, nodes: [{ id: product.id }] });
    const found = await supergraph.query<{ products: { nodes: { id: string; inStock: boolean }[] } }>(SEARCH, { search: 'hammered copper moka' });
    expect(found.data!.products.nodes[0]).toEqual({ id: product.id, name: 'Copper Moka Pot', inStock: false });
    const inCategory = await supergraph.query<{ categories: { id: string; products: { nodes: { id: string }[] } }[] }>('{ categories { id products(first: 1) { nodes { id } } } }');
    expect(inCategory.data!.categories.find((c) => c.id === category.id)!.products.nodes).toEqual([{ id: product.id }]);

    const stocked = await supergraph.query(ADJUST, { productId: product.id, warehouseId: DEMO_WAREHOUSES[1].id, delta: 12 }, demoAdmin);
    expect(stocked.errors).toBeUndefined();
    const after = await supergraph.query<{ product: Product }>(BY_ID, { id: product.id });
    expect(after.data!.product).toMatchObject({ id: product.id, inStock: true, availableQuantity: 12 });
  });

  it('is for ADMINs only', async () => {
    const customer = await supergraph.query(CREATE, { input: input() }, demoCustomer);
    expect(codes(customer)).toEqual(['FORBIDDEN']);
    const anonymous = await supergraph.query(CREATE, { input: input() });
    expect(codes(anonymous)).toEqual(['UNAUTHENTICATED']);
    const id = demo.products[0].id;
    expect(codes(await supergraph.query(UPDATE, { id, input: { priceAmount: 1 } }, demoCustomer))).toEqual(['FORBIDDEN']);
    expect(codes(await supergraph.query(UPDATE, { id, input: { priceAmount: 1 } }))).toEqual(['UNAUTHENTICATED']);
    const unchanged = await supergraph.query<{ product: Product }>(BY_ID, { id });
    expect(unchanged.data!.product.price.amount).toBe(demo.products[0].priceAmount);
  });

  it.each<[string, Record<string, unknown>, string | RegExp]>([
    ['a taken SKU', { sku: demo.products[0].sku.toLowerCase() }, /already used/],
    ['an empty SKU', { sku: ' ' }, 'sku must not be empty'],
    ['a negative price', { priceAmount: -100 }, /at least 0/],
    ['an unknown currency', { currency: 'ZZZ' }, /ISO 4217/],
    ['an unknown category', { categoryId: randomUUID() }, /not an existing category/],
    ['an empty name', { name: '   ' }, 'name must not be empty'],
    ['a name too long', { name: 'N'.repeat(201) }, /at most 200/],
    ['an empty description', { description: '' }, 'description must not be empty'],
    ['an image URL that is not http(s)', { imageUrl: 'file:///etc/passwd' }, /http or https/],
    ['an image URL that is not a URL', { imageUrl: 'moka.jpg' }, /not an absolute URL/],
  ])('refuses %s with BAD_USER_INPUT and a clear message', async (_case, overrides, message) => {
    const result = await supergraph.query(CREATE, { input: input(overrides) }, demoAdmin);
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0].message).toMatch(message);
    expect(result.data).toBeNull();
  });

  it('changes a product, keeping its slug, and refuses unknown ids', async () => {
    const product = (await supergraph.query<{ createProduct: Product }>(CREATE, { input: input({ name: 'Hand Grinder' }) }, demoAdmin)).data!.createProduct;
    const changed = await supergraph.query<{ updateProduct: Product }>(
      UPDATE,
      { id: product.id, input: { name: 'Ceramic Burr Hand Grinder', priceAmount: 7900, categoryId: otherCategory.id, imageUrl: null } },
      demoAdmin,
    );
    expect(changed.errors).toBeUndefined();
    expect(changed.data!.updateProduct).toMatchObject({
      id: product.id,
      slug: 'hand-grinder',
      name: 'Ceramic Burr Hand Grinder',
      price: { amount: 7900, formatted: '$79.00' },
      category: { id: otherCategory.id, name: 'Camping' },
      imageUrl: null,
    });
    const bySlug = await supergraph.query<{ product: { name: string } }>('query($s: String) { product(slug: $s) { name } }', { s: 'hand-grinder' });
    expect(bySlug.data!.product.name).toBe('Ceramic Burr Hand Grinder');

    expect(codes(await supergraph.query(UPDATE, { id: randomUUID(), input: { name: 'Ghost' } }, demoAdmin))).toEqual(['NOT_FOUND']);
    expect(codes(await supergraph.query(UPDATE, { id: product.id, input: { priceAmount: -1 } }, demoAdmin))).toEqual(['BAD_USER_INPUT']);
  });
});
