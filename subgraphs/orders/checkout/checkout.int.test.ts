import { randomUUID } from 'node:crypto';
import { demoCatalog } from '../../../lib/demo-data';
import { Role, type Viewer } from '../../../lib/identity';
import { countStatements } from '../../../test/sql-counter';
import { startTestSubgraph, type GraphQLResult, type TestSubgraph } from '../../../test/subgraph-harness';
import { cartSubgraph } from '../../cart/cart.server';
import { catalogSubgraph } from '../../catalog/catalog.server';
import { inventorySubgraph } from '../../inventory/inventory.server';
import { OrderItem } from '../order-item/order-item.entity';
import { Order } from '../order/order.entity';
import { CheckoutSteps } from './checkout-steps';
import { DiscountRedemption } from '../discount/discount-redemption.entity';
import { Payment } from '../payment/payment.entity';
import { ordersSubgraph } from '../orders.server';

const ADDRESS = { line1: 'Main Street 1', line2: 'Unit 2', city: 'Springfield', postalCode: '12345', country: 'US' };
const CHECKOUT = `mutation($input: CheckoutInput!) { checkout(input: $input) { id status total { amount } cost { subtotal { amount } shipping { amount } tax { amount } total { amount } } items { quantity } } }`;

// Four services start per file, and a checkout is several calls between them: a loaded machine must not turn slowness into failures.
jest.setTimeout(30_000);

describe('checkout in the orders subgraph', () => {
  let catalog: TestSubgraph;
  let inventory: TestSubgraph;
  let cart: TestSubgraph;
  let orders: TestSubgraph;
  const products = demoCatalog().products.filter((_, index) => (index + 1) % 10 !== 0);
  let nextProduct = 0;

  beforeAll(async () => {
    [catalog, inventory] = await Promise.all([startTestSubgraph(catalogSubgraph, { seed: true }), startTestSubgraph(inventorySubgraph, { seed: true })]);
    cart = await startTestSubgraph(cartSubgraph, { subgraphUrls: { catalog: catalog.url, inventory: inventory.url } });
    orders = await startTestSubgraph(ordersSubgraph, { subgraphUrls: { catalog: catalog.url, inventory: inventory.url, cart: cart.url } });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([orders, cart, inventory, catalog].map((subgraph) => subgraph?.stop()));
  });

  async function fillCart(user: Viewer, lines: number): Promise<number> {
    let total = 0;
    for (let i = 0; i < lines; i += 1) {
      const product = products[nextProduct++];
      const added = await cart.query(`mutation($productId: ID!) { addToCart(productId: $productId, quantity: 1) { id } }`, { productId: product.id }, user);
      expect(added.errors).toBeUndefined();
      total += product.priceAmount;
    }
    return total;
  }

  it('answers EMPTY_CART to a signed-in shopper with no cart at all, and NOT_FOUND to a cartId that is not there', async () => {
    const user: Viewer = { id: randomUUID(), role: Role.CUSTOMER };
    const input = { shippingAddress: ADDRESS, paymentToken: 'tok_visa', idempotencyKey: randomUUID() };
    const noCart = await orders.query(CHECKOUT, { input }, user);
    expect(noCart.errors?.map((error) => error.extensions?.code)).toEqual(['EMPTY_CART']);
    const unknownCart = await orders.query(CHECKOUT, { input: { ...input, cartId: randomUUID() } }, user);
    expect(unknownCart.errors?.map((error) => error.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(await orders.orm.em.fork().count(Order, { userId: user.id })).toBe(0);
  });

  it('buys what it read: a line added and units raised while the payment runs stay in the cart, for the next checkout', async () => {
    const user: Viewer = { id: randomUUID(), role: Role.CUSTOMER };
    const [bought, raised, late] = [products[nextProduct++], products[nextProduct++], products[nextProduct++]];
    const addToCart = async (productId: string, quantity: number) => {
      const added = await cart.query(`mutation($productId: ID!, $quantity: Int!) { addToCart(productId: $productId, quantity: $quantity) { id } }`, { productId, quantity }, user);
      expect(added.errors).toBeUndefined();
    };
    const available = async (productId: string) => {
      const result = await inventory.query<{ _entities: { availableQuantity: number }[] }>(
        `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { availableQuantity } } }`,
        { representations: [{ __typename: 'Product', id: productId }] },
      );
      return result.data!._entities[0].availableQuantity;
    };
    const myCart = async () => {
      const result = await cart.query<{ cart: { id: string; items: { quantity: number; product: { id: string } }[] } | null }>(`{ cart { id items { quantity product { id } } } }`, {}, user);
      expect(result.errors).toBeUndefined();
      return result.data!.cart;
    };
    await addToCart(bought.id, 1);
    await addToCart(raised.id, 1);
    const before = { raised: await available(raised.id), late: await available(late.id) };

    // The shopper, in another tab, while the card is being charged: orders has read the cart, reserved its lines and placed the order.
    const charge = CheckoutSteps.prototype.chargeIfPending;
    let interleaved = 0;
    const duringPayment = jest.spyOn(CheckoutSteps.prototype, 'chargeIfPending').mockImplementationOnce(async function (this: CheckoutSteps, ...args) {
      interleaved += 1;
      await addToCart(late.id, 2);
      await addToCart(raised.id, 1);
      return charge.apply(this, args);
    });
    type Placed = {
      checkout: { id: string; status: string; total: { amount: number }; cost: { subtotal: { amount: number }; total: { amount: number } }; items: { quantity: number; product: { id: string } }[] };
    };
    let result: GraphQLResult<Placed>;
    try {
      result = await orders.query<Placed>(
        `mutation($input: CheckoutInput!) { checkout(input: $input) { id status total { amount } cost { subtotal { amount } total { amount } } items { quantity product { id } } } }`,
        { input: { shippingAddress: ADDRESS, paymentToken: 'tok_visa', idempotencyKey: randomUUID() } },
        user,
      );
    } finally {
      duringPayment.mockRestore();
    }
    expect(result.errors).toBeUndefined();
    expect(interleaved).toBe(1);
    const order = result.data!.checkout;
    expect(order.status).toBe('PAID');
    const lines = (items: { quantity: number; product: { id: string } }[]) => items.map((item) => [item.product.id, item.quantity]).sort();
    expect(lines(order.items)).toEqual(
      [
        [bought.id, 1],
        [raised.id, 1],
      ].sort(),
    );
    // Priced as read: the lines bought, not what was added meanwhile (the total adds shipping and tax to them).
    expect(order.cost.subtotal.amount).toBe(bought.priceAmount + raised.priceAmount);
    expect(order.total.amount).toBe(order.cost.total.amount);
    // Sold is what was paid for; what was added meanwhile is still in the shop.
    expect(await available(raised.id)).toBe(before.raised - 1);
    expect(await available(late.id)).toBe(before.late);

    // ... and in the shopper's cart: a new active cart holding exactly what was added during the checkout.
    const rest = (await myCart())!;
    expect(rest).not.toBeNull();
    expect(rest.items.map((item) => [item.product.id, item.quantity])).toEqual([
      [late.id, 2],
      [raised.id, 1],
    ]);
    const row = await orders.orm.em.fork().findOneOrFail(Order, { id: order.id });
    expect(row).toMatchObject({ cartCompleted: true, stockCommitted: true });
    expect(row.cartId).not.toBe(rest.id);

    // Which the shopper can check out in turn.
    const next = await orders.query<{ checkout: { status: string; items: { quantity: number; product: { id: string } }[] } }>(CHECKOUT.replace('items { quantity }', 'items { quantity product { id } }'), {
      input: { shippingAddress: ADDRESS, paymentToken: 'tok_visa', idempotencyKey: randomUUID() },
    }, user);
    expect(next.errors).toBeUndefined();
    expect(lines(next.data!.checkout.items)).toEqual(
      [
        [late.id, 2],
        [raised.id, 1],
      ].sort(),
    );
    expect(await myCart()).toBeNull();
  });

  it('snapshots the lines and the shipping address, and costs the same SQL statements for 1 line as for 8', async () => {
    const counter = countStatements(orders.orm);
    try {
      const measure = async (lines: number) => {
        const user: Viewer = { id: randomUUID(), role: Role.CUSTOMER };
        const total = await fillCart(user, lines);
        counter.reset();
        const result = await orders.query(CHECKOUT, { input: { shippingAddress: ADDRESS, paymentToken: 'tok_visa', idempotencyKey: randomUUID() } }, user);
        const statements = counter.count;
        expect(result.errors).toBeUndefined();
        expect(result.data!.checkout).toMatchObject({ status: 'PAID', cost: { subtotal: { amount: total } } });
        const { cost } = result.data!.checkout;
        expect(result.data!.checkout.total.amount).toBe(cost.subtotal.amount + cost.shipping.amount + cost.tax.amount);
        expect(result.data!.checkout.items).toHaveLength(lines);
        const order = await orders.orm.em.fork().findOneOrFail(Order, { id: result.data!.checkout.id });
        expect(order.shippingAddress).toMatchObject(ADDRESS);
        expect(await orders.orm.em.fork().count(OrderItem, { order: order.id })).toBe(lines);
        return statements;
      };
      const one = await measure(1);
      const eight = await measure(8);
      expect(eight).toBe(one);
      // 3 transactions (place, charge, settle) + 2 follow-up flags + the key lookup + the response's lines.
      expect(one).toBeLessThanOrEqual(22);
      console.info(`SQL statements in orders for one checkout: ${one} with 1 line, ${eight} with 8 lines`);
    } finally {
      counter.detach();
    }
  });

  describe('discount codes', () => {
    const admin: Viewer = { id: randomUUID(), role: Role.ADMIN };
    const CREATE_CODE = `mutation($input: CreateDiscountCodeInput!) { createDiscountCode(input: $input) { id code } }`;
    const APPLY_CODE = `mutation($code: String!) { applyDiscountCode(code: $code) { id } }`;
    const ORDER_CHECKOUT = `mutation($input: CheckoutInput!) { checkout(input: $input) { id status discountCodes cost { subtotal { amount } discounts { amount } total { amount } } } }`;
    type Checkout = { checkout: { id: string; status: string; discountCodes: string[]; cost: { subtotal: { amount: number }; discounts: { amount: number }; total: { amount: number } } } };
    const available = async (productId: string) => {
      const result = await inventory.query<{ _entities: { availableQuantity: number }[] }>(
        `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on ProductVariant { availableQuantity } } }`,
        { representations: [{ __typename: 'ProductVariant', id: productId }] },
      );
      expect(result.errors).toBeUndefined();
      return result.data!._entities[0].availableQuantity;
    };

    it("redeems a code once per order, even when the checkout is retried, and refuses the customer's use beyond the limit, releasing the stock and charging nothing", async () => {
      const created = await cart.query<{ createDiscountCode: { id: string; code: string } }>(
        CREATE_CODE,
        { input: { code: `ONCE${randomUUID().slice(0, 6).toUpperCase()}`, kind: 'FIXED_AMOUNT', value: 500, usageLimitPerCustomer: 1 } },
        admin,
      );
      expect(created.errors).toBeUndefined();
      const { id: codeId, code } = created.data!.createDiscountCode;
      const user: Viewer = { id: randomUUID(), role: Role.CUSTOMER };
      await fillCart(user, 1);
      expect((await cart.query(APPLY_CODE, { code }, user)).errors).toBeUndefined();

      const input = { shippingAddress: ADDRESS, paymentToken: 'tok_visa', idempotencyKey: randomUUID() };
      const first = await orders.query<Checkout>(ORDER_CHECKOUT, { input }, user);
      expect(first.errors).toBeUndefined();
      expect(first.data!.checkout).toMatchObject({ status: 'PAID', discountCodes: [code], cost: { discounts: { amount: 500 } } });
      const again = await orders.query<Checkout>(ORDER_CHECKOUT, { input }, user);
      expect(again.errors).toBeUndefined();
      expect(again.data!.checkout).toEqual(first.data!.checkout);
      expect(await orders.orm.em.fork().count(DiscountRedemption, { codeId })).toBe(1);

      // The same customer, a new cart, the same code: refused before anything is charged, the reserved stock given back.
      const product = products[nextProduct++];
      const before = await available(product.id);
      const paymentsBefore = await orders.orm.em.fork().count(Payment, {});
      expect((await cart.query(`mutation($productId: ID!) { addToCart(productId: $productId, quantity: 2) { id } }`, { productId: product.id }, user)).errors).toBeUndefined();
      expect((await cart.query(APPLY_CODE, { code }, user)).errors).toBeUndefined();
      const refused = await orders.query<Checkout>(ORDER_CHECKOUT, { input: { ...input, idempotencyKey: randomUUID() } }, user);
      expect(refused.errors?.map((error) => error.extensions)).toEqual([expect.objectContaining({ code: 'DISCOUNT_CODE_LIMIT_REACHED', limit: 'PER_CUSTOMER', discountCode: code })]);
      expect(await available(product.id)).toBe(before);
      expect(await orders.orm.em.fork().count(Order, { userId: user.id })).toBe(1);
      expect(await orders.orm.em.fork().count(Payment, {})).toBe(paymentsBefore);
      expect(await orders.orm.em.fork().count(DiscountRedemption, { codeId })).toBe(1);
    });

    it('maps an unknown shipping method to input.shippingMethodId, reserving nothing', async () => {
      const user: Viewer = { id: randomUUID(), role: Role.CUSTOMER };
      await fillCart(user, 1);
      const result = await orders.query(CHECKOUT, { input: { shippingAddress: ADDRESS, shippingMethodId: 'pigeon', paymentToken: 'tok_visa', idempotencyKey: randomUUID() } }, user);
      expect(result.errors?.map((error) => [error.extensions?.code, error.extensions?.argumentName])).toEqual([['BAD_USER_INPUT', 'input.shippingMethodId']]);
      expect(await orders.orm.em.fork().count(Order, { userId: user.id })).toBe(0);
    });
  });
});
