import { Migrator } from '@mikro-orm/migrations';
import { MikroORM } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { databaseName, databaseUrl, dropDatabase, ensureDatabase, openDatabase } from '../../../lib/database';
import { testDatabasePrefix, testServerUrl } from '../../../test/subgraph-harness';
import { DiscountRedemption } from '../discount/discount-redemption.entity';
import { OrderItem } from '../order-item/order-item.entity';
import { Order } from '../order/order.entity';
import { ordersSubgraph } from '../orders.server';
import { ordersMigrations } from './index';

/**
 * The migration that adds variants, the cost breakdown, the shipping method
 * and discount redemptions, run over a database holding orders placed
 * before it: they must come out as the model says old orders are.
 */
describe('migration: variants, cost breakdown, shipping method, discount redemptions', () => {
  const url = databaseUrl(testServerUrl(), databaseName(testDatabasePrefix(), 'orders_migration'));
  let orm: MikroORM | undefined;
  const [paidId, cancelledId, userId] = [randomUUID(), randomUUID(), randomUUID()];
  const [productA, productB] = [randomUUID(), randomUUID()];

  beforeAll(async () => {
    await dropDatabase(url);
    await ensureDatabase(url);
    // The database as it was: every migration before this one (later ones may follow it), and orders placed then.
    const before = await MikroORM.init({
      clientUrl: url,
      entities: [],
      discovery: { warnWhenNoEntities: false },
      extensions: [Migrator],
      migrations: { migrationsList: ordersMigrations.slice(0, ordersMigrations.findIndex((m) => m.name === 'Migration20261130160000_variants_cost_discounts')), transactional: true, allOrNothing: true, snapshot: false, tableName: 'mikro_orm_migrations' },
      allowGlobalContext: true,
      forceUtcTimezone: true,
      logger: () => undefined,
    });
    try {
      await before.getMigrator().up();
      const sql = before.em.getConnection();
      const insertOrder = `insert into customer_order (id, user_id, status, total_amount, currency, shipping_line1, shipping_city, shipping_postal_code, shipping_country, created_at, updated_at, stock_committed, stock_released, cart_completed, refund_status, refunded_amount)
        values (?, ?, ?, ?, 'USD', 'Main Street 1', 'Springfield', '12345', 'US', now(), now(), ?, ?, true, ?, ?)`;
      await sql.execute(insertOrder, [paidId, userId, 'PAID', 3 * 1299 + 2500, true, false, null, 0]);
      await sql.execute(insertOrder, [cancelledId, userId, 'CANCELLED', 999, false, true, 'REFUNDED', 999]);
      const insertItem = `insert into order_item (id, order_id, product_id, quantity, unit_price_amount, currency) values (?, ?, ?, ?, ?, 'USD')`;
      await sql.execute(insertItem, [randomUUID(), paidId, productA, 3, 1299]);
      await sql.execute(insertItem, [randomUUID(), paidId, productB, 1, 2500]);
      await sql.execute(insertItem, [randomUUID(), cancelledId, productA, 1, 999]);
    } finally {
      await before.close(true);
    }
    // The subgraph starting on it: the pending migrations run.
    ({ orm } = await openDatabase(ordersSubgraph.database!, { url }));
  }, 30_000);
  afterAll(async () => {
    await orm?.close(true);
    await dropDatabase(url);
  });

  it('gives old orders a breakdown of subtotal = total and nothing else, no shipping method and no codes', async () => {
    const em = orm!.em.fork();
    const paid = await em.findOneOrFail(Order, { id: paidId });
    expect(paid).toMatchObject({
      totalAmount: 3 * 1299 + 2500,
      subtotalAmount: 3 * 1299 + 2500,
      discountsAmount: 0,
      shippingAmount: 0,
      taxAmount: 0,
      shippingMethodId: null,
      shippingMethodName: null,
      shippingMethodDescription: null,
      discountCodes: [],
    });
    expect(await em.findOneOrFail(Order, { id: cancelledId })).toMatchObject({ totalAmount: 999, subtotalAmount: 999, refundedAmount: 999, discountCodes: [] });
    expect(await em.count(DiscountRedemption, {})).toBe(0);
  });

  it("gives old order lines the product's default variant, whose id is the product's", async () => {
    const items = await orm!.em.fork().find(OrderItem, { order: paidId }, { orderBy: { productId: 'asc' } });
    expect(items.map((item) => [item.productId, item.variantId, item.quantity])).toEqual(
      [
        [productA, productA, 3],
        [productB, productB, 1],
      ].sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1)),
    );
  });

  it('lets an order hold two variants of one product, not one variant twice, and keeps the total equal to its breakdown', async () => {
    const sql = orm!.em.getConnection();
    const insertItem = `insert into order_item (id, order_id, product_id, variant_id, quantity, unit_price_amount, currency) values (?, ?, ?, ?, 1, 100, 'USD')`;
    const otherVariant = randomUUID();
    await sql.execute(insertItem, [randomUUID(), paidId, productA, otherVariant]);
    await expect(sql.execute(insertItem, [randomUUID(), paidId, productA, otherVariant])).rejects.toThrow(/order_item_order_id_variant_id_unique/);
    await expect(sql.execute(`update customer_order set shipping_amount = 500 where id = ?`, [paidId])).rejects.toThrow(/customer_order_cost_total_check/);
    await expect(sql.execute(`update customer_order set discounts_amount = subtotal_amount + 1, total_amount = -1 where id = ?`, [paidId])).rejects.toThrow(/check/);
  });

  it('keeps one redemption per order, and drops it with its order', async () => {
    const sql = orm!.em.getConnection();
    const insert = `insert into discount_redemption (id, code_id, code, order_id, user_id, amount, currency, created_at) values (?, ?, 'SAVE10', ?, ?, 100, 'USD', now())`;
    const codeId = randomUUID();
    await sql.execute(insert, [randomUUID(), codeId, cancelledId, userId]);
    await expect(sql.execute(insert, [randomUUID(), codeId, cancelledId, userId])).rejects.toThrow(/discount_redemption_order_id_unique/);
    await sql.execute(`delete from customer_order where id = ?`, [cancelledId]);
    expect(await orm!.em.fork().count(DiscountRedemption, {})).toBe(0);
  });
});
