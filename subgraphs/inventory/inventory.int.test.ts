import { randomUUID } from 'node:crypto';
import { DEMO_USERS, DEMO_WAREHOUSES, demoCatalog } from '../../lib/demo-data';
import { Topics } from '../../lib/events';
import { Role, type Viewer } from '../../lib/identity';
import { createLogger } from '../../lib/logger';
import { OutboxEvent } from '../../lib/outbox';
import type { EventBus } from '../../lib/event-bus';
import type { SubgraphClients } from '../../lib/subgraph-client';
import { countStatements } from '../../test/sql-counter';
import { startTestSubgraph, type TestSubgraph } from '../../test/subgraph-harness';
import { readSubgraphConfig } from '../../lib/subgraph';
import { inventorySubgraph } from './inventory.server';
import { StockLevel } from './stock/stock-level.entity';
import { StockMovement } from './stock/stock-movement.entity';
import { Warehouse } from './warehouse/warehouse.entity';
import { eventually } from '../../test/wait';

const ADMIN: Viewer = { id: DEMO_USERS.find((u) => u.role === 'ADMIN')!.id, role: Role.ADMIN };
const CUSTOMER: Viewer = { id: DEMO_USERS.find((u) => u.role === 'CUSTOMER')!.id, role: Role.CUSTOMER };

const ENTITIES = `query Stock($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Product { id inStock availableQuantity } }
}`;

const ENTITIES_WITH_LEVELS = `query StockLevels($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Product { id inStock availableQuantity stockLevels { warehouse { code } onHand reserved available } }
  }
}`;

const PRODUCT_LEVELS_WITH_VARIANTS = `query StockLevels($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Product { id stockLevels { variant { id } warehouse { code } onHand reserved available } }
  }
}`;

type ProductStock = { id: string; inStock: boolean; availableQuantity: number };
type ProductStockLevels = ProductStock & {
  stockLevels: { warehouse: { code: string }; onHand: number; reserved: number; available: number }[];
};

const representations = (ids: string[]) => ids.map((id) => ({ __typename: 'Product', id }));

describe('inventory subgraph', () => {
  let inventory: TestSubgraph;
  const demo = demoCatalog();
  const codeOf = new Map(DEMO_WAREHOUSES.map((w) => [w.id, w.code]));
  const onHandOf = new Map<string, number>();
  for (const stock of demo.stock) onHandOf.set(stock.productId, (onHandOf.get(stock.productId) ?? 0) + stock.onHand);
  const soldOut = demo.products.filter((p) => onHandOf.get(p.id) === 0);
  const available = demo.products.filter((p) => (onHandOf.get(p.id) ?? 0) > 0);

  beforeAll(async () => {
    inventory = await startTestSubgraph(inventorySubgraph, { seed: true });
  });
  afterAll(() => inventory?.stop());

  it('resolves every demo product with its availability, and unknown ids as out of stock', async () => {
    expect(soldOut.length).toBeGreaterThan(0);
    const unknown = '00000000-0000-4000-8000-000000000000';
    const ids = [...demo.products.map((p) => p.id), unknown, 'not-a-uuid'];
    const result = await inventory.query<{ _entities: ProductStock[] }>(ENTITIES, { representations: representations(ids) });
    expect(result.errors).toBeUndefined();
    const entities = result.data!._entities;
    expect(entities).toHaveLength(ids.length);
    demo.products.forEach((product, index) => {
      const quantity = onHandOf.get(product.id) ?? 0;
      expect(entities[index]).toEqual({ id: product.id, availableQuantity: quantity, inStock: quantity > 0 });
    });
    expect(entities.slice(0, demo.products.length).filter((e) => !e.inStock)).toHaveLength(soldOut.length);
    expect(entities.slice(-2)).toEqual([
      { id: unknown, availableQuantity: 0, inStock: false },
      { id: 'not-a-uuid', availableQuantity: 0, inStock: false },
    ]);
  });

  it('subtracts reserved units from what is available', async () => {
    const product = available.find((p) => demo.stock.filter((s) => s.productId === p.id && s.onHand >= 3).length > 0)!;
    const em = inventory.orm.em.fork();
    const level = await em.findOneOrFail(StockLevel, { productId: product.id, onHand: { $gte: 3 } });
    const before = onHandOf.get(product.id)!;
    level.reserved = level.onHand;
    await em.flush();
    try {
      const result = await inventory.query<{ _entities: ProductStockLevels[] }>(ENTITIES_WITH_LEVELS, { representations: representations([product.id]) }, ADMIN);
      expect(result.errors).toBeUndefined();
      const [entity] = result.data!._entities;
      expect(entity.availableQuantity).toBe(before - level.onHand);
      expect(entity.inStock).toBe(before - level.onHand > 0);
      const reservedLevel = entity.stockLevels.find((l) => l.warehouse.code === codeOf.get(level.warehouse.id))!;
      expect(reservedLevel).toEqual({ warehouse: { code: codeOf.get(level.warehouse.id) }, onHand: level.onHand, reserved: level.onHand, available: 0 });
    } finally {
      level.reserved = 0;
      await em.flush();
    }
  });

  it('refuses stock rows that would reserve more than is on hand, or a negative reservation', async () => {
    const connection = inventory.orm.em.fork().getConnection();
    const [{ id, on_hand: onHand }] = await connection.execute<{ id: string; on_hand: number }[]>('select id, on_hand from stock_level limit 1');
    await expect(connection.execute('update stock_level set reserved = ? where id = ?', [onHand + 1, id])).rejects.toMatchObject({ code: '23514' });
    await expect(connection.execute('update stock_level set reserved = -1 where id = ?', [id])).rejects.toMatchObject({ code: '23514' });
  });

  it('shows stock levels per warehouse to an ADMIN only', async () => {
    const product = demo.products[0];
    const variables = { representations: representations([product.id]) };

    const asAdmin = await inventory.query<{ _entities: ProductStockLevels[] }>(PRODUCT_LEVELS_WITH_VARIANTS, variables, ADMIN);
    expect(asAdmin.errors).toBeUndefined();
    // One level per variant and warehouse, by warehouse code, then variant id.
    const expected = demo.stock
      .filter((s) => s.productId === product.id)
      .map((s) => ({ variant: { id: s.variantId }, warehouse: { code: codeOf.get(s.warehouseId)! }, onHand: s.onHand, reserved: 0, available: s.onHand }))
      .sort((a, b) => a.warehouse.code.localeCompare(b.warehouse.code) || a.variant.id.localeCompare(b.variant.id));
    expect(expected.length).toBeGreaterThan(0);
    expect(asAdmin.data!._entities[0].stockLevels).toEqual(expected);

    const asCustomer = await inventory.query(ENTITIES_WITH_LEVELS, variables, CUSTOMER);
    expect(asCustomer.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(asCustomer.errors?.[0].path).toEqual(['_entities', 0, 'stockLevels']);

    const anonymous = await inventory.query(ENTITIES_WITH_LEVELS, variables);
    expect(anonymous.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);

    // The public stock fields stay readable for everyone.
    const publicFields = await inventory.query<{ _entities: ProductStock[] }>(ENTITIES, variables, CUSTOMER);
    expect(publicFields.errors).toBeUndefined();
    expect(publicFields.data!._entities[0].availableQuantity).toBe(onHandOf.get(product.id));
  });

  it('gives unknown products no stock levels', async () => {
    const result = await inventory.query<{ _entities: ProductStockLevels[] }>(
      ENTITIES_WITH_LEVELS,
      { representations: representations(['00000000-0000-4000-8000-000000000000', 'nope']) },
      ADMIN,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities.map((e) => e.stockLevels)).toEqual([[], []]);
  });

  it('lists warehouses by code to an ADMIN only', async () => {
    const query = '{ warehouses { id code name } }';
    const asAdmin = await inventory.query<{ warehouses: { id: string; code: string; name: string }[] }>(query, {}, ADMIN);
    expect(asAdmin.errors).toBeUndefined();
    expect(asAdmin.data!.warehouses).toEqual([...DEMO_WAREHOUSES].sort((a, b) => a.code.localeCompare(b.code)).map(({ id, code, name }) => ({ id, code, name })));

    const asCustomer = await inventory.query(query, {}, CUSTOMER);
    expect(asCustomer.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(asCustomer.data).toBeNull();
    const anonymous = await inventory.query(query);
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('resolves 50 products with the same number of SQL statements as 5', async () => {
    const counter = countStatements(inventory.orm);
    try {
      const measure = async (ids: string[]) => {
        counter.reset();
        const result = await inventory.query<{ _entities: ProductStockLevels[] }>(ENTITIES_WITH_LEVELS, { representations: representations(ids) }, ADMIN);
        expect(result.errors).toBeUndefined();
        expect(result.data!._entities).toHaveLength(ids.length);
        expect(result.data!._entities.every((e) => e.stockLevels.length > 0)).toBe(true);
        return [...counter.statements];
      };
      const five = await measure(demo.products.slice(0, 5).map((p) => p.id));
      const fifty = await measure(demo.products.slice(0, 50).map((p) => p.id));
      // availability, stock levels, warehouses: one statement each
      expect(five).toHaveLength(3);
      expect(fifty).toHaveLength(five.length);
    } finally {
      counter.detach();
    }
  });

  it('seeds idempotently', async () => {
    const em = inventory.orm.em.fork();
    const before = { warehouses: await em.count(Warehouse), levels: await em.count(StockLevel) };
    expect(before).toEqual({ warehouses: DEMO_WAREHOUSES.length, levels: demo.stock.length });
    await inventorySubgraph.seed!(inventory.orm.em.fork(), createLogger('inventory', 'silent'));
    const after = { warehouses: await em.count(Warehouse), levels: await em.count(StockLevel) };
    expect(after).toEqual(before);
  });

  describe('adjustStock', () => {
    const ADJUST = `mutation Adjust($productId: ID!, $warehouseId: ID!, $delta: Int!, $reason: String) {
      adjustStock(productId: $productId, warehouseId: $warehouseId, delta: $delta, reason: $reason) { warehouse { id code } onHand reserved available }
    }`;
    type Adjusted = { adjustStock: { warehouse: { id: string; code: string }; onHand: number; reserved: number; available: number } };
    const adjust = (variables: Record<string, unknown>, viewer: Viewer | null = ADMIN) => inventory.query<Adjusted>(ADJUST, variables, viewer);
    const [ams, chi] = DEMO_WAREHOUSES;
    const events = async (productId: string) =>
      (await inventory.orm.em.fork().find(OutboxEvent, { topic: Topics.STOCK_CHANGED, key: productId }, { orderBy: { id: 'asc' } })).map((e) => e.payload);

    it('adds and removes units, recording the movement and a STOCK_CHANGED event', async () => {
      const product = available.find((p) => demo.stock.some((s) => s.productId === p.id && s.warehouseId === ams.id && s.onHand > 0))!;
      const onHand = demo.stock.find((s) => s.productId === product.id && s.warehouseId === ams.id)!.onHand;
      const total = onHandOf.get(product.id)!;

      const added = await adjust({ productId: product.id, warehouseId: ams.id, delta: 7, reason: '  cycle count  ' });
      expect(added.errors).toBeUndefined();
      expect(added.data!.adjustStock).toEqual({ warehouse: { id: ams.id, code: ams.code }, onHand: onHand + 7, reserved: 0, available: onHand + 7 });
      const removed = await adjust({ productId: product.id, warehouseId: ams.id, delta: -7 });
      expect(removed.data!.adjustStock.onHand).toBe(onHand);

      // Two requests may fall in the same millisecond, so order by what they did.
      const movements = await inventory.orm.em.fork().find(StockMovement, { productId: product.id }, { orderBy: { delta: 'desc' } });
      expect(movements.map((m) => ({ kind: m.kind, warehouse: m.warehouse.id, delta: m.delta, reservedDelta: m.reservedDelta, reason: m.reason, actorId: m.actorId, orderId: m.orderId }))).toEqual([
        { kind: 'ADJUSTMENT', warehouse: ams.id, delta: 7, reservedDelta: 0, reason: 'cycle count', actorId: ADMIN.id, orderId: null },
        { kind: 'ADJUSTMENT', warehouse: ams.id, delta: -7, reservedDelta: 0, reason: null, actorId: ADMIN.id, orderId: null },
      ]);
      expect(await events(product.id)).toEqual([
        { productId: product.id, variantIds: [product.id], availableQuantity: total + 7, inStock: true, wasInStock: true, changedAt: expect.any(String) },
        { productId: product.id, variantIds: [product.id], availableQuantity: total, inStock: true, wasInStock: true, changedAt: expect.any(String) },
      ]);
    });

    it('stocks a product id catalog may not know yet in a new warehouse', async () => {
      const productId = randomUUID().toUpperCase();
      const result = await adjust({ productId, warehouseId: chi.id, delta: 4 });
      expect(result.errors).toBeUndefined();
      expect(result.data!.adjustStock).toMatchObject({ warehouse: { code: chi.code }, onHand: 4, reserved: 0, available: 4 });
      const stock = await inventory.query<{ _entities: ProductStock[] }>(ENTITIES, { representations: representations([productId]) });
      expect(stock.data!._entities).toEqual([{ id: productId, inStock: true, availableQuantity: 4 }]);
      expect(await events(productId.toLowerCase())).toEqual([
        { productId: productId.toLowerCase(), variantIds: [productId.toLowerCase()], availableQuantity: 4, inStock: true, wasInStock: false, changedAt: expect.any(String) },
      ]);
    });

    it('never takes onHand below reserved or below zero', async () => {
      const productId = randomUUID();
      await adjust({ productId, warehouseId: ams.id, delta: 5 });
      const reserve = await inventory.query('mutation($o: ID!, $l: [StockLineInput!]!) { reserveStock(orderId: $o, lines: $l) }', { o: randomUUID(), l: [{ productId, quantity: 3 }] });
      expect(reserve.errors).toBeUndefined();

      const tooMany = await adjust({ productId, warehouseId: ams.id, delta: -3 });
      expect(tooMany.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(tooMany.errors![0].message).toMatch(/below the 3 reserved/);
      const allowed = await adjust({ productId, warehouseId: ams.id, delta: -2 });
      expect(allowed.data!.adjustStock).toMatchObject({ onHand: 3, reserved: 3, available: 0 });

      // No stock row in that warehouse: nothing to remove, and no row is left behind.
      const empty = await adjust({ productId, warehouseId: chi.id, delta: -1 });
      expect(empty.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(await inventory.orm.em.fork().count(StockLevel, { productId })).toBe(1);
      expect((await events(productId)).map((e) => e.availableQuantity)).toEqual([5, 2, 0]);
    });

    it('answers bad input with a stable code and changes nothing', async () => {
      const product = demo.products[0].id;
      const cases: [string, Record<string, unknown>, string][] = [
        ['unknown warehouse', { productId: product, warehouseId: randomUUID(), delta: 1 }, 'NOT_FOUND'],
        ['malformed warehouse id', { productId: product, warehouseId: 'AMS', delta: 1 }, 'NOT_FOUND'],
        ['malformed product id', { productId: 'shoe-1', warehouseId: ams.id, delta: 1 }, 'BAD_USER_INPUT'],
        ['zero delta', { productId: product, warehouseId: ams.id, delta: 0 }, 'BAD_USER_INPUT'],
        ['reason too long', { productId: product, warehouseId: ams.id, delta: 1, reason: 'x'.repeat(501) }, 'BAD_USER_INPUT'],
      ];
      const movementsBefore = await inventory.orm.em.fork().count(StockMovement);
      for (const [name, variables, code] of cases) {
        const result = await adjust(variables);
        expect({ name, codes: result.errors?.map((e) => e.extensions?.code) }).toEqual({ name, codes: [code] });
        expect(result.data).toBeNull();
      }
      expect(await inventory.orm.em.fork().count(StockMovement)).toBe(movementsBefore);
    });

    it('is for ADMINs only', async () => {
      const variables = { productId: demo.products[0].id, warehouseId: ams.id, delta: 1 };
      expect((await adjust(variables, CUSTOMER)).errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      expect((await adjust(variables, null)).errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    });
  });

  it('keeps the checkout operations out of the public API and declares stockChanged', async () => {
    const sdl = await inventory.query<{ _service: { sdl: string } }>('{ _service { sdl } }');
    const compact = sdl.data!._service.sdl.replace(/"""[\s\S]*?"""/g, '').replace(/\s+/g, ' ');
    expect(compact).toContain('stockChanged( productIds: [ID!] ): StockChange!');
    expect(compact).toContain('adjustStock( productId: ID! warehouseId: ID! delta: Int! reason: String variantId: ID ): StockLevel!');
    expect(compact).toContain('reserveStock( orderId: ID! lines: [StockLineInput!]! ttlSeconds: Int = 900 ): Boolean! @inaccessible');
    expect(compact).toContain('releaseReservation( orderId: ID! ): Boolean! @inaccessible');
    expect(compact).toContain('commitReservation( orderId: ID! ): Boolean! @inaccessible');
    expect(compact).toContain('input StockLineInput @inaccessible { productId: ID! quantity: Int! variantId: ID }');
    expect(compact).toContain('type StockChange { product: Product! availableQuantity: Int! inStock: Boolean! changedAt: DateTimeISO! variantIds: [ID!]! }');
    expect(compact).toContain('variant: ProductVariant!');
    expect(compact).toContain('type ProductVariant @key(fields: "id") { id: ID! inStock: Boolean! @cacheControl(maxAge: 60, onlyWithInvalidation: true) availableQuantity: Int! @cacheControl(maxAge: 60, onlyWithInvalidation: true) stockLevels: [StockLevel!]! @listSize(assumedSize: 10) @cacheControl(scope: PRIVATE) }');
    expect(compact).toContain('union _Entity = Product | ProductVariant');
  });

  it('sweeps expired reservations in the background at RESERVATION_SWEEP_INTERVAL_MS', async () => {
    const tasks = inventorySubgraph.startBackgroundTasks!({
      orm: inventory.orm,
      logger: createLogger('inventory', 'silent'),
      clients: {} as SubgraphClients,
      events: {} as EventBus,
      settings: { production: false },
      config: readSubgraphConfig(inventorySubgraph, { RESERVATION_SWEEP_INTERVAL_MS: '100' }),
    });
    try {
      const productId = randomUUID();
      await inventory.query('mutation($p: ID!, $w: ID!) { adjustStock(productId: $p, warehouseId: $w, delta: 2) { onHand } }', { p: productId, w: DEMO_WAREHOUSES[0].id }, ADMIN);
      const reserved = await inventory.query('mutation($o: ID!, $l: [StockLineInput!]!) { reserveStock(orderId: $o, lines: $l, ttlSeconds: 1) }', { o: randomUUID(), l: [{ productId, quantity: 2 }] });
      expect(reserved.errors).toBeUndefined();
      const availability = async () =>
        (await inventory.query<{ _entities: ProductStock[] }>(ENTITIES, { representations: representations([productId]) })).data!._entities[0].availableQuantity;
      expect(await availability()).toBe(0);
      const released = await eventually(async () => {
        const available = await availability();
        return available === 0 ? undefined : available;
      }, 'the sweeper to release the reservation');
      expect(released).toBe(2);
    } finally {
      await Promise.all(tasks.map((task) => task.stop()));
    }
  });
});
