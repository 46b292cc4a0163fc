import { randomUUID } from 'node:crypto';
import { DEMO_USERS, demoCatalog } from '../../../lib/demo-data';
import { Role, type Viewer } from '../../../lib/identity';
import { startTestSubgraph, type GraphQLResult, type TestSubgraph } from '../../../test/subgraph-harness';
import { catalogSubgraph } from '../catalog.server';
import { Product } from './product.entity';

const ADMIN: Viewer = { id: DEMO_USERS.find((u) => u.role === 'ADMIN')!.id, role: Role.ADMIN };
const CUSTOMER: Viewer = { id: DEMO_USERS.find((u) => u.role === 'CUSTOMER')!.id, role: Role.CUSTOMER };

const FIELDS = 'id sku slug name description price { amount currency formatted } category { id name } imageUrl createdAt';
const CREATE = `mutation Create($input: CreateProductInput!) { createProduct(input: $input) { ${FIELDS} } }`;
const UPDATE = `mutation Update($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { ${FIELDS} } }`;
const SEARCH = `query Search($search: String!) { products(filter: { search: $search }, sort: RELEVANCE, first: 5) { totalCount edges { node { id name } } } }`;

type ProductView = {
  id: string;
  sku: string;
  slug: string;
  name: string;
  description: string;
  price: { amount: number; currency: string; formatted: string };
  category: { id: string; name: string };
  imageUrl: string | null;
  createdAt: string;
};

describe('creating and changing products', () => {
  let catalog: TestSubgraph;
  const demo = demoCatalog();
  const [shoes, jackets] = ['Running Shoes', 'Jackets'].map((name) => demo.categories.find((c) => c.name === name)!);
  let skuCounter = 0;
  const nextSku = () => `TEST-${++skuCounter}-${randomUUID().slice(0, 8)}`;
  const validInput = (overrides: Record<string, unknown> = {}) => ({
    sku: nextSku(),
    name: 'Summit Trail Boot',
    description: 'A waterproof boot for rocky trails.',
    priceAmount: 15900,
    categoryId: shoes.id,
    ...overrides,
  });

  beforeAll(async () => {
    catalog = await startTestSubgraph(catalogSubgraph, { seed: true });
  });
  afterAll(() => catalog?.stop());

  const create = (input: Record<string, unknown>, viewer: Viewer | null = ADMIN) => catalog.query<{ createProduct: ProductView }>(CREATE, { input }, viewer);
  const update = (id: string, input: Record<string, unknown>, viewer: Viewer | null = ADMIN) =>
    catalog.query<{ updateProduct: ProductView }>(UPDATE, { id, input }, viewer);
  const codes = (result: GraphQLResult) => result.errors?.map((e) => e.extensions?.code);

  it('creates a product with normalized fields, a slug from its name, and finds it by id, slug and search', async () => {
    const sku = `abc-${randomUUID().slice(0, 8)}`;
    const result = await create({
      sku: `  ${sku} `,
      name: '  Glacier Alpine Parka ',
      description: ' Warm down parka for glacier days. ',
      priceAmount: 24999,
      currency: 'eur',
      categoryId: jackets.id.toUpperCase(),
      imageUrl: 'https://images.example.com/glacier parka.jpg',
    });
    expect(result.errors).toBeUndefined();
    const product = result.data!.createProduct;
    expect(product).toEqual({
      id: expect.any(String),
      sku: sku.toUpperCase(),
      slug: 'glacier-alpine-parka',
      name: 'Glacier Alpine Parka',
      description: 'Warm down parka for glacier days.',
      price: { amount: 24999, currency: 'EUR', formatted: '€249.99' },
      category: { id: jackets.id, name: 'Jackets' },
      imageUrl: 'https://images.example.com/glacier%20parka.jpg',
      createdAt: expect.any(String),
    });
    expect(Date.now() - Date.parse(product.createdAt)).toBeLessThan(60_000);

    const byId = await catalog.query<{ product: ProductView }>(`query($id: ID) { product(id: $id) { ${FIELDS} } }`, { id: product.id });
    expect(byId.data!.product).toEqual(product);
    const bySlug = await catalog.query<{ product: { id: string } }>('query($slug: String) { product(slug: $slug) { id } }', { slug: 'glacier-alpine-parka' });
    expect(bySlug.data!.product.id).toBe(product.id);
    const found = await catalog.query<{ products: { totalCount: number; edges: { node: { id: string } }[] } }>(SEARCH, { search: 'glacier parka' });
    expect(found.data!.products.edges[0].node.id).toBe(product.id);
    const newest = await catalog.query<{ products: { edges: { node: { id: string } }[] } }>('{ products(first: 1) { edges { node { id } } } }');
    expect(newest.data!.products.edges[0].node.id).toBe(product.id);
    const inCategory = await catalog.query<{ products: { totalCount: number } }>('query($c: ID) { products(filter: { categoryId: $c }) { totalCount } }', { c: jackets.id });
    expect(inCategory.data!.products.totalCount).toBe(demo.products.filter((p) => p.categoryId === jackets.id).length + 1);
  });

  it('defaults the currency to USD and the image to none', async () => {
    const result = await create(validInput({ name: 'Plain Cap' }));
    expect(result.data!.createProduct).toMatchObject({ price: { amount: 15900, currency: 'USD', formatted: '$159.00' }, imageUrl: null, slug: 'plain-cap' });
  });

  it('numbers slugs of equally named products, also when created concurrently', async () => {
    const first = await create(validInput({ name: 'Camp Mug' }));
    const second = await create(validInput({ name: 'Camp  Mug!' }));
    const third = await create(validInput({ name: 'camp mug' }));
    expect([first, second, third].map((r) => r.data?.createProduct.slug)).toEqual(['camp-mug', 'camp-mug-2', 'camp-mug-3']);

    const concurrent = await Promise.all(Array.from({ length: 8 }, () => create(validInput({ name: 'Race Flask' }))));
    expect(concurrent.flatMap((r) => r.errors ?? [])).toEqual([]);
    const slugs = concurrent.map((r) => r.data!.createProduct.slug).sort();
    expect(new Set(slugs).size).toBe(8);
    expect(slugs).toEqual(expect.arrayContaining(['race-flask', 'race-flask-2']));

    // Names without a single Latin letter or digit still get a slug.
    const symbols = await create(validInput({ name: '☕☕' }));
    expect(symbols.data!.createProduct.slug).toMatch(/^product(-\d+)?$/);
  });

  it('refuses a taken SKU, whatever its case, also under a race', async () => {
    const sku = nextSku();
    expect((await create(validInput({ sku }))).errors).toBeUndefined();
    const again = await create(validInput({ sku: sku.toLowerCase(), name: 'Another' }));
    expect(codes(again)).toEqual(['BAD_USER_INPUT']);
    expect(again.errors![0].message).toContain('already used');
    expect(again.errors![0].extensions!.argumentName).toBe('input.sku');

    const raced = nextSku();
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => create(validInput({ sku: raced, name: `Raced ${i}` }))));
    expect(results.filter((r) => r.data?.createProduct)).toHaveLength(1);
    for (const loser of results.filter((r) => r.errors)) {
      expect(codes(loser)).toEqual(['BAD_USER_INPUT']);
      expect(loser.errors![0].message).toBe(`sku "${raced.toUpperCase()}" is already used by another product`);
    }
    expect(await catalog.orm.em.fork().count(Product, { sku: raced.toUpperCase() })).toBe(1);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['empty SKU', { sku: '   ' }, 'input.sku'],
    ['SKU with spaces', { sku: 'SHOE 1' }, 'input.sku'],
    ['SKU too long', { sku: 'S'.repeat(65) }, 'input.sku'],
    ['empty name', { name: ' ' }, 'input.name'],
    ['name too long', { name: 'n'.repeat(201) }, 'input.name'],
    ['empty description', { description: '' }, 'input.description'],
    ['description too long', { description: 'd'.repeat(10_001) }, 'input.description'],
    ['negative price', { priceAmount: -1 }, 'input.priceAmount'],
    ['unknown currency', { currency: 'XYZ' }, 'input.currency'],
    ['malformed currency', { currency: 'US' }, 'input.currency'],
    ['unknown category', { categoryId: randomUUID() }, 'input.categoryId'],
    ['malformed category id', { categoryId: 'shoes' }, 'input.categoryId'],
    ['relative image URL', { imageUrl: '/img/boot.jpg' }, 'input.imageUrl'],
    ['non-http image URL', { imageUrl: 'javascript:alert(1)' }, 'input.imageUrl'],
    ['ftp image URL', { imageUrl: 'ftp://images.example.com/boot.jpg' }, 'input.imageUrl'],
  ])('refuses %s with BAD_USER_INPUT and writes nothing', async (_name, overrides, argumentName) => {
    const before = await catalog.orm.em.fork().count(Product);
    const result = await create(validInput(overrides));
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0].extensions!.argumentName).toBe(argumentName);
    expect(result.errors![0].message).not.toMatch(/violates|constraint|sql/i);
    expect(result.data).toBeNull();
    expect(await catalog.orm.em.fork().count(Product)).toBe(before);
  });

  it('refuses a price that is not an Int before it reaches the resolver', async () => {
    const result = await create(validInput({ priceAmount: 12.5 }));
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
  });

  it('updates the given fields, keeps the slug on rename, and search follows the new name', async () => {
    const created = (await create(validInput({ name: 'Basalt Runner', imageUrl: 'https://images.example.com/basalt.jpg' }))).data!.createProduct;
    const renamed = await update(created.id, { name: 'Obsidian Racer', priceAmount: 9900, categoryId: jackets.id });
    expect(renamed.errors).toBeUndefined();
    expect(renamed.data!.updateProduct).toEqual({
      ...created,
      name: 'Obsidian Racer',
      slug: 'basalt-runner',
      price: { amount: 9900, currency: 'USD', formatted: '$99.00' },
      category: { id: jackets.id, name: 'Jackets' },
    });
    const search = async (words: string) =>
      (await catalog.query<{ products: { edges: { node: { id: string } }[] } }>(SEARCH, { search: words })).data!.products.edges.map((e) => e.node.id);
    expect(await search('obsidian racer')).toContain(created.id);
    expect(await search('basalt')).not.toContain(created.id);

    // null and omitted leave fields alone; imageUrl null removes the image.
    const cleared = await update(created.id, { name: null, description: null, priceAmount: null, categoryId: null, imageUrl: null });
    expect(cleared.data!.updateProduct).toMatchObject({ name: 'Obsidian Racer', description: created.description, price: { amount: 9900 }, imageUrl: null });
    const nothing = await update(created.id, {});
    expect(nothing.data!.updateProduct).toMatchObject({ name: 'Obsidian Racer', imageUrl: null });
    const described = await update(created.id, { description: '  Now with more grip. ', imageUrl: 'http://images.example.com/o.jpg' });
    expect(described.data!.updateProduct).toMatchObject({ description: 'Now with more grip.', imageUrl: 'http://images.example.com/o.jpg' });
  });

  it('answers an unknown product with NOT_FOUND and bad changes with BAD_USER_INPUT', async () => {
    expect(codes(await update(randomUUID(), { name: 'Ghost' }))).toEqual(['NOT_FOUND']);
    expect(codes(await update('not-a-product', { name: 'Ghost' }))).toEqual(['NOT_FOUND']);

    const created = (await create(validInput({ name: 'Steady Sandal' }))).data!.createProduct;
    const cases: [Record<string, unknown>, string][] = [
      [{ name: '  ' }, 'input.name'],
      [{ description: '' }, 'input.description'],
      [{ priceAmount: -5 }, 'input.priceAmount'],
      [{ categoryId: randomUUID() }, 'input.categoryId'],
      [{ imageUrl: 'not a url' }, 'input.imageUrl'],
      // One bad field spoils the whole change.
      [{ name: 'Fine Name', priceAmount: -1 }, 'input.priceAmount'],
    ];
    for (const [input, argumentName] of cases) {
      const result = await update(created.id, input);
      expect({ input, codes: codes(result), argumentName: result.errors?.[0].extensions?.argumentName }).toEqual({ input, codes: ['BAD_USER_INPUT'], argumentName });
    }
    const unchanged = await catalog.orm.em.fork().findOneOrFail(Product, { id: created.id });
    expect({ name: unchanged.name, priceAmount: unchanged.priceAmount }).toEqual({ name: 'Steady Sandal', priceAmount: 15900 });
  });

  it('lets only ADMINs create and change products', async () => {
    const input = validInput();
    expect(codes(await create(input, CUSTOMER))).toEqual(['FORBIDDEN']);
    expect(codes(await create(input, null))).toEqual(['UNAUTHENTICATED']);
    const id = demo.products[0].id;
    expect(codes(await update(id, { name: 'Hijacked' }, CUSTOMER))).toEqual(['FORBIDDEN']);
    expect(codes(await update(id, { name: 'Hijacked' }, null))).toEqual(['UNAUTHENTICATED']);
    expect(await catalog.orm.em.fork().count(Product, { sku: String(input.sku).toUpperCase() })).toBe(0);
    expect((await catalog.orm.em.fork().findOneOrFail(Product, { id })).name).toBe(demo.products[0].name);
  });

  it('keeps negative prices out at the database level too', async () => {
    const connection = catalog.orm.em.fork().getConnection();
    await expect(connection.execute('update product set price_amount = -1 where id = ?', [demo.products[0].id])).rejects.toMatchObject({ code: '23514' });
  });
});
