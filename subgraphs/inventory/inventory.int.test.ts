import { DEMO_USERS, DEMO_WAREHOUSES, demoCatalog } from '../../lib/demo-data';
import { Role, type Viewer } from '../../lib/identity';
import { createLogger } from '../../lib/logger';
import { countStatements } from '../../test/sql-counter';
import { startTestSubgraph, type TestSubgraph } from '../../test/subgraph-harness';
import { inventorySubgraph } from './inventory.server';
import { StockLevel } from './stock/stock-level.entity';
import { Warehouse } from './warehouse/warehouse.entity';

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

    const asAdmin = await inventory.query<{ _entities: ProductStockLevels[] }>(ENTITIES_WITH_LEVELS, variables, ADMIN);
    expect(asAdmin.errors).toBeUndefined();
    const expected = demo.stock
      .filter((s) => s.productId === product.id)
      .map((s) => ({ warehouse: { code: codeOf.get(s.warehouseId)! }, onHand: s.onHand, reserved: 0, available: s.onHand }))
      .sort((a, b) => a.warehouse.code.localeCompare(b.warehouse.code));
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

  it('declares adjustStock for ADMINs and stockChanged, not built yet', async () => {
    const mutation = `mutation { adjustStock(productId: "${demo.products[0].id}", warehouseId: "${DEMO_WAREHOUSES[0].id}", delta: 1) { onHand } }`;
    expect((await inventory.query(mutation, {}, CUSTOMER)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await inventory.query(mutation, {}, ADMIN)).errors?.[0].extensions?.code).toBe('NOT_IMPLEMENTED');

    const sdl = await inventory.query<{ _service: { sdl: string } }>('{ _service { sdl } }');
    const compact = sdl.data!._service.sdl.replace(/"""[\s\S]*?"""/g, '').replace(/\s+/g, ' ');
    expect(compact).toContain('stockChanged( productIds: [ID!] ): StockChange!');
    expect(compact).toContain('adjustStock( productId: ID! warehouseId: ID! delta: Int! reason: String ): StockLevel!');
  });
});
