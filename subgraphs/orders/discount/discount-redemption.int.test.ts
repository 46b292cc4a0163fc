import { randomUUID } from 'node:crypto';
import { createLogger } from '../../../lib/logger';
import { closeSubgraphClients, createSubgraphClients, type SubgraphClients } from '../../../lib/subgraph-client';
import { subgraphUrlsFromEnv } from '../../../lib/subgraph-names';
import { startTestSubgraph, TEST_INTERNAL_SECRET, type TestSubgraph } from '../../../test/subgraph-harness';
import { CHECKOUT_ABANDONED_NOTE, CheckoutSteps, PAYMENT_DECLINED_NOTE } from '../checkout/checkout-steps';
import type { CheckoutQuote } from '../checkout/checkout.operations';
import { OrderStatus } from '../order-status/order-status.enum';
import { Order } from '../order/order.entity';
import { CANCELLED_BY_CUSTOMER_NOTE } from '../order/order.service';
import type { OrdersWorkContext } from '../orders.context';
import { ordersSubgraph } from '../orders.server';
import { OrderRecovery } from '../recovery/order-recovery';
import { DiscountRedemption } from './discount-redemption.entity';
import type { QuotedDiscount } from './discount-redemption.service';

const ADDRESS = { line1: 'Main Street 1', city: 'Springfield', postalCode: '12345', country: 'US' };
const UNREACHABLE = 'http://127.0.0.1:9/graphql';

jest.setTimeout(30_000);

/**
 * Usage limits of discount codes, as place() enforces them in orders' own
 * database, and the use given back when an unpaid order is cancelled. The
 * orders subgraph alone: the quotes are what cart would answer, and sibling
 * calls (stock release by the follow-ups) go nowhere, which only leaves those
 * steps for recovery.
 */
describe('discount code redemptions', () => {
  let orders: TestSubgraph;
  let clients: SubgraphClients;
  const steps = new CheckoutSteps();
  const log = createLogger('orders', 'silent');

  beforeAll(async () => {
    orders = await startTestSubgraph(ordersSubgraph);
    // Siblings down: the follow-ups' calls fail at once and are left for recovery, which is not what these tests look at.
    clients = createSubgraphClients({ ...subgraphUrlsFromEnv({}), catalog: UNREACHABLE, inventory: UNREACHABLE, cart: UNREACHABLE }, TEST_INTERNAL_SECRET);
  }, 30_000);
  afterAll(async () => {
    if (clients) await closeSubgraphClients(clients);
    await orders?.stop();
  });

  const work = (): OrdersWorkContext => ({ em: orders.orm.em.fork(), clients, log });

  /** A code with limits, as cart's quote names it. */
  const code = (limits: { usageLimit?: number; usageLimitPerCustomer?: number }): QuotedDiscount => ({
    codeId: randomUUID(),
    code: `SAVE-${randomUUID().slice(0, 6).toUpperCase()}`,
    usageLimit: limits.usageLimit ?? null,
    usageLimitPerCustomer: limits.usageLimitPerCustomer ?? null,
  });

  /** cart's quote of a one-line cart of 2 x 25.00 with 10% off, shipped to the US by standard for 4.99. */
  const quote = (discount: QuotedDiscount | null): CheckoutQuote => {
    const productId = randomUUID();
    const discounts = discount ? 500 : 0;
    return {
      currency: 'USD',
      lines: [{ productId, variantId: productId, quantity: 2, unitPriceAmount: 2500 }],
      subtotal: 5000,
      discounts,
      shipping: 499,
      tax: 0,
      total: 5000 - discounts + 499,
      shippingMethod: { id: 'standard', name: 'Standard', description: '3-5 business days' },
      discount,
    };
  };

  const place = (userId: string, discount: QuotedDiscount | null, id = randomUUID()) =>
    steps.place(orders.orm.em.fork(), { id, userId, cartId: randomUUID(), quote: quote(discount), shippingAddress: ADDRESS, idempotencyKey: randomUUID() });

  const redemptionsOf = (codeId: string) => orders.orm.em.fork().count(DiscountRedemption, { codeId });
  const redemptionOf = (orderId: string) => orders.orm.em.fork().findOne(DiscountRedemption, { order: orderId });
  const errorOf = (result: PromiseSettledResult<unknown>) =>
    result.status === 'rejected' ? (result.reason as { extensions?: Record<string, unknown> }).extensions : undefined;

  it('stores the breakdown, the shipping method and the code on the order, and the use beside it', async () => {
    const discount = code({ usageLimit: 10 });
    const userId = randomUUID();
    const placed = await place(userId, discount);
    const row = await orders.orm.em.fork().findOneOrFail(Order, { id: placed.id });
    expect(row).toMatchObject({
      status: OrderStatus.PENDING,
      subtotalAmount: 5000,
      discountsAmount: 500,
      shippingAmount: 499,
      taxAmount: 0,
      totalAmount: 4999,
      currency: 'USD',
      shippingMethodId: 'standard',
      shippingMethodName: 'Standard',
      shippingMethodDescription: '3-5 business days',
      discountCodes: [discount.code],
    });
    expect(await redemptionOf(placed.id)).toMatchObject({ codeId: discount.codeId, code: discount.code, userId, amount: 500, currency: 'USD' });
    // Without a code: nothing recorded.
    const plain = await place(userId, null);
    expect(await redemptionOf(plain.id)).toBeNull();
    expect((await orders.orm.em.fork().findOneOrFail(Order, { id: plain.id })).discountCodes).toEqual([]);
  });

  it('lets exactly usageLimit of 20 concurrent orders use a code, refusing the others with DISCOUNT_CODE_LIMIT_REACHED (TOTAL) and writing nothing for them', async () => {
    const discount = code({ usageLimit: 5 });
    const ids = Array.from({ length: 20 }, () => randomUUID());
    const results = await Promise.allSettled(ids.map((id) => place(randomUUID(), discount, id)));
    const placed = results.filter((result) => result.status === 'fulfilled');
    const refused = results.filter((result) => result.status === 'rejected');
    expect(placed).toHaveLength(5);
    expect(refused).toHaveLength(15);
    for (const result of refused) expect(errorOf(result)).toEqual({ code: 'DISCOUNT_CODE_LIMIT_REACHED', limit: 'TOTAL', discountCode: discount.code });
    expect(await redemptionsOf(discount.codeId)).toBe(5);
    // The refused were rolled back whole: no order, no history.
    expect(await orders.orm.em.fork().count(Order, { id: { $in: ids } })).toBe(5);
    // Another code is not held up by this one's limit.
    await expect(place(randomUUID(), code({ usageLimit: 1 }))).resolves.toBeDefined();
  });

  it("limits a customer's uses of a code (PER_CUSTOMER), under concurrency too, leaving other customers theirs", async () => {
    const discount = code({ usageLimit: 100, usageLimitPerCustomer: 2 });
    const [alice, bob] = [randomUUID(), randomUUID()];
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => place(alice, discount)));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(2);
    for (const result of results.filter((r) => r.status === 'rejected')) {
      expect(errorOf(result)).toEqual({ code: 'DISCOUNT_CODE_LIMIT_REACHED', limit: 'PER_CUSTOMER', discountCode: discount.code });
    }
    await expect(place(bob, discount)).resolves.toBeDefined();
    expect(await redemptionsOf(discount.codeId)).toBe(3);
  });

  it('counts a use once for a duplicate placing of the same order (same id): the duplicate fails on the order, not on the limit', async () => {
    const discount = code({ usageLimit: 1 });
    const [userId, id] = [randomUUID(), randomUUID()];
    const results = await Promise.allSettled([place(userId, discount, id), place(userId, discount, id)]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const failure = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
    expect(failure.reason.constructor.name).toBe('UniqueConstraintViolationException');
    expect(await redemptionsOf(discount.codeId)).toBe(1);
  });

  it('gives the use back when the payment is declined, in the cancelling transaction', async () => {
    const discount = code({ usageLimit: 1 });
    const declined = await place(randomUUID(), discount);
    await steps.chargeIfPending(orders.orm.em.fork(), declined.id, 'tok_declined');
    const settled = await steps.settlePending(orders.orm.em.fork(), declined.id, { cancelUnpaid: false });
    expect(settled).toMatchObject({ changed: true, order: { status: OrderStatus.CANCELLED } });
    const row = await orders.orm.em.fork().findOneOrFail(Order, { id: declined.id }, { populate: ['statusEvents'] });
    expect(row.statusEvents.getItems().map((event) => event.note ?? null)).toContain(PAYMENT_DECLINED_NOTE);
    expect(await redemptionOf(declined.id)).toBeNull();
    // The code is free again for someone who pays.
    await expect(place(randomUUID(), discount)).resolves.toBeDefined();
    expect(await redemptionsOf(discount.codeId)).toBe(1);
  });

  it('gives the use back when recovery cancels a checkout that never charged', async () => {
    const discount = code({ usageLimit: 1 });
    const abandoned = await place(randomUUID(), discount);
    // Placed a while ago, as recovery sees it some minutes from now.
    const report = await new OrderRecovery(steps).run(work(), { staleAfterMs: 60_000, now: new Date(Date.now() + 5 * 60_000) });
    expect(report.cancelled).toContain(abandoned.id);
    const row = await orders.orm.em.fork().findOneOrFail(Order, { id: abandoned.id }, { populate: ['statusEvents'] });
    expect(row.status).toBe(OrderStatus.CANCELLED);
    expect(row.statusEvents.getItems().map((event) => event.note ?? null)).toContain(CHECKOUT_ABANDONED_NOTE);
    expect(await redemptionOf(abandoned.id)).toBeNull();
    expect(await redemptionsOf(discount.codeId)).toBe(0);
  });

  it('gives the use back when the buyer cancels a PENDING order that was never charged', async () => {
    const discount = code({ usageLimit: 1 });
    const pending = await place(randomUUID(), discount);
    await steps.statuses.transition(orders.orm.em.fork(), pending.id, (order, tx) => steps.cancellation(tx, order, CANCELLED_BY_CUSTOMER_NOTE));
    expect(await redemptionOf(pending.id)).toBeNull();
  });

  it('keeps the use of a PAID order cancelled later (which is refunded in full), and of a PENDING one whose charge went through', async () => {
    const discount = code({ usageLimit: 2 });
    const paid = await place(randomUUID(), discount);
    await steps.chargeIfPending(orders.orm.em.fork(), paid.id, 'tok_visa');
    expect((await steps.settlePending(orders.orm.em.fork(), paid.id, { cancelUnpaid: false }))?.order.status).toBe(OrderStatus.PAID);
    const cancelled = await steps.statuses.transition(orders.orm.em.fork(), paid.id, (order, tx) => steps.cancellation(tx, order, CANCELLED_BY_CUSTOMER_NOTE));
    expect(cancelled?.order).toMatchObject({ status: OrderStatus.CANCELLED, refundStatus: 'PENDING' });
    expect(await redemptionOf(paid.id)).not.toBeNull();

    const charged = await place(randomUUID(), discount);
    await steps.chargeIfPending(orders.orm.em.fork(), charged.id, 'tok_visa');
    await steps.statuses.transition(orders.orm.em.fork(), charged.id, (order, tx) => steps.cancellation(tx, order, CANCELLED_BY_CUSTOMER_NOTE));
    expect(await redemptionOf(charged.id)).not.toBeNull();
    // Both uses still count: the code is used up.
    await expect(place(randomUUID(), discount)).rejects.toMatchObject({ extensions: { code: 'DISCOUNT_CODE_LIMIT_REACHED', limit: 'TOTAL' } });
  });

  it('owes no refund for a PAID order that cost nothing (the code took the whole subtotal, shipping was free), and keeps its use', async () => {
    const discount = code({});
    const free: CheckoutQuote = { ...quote(discount), discounts: 5000, shipping: 0, total: 0 };
    const order = await steps.place(orders.orm.em.fork(), { id: randomUUID(), userId: randomUUID(), cartId: randomUUID(), quote: free, shippingAddress: ADDRESS, idempotencyKey: randomUUID() });
    expect((await steps.chargeIfPending(orders.orm.em.fork(), order.id, 'tok_visa'))?.amount).toBe(0);
    expect((await steps.settlePending(orders.orm.em.fork(), order.id, { cancelUnpaid: false }))?.order.status).toBe(OrderStatus.PAID);
    const cancelled = await steps.statuses.transition(orders.orm.em.fork(), order.id, (locked, tx) => steps.cancellation(tx, locked, CANCELLED_BY_CUSTOMER_NOTE));
    expect(cancelled?.order).toMatchObject({ status: OrderStatus.CANCELLED, refundStatus: null });
    expect(await redemptionOf(order.id)).not.toBeNull();
  });
});
