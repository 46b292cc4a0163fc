import { LockMode } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { demoCatalog } from '../../../lib/demo-data';
import { Role, type Viewer } from '../../../lib/identity';
import { createLogger } from '../../../lib/logger';
import type { EventBus } from '../../../lib/event-bus';
import { createSubgraphClients, closeSubgraphClients, type SubgraphClients } from '../../../lib/subgraph-client';
import { subgraphUrlsFromEnv, type SubgraphName } from '../../../lib/subgraph-names';
import { startTestSubgraph, TEST_INTERNAL_SECRET, type TestSubgraph } from '../../../test/subgraph-harness';
import { cartSubgraph } from '../../cart/cart.server';
import { catalogSubgraph } from '../../catalog/catalog.server';
import { inventorySubgraph } from '../../inventory/inventory.server';
// After the server module, which loads inventory's entities in an order that resolves their references.
import { releaseExpiredReservations } from '../../inventory/reservation/reservation-sweeper';
import { CHECKOUT_ABANDONED_NOTE, CheckoutSteps, PAYMENT_DECLINED_NOTE } from '../checkout/checkout-steps';
import { attemptOrderId, readQuotedCart, releaseStock, reserveStock } from '../checkout/checkout.operations';
import { OrderAttentionReason } from '../order/order-attention';
import { NEEDS_ATTENTION_LOG, ordersNeedingAttention, ordersStockRenewed } from '../orders.metrics';
import { OrderItem } from '../order-item/order-item.entity';
import { OrderStatusEvent } from '../order-status/order-status-event.entity';
import { Order } from '../order/order.entity';
import type { OrdersWorkContext } from '../orders.context';
import { readSubgraphConfig } from '../../../lib/subgraph';
import { ordersSubgraph } from '../orders.server';
import { Payment, PaymentRefund } from '../payment/payment.entity';
import { PaymentService } from '../payment/payment.service';
import { OrderRefundStatus } from '../order/order-refund';
import { CANCELLED_BY_CUSTOMER_NOTE } from '../order/order.service';
import { OrderRecovery, startOrderRecovery } from './order-recovery';
import { eventually } from '../../../test/wait';

/** Where a checkout stopped: after which of its steps the process died. */
type CrashPoint = 'reserved' | 'placed' | 'charged' | 'settled';

const STALE_AFTER_MS = 60_000;
const ADDRESS = { line1: 'Main Street 1', city: 'Springfield', postalCode: '12345', country: 'US' };
const UNREACHABLE = 'http://127.0.0.1:9/graphql';

// Four services start per file, and a checkout is several calls between them: a loaded machine must not turn slowness into failures.
jest.setTimeout(30_000);

describe('orders recovery', () => {
  let catalog: TestSubgraph;
  let inventory: TestSubgraph;
  let cart: TestSubgraph;
  let orders: TestSubgraph;
  let clients: SubgraphClients;
  const extraClients: SubgraphClients[] = [];
  const steps = new CheckoutSteps();
  const recovery = new OrderRecovery();
  const log = createLogger('orders', 'silent');
  const admin: Viewer = { id: randomUUID(), role: Role.ADMIN };
  // Products with stock (every tenth demo product is sold out); each scenario takes its own.
  const products = demoCatalog().products.filter((_, index) => (index + 1) % 10 !== 0);
  let nextProduct = 0;

  beforeAll(async () => {
    [catalog, inventory] = await Promise.all([startTestSubgraph(catalogSubgraph, { seed: true }), startTestSubgraph(inventorySubgraph, { seed: true })]);
    cart = await startTestSubgraph(cartSubgraph, { subgraphUrls: { catalog: catalog.url, inventory: inventory.url } });
    const urls = { catalog: catalog.url, inventory: inventory.url, cart: cart.url };
    orders = await startTestSubgraph(ordersSubgraph, { subgraphUrls: urls });
    clients = clientsWith(urls);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([clients, ...extraClients].filter(Boolean).map((c) => closeSubgraphClients(c)));
    await Promise.all([orders, cart, inventory, catalog].map((subgraph) => subgraph?.stop()));
  });

  function clientsWith(urls: Partial<Record<SubgraphName, string>>): SubgraphClients {
    return createSubgraphClients({ ...subgraphUrlsFromEnv({}), ...urls }, TEST_INTERNAL_SECRET);
  }
  /** Sibling clients where the named subgraphs are down. */
  function clientsWithout(...down: SubgraphName[]): SubgraphClients {
    const urls: Partial<Record<SubgraphName, string>> = { catalog: catalog.url, inventory: inventory.url, cart: cart.url };
    for (const name of down) urls[name] = UNREACHABLE;
    const created = clientsWith(urls);
    extraClients.push(created);
    return created;
  }
  const work = (siblings: SubgraphClients = clients): OrdersWorkContext => ({ em: orders.orm.em.fork(), clients: siblings, log });
  /** Recovery as the sweeper runs it, some minutes from now, so every order of the test counts as stale. */
  const recoverLater = (siblings: SubgraphClients = clients) =>
    recovery.run(work(siblings), { staleAfterMs: STALE_AFTER_MS, now: new Date(Date.now() + 5 * STALE_AFTER_MS) });

  async function stockOf(productId: string) {
    const result = await inventory.query<{ _entities: { availableQuantity: number; stockLevels: { onHand: number; reserved: number }[] }[] }>(
      `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { availableQuantity stockLevels { onHand reserved } } } }`,
      { representations: [{ __typename: 'Product', id: productId }] },
      admin,
    );
    expect(result.errors).toBeUndefined();
    const [product] = result.data!._entities;
    const sum = (field: 'onHand' | 'reserved') => product.stockLevels.reduce((total, level) => total + level[field], 0);
    return { available: product.availableQuantity, onHand: sum('onHand'), reserved: sum('reserved') };
  }

  async function activeCartOf(user: Viewer) {
    const result = await cart.query<{ cart: { id: string; items: { quantity: number }[] } | null }>(`{ cart { id items { quantity } } }`, {}, user);
    expect(result.errors).toBeUndefined();
    return result.data!.cart;
  }

  const orderRow = (id: string) => orders.orm.em.fork().findOne(Order, { id }, { refresh: true });
  const historyOf = async (id: string) =>
    (await orders.orm.em.fork().find(OrderStatusEvent, { order: id }, { orderBy: { at: 'asc' } })).map((event) => [event.status, event.note ?? null]);

  /**
   * A customer fills a cart (cart's public addToCart), then checkout's own
   * steps run up to `crashAfter`, and no further: the state a crash there
   * leaves behind.
   */
  async function checkoutUntil(crashAfter: CrashPoint, paymentToken = 'tok_visa', quantity = 2) {
    const user: Viewer = { id: randomUUID(), role: Role.CUSTOMER };
    const product = products[nextProduct++];
    const before = await stockOf(product.id);
    const added = await cart.query(`mutation($productId: ID!, $quantity: Int!) { addToCart(productId: $productId, quantity: $quantity) { id } }`, { productId: product.id, quantity }, user);
    expect(added.errors).toBeUndefined();
    const idempotencyKey = randomUUID();
    const checkoutCart = (await readQuotedCart(clients, user, null, { countryCode: ADDRESS.country, shippingMethodId: null }))!;
    // The id checkout itself would use for this request, so a retry with the key finds the same reservation.
    const orderId = attemptOrderId(user.id, idempotencyKey, checkoutCart.id, checkoutCart.lines);
    await reserveStock(clients, user, orderId, checkoutCart.lines);
    const scenario = { user, product, before, orderId, cartId: checkoutCart.id, idempotencyKey, quantity };
    if (crashAfter === 'reserved') return scenario;
    await steps.place(orders.orm.em.fork(), { id: orderId, userId: user.id, cartId: checkoutCart.id, quote: checkoutCart.quote, shippingAddress: ADDRESS, idempotencyKey });
    if (crashAfter === 'placed') return scenario;
    await steps.chargeIfPending(orders.orm.em.fork(), orderId, paymentToken);
    if (crashAfter === 'charged') return scenario;
    await steps.settlePending(orders.orm.em.fork(), orderId, { cancelUnpaid: false });
    return scenario;
  }

  it('crash after reserving, before placing: no order exists; inventory frees the reservation when it expires', async () => {
    const { orderId, product, before, quantity, user } = await checkoutUntil('reserved');
    expect(await stockOf(product.id)).toEqual({ ...before, available: before.available - quantity, reserved: before.reserved + quantity });
    const report = await recoverLater();
    expect(JSON.stringify(report)).not.toContain(orderId);
    expect(await orderRow(orderId)).toBeNull();

    // Reservations live 15 minutes by default: inventory's sweeper, run after that, gives the units back.
    expect(await releaseExpiredReservations(inventory.orm.em.fork(), new Date(Date.now() + 16 * 60_000))).toBeGreaterThanOrEqual(1);
    expect(await stockOf(product.id)).toEqual(before);
    expect((await activeCartOf(user))?.items).toEqual([{ quantity }]);
  });

  it('crash after reserving, before placing: a retry with the key places the order on the same reservation', async () => {
    const { orderId, product, before, quantity, user, idempotencyKey } = await checkoutUntil('reserved');
    const retry = await orders.query<{ checkout: { id: string; status: string } }>(
      `mutation($input: CheckoutInput!) { checkout(input: $input) { id status } }`,
      { input: { shippingAddress: ADDRESS, paymentToken: 'tok_visa', idempotencyKey } },
      user,
    );
    expect(retry.errors).toBeUndefined();
    expect(retry.data!.checkout).toEqual({ id: orderId, status: 'PAID' });
    // Taken once: the retry did not reserve a second time.
    expect(await stockOf(product.id)).toEqual({ available: before.available - quantity, onHand: before.onHand - quantity, reserved: before.reserved });
    expect(await activeCartOf(user)).toBeNull();
  });

  it('crash after reserving, then the reservation expired: a retry with the key reserves afresh under a new order id', async () => {
    const { orderId, product, before, quantity, user, idempotencyKey } = await checkoutUntil('reserved');
    await releaseExpiredReservations(inventory.orm.em.fork(), new Date(Date.now() + 16 * 60_000));
    expect(await stockOf(product.id)).toEqual(before);
    const retry = await orders.query<{ checkout: { id: string; status: string } }>(
      `mutation($input: CheckoutInput!) { checkout(input: $input) { id status } }`,
      { input: { shippingAddress: ADDRESS, paymentToken: 'tok_visa', idempotencyKey } },
      user,
    );
    expect(retry.errors).toBeUndefined();
    expect(retry.data!.checkout.status).toBe('PAID');
    expect(retry.data!.checkout.id).not.toBe(orderId);
    expect(await stockOf(product.id)).toEqual({ available: before.available - quantity, onHand: before.onHand - quantity, reserved: before.reserved });
  });

  it('crash after placing, before charging: recovery cancels the unpaid order and releases its stock; the cart stays', async () => {
    const { orderId, product, before, user, quantity } = await checkoutUntil('placed');
    expect((await orderRow(orderId))!.status).toBe('PENDING');

    const report = await recoverLater();
    expect(report.cancelled).toContain(orderId);
    expect(report.followUps).toContain(`${orderId}:stockReleased`);
    const order = (await orderRow(orderId))!;
    expect(order).toMatchObject({ status: 'CANCELLED', stockReleased: true, stockCommitted: false, cartCompleted: false });
    expect(await historyOf(orderId)).toEqual([
      ['PENDING', null],
      ['CANCELLED', CHECKOUT_ABANDONED_NOTE],
    ]);
    expect(await orders.orm.em.fork().count(Payment, { orderId })).toBe(0);
    expect(await stockOf(product.id)).toEqual(before);
    expect((await activeCartOf(user))?.items).toEqual([{ quantity }]);

    // Nothing is left to do: a second run does not touch the order again.
    const again = await recoverLater();
    expect(JSON.stringify(again)).not.toContain(orderId);
    expect(await historyOf(orderId)).toHaveLength(2);
  });

  it('crash after an approved charge, before PAID: recovery makes it PAID, commits the stock and completes the cart', async () => {
    const { orderId, product, before, user, quantity, cartId } = await checkoutUntil('charged');
    expect((await orderRow(orderId))!.status).toBe('PENDING');

    const report = await recoverLater();
    expect(report.paid).toContain(orderId);
    expect(report.followUps).toEqual(expect.arrayContaining([`${orderId}:stockCommitted`, `${orderId}:cartCompleted`]));
    expect(await orderRow(orderId)).toMatchObject({ status: 'PAID', stockCommitted: true, cartCompleted: true, stockReleased: false, cartId });
    expect((await historyOf(orderId)).map(([status]) => status)).toEqual(['PENDING', 'PAID']);
    // Sold: the units left both onHand and reserved.
    expect(await stockOf(product.id)).toEqual({ available: before.available - quantity, onHand: before.onHand - quantity, reserved: before.reserved });
    expect(await activeCartOf(user)).toBeNull();
    expect(await orders.orm.em.fork().count(Payment, { orderId })).toBe(1);
  });

  it('crash after a declined charge, before CANCELLED: recovery cancels it with the reason and releases its stock', async () => {
    const { orderId, product, before, user } = await checkoutUntil('charged', 'tok_declined');
    const report = await recoverLater();
    expect(report.cancelled).toContain(orderId);
    expect(await orderRow(orderId)).toMatchObject({ status: 'CANCELLED', stockReleased: true });
    expect(await historyOf(orderId)).toEqual([
      ['PENDING', null],
      ['CANCELLED', PAYMENT_DECLINED_NOTE],
    ]);
    expect(await stockOf(product.id)).toEqual(before);
    expect(await activeCartOf(user)).not.toBeNull();
  });

  it('crash after PAID, before committing: recovery commits the stock and completes the cart', async () => {
    const { orderId, product, before, user, quantity } = await checkoutUntil('settled');
    expect(await orderRow(orderId)).toMatchObject({ status: 'PAID', stockCommitted: false, cartCompleted: false });
    const report = await recoverLater();
    expect(report.paid).not.toContain(orderId);
    expect(report.followUps).toEqual(expect.arrayContaining([`${orderId}:stockCommitted`, `${orderId}:cartCompleted`]));
    expect(await orderRow(orderId)).toMatchObject({ status: 'PAID', stockCommitted: true, cartCompleted: true });
    expect(await stockOf(product.id)).toEqual({ available: before.available - quantity, onHand: before.onHand - quantity, reserved: before.reserved });
    expect(await activeCartOf(user)).toBeNull();
  });

  it('crash after CANCELLED, before releasing: recovery releases the stock', async () => {
    const { orderId, product, before } = await checkoutUntil('settled', 'tok_declined');
    expect(await orderRow(orderId)).toMatchObject({ status: 'CANCELLED', stockReleased: false });
    const report = await recoverLater();
    expect(report.followUps).toContain(`${orderId}:stockReleased`);
    expect(await orderRow(orderId)).toMatchObject({ status: 'CANCELLED', stockReleased: true });
    expect(await stockOf(product.id)).toEqual(before);
  });

  it('after committing, with cart down: the cart step fails alone, and recovery completes it once cart is back', async () => {
    const { orderId, product, before, user, quantity } = await checkoutUntil('settled');
    const outcome = await steps.followUp(work(clientsWithout('cart')), (await orderRow(orderId))!);
    expect(outcome.done).toEqual(['stockCommitted']);
    expect(outcome.failed.map((failure) => failure.step)).toEqual(['cartCompleted']);
    expect(await orderRow(orderId)).toMatchObject({ stockCommitted: true, cartCompleted: false });
    expect(await activeCartOf(user)).not.toBeNull();

    // Still down at the next run: reported, and left for the one after.
    const failed = await recoverLater(clientsWithout('cart'));
    expect(failed.failures).toContain(`${orderId}:cartCompleted`);

    const report = await recoverLater();
    expect(report.followUps).toContain(`${orderId}:cartCompleted`);
    expect(report.followUps).not.toContain(`${orderId}:stockCommitted`);
    expect(await orderRow(orderId)).toMatchObject({ stockCommitted: true, cartCompleted: true });
    expect(await activeCartOf(user)).toBeNull();
    expect(await stockOf(product.id)).toEqual({ available: before.available - quantity, onHand: before.onHand - quantity, reserved: before.reserved });
  });

  it('with inventory down, settles a charged order PAID and commits its stock at a later run', async () => {
    const { orderId, product, before, quantity } = await checkoutUntil('charged');
    const first = await recoverLater(clientsWithout('inventory'));
    expect(first.paid).toContain(orderId);
    expect(first.failures).toContain(`${orderId}:stockCommitted`);
    expect(await orderRow(orderId)).toMatchObject({ status: 'PAID', stockCommitted: false, cartCompleted: true });

    const second = await recoverLater();
    expect(second.followUps).toContain(`${orderId}:stockCommitted`);
    expect(await orderRow(orderId)).toMatchObject({ status: 'PAID', stockCommitted: true });
    expect(await stockOf(product.id)).toEqual({ available: before.available - quantity, onHand: before.onHand - quantity, reserved: before.reserved });
  });

  it('leaves a checkout younger than the timeout alone; a retry with its key then carries it on to PAID', async () => {
    const { orderId, product, before, user, quantity, idempotencyKey } = await checkoutUntil('placed');
    const report = await recovery.run(work(), { staleAfterMs: STALE_AFTER_MS });
    expect(JSON.stringify(report)).not.toContain(orderId);
    expect((await orderRow(orderId))!.status).toBe('PENDING');

    const retry = await orders.query<{ checkout: { id: string; status: string; statusHistory: { status: string }[] } }>(
      `mutation($input: CheckoutInput!) { checkout(input: $input) { id status statusHistory { status } } }`,
      { input: { shippingAddress: ADDRESS, paymentToken: 'tok_visa', idempotencyKey } },
      user,
    );
    expect(retry.errors).toBeUndefined();
    expect(retry.data!.checkout).toEqual({ id: orderId, status: 'PAID', statusHistory: [{ status: 'PENDING' }, { status: 'PAID' }] });
    expect(await orders.orm.em.fork().count(Order, { userId: user.id })).toBe(1);
    expect(await orders.orm.em.fork().count(Payment, { orderId })).toBe(1);
    expect(await orderRow(orderId)).toMatchObject({ stockCommitted: true, cartCompleted: true });
    expect(await stockOf(product.id)).toEqual({ available: before.available - quantity, onHand: before.onHand - quantity, reserved: before.reserved });
    expect(await activeCartOf(user)).toBeNull();
  });

  it('never cancels an order whose charge is under way: it waits on the order lock and then sees the payment', async () => {
    const { orderId } = await checkoutUntil('placed');
    let recovered: ReturnType<typeof recoverLater> | undefined;
    await orders.orm.em.fork().transactional(async (tx) => {
      // What chargeIfPending does, slowed down: lock the order, then take the payment.
      await tx.findOneOrFail(Order, { id: orderId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      recovered = recoverLater();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await steps.payments.charge(tx, orderId, 'tok_visa', { amount: 1, currency: 'USD' });
    });
    const report = await recovered!;
    expect(report.paid).toContain(orderId);
    expect(report.cancelled).not.toContain(orderId);
    expect(await orderRow(orderId)).toMatchObject({ status: 'PAID', stockCommitted: true, cartCompleted: true });
  });

  it('runs as a background task on the configured interval', async () => {
    const { orderId, product, before } = await checkoutUntil('placed');
    const config = readSubgraphConfig(ordersSubgraph, { ORDER_RECOVERY_INTERVAL_MS: '50', ORDER_PENDING_TIMEOUT_MS: '1' });
    const tasks = startOrderRecovery({ orm: orders.orm, logger: log, clients, settings: { production: false }, config, events: {} as EventBus });
    try {
      await eventually(async () => (await orderRow(orderId))!.status !== 'PENDING', 'the recovery task to settle the order', 10_000);
    } finally {
      await Promise.all(tasks.map((task) => task.stop()));
    }
    expect(await orderRow(orderId)).toMatchObject({ status: 'CANCELLED', stockReleased: true });
    expect(await stockOf(product.id)).toEqual(before);
  });
  describe('a cart changed while the checkout ran', () => {
    const addToCart = async (user: Viewer, productId: string, quantity: number) => {
      const added = await cart.query(`mutation($productId: ID!, $quantity: Int!) { addToCart(productId: $productId, quantity: $quantity) { id } }`, { productId, quantity }, user);
      expect(added.errors).toBeUndefined();
    };
    const cartLines = async (user: Viewer) => {
      const result = await cart.query<{ cart: { id: string; items: { quantity: number; product: { id: string } }[] } | null }>(`{ cart { id items { quantity product { id } } } }`, {}, user);
      expect(result.errors).toBeUndefined();
      const found = result.data!.cart;
      return found && { id: found.id, lines: found.items.map((item) => [item.product.id, item.quantity]) };
    };

    it('crash after PAID, then the shopper added to the cart: recovery checks out only what was bought, once', async () => {
      const { orderId, product, user, quantity, cartId } = await checkoutUntil('settled');
      // Orders read the cart, reserved, placed and charged; the shopper adds a product and more of the one bought before the cart is completed.
      const other = products[nextProduct++];
      await addToCart(user, other.id, 1);
      await addToCart(user, product.id, 1);

      const report = await recoverLater();
      expect(report.followUps).toEqual(expect.arrayContaining([`${orderId}:stockCommitted`, `${orderId}:cartCompleted`]));
      expect(await orderRow(orderId)).toMatchObject({ status: 'PAID', stockCommitted: true, cartCompleted: true, cartId });
      const rest = (await cartLines(user))!;
      expect(rest.id).not.toBe(cartId);
      expect(rest.lines).toEqual([
        [other.id, 1],
        [product.id, 1],
      ]);
      // What the order bought is what its cart now records as checked out.
      const items = await orders.orm.em.fork().find(OrderItem, { order: orderId });
      expect(items.map((item) => [item.productId, item.quantity])).toEqual([[product.id, quantity]]);

      // The step again (a retry racing recovery, say): nothing moves twice.
      const again = await steps.followUp(work(), { ...(await orderRow(orderId))!, cartCompleted: false } as Order);
      expect(again.failed).toEqual([]);
      expect(await cartLines(user)).toEqual(rest);
    });
  });

  describe('a PAID order whose reservation expired before recovery ran (orders was down longer than a reservation lives)', () => {
    const ORDER = `query($id: ID!) { order(id: $id) { id status needsAttention attentionReason } }`;
    const seenAs = async (viewer: Viewer, id: string) => {
      const result = await orders.query<{ order: { id: string; status: string; needsAttention: boolean; attentionReason: string | null } }>(ORDER, { id }, viewer);
      expect(result.errors).toBeUndefined();
      return result.data!.order;
    };
    const counted = async () => (await ordersNeedingAttention.get()).values.find((value) => value.labels.reason === OrderAttentionReason.STOCK_UNAVAILABLE)?.value ?? 0;
    const renewedCount = async () => (await ordersStockRenewed.get()).values[0]?.value ?? 0;
    /** A PAID order with nothing committed whose reservation inventory's sweeper has released: its units are back on the shelf. */
    async function paidWithLapsedReservation(crashAfter: 'charged' | 'settled' = 'settled') {
      const scenario = await checkoutUntil(crashAfter);
      expect(await releaseExpiredReservations(inventory.orm.em.fork(), new Date(Date.now() + 16 * 60_000))).toBeGreaterThanOrEqual(1);
      expect(await stockOf(scenario.product.id)).toEqual(scenario.before);
      return scenario;
    }
    /** Units of the product's default variant (the one its orders here buy) available now. */
    async function defaultVariantAvailable(productId: string): Promise<number> {
      const result = await inventory.query<{ _entities: { availableQuantity: number }[] }>(
        `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on ProductVariant { availableQuantity } } }`,
        { representations: [{ __typename: 'ProductVariant', id: productId }] },
      );
      expect(result.errors).toBeUndefined();
      return result.data!._entities[0].availableQuantity;
    }
    /** Someone else holds every unit left of what the order bought (the product's default variant). */
    async function takeAllStock(productId: string): Promise<string> {
      const blocker = randomUUID();
      await reserveStock(clients, admin, blocker, [{ productId, variantId: productId, quantity: await defaultVariantAvailable(productId) }]);
      expect(await defaultVariantAvailable(productId)).toBe(0);
      return blocker;
    }

    it.each(['charged', 'settled'] as const)('crash after %s: takes the stock again and commits it when there is enough', async (crashAfter) => {
      const { orderId, product, before, quantity, user } = await paidWithLapsedReservation(crashAfter);
      const renewedBefore = await renewedCount();

      const report = await recoverLater();
      expect(report.paid.includes(orderId)).toBe(crashAfter === 'charged');
      expect(report.stockRenewed).toEqual([orderId]);
      expect(report.followUps).toEqual(expect.arrayContaining([`${orderId}:stockCommitted`, `${orderId}:cartCompleted`]));
      expect(report.needsAttention).not.toContain(orderId);
      expect(await orderRow(orderId)).toMatchObject({ status: 'PAID', stockCommitted: true, cartCompleted: true, attentionReason: null });
      // Sold once, like any paid order.
      expect(await stockOf(product.id)).toEqual({ available: before.available - quantity, onHand: before.onHand - quantity, reserved: before.reserved });
      expect(await seenAs(user, orderId)).toMatchObject({ status: 'PAID', needsAttention: false, attentionReason: null });
      expect(await renewedCount()).toBe(renewedBefore + 1);
      expect(await activeCartOf(user)).toBeNull();

      const again = await recoverLater();
      expect(JSON.stringify(again)).not.toContain(orderId);
    });

    it('marks the order as needing attention when the stock is gone, once, and settles it when stock is back', async () => {
      const { orderId, product, before, quantity, user } = await paidWithLapsedReservation();
      const blocker = await takeAllStock(product.id);
      const countedBefore = await counted();
      const errors = jest.spyOn(log, 'error');
      try {
        const report = await recoverLater();
        expect(report.needsAttention).toEqual([orderId]);
        expect(report.stockRenewed).not.toContain(orderId);
        // Not a failure to retry at once: the cart is completed all the same (the shopper paid), the stock waits.
        expect(report.failures).not.toContain(`${orderId}:stockCommitted`);
        expect(report.followUps).toContain(`${orderId}:cartCompleted`);
        expect(await orderRow(orderId)).toMatchObject({ status: 'PAID', stockCommitted: false, cartCompleted: true, attentionReason: 'STOCK_UNAVAILABLE' });
        // Visible to the buyer and to an operator, counted, and logged with a stable message.
        for (const viewer of [user, admin]) {
          expect(await seenAs(viewer, orderId)).toEqual({ id: orderId, status: 'PAID', needsAttention: true, attentionReason: 'STOCK_UNAVAILABLE' });
        }
        expect(await counted()).toBe(countedBefore + 1);
        expect(errors).toHaveBeenCalledWith(
          expect.objectContaining({ orderId, needsAttention: true, reason: 'STOCK_UNAVAILABLE', productIds: [product.id] }),
          NEEDS_ATTENTION_LOG,
        );
        // Nothing was taken: the other holder keeps its units.
        expect(await defaultVariantAvailable(product.id)).toBe(0);

        // Still no stock at the next run: tried again, still marked, neither counted nor logged again.
        errors.mockClear();
        const still = await recoverLater();
        expect(still.needsAttention).toEqual([orderId]);
        expect(await counted()).toBe(countedBefore + 1);
        expect(errors).not.toHaveBeenCalledWith(expect.anything(), NEEDS_ATTENTION_LOG);
      } finally {
        errors.mockRestore();
      }

      // Stock is back (the other holder let go, or an operator restocked): the next run settles the order.
      await releaseStock(clients, admin, blocker);
      const settled = await recoverLater();
      expect(settled.stockRenewed).toEqual([orderId]);
      expect(settled.followUps).toContain(`${orderId}:stockCommitted`);
      expect(settled.needsAttention).toEqual([]);
      expect(await orderRow(orderId)).toMatchObject({ status: 'PAID', stockCommitted: true, attentionReason: null });
      expect(await seenAs(user, orderId)).toMatchObject({ needsAttention: false, attentionReason: null });
      expect(await stockOf(product.id)).toEqual({ available: before.available - quantity, onHand: before.onHand - quantity, reserved: before.reserved });
      expect(JSON.stringify(await recoverLater())).not.toContain(orderId);
    });

    it('no longer needs attention once cancelled, and takes no stock', async () => {
      const { orderId, product, before, user } = await paidWithLapsedReservation();
      const blocker = await takeAllStock(product.id);
      expect((await recoverLater()).needsAttention).toEqual([orderId]);

      const cancelled = await orders.query<{ cancelOrder: { status: string; needsAttention: boolean; attentionReason: string | null } }>(
        `mutation($id: ID!) { cancelOrder(id: $id) { status needsAttention attentionReason } }`,
        { id: orderId },
        admin,
      );
      expect(cancelled.errors).toBeUndefined();
      expect(cancelled.data!.cancelOrder).toEqual({ status: 'CANCELLED', needsAttention: false, attentionReason: null });
      expect(await orderRow(orderId)).toMatchObject({ status: 'CANCELLED', stockReleased: true, stockCommitted: false });
      expect(JSON.stringify(await recoverLater())).not.toContain(orderId);
      await releaseStock(clients, admin, blocker);
      expect(await stockOf(product.id)).toEqual(before);
      expect(await seenAs(user, orderId)).toMatchObject({ status: 'CANCELLED', needsAttention: false });
    });
  });
  describe('refunds of cancelled orders', () => {
    const CANCEL = `mutation($id: ID!) { cancelOrder(id: $id) { status refundStatus refundedAmount { amount currency } statusHistory { status note } } }`;
    type Cancelled = { status: string; refundStatus: string | null; refundedAmount: { amount: number; currency: string }; statusHistory: { status: string; note: string | null }[] };
    const cancelAs = (viewer: Viewer, id: string) => orders.query<{ cancelOrder: Cancelled }>(CANCEL, { id }, viewer);
    const refundsOf = (orderId: string) => orders.orm.em.fork().find(PaymentRefund, { orderId });

    /** A provider whose refunds fail `times` times (the provider down, or the process stopping mid-call), then work. */
    class FailingRefunds extends PaymentService {
      constructor(private times: number) {
        super();
      }
      override async refund(...args: Parameters<PaymentService['refund']>) {
        if (this.times-- > 0) throw new Error('payment provider unavailable');
        return super.refund(...args);
      }
    }

    /** The cancellation as cancelOrder makes it, and nothing after it: the state a crash right after the status change leaves. */
    const cancelOnly = (orderId: string, via = steps) =>
      via.statuses.transition(orders.orm.em.fork(), orderId, (order, tx) => via.cancellation(tx, order, CANCELLED_BY_CUSTOMER_NOTE));

    it('refunds a cancelled PAID order in full, once, and records it on the order and in the provider', async () => {
      const { orderId, user, product, before } = await checkoutUntil('settled');
      await steps.followUp(work(), (await orderRow(orderId))!);
      const paid = (await orderRow(orderId))!;
      const cancelled = await cancelAs(user, orderId);
      expect(cancelled.errors).toBeUndefined();
      expect(cancelled.data!.cancelOrder).toMatchObject({
        status: 'CANCELLED',
        refundStatus: 'REFUNDED',
        refundedAmount: { amount: paid.totalAmount, currency: paid.currency },
      });
      expect(cancelled.data!.cancelOrder.statusHistory.at(-1)).toEqual({ status: 'CANCELLED', note: 'Cancelled by the customer; the payment is refunded in full' });
      expect(await orderRow(orderId)).toMatchObject({ status: 'CANCELLED', stockReleased: true, refundStatus: OrderRefundStatus.REFUNDED, refundedAmount: paid.totalAmount });
      expect((await refundsOf(orderId)).map((refund) => [refund.amount, refund.currency])).toEqual([[paid.totalAmount, paid.currency]]);
      expect(await stockOf(product.id)).toEqual(before);

      // Retries: the cancellation is refused, the follow-ups and the provider call find the refund done.
      expect((await cancelAs(user, orderId)).errors?.[0]?.extensions?.code).toBe('INVALID_STATUS_TRANSITION');
      const [first] = await refundsOf(orderId);
      const again = await steps.payments.refund(orders.orm.em.fork(), `order-cancelled:${orderId}`, orderId, { amount: paid.totalAmount, currency: paid.currency });
      expect(again.id).toBe(first.id);
      await expect(steps.payments.refund(orders.orm.em.fork(), randomUUID(), orderId, { amount: 1, currency: paid.currency })).rejects.toThrow(/left to refund/);
      expect((await steps.followUp(work(), (await orderRow(orderId))!)).done).toEqual([]);
      expect(await refundsOf(orderId)).toHaveLength(1);
      expect(JSON.stringify(await recoverLater())).not.toContain(orderId);
    });

    it('refunds nothing for a PENDING order that was never charged', async () => {
      const { orderId, user, product, before } = await checkoutUntil('placed');
      const cancelled = await cancelAs(user, orderId);
      expect(cancelled.errors).toBeUndefined();
      expect(cancelled.data!.cancelOrder).toMatchObject({ status: 'CANCELLED', refundStatus: null, refundedAmount: { amount: 0 } });
      expect(cancelled.data!.cancelOrder.statusHistory.at(-1)).toEqual({ status: 'CANCELLED', note: CANCELLED_BY_CUSTOMER_NOTE });
      expect(await refundsOf(orderId)).toHaveLength(0);
      expect(await orders.orm.em.fork().findOne(Payment, { orderId })).toBeNull();
      expect(await stockOf(product.id)).toEqual(before);
      // The charge of the checkout, should it carry on, finds the order cancelled and takes nothing.
      expect(await steps.chargeIfPending(orders.orm.em.fork(), orderId, 'tok_visa')).toBeNull();
    });

    it('refunds a PENDING order whose charge went through before the cancellation', async () => {
      const { orderId, user } = await checkoutUntil('charged');
      const cancelled = await cancelAs(user, orderId);
      expect(cancelled.errors).toBeUndefined();
      const row = (await orderRow(orderId))!;
      expect(cancelled.data!.cancelOrder).toMatchObject({ status: 'CANCELLED', refundStatus: 'REFUNDED', refundedAmount: { amount: row.totalAmount } });
      expect(await refundsOf(orderId)).toHaveLength(1);
    });

    it('crash after the cancellation, before the refund: recovery releases the stock and refunds, once', async () => {
      const { orderId, product, before } = await checkoutUntil('settled');
      const cancelled = await cancelOnly(orderId);
      expect(cancelled?.changed).toBe(true);
      const row = (await orderRow(orderId))!;
      expect(row).toMatchObject({ status: 'CANCELLED', stockReleased: false, refundStatus: OrderRefundStatus.PENDING, refundedAmount: 0 });
      expect(await refundsOf(orderId)).toHaveLength(0);

      const report = await recoverLater();
      expect(report.followUps).toEqual(expect.arrayContaining([`${orderId}:stockReleased`, `${orderId}:refunded`]));
      expect(await orderRow(orderId)).toMatchObject({ status: 'CANCELLED', stockReleased: true, refundStatus: OrderRefundStatus.REFUNDED, refundedAmount: row.totalAmount });
      expect((await refundsOf(orderId)).map((refund) => refund.amount)).toEqual([row.totalAmount]);
      expect(await stockOf(product.id)).toEqual(before);
      expect(JSON.stringify(await recoverLater())).not.toContain(orderId);
    });

    it('a refund that failed after the cancellation is finished by recovery; a refund recorded before a crash is not repeated', async () => {
      const failing = new CheckoutSteps(undefined, new FailingRefunds(1));
      const { orderId } = await checkoutUntil('settled');
      await cancelOnly(orderId, failing);
      const outcome = await failing.followUp(work(), (await orderRow(orderId))!);
      expect(outcome.done).toEqual(['stockReleased']);
      expect(outcome.failed.map(({ step }) => step)).toEqual(['refunded']);
      expect(await orderRow(orderId)).toMatchObject({ status: 'CANCELLED', stockReleased: true, refundStatus: OrderRefundStatus.PENDING });

      const report = await recoverLater();
      expect(report.followUps).toContain(`${orderId}:refunded`);
      const row = (await orderRow(orderId))!;
      expect(row).toMatchObject({ refundStatus: OrderRefundStatus.REFUNDED, refundedAmount: row.totalAmount });
      expect(await refundsOf(orderId)).toHaveLength(1);

      // The provider refunded, then the process stopped before the order recorded it: recovery reads the refund back.
      const second = await checkoutUntil('settled');
      await cancelOnly(second.orderId);
      const total = (await orderRow(second.orderId))!.totalAmount;
      await steps.payments.refund(orders.orm.em.fork(), `order-cancelled:${second.orderId}`, second.orderId, { amount: total, currency: row.currency });
      expect((await recoverLater()).followUps).toContain(`${second.orderId}:refunded`);
      expect(await orderRow(second.orderId)).toMatchObject({ refundStatus: OrderRefundStatus.REFUNDED, refundedAmount: total });
      expect(await refundsOf(second.orderId)).toHaveLength(1);
    });
  });
});
