import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { Topics } from '../../../lib/events';
import { OutboxEvent } from '../../../lib/outbox';
import { startTestSubgraph, type TestSubgraph } from '../../../test/subgraph-harness';
import { OrderItem } from '../order-item/order-item.entity';
import { Order } from '../order/order.entity';
import { ordersSubgraph } from '../orders.server';
import { OrderStatusEvent } from './order-status-event.entity';
import { OrderStatus } from './order-status.enum';
import { OrderStatusService } from './order-status.service';

describe('order status changes', () => {
  let orders: TestSubgraph;
  const statuses = new OrderStatusService();

  beforeAll(async () => {
    orders = await startTestSubgraph(ordersSubgraph);
  }, 30_000);
  afterAll(() => orders?.stop());

  const longAgo = new Date(Date.UTC(2026, 0, 1));

  /** A placed order (history PENDING, its event in the outbox), a while ago. */
  async function placeOrder(): Promise<string> {
    const id = randomUUID();
    await orders.orm.em.fork().transactional(async (tx) => {
      const order = tx.create(Order, {
        id,
        userId: randomUUID(),
        totalAmount: 999,
        subtotalAmount: 999,
        currency: 'USD',
        shippingAddress: { line1: 'Main Street 1', city: 'Springfield', postalCode: '12345', country: 'US' },
        createdAt: longAgo,
        updatedAt: longAgo,
      });
      const productId = randomUUID();
      tx.create(OrderItem, { order, productId, variantId: productId, quantity: 1, unitPriceAmount: 999, currency: 'USD' });
      statuses.recordPlaced(tx, order);
    });
    return id;
  }

  const historyOf = async (orderId: string) =>
    (await orders.orm.em.fork().find(OrderStatusEvent, { order: orderId }, { orderBy: { at: 'asc' } })).map((event) => ({ status: event.status, note: event.note ?? null }));
  const eventsOf = async (orderId: string) =>
    (await orders.orm.em.fork().find(OutboxEvent, { key: orderId }, { orderBy: { id: 'asc' } })).map((event) => ({ topic: event.topic, payload: event.payload }));
  const load = (orderId: string) => orders.orm.em.fork().findOneOrFail(Order, { id: orderId });

  it('records the first status of a placed order in its history and the outbox', async () => {
    const id = await placeOrder();
    const order = await load(id);
    expect(await historyOf(id)).toEqual([{ status: 'PENDING', note: null }]);
    expect(await eventsOf(id)).toEqual([
      {
        topic: Topics.ORDER_STATUS_CHANGED,
        payload: { orderId: id, userId: order.userId, status: 'PENDING', previousStatus: null, changedAt: longAgo.toISOString() },
      },
    ]);
  });

  it('appends the event with its note, bumps updatedAt and publishes the change, in one transaction', async () => {
    const id = await placeOrder();
    const before = Date.now();
    const result = await statuses.transition(orders.orm.em.fork(), id, () => ({ to: OrderStatus.PAID }));
    expect(result).toMatchObject({ changed: true, order: { id, status: 'PAID' } });
    await statuses.transition(orders.orm.em.fork(), id, () => ({ to: OrderStatus.CANCELLED, note: 'Changed my mind' }));

    const order = await load(id);
    expect(order.status).toBe('CANCELLED');
    expect(order.updatedAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(order.createdAt).toEqual(longAgo);
    expect(await historyOf(id)).toEqual([
      { status: 'PENDING', note: null },
      { status: 'PAID', note: null },
      { status: 'CANCELLED', note: 'Changed my mind' },
    ]);
    const events = await eventsOf(id);
    expect(events.map((event) => [event.payload.previousStatus, event.payload.status])).toEqual([
      [null, 'PENDING'],
      ['PENDING', 'PAID'],
      ['PAID', 'CANCELLED'],
    ]);
    expect(events.every((event) => event.topic === 'order.status-changed' && event.payload.userId === order.userId)).toBe(true);
  });

  it('refuses a move the machine does not allow with INVALID_STATUS_TRANSITION and writes nothing', async () => {
    const id = await placeOrder();
    await statuses.transition(orders.orm.em.fork(), id, () => ({ to: OrderStatus.PAID }));
    await statuses.transition(orders.orm.em.fork(), id, () => ({ to: OrderStatus.SHIPPED }));
    const before = await load(id);
    for (const to of [OrderStatus.PAID, OrderStatus.PENDING, OrderStatus.CANCELLED, OrderStatus.SHIPPED]) {
      const attempt = statuses.transition(orders.orm.em.fork(), id, () => ({ to }));
      await expect(attempt).rejects.toBeInstanceOf(GraphQLError);
      await expect(attempt).rejects.toMatchObject({ extensions: { code: 'INVALID_STATUS_TRANSITION', from: 'SHIPPED', to, orderId: id } });
    }
    const after = await load(id);
    expect(after.status).toBe('SHIPPED');
    expect(after.updatedAt).toEqual(before.updatedAt);
    expect((await historyOf(id)).map((event) => event.status)).toEqual(['PENDING', 'PAID', 'SHIPPED']);
    expect(await eventsOf(id)).toHaveLength(3);
  });

  it('leaves the order alone when the chooser says so, and answers null for an unknown order', async () => {
    const id = await placeOrder();
    const result = await statuses.transition(orders.orm.em.fork(), id, () => null);
    expect(result).toMatchObject({ changed: false, order: { status: 'PENDING' } });
    expect(await historyOf(id)).toHaveLength(1);
    expect(await statuses.transition(orders.orm.em.fork(), randomUUID(), () => ({ to: OrderStatus.PAID }))).toBeNull();
  });

  it('serializes concurrent changes of one order on its row lock: each sees the status the previous one left', async () => {
    const id = await placeOrder();
    // Ten racers each move the order on from whatever status they find: exactly the lifecycle comes out.
    const next: Partial<Record<OrderStatus, OrderStatus>> = { PENDING: OrderStatus.PAID, PAID: OrderStatus.SHIPPED, SHIPPED: OrderStatus.DELIVERED };
    const results = await Promise.all(
      Array.from({ length: 10 }, () => statuses.transition(orders.orm.em.fork(), id, (order) => (next[order.status] ? { to: next[order.status]! } : null))),
    );
    expect(results.filter((result) => result?.changed)).toHaveLength(3);
    expect((await historyOf(id)).map((event) => event.status)).toEqual(['PENDING', 'PAID', 'SHIPPED', 'DELIVERED']);

    // Racers that all want the same move: one wins, the others are refused by the machine.
    const other = await placeOrder();
    const outcomes = await Promise.allSettled(Array.from({ length: 6 }, () => statuses.transition(orders.orm.em.fork(), other, () => ({ to: OrderStatus.PAID }))));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    expect(refused.map((outcome) => (outcome.reason as GraphQLError).extensions.code)).toEqual(Array(5).fill('INVALID_STATUS_TRANSITION'));
    expect((await historyOf(other)).map((event) => event.status)).toEqual(['PENDING', 'PAID']);
  });

  it('rolls the change back when the chooser throws', async () => {
    const id = await placeOrder();
    await expect(
      statuses.transition(orders.orm.em.fork(), id, () => {
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect((await load(id)).status).toBe('PENDING');
    expect(await historyOf(id)).toHaveLength(1);
  });
});
