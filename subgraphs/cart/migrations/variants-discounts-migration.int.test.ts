import { randomUUID } from 'node:crypto';
import { startTestSubgraph, type TestSubgraph } from '../../../test/subgraph-harness';
import { cartSubgraph } from '../cart.server';

/**
 * Migration20261130150000_variants_discounts on a database holding carts from
 * before variants: every line becomes a line of its product's default variant
 * (variant_id = product_id), one line per variant from then on, and carts
 * start without a discount code.
 */
describe('migration to variant lines and discount codes', () => {
  let cart: TestSubgraph;
  const sql = <T extends Record<string, unknown>[] = Record<string, unknown>[]>(query: string, params: unknown[] = []) => cart.orm.em.fork().getConnection().execute<T>(query, params);
  const constraints = async (table: string) =>
    (await sql<{ conname: string }[]>(`select conname from pg_constraint where conrelid = ?::regclass and contype = 'u' order by conname`, [table])).map((c) => c.conname);

  beforeAll(async () => {
    cart = await startTestSubgraph(cartSubgraph);
  });
  afterAll(() => cart?.stop());

  it('carries existing lines over as lines of the default variants', async () => {
    const migrator = cart.orm.getMigrator();
    await migrator.down();
    expect((await migrator.getExecutedMigrations()).at(-1)!.name).toBe('Migration20261122031501_checkout_order');
    expect(await constraints('cart_item')).toEqual(['cart_item_cart_id_product_id_unique']);

    const [cartId, productA, productB] = [randomUUID(), randomUUID(), randomUUID()];
    await sql(`insert into cart (id, user_id, status, created_at, updated_at) values (?, null, 'ACTIVE', now(), now())`, [cartId]);
    for (const [productId, quantity] of [
      [productA, 2],
      [productB, 5],
    ] as const) {
      await sql(`insert into cart_item (id, cart_id, product_id, quantity, created_at) values (?, ?, ?, ?, now())`, [randomUUID(), cartId, productId, quantity]);
    }

    await migrator.up();
    expect((await migrator.getExecutedMigrations()).at(-1)!.name).toBe('Migration20261130150000_variants_discounts');
    expect(await sql(`select product_id, variant_id, quantity from cart_item order by quantity`)).toEqual([
      { product_id: productA, variant_id: productA, quantity: 2 },
      { product_id: productB, variant_id: productB, quantity: 5 },
    ]);
    expect(await sql(`select discount_code_id from cart`)).toEqual([{ discount_code_id: null }]);
    expect(await constraints('cart_item')).toEqual(['cart_item_cart_id_variant_id_unique']);
    expect(await constraints('discount_code')).toEqual(['discount_code_code_unique']);

    // Another variant of a product is a line of its own; the same variant twice is refused.
    await sql(`insert into cart_item (id, cart_id, product_id, variant_id, quantity, created_at) values (?, ?, ?, ?, 1, now())`, [randomUUID(), cartId, productA, randomUUID()]);
    await expect(sql(`insert into cart_item (id, cart_id, product_id, variant_id, quantity, created_at) values (?, ?, ?, ?, 1, now())`, [randomUUID(), cartId, productA, productA])).rejects.toThrow(
      /cart_item_cart_id_variant_id_unique/,
    );
  });

  it('checks discount codes in the database too', async () => {
    const insert = (code: string, kind: string, value: number, extra = '') =>
      sql(`insert into discount_code (id, code, kind, value, currency, created_at${extra ? ', starts_at, ends_at' : ''}) values (?, ?, ?, ?, 'USD', now()${extra})`, [randomUUID(), code, kind, value]);
    await expect(insert('lower', 'PERCENTAGE', 10)).rejects.toThrow(/discount_code_code_format/);
    await expect(insert('BIG', 'PERCENTAGE', 101)).rejects.toThrow(/discount_code_value_range/);
    await expect(insert('ZERO', 'FIXED_AMOUNT', 0)).rejects.toThrow(/discount_code_value_range/);
    await expect(insert('BACKWARDS', 'PERCENTAGE', 5, `, now(), now() - interval '1 day'`)).rejects.toThrow(/discount_code_window/);
    await insert('FINE', 'FIXED_AMOUNT', 100000);
    await expect(insert('FINE', 'PERCENTAGE', 5)).rejects.toThrow(/discount_code_code_unique/);
  });
});
