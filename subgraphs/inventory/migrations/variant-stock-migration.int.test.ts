import { randomUUID } from 'node:crypto';
import { DEMO_USERS, DEMO_WAREHOUSES, demoCatalog } from '../../../lib/demo-data';
import { Role, type Viewer } from '../../../lib/identity';
import { createLogger } from '../../../lib/logger';
import { startTestSubgraph, type TestSubgraph } from '../../../test/subgraph-harness';
import { inventorySubgraph } from '../inventory.server';

const CUSTOMER: Viewer = { id: DEMO_USERS.find((u) => u.role === 'CUSTOMER')!.id, role: Role.CUSTOMER };

/**
 * Migration20261130150000_variant_stock on a database holding stock from
 * before variants: the rows become the default variants' (variant_id =
 * product_id), reservations taken before it can still be given back, the
 * demo seed adds only the other variants' stock, and down refuses once
 * another variant holds stock.
 */
describe('migration to stock per variant', () => {
  let inventory: TestSubgraph;
  const demo = demoCatalog();
  const sql = <T extends Record<string, unknown>[] = Record<string, unknown>[]>(query: string, params: unknown[] = []) =>
    inventory.orm.em.fork().getConnection().execute<T>(query, params);
  const constraints = async (table: string) =>
    (await sql<{ conname: string }[]>(`select conname from pg_constraint where conrelid = ?::regclass and contype = 'u' order by conname`, [table])).map((c) => c.conname);

  beforeAll(async () => {
    inventory = await startTestSubgraph(inventorySubgraph);
  });
  afterAll(() => inventory?.stop());

  jest.setTimeout(60_000);

  it('carries existing stock, reservations and movements over as the default variants', async () => {
    const migrator = inventory.orm.getMigrator();
    // Back to the schema before variants (the database is empty, so down may).
    await migrator.down({ to: 'Migration20261130150000_variant_stock' });
    expect((await migrator.getExecutedMigrations()).at(-1)!.name).toBe('Migration20261122031709_reservations');
    expect(await constraints('stock_level')).toEqual(['stock_level_product_id_warehouse_id_unique']);

    for (const w of DEMO_WAREHOUSES) await sql(`insert into warehouse (id, code, name, created_at) values (?, ?, ?, now())`, [w.id, w.code, w.name]);
    // The stock of the demo products' default variants, as a database seeded before variants holds it, with counts changed since.
    const defaults = demo.stock.filter((s) => s.variantId === s.productId);
    await sql(
      `insert into stock_level (id, product_id, warehouse_id, on_hand, reserved, updated_at) values ${defaults.map(() => '(?, ?, ?, ?, 0, now())').join(', ')}`,
      defaults.flatMap((s) => [randomUUID(), s.productId, s.warehouseId, s.onHand + 100]),
    );
    const held = defaults.find((s) => s.onHand > 0)!;
    const orderId = randomUUID();
    const reservationId = randomUUID();
    await sql(`update stock_level set reserved = 2 where product_id = ? and warehouse_id = ?`, [held.productId, held.warehouseId]);
    await sql(`insert into reservation (id, order_id, status, expires_at, created_at, updated_at) values (?, ?, 'ACTIVE', now() + interval '1 hour', now(), now())`, [reservationId, orderId]);
    await sql(`insert into reservation_line (id, reservation_id, product_id, warehouse_id, quantity) values (?, ?, ?, ?, 2)`, [randomUUID(), reservationId, held.productId, held.warehouseId]);
    await sql(`insert into stock_movement (id, product_id, warehouse_id, kind, delta, reserved_delta, created_at) values (?, ?, ?, 'RESERVE', 0, 2, now())`, [randomUUID(), held.productId, held.warehouseId]);

    // Up to now: the code below runs on the current schema (product_stock counts the stock carried over).
    await migrator.up();
    expect((await migrator.getExecutedMigrations()).map((m) => m.name)).toContain('Migration20261130150000_variant_stock');
    for (const table of ['stock_level', 'reservation_line', 'stock_movement']) {
      const [{ total, carried }] = await sql<{ total: string; carried: string }[]>(`select count(*) as total, count(*) filter (where variant_id = product_id) as carried from ${table}`);
      expect({ table, total: Number(total) > 0, carried }).toEqual({ table, total: true, carried: total });
    }
    expect(await constraints('stock_level')).toEqual(['stock_level_variant_id_warehouse_id_unique']);
    expect(await constraints('reservation_line')).toEqual(['reservation_line_reservation_variant_warehouse_unique']);
    expect(await sql(`select indexname from pg_indexes where tablename = 'stock_level' and indexname = 'stock_level_product_id_index'`)).toHaveLength(1);

    // The default variant (the product's id) has the stock the product had; the reservation from before still gives back its units.
    const onHand = defaults.filter((s) => s.productId === held.productId).reduce((sum, s) => sum + s.onHand + 100, 0);
    const variant = await inventory.query<{ _entities: { availableQuantity: number }[] }>(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on ProductVariant { availableQuantity } } }',
      { r: [{ __typename: 'ProductVariant', id: held.productId }] },
    );
    expect(variant.data!._entities[0].availableQuantity).toBe(onHand - 2);
    const released = await inventory.query('mutation($o: ID!) { releaseReservation(orderId: $o) }', { o: orderId }, CUSTOMER);
    expect(released.errors).toBeUndefined();
    const [level] = await sql<{ reserved: number }[]>(`select reserved from stock_level where product_id = ? and warehouse_id = ?`, [held.productId, held.warehouseId]);
    expect(level.reserved).toBe(0);

    // The demo seed adds the other variants' stock only, and leaves the counts of existing rows alone.
    const seed = () => inventorySubgraph.seed!(inventory.orm.em.fork(), createLogger('inventory', 'silent'));
    await seed();
    await seed();
    const [{ count }] = await sql<{ count: string }[]>(`select count(*) from stock_level`);
    expect(Number(count)).toBe(demo.stock.length);
    const [{ changed }] = await sql<{ changed: string }[]>(`select count(*) as changed from stock_level where variant_id = product_id and on_hand < 100`);
    expect(Number(changed)).toBe(0);
    expect(demo.stock.length).toBeGreaterThan(defaults.length);
  });

  it('refuses to go back down while a variant other than a default one holds stock, and goes down once none does', async () => {
    const migrator = inventory.orm.getMigrator();
    await migrator.down({ to: 'Migration20261207120000_product_stock' });
    await expect(migrator.down()).rejects.toThrow(/cannot be folded back/);
    expect((await migrator.getExecutedMigrations()).at(-1)!.name).toBe('Migration20261130150000_variant_stock');

    await sql(`delete from stock_level where variant_id <> product_id`);
    await sql(`delete from stock_movement where variant_id <> product_id`);
    await migrator.down();
    expect(await constraints('stock_level')).toEqual(['stock_level_product_id_warehouse_id_unique']);
    expect(await constraints('reservation_line')).toEqual(['reservation_line_reservation_product_warehouse_unique']);
    await migrator.up();
    expect(await constraints('stock_level')).toEqual(['stock_level_variant_id_warehouse_id_unique']);
  });
});
