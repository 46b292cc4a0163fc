import { randomUUID } from 'node:crypto';
import { DEMO_USERS, DEMO_WAREHOUSES, demoCatalog } from '../../lib/demo-data';
import { Topics, type StockChangedEvent } from '../../lib/events';
import { Role, type Viewer } from '../../lib/identity';
import { OutboxEvent } from '../../lib/outbox';
import { countStatements } from '../../test/sql-counter';
import { startTestSubgraph, type GraphQLResult, type TestSubgraph } from '../../test/subgraph-harness';
import { inventorySubgraph } from './inventory.server';
import { ReservationLine } from './reservation/reservation-line.entity';
import { Reservation } from './reservation/reservation.entity';
import { StockChangeResolver } from './stock/stock-change.resolver';
import { StockLevel } from './stock/stock-level.entity';
import { StockMovement } from './stock/stock-movement.entity';

const ADMIN: Viewer = { id: DEMO_USERS.find((u) => u.role === 'ADMIN')!.id, role: Role.ADMIN };
const CUSTOMER: Viewer = { id: DEMO_USERS.find((u) => u.role === 'CUSTOMER')!.id, role: Role.CUSTOMER };
const warehouse = (code: string) => DEMO_WAREHOUSES.find((w) => w.code === code)!;

const RESERVE = `mutation Reserve($orderId: ID!, $lines: [StockLineInput!]!) { reserveStock(orderId: $orderId, lines: $lines) }`;
const RELEASE = 'mutation Release($orderId: ID!) { releaseReservation(orderId: $orderId) }';
const COMMIT = 'mutation Commit($orderId: ID!) { commitReservation(orderId: $orderId) }';
const RENEW = 'mutation Renew($orderId: ID!, $lines: [StockLineInput!]!) { renewReservation(orderId: $orderId, lines: $lines) }';
const ADJUST = `mutation Adjust($productId: ID!, $warehouseId: ID!, $delta: Int!, $variantId: ID) {
  adjustStock(productId: $productId, warehouseId: $warehouseId, delta: $delta, variantId: $variantId) { variant { id } warehouse { code } onHand reserved available }
}`;
const VARIANT_STOCK = `query VariantStock($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on ProductVariant { id availableQuantity inStock } }
}`;
const VARIANT_LEVELS = `query VariantLevels($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on ProductVariant { id availableQuantity stockLevels { variant { id } warehouse { code } onHand reserved available } } }
}`;
const PRODUCT_STOCK = `query ProductStock($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Product { id availableQuantity inStock } }
}`;

type Line = { productId: string; variantId?: string | null; quantity: number };
type Stock = Partial<Record<'AMS' | 'CHI' | 'SIN', number>>;
type VariantStock = { id: string; availableQuantity: number; inStock: boolean };

describe('stock per product variant', () => {
  let inventory: TestSubgraph;
  const demo = demoCatalog();

  beforeAll(async () => {
    inventory = await startTestSubgraph(inventorySubgraph, { seed: true });
  });
  afterAll(() => inventory?.stop());

  const reserve = (orderId: string, lines: Line[]) => inventory.query<{ reserveStock: boolean }>(RESERVE, { orderId, lines }, CUSTOMER);
  const release = (orderId: string) => inventory.query<{ releaseReservation: boolean }>(RELEASE, { orderId }, CUSTOMER);
  const commit = (orderId: string) => inventory.query<{ commitReservation: boolean }>(COMMIT, { orderId }, CUSTOMER);
  const renew = (orderId: string, lines: Line[]) => inventory.query<{ renewReservation: boolean }>(RENEW, { orderId, lines }, CUSTOMER);
  const adjust = (variables: { productId: string; warehouseId: string; delta: number; variantId?: string | null }, viewer: Viewer = ADMIN) =>
    inventory.query<{ adjustStock: { variant: { id: string }; warehouse: { code: string }; onHand: number; reserved: number; available: number } }>(ADJUST, variables, viewer);
  const codes = (result: GraphQLResult) => result.errors?.map((e) => e.extensions?.code);

  /** Stocks a variant of a product through adjustStock: { warehouse code: units }. */
  async function stock(productId: string, variantId: string | null, units: Stock): Promise<void> {
    for (const [code, delta] of Object.entries(units)) {
      const result = await adjust({ productId, warehouseId: warehouse(code).id, delta, variantId });
      expect(result.errors).toBeUndefined();
    }
  }

  /** A product of its own with its default variant and two more, each stocked as given. */
  async function productWithVariants(stockOf: { base: Stock; red: Stock; blue: Stock }) {
    const product = randomUUID();
    const [red, blue] = [randomUUID(), randomUUID()];
    await stock(product, null, stockOf.base);
    await stock(product, red, stockOf.red);
    await stock(product, blue, stockOf.blue);
    return { product, red, blue };
  }

  /** onHand/reserved per warehouse code of one variant, and its availability. */
  async function levelsOf(variantId: string) {
    const levels = await inventory.orm.em.fork().find(StockLevel, { variantId }, { populate: ['warehouse'] });
    return {
      levels: Object.fromEntries(levels.map((l) => [l.warehouse.code, { onHand: l.onHand, reserved: l.reserved }])),
      available: levels.reduce((sum, l) => sum + l.onHand - l.reserved, 0),
    };
  }

  async function variantStock(ids: string[]): Promise<VariantStock[]> {
    const result = await inventory.query<{ _entities: VariantStock[] }>(VARIANT_STOCK, { representations: ids.map((id) => ({ __typename: 'ProductVariant', id })) });
    expect(result.errors).toBeUndefined();
    return result.data!._entities;
  }

  async function productAvailability(productId: string): Promise<number> {
    const result = await inventory.query<{ _entities: VariantStock[] }>(PRODUCT_STOCK, { representations: [{ __typename: 'Product', id: productId }] });
    return result.data!._entities[0].availableQuantity;
  }

  async function eventsOf(productId: string): Promise<StockChangedEvent[]> {
    const rows = await inventory.orm.em.fork().find(OutboxEvent, { topic: Topics.STOCK_CHANGED, key: productId }, { orderBy: { id: 'asc' } });
    return rows.map((row) => row.payload as unknown as StockChangedEvent);
  }

  async function linesOf(orderId: string) {
    const em = inventory.orm.em.fork();
    const reservation = await em.findOneOrFail(Reservation, { orderId });
    const lines = await em.find(ReservationLine, { reservation }, { populate: ['warehouse'] });
    return lines
      .map((l) => ({ productId: l.productId, variantId: l.variantId, warehouse: l.warehouse.code, quantity: l.quantity }))
      .sort((a, b) => a.variantId.localeCompare(b.variantId) || a.warehouse.localeCompare(b.warehouse));
  }

  describe('adjustStock', () => {
    it('stocks the variant given, and the default variant (the product id) when variantId is omitted', async () => {
      const product = randomUUID();
      const variant = randomUUID().toUpperCase();
      const base = await adjust({ productId: product, warehouseId: warehouse('AMS').id, delta: 5 });
      expect(base.errors).toBeUndefined();
      expect(base.data!.adjustStock).toEqual({ variant: { id: product }, warehouse: { code: 'AMS' }, onHand: 5, reserved: 0, available: 5 });
      const explicitDefault = await adjust({ productId: product, warehouseId: warehouse('AMS').id, delta: 1, variantId: product });
      expect(explicitDefault.data!.adjustStock).toMatchObject({ variant: { id: product }, onHand: 6 });

      const other = await adjust({ productId: product, warehouseId: warehouse('AMS').id, delta: 3, variantId: variant });
      expect(other.errors).toBeUndefined();
      expect(other.data!.adjustStock).toEqual({ variant: { id: variant.toLowerCase() }, warehouse: { code: 'AMS' }, onHand: 3, reserved: 0, available: 3 });

      expect(await variantStock([product, variant])).toEqual([
        { id: product, availableQuantity: 6, inStock: true },
        { id: variant, availableQuantity: 3, inStock: true },
      ]);
      expect(await productAvailability(product)).toBe(9);

      const movements = await inventory.orm.em.fork().find(StockMovement, { productId: product }, { orderBy: { delta: 'asc' } });
      expect(movements.map((m) => [m.variantId, m.delta])).toEqual([
        [product, 1],
        [variant.toLowerCase(), 3],
        [product, 5],
      ]);
      // One event per adjustment, product-wide figures, naming the variant that changed.
      expect((await eventsOf(product)).map((e) => ({ variantIds: e.variantIds, availableQuantity: e.availableQuantity }))).toEqual([
        { variantIds: [product], availableQuantity: 5 },
        { variantIds: [product], availableQuantity: 6 },
        { variantIds: [variant.toLowerCase()], availableQuantity: 9 },
      ]);
    });

    it('refuses a malformed variant id, a variant stocked under another product, and removing from a variant with no stock there', async () => {
      const product = randomUUID();
      const variant = randomUUID();
      await stock(product, variant, { CHI: 2 });
      const malformed = await adjust({ productId: product, warehouseId: warehouse('CHI').id, delta: 1, variantId: 'red' });
      expect(codes(malformed)).toEqual(['BAD_USER_INPUT']);
      expect(malformed.errors![0].extensions!.argumentName).toBe('variantId');

      const otherProduct = randomUUID();
      const moved = await adjust({ productId: otherProduct, warehouseId: warehouse('SIN').id, delta: 1, variantId: variant });
      expect(codes(moved)).toEqual(['BAD_USER_INPUT']);
      expect(moved.errors![0].extensions).toMatchObject({ argumentName: 'variantId', productId: product });

      const empty = await adjust({ productId: product, warehouseId: warehouse('SIN').id, delta: -1, variantId: variant });
      expect(codes(empty)).toEqual(['BAD_USER_INPUT']);
      expect(await inventory.orm.em.fork().count(StockLevel, { variantId: variant })).toBe(1);
      expect(await inventory.orm.em.fork().count(StockLevel, { productId: otherProduct })).toBe(0);
    });
  });

  describe('ProductVariant stock fields', () => {
    it('resolves demo variants with their own stock, and products with the sum over their variants', async () => {
      const withOptions = demo.products.filter((p) => p.options.length > 0);
      expect(withOptions.length).toBeGreaterThan(0);
      const variants = demo.variants.filter((v) => withOptions.slice(0, 3).some((p) => p.id === v.productId));
      const unknown = '00000000-0000-4000-8000-000000000000';
      const entities = await variantStock([...variants.map((v) => v.id), unknown, 'not-a-uuid']);
      const onHand = (filter: (s: (typeof demo.stock)[number]) => boolean) => demo.stock.filter(filter).reduce((sum, s) => sum + s.onHand, 0);
      expect(entities).toEqual([
        ...variants.map((v) => {
          const quantity = onHand((s) => s.variantId === v.id);
          return { id: v.id, availableQuantity: quantity, inStock: quantity > 0 };
        }),
        { id: unknown, availableQuantity: 0, inStock: false },
        { id: 'not-a-uuid', availableQuantity: 0, inStock: false },
      ]);
      // A product's figure is over all its variants, its default variant's over the default only.
      const product = withOptions.find((p) => onHand((s) => s.variantId !== p.id && s.productId === p.id) > 0)!;
      expect(await productAvailability(product.id)).toBe(onHand((s) => s.productId === product.id));
      expect((await variantStock([product.id]))[0].availableQuantity).toBe(onHand((s) => s.variantId === product.id));
    });

    it('shows a variant its stock levels to an ADMIN only, by warehouse code', async () => {
      const { red } = await productWithVariants({ base: { AMS: 1 }, red: { SIN: 4, AMS: 2 }, blue: { CHI: 1 } });
      const variables = { representations: [{ __typename: 'ProductVariant', id: red }] };
      const asAdmin = await inventory.query<{ _entities: { stockLevels: unknown[] }[] }>(VARIANT_LEVELS, variables, ADMIN);
      expect(asAdmin.errors).toBeUndefined();
      expect(asAdmin.data!._entities[0]).toEqual({
        id: red,
        availableQuantity: 6,
        stockLevels: [
          { variant: { id: red }, warehouse: { code: 'AMS' }, onHand: 2, reserved: 0, available: 2 },
          { variant: { id: red }, warehouse: { code: 'SIN' }, onHand: 4, reserved: 0, available: 4 },
        ],
      });
      const asCustomer = await inventory.query(VARIANT_LEVELS, variables, CUSTOMER);
      expect(asCustomer.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      expect(asCustomer.errors?.[0].path).toEqual(['_entities', 0, 'stockLevels']);
      expect(codes(await inventory.query(VARIANT_LEVELS, variables))).toEqual(['UNAUTHENTICATED']);
    });

    it('resolves 50 variants with the same number of SQL statements as 5', async () => {
      const counter = countStatements(inventory.orm);
      try {
        const measure = async (ids: string[]) => {
          counter.reset();
          const result = await inventory.query<{ _entities: { stockLevels: unknown[] }[] }>(
            VARIANT_LEVELS,
            { representations: ids.map((id) => ({ __typename: 'ProductVariant', id })) },
            ADMIN,
          );
          expect(result.errors).toBeUndefined();
          expect(result.data!._entities).toHaveLength(ids.length);
          return counter.count;
        };
        const stocked = demo.variants.filter((v) => demo.stock.some((s) => s.variantId === v.id));
        const five = await measure(stocked.slice(0, 5).map((v) => v.id));
        const fifty = await measure(stocked.slice(0, 50).map((v) => v.id));
        // availability, stock levels, warehouses: one statement each
        expect(five).toBe(3);
        expect(fifty).toBe(five);
      } finally {
        counter.detach();
      }
    });
  });

  describe('reservations', () => {
    it('reserves per variant, summing duplicate lines of one variant, and records the variant on lines, movements and the event', async () => {
      const { product, red, blue } = await productWithVariants({ base: { AMS: 5 }, red: { AMS: 3, CHI: 2 }, blue: { SIN: 4 } });
      const orderId = randomUUID();
      const result = await reserve(orderId, [
        { productId: product, variantId: red, quantity: 1 },
        { productId: product, variantId: blue.toUpperCase(), quantity: 2 },
        { productId: product.toUpperCase(), variantId: red.toUpperCase(), quantity: 3 },
      ]);
      expect(result.errors).toBeUndefined();
      expect(await levelsOf(red)).toEqual({ levels: { AMS: { onHand: 3, reserved: 3 }, CHI: { onHand: 2, reserved: 1 } }, available: 1 });
      expect(await levelsOf(blue)).toEqual({ levels: { SIN: { onHand: 4, reserved: 2 } }, available: 2 });
      expect(await levelsOf(product)).toEqual({ levels: { AMS: { onHand: 5, reserved: 0 } }, available: 5 });
      expect(await linesOf(orderId)).toEqual(
        [
          { productId: product, variantId: red, warehouse: 'AMS', quantity: 3 },
          { productId: product, variantId: red, warehouse: 'CHI', quantity: 1 },
          { productId: product, variantId: blue, warehouse: 'SIN', quantity: 2 },
        ].sort((a, b) => a.variantId.localeCompare(b.variantId) || a.warehouse.localeCompare(b.warehouse)),
      );
      const reserveMovements = await inventory.orm.em.fork().find(StockMovement, { orderId });
      expect(reserveMovements.map((m) => m.variantId).sort()).toEqual([red, red, blue].sort());
      // One event for the product, product-wide figure, both variants named.
      const event = (await eventsOf(product)).at(-1)!;
      expect(event).toEqual({ productId: product, variantIds: [red, blue].sort(), availableQuantity: 5 + 1 + 2, inStock: true, wasInStock: true, changedAt: expect.any(String) });
      expect(await variantStock([red, blue, product])).toEqual([
        { id: red, availableQuantity: 1, inStock: true },
        { id: blue, availableQuantity: 2, inStock: true },
        { id: product, availableQuantity: 5, inStock: true },
      ]);
    });

    it('takes the default variant for a line without variantId', async () => {
      const { product, red } = await productWithVariants({ base: { CHI: 2 }, red: { CHI: 5 }, blue: {} });
      expect((await reserve(randomUUID(), [{ productId: product, quantity: 2 }])).errors).toBeUndefined();
      expect((await reserve(randomUUID(), [{ productId: product, variantId: null, quantity: 1 }])).errors?.[0].extensions).toMatchObject({
        code: 'OUT_OF_STOCK',
        productIds: [product],
        variantIds: [product],
      });
      expect((await levelsOf(product)).available).toBe(0);
      expect((await levelsOf(red)).available).toBe(5);
    });

    it('holds two variants of one product independently: one sold out is OUT_OF_STOCK while the other still sells', async () => {
      const { product, red, blue } = await productWithVariants({ base: {}, red: { AMS: 2 }, blue: { AMS: 3 } });
      const [first, second, third] = [randomUUID(), randomUUID(), randomUUID()];
      expect((await reserve(first, [{ productId: product, variantId: red, quantity: 2 }])).errors).toBeUndefined();
      const short = await reserve(second, [
        { productId: product, variantId: blue, quantity: 1 },
        { productId: product, variantId: red, quantity: 1 },
      ]);
      expect(codes(short)).toEqual(['OUT_OF_STOCK']);
      expect(short.errors![0].extensions).toMatchObject({ productIds: [product], variantIds: [red] });
      expect(short.errors![0].message).toContain(`variant ${red} of product ${product}`);
      // Nothing of the refused order was held, though the product as a whole has 3 left.
      expect(await productAvailability(product)).toBe(3);
      expect((await reserve(third, [{ productId: product, variantId: blue, quantity: 3 }])).errors).toBeUndefined();
      expect(await productAvailability(product)).toBe(0);

      // Release gives back the first order's variant only; commit sells the third's.
      expect((await release(first)).data?.releaseReservation).toBe(true);
      expect(await levelsOf(red)).toEqual({ levels: { AMS: { onHand: 2, reserved: 0 } }, available: 2 });
      expect((await commit(third)).data?.commitReservation).toBe(true);
      expect(await levelsOf(blue)).toEqual({ levels: { AMS: { onHand: 0, reserved: 0 } }, available: 0 });
      expect((await eventsOf(product)).slice(-2).map((e) => [e.variantIds, e.availableQuantity])).toEqual([
        [[red], 2],
        [[blue], 2],
      ]);
      // A cancelled sale restocks the variant it sold.
      expect((await release(third)).data?.releaseReservation).toBe(true);
      expect((await levelsOf(blue)).levels).toEqual({ AMS: { onHand: 3, reserved: 0 } });
    });

    it('names variants not stocked at all, or stocked under another product, as short', async () => {
      const { product, red } = await productWithVariants({ base: { AMS: 1 }, red: { AMS: 1 }, blue: {} });
      const stranger = randomUUID();
      const otherProduct = randomUUID();
      const result = await reserve(randomUUID(), [
        { productId: product, variantId: stranger, quantity: 1 },
        { productId: otherProduct, variantId: red, quantity: 1 },
        { productId: product, quantity: 1 },
      ]);
      expect(result.errors![0].extensions).toMatchObject({ code: 'OUT_OF_STOCK', productIds: [product, otherProduct], variantIds: [stranger, red] });
      expect((await levelsOf(red)).available).toBe(1);
      expect((await levelsOf(product)).available).toBe(1);
    });

    it('refuses a malformed variant id, and one variant under two products in one request', async () => {
      const { product, red } = await productWithVariants({ base: { AMS: 1 }, red: { AMS: 1 }, blue: {} });
      const malformed = await reserve(randomUUID(), [{ productId: product, variantId: 'red', quantity: 1 }]);
      expect(codes(malformed)).toEqual(['BAD_USER_INPUT']);
      expect(malformed.errors![0].extensions!.argumentName).toBe('lines.0.variantId');
      const twice = await reserve(randomUUID(), [
        { productId: product, variantId: red, quantity: 1 },
        { productId: randomUUID(), variantId: red, quantity: 1 },
      ]);
      expect(codes(twice)).toEqual(['BAD_USER_INPUT']);
      expect(twice.errors![0].extensions!.argumentName).toBe('lines.1.productId');
      expect((await levelsOf(red)).available).toBe(1);
    });

    it('renews a lapsed reservation per variant', async () => {
      const { product, red } = await productWithVariants({ base: { AMS: 5 }, red: { SIN: 2 }, blue: {} });
      const orderId = randomUUID();
      const lines = [{ productId: product, variantId: red, quantity: 2 }];
      expect((await reserve(orderId, lines)).errors).toBeUndefined();
      await inventory.orm.em.fork().getConnection().execute(`update reservation set expires_at = now() - interval '1 minute' where order_id = ?`, [orderId]);
      const { releaseExpiredReservations } = await import('./reservation/reservation-sweeper');
      expect(await releaseExpiredReservations(inventory.orm.em.fork())).toBeGreaterThanOrEqual(1);
      expect((await levelsOf(red)).available).toBe(2);
      expect((await renew(orderId, lines)).data?.renewReservation).toBe(true);
      expect(await levelsOf(red)).toEqual({ levels: { SIN: { onHand: 2, reserved: 2 } }, available: 0 });
      expect((await levelsOf(product)).available).toBe(5);
    });

    it('sells exactly the available units of one variant to 20 concurrent checkouts, beside checkouts of another variant', async () => {
      const { product, red, blue } = await productWithVariants({ base: { AMS: 1 }, red: { AMS: 3, CHI: 2 }, blue: { SIN: 4 } });
      const outboxBefore = (await eventsOf(product)).length;
      const redOrders = Array.from({ length: 20 }, () => randomUUID());
      const blueOrders = Array.from({ length: 10 }, () => randomUUID());
      const results = await Promise.all([
        ...redOrders.map((orderId) => reserve(orderId, [{ productId: product, variantId: red, quantity: 1 }])),
        ...blueOrders.map((orderId) => reserve(orderId, [{ productId: product, variantId: blue, quantity: 1 }])),
      ]);
      const [redResults, blueResults] = [results.slice(0, 20), results.slice(20)];
      expect(redResults.filter((r) => r.data?.reserveStock === true)).toHaveLength(5);
      expect(blueResults.filter((r) => r.data?.reserveStock === true)).toHaveLength(4);
      for (const refused of redResults.filter((r) => r.errors)) {
        expect(refused.errors![0].extensions).toMatchObject({ code: 'OUT_OF_STOCK', productIds: [product], variantIds: [red] });
      }
      expect(results.filter((r) => r.errors).flatMap((r) => r.errors!.map((e) => e.extensions?.code))).toEqual(Array(21).fill('OUT_OF_STOCK'));
      expect(await levelsOf(red)).toEqual({ levels: { AMS: { onHand: 3, reserved: 3 }, CHI: { onHand: 2, reserved: 2 } }, available: 0 });
      expect(await levelsOf(blue)).toEqual({ levels: { SIN: { onHand: 4, reserved: 4 } }, available: 0 });
      expect(await variantStock([red, blue, product])).toEqual([
        { id: red, availableQuantity: 0, inStock: false },
        { id: blue, availableQuantity: 0, inStock: false },
        { id: product, availableQuantity: 1, inStock: true },
      ]);
      // Product-wide figures in commit order: the variants share the product's locks, so the count goes down without gaps.
      expect((await eventsOf(product)).slice(outboxBefore).map((e) => e.availableQuantity)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1]);
    }, 30_000);

    it('never deadlocks when orders lock variants of two products in different line orders, beside adjustments of variants', async () => {
      const a = await productWithVariants({ base: { AMS: 10 }, red: { AMS: 10, CHI: 10 }, blue: { SIN: 10 } });
      const b = await productWithVariants({ base: { CHI: 15 }, red: { CHI: 5 }, blue: { AMS: 10, SIN: 10 } });
      const calls: Promise<GraphQLResult>[] = [];
      for (let i = 0; i < 30; i += 1) {
        const lines = [
          { productId: a.product, variantId: i % 3 === 0 ? a.blue : a.red, quantity: 1 },
          { productId: b.product, variantId: i % 2 === 0 ? b.blue : b.product, quantity: 1 },
        ];
        calls.push(reserve(randomUUID(), i % 2 === 0 ? lines : lines.reverse()));
        if (i % 5 === 0) {
          calls.push(adjust({ productId: a.product, variantId: a.red, warehouseId: warehouse('CHI').id, delta: 1 }));
          calls.push(adjust({ productId: b.product, variantId: b.blue, warehouseId: warehouse('SIN').id, delta: 1 }));
        }
      }
      const results = await Promise.all(calls);
      expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
      const [availableA, availableB] = [await productAvailability(a.product), await productAvailability(b.product)];
      expect([availableA, availableB]).toEqual([40 + 6 - 30, 40 + 6 - 30]);
      expect((await eventsOf(a.product)).at(-1)!.availableQuantity).toBe(availableA);
      expect((await eventsOf(b.product)).at(-1)!.availableQuantity).toBe(availableB);
    }, 30_000);
  });

  describe('stockChanged', () => {
    it('passes on the variants of an event, and reads an event from before variants as its default variant', () => {
      const resolver = new StockChangeResolver();
      const productId = randomUUID();
      const variantId = randomUUID();
      const changedAt = new Date().toISOString();
      expect(resolver.stockChanged({ productId, variantIds: [variantId], availableQuantity: 3, inStock: true, changedAt }).variantIds).toEqual([variantId]);
      expect(resolver.stockChanged({ productId, availableQuantity: 3, inStock: true, changedAt }).variantIds).toEqual([productId]);
    });
  });
});
