import { randomUUID } from 'node:crypto';
import { DEMO_USERS, demoCatalog, demoId } from '../../lib/demo-data';
import { Role, type Viewer } from '../../lib/identity';
import { createLogger } from '../../lib/logger';
import { countStatements } from '../../test/sql-counter';
import { startTestSubgraph, type TestSubgraph } from '../../test/subgraph-harness';
import { OrderItem } from './order-item/order-item.entity';
import { OrderStatusEvent } from './order-status/order-status-event.entity';
import { OrderStatus } from './order-status/order-status.enum';
import { Order } from './order/order.entity';
import { ordersSubgraph } from './orders.server';

const USER_ORDERS = `query UserOrders($representations: [_Any!]!, $first: Int, $after: String) {
  _entities(representations: $representations) {
    ... on User {
      id
      orders(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node { id } }
        nodes {
          id number status createdAt
          user { id }
          total { amount currency formatted }
          items { quantity unitPrice { amount currency } lineTotal { amount } product { id } }
          statusHistory { status at note }
          shippingAddress { id line1 line2 city postalCode country }
        }
      }
    }
  }
}`;

const ORDER = `query Order($id: ID!) { order(id: $id) { id number status user { id } } }`;

interface OrderNode {
  id: string;
  number: string;
  status: OrderStatus;
  createdAt: string;
  user: { id: string };
  total: { amount: number; currency: string; formatted: string };
  items: { quantity: number; unitPrice: { amount: number; currency: string }; lineTotal: { amount: number }; product: { id: string } }[];
  statusHistory: { status: OrderStatus; at: string; note: string | null }[];
  shippingAddress: { id: string; line1: string; line2: string | null; city: string; postalCode: string; country: string };
}

interface UserOrdersData {
  _entities: ({
    id: string;
    orders: {
      totalCount: number;
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      edges: { cursor: string; node: { id: string } }[];
      nodes: OrderNode[];
    };
  } | null)[];
}

const customerAccount = DEMO_USERS.find((user) => user.role === 'CUSTOMER')!;
const adminAccount = DEMO_USERS.find((user) => user.role === 'ADMIN')!;
const customer: Viewer = { id: customerAccount.id, role: Role.CUSTOMER };
const admin: Viewer = { id: adminAccount.id, role: Role.ADMIN };
const stranger: Viewer = { id: randomUUID(), role: Role.CUSTOMER };

const userRef = (id: string) => ({ __typename: 'User', id });

describe('orders subgraph', () => {
  let orders: TestSubgraph;
  const { products } = demoCatalog();
  const deliveredId = demoId('order', 'delivered');
  const paidId = demoId('order', 'paid');

  /** A customer with many orders, each with two lines and three status events; some share a createdAt to exercise the id tie-break. */
  const bulkUser: Viewer = { id: randomUUID(), role: Role.CUSTOMER };
  const BULK_ORDERS = 30;
  let bulkOrderIds: string[] = [];
  let bulkOrderNumbers: string[] = [];

  beforeAll(async () => {
    orders = await startTestSubgraph(ordersSubgraph, { seed: true });
    const em = orders.orm.em.fork();
    const base = Date.UTC(2026, 4, 1);
    const created: Order[] = [];
    for (let i = 0; i < BULK_ORDERS; i += 1) {
      const [a, b] = [products[i], products[i + 100]];
      const at = new Date(base + Math.floor(i / 2) * 60_000);
      const order = em.create(Order, {
        userId: bulkUser.id,
        status: OrderStatus.SHIPPED,
        totalAmount: a.priceAmount + 2 * b.priceAmount,
        subtotalAmount: a.priceAmount + 2 * b.priceAmount,
        currency: 'USD',
        shippingAddress: { line1: `Main Street ${i}`, city: 'Springfield', postalCode: '12345', country: 'US' },
        createdAt: at,
        updatedAt: at,
        // Sold long ago: nothing owed to inventory or cart.
        stockCommitted: true,
        cartCompleted: true,
      });
      em.create(OrderItem, { order, productId: a.id, variantId: a.id, quantity: 1, unitPriceAmount: a.priceAmount, currency: 'USD' });
      em.create(OrderItem, { order, productId: b.id, variantId: b.id, quantity: 2, unitPriceAmount: b.priceAmount, currency: 'USD' });
      // Same-millisecond events: the history must still come out in lifecycle order.
      for (const status of [OrderStatus.SHIPPED, OrderStatus.PENDING, OrderStatus.PAID]) em.create(OrderStatusEvent, { order, status, at });
      created.push(order);
    }
    await em.flush();
    bulkOrderNumbers = created.map((order) => order.number);
    bulkOrderIds = [...created]
      .sort((x, y) => y.createdAt.getTime() - x.createdAt.getTime() || (x.id < y.id ? 1 : x.id > y.id ? -1 : 0))
      .map((order) => order.id);
  }, 30_000);
  afterAll(() => orders?.stop());

  const userOrders = (userId: string, viewer: Viewer | null, variables: Record<string, unknown> = {}) =>
    orders.query<UserOrdersData>(USER_ORDERS, { representations: [userRef(userId)], ...variables }, viewer);

  it("shows the seeded orders to the customer, newest first, with prices snapshotted at checkout", async () => {
    const result = await userOrders(customer.id, customer);
    expect(result.errors).toBeUndefined();
    const connection = result.data!._entities[0]!.orders;
    expect(connection.totalCount).toBe(2);
    expect(connection.pageInfo.hasNextPage).toBe(false);
    const [paid, delivered] = connection.nodes;
    expect([paid.id, delivered.id]).toEqual([paidId, deliveredId]);
    expect(paid.status).toBe('PAID');
    expect(delivered.status).toBe('DELIVERED');
    expect(paid.number).toMatch(/^ORD-\d{6}$/);
    expect(delivered.number).toMatch(/^ORD-\d{6}$/);
    expect(paid.number).not.toBe(delivered.number);
    expect(delivered.user).toEqual({ id: customer.id });
    expect(delivered.statusHistory.map((event) => event.status)).toEqual(['PENDING', 'PAID', 'SHIPPED', 'DELIVERED']);
    expect(paid.statusHistory.map((event) => event.status)).toEqual(['PENDING', 'PAID']);
    expect(delivered.shippingAddress).toMatchObject({ id: deliveredId, city: 'Amsterdam', country: 'NL' });

    for (const order of connection.nodes) {
      let total = 0;
      for (const item of order.items) {
        const product = products.find((p) => p.id === item.product.id)!;
        expect(product).toBeDefined();
        expect(item.unitPrice).toEqual({ amount: product.priceAmount, currency: 'USD' });
        expect(item.lineTotal.amount).toBe(product.priceAmount * item.quantity);
        total += item.lineTotal.amount;
      }
      expect(order.total.amount).toBe(total);
      expect(order.total.formatted).toBe(`$${(total / 100).toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`);
    }
    expect(delivered.items).toHaveLength(2);
    expect(paid.items).toHaveLength(3);
  });

  it('numbers orders from the sequence at insert, unique and at least six digits', () => {
    expect(bulkOrderNumbers.every((number) => /^ORD-\d{6}$/.test(number))).toBe(true);
    expect(new Set(bulkOrderNumbers).size).toBe(BULK_ORDERS);
  });

  it('seeds idempotently', async () => {
    await ordersSubgraph.seed!(orders.orm.em.fork(), createLogger('orders', 'silent'));
    const result = await userOrders(customer.id, customer);
    expect(result.data!._entities[0]!.orders.totalCount).toBe(2);
    expect(await orders.orm.em.fork().count(OrderStatusEvent, { order: { userId: customer.id } })).toBe(6);
  });

  it("refuses a user's orders to anyone but the user and ADMINs", async () => {
    const forbidden = await userOrders(customer.id, stranger);
    expect(forbidden.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(forbidden.data?._entities[0] ?? null).toBeNull();

    const anonymous = await userOrders(customer.id, null);
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');

    const asAdmin = await userOrders(customer.id, admin);
    expect(asAdmin.errors).toBeUndefined();
    expect(asAdmin.data!._entities[0]!.orders.nodes.map((order) => order.id)).toEqual([paidId, deliveredId]);

    const own = await userOrders(stranger.id, stranger);
    expect(own.errors).toBeUndefined();
    expect(own.data!._entities[0]!.orders).toMatchObject({ totalCount: 0, nodes: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('shows order(id) to its buyer and ADMINs only, and null for unknown or malformed ids', async () => {
    const own = await orders.query(ORDER, { id: deliveredId }, customer);
    expect(own.errors).toBeUndefined();
    expect(own.data!.order).toMatchObject({ id: deliveredId, status: 'DELIVERED', user: { id: customer.id } });

    const asAdmin = await orders.query(ORDER, { id: deliveredId }, admin);
    expect(asAdmin.data!.order.id).toBe(deliveredId);

    for (const [id, viewer] of [
      [deliveredId, stranger],
      [deliveredId, null],
      [randomUUID(), admin],
      ['not-a-uuid', admin],
      ['', customer],
    ] as const) {
      const result = await orders.query(ORDER, { id }, viewer);
      expect(result.errors).toBeUndefined();
      expect(result.data).toEqual({ order: null });
    }
  });

  it('resolves Order references by the same rule', async () => {
    const query = `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Order { id status } } }`;
    const representations = [deliveredId, paidId, randomUUID(), 'nope'].map((id) => ({ __typename: 'Order', id }));
    const own = await orders.query(query, { representations }, customer);
    expect(own.errors).toBeUndefined();
    expect(own.data!._entities).toEqual([{ id: deliveredId, status: 'DELIVERED' }, { id: paidId, status: 'PAID' }, null, null]);
    const other = await orders.query(query, { representations }, stranger);
    expect(other.errors).toBeUndefined();
    expect(other.data!._entities).toEqual([null, null, null, null]);
  });

  it('pages through all orders exactly once, newest first', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page += 1) {
      const result = await userOrders(bulkUser.id, bulkUser, { first: 7, after });
      expect(result.errors).toBeUndefined();
      const connection = result.data!._entities[0]!.orders;
      expect(connection.totalCount).toBe(BULK_ORDERS);
      expect(connection.edges.map((edge) => edge.node.id)).toEqual(connection.nodes.map((node) => node.id));
      seen.push(...connection.nodes.map((node) => node.id));
      for (const node of connection.nodes) expect(node.statusHistory.map((event) => event.status)).toEqual(['PENDING', 'PAID', 'SHIPPED']);
      if (!connection.pageInfo.hasNextPage) break;
      expect(connection.pageInfo.endCursor).toBe(connection.edges[connection.edges.length - 1].cursor);
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toEqual(bulkOrderIds);

    const empty = await userOrders(bulkUser.id, bulkUser, { first: 0 });
    expect(empty.data!._entities[0]!.orders).toMatchObject({ totalCount: BULK_ORDERS, nodes: [], pageInfo: { hasNextPage: true, endCursor: null } });
  });

  it('rejects first above 100, negative first and foreign cursors with BAD_USER_INPUT', async () => {
    for (const variables of [{ first: 101 }, { first: -1 }, { after: 'not-a-cursor' }, { after: Buffer.from(JSON.stringify(['ORDERS_NEWEST', 'yesterday', 'x'])).toString('base64url') }]) {
      const result = await userOrders(customer.id, customer, variables);
      expect(result.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('runs the same number of SQL statements for a page of 2 orders as for 30, and for several users as for one', async () => {
    const counter = countStatements(orders.orm);
    try {
      const measure = async (variables: Record<string, unknown>, viewer: Viewer) => {
        counter.reset();
        const result = await orders.query<UserOrdersData>(USER_ORDERS, variables, viewer);
        expect(result.errors).toBeUndefined();
        return { count: counter.count, result };
      };
      const small = await measure({ representations: [userRef(bulkUser.id)], first: 2 }, bulkUser);
      const large = await measure({ representations: [userRef(bulkUser.id)], first: 30 }, bulkUser);
      const many = await measure({ representations: [userRef(bulkUser.id), userRef(customer.id), userRef(stranger.id)], first: 30 }, admin);
      expect(small.result.data!._entities[0]!.orders.nodes).toHaveLength(2);
      expect(large.result.data!._entities[0]!.orders.nodes).toHaveLength(30);
      expect(large.result.data!._entities[0]!.orders.nodes.every((node) => node.items.length === 2 && node.statusHistory.length === 3)).toBe(true);
      expect(many.result.data!._entities.map((user) => user!.orders.nodes.length)).toEqual([30, 2, 0]);
      // page + count + items + status history
      expect(small.count).toBe(4);
      expect(large.count).toBe(small.count);
      expect(many.count).toBe(small.count);
      console.info(`SQL statements: page of 2 orders ${small.count}, page of 30 orders ${large.count}, 3 users' pages ${many.count}`);
    } finally {
      counter.detach();
    }
  });

  it('validates checkout input before anything else, and requires a signed-in user', async () => {
    const address = { line1: 'Main Street 1', city: 'Springfield', postalCode: '12345', country: 'US' };
    const checkout = `mutation($input: CheckoutInput!) { checkout(input: $input) { id } }`;
    const valid = { shippingAddress: address, paymentToken: 'tok_visa', idempotencyKey: randomUUID() };
    expect((await orders.query(checkout, { input: valid }, null)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');

    const invalid: [string, Record<string, unknown>][] = [
      ['unknown payment token', { ...valid, paymentToken: 'tok_mastercard' }],
      ['empty idempotency key', { ...valid, idempotencyKey: '' }],
      ['idempotency key over 200 characters', { ...valid, idempotencyKey: 'k'.repeat(201) }],
      ['country not ISO alpha-2', { ...valid, shippingAddress: { ...address, country: 'Netherlands' } }],
      ['empty street', { ...valid, shippingAddress: { ...address, line1: '' } }],
      ['postal code too long', { ...valid, shippingAddress: { ...address, postalCode: '1'.repeat(21) } }],
    ];
    for (const [why, input] of invalid) {
      const result = await orders.query(checkout, { input }, customer);
      expect([why, result.errors?.[0].extensions?.code]).toEqual([why, 'BAD_USER_INPUT']);
    }
    // A cart id that cannot exist is NOT_FOUND without asking cart.
    const malformed = await orders.query(checkout, { input: { ...valid, cartId: 'not-a-cart' } }, customer);
    expect(malformed.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(await orders.orm.em.fork().count(Order, { userId: customer.id })).toBe(2);
  });

  it('lets only the buyer or an ADMIN cancel, and hides other people\'s orders behind NOT_FOUND', async () => {
    const cancel = `mutation($id: ID!) { cancelOrder(id: $id) { id status } }`;
    expect((await orders.query(cancel, { id: paidId }, null)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    for (const id of [paidId, randomUUID(), 'not-a-uuid']) {
      const result = await orders.query(cancel, { id }, stranger);
      expect(result.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    }
    // A SHIPPED order cannot be cancelled, by its buyer or an ADMIN.
    for (const viewer of [bulkUser, admin]) {
      const shipped = await orders.query(cancel, { id: bulkOrderIds[0] }, viewer);
      expect(shipped.errors?.[0].extensions).toMatchObject({ code: 'INVALID_STATUS_TRANSITION', from: 'SHIPPED', to: 'CANCELLED' });
    }
    expect((await orders.query(ORDER, { id: paidId }, customer)).data!.order.status).toBe('PAID');
  });

  it('lets only an ADMIN move an order along the state machine', async () => {
    const update = `mutation($id: ID!, $status: OrderStatus!) { updateOrderStatus(id: $id, status: $status) { id status statusHistory { status } } }`;
    const [target, other] = bulkOrderIds;
    expect((await orders.query(update, { id: target, status: 'DELIVERED' }, bulkUser)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await orders.query(update, { id: target, status: 'DELIVERED' }, null)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    for (const id of [randomUUID(), 'nope']) {
      expect((await orders.query(update, { id, status: 'SHIPPED' }, admin)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    }
    for (const status of ['PAID', 'PENDING', 'SHIPPED', 'CANCELLED']) {
      const refused = await orders.query(update, { id: target, status }, admin);
      expect(refused.errors?.[0].extensions).toMatchObject({ code: 'INVALID_STATUS_TRANSITION', from: 'SHIPPED', to: status });
    }
    const delivered = await orders.query(update, { id: target, status: 'DELIVERED' }, admin);
    expect(delivered.errors).toBeUndefined();
    expect(delivered.data!.updateOrderStatus.status).toBe('DELIVERED');
    expect(delivered.data!.updateOrderStatus.statusHistory.map((event: { status: string }) => event.status)).toEqual(['PENDING', 'PAID', 'SHIPPED', 'DELIVERED']);
    const final = await orders.query(update, { id: target, status: 'SHIPPED' }, admin);
    expect(final.errors?.[0].extensions).toMatchObject({ code: 'INVALID_STATUS_TRANSITION', from: 'DELIVERED' });
    expect((await orders.query(ORDER, { id: other }, admin)).data!.order.status).toBe('SHIPPED');
  });
});
