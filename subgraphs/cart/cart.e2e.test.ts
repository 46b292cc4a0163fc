import { randomUUID } from 'node:crypto';
import { demoCatalog } from '../../lib/demo-data';
import { Role, type Viewer } from '../../lib/identity';
import { demoCustomer, startTestSupergraph, type TestSupergraph } from '../../test/supergraph-harness';

const demo = demoCatalog();
const availableOf = (productId: string) => demo.stock.filter((s) => s.productId === productId).reduce((sum, s) => sum + s.onHand, 0);
const soldOut = demo.products.find((p) => demo.stock.filter((s) => s.productId === p.id).every((s) => s.onHand === 0))!;
const stocked = demo.products.filter((p) => availableOf(p.id) >= 5);
const usd = (minor: number) => `$${(minor / 100).toFixed(2)}`;

const CART = `id itemCount updatedAt
  subtotal { amount currency formatted }
  items { id quantity product { id name price { amount formatted } availableQuantity } unitPrice { amount } lineTotal { amount formatted } }`;
const ADD = `mutation Add($cartId: ID, $productId: ID!, $quantity: Int!) { addToCart(cartId: $cartId, productId: $productId, quantity: $quantity) { ${CART} } }`;
const UPDATE = `mutation Update($cartId: ID, $itemId: ID!, $quantity: Int!) { updateCartItem(cartId: $cartId, itemId: $itemId, quantity: $quantity) { ${CART} } }`;
const REMOVE = `mutation Remove($cartId: ID, $itemId: ID!) { removeCartItem(cartId: $cartId, itemId: $itemId) { ${CART} } }`;
const MERGE = `mutation Merge($guestCartId: ID!) { mergeGuestCart(guestCartId: $guestCartId) { ${CART} } }`;
const CART_BY_ID = `query Cart($id: ID) { cart(id: $id) { ${CART} } }`;
const MY_CART = `{ me { id cart { id itemCount items { quantity product { id } } } } }`;

interface CartData {
  id: string;
  itemCount: number;
  updatedAt: string;
  subtotal: { amount: number; currency: string; formatted: string };
  items: {
    id: string;
    quantity: number;
    product: { id: string; name: string; price: { amount: number; formatted: string }; availableQuantity: number };
    unitPrice: { amount: number };
    lineTotal: { amount: number; formatted: string };
  }[];
}

const codeOf = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => result.errors?.[0]?.extensions?.code;
const lines = (cart: CartData) => cart.items.map((item) => [item.product.id, item.quantity]);

describe('carts through the gateway', () => {
  let supergraph: TestSupergraph;
  /** Someone signed in who is neither the customer nor an ADMIN. */
  const stranger: Viewer = { id: randomUUID(), role: Role.CUSTOMER };

  const add = (as: Viewer | null, productId: string, quantity: number, cartId?: string) =>
    supergraph.query<{ addToCart: CartData }>(ADD, { cartId, productId, quantity }, as);

  beforeAll(async () => {
    supergraph = await startTestSupergraph();
  }, 60_000);
  afterAll(() => supergraph?.stop());

  it('lets an anonymous shopper fill a guest cart and read it back by id, with catalog names and prices', async () => {
    const [a, b] = [stocked[0], stocked[1]];
    const created = await add(null, a.id, 2);
    expect(created.errors).toBeUndefined();
    const guestId = created.data!.addToCart.id;
    const second = await add(null, b.id, 1, guestId);
    expect(second.errors).toBeUndefined();

    const read = await supergraph.query<{ cart: CartData }>(CART_BY_ID, { id: guestId });
    expect(read.errors).toBeUndefined();
    const cart = read.data!.cart;
    expect(lines(cart)).toEqual([
      [a.id, 2],
      [b.id, 1],
    ]);
    expect(cart.items.map((item) => item.product.name)).toEqual([a.name, b.name]);
    expect(cart.items.map((item) => item.product.price.formatted)).toEqual([usd(a.priceAmount), usd(b.priceAmount)]);
    expect(cart.items[0].product.availableQuantity).toBe(availableOf(a.id));
    expect(cart.items[0].lineTotal).toEqual({ amount: a.priceAmount * 2, formatted: usd(a.priceAmount * 2) });
    const subtotal = a.priceAmount * 2 + b.priceAmount;
    expect(cart.subtotal).toEqual({ amount: subtotal, currency: 'USD', formatted: usd(subtotal) });
    expect(cart.itemCount).toBe(3);
  });

  describe("the customer's cart", () => {
    let customerCart: CartData;

    it('is created by the first add when signed in, and shows as me.cart', async () => {
      expect((await supergraph.query(MY_CART, {}, demoCustomer)).data).toEqual({ me: { id: demoCustomer.id, cart: null } });
      const first = await add(demoCustomer, stocked[2].id, 1);
      expect(first.errors).toBeUndefined();
      const second = await add(demoCustomer, stocked[3].id, 2);
      customerCart = second.data!.addToCart;
      expect(customerCart.id).toBe(first.data!.addToCart.id);
      const me = await supergraph.query(MY_CART, {}, demoCustomer);
      expect(me.errors).toBeUndefined();
      expect(me.data!.me.cart).toMatchObject({ id: customerCart.id, itemCount: 3 });
      const withoutId = await supergraph.query<{ cart: CartData }>(CART_BY_ID, {}, demoCustomer);
      expect(withoutId.data!.cart.id).toBe(customerCart.id);
    });

    it('refuses a sold-out product and more than is available with OUT_OF_STOCK', async () => {
      const soldOutAnswer = await add(demoCustomer, soldOut.id, 1);
      expect(codeOf(soldOutAnswer)).toBe('OUT_OF_STOCK');
      expect(soldOutAnswer.errors![0].extensions).toMatchObject({ productIds: [soldOut.id] });

      // A product sold in one version: without variantId a cart line is the default variant, whose stock is then the product's.
      const product = stocked.filter((p) => p.options.length === 0)[4];
      const available = await supergraph.query<{ product: { availableQuantity: number } }>(`query($id: ID) { product(id: $id) { availableQuantity } }`, {
        id: product.id,
      });
      const units = available.data!.product.availableQuantity;
      expect(units).toBe(availableOf(product.id));
      expect(codeOf(await add(demoCustomer, product.id, units + 1))).toBe('OUT_OF_STOCK');
      // The whole available quantity is fine; one more on top of it is not.
      expect((await add(demoCustomer, product.id, units)).errors).toBeUndefined();
      const oneMore = await add(demoCustomer, product.id, 1);
      expect(codeOf(oneMore)).toBe('OUT_OF_STOCK');
      expect(oneMore.errors![0].extensions).toMatchObject({ availableQuantity: units, requestedQuantity: units + 1 });

      const me = await supergraph.query(MY_CART, {}, demoCustomer);
      expect(me.data!.me.cart.items).toContainEqual({ quantity: units, product: { id: product.id } });
      expect(me.data!.me.cart.items).not.toContainEqual(expect.objectContaining({ product: { id: soldOut.id } }));
    });

    it.each([0, -3])('refuses quantity %d with BAD_USER_INPUT', async (quantity) => {
      const before = (await supergraph.query(MY_CART, {}, demoCustomer)).data!.me.cart.itemCount;
      const result = await add(demoCustomer, stocked[5].id, quantity);
      expect(codeOf(result)).toBe('BAD_USER_INPUT');
      expect((await supergraph.query(MY_CART, {}, demoCustomer)).data!.me.cart.itemCount).toBe(before);
    });

    it('sets a line with updateCartItem and removes it with quantity 0', async () => {
      const line = customerCart.items.find((item) => item.product.id === stocked[3].id)!;
      const set = await supergraph.query<{ updateCartItem: CartData }>(UPDATE, { itemId: line.id, quantity: 4 }, demoCustomer);
      expect(set.errors).toBeUndefined();
      expect(set.data!.updateCartItem.items.find((item) => item.id === line.id)!.quantity).toBe(4);

      const removed = await supergraph.query<{ updateCartItem: CartData }>(UPDATE, { cartId: customerCart.id, itemId: line.id, quantity: 0 }, demoCustomer);
      expect(removed.errors).toBeUndefined();
      expect(removed.data!.updateCartItem.items.map((item) => item.id)).not.toContain(line.id);
      expect((await supergraph.query(MY_CART, {}, demoCustomer)).data!.me.cart.items).not.toContainEqual(
        expect.objectContaining({ product: { id: stocked[3].id } }),
      );
    });

    it('cannot be read or changed by another user', async () => {
      const current = (await supergraph.query<{ cart: CartData }>(CART_BY_ID, { id: customerCart.id }, demoCustomer)).data!.cart;
      const itemId = current.items[0].id;

      const read = await supergraph.query(CART_BY_ID, { id: customerCart.id }, stranger);
      expect(read.errors).toBeUndefined();
      expect(read.data).toEqual({ cart: null });
      expect((await supergraph.query(CART_BY_ID, { id: customerCart.id })).data).toEqual({ cart: null });

      expect(codeOf(await add(stranger, stocked[6].id, 1, customerCart.id))).toBe('NOT_FOUND');
      expect(codeOf(await supergraph.query(UPDATE, { cartId: customerCart.id, itemId, quantity: 1 }, stranger))).toBe('NOT_FOUND');
      expect(codeOf(await supergraph.query(REMOVE, { cartId: customerCart.id, itemId }, stranger))).toBe('NOT_FOUND');
      // Without a cartId a line id only reaches into the caller's own cart.
      expect(codeOf(await supergraph.query(REMOVE, { itemId }, stranger))).toBe('NOT_FOUND');
      expect(codeOf(await supergraph.query(MERGE, { guestCartId: customerCart.id }, stranger))).toBe('NOT_FOUND');

      const after = (await supergraph.query<{ cart: CartData }>(CART_BY_ID, { id: customerCart.id }, demoCustomer)).data!.cart;
      expect(lines(after)).toEqual(lines(current));
      expect(after.updatedAt).toBe(current.updatedAt);
    });

    it('takes in a guest cart with mergeGuestCart after signing in', async () => {
      const before = (await supergraph.query<{ cart: CartData }>(CART_BY_ID, {}, demoCustomer)).data!.cart;
      const shared = before.items[0].product.id;
      const guest = (await add(null, shared, 1)).data!.addToCart.id;
      await add(null, stocked[7].id, 2, guest);

      const merged = await supergraph.query<{ mergeGuestCart: CartData }>(MERGE, { guestCartId: guest }, demoCustomer);
      expect(merged.errors).toBeUndefined();
      const cart = merged.data!.mergeGuestCart;
      expect(cart.id).toBe(before.id);
      expect(lines(cart)).toEqual([...lines(before).map(([id, quantity]) => [id, id === shared ? (quantity as number) + 1 : quantity]), [stocked[7].id, 2]]);
      expect(cart.itemCount).toBe(before.itemCount + 3);
      expect((await supergraph.query(MY_CART, {}, demoCustomer)).data!.me.cart.itemCount).toBe(before.itemCount + 3);

      // The guest cart's id no longer opens anything.
      expect((await supergraph.query(CART_BY_ID, { id: guest })).data).toEqual({ cart: null });
      expect(codeOf(await supergraph.query(MERGE, { guestCartId: guest }, demoCustomer))).toBe('NOT_FOUND');
      expect(codeOf(await supergraph.query(MERGE, { guestCartId: guest }))).toBe('UNAUTHENTICATED');
    });
  });

  describe('variants, discount codes, shipping and tax', () => {
    // A non-default variant with stock, of a product in stock.
    const variant = demo.variants.find((v) => v.position > 0 && demo.stock.filter((s) => s.variantId === v.id).reduce((sum, s) => sum + s.onHand, 0) >= 2)!;
    const VARIANT_CART = `id items { quantity product { id } variant { id title sku price { amount } } unitPrice { amount } }
      discountCodes { code applicable message }
      cost(countryCode: "gb") { subtotal { amount } discounts { amount } shipping { amount } tax { amount } total { amount formatted } countryCode shippingMethod { id name } }
      shippingRates(countryCode: "GB") { method { id } price { amount } }`;
    const ADD_VARIANT = `mutation AddVariant($cartId: ID, $productId: ID!, $quantity: Int!, $variantId: ID) {
      addToCart(cartId: $cartId, productId: $productId, quantity: $quantity, variantId: $variantId) { ${VARIANT_CART} }
    }`;
    interface VariantCart {
      id: string;
      items: unknown[];
      discountCodes: { code: string; applicable: boolean; message: string | null }[];
      cost: Record<string, unknown>;
      shippingRates: { method: { id: string }; price: { amount: number } }[];
    }
    const APPLY = `mutation Apply($cartId: ID, $code: String!) { applyDiscountCode(cartId: $cartId, code: $code) { ${VARIANT_CART} } }`;

    it('adds a chosen variant at its price, applies a code and prices shipping and tax', async () => {
      const added = await supergraph.query<{ addToCart: VariantCart }>(ADD_VARIANT, { productId: variant.productId, quantity: 2, variantId: variant.id });
      expect(added.errors).toBeUndefined();
      const cartId = added.data!.addToCart.id;
      expect(added.data!.addToCart.items).toEqual([
        { quantity: 2, product: { id: variant.productId }, variant: { id: variant.id, title: variant.title, sku: variant.sku, price: { amount: variant.priceAmount } }, unitPrice: { amount: variant.priceAmount } },
      ]);

      const applied = await supergraph.query<{ applyDiscountCode: VariantCart }>(APPLY, { cartId, code: 'welcome10' });
      expect(applied.errors).toBeUndefined();
      const cart = applied.data!.applyDiscountCode;
      expect(cart.discountCodes).toEqual([{ code: 'WELCOME10', applicable: true, message: null }]);
      const subtotal = variant.priceAmount * 2;
      const discounts = Math.floor(subtotal / 10);
      const shipping = cart.shippingRates[0].price.amount;
      expect(cart.shippingRates.map((rate) => rate.method.id)).toEqual(['standard', 'express']);
      const tax = Math.floor(((subtotal - discounts + shipping) * 20) / 100 + 0.5);
      expect(cart.cost).toMatchObject({
        subtotal: { amount: subtotal },
        discounts: { amount: discounts },
        shipping: { amount: shipping },
        tax: { amount: tax },
        total: { amount: subtotal - discounts + shipping + tax },
        countryCode: 'GB',
        shippingMethod: { id: 'standard', name: 'Standard' },
      });

      const unknown = await supergraph.query(APPLY, { cartId, code: 'NO-SUCH-CODE' });
      expect(codeOf(unknown)).toBe('DISCOUNT_CODE_INVALID');
      expect(unknown.errors![0].extensions!.reason).toBe('UNKNOWN');
    });

    it('lists the shipping methods, and keeps the checkout quote internal', async () => {
      const methods = await supergraph.query<{ shippingMethods: { id: string }[] }>('query Methods { shippingMethods { id name description } }');
      expect(methods.data!.shippingMethods.map((method) => method.id)).toEqual(['standard', 'express']);
      const quote = await supergraph.query('query Quote { cart { checkoutQuote(countryCode: "US") { total } } }', {}, demoCustomer);
      expect(codeOf(quote)).toBe('GRAPHQL_VALIDATION_FAILED');
    });
  });

  it('keeps the internal completeCheckout out of the public API', async () => {
    const result = await supergraph.query(`mutation { completeCheckout(cartId: "${randomUUID()}", orderId: "${randomUUID()}") }`, {}, demoCustomer);
    expect(codeOf(result)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(result.errors![0].message).toMatch(/completeCheckout/);
  });
});
