import { randomUUID } from 'node:crypto';
import { demoCatalog, DEMO_WAREHOUSES } from '../../lib/demo-data';
import { Role, type Viewer } from '../../lib/identity';
import { scrape } from '../../test/prometheus-text';
import { demoAdmin, startTestSupergraph, type TestSupergraph } from '../../test/supergraph-harness';
import { eventually } from '../../test/wait';
import { postGraphQLWithHeaders, type HttpGraphQLAnswer } from '../../test/graphql-http';

/**
 * The response cache never serves what a change made stale, through the
 * whole supergraph with every answer warmed to a HIT first:
 * - lists filtered by availability and facets follow a product going in or
 *   out of stock within 2 s, though the product was not in the list (the
 *   stock event drops them; catalog's availability projection takes the
 *   same event), and a quantity change that flips nothing leaves them cached;
 * - every mutation's own change is read back at once, no polling, by the
 *   client that sent it (the gateway drops what it changed before answering).
 */
const demo = demoCatalog();
const [ams] = DEMO_WAREHOUSES;
const stockOf = (productId: string) => demo.stock.filter((s) => s.productId === productId).reduce((sum, s) => sum + s.onHand, 0);
/** Products sold in one version, whose stock is their default variant's; each test takes its own. */
const simple = demo.products.filter((p) => p.options.length === 0);
/** A leaf category holding both a sold-out product and stocked ones (the demo data has several). */
const category = demo.categories.find((c) => simple.some((p) => p.categoryId === c.id && stockOf(p.id) === 0) && simple.filter((p) => p.categoryId === c.id && stockOf(p.id) > 0).length >= 2)!;

const AVAILABLE_LIST = `query Available($categoryId: ID!) { products(first: 100, filter: { available: true, categoryId: $categoryId }) { totalCount nodes { id name } } }`;
const FACETS = `query Facets($filter: ProductFilter) { products(first: 1, filter: $filter) { facets { id values { id count } } } }`;
const ADJUST = `mutation Adjust($productId: ID!, $warehouseId: ID!, $delta: Int!, $variantId: ID) { adjustStock(productId: $productId, warehouseId: $warehouseId, delta: $delta, variantId: $variantId) { onHand } }`;
const PRODUCT = `query Product($id: ID!) { product(id: $id) { id name price { amount } availableQuantity category { id name } variants { id price { amount } availableQuantity } } }`;
const CATEGORIES = `{ categories { id name } }`;

type Answer = HttpGraphQLAnswer;

jest.setTimeout(30_000);

describe('response cache freshness', () => {
  let supergraph: TestSupergraph;
  let adminToken: string;

  beforeAll(async () => {
    supergraph = await startTestSupergraph();
    adminToken = await supergraph.tokenFor(demoAdmin);
  }, 60_000);
  afterAll(() => supergraph?.stop());

  const post = (query: string, variables: Record<string, unknown> = {}, token?: string): Promise<Answer> => postGraphQLWithHeaders(supergraph.gatewayUrl, query, variables, token);


  /** A mutation that must succeed. */
  async function change(query: string, variables: Record<string, unknown>, token = adminToken): Promise<any> {
    const answer = await post(query, variables, token);
    expect(answer.body.errors).toBeUndefined();
    return answer.body.data;
  }

  /** Asks until the answer is a cache hit, so the test starts from a kept answer. */
  async function warm(query: string, variables: Record<string, unknown> = {}): Promise<Answer> {
    return eventually(async () => {
      const answer = await post(query, variables);
      expect(answer.body.errors).toBeUndefined();
      return answer.headers.get('x-cache') === 'HIT' ? answer : undefined;
    }, `${query} to be kept`);
  }

  const listIds = async () => ((await post(AVAILABLE_LIST, { categoryId: category.id })).body.data.products.nodes as { id: string }[]).map((node) => node.id);
  const inStockCount = async (filter: Record<string, unknown>) => {
    const facets = (await post(FACETS, { filter })).body.data.products.facets as { id: string; values: { id: string; count: number }[] }[];
    return facets.find((facet) => facet.id === 'availability')!.values.find((value) => value.id === 'availability.true')!.count;
  };

  describe('lists that depend on availability', () => {
    it('shows a sold-out product within 2 s of its restock, though it was not in the list', async () => {
      const soldOut = simple.find((p) => p.categoryId === category.id && stockOf(p.id) === 0)!;
      const warmed = await warm(AVAILABLE_LIST, { categoryId: category.id });
      expect(warmed.body.data.products.totalCount).toBeLessThanOrEqual(100);
      expect(warmed.body.data.products.nodes.map((node: { id: string }) => node.id)).not.toContain(soldOut.id);
      const facetFilter = { categoryId: category.id };
      await warm(FACETS, { filter: facetFilter });
      const countBefore = await inStockCount(facetFilter);

      await change(ADJUST, { productId: soldOut.id, warehouseId: ams.id, delta: 4 });
      const committed = Date.now();
      await eventually(async () => (await listIds()).includes(soldOut.id), 'the restocked product to join the available list', 2_000);
      await eventually(async () => (await inStockCount(facetFilter)) === countBefore + 1, 'the availability facet to count it', 2_000 - (Date.now() - committed));
      // And it stays so once kept again: nothing stale was stored while catalog caught up.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(await listIds()).toContain(soldOut.id);
      expect((await warm(AVAILABLE_LIST, { categoryId: category.id })).body.data.products.nodes.map((node: { id: string }) => node.id)).toContain(soldOut.id);
    });

    it('drops a product from the list within 2 s of it selling out', async () => {
      const product = simple.find((p) => p.categoryId === category.id && stockOf(p.id) > 0)!;
      expect((await warm(AVAILABLE_LIST, { categoryId: category.id })).body.data.products.nodes.map((node: { id: string }) => node.id)).toContain(product.id);
      // Everything it has: one level per warehouse, nothing reserved in a fresh database.
      for (const level of demo.stock.filter((s) => s.productId === product.id && s.onHand > 0)) {
        await change(ADJUST, { productId: product.id, warehouseId: level.warehouseId, delta: -level.onHand });
      }
      expect((await post(PRODUCT, { id: product.id })).body.data.product.availableQuantity).toBe(0);
      await eventually(async () => !(await listIds()).includes(product.id), 'the sold-out product to leave the available list', 2_000);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect((await warm(AVAILABLE_LIST, { categoryId: category.id })).body.data.products.nodes.map((node: { id: string }) => node.id)).not.toContain(product.id);
    });

    it('keeps availability lists cached when a quantity changes but nothing goes in or out of stock', async () => {
      const elsewhere = simple.find((p) => p.categoryId !== category.id && stockOf(p.id) > 5)!;
      await warm(AVAILABLE_LIST, { categoryId: category.id });
      const metrics = async () => (await scrape(`${supergraph.gateway.url}/metrics`)).sum('graphql_response_cache_invalidations_total', { topic: 'stock.changed' });
      const before = await metrics();
      await change(ADJUST, { productId: elsewhere.id, warehouseId: ams.id, delta: 1 });
      await eventually(async () => (await metrics()) > before, 'the stock event to reach the gateway', 5_000);
      expect((await post(AVAILABLE_LIST, { categoryId: category.id })).headers.get('x-cache')).toBe('HIT');
    });
  });

  describe('a mutation is read back at once by its sender', () => {
    /** Warms `query` to a hit, runs the mutation, and reads `query` once: it must already show the change. */
    async function readBack(query: string, variables: Record<string, unknown>, mutate: () => Promise<unknown>): Promise<any> {
      await warm(query, variables);
      await mutate();
      const after = await post(query, variables);
      expect(after.body.errors).toBeUndefined();
      expect(after.headers.get('x-cache')).toBe('MISS');
      return after.body.data;
    }

    it("updateProductVariant on the default variant changes its product's price", async () => {
      const product = simple[40];
      const amount = product.priceAmount + 1234;
      const after = await readBack(PRODUCT, { id: product.id }, () =>
        change(`mutation($id: ID!, $amount: Int!) { updateProductVariant(id: $id, input: { priceAmount: $amount }) { price { amount } } }`, { id: product.id, amount }),
      );
      expect(after.product.price.amount).toBe(amount);
      expect(after.product.variants[0].price.amount).toBe(amount);
    });

    it("updateProductVariant on another variant changes its product's variant list", async () => {
      const variant = demo.variants.find((v) => v.position > 0)!;
      const amount = variant.priceAmount + 77;
      const after = await readBack(PRODUCT, { id: variant.productId }, () =>
        change(`mutation($id: ID!, $amount: Int!) { updateProductVariant(id: $id, input: { priceAmount: $amount }) { sku } }`, { id: variant.id, amount }),
      );
      expect(after.product.variants.find((v: { id: string }) => v.id === variant.id).price.amount).toBe(amount);
    });

    it('updateProduct changes its page and the lists holding it', async () => {
      const product = simple[41];
      const name = `Renamed ${randomUUID().slice(0, 6)}`;
      await warm(AVAILABLE_LIST, { categoryId: product.categoryId });
      const after = await readBack(PRODUCT, { id: product.id }, () => change(`mutation($id: ID!, $name: String!) { updateProduct(id: $id, input: { name: $name }) { id } }`, { id: product.id, name }));
      expect(after.product.name).toBe(name);
      const list = await post(AVAILABLE_LIST, { categoryId: product.categoryId });
      expect(list.headers.get('x-cache')).toBe('MISS');
      if (stockOf(product.id) > 0) expect(list.body.data.products.nodes.find((node: { id: string }) => node.id === product.id).name).toBe(name);
    });

    it('createProduct joins the lists and a lookup that found nothing', async () => {
      const slugQuery = `query($slug: String!) { product(slug: $slug) { id name } }`;
      const slug = `fresh-lamp-${randomUUID().slice(0, 8)}`;
      const name = slug.replace(/-/g, ' ');
      const categoryList = `query($categoryId: ID!) { products(first: 100, filter: { categoryId: $categoryId }) { nodes { id name } } }`;
      await warm(categoryList, { categoryId: category.id });
      let created = '';
      const found = await readBack(slugQuery, { slug }, async () => {
        const answer = await change(`mutation($input: CreateProductInput!) { createProduct(input: $input) { id slug } }`, {
          input: { sku: `FRESH-${randomUUID().slice(0, 8)}`, name, description: 'A lamp', priceAmount: 2500, categoryId: category.id },
        });
        expect(answer.createProduct.slug).toBe(slug);
        created = answer.createProduct.id;
      });
      expect(found.product).toEqual({ id: created, name });
      const listed = await post(categoryList, { categoryId: category.id });
      expect(listed.headers.get('x-cache')).toBe('MISS');
      expect(listed.body.data.products.nodes.map((node: { id: string }) => node.id)).toContain(created);
    });

    it('updateCategory changes the category list and the products showing it', async () => {
      const product = simple[42];
      const name = `Cat ${randomUUID().slice(0, 6)}`;
      await warm(PRODUCT, { id: product.id });
      const after = await readBack(CATEGORIES, {}, () => change(`mutation($id: ID!, $name: String!) { updateCategory(id: $id, input: { name: $name }) { slug } }`, { id: product.categoryId, name }));
      expect(after.categories.find((c: { id: string }) => c.id === product.categoryId).name).toBe(name);
      expect((await post(PRODUCT, { id: product.id })).body.data.product.category.name).toBe(name);
    });

    it('adjustStock changes the available quantity of the product and of the variant', async () => {
      const product = simple.find((p) => stockOf(p.id) > 3 && p.categoryId !== category.id)!;
      const before = (await warm(PRODUCT, { id: product.id })).body.data.product.availableQuantity as number;
      const after = await readBack(PRODUCT, { id: product.id }, () => change(ADJUST, { productId: product.id, warehouseId: ams.id, delta: 9 }));
      expect(after.product.availableQuantity).toBe(before + 9);

      const variant = demo.variants.filter((v) => v.position > 0)[1];
      const variantBefore = (await warm(PRODUCT, { id: variant.productId })).body.data.product.variants.find((v: { id: string }) => v.id === variant.id).availableQuantity as number;
      const variantAfter = await readBack(PRODUCT, { id: variant.productId }, () =>
        change(ADJUST, { productId: variant.productId, variantId: variant.id.toUpperCase(), warehouseId: ams.id, delta: 2 }),
      );
      expect(variantAfter.product.variants.find((v: { id: string }) => v.id === variant.id).availableQuantity).toBe(variantBefore + 2);
    });

    describe('orders', () => {
      const ADDRESS = { line1: 'Keizersgracht 1', city: 'Amsterdam', postalCode: '1015 CJ', country: 'NL' };
      const buyer = (): Viewer => ({ id: randomUUID(), role: Role.CUSTOMER });
      const orderedProducts = simple.filter((p) => stockOf(p.id) >= 6 && p.categoryId !== category.id).slice(-3);
      const STOCK = `query($id: ID!) { product(id: $id) { availableQuantity } }`;

      async function placeOrder(as: Viewer, productId: string, quantity: number): Promise<string> {
        const token = await supergraph.tokenFor(as);
        await change(`mutation($productId: ID!, $quantity: Int!) { addToCart(productId: $productId, quantity: $quantity) { id } }`, { productId, quantity }, token);
        const placed = await change(
          `mutation($input: CheckoutInput!) { checkout(input: $input) { id status } }`,
          { input: { shippingAddress: ADDRESS, paymentToken: 'tok_visa', idempotencyKey: randomUUID() } },
          token,
        );
        expect(placed.checkout.status).toBe('PAID');
        return placed.checkout.id;
      }

      it('checkout and cancelOrder change the stock their sender reads next', async () => {
        const shopper = buyer();
        const product = orderedProducts[0];
        const before = (await warm(STOCK, { id: product.id })).body.data.product.availableQuantity as number;
        let orderId = '';
        const placed = await readBack(STOCK, { id: product.id }, async () => {
          orderId = await placeOrder(shopper, product.id, 2);
        });
        expect(placed.product.availableQuantity).toBe(before - 2);
        const token = await supergraph.tokenFor(shopper);
        const cancelled = await readBack(STOCK, { id: product.id }, () => change(`mutation($id: ID!) { cancelOrder(id: $id) { status } }`, { id: orderId }, token));
        expect(cancelled.product.availableQuantity).toBe(before);
      });

      it('updateOrderStatus to CANCELLED gives the stock back at once', async () => {
        const product = orderedProducts[1];
        const before = (await warm(STOCK, { id: product.id })).body.data.product.availableQuantity as number;
        const orderId = await placeOrder(buyer(), product.id, 1);
        const after = await readBack(STOCK, { id: product.id }, () =>
          change(`mutation($id: ID!) { updateOrderStatus(id: $id, status: CANCELLED) { status } }`, { id: orderId }),
        );
        expect(after.product.availableQuantity).toBe(before);
      });
    });
  });
});
