import { randomUUID } from 'node:crypto';
import { demoCatalog } from '../../lib/demo-data';
import { Role, type Viewer } from '../../lib/identity';
import { countStatements } from '../../test/sql-counter';
import { startTestSubgraph, type TestSubgraph } from '../../test/subgraph-harness';
import { catalogSubgraph } from '../catalog/catalog.server';
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
    const row = em.create(Cart, { userId, status, createdAt: new Date(clock), updatedAt: new Date(clock) });
    for (const [productId, quantity] of lines) {
      clock += 1000;
      em.create(CartItem, { cart: row, productId, quantity, createdAt: new Date(clock) });
    }
    await em.flush();
    return row.id;
  }

  beforeAll(async () => {
    catalog = await startTestSubgraph(catalogSubgraph, { seed: true });
    cart = await startTestSubgraph(cartSubgraph, { subgraphUrls: { catalog: catalog.url } });
  });
  afterAll(async () => {
    await cart?.stop();
    await catalog?.stop();
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
      ).rejects.toThrow(/cart_item_cart_id_product_id_unique/);
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
      // Catalog answers one `_entities` call with one product select.
      expect(two.catalog).toBe(1);
      expect(twenty.catalog).toBe(1);
      expect(twenty.catalogStatements[0]).toMatch(/from "product"/);
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
    it('exist in the schema and are not implemented yet', async () => {
      const productId = products[0].id;
      const result = await cart.query(
        `mutation($productId: ID!) {
          a: addToCart(productId: $productId, quantity: 1) { id }
        }`,
        { productId },
        alice,
      );
      expect(result.errors?.[0].extensions?.code).toBe('NOT_IMPLEMENTED');
      for (const mutation of [
        `mutation { updateCartItem(itemId: "${randomUUID()}", quantity: 1) { id } }`,
        `mutation { removeCartItem(itemId: "${randomUUID()}") { id } }`,
        `mutation { mergeGuestCart(guestCartId: "${randomUUID()}") { id } }`,
      ]) {
        const answer = await cart.query(mutation, {}, alice);
        expect(answer.errors?.[0].extensions?.code).toBe('NOT_IMPLEMENTED');
      }
    });

    it('refuses mergeGuestCart to anonymous callers', async () => {
      const result = await cart.query(`mutation { mergeGuestCart(guestCartId: "${randomUUID()}") { id } }`);
      expect(result.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    });
  });
});
