import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Role, type Viewer } from '../../lib/identity';
import { countStatements } from '../../test/sql-counter';
import { startTestSubgraph, type GraphQLResult, type TestSubgraph } from '../../test/subgraph-harness';
import { CartItem } from './cart-item/cart-item.entity';
import { cartSubgraph } from './cart.server';
import { DiscountCode } from './discount-code/discount-code.entity';

/**
 * Variants, discount codes, shipping, tax and the checkout quote, against a
 * stand-in for catalog and inventory: one small server answering their
 * `_entities` for ProductVariant (price, product, weight; stock) from maps
 * the tests change at will.
 */

interface StubVariant {
  id: string;
  productId: string;
  amount: number;
  currency: string;
  weightGrams: number;
  available: number;
}

class SiblingStub {
  readonly variants = new Map<string, StubVariant>();
  readonly calls: string[] = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        const { query, variables } = JSON.parse(body) as { query: string; variables: { representations: { __typename: string; id: string }[] } };
        const stock = /availableQuantity/.test(query) && !/price/.test(query);
        this.calls.push(stock ? 'inventory' : 'catalog');
        const entities = variables.representations.map(({ __typename, id }) => {
          const variant = __typename === 'ProductVariant' ? this.variants.get(id) : undefined;
          if (!variant) return null;
          return stock
            ? { id, availableQuantity: variant.available }
            : { id, product: { id: variant.productId }, price: { amount: variant.amount, currency: variant.currency }, weightGrams: variant.weightGrams };
        });
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ data: { _entities: entities } }));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/graphql`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** A product with its default variant (id = product id) and further variants. */
  product(defaults: Partial<StubVariant> = {}, others: Partial<StubVariant>[] = []): StubVariant[] {
    const productId = randomUUID();
    const all = [{ id: productId, ...defaults }, ...others.map((other) => ({ id: randomUUID(), ...other }))].map((partial) => ({
      productId,
      amount: 1000,
      currency: 'USD',
      weightGrams: 500,
      available: 100,
      ...partial,
    }));
    for (const variant of all) this.variants.set(variant.id, variant);
    return all;
  }
}

const CART_FIELDS = `id itemCount
  subtotal { amount currency }
  items { id quantity product { id } variant { id } unitPrice { amount } lineTotal { amount } }
  discountCodes { code applicable message }`;

interface CartData {
  id: string;
  itemCount: number;
  subtotal: { amount: number; currency: string };
  items: { id: string; quantity: number; product: { id: string }; variant: { id: string }; unitPrice: { amount: number }; lineTotal: { amount: number } }[];
  discountCodes: { code: string; applicable: boolean; message: string | null }[];
}

const ADD = `mutation($cartId: ID, $productId: ID!, $quantity: Int!, $variantId: ID) {
  addToCart(cartId: $cartId, productId: $productId, quantity: $quantity, variantId: $variantId) { ${CART_FIELDS} }
}`;
const APPLY = `mutation($cartId: ID, $code: String!) { applyDiscountCode(cartId: $cartId, code: $code) { ${CART_FIELDS} } }`;
const REMOVE_CODE = `mutation($cartId: ID) { removeDiscountCode(cartId: $cartId) { ${CART_FIELDS} } }`;
const CREATE_CODE = `mutation($input: CreateDiscountCodeInput!) {
  createDiscountCode(input: $input) { id code kind value currency minimumSubtotal { amount currency } startsAt endsAt usageLimit usageLimitPerCustomer createdAt }
}`;
const MONEY = 'amount currency';
const COST = `query($id: ID, $countryCode: String, $shippingMethodId: ID) {
  cart(id: $id) {
    cost(countryCode: $countryCode, shippingMethodId: $shippingMethodId) {
      subtotal { ${MONEY} } discounts { ${MONEY} } shipping { ${MONEY} } tax { ${MONEY} } total { ${MONEY} } countryCode shippingMethod { id name description }
    }
  }
}`;
const RATES = `query($id: ID, $countryCode: String!) { cart(id: $id) { shippingRates(countryCode: $countryCode) { method { id name description } price { amount currency } } } }`;
// Exactly the shape orders reads (spec: CheckoutCart).
const CHECKOUT_CART = `query CheckoutCart($id: ID, $countryCode: String!, $shippingMethodId: ID) {
  cart(id: $id) {
    id
    items { quantity product { id } variant { id } }
    checkoutQuote(countryCode: $countryCode, shippingMethodId: $shippingMethodId) {
      currency
      lines { variantId productId quantity unitPriceAmount }
      subtotal discounts shipping tax total
      shippingMethod { id name description }
      discount { codeId code usageLimit usageLimitPerCustomer }
    }
  }
}`;

type Money = { amount: number; currency: string };
interface CostData {
  subtotal: Money;
  discounts: Money;
  shipping: Money;
  tax: Money;
  total: Money;
  countryCode: string;
  shippingMethod: { id: string; name: string; description: string } | null;
}

const codeOf = (result: GraphQLResult) => result.errors?.[0]?.extensions?.code;
const extensionsOf = (result: GraphQLResult) => result.errors?.[0]?.extensions ?? {};

describe('cart pricing: variants, discount codes, shipping, tax', () => {
  const stub = new SiblingStub();
  let cart: TestSubgraph;
  const admin: Viewer = { id: randomUUID(), role: Role.ADMIN };
  const newUser = (): Viewer => ({ id: randomUUID(), role: Role.CUSTOMER });

  beforeAll(async () => {
    await stub.start();
    cart = await startTestSubgraph(cartSubgraph, { seed: true, subgraphUrls: { catalog: stub.url, inventory: stub.url } });
  });
  afterAll(async () => {
    await cart?.stop();
    await stub.stop();
  });

  const add = (viewer: Viewer | null, productId: string, quantity: number, cartId?: string | null, variantId?: string | null) =>
    cart.query<{ addToCart: CartData }>(ADD, { cartId, productId, quantity, variantId }, viewer);
  const apply = (viewer: Viewer | null, cartId: string | null, code: string) => cart.query<{ applyDiscountCode: CartData }>(APPLY, { cartId, code }, viewer);
  const removeCode = (viewer: Viewer | null, cartId: string | null) => cart.query<{ removeDiscountCode: CartData }>(REMOVE_CODE, { cartId }, viewer);
  const createCode = (viewer: Viewer | null, input: Record<string, unknown>) => cart.query<{ createDiscountCode: Record<string, unknown> }>(CREATE_CODE, { input }, viewer);
  const costOf = (id: string, countryCode?: string | null, shippingMethodId?: string | null, viewer: Viewer | null = null) =>
    cart.query<{ cart: { cost: CostData } }>(COST, { id, countryCode, shippingMethodId }, viewer);
  /** A guest cart holding these lines, added through the API. */
  async function guestCart(lines: [variant: StubVariant, quantity: number][]): Promise<string> {
    let id: string | null = null;
    for (const [variant, quantity] of lines) {
      const result = await add(null, variant.productId, quantity, id, variant.id);
      expect(result.errors).toBeUndefined();
      id = result.data!.addToCart.id;
    }
    if (!id) id = (await cart.orm.em.fork().getConnection().execute(`insert into cart (id, status, created_at, updated_at) values ('${randomUUID()}', 'ACTIVE', now(), now()) returning id`))[0].id as string;
    return id;
  }

  describe('variant lines', () => {
    it('keeps two variants of one product on two lines, each at its own price', async () => {
      const [base, large] = stub.product({ amount: 2000 }, [{ amount: 2500 }]);
      const first = await add(null, base.productId, 1);
      expect(first.errors).toBeUndefined();
      const id = first.data!.addToCart.id;
      await add(null, base.productId, 2, id, large.id);
      const result = await add(null, base.productId, 1, id, large.id.toUpperCase());
      expect(result.errors).toBeUndefined();
      const data = result.data!.addToCart;
      expect(data.items.map((item) => [item.product.id, item.variant.id, item.quantity, item.unitPrice.amount, item.lineTotal.amount])).toEqual([
        [base.productId, base.id, 1, 2000, 2000],
        [base.productId, large.id, 3, 2500, 7500],
      ]);
      expect(data.subtotal).toEqual({ amount: 9500, currency: 'USD' });
      // Without variantId: the default variant, whose id is the product's.
      expect((await add(null, base.productId, 1, id, base.id)).data!.addToCart.items[0].quantity).toBe(2);
      const rows = await cart.orm.em.fork().find(CartItem, { cart: id }, { orderBy: { createdAt: 'asc' } });
      expect(rows.map((row) => [row.productId, row.variantId])).toEqual([
        [base.productId, base.id],
        [base.productId, large.id],
      ]);
    });

    it("refuses a variant of another product, or no variant at all, with BAD_USER_INPUT on variantId", async () => {
      const [mine] = stub.product();
      const [, theirs] = stub.product({}, [{}]);
      for (const variantId of [theirs.id, randomUUID(), 'not-a-uuid']) {
        const result = await add(null, mine.productId, 1, null, variantId);
        expect(codeOf(result)).toBe('BAD_USER_INPUT');
        expect(extensionsOf(result).argumentName).toBe('variantId');
      }
      // An unknown product without a variant is NOT_FOUND, as before.
      expect(codeOf(await add(null, randomUUID(), 1))).toBe('NOT_FOUND');
    });

    it('checks stock per variant', async () => {
      const [roomy, scarce] = stub.product({ available: 50 }, [{ available: 3 }]);
      const id = (await add(null, roomy.productId, 10)).data!.addToCart.id;
      const refused = await add(null, roomy.productId, 4, id, scarce.id);
      expect(codeOf(refused)).toBe('OUT_OF_STOCK');
      expect(extensionsOf(refused)).toMatchObject({ productIds: [roomy.productId], variantIds: [scarce.id], requestedQuantity: 4, availableQuantity: 3 });
      expect((await add(null, roomy.productId, 3, id, scarce.id)).errors).toBeUndefined();
      const UPDATE = `mutation($cartId: ID, $itemId: ID!, $quantity: Int!) { updateCartItem(cartId: $cartId, itemId: $itemId, quantity: $quantity) { ${CART_FIELDS} } }`;
      const lines = (await cart.query<{ cart: CartData }>(`query($id: ID) { cart(id: $id) { ${CART_FIELDS} } }`, { id })).data!.cart.items;
      const scarceLine = lines.find((line) => line.variant.id === scarce.id)!;
      expect(codeOf(await cart.query(UPDATE, { cartId: id, itemId: scarceLine.id, quantity: 4 }))).toBe('OUT_OF_STOCK');
      expect((await cart.query(UPDATE, { cartId: id, itemId: lines[0].id, quantity: 50 })).errors).toBeUndefined();
    });

    it('merges a guest cart per variant', async () => {
      const [base, other] = stub.product({ available: 10 }, [{ available: 4 }]);
      const user = newUser();
      await add(user, base.productId, 1, null, other.id);
      const guest = await guestCart([
        [base, 2],
        [other, 2],
      ]);
      await apply(null, guest, 'WELCOME10');
      const MERGE = `mutation($guestCartId: ID!) { mergeGuestCart(guestCartId: $guestCartId) { ${CART_FIELDS} } }`;
      const merged = await cart.query<{ mergeGuestCart: CartData }>(MERGE, { guestCartId: guest }, user);
      expect(merged.errors).toBeUndefined();
      expect(merged.data!.mergeGuestCart.items.map((item) => [item.variant.id, item.quantity])).toEqual([
        [other.id, 3],
        [base.id, 2],
      ]);
      // No code on the user's cart: the guest's comes along.
      expect(merged.data!.mergeGuestCart.discountCodes.map((code) => code.code)).toEqual(['WELCOME10']);
    });

    it('checks out the variants an order bought, moving the rest', async () => {
      const [base, other] = stub.product({}, [{}]);
      const user = newUser();
      const id = (await add(user, base.productId, 2)).data!.addToCart.id;
      await add(user, base.productId, 3, id, other.id);
      const COMPLETE = `mutation($cartId: ID!, $orderId: ID!, $lines: [CheckoutLineInput!]) { completeCheckout(cartId: $cartId, orderId: $orderId, lines: $lines) }`;
      const done = await cart.query(COMPLETE, { cartId: id, orderId: randomUUID(), lines: [{ productId: base.productId, quantity: 2 }, { productId: base.productId, variantId: other.id, quantity: 1 }] }, user);
      expect(done.errors).toBeUndefined();
      const rest = await cart.query<{ cart: CartData }>(`query { cart { ${CART_FIELDS} } }`, {}, user);
      expect(rest.data!.cart.items.map((item) => [item.variant.id, item.quantity])).toEqual([[other.id, 2]]);
    });
  });

  describe('discount codes', () => {
    it('seeds the demo codes', async () => {
      const codes = await cart.orm.em.fork().find(DiscountCode, {}, { orderBy: { code: 'asc' } });
      expect(codes.filter((code) => ['LIMITED5', 'SAVE15', 'WELCOME10'].includes(code.code)).map((code) => [code.code, code.kind, code.value, code.minimumSubtotalAmount ?? null, code.usageLimit ?? null, code.usageLimitPerCustomer ?? null])).toEqual([
        ['LIMITED5', 'PERCENTAGE', 20, null, 5, 1],
        ['SAVE15', 'FIXED_AMOUNT', 1500, 10000, null, null],
        ['WELCOME10', 'PERCENTAGE', 10, null, null, null],
      ]);
      // Seeding again changes nothing.
      await cartSubgraph.seed!(cart.orm.em.fork(), { info: () => undefined } as never);
      expect(await cart.orm.em.fork().count(DiscountCode, { code: { $in: ['LIMITED5', 'SAVE15', 'WELCOME10'] } })).toBe(3);
    });

    it('lets only an ADMIN create codes, stored in upper case', async () => {
      const input = { code: 'summer-24_x', kind: 'FIXED_AMOUNT', value: 500, minimumSubtotal: 2000, usageLimit: 10, startsAt: '2026-01-01T00:00:00.000Z', endsAt: '2030-01-01T00:00:00.000Z' };
      expect(codeOf(await createCode(null, input))).toBe('UNAUTHENTICATED');
      expect(codeOf(await createCode(newUser(), input))).toBe('FORBIDDEN');
      const created = await createCode(admin, input);
      expect(created.errors).toBeUndefined();
      expect(created.data!.createDiscountCode).toMatchObject({
        code: 'SUMMER-24_X',
        kind: 'FIXED_AMOUNT',
        value: 500,
        currency: 'USD',
        minimumSubtotal: { amount: 2000, currency: 'USD' },
        startsAt: '2026-01-01T00:00:00.000Z',
        endsAt: '2030-01-01T00:00:00.000Z',
        usageLimit: 10,
        usageLimitPerCustomer: null,
      });
      const again = await createCode(admin, { ...input, code: 'Summer-24_X' });
      expect(codeOf(again)).toBe('BAD_USER_INPUT');
      expect(extensionsOf(again).argumentName).toBe('input.code');
    });

    it.each([
      [{ code: 'AB' }, 'input.code'],
      [{ code: 'A'.repeat(33) }, 'input.code'],
      [{ code: 'NO SPACES' }, 'input.code'],
      [{ value: 0 }, 'input.value'],
      [{ value: 101 }, 'input.value'],
      [{ kind: 'FIXED_AMOUNT', value: 0 }, 'input.value'],
      [{ usageLimit: 0 }, 'input.usageLimit'],
      [{ usageLimitPerCustomer: 0 }, 'input.usageLimitPerCustomer'],
      [{ minimumSubtotal: -1 }, 'input.minimumSubtotal'],
      [{ currency: 'XYZ1' }, 'input.currency'],
      [{ startsAt: '2026-02-01T00:00:00Z', endsAt: '2026-02-01T00:00:00Z' }, 'input.endsAt'],
    ])('refuses %j with BAD_USER_INPUT on %s', async (change, argumentName) => {
      const result = await createCode(admin, { code: `OK${randomUUID().slice(0, 8)}`, kind: 'PERCENTAGE', value: 10, ...change });
      expect(codeOf(result)).toBe('BAD_USER_INPUT');
      expect(extensionsOf(result).argumentName).toBe(argumentName);
    });

    it('applies a code in any case, replaces it with another, and removes it', async () => {
      const [item] = stub.product({ amount: 5000 });
      const id = await guestCart([[item, 1]]);
      const applied = await apply(null, id, ' welcome10 ');
      expect(applied.errors).toBeUndefined();
      expect(applied.data!.applyDiscountCode.discountCodes).toEqual([{ code: 'WELCOME10', applicable: true, message: null }]);
      expect((await costOf(id)).data!.cart.cost.discounts.amount).toBe(500);

      // SAVE15 needs $100: applied, but not applicable until the cart reaches it.
      const replaced = await apply(null, id, 'SAVE15');
      expect(replaced.data!.applyDiscountCode.discountCodes).toEqual([{ code: 'SAVE15', applicable: false, message: expect.stringContaining('$100.00') }]);
      expect((await costOf(id)).data!.cart.cost.discounts.amount).toBe(0);
      const grown = await add(null, item.productId, 1, id);
      expect(grown.data!.addToCart.discountCodes).toEqual([{ code: 'SAVE15', applicable: true, message: null }]);
      expect((await costOf(id)).data!.cart.cost.discounts.amount).toBe(1500);

      const removed = await removeCode(null, id);
      expect(removed.errors).toBeUndefined();
      expect(removed.data!.removeDiscountCode.discountCodes).toEqual([]);
      // Removing when there is none is harmless.
      expect((await removeCode(null, id)).errors).toBeUndefined();
    });

    it('refuses unknown, expired and not yet valid codes with DISCOUNT_CODE_INVALID and a reason', async () => {
      const id = await guestCart([[stub.product()[0], 1]]);
      const day = 86_400_000;
      await createCode(admin, { code: 'OLDCODE', kind: 'PERCENTAGE', value: 5, startsAt: new Date(Date.now() - 3 * day).toISOString(), endsAt: new Date(Date.now() - day).toISOString() });
      await createCode(admin, { code: 'SOONCODE', kind: 'PERCENTAGE', value: 5, startsAt: new Date(Date.now() + day).toISOString() });
      for (const [code, reason] of [
        ['NOPE-NOT-A-CODE', 'UNKNOWN'],
        ['', 'UNKNOWN'],
        ['oldcode', 'EXPIRED'],
        ['SOONCODE', 'NOT_STARTED'],
      ]) {
        const result = await apply(null, id, code);
        expect(codeOf(result)).toBe('DISCOUNT_CODE_INVALID');
        expect(extensionsOf(result)).toMatchObject({ reason, argumentName: 'code' });
      }
      const stored = await cart.query<{ cart: CartData }>(`query($id: ID) { cart(id: $id) { ${CART_FIELDS} } }`, { id });
      expect(stored.data!.cart.discountCodes).toEqual([]);
    });

    it("follows the cart access rules: other users' carts are NOT_FOUND, an anonymous caller needs a cartId", async () => {
      const owner = newUser();
      const id = (await add(owner, stub.product()[0].productId, 1)).data!.addToCart.id;
      expect(codeOf(await apply(newUser(), id, 'WELCOME10'))).toBe('NOT_FOUND');
      expect(codeOf(await removeCode(newUser(), id))).toBe('NOT_FOUND');
      expect(codeOf(await apply(admin, id, 'WELCOME10'))).toBe('FORBIDDEN');
      expect(codeOf(await apply(null, null, 'WELCOME10'))).toBe('BAD_USER_INPUT');
      // The owner, without an id: their active cart.
      expect((await apply(owner, null, 'welcome10')).data!.applyDiscountCode.discountCodes[0].code).toBe('WELCOME10');
    });
  });

  describe('cost, shipping rates and the checkout quote', () => {
    let id: string;
    let a: StubVariant;
    let b: StubVariant;

    beforeAll(async () => {
      [a] = stub.product({ amount: 2000, weightGrams: 500 });
      [b] = stub.product({ amount: 5000, weightGrams: 3000 });
      id = await guestCart([
        [a, 2],
        [b, 1],
      ]);
    });

    it('lists every shipping method publicly', async () => {
      const result = await cart.query<{ shippingMethods: unknown[] }>('{ shippingMethods { id name description } }');
      expect(result.data!.shippingMethods).toEqual([
        { id: 'standard', name: 'Standard', description: '3-5 business days' },
        { id: 'express', name: 'Express', description: '1-2 business days' },
      ]);
    });

    it('prices the cart for the default country with the cheapest method', async () => {
      // Subtotal $90, 4 kg: standard is free in the US over $75, US tax 0.
      const result = await costOf(id);
      expect(result.errors).toBeUndefined();
      const usd = (amount: number) => ({ amount, currency: 'USD' });
      expect(result.data!.cart.cost).toEqual({
        subtotal: usd(9000),
        discounts: usd(0),
        shipping: usd(0),
        tax: usd(0),
        total: usd(9000),
        countryCode: 'US',
        shippingMethod: { id: 'standard', name: 'Standard', description: '3-5 business days' },
      });
      expect((await costOf(id, 'us', 'express')).data!.cart.cost).toMatchObject({ shipping: usd(2499), total: usd(11499) });
    });

    it('prices shipping and tax abroad', async () => {
      // GB: "*" rates, 4 kg: standard 19.99, express 49.99; tax 20% of 90 + 19.99 = 21.998 -> 22.00.
      const cost = (await costOf(id, 'gb')).data!.cart.cost;
      expect([cost.subtotal.amount, cost.discounts.amount, cost.shipping.amount, cost.tax.amount, cost.total.amount]).toEqual([9000, 0, 1999, 2200, 13199]);
      const rates = await cart.query<{ cart: { shippingRates: { method: { id: string }; price: Money }[] } }>(RATES, { id, countryCode: 'GB' });
      expect(rates.data!.cart.shippingRates.map((rate) => [rate.method.id, rate.price.amount])).toEqual([
        ['standard', 1999],
        ['express', 4999],
      ]);
    });

    it('refuses a bad country or shipping method with BAD_USER_INPUT', async () => {
      for (const [countryCode, method, argumentName] of [
        ['USA', null, 'countryCode'],
        ['', null, 'countryCode'],
        ['US', 'pigeon', 'shippingMethodId'],
      ] as const) {
        const result = await costOf(id, countryCode, method);
        expect(codeOf(result)).toBe('BAD_USER_INPUT');
        expect(extensionsOf(result).argumentName).toBe(argumentName);
      }
    });

    it('quotes a checkout with the figures of Cart.cost and the code redeemed', async () => {
      const quoted = await guestCart([
        [a, 2],
        [b, 1],
      ]);
      await apply(null, quoted, 'LIMITED5');
      const result = await cart.query<{ cart: { id: string; items: unknown[]; checkoutQuote: Record<string, unknown> } }>(CHECKOUT_CART, { id: quoted, countryCode: 'DE', shippingMethodId: 'express' });
      expect(result.errors).toBeUndefined();
      const codeId = (await cart.orm.em.fork().findOneOrFail(DiscountCode, { code: 'LIMITED5' })).id;
      // 90.00 - 20% = 72.00; express "*" 4 kg 49.99; DE 19% of 121.99 = 23.1781 -> 23.18.
      expect(result.data!.cart.checkoutQuote).toEqual({
        currency: 'USD',
        lines: [
          { variantId: a.id, productId: a.productId, quantity: 2, unitPriceAmount: 2000 },
          { variantId: b.id, productId: b.productId, quantity: 1, unitPriceAmount: 5000 },
        ],
        subtotal: 9000,
        discounts: 1800,
        shipping: 4999,
        tax: 2318,
        total: 9000 - 1800 + 4999 + 2318,
        shippingMethod: { id: 'express', name: 'Express', description: '1-2 business days' },
        discount: { codeId, code: 'LIMITED5', usageLimit: 5, usageLimitPerCustomer: 1 },
      });
      const cost = (await costOf(quoted, 'DE', 'express')).data!.cart.cost;
      expect(cost.total.amount).toBe(9000 - 1800 + 4999 + 2318);

      // A code that takes nothing off is not redeemed.
      await apply(null, quoted, 'SAVE15');
      const without = await cart.query<{ cart: { checkoutQuote: { discount: unknown; discounts: number } } }>(CHECKOUT_CART, { id: quoted, countryCode: 'US' });
      expect(without.data!.cart.checkoutQuote).toMatchObject({ discount: null, discounts: 0, shippingMethod: { id: 'standard' } });
    });

    it('refuses a quote with a bad shipping method, or a line catalog no longer sells', async () => {
      const bad = await cart.query(CHECKOUT_CART, { id, countryCode: 'US', shippingMethodId: 'nope' });
      expect(codeOf(bad)).toBe('BAD_USER_INPUT');
      expect(extensionsOf(bad).argumentName).toBe('shippingMethodId');
      const [gone] = stub.product();
      const withGone = await guestCart([
        [a, 1],
        [gone, 1],
      ]);
      stub.variants.delete(gone.id);
      const result = await cart.query(CHECKOUT_CART, { id: withGone, countryCode: 'US' });
      expect(codeOf(result)).toBe('BAD_USER_INPUT');
      expect(extensionsOf(result)).toMatchObject({ productIds: [gone.productId], variantIds: [gone.id] });
    });

    it('prices many carts in a fixed number of statements and one catalog call', async () => {
      const ids = [id];
      for (let i = 0; i < 4; i += 1) {
        const other = await guestCart([[a, i + 1]]);
        await apply(null, other, 'WELCOME10');
        ids.push(other);
      }
      const QUERY = `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Cart { id items { id } discountCodes { code } cost(countryCode: "GB") { total { amount } } shippingRates(countryCode: "GB") { price { amount } } } } }`;
      const sql = countStatements(cart.orm);
      stub.calls.length = 0;
      try {
        const result = await cart.query<{ _entities: unknown[] }>(QUERY, { representations: ids.map((cartId) => ({ __typename: 'Cart', id: cartId })) });
        expect(result.errors).toBeUndefined();
        expect(result.data!._entities).toHaveLength(5);
        // Carts, their lines, their discount codes.
        expect(sql.count).toBe(3);
        expect(stub.calls).toEqual(['catalog']);
      } finally {
        sql.detach();
      }
    });
  });
});
