import { randomUUID } from 'node:crypto';
import { demoCatalog, DEMO_WAREHOUSES } from '../../lib/demo-data';
import { internalHeaders } from '../../lib/identity';
import { postGraphQL, TEST_INTERNAL_SECRET } from '../../test/subgraph-harness';
import { demoAdmin, demoCustomer, startTestSupergraph, type TestSupergraph } from '../../test/supergraph-harness';
import { eventually } from '../../test/wait';

const demo = demoCatalog();
/** Units of a product over all its variants; in one warehouse: of its default variant (what adjustStock without variantId changes). */
const onHandOf = (productId: string, warehouseId?: string) =>
  demo.stock
    .filter((s) => s.productId === productId && (!warehouseId || (s.warehouseId === warehouseId && s.variantId === productId)))
    .reduce((sum, s) => sum + s.onHand, 0);
const defaultOnHandOf = (productId: string) => demo.stock.filter((s) => s.variantId === productId).reduce((sum, s) => sum + s.onHand, 0);
const [ams, chi] = DEMO_WAREHOUSES;

const ADJUST = `mutation Adjust($productId: ID!, $warehouseId: ID!, $delta: Int!, $reason: String) {
  adjustStock(productId: $productId, warehouseId: $warehouseId, delta: $delta, reason: $reason) { warehouse { code name } onHand reserved available }
}`;
const STOCK = `query Stock($id: ID) { product(id: $id) { id name inStock availableQuantity stockLevels { warehouse { code } onHand reserved available } } }`;
const VARIANT_STOCK = `query Stock($id: ID) { product(id: $id) { stockLevels { variant { id } warehouse { code } onHand } } }`;
const PUBLIC_STOCK = `query Stock($id: ID) { product(id: $id) { inStock availableQuantity } }`;

type Level = { warehouse: { code: string }; onHand: number; reserved: number; available: number };

const codes = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => result.errors?.map((e) => e.extensions?.code);

describe('stock through the gateway', () => {
  let supergraph: TestSupergraph;
  /** What orders does at checkout: the internal operations, straight to inventory with the internal credential. */
  const internal = (query: string, variables: Record<string, unknown>) =>
    postGraphQL(`${supergraph.subgraphs.inventory.url}/graphql`, query, variables, internalHeaders(TEST_INTERNAL_SECRET, demoCustomer));

  beforeAll(async () => {
    supergraph = await startTestSupergraph();
  }, 60_000);
  afterAll(() => supergraph?.stop());

  it('adjusts stock as an ADMIN, and availability follows', async () => {
    // A product sold in one version: one stock level per warehouse.
    const product = demo.products.find((p) => p.options.length === 0 && onHandOf(p.id, ams.id) > 2)!;
    const before = onHandOf(product.id);
    const added = await supergraph.query<{ adjustStock: Level & { warehouse: { name: string } } }>(
      ADJUST,
      { productId: product.id, warehouseId: ams.id, delta: 25, reason: 'delivery' },
      demoAdmin,
    );
    expect(added.errors).toBeUndefined();
    expect(added.data!.adjustStock).toEqual({
      warehouse: { code: ams.code, name: ams.name },
      onHand: onHandOf(product.id, ams.id) + 25,
      reserved: 0,
      available: onHandOf(product.id, ams.id) + 25,
    });
    const removed = await supergraph.query(ADJUST, { productId: product.id, warehouseId: ams.id, delta: -2 }, demoAdmin);
    expect(removed.errors).toBeUndefined();

    const stock = await supergraph.query<{ product: { availableQuantity: number; inStock: boolean; stockLevels: Level[] } }>(STOCK, { id: product.id }, demoAdmin);
    expect(stock.errors).toBeUndefined();
    expect(stock.data!.product).toMatchObject({ inStock: true, availableQuantity: before + 23 });
    expect(stock.data!.product.stockLevels.find((l) => l.warehouse.code === ams.code)).toEqual({
      warehouse: { code: ams.code },
      onHand: onHandOf(product.id, ams.id) + 23,
      reserved: 0,
      available: onHandOf(product.id, ams.id) + 23,
    });
  });

  it('puts a sold-out product back in stock', async () => {
    const soldOut = demo.products.find((p) => onHandOf(p.id) === 0)!;
    expect((await supergraph.query(PUBLIC_STOCK, { id: soldOut.id })).data!.product).toEqual({ inStock: false, availableQuantity: 0 });
    await supergraph.query(ADJUST, { productId: soldOut.id, warehouseId: chi.id, delta: 3 }, demoAdmin);
    expect((await supergraph.query(PUBLIC_STOCK, { id: soldOut.id })).data!.product).toEqual({ inStock: true, availableQuantity: 3 });
  });

  it('refuses bad adjustments with a stable code and leaves stock alone', async () => {
    const product = demo.products.find((p) => p.options.length === 0 && onHandOf(p.id, chi.id) > 0 && onHandOf(p.id, chi.id) < 1000)!;
    const onHand = onHandOf(product.id, chi.id);
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      ['unknown warehouse', { productId: product.id, warehouseId: randomUUID(), delta: 1 }, 'NOT_FOUND', /Warehouse .* does not exist/],
      ['below zero', { productId: product.id, warehouseId: chi.id, delta: -(onHand + 1) }, 'BAD_USER_INPUT', /would leave -1 on hand/],
      ['zero delta', { productId: product.id, warehouseId: chi.id, delta: 0 }, 'BAD_USER_INPUT', /non-zero/],
      ['malformed product id', { productId: 'SKU-1', warehouseId: chi.id, delta: 1 }, 'BAD_USER_INPUT', /not a product id/],
    ];
    for (const [name, variables, code, message] of cases) {
      const result = await supergraph.query(ADJUST, variables, demoAdmin);
      expect({ name, codes: codes(result) }).toEqual({ name, codes: [code] });
      expect(result.errors![0].message).toMatch(message);
    }
    const variables = { productId: product.id, warehouseId: chi.id, delta: 1 };
    expect(codes(await supergraph.query(ADJUST, variables, demoCustomer))).toEqual(['FORBIDDEN']);
    expect(codes(await supergraph.query(ADJUST, variables))).toEqual(['UNAUTHENTICATED']);

    const stock = await supergraph.query<{ product: { stockLevels: Level[] } }>(STOCK, { id: product.id }, demoAdmin);
    expect(stock.data!.product.stockLevels.find((l) => l.warehouse.code === chi.code)!.onHand).toBe(onHand);
  });

  it('shows reservations in availableQuantity, and never below reserved on adjustment', async () => {
    const productId = randomUUID();
    await supergraph.query(ADJUST, { productId, warehouseId: ams.id, delta: 4 }, demoAdmin);
    await supergraph.query(ADJUST, { productId, warehouseId: chi.id, delta: 2 }, demoAdmin);
    const orderId = randomUUID();
    const reserved = await internal('mutation($o: ID!, $l: [StockLineInput!]!) { reserveStock(orderId: $o, lines: $l) }', { o: orderId, l: [{ productId, quantity: 5 }] });
    expect(reserved.errors).toBeUndefined();

    // The product is not in catalog, so ask inventory itself, as the gateway would for a catalog product.
    const availability = async () =>
      (
        await postGraphQL<{ _entities: Record<string, unknown>[] }>(
          `${supergraph.subgraphs.inventory.url}/graphql`,
          'query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { inStock availableQuantity stockLevels { warehouse { code } onHand reserved } } } }',
          { r: [{ __typename: 'Product', id: productId }] },
          internalHeaders(TEST_INTERNAL_SECRET, demoAdmin),
        )
      ).data!._entities[0];
    expect(await availability()).toEqual({
      inStock: true,
      availableQuantity: 1,
      stockLevels: [
        { warehouse: { code: ams.code }, onHand: 4, reserved: 4 },
        { warehouse: { code: chi.code }, onHand: 2, reserved: 1 },
      ],
    });
    const tooMuch = await supergraph.query(ADJUST, { productId, warehouseId: ams.id, delta: -1 }, demoAdmin);
    expect(codes(tooMuch)).toEqual(['BAD_USER_INPUT']);
    expect(tooMuch.errors![0].message).toMatch(/below the 4 reserved/);

    expect((await internal('mutation($o: ID!) { releaseReservation(orderId: $o) }', { o: orderId })).data).toEqual({ releaseReservation: true });
    expect(await availability()).toMatchObject({ inStock: true, availableQuantity: 6 });
  });

  it('reflects reservations in the product page of a catalog product', async () => {
    // Lines without variantId take the default variant's stock.
    const product = demo.products.find((p) => defaultOnHandOf(p.id) >= 3 && onHandOf(p.id) < 1000)!;
    const before = (await supergraph.query<{ product: { availableQuantity: number } }>(PUBLIC_STOCK, { id: product.id })).data!.product.availableQuantity;
    // The gateway caches availability (`onlyWithInvalidation`) and drops it on stock.changed: a change made
    // straight in inventory, as checkout makes it, reaches the gateway through that event, not through the request.
    const availableQuantity = (expected: number) =>
      eventually(async () => {
        const { inStock, availableQuantity: quantity } = (await supergraph.query<{ product: { inStock: boolean; availableQuantity: number } }>(PUBLIC_STOCK, { id: product.id })).data!.product;
        return quantity === expected && inStock === expected > 0;
      }, `availableQuantity ${expected}`);
    const orderId = randomUUID();
    await internal('mutation($o: ID!, $l: [StockLineInput!]!) { reserveStock(orderId: $o, lines: $l) }', { o: orderId, l: [{ productId: product.id, quantity: 2 }] });
    await availableQuantity(before - 2);
    await internal('mutation($o: ID!) { commitReservation(orderId: $o) }', { o: orderId });
    await availableQuantity(before - 2);
    await internal('mutation($o: ID!) { releaseReservation(orderId: $o) }', { o: orderId });
    await availableQuantity(before);
  });

  it('adjusts the stock of one variant, which the product sums with its other variants', async () => {
    const variant = demo.variants.find((v) => v.position > 0 && demo.stock.some((s) => s.variantId === v.id && s.warehouseId === ams.id))!;
    const onHand = demo.stock.find((s) => s.variantId === variant.id && s.warehouseId === ams.id)!.onHand;
    const before = (await supergraph.query<{ product: { availableQuantity: number } }>(PUBLIC_STOCK, { id: variant.productId })).data!.product.availableQuantity;
    const added = await supergraph.query<{ adjustStock: Level & { variant: { id: string } } }>(
      `mutation($p: ID!, $w: ID!, $v: ID) { adjustStock(productId: $p, warehouseId: $w, delta: 4, variantId: $v) { variant { id } warehouse { code } onHand reserved available } }`,
      { p: variant.productId, w: ams.id, v: variant.id },
      demoAdmin,
    );
    expect(added.errors).toBeUndefined();
    expect(added.data!.adjustStock).toEqual({ variant: { id: variant.id }, warehouse: { code: ams.code }, onHand: onHand + 4, reserved: 0, available: onHand + 4 });
    await eventually(async () => {
      const product = (await supergraph.query<{ product: { availableQuantity: number } }>(PUBLIC_STOCK, { id: variant.productId })).data!.product;
      return product.availableQuantity === before + 4;
    }, 'the product to count the variant');
    const stock = await supergraph.query<{ product: { stockLevels: { variant: { id: string }; warehouse: { code: string }; onHand: number }[] } }>(
      VARIANT_STOCK,
      { id: variant.productId },
      demoAdmin,
    );
    expect(stock.errors).toBeUndefined();
    expect(stock.data!.product.stockLevels.find((l) => l.variant.id === variant.id && l.warehouse.code === ams.code)!.onHand).toBe(onHand + 4);
  });

  it('keeps the checkout operations out of the public API', async () => {
    const result = await supergraph.query(
      'mutation($o: ID!) { reserveStock(orderId: $o, lines: [{ productId: "x", quantity: 1 }]) }',
      { o: randomUUID() },
      demoAdmin,
    );
    expect(codes(result)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    for (const field of ['releaseReservation', 'commitReservation']) {
      const other = await supergraph.query(`mutation { ${field}(orderId: "${randomUUID()}") }`, {}, demoAdmin);
      expect(codes(other)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    }
  });
});
