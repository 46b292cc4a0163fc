import { randomUUID } from 'node:crypto';
import { demoCatalog, DEMO_WAREHOUSES } from '../../lib/demo-data';
import { Role, type Viewer } from '../../lib/identity';
import { countStatements } from '../../test/sql-counter';
import { startTestSubgraph, type TestSubgraph } from '../../test/subgraph-harness';
import { catalogSubgraph } from '../catalog/catalog.server';
import { Product } from '../catalog/product/product.entity';
import { ProductVariant } from '../catalog/product-variant/product-variant.entity';
import { inventorySubgraph } from '../inventory/inventory.server';
import { Cart, CartStatus } from './cart/cart.entity';
import { CartItem } from './cart-item/cart-item.entity';
import { cartSubgraph } from './cart.server';

const CART_FIELDS = `id itemCount updatedAt
  subtotal { amount currency formatted }
  items { id quantity product { id } unitPrice { amount currency formatted } lineTotal { amount currency } }`;

const CART_BY_ID = `query($id: ID) { cart(id: $id) { ${CART_FIELDS} } }`;
const ENTITIES = `query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Cart { ${CART_FIELDS} }
    ... on User { id cart { id itemCount } }
  }
}`;

interface CartData {
  id: string;
  itemCount: number;
  updatedAt: string;
  subtotal: { amount: number; currency: string; formatted: string };
  items: { id: string; quantity: number; product: { id: string }; unitPrice: { amount: number; currency: string; formatted: string }; lineTotal: { amount: number; currency: string } }[];
}

describe('cart subgraph', () => {
  let catalog: TestSubgraph;
  let inventory: TestSubgraph;
  let cart: TestSubgraph;
  const products = demoCatalog().products;
  const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
  const priceOf = (productId: string) => products.find((p) => p.id === productId)!.priceAmount;

  const alice: Viewer = { id: randomUUID(), role: Role.CUSTOMER };
  const bob: Viewer = { id: randomUUID(), role: Role.CUSTOMER };
  const carol: Viewer = { id: randomUUID(), role: Role.CUSTOMER };
  const admin: Viewer = { id: randomUUID(), role: Role.ADMIN };

  let clock = Date.UTC(2026, 1, 1);
  /** Inserts a cart and its lines straight through the ORM; lines get increasing creation times. */
  async function insertCart(userId: string | null, lines: [productId: string, quantity: number][], status = CartStatus.ACTIVE): Promise<string> {
    const em = cart.orm.em.fork();
    const orderId = status === CartStatus.CHECKED_OUT ? randomUUID() : null;
    const row = em.create(Cart, { userId, status, orderId, createdAt: new Date(clock), updatedAt: new Date(clock) });
    for (const [productId, quantity] of lines) {
      clock += 1000;
      em.create(CartItem, { cart: row, productId, variantId: productId, quantity, createdAt: new Date(clock) });
    }
    await em.flush();
    return row.id;
  }

  beforeAll(async () => {
    [catalog, inventory] = await Promise.all([startTestSubgraph(catalogSubgraph, { seed: true }), startTestSubgraph(inventorySubgraph, { seed: true })]);
    cart = await startTestSubgraph(cartSubgraph, { subgraphUrls: { catalog: catalog.url, inventory: inventory.url } });
    // Seeding catalog's variants and options takes a few seconds.
  }, 60_000);
  afterAll(async () => {
    await cart?.stop();
    await Promise.all([catalog?.stop(), inventory?.stop()]);
  });

  it('prices every line at the current catalog price', async () => {
    const [a, b, c] = [products[0], products[7], products[42]];
    const id = await insertCart(null, [
      [a.id, 2],
      [b.id, 1],
      [c.id, 5],
    ]);
    const result = await cart.query<{ cart: CartData }>(CART_BY_ID, { id });
    expect(result.errors).toBeUndefined();
    const data = result.data!.cart;
    expect(data.id).toBe(id);
    expect(data.items.map((item) => [item.product.id, item.quantity])).toEqual([
      [a.id, 2],
      [b.id, 1],
      [c.id, 5],
    ]);
    for (const item of data.items) {
      expect(item.unitPrice.amount).toBe(priceOf(item.product.id));
      expect(item.unitPrice.currency).toBe('USD');
      expect(item.unitPrice.formatted).toBe(usd.format(priceOf(item.product.id) / 100));
      expect(item.lineTotal).toEqual({ amount: priceOf(item.product.id) * item.quantity, currency: 'USD' });
    }
    expect(data.itemCount).toBe(8);
    const expected = a.priceAmount * 2 + b.priceAmount + c.priceAmount * 5;
    expect(data.subtotal.amount).toBe(expected);
    expect(data.subtotal.currency).toBe('USD');
    expect(data.subtotal.formatted).toBe(usd.format(expected / 100));
    expect(Number.isNaN(Date.parse(data.updatedAt))).toBe(false);
  });

  it('shows an empty cart with a zero subtotal', async () => {
    const id = await insertCart(null, []);
    const result = await cart.query<{ cart: CartData }>(CART_BY_ID, { id });
    expect(result.errors).toBeUndefined();
    expect(result.data!.cart).toMatchObject({ id, items: [], itemCount: 0, subtotal: { amount: 0, currency: 'USD', formatted: '$0.00' } });
  });

  it('leaves out lines whose product catalog no longer knows', async () => {
    const gone = randomUUID();
    const kept = products[3];
    const id = await insertCart(null, [
      [gone, 4],
      [kept.id, 2],
    ]);
    const result = await cart.query<{ cart: CartData }>(CART_BY_ID, { id });
    expect(result.errors).toBeUndefined();
    expect(result.data!.cart.items.map((item) => item.product.id)).toEqual([kept.id]);
    expect(result.data!.cart.itemCount).toBe(2);
    expect(result.data!.cart.subtotal.amount).toBe(kept.priceAmount * 2);
  });

  describe('visibility', () => {
    let guestCart: string;
    let aliceCart: string;
    let mergedCart: string;

    beforeAll(async () => {
      guestCart = await insertCart(null, [[products[1].id, 1]]);
      aliceCart = await insertCart(alice.id, [[products[2].id, 3]]);
      await insertCart(alice.id, [[products[5].id, 1]], CartStatus.CHECKED_OUT);
      mergedCart = await insertCart(null, [[products[6].id, 1]], CartStatus.MERGED);
    });

    const cartIdAs = async (id: string | null, viewer: Viewer | null) => {
      const result = await cart.query<{ cart: { id: string } | null }>(`query($id: ID) { cart(id: $id) { id } }`, { id }, viewer);
      expect(result.errors).toBeUndefined();
      return result.data!.cart?.id ?? null;
    };

    it('shows a guest cart to anyone with its id', async () => {
      expect(await cartIdAs(guestCart, null)).toBe(guestCart);
      expect(await cartIdAs(guestCart, bob)).toBe(guestCart);
    });

    it("shows a user's cart only to that user and to an ADMIN", async () => {
      expect(await cartIdAs(aliceCart, alice)).toBe(aliceCart);
      expect(await cartIdAs(aliceCart, admin)).toBe(aliceCart);
      expect(await cartIdAs(aliceCart, bob)).toBeNull();
      expect(await cartIdAs(aliceCart, null)).toBeNull();
    });

    it('answers unknown, malformed and finished carts with null', async () => {
      expect(await cartIdAs(randomUUID(), admin)).toBeNull();
      expect(await cartIdAs('not-a-uuid', admin)).toBeNull();
      expect(await cartIdAs(mergedCart, null)).toBeNull();
      expect(await cartIdAs(mergedCart, admin)).toBeNull();
    });

    it("without an id, gives the signed-in viewer's active cart", async () => {
      expect(await cartIdAs(null, alice)).toBe(aliceCart);
      expect(await cartIdAs(null, carol)).toBeNull();
      expect(await cartIdAs(null, null)).toBeNull();
      // An ADMIN asking without an id gets their own cart, not someone else's.
      expect(await cartIdAs(null, admin)).toBeNull();
    });

    it('applies the same rules to Cart references', async () => {
      const representations = [aliceCart, guestCart, mergedCart, 'nope'].map((id) => ({ __typename: 'Cart', id }));
      const asBob = await cart.query<{ _entities: ({ id: string } | null)[] }>(ENTITIES, { representations }, bob);
      expect(asBob.errors).toBeUndefined();
      expect(asBob.data!._entities.map((entity) => entity?.id ?? null)).toEqual([null, guestCart, null, null]);
      const asAlice = await cart.query<{ _entities: ({ id: string } | null)[] }>(ENTITIES, { representations }, alice);
      expect(asAlice.data!._entities.map((entity) => entity?.id ?? null)).toEqual([aliceCart, guestCart, null, null]);
    });

    it('adds User.cart: the active cart, for the user themself or an ADMIN', async () => {
      const representations = [alice, bob, carol].map((user) => ({ __typename: 'User', id: user.id }));
      const cartsAs = async (viewer: Viewer | null) => {
        const result = await cart.query<{ _entities: { id: string; cart: { id: string } | null }[] }>(ENTITIES, { representations }, viewer);
        expect(result.errors).toBeUndefined();
        expect(result.data!._entities.map((user) => user.id)).toEqual([alice.id, bob.id, carol.id]);
        return result.data!._entities.map((user) => user.cart?.id ?? null);
      };
      expect(await cartsAs(alice)).toEqual([aliceCart, null, null]);
      expect(await cartsAs(bob)).toEqual([null, null, null]);
      expect(await cartsAs(null)).toEqual([null, null, null]);
      expect(await cartsAs(admin)).toEqual([aliceCart, null, null]);
    });
  });

  describe('constraints', () => {
    it('keeps at most one ACTIVE cart per user, and any number of finished ones', async () => {
      const dave = randomUUID();
      await insertCart(dave, []);
      await expect(insertCart(dave, [])).rejects.toThrow(/cart_user_id_active_unique/);
      await insertCart(dave, [], CartStatus.CHECKED_OUT);
      await insertCart(dave, [], CartStatus.MERGED);
      await insertCart(null, []);
      await insertCart(null, []);
      const em = cart.orm.em.fork();
      expect(await em.count(Cart, { userId: dave })).toBe(3);
    });

    it('refuses quantities below 1 and a product twice in one cart', async () => {
      await expect(insertCart(null, [[products[0].id, 0]])).rejects.toThrow(/cart_item_quantity_positive/);
      await expect(
        insertCart(null, [
          [products[0].id, 1],
          [products[0].id, 2],
        ]),
      ).rejects.toThrow(/cart_item_cart_id_variant_id_unique/);
    });
  });

  describe('batching', () => {
    const cartIds: string[] = [];
    const expected = new Map<string, { itemCount: number; subtotal: number }>();

    beforeAll(async () => {
      for (let i = 0; i < 20; i += 1) {
        const lines: [string, number][] = [0, 1, 2].map((j) => [products[(i * 7 + j * 31) % products.length].id, 1 + ((i + j) % 4)]);
        const id = await insertCart(i % 2 === 0 ? null : randomUUID(), lines);
        cartIds.push(id);
        expected.set(id, {
          itemCount: lines.reduce((sum, [, quantity]) => sum + quantity, 0),
          subtotal: lines.reduce((sum, [productId, quantity]) => sum + priceOf(productId) * quantity, 0),
        });
      }
    });

    /** Reads carts through `_entities` and counts the SQL statements of cart and of catalog. */
    async function readCarts(ids: string[]) {
      const cartSql = countStatements(cart.orm);
      const catalogSql = countStatements(catalog.orm);
      try {
        const result = await cart.query<{ _entities: CartData[] }>(ENTITIES, { representations: ids.map((id) => ({ __typename: 'Cart', id })) }, admin);
        expect(result.errors).toBeUndefined();
        for (const data of result.data!._entities) {
          expect(data.itemCount).toBe(expected.get(data.id)!.itemCount);
          expect(data.subtotal.amount).toBe(expected.get(data.id)!.subtotal);
          expect(data.items).toHaveLength(3);
          for (const item of data.items) expect(item.lineTotal.amount).toBe(priceOf(item.product.id) * item.quantity);
        }
        expect(result.data!._entities.map((data) => data.id)).toEqual(ids);
        return { cart: cartSql.count, catalog: catalogSql.count, catalogStatements: [...catalogSql.statements] };
      } finally {
        cartSql.detach();
        catalogSql.detach();
      }
    }

    it('reads 20 carts with as many statements as 2, and asks catalog once', async () => {
      const two = await readCarts(cartIds.slice(0, 2));
      const twenty = await readCarts(cartIds);
      // One statement for the carts, one for all their lines.
      expect(two.cart).toBe(2);
      expect(twenty.cart).toBe(two.cart);
      // Catalog answers one `_entities` call for the lines' variants: the variants, then their products.
      expect(two.catalog).toBe(2);
      expect(twenty.catalog).toBe(two.catalog);
      expect(twenty.catalogStatements[0]).toMatch(/from "product_variant"/);
    });

    it('looks up the active carts of many users in one statement', async () => {
      const users = Array.from({ length: 15 }, () => randomUUID());
      for (const user of users.slice(0, 10)) await insertCart(user, [[products[9].id, 1]]);
      const cartSql = countStatements(cart.orm);
      try {
        const result = await cart.query<{ _entities: { id: string; cart: { id: string; itemCount: number } | null }[] }>(
          ENTITIES,
          { representations: users.map((id) => ({ __typename: 'User', id })) },
          admin,
        );
        expect(result.errors).toBeUndefined();
        expect(result.data!._entities.map((user) => user.cart?.itemCount ?? null)).toEqual([...Array(10).fill(1), ...Array(5).fill(null)]);
        // Active carts by user, then the lines of all of them.
        expect(cartSql.count).toBe(2);
      } finally {
        cartSql.detach();
      }
    });
  });

  describe('mutations', () => {
    const demo = demoCatalog();
    const soldOut = products.find((p) => demo.stock.filter((s) => s.productId === p.id).every((s) => s.onHand === 0))!;
    const stocked = products.filter((p) => demo.stock.some((s) => s.productId === p.id && s.onHand > 0));
    let nextProduct = 60;
    /** A product no other test uses, with exactly `available` units available (spread over two warehouses). */
    async function productWith(available: number) {
      const product = stocked[nextProduct++];
      await setAvailable(product.id, available);
      return product;
    }
    async function setAvailable(productId: string, available: number) {
      const connection = inventory.orm.em.getConnection();
      await connection.execute('delete from stock_level where product_id = ?', [productId]);
      const first = Math.floor(available / 2);
      // Reserved units are not available: the cart must use on hand minus reserved.
      for (const [warehouse, onHand, reserved] of [
        [DEMO_WAREHOUSES[0], first + 3, 3],
        [DEMO_WAREHOUSES[1], available - first, 0],
      ] as const) {
        // The product's default variant (id = product id): what a line added without variantId is for.
        await connection.execute('insert into stock_level (id, product_id, variant_id, warehouse_id, on_hand, reserved, updated_at) values (?, ?, ?, ?, ?, ?, now())', [
          randomUUID(),
          productId,
          productId,
          warehouse.id,
          onHand,
          reserved,
        ]);
      }
    }

    const ADD = `mutation($cartId: ID, $productId: ID!, $quantity: Int!) {
      addToCart(cartId: $cartId, productId: $productId, quantity: $quantity) { ${CART_FIELDS} }
    }`;
    const UPDATE = `mutation($cartId: ID, $itemId: ID!, $quantity: Int!) {
      updateCartItem(cartId: $cartId, itemId: $itemId, quantity: $quantity) { ${CART_FIELDS} }
    }`;
    const REMOVE = `mutation($cartId: ID, $itemId: ID!) { removeCartItem(cartId: $cartId, itemId: $itemId) { ${CART_FIELDS} } }`;
    const MERGE = `mutation($guestCartId: ID!) { mergeGuestCart(guestCartId: $guestCartId) { ${CART_FIELDS} } }`;
    const COMPLETE = `mutation($cartId: ID!, $orderId: ID!) { completeCheckout(cartId: $cartId, orderId: $orderId) }`;

    const add = (viewer: Viewer | null, productId: string, quantity: number, cartId?: string | null) =>
      cart.query<{ addToCart: CartData }>(ADD, { cartId, productId, quantity }, viewer);
    const update = (viewer: Viewer | null, itemId: string, quantity: number, cartId?: string | null) =>
      cart.query<{ updateCartItem: CartData }>(UPDATE, { cartId, itemId, quantity }, viewer);
    const remove = (viewer: Viewer | null, itemId: string, cartId?: string | null) => cart.query<{ removeCartItem: CartData }>(REMOVE, { cartId, itemId }, viewer);
    const merge = (viewer: Viewer | null, guestCartId: string) => cart.query<{ mergeGuestCart: CartData }>(MERGE, { guestCartId }, viewer);
    const complete = (viewer: Viewer | null, cartId: string, orderId: string) => cart.query<{ completeCheckout: boolean }>(COMPLETE, { cartId, orderId }, viewer);
    const COMPLETE_LINES = `mutation($cartId: ID!, $orderId: ID!, $lines: [CheckoutLineInput!]) { completeCheckout(cartId: $cartId, orderId: $orderId, lines: $lines) }`;
    type BoughtLine = { productId: string; quantity: number };
    const completeBuying = (viewer: Viewer | null, cartId: string, orderId: string, lines: BoughtLine[]) =>
      cart.query<{ completeCheckout: boolean }>(COMPLETE_LINES, { cartId, orderId, lines }, viewer);
    const codeOf = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => result.errors?.[0]?.extensions?.code;
    const newUser = (role = Role.CUSTOMER): Viewer => ({ id: randomUUID(), role });

    /** What the database holds for a cart, straight from its tables. */
    async function stored(cartId: string) {
      const em = cart.orm.em.fork();
      const row = await em.findOne(Cart, cartId);
      const lines = await em.find(CartItem, { cart: cartId }, { orderBy: { createdAt: 'asc' } });
      return { row, lines: lines.map((line) => [line.productId, line.quantity]) };
    }
    const cartCount = () => cart.orm.em.fork().count(Cart, {});

    describe('addToCart', () => {
      it('creates a guest cart for an anonymous caller, then adds to it by id', async () => {
        const [a, b] = [await productWith(50), await productWith(50)];
        const created = await add(null, a.id, 2);
        expect(created.errors).toBeUndefined();
        const guest = created.data!.addToCart;
        expect(guest.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(guest.items.map((item) => [item.product.id, item.quantity])).toEqual([[a.id, 2]]);
        expect(guest.subtotal).toEqual({ amount: a.priceAmount * 2, currency: 'USD', formatted: usd.format((a.priceAmount * 2) / 100) });
        expect((await stored(guest.id)).row).toMatchObject({ userId: null, status: CartStatus.ACTIVE });

        // Anyone holding the id may add to a guest cart, signed in or not.
        const again = await add(null, a.id, 3, guest.id);
        expect(again.errors).toBeUndefined();
        const third = await add(bob, b.id, 1, guest.id);
        expect(third.errors).toBeUndefined();
        const final = third.data!.addToCart;
        expect(final.id).toBe(guest.id);
        expect(final.items.map((item) => [item.product.id, item.quantity])).toEqual([
          [a.id, 5],
          [b.id, 1],
        ]);
        expect(final.itemCount).toBe(6);
        expect(final.subtotal.amount).toBe(a.priceAmount * 5 + b.priceAmount);
        expect(Date.parse(final.updatedAt)).toBeGreaterThan(Date.parse(guest.updatedAt));
        expect((await stored(guest.id)).lines).toEqual([
          [a.id, 5],
          [b.id, 1],
        ]);
      });

      it("gives every new guest cart a different random id", async () => {
        const product = await productWith(50);
        const ids = new Set<string>();
        for (let i = 0; i < 5; i += 1) ids.add((await add(null, product.id, 1)).data!.addToCart.id);
        expect(ids.size).toBe(5);
      });

      it("uses the signed-in viewer's active cart, creating it on the first add", async () => {
        const dana = newUser();
        const [a, b] = [await productWith(10), await productWith(10)];
        const first = await add(dana, a.id, 1);
        expect(first.errors).toBeUndefined();
        const second = await add(dana, b.id, 2);
        expect(second.data!.addToCart.id).toBe(first.data!.addToCart.id);
        expect((await stored(first.data!.addToCart.id)).row).toMatchObject({ userId: dana.id, status: CartStatus.ACTIVE });
        const mine = await cart.query<{ cart: CartData }>(CART_BY_ID, { id: null }, dana);
        expect(mine.data!.cart.id).toBe(first.data!.addToCart.id);
        expect(mine.data!.cart.itemCount).toBe(3);
        // Their own cart by id works too.
        expect((await add(dana, a.id, 1, first.data!.addToCart.id)).data!.addToCart.itemCount).toBe(4);
      });

      it('accepts a product id in capitals as the same product', async () => {
        const product = await productWith(10);
        const guest = (await add(null, product.id, 1)).data!.addToCart;
        const again = await add(null, product.id.toUpperCase(), 1, guest.id);
        expect(again.errors).toBeUndefined();
        expect(again.data!.addToCart.items.map((item) => [item.product.id, item.quantity])).toEqual([[product.id, 2]]);
      });

      it.each([0, -1, -100])('refuses quantity %d with BAD_USER_INPUT and writes nothing', async (quantity) => {
        const product = await productWith(10);
        const before = await cartCount();
        const result = await add(null, product.id, quantity);
        expect(codeOf(result)).toBe('BAD_USER_INPUT');
        expect(result.errors![0].message).toMatch(/quantity/);
        expect(await cartCount()).toBe(before);
      });

      it('refuses a quantity that is not an integer before running', async () => {
        const result = await cart.query(ADD, { productId: stocked[0].id, quantity: 1.5 });
        expect(codeOf(result)).toBe('BAD_USER_INPUT');
      });

      it('answers an unknown or malformed product with NOT_FOUND, and writes nothing', async () => {
        const before = await cartCount();
        for (const productId of [randomUUID(), 'not-a-product']) {
          const result = await add(null, productId, 1);
          expect(codeOf(result)).toBe('NOT_FOUND');
          expect(result.errors![0].message).toBe(`Product ${productId} does not exist in the catalog`);
        }
        const eve = newUser();
        expect(codeOf(await add(eve, randomUUID(), 1))).toBe('NOT_FOUND');
        expect(await cartCount()).toBe(before);
      });

      it('refuses a sold-out product with OUT_OF_STOCK', async () => {
        const result = await add(null, soldOut.id, 1);
        expect(codeOf(result)).toBe('OUT_OF_STOCK');
        expect(result.errors![0].extensions).toMatchObject({ productIds: [soldOut.id], availableQuantity: 0, requestedQuantity: 1 });
      });

      it('refuses to let a line grow beyond availableQuantity, and writes nothing', async () => {
        // 7 available: 10 on hand, 3 of them reserved.
        const product = await productWith(7);
        expect(codeOf(await add(null, product.id, 8))).toBe('OUT_OF_STOCK');
        const guest = (await add(null, product.id, 5)).data!.addToCart;
        const before = await stored(guest.id);
        const tooMany = await add(null, product.id, 3, guest.id);
        expect(codeOf(tooMany)).toBe('OUT_OF_STOCK');
        expect(tooMany.errors![0].extensions).toMatchObject({ productIds: [product.id], availableQuantity: 7, requestedQuantity: 8 });
        expect(await stored(guest.id)).toEqual(before);
        expect((await add(null, product.id, 2, guest.id)).data!.addToCart.items[0].quantity).toBe(7);
      });

      it("creates no cart for a signed-in user's first add when it is refused", async () => {
        const fay = newUser();
        expect(codeOf(await add(fay, soldOut.id, 1))).toBe('OUT_OF_STOCK');
        expect(await cart.orm.em.fork().count(Cart, { userId: fay.id })).toBe(0);
      });

      it("answers unknown, finished and other users' carts with NOT_FOUND alike", async () => {
        const product = await productWith(10);
        const gus = newUser();
        const gusCart = (await add(gus, product.id, 1)).data!.addToCart.id;
        const finished = await insertCart(null, [], CartStatus.MERGED);
        const checkedOut = await insertCart(gus.id, [], CartStatus.CHECKED_OUT);
        const answers = [];
        for (const [viewer, cartId] of [
          [bob, gusCart],
          [null, gusCart],
          [bob, randomUUID()],
          [bob, 'not-a-cart'],
          [null, finished],
          [gus, checkedOut],
        ] as const) {
          const result = await add(viewer, product.id, 1, cartId);
          answers.push([codeOf(result), result.errors![0].message]);
        }
        expect(answers).toEqual([
          ['NOT_FOUND', `Cart ${gusCart} does not exist`],
          ['NOT_FOUND', `Cart ${gusCart} does not exist`],
          ['NOT_FOUND', expect.stringMatching(/^Cart .* does not exist$/)],
          ['NOT_FOUND', 'Cart not-a-cart does not exist'],
          ['NOT_FOUND', `Cart ${finished} does not exist`],
          ['NOT_FOUND', `Cart ${checkedOut} does not exist`],
        ]);
        expect((await stored(gusCart)).lines).toEqual([[product.id, 1]]);
      });

      it("tells an ADMIN, who can see any cart, that they may not change another user's", async () => {
        const product = await productWith(10);
        const hal = newUser();
        const halCart = (await add(hal, product.id, 1)).data!.addToCart.id;
        expect(codeOf(await add(admin, product.id, 1, halCart))).toBe('FORBIDDEN');
        expect((await stored(halCart)).lines).toEqual([[product.id, 1]]);
      });

      it("adds a product's other variants as lines of their own, at their prices and stock", async () => {
        const stockOf = (variantId: string) => demo.stock.filter((s) => s.variantId === variantId).reduce((sum, s) => sum + s.onHand, 0);
        const variant = demo.variants.find((v) => v.position > 0 && v.priceAmount !== priceOf(v.productId) && stockOf(v.id) >= 2 && stockOf(v.productId) >= 1)!;
        const ADD_VARIANT = `mutation($cartId: ID, $productId: ID!, $quantity: Int!, $variantId: ID) {
          addToCart(cartId: $cartId, productId: $productId, quantity: $quantity, variantId: $variantId) { id items { quantity product { id } variant { id } unitPrice { amount } } subtotal { amount } }
        }`;
        type Lines = { addToCart: { id: string; items: { quantity: number; product: { id: string }; variant: { id: string }; unitPrice: { amount: number } }[]; subtotal: { amount: number } } };
        const first = await cart.query<Lines>(ADD_VARIANT, { productId: variant.productId, quantity: 1 });
        expect(first.errors).toBeUndefined();
        const second = await cart.query<Lines>(ADD_VARIANT, { cartId: first.data!.addToCart.id, productId: variant.productId, quantity: 2, variantId: variant.id });
        expect(second.errors).toBeUndefined();
        expect(second.data!.addToCart.items.map((item) => [item.product.id, item.variant.id, item.quantity, item.unitPrice.amount])).toEqual([
          [variant.productId, variant.productId, 1, priceOf(variant.productId)],
          [variant.productId, variant.id, 2, variant.priceAmount],
        ]);
        expect(second.data!.addToCart.subtotal.amount).toBe(priceOf(variant.productId) + 2 * variant.priceAmount);
        // The variant's own stock bounds its line.
        const beyond = await cart.query(ADD_VARIANT, { cartId: first.data!.addToCart.id, productId: variant.productId, quantity: stockOf(variant.id), variantId: variant.id });
        expect(codeOf(beyond)).toBe('OUT_OF_STOCK');
        // A variant of another product is refused.
        const other = demo.variants.find((v) => v.position > 0 && v.productId !== variant.productId)!;
        const wrong = await cart.query(ADD_VARIANT, { productId: variant.productId, quantity: 1, variantId: other.id });
        expect(codeOf(wrong)).toBe('BAD_USER_INPUT');
        expect(wrong.errors![0].extensions!.argumentName).toBe('variantId');
      });

      it('keeps one currency per cart', async () => {
        const usdProduct = await productWith(10);
        const eurProduct = await catalogProduct('EUR', 1500);
        await setAvailable(eurProduct, 10);
        const guest = (await add(null, usdProduct.id, 1)).data!.addToCart;
        const mixed = await add(null, eurProduct, 1, guest.id);
        expect(codeOf(mixed)).toBe('BAD_USER_INPUT');
        expect(mixed.errors![0].extensions).toMatchObject({ productIds: [eurProduct], cartCurrency: 'USD', productCurrency: 'EUR' });
        expect((await stored(guest.id)).lines).toEqual([[usdProduct.id, 1]]);
        // A cart takes the currency of its first product.
        const euros = await add(null, eurProduct, 2);
        expect(euros.errors).toBeUndefined();
        expect(euros.data!.addToCart.subtotal).toEqual({ amount: 3000, currency: 'EUR', formatted: '€30.00' });
      });
    });

    describe('updateCartItem and removeCartItem', () => {
      let ivy: Viewer;
      let ivyCart: string;
      let product: (typeof products)[number];
      let itemId: string;

      beforeEach(async () => {
        ivy = newUser();
        product = await productWith(6);
        const other = await productWith(6);
        await add(ivy, other.id, 1);
        const result = await add(ivy, product.id, 2);
        ivyCart = result.data!.addToCart.id;
        itemId = result.data!.addToCart.items.find((item) => item.product.id === product.id)!.id;
      });

      it('sets the quantity, within the available stock', async () => {
        const set = await update(ivy, itemId, 6);
        expect(set.errors).toBeUndefined();
        const line = set.data!.updateCartItem.items.find((item) => item.id === itemId)!;
        expect(line.quantity).toBe(6);
        expect(line.lineTotal.amount).toBe(product.priceAmount * 6);
        const tooMany = await update(ivy, itemId, 7, ivyCart);
        expect(codeOf(tooMany)).toBe('OUT_OF_STOCK');
        expect((await stored(ivyCart)).lines[1]).toEqual([product.id, 6]);
      });

      it('lets a quantity go down even when stock has fallen below it', async () => {
        await update(ivy, itemId, 5);
        await setAvailable(product.id, 1);
        const lower = await update(ivy, itemId, 3);
        expect(lower.errors).toBeUndefined();
        expect((await stored(ivyCart)).lines[1]).toEqual([product.id, 3]);
        expect(codeOf(await update(ivy, itemId, 4))).toBe('OUT_OF_STOCK');
        await setAvailable(product.id, 6);
      });

      it('removes the line with quantity 0', async () => {
        const before = Date.parse((await stored(ivyCart)).row!.updatedAt.toISOString());
        const result = await update(ivy, itemId, 0);
        expect(result.errors).toBeUndefined();
        expect(result.data!.updateCartItem.items.map((item) => item.id)).not.toContain(itemId);
        expect(result.data!.updateCartItem.itemCount).toBe(1);
        expect(Date.parse(result.data!.updateCartItem.updatedAt)).toBeGreaterThan(before);
        expect((await stored(ivyCart)).lines).toHaveLength(1);
      });

      it.each([-1, -5])('refuses quantity %d with BAD_USER_INPUT', async (quantity) => {
        expect(codeOf(await update(ivy, itemId, quantity))).toBe('BAD_USER_INPUT');
        expect((await stored(ivyCart)).lines[1]).toEqual([product.id, 2]);
      });

      it('removes a line, and answers a second removal with NOT_FOUND', async () => {
        const removed = await remove(ivy, itemId, ivyCart);
        expect(removed.errors).toBeUndefined();
        expect(removed.data!.removeCartItem.items).toHaveLength(1);
        expect(codeOf(await remove(ivy, itemId))).toBe('NOT_FOUND');
        expect(codeOf(await update(ivy, itemId, 1))).toBe('NOT_FOUND');
      });

      it('answers unknown lines, lines of another cart, and other carts with NOT_FOUND', async () => {
        const guest = (await add(null, product.id, 1)).data!.addToCart;
        const guestItem = guest.items[0].id;
        for (const result of [
          await update(ivy, randomUUID(), 1),
          await update(ivy, 'not-an-item', 1),
          await remove(ivy, guestItem),
          await update(ivy, guestItem, 1, ivyCart),
          await update(ivy, itemId, 1, guest.id),
          await update(bob, itemId, 1, ivyCart),
          await remove(bob, itemId, ivyCart),
          await remove(bob, itemId),
          await remove(null, itemId, ivyCart),
        ]) {
          expect(codeOf(result)).toBe('NOT_FOUND');
        }
        expect((await stored(ivyCart)).lines[1]).toEqual([product.id, 2]);
        expect((await stored(guest.id)).lines).toEqual([[product.id, 1]]);
        // The guest's own line, through the guest cart's id, by anyone holding it.
        expect((await update(null, guestItem, 2, guest.id)).data!.updateCartItem.itemCount).toBe(2);
        expect((await remove(bob, guestItem, guest.id)).data!.removeCartItem.items).toEqual([]);
      });

      it('asks an anonymous caller without a cartId for one', async () => {
        const result = await update(null, itemId, 1);
        expect(codeOf(result)).toBe('BAD_USER_INPUT');
        expect(result.errors![0].extensions?.argumentName).toBe('cartId');
        expect(codeOf(await remove(null, itemId))).toBe('BAD_USER_INPUT');
      });
    });

    describe('concurrency', () => {
      // 25 adds, each asking catalog and inventory before queueing on the cart's lock: seconds on a busy machine.
      it('loses no update when many adds hit one cart at once', async () => {
        const product = await productWith(100);
        const guest = (await add(null, product.id, 1)).data!.addToCart.id;
        const results = await Promise.all(Array.from({ length: 25 }, () => add(null, product.id, 1, guest)));
        expect(results.filter((result) => result.errors)).toEqual([]);
        expect((await stored(guest)).lines).toEqual([[product.id, 26]]);
      }, 30_000);

      it('never lets concurrent adds take a line beyond the stock', async () => {
        const product = await productWith(5);
        const guest = (await add(null, product.id, 1)).data!.addToCart.id;
        const results = await Promise.all(Array.from({ length: 12 }, () => add(null, product.id, 1, guest)));
        expect(results.filter((result) => !result.errors)).toHaveLength(4);
        expect(results.filter((result) => codeOf(result) === 'OUT_OF_STOCK')).toHaveLength(8);
        expect((await stored(guest)).lines).toEqual([[product.id, 5]]);
      });

      it("creates one active cart when a user's first adds race", async () => {
        const jo = newUser();
        const lineProducts = await Promise.all(Array.from({ length: 8 }, () => productWith(10)));
        const results = await Promise.all(lineProducts.map((product) => add(jo, product.id, 2)));
        expect(results.filter((result) => result.errors)).toEqual([]);
        const carts = await cart.orm.em.fork().find(Cart, { userId: jo.id });
        expect(carts).toHaveLength(1);
        expect(new Set(results.map((result) => result.data!.addToCart.id))).toEqual(new Set([carts[0].id]));
        expect((await stored(carts[0].id)).lines.map(([productId]) => productId).sort()).toEqual(lineProducts.map((p) => p.id).sort());
      });
    });

    describe('mergeGuestCart', () => {
      it("folds a guest cart into the user's cart, adding up quantities and capping them at the stock", async () => {
        const kim = newUser();
        const [shared, guestOnly, capped, userOnly] = [await productWith(10), await productWith(10), await productWith(4), await productWith(10)];
        const userCart = await insertCart(kim.id, [
          [shared.id, 3],
          [userOnly.id, 1],
        ]);
        const guest = await insertCart(null, [
          [shared.id, 2],
          [guestOnly.id, 1],
          [capped.id, 9],
          [soldOut.id, 2],
          [randomUUID(), 1],
        ]);
        const result = await merge(kim, guest);
        expect(result.errors).toBeUndefined();
        const merged = result.data!.mergeGuestCart;
        expect(merged.id).toBe(userCart);
        expect(merged.items.map((item) => [item.product.id, item.quantity])).toEqual([
          [shared.id, 5],
          [userOnly.id, 1],
          [guestOnly.id, 1],
          [capped.id, 4],
        ]);
        expect(merged.itemCount).toBe(11);
        expect((await stored(guest)).row!.status).toBe(CartStatus.MERGED);
        // The guest id stops working, for reading and for merging again.
        expect((await cart.query<{ cart: null }>(CART_BY_ID, { id: guest })).data!.cart).toBeNull();
        expect(codeOf(await merge(kim, guest))).toBe('NOT_FOUND');
        expect(codeOf(await add(null, shared.id, 1, guest))).toBe('NOT_FOUND');
      });

      it("never lowers what the user's cart already held", async () => {
        const lee = newUser();
        const product = await productWith(10);
        await insertCart(lee.id, [[product.id, 8]]);
        await setAvailable(product.id, 5);
        const guest = await insertCart(null, [[product.id, 2]]);
        const result = await merge(lee, guest);
        expect(result.data!.mergeGuestCart.items.map((item) => item.quantity)).toEqual([8]);
      });

      it('creates the user cart when there is none', async () => {
        const max = newUser();
        const product = await productWith(10);
        const guest = (await add(null, product.id, 2)).data!.addToCart.id;
        const result = await merge(max, guest);
        expect(result.errors).toBeUndefined();
        expect(result.data!.mergeGuestCart.id).not.toBe(guest);
        expect(result.data!.mergeGuestCart.items.map((item) => [item.product.id, item.quantity])).toEqual([[product.id, 2]]);
        const mine = await cart.query<{ cart: { id: string } }>(CART_BY_ID, { id: null }, max);
        expect(mine.data!.cart.id).toBe(result.data!.mergeGuestCart.id);
      });

      it("answers unknown, finished and users' carts with NOT_FOUND, and anonymous callers with UNAUTHENTICATED", async () => {
        const ned = newUser();
        const ownCart = await insertCart(ned.id, []);
        const otherUsers = await insertCart(randomUUID(), []);
        const checkedOut = await insertCart(null, [], CartStatus.CHECKED_OUT);
        for (const id of [randomUUID(), 'nope', ownCart, otherUsers, checkedOut]) expect(codeOf(await merge(ned, id))).toBe('NOT_FOUND');
        const guest = await insertCart(null, []);
        expect(codeOf(await merge(null, guest))).toBe('UNAUTHENTICATED');
        expect((await stored(guest)).row!.status).toBe(CartStatus.ACTIVE);
      });

      it('refuses a guest cart in another currency and changes nothing', async () => {
        const oli = newUser();
        const usdProduct = await productWith(10);
        const eurProduct = await catalogProduct('EUR', 900);
        await setAvailable(eurProduct, 10);
        const userCart = await insertCart(oli.id, [[usdProduct.id, 1]]);
        const guest = await insertCart(null, [[eurProduct, 1]]);
        const result = await merge(oli, guest);
        expect(codeOf(result)).toBe('BAD_USER_INPUT');
        expect((await stored(guest)).row!.status).toBe(CartStatus.ACTIVE);
        expect((await stored(userCart)).lines).toEqual([[usdProduct.id, 1]]);
      });
    });

    describe('completeCheckout', () => {
      it('checks the cart out for its owner, once per order', async () => {
        const pat = newUser();
        const product = await productWith(10);
        const cartId = (await add(pat, product.id, 1)).data!.addToCart.id;
        const orderId = randomUUID();
        expect((await complete(pat, cartId, orderId)).data).toEqual({ completeCheckout: true });
        expect((await stored(cartId)).row).toMatchObject({ status: CartStatus.CHECKED_OUT, orderId, userId: pat.id });
        // A retry of the same order is harmless.
        const retry = await complete(pat, cartId, orderId);
        expect(retry.errors).toBeUndefined();
        expect(retry.data).toEqual({ completeCheckout: true });
        // Another order cannot check out the same cart.
        expect(codeOf(await complete(pat, cartId, randomUUID()))).toBe('BAD_USER_INPUT');
        // The user has no active cart any more; the next add starts a new one.
        expect((await cart.query<{ cart: null }>(CART_BY_ID, { id: null }, pat)).data!.cart).toBeNull();
        expect(codeOf(await add(pat, product.id, 1, cartId))).toBe('NOT_FOUND');
        const next = await add(pat, product.id, 1);
        expect(next.data!.addToCart.id).not.toBe(cartId);
        expect(next.data!.addToCart.itemCount).toBe(1);
        // One order checks out one cart.
        expect(codeOf(await complete(pat, next.data!.addToCart.id, orderId))).toBe('BAD_USER_INPUT');
        expect((await stored(next.data!.addToCart.id)).row!.status).toBe(CartStatus.ACTIVE);
      });

      it('lets only the owner check a cart out', async () => {
        const quinn = newUser();
        const product = await productWith(10);
        const cartId = (await add(quinn, product.id, 1)).data!.addToCart.id;
        expect(codeOf(await complete(bob, cartId, randomUUID()))).toBe('FORBIDDEN');
        expect(codeOf(await complete(admin, cartId, randomUUID()))).toBe('FORBIDDEN');
        expect(codeOf(await complete(null, cartId, randomUUID()))).toBe('UNAUTHENTICATED');
        expect(codeOf(await complete(quinn, randomUUID(), randomUUID()))).toBe('NOT_FOUND');
        expect(codeOf(await complete(quinn, cartId, 'not-an-order'))).toBe('BAD_USER_INPUT');
        expect((await stored(cartId)).row).toMatchObject({ status: CartStatus.ACTIVE, orderId: null });
      });

      it('gives a checked-out guest cart to the buyer, and refuses a merged one', async () => {
        const rae = newUser();
        const product = await productWith(10);
        const guest = (await add(null, product.id, 1)).data!.addToCart.id;
        const orderId = randomUUID();
        expect((await complete(rae, guest, orderId)).data).toEqual({ completeCheckout: true });
        expect((await stored(guest)).row).toMatchObject({ status: CartStatus.CHECKED_OUT, userId: rae.id, orderId });
        expect(codeOf(await complete(bob, guest, orderId))).toBe('FORBIDDEN');
        const merged = await insertCart(null, [], CartStatus.MERGED);
        expect(codeOf(await complete(rae, merged, randomUUID()))).toBe('BAD_USER_INPUT');
      });

      describe('with the lines the order bought', () => {
        /** The viewer's active cart as `cart` shows it: line ids and [product, quantity] pairs, oldest first. */
        async function activeCart(viewer: Viewer) {
          const result = await cart.query<{ cart: CartData | null }>(CART_BY_ID, { id: null }, viewer);
          expect(result.errors).toBeUndefined();
          const found = result.data!.cart;
          return found && { id: found.id, itemIds: found.items.map((item) => item.id), lines: found.items.map((item) => [item.product.id, item.quantity]) };
        }

        it('checks out exactly what was bought; a line and units added meanwhile move to a new active cart, once', async () => {
          const uma = newUser();
          const [bought, more, added] = await Promise.all([productWith(10), productWith(10), productWith(10)]);
          await add(uma, bought.id, 2);
          const cartId = (await add(uma, more.id, 1)).data!.addToCart.id;
          // Orders read the cart here: 2 x bought, 1 x more. While the payment runs, the shopper adds a line and raises another.
          const late = (await add(uma, added.id, 3)).data!.addToCart.items.find((item) => item.product.id === added.id)!;
          await add(uma, more.id, 2);
          const orderId = randomUUID();
          const lines = [
            { productId: bought.id, quantity: 2 },
            { productId: more.id.toUpperCase(), quantity: 1 },
          ];
          const result = await completeBuying(uma, cartId, orderId, lines);
          expect(result.errors).toBeUndefined();
          expect(result.data).toEqual({ completeCheckout: true });

          // The checked-out cart holds what the order bought, and only that.
          const checkedOut = await stored(cartId);
          expect(checkedOut.row).toMatchObject({ status: CartStatus.CHECKED_OUT, orderId, userId: uma.id });
          expect(checkedOut.lines).toEqual([
            [bought.id, 2],
            [more.id, 1],
          ]);
          // The rest is the shopper's active cart: the added line as it was (same id), and the extra units.
          const rest = (await activeCart(uma))!;
          expect(rest.id).not.toBe(cartId);
          expect(rest.lines).toEqual([
            [added.id, 3],
            [more.id, 2],
          ]);
          expect(rest.itemIds[0]).toBe(late.id);

          // A retry of the step (recovery, a retried checkout) changes nothing and moves nothing twice.
          const cartsBefore = await cartCount();
          expect((await completeBuying(uma, cartId, orderId, lines)).data).toEqual({ completeCheckout: true });
          expect(await cartCount()).toBe(cartsBefore);
          expect((await stored(cartId)).lines).toEqual(checkedOut.lines);
          expect(await activeCart(uma)).toEqual(rest);
          // The rest is a cart like any other: it can be changed, and checked out by another order.
          expect((await add(uma, bought.id, 1)).data!.addToCart.id).toBe(rest.id);
          expect((await completeBuying(uma, rest.id, randomUUID(), [{ productId: added.id, quantity: 3 }])).errors).toBeUndefined();
        });

        it('creates no cart when everything was bought, and records a line removed meanwhile as bought', async () => {
          const vic = newUser();
          const [kept, removed] = await Promise.all([productWith(10), productWith(10)]);
          await add(vic, kept.id, 1);
          const added = await add(vic, removed.id, 2);
          const cartId = added.data!.addToCart.id;
          // The shopper takes a line out while the payment runs: the order has it all the same.
          const line = added.data!.addToCart.items.find((item) => item.product.id === removed.id)!;
          expect((await remove(vic, line.id)).errors).toBeUndefined();
          const cartsBefore = await cartCount();
          const lines = [
            { productId: kept.id, quantity: 1 },
            { productId: removed.id, quantity: 2 },
          ];
          expect((await completeBuying(vic, cartId, randomUUID(), lines)).data).toEqual({ completeCheckout: true });
          expect(await cartCount()).toBe(cartsBefore);
          expect(await activeCart(vic)).toBeNull();
          expect((await stored(cartId)).lines.sort()).toEqual(
            [
              [kept.id, 1],
              [removed.id, 2],
            ].sort(),
          );
        });

        it("moves what a checked-out guest cart held beyond the order into the buyer's own cart, adding up quantities", async () => {
          const wes = newUser();
          const [both, guestOnly, bought] = await Promise.all([productWith(10), productWith(10), productWith(10)]);
          const own = (await add(wes, both.id, 1)).data!.addToCart.id;
          const guest = (await add(null, bought.id, 1)).data!.addToCart.id;
          // Added by whoever holds the guest cart's id, after orders read it.
          await add(null, both.id, 2, guest);
          await add(null, guestOnly.id, 1, guest);
          expect((await completeBuying(wes, guest, randomUUID(), [{ productId: bought.id, quantity: 1 }])).errors).toBeUndefined();
          expect((await stored(guest)).lines).toEqual([[bought.id, 1]]);
          const rest = (await activeCart(wes))!;
          expect(rest.id).toBe(own);
          expect(rest.lines).toEqual([
            [both.id, 3],
            [guestOnly.id, 1],
          ]);
        });

        it('refuses lines that name no purchase, and changes nothing', async () => {
          const xan = newUser();
          const product = await productWith(10);
          const cartId = (await add(xan, product.id, 1)).data!.addToCart.id;
          for (const lines of [[], [{ productId: 'shoe', quantity: 1 }], [{ productId: product.id, quantity: 0 }]]) {
            expect(codeOf(await completeBuying(xan, cartId, randomUUID(), lines))).toBe('BAD_USER_INPUT');
          }
          expect((await stored(cartId)).row).toMatchObject({ status: CartStatus.ACTIVE, orderId: null });
        });
      });

      it('is not part of the public API', async () => {
        const { data } = await cart.query<{ _service: { sdl: string } }>(`{ _service { sdl } }`);
        expect(data!._service.sdl).toMatch(/completeCheckout\([\s\S]*?\): Boolean! @inaccessible/);
        expect(data!._service.sdl).toMatch(/input CheckoutLineInput\s+@inaccessible/);
      });
    });

    describe('statements', () => {
      it('adds to a cart with a fixed number of statements and one call to each sibling', async () => {
        const sam = newUser();
        const lineProducts = await Promise.all(Array.from({ length: 6 }, () => productWith(10)));
        for (const product of lineProducts.slice(0, 5)) await add(sam, product.id, 1);
        const cartSql = countStatements(cart.orm);
        const catalogSql = countStatements(catalog.orm);
        const inventorySql = countStatements(inventory.orm);
        try {
          const result = await add(sam, lineProducts[5].id, 1);
          expect(result.errors).toBeUndefined();
          expect(result.data!.addToCart.items).toHaveLength(6);
          // Peek at the products, then begin, lock the cart, read its lines, insert the line, update the cart, commit; then show the lines.
          expect(cartSql.statements).toHaveLength(8);
          expect(cartSql.statements.filter((sql) => /for update/i.test(sql))).toHaveLength(1);
          // Prices of all 6 variants in one catalog call (its variants and their products; also used to show the cart), stock in one inventory call.
          expect(catalogSql.count).toBe(2);
          expect(inventorySql.count).toBe(1);
        } finally {
          cartSql.detach();
          catalogSql.detach();
          inventorySql.detach();
        }
      });
    });

    /** A catalog product in the given currency (the demo catalog is all USD). */
    async function catalogProduct(currency: string, priceAmount: number): Promise<string> {
      const em = catalog.orm.em.fork();
      const sku = `TEST-${randomUUID().slice(0, 8)}`;
      const product = em.create(Product, {
        sku,
        slug: sku.toLowerCase(),
        name: `Imported ${sku}`,
        description: 'Priced in another currency',
        priceAmount,
        currency,
        category: demo.categories[1].id,
        createdAt: new Date(),
        updatedAt: new Date(),
      });
      // Its default variant, which carries the id and price a cart line uses.
      em.create(ProductVariant, { id: product.id, product, position: 0, sku, title: 'Default', priceAmount, currency, weightGrams: 500 });
      await em.flush();
      return product.id;
    }
  });
});
