import { randomUUID } from 'node:crypto';
import { DEMO_USERS, demoCatalog } from '../../../lib/demo-data';
import { Role, type Viewer } from '../../../lib/identity';
import { createLogger } from '../../../lib/logger';
import { OutboxEvent } from '../../../lib/outbox';
import { countStatements } from '../../../test/sql-counter';
import { startTestSubgraph, type GraphQLResult, type TestSubgraph } from '../../../test/subgraph-harness';
import { catalogSubgraph } from '../catalog.server';
import { Product } from '../product/product.entity';
import { ProductVariant } from './product-variant.entity';

const ADMIN: Viewer = { id: DEMO_USERS.find((u) => u.role === 'ADMIN')!.id, role: Role.ADMIN };
const CUSTOMER: Viewer = { id: DEMO_USERS.find((u) => u.role === 'CUSTOMER')!.id, role: Role.CUSTOMER };

const VARIANT = 'id sku title price { amount currency } selectedOptions { name value } weightGrams isDefault product { id }';
const PRODUCT = `query Product($id: ID) {
  product(id: $id) {
    id sku price { amount }
    options { id name values }
    variants { ${VARIANT} }
    defaultVariant { id }
    priceRange { minVariantPrice { amount currency } maxVariantPrice { amount currency } }
  }
}`;
const BY_OPTIONS = `query ByOptions($id: ID, $selected: [SelectedOptionInput!]!) {
  product(id: $id) { variantBySelectedOptions(selectedOptions: $selected) { id sku title selectedOptions { name value } } }
}`;
const CREATE = `mutation Create($input: CreateProductInput!) { createProduct(input: $input) { id sku options { name values } variants { ${VARIANT} } } }`;
const UPDATE_VARIANT = `mutation UpdateVariant($id: ID!, $input: UpdateProductVariantInput!) { updateProductVariant(id: $id, input: $input) { ${VARIANT} product { price { amount } } } }`;
const UPDATE_PRODUCT = `mutation Update($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id price { amount } defaultVariant { price { amount } } } }`;

interface VariantView {
  id: string;
  sku: string;
  title: string;
  price: { amount: number; currency: string };
  selectedOptions: { name: string; value: string }[];
  weightGrams: number;
  isDefault: boolean;
  product: { id: string };
}

interface ProductView {
  id: string;
  sku: string;
  price: { amount: number };
  options: { id: string; name: string; values: string[] }[];
  variants: VariantView[];
  defaultVariant: { id: string };
  priceRange: { minVariantPrice: { amount: number; currency: string }; maxVariantPrice: { amount: number; currency: string } };
}

const codes = (result: GraphQLResult) => result.errors?.map((e) => e.extensions?.code);

describe('product options and variants', () => {
  let catalog: TestSubgraph;
  const demo = demoCatalog();
  const jacket = demo.products.find((p) => p.options.some((o) => o.name === 'Color') && p.options.length === 2 && p.options[0].values.includes('XL'))!;
  const plain = demo.products.find((p) => p.options.length === 0)!;
  const shoes = demo.categories.find((c) => c.name === 'Running Shoes')!;
  const sql = <T>(text: string, params: unknown[] = []) => catalog.orm.em.getConnection().execute<T[]>(text, params as never[]);
  const product = async (id: string) => {
    const result = await catalog.query<{ product: ProductView }>(PRODUCT, { id });
    expect(result.errors).toBeUndefined();
    return result.data!.product;
  };
  const create = (input: Record<string, unknown>, viewer: Viewer = ADMIN) => catalog.query<{ createProduct: ProductView }>(CREATE, { input }, viewer);
  const validInput = (overrides: Record<string, unknown> = {}) => ({
    sku: `VAR-${randomUUID().slice(0, 8).toUpperCase()}`,
    name: 'Trail Sock',
    description: 'A wool sock.',
    priceAmount: 1500,
    categoryId: shoes.id,
    ...overrides,
  });

  beforeAll(async () => {
    catalog = await startTestSubgraph(catalogSubgraph, { seed: true });
  }, 60_000);
  afterAll(() => catalog?.stop());

  describe('the migration and the seed', () => {
    it('give every product that existed before variants a default variant with its id, and the seed then adds the demo variants', async () => {
      // Back to the schema before variants, with the demo products in it.
      await catalog.orm.getMigrator().down({ to: 'Migration20261130121716_outbox' });
      const [{ exists }] = await sql<{ exists: boolean }>(`select to_regclass('product_variant') is not null as exists`);
      expect(exists).toBe(false);
      const before = await sql<{ id: string; sku: string; price_amount: number; currency: string }>('select id, sku, price_amount, currency from product order by id');
      expect(before).toHaveLength(demo.products.length);

      await catalog.orm.getMigrator().up();
      const variants = await sql<{ id: string; product_id: string; position: number; sku: string; title: string; price_amount: number; currency: string; weight_grams: number }>(
        'select id, product_id, position, sku, title, price_amount, currency, weight_grams from product_variant order by id',
      );
      expect(variants).toEqual(
        before.map((p) => ({ id: p.id, product_id: p.id, position: 0, sku: p.sku, title: 'Default', price_amount: p.price_amount, currency: p.currency, weight_grams: 500 })),
      );

      // Seeding again gives the existing products their demo variants, and the default ones their demo SKU, title and weight.
      await catalogSubgraph.seed!(catalog.orm.em.fork(), createLogger('catalog', 'silent'));
      const seeded = await sql<{ id: string; sku: string; title: string; price_amount: number; weight_grams: number }>(
        'select id, sku, title, price_amount, weight_grams from product_variant order by product_id, position',
      );
      const expected = demo.variants.map((v) => ({ id: v.id, sku: v.sku, title: v.title, price_amount: v.priceAmount, weight_grams: v.weightGrams }));
      expect(new Set(seeded.map((row) => JSON.stringify(row)))).toEqual(new Set(expected.map((row) => JSON.stringify(row))));

      // Idempotent: a second run adds nothing.
      const counts = async () => (await sql<{ n: string }>('select (select count(*) from product_variant) + (select count(*) from product_option) + (select count(*) from product_variant_option) as n'))[0].n;
      const once = await counts();
      await catalogSubgraph.seed!(catalog.orm.em.fork(), createLogger('catalog', 'silent'));
      expect(await counts()).toBe(once);
    }, 60_000);

    it('gives at least a quarter of the demo products 2 or 3 options', async () => {
      const rows = await sql<{ product_id: string; options: string }>('select product_id, count(*) as options from product_option group by product_id');
      expect(rows.every((row) => Number(row.options) >= 2 && Number(row.options) <= 3)).toBe(true);
      expect(rows.length).toBeGreaterThanOrEqual(demo.products.length / 4);
      const [{ n }] = await sql<{ n: string }>('select count(*) as n from product p where not exists (select 1 from product_variant v where v.id = p.id and v.position = 0)');
      expect(Number(n)).toBe(0);
    });
  });

  describe('reading', () => {
    it('lists options and variants, default first, with the price range', async () => {
      const view = await product(jacket.id);
      const demoVariants = demo.variants.filter((v) => v.productId === jacket.id);
      expect(view.options.map(({ name, values }) => ({ name, values }))).toEqual(jacket.options);
      expect(view.variants).toEqual(
        demoVariants.map((v) => ({
          id: v.id,
          sku: v.sku,
          title: v.title,
          price: { amount: v.priceAmount, currency: v.currency },
          selectedOptions: v.selectedOptions,
          weightGrams: v.weightGrams,
          isDefault: v.position === 0,
          product: { id: jacket.id },
        })),
      );
      expect(view.variants[0]).toMatchObject({ id: jacket.id, isDefault: true, title: 'S / Black', sku: `${jacket.sku}-S-BLACK` });
      expect(view.defaultVariant.id).toBe(jacket.id);
      const prices = demoVariants.map((v) => v.priceAmount);
      expect(Math.max(...prices)).toBeGreaterThan(Math.min(...prices));
      expect(view.priceRange).toEqual({
        minVariantPrice: { amount: Math.min(...prices), currency: jacket.currency },
        maxVariantPrice: { amount: Math.max(...prices), currency: jacket.currency },
      });
      expect(view.price.amount).toBe(view.variants[0].price.amount);
    });

    it('keeps the first n variants with variants(first:), all of them without it, and refuses n outside 0..100', async () => {
      const FIRST = 'query First($id: ID, $first: Int) { product(id: $id) { variants(first: $first) { id } } }';
      const ids = demo.variants.filter((v) => v.productId === jacket.id).map((v) => v.id);
      const first = (n: number | null) => catalog.query<{ product: { variants: { id: string }[] } }>(FIRST, { id: jacket.id, first: n });
      expect((await first(3)).data!.product.variants.map((v) => v.id)).toEqual(ids.slice(0, 3));
      expect((await first(0)).data!.product.variants).toEqual([]);
      expect((await first(100)).data!.product.variants.map((v) => v.id)).toEqual(ids);
      expect((await first(null)).data!.product.variants.map((v) => v.id)).toEqual(ids);
      for (const n of [-1, 101]) {
        const refused = await first(n);
        expect(codes(refused)).toEqual(['BAD_USER_INPUT']);
        expect(refused.errors![0].extensions).toMatchObject({ argumentName: 'first', max: 100 });
      }
    });

    it('gives a product without options one default variant with its id and SKU', async () => {
      const view = await product(plain.id);
      expect(view.options).toEqual([]);
      expect(view.variants).toEqual([
        expect.objectContaining({ id: plain.id, sku: plain.sku, title: 'Default', selectedOptions: [], isDefault: true, price: { amount: plain.priceAmount, currency: plain.currency } }),
      ]);
      expect(view.priceRange.minVariantPrice.amount).toBe(plain.priceAmount);
      expect(view.priceRange.maxVariantPrice.amount).toBe(plain.priceAmount);
      const none = await catalog.query<{ product: { variantBySelectedOptions: { id: string } | null } }>(BY_OPTIONS, { id: plain.id, selected: [] });
      expect(none.data!.product.variantBySelectedOptions?.id).toBe(plain.id);
    });

    it.each<[string, { name: string; value: string }[], string | null]>([
      ['every option, in any order', [{ name: 'Color', value: 'Olive' }, { name: 'Size', value: 'M' }], 'M / Olive'],
      ['the default values', [{ name: 'Size', value: 'S' }, { name: 'Color', value: 'Black' }], 'S / Black'],
      ['a value no variant has', [{ name: 'Size', value: 'XXL' }, { name: 'Color', value: 'Black' }], null],
      ['a value in another case', [{ name: 'Size', value: 'm' }, { name: 'Color', value: 'Black' }], null],
      ['an unknown option name', [{ name: 'Size', value: 'M' }, { name: 'Colour', value: 'Black' }], null],
      ['only some of the options', [{ name: 'Size', value: 'M' }], null],
      ['an option twice', [{ name: 'Size', value: 'M' }, { name: 'Size', value: 'M' }], null],
      ['more names than options', [{ name: 'Size', value: 'M' }, { name: 'Color', value: 'Black' }, { name: 'Fit', value: 'Slim' }], null],
    ])('finds a variant by selected options: %s', async (_name, selected, title) => {
      const result = await catalog.query<{ product: { variantBySelectedOptions: { id: string; title: string; selectedOptions: unknown[] } | null } }>(BY_OPTIONS, {
        id: jacket.id,
        selected,
      });
      expect(result.errors).toBeUndefined();
      const found = result.data!.product.variantBySelectedOptions;
      expect(found?.title ?? null).toBe(title);
      if (title) expect(found!.id).toBe(demo.variants.find((v) => v.productId === jacket.id && v.title === title)!.id);
    });

    it('resolves ProductVariant references, and null for unknown ids', async () => {
      const ids = demo.variants.filter((v) => v.productId === jacket.id).map((v) => v.id).slice(0, 3);
      const result = await catalog.query<{ _entities: ({ id: string; sku: string; product: { id: string } } | null)[] }>(
        'query($r: [_Any!]!) { _entities(representations: $r) { ... on ProductVariant { id sku product { id } } } }',
        { r: [...ids, randomUUID()].map((id) => ({ __typename: 'ProductVariant', id })) },
      );
      expect(result.errors).toBeUndefined();
      expect(result.data!._entities.slice(0, 3).map((e) => e!.id)).toEqual(ids);
      expect(result.data!._entities.slice(0, 3).every((e) => e!.product.id === jacket.id)).toBe(true);
      expect(result.data!._entities[3]).toBeNull();
    });

    it('reads a page of products with their variants and options in as many SQL statements for 50 products as for 5', async () => {
      const PAGE = `query Page($first: Int) {
        products(first: $first) { nodes { id options { name values } variants { id sku price { amount } selectedOptions { name value } } defaultVariant { id } priceRange { minVariantPrice { amount } } } }
      }`;
      const counter = countStatements(catalog.orm);
      try {
        const measure = async (first: number) => {
          counter.reset();
          const result = await catalog.query<{ products: { nodes: { variants: unknown[] }[] } }>(PAGE, { first });
          expect(result.errors).toBeUndefined();
          expect(result.data!.products.nodes).toHaveLength(first);
          return [...counter.statements];
        };
        const five = await measure(5);
        const fifty = await measure(50);
        expect(fifty).toHaveLength(five.length);
        // The page's own statements, then variants, options and option values: one each.
        expect(five.filter((s) => /product_variant|product_option/.test(s))).toHaveLength(3);
      } finally {
        counter.detach();
      }
    });
  });

  describe('creating a product with options', () => {
    it('creates a variant for every combination, the first the default, all at the product price', async () => {
      const input = validInput({
        weightGrams: 120,
        options: [
          { name: ' Size ', values: ['S', 'M', 'L'] },
          { name: 'Color', values: ['Black', ' Forest Green'] },
        ],
      });
      const result = await create(input);
      expect(result.errors).toBeUndefined();
      const created = result.data!.createProduct;
      expect(created.options).toEqual([
        { name: 'Size', values: ['S', 'M', 'L'] },
        { name: 'Color', values: ['Black', 'Forest Green'] },
      ]);
      const sku = input.sku;
      expect(created.variants.map((v) => [v.sku, v.title, v.price.amount, v.weightGrams, v.isDefault])).toEqual([
        [`${sku}-S-BLACK`, 'S / Black', 1500, 120, true],
        [`${sku}-S-FOREST-GREEN`, 'S / Forest Green', 1500, 120, false],
        [`${sku}-M-BLACK`, 'M / Black', 1500, 120, false],
        [`${sku}-M-FOREST-GREEN`, 'M / Forest Green', 1500, 120, false],
        [`${sku}-L-BLACK`, 'L / Black', 1500, 120, false],
        [`${sku}-L-FOREST-GREEN`, 'L / Forest Green', 1500, 120, false],
      ]);
      expect(created.variants[0].id).toBe(created.id);
      expect(created.variants[3].selectedOptions).toEqual([
        { name: 'Size', value: 'M' },
        { name: 'Color', value: 'Forest Green' },
      ]);
      const found = await catalog.query<{ product: { variantBySelectedOptions: { id: string } } }>(BY_OPTIONS, {
        id: created.id,
        selected: [{ name: 'Size', value: 'L' }, { name: 'Color', value: 'Forest Green' }],
      });
      expect(found.data!.product.variantBySelectedOptions.id).toBe(created.variants[5].id);
    });

    it('creates one default variant without options, 500 g unless told', async () => {
      const input = validInput();
      const created = (await create(input)).data!.createProduct;
      expect(created.options).toEqual([]);
      expect(created.variants).toEqual([expect.objectContaining({ id: created.id, sku: input.sku, title: 'Default', weightGrams: 500, isDefault: true, selectedOptions: [] })]);
    });

    it('refuses a SKU that another product\'s variant has', async () => {
      const first = (await create(validInput({ options: [{ name: 'Size', values: ['S', 'M'] }] }))).data!.createProduct;
      const result = await create(validInput({ sku: first.variants[1].sku }));
      expect(codes(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0].extensions!.argumentName).toBe('input.sku');
    });

    const many = (count: number, prefix = 'v') => Array.from({ length: count }, (_, i) => `${prefix}${i}`);
    it.each<[string, Record<string, unknown>, string]>([
      ['4 options', { options: ['A', 'B', 'C', 'D'].map((name) => ({ name, values: ['x'] })) }, 'input.options'],
      ['an empty option name', { options: [{ name: ' ', values: ['x'] }] }, 'input.options[0].name'],
      ['an option name of 51 characters', { options: [{ name: 'n'.repeat(51), values: ['x'] }] }, 'input.options[0].name'],
      ['option names equal but for case', { options: [{ name: 'Size', values: ['S'] }, { name: 'SIZE', values: ['M'] }] }, 'input.options[1].name'],
      ['an option without values', { options: [{ name: 'Size', values: [] }] }, 'input.options[0].values'],
      ['21 values', { options: [{ name: 'Size', values: many(21) }] }, 'input.options[0].values'],
      ['an empty value', { options: [{ name: 'Size', values: ['S', '  '] }] }, 'input.options[0].values'],
      ['a value of 101 characters', { options: [{ name: 'Size', values: ['v'.repeat(101)] }] }, 'input.options[0].values'],
      ['a value twice', { options: [{ name: 'Size', values: ['S', 'M', 'S'] }] }, 'input.options[0].values'],
      ['values that give one SKU', { options: [{ name: 'Size', values: ['x l', 'X-L'] }] }, 'input.options[0].values'],
      ['more than 100 combinations', { options: [{ name: 'A', values: many(5) }, { name: 'B', values: many(5) }, { name: 'C', values: many(5) }] }, 'input.options'],
      ['a negative weight', { weightGrams: -1 }, 'input.weightGrams'],
    ])('refuses %s with BAD_USER_INPUT and writes nothing', async (_name, overrides, argumentName) => {
      const em = catalog.orm.em.fork();
      const before = [await em.count(Product), await em.count(ProductVariant)];
      const result = await create(validInput(overrides));
      expect(codes(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0].extensions!.argumentName).toBe(argumentName);
      expect([await em.count(Product), await em.count(ProductVariant)]).toEqual(before);
    });

    it('accepts 100 combinations', async () => {
      const result = await create(validInput({ options: [{ name: 'A', values: many(10, 'a') }, { name: 'B', values: many(10, 'b') }] }));
      expect(result.errors).toBeUndefined();
      expect(result.data!.createProduct.variants).toHaveLength(100);
    });
  });

  describe('changing variants', () => {
    const events = (productId: string) => catalog.orm.em.fork().count(OutboxEvent, { topic: 'product.changed', key: productId });

    it("changes the product's price with its default variant's, and records product.changed", async () => {
      const created = (await create(validInput({ options: [{ name: 'Size', values: ['S', 'M'] }] }))).data!.createProduct;
      const before = await events(created.id);
      const result = await catalog.query<{ updateProductVariant: VariantView & { product: { price: { amount: number } } } }>(
        UPDATE_VARIANT,
        { id: created.id, input: { priceAmount: 2100, weightGrams: 90 } },
        ADMIN,
      );
      expect(result.errors).toBeUndefined();
      expect(result.data!.updateProductVariant).toMatchObject({ id: created.id, price: { amount: 2100 }, weightGrams: 90, isDefault: true, product: { price: { amount: 2100 } } });
      expect(await events(created.id)).toBe(before + 1);
      const [{ price_amount }] = await sql<{ price_amount: number }>('select price_amount from product where id = ?', [created.id]);
      expect(price_amount).toBe(2100);

      // Another variant's price is its own; the range shows both.
      const other = created.variants[1].id;
      const changed = await catalog.query<{ updateProductVariant: VariantView & { product: { price: { amount: number } } } }>(UPDATE_VARIANT, { id: other, input: { priceAmount: 2600 } }, ADMIN);
      expect(changed.data!.updateProductVariant).toMatchObject({ price: { amount: 2600 }, isDefault: false, product: { price: { amount: 2100 } } });
      expect(await events(created.id)).toBe(before + 2);
      const view = await product(created.id);
      expect(view.priceRange).toEqual({ minVariantPrice: { amount: 2100, currency: 'USD' }, maxVariantPrice: { amount: 2600, currency: 'USD' } });

      // A change that changes nothing records nothing.
      await catalog.query(UPDATE_VARIANT, { id: other, input: { priceAmount: 2600 } }, ADMIN);
      expect(await events(created.id)).toBe(before + 2);
    });

    it("changes the default variant's price with the product's", async () => {
      const created = (await create(validInput())).data!.createProduct;
      const result = await catalog.query<{ updateProduct: { price: { amount: number }; defaultVariant: { price: { amount: number } } } }>(
        UPDATE_PRODUCT,
        { id: created.id, input: { priceAmount: 999 } },
        ADMIN,
      );
      expect(result.errors).toBeUndefined();
      expect(result.data!.updateProduct).toMatchObject({ price: { amount: 999 }, defaultVariant: { price: { amount: 999 } } });
      const [{ price_amount }] = await sql<{ price_amount: number }>('select price_amount from product_variant where id = ?', [created.id]);
      expect(price_amount).toBe(999);
    });

    it('refuses bad input, unknown variants and non-admins', async () => {
      const created = (await create(validInput())).data!.createProduct;
      const negative = await catalog.query(UPDATE_VARIANT, { id: created.id, input: { priceAmount: -5 } }, ADMIN);
      expect(codes(negative)).toEqual(['BAD_USER_INPUT']);
      expect(negative.errors![0].extensions!.argumentName).toBe('input.priceAmount');
      const heavy = await catalog.query(UPDATE_VARIANT, { id: created.id, input: { weightGrams: -1 } }, ADMIN);
      expect(heavy.errors![0].extensions!.argumentName).toBe('input.weightGrams');
      expect(codes(await catalog.query(UPDATE_VARIANT, { id: randomUUID(), input: { priceAmount: 1 } }, ADMIN))).toEqual(['NOT_FOUND']);
      expect(codes(await catalog.query(UPDATE_VARIANT, { id: 'nope', input: { priceAmount: 1 } }, ADMIN))).toEqual(['NOT_FOUND']);
      expect(codes(await catalog.query(UPDATE_VARIANT, { id: created.id, input: { priceAmount: 1 } }, CUSTOMER))).toEqual(['FORBIDDEN']);
    });
  });
});
